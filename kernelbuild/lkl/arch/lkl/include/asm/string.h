/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_LKL_STRING_H
#define _ASM_LKL_STRING_H
/*
 * Copies and fills are the host C library's (arch/lkl/kernel/string.c):
 * lib/string.c's move a byte at a time, and a kernel that receives TCP spent
 * half its time in memcpy. The rest of lib/string.c stays.
 */
#include <linux/types.h>

#define __HAVE_ARCH_MEMCPY
#define __HAVE_ARCH_MEMMOVE
#define __HAVE_ARCH_MEMSET
void *memcpy(void *dest, const void *src, size_t len);
void *memmove(void *dest, const void *src, size_t len);
void *memset(void *dest, int c, size_t len);

#endif
