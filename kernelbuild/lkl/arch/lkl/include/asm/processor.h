/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_LKL_PROCESSOR_H
#define _ASM_LKL_PROCESSOR_H

#include <asm/host_ops.h>

struct task_struct;
struct lkl_session;

/*
 * What the arch keeps per task: the semaphore its host thread waits on while
 * another task has the CPU, and the host session it serves, if any.
 */
struct thread_struct {
	struct lkl_sem *sched_sem;
	int started;
	int (*fn)(void *);
	void *fn_arg;
	struct task_struct *prev_sched;
	struct lkl_session *session;
};

#define INIT_THREAD { .started = 1 }

void cpu_relax(void);

#define TASK_SIZE		(~0UL)
#define TASK_SIZE_MAX		TASK_SIZE
#define STACK_TOP		TASK_SIZE
#define STACK_TOP_MAX		STACK_TOP
#define TASK_UNMAPPED_BASE	0

#define KSTK_EIP(tsk)		(0)
#define KSTK_ESP(tsk)		(0)

static inline unsigned long __get_wchan(struct task_struct *p)
{
	return 0;
}

#define task_pt_regs(tsk)	((struct pt_regs *)NULL)

#endif
