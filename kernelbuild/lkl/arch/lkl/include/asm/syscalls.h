/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_LKL_SYSCALLS_H
#define _ASM_LKL_SYSCALLS_H

#include <asm-generic/syscalls.h>

asmlinkage long sys_lkl_netdev_add(int fd, const u8 __user *mac, unsigned int flags);

#endif
