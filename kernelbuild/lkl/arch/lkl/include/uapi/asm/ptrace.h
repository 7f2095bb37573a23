/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
#ifndef _ASM_LKL_UAPI_PTRACE_H
#define _ASM_LKL_UAPI_PTRACE_H

/* A library kernel has no user registers: nothing traps into it. */
struct user_pt_regs {
	unsigned long unused;
};

#endif
