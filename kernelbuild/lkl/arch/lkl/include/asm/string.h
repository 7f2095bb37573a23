/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_LKL_STRING_H
#define _ASM_LKL_STRING_H
/* lib/string.c has every routine; none is hand-written for the host. */
#endif
