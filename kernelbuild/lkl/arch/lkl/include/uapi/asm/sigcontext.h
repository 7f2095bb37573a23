/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
#ifndef _ASM_LKL_SIGCONTEXT_H
#define _ASM_LKL_SIGCONTEXT_H

#include <asm/ptrace.h>

struct sigcontext {
	struct user_pt_regs regs;
	unsigned long oldmask;
};

#endif
