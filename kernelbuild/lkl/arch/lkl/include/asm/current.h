/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_LKL_CURRENT_H
#define _ASM_LKL_CURRENT_H

/*
 * One CPU, and only the host thread of the running task executes kernel code
 * (interrupts run on whichever host thread holds the CPU), so current is a
 * plain global written by the context switch.
 */
#ifndef __ASSEMBLER__
struct task_struct;
extern struct task_struct *lkl_current;

static __always_inline struct task_struct *get_current(void)
{
	return lkl_current;
}

#define current get_current()
#endif

#endif
