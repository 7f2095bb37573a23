/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_LKL_SYSCALL_H
#define _ASM_LKL_SYSCALL_H

/*
 * Calls arrive as function calls from host threads, not as traps with
 * registers, so there is nothing to inspect or rewrite here.
 */
#include <uapi/linux/audit.h>

struct task_struct;
struct pt_regs;

static inline int syscall_get_nr(struct task_struct *task, struct pt_regs *regs)
{
	return -1;
}

static inline void syscall_set_nr(struct task_struct *task, struct pt_regs *regs, int nr)
{
}

static inline void syscall_rollback(struct task_struct *task, struct pt_regs *regs)
{
}

static inline long syscall_get_error(struct task_struct *task, struct pt_regs *regs)
{
	return 0;
}

static inline long syscall_get_return_value(struct task_struct *task, struct pt_regs *regs)
{
	return 0;
}

static inline void syscall_set_return_value(struct task_struct *task, struct pt_regs *regs,
					    int error, long val)
{
}

static inline void syscall_get_arguments(struct task_struct *task, struct pt_regs *regs,
					 unsigned long *args)
{
}

static inline void syscall_set_arguments(struct task_struct *task, struct pt_regs *regs,
					 const unsigned long *args)
{
}

static inline int syscall_get_arch(struct task_struct *task)
{
#ifdef __aarch64__
	return AUDIT_ARCH_AARCH64;
#else
	return AUDIT_ARCH_X86_64;
#endif
}

#endif
