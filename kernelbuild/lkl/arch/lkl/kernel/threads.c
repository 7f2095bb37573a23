// SPDX-License-Identifier: GPL-2.0
/*
 * Tasks are host threads. Exactly one of them holds the CPU: the one whose
 * task is current. A context switch hands the CPU over by posting the next
 * task's semaphore and waiting on its own; a task's host thread is made the
 * first time the task is switched to, so a fork that fails leaves nothing
 * behind on the host.
 */
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/sched/task_stack.h>
#include <linux/sched/debug.h>
#include <linux/cpu.h>
#include <asm/switch_to.h>
#include <asm/lkl.h>

struct task_struct *lkl_current = &init_task;

static void task_bootstrap(void *arg)
{
	struct task_struct *task = arg;
	struct thread_struct *thread = &task->thread;

	schedule_tail(thread->prev_sched);
	lkl_return_to_user(thread->fn(thread->fn_arg));
}

struct task_struct *__switch_to(struct task_struct *prev, struct task_struct *next)
{
	struct thread_struct *from = &prev->thread, *to = &next->thread;
	struct lkl_sem *wait_on = from->sched_sem;
	bool prev_dead = READ_ONCE(prev->__state) == TASK_DEAD;

	lkl_current = next;
	to->prev_sched = prev;
	if (to->started) {
		lkl_ops->sem_up(to->sched_sem);
	} else {
		to->started = 1;
		if (!lkl_ops->thread_create(task_bootstrap, next))
			panic("lkl: no host thread for task %d\n", next->pid);
	}

	/* From here on another host thread owns the kernel: touch nothing of it. */
	if (prev_dead)
		lkl_ops->thread_exit();
	lkl_ops->sem_down(wait_on);
	return from->prev_sched;
}

int copy_thread(struct task_struct *p, const struct kernel_clone_args *args)
{
	struct thread_struct *thread = &p->thread;

	if (!args->fn)
		return -EINVAL;	/* nothing forks from user space: there is none */
	thread->fn = args->fn;
	thread->fn_arg = args->fn_arg;
	thread->started = 0;
	thread->prev_sched = NULL;
	thread->session = NULL;
	thread->sched_sem = lkl_ops->sem_alloc(0);
	return thread->sched_sem ? 0 : -ENOMEM;
}

int arch_dup_task_struct(struct task_struct *dst, struct task_struct *src)
{
	*dst = *src;
	/* Nothing host-side is shared: a fork that fails before copy_thread frees none of src's. */
	dst->thread = (struct thread_struct){ };
	return 0;
}

void arch_release_task_struct(struct task_struct *tsk)
{
	if (tsk != &init_task && tsk->thread.sched_sem)
		lkl_ops->sem_free(tsk->thread.sched_sem);
}

void lkl_thread_init(void)
{
	init_task.thread.sched_sem = lkl_ops->sem_alloc(0);
}

void flush_thread(void)
{
}

void show_regs(struct pt_regs *regs)
{
}

void show_stack(struct task_struct *task, unsigned long *sp, const char *loglvl)
{
}

void arch_cpu_idle(void)
{
	lkl_wait_for_irq();
	raw_local_irq_enable();
}
