/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LKL_HOST_H
#define LKL_HOST_H

/* liblinux.so's entry points for a POSIX host (the kernel's own are in asm/host_ops.h). */

extern const struct lkl_host_ops lkl_posix_host_ops;

/* Boots the kernel with the POSIX host operations: 0, or a negative errno. */
int lkl_posix_start(unsigned long memory_bytes, const char *cmdline);

#endif
