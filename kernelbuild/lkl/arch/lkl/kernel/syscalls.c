// SPDX-License-Identifier: GPL-2.0
/*
 * System calls from host threads.
 *
 * A host thread never runs kernel code itself. Its first call gets it a
 * session and a kernel thread of its own, a thread of pid 1's process (so
 * every host thread shares one file table, as the threads of a process do),
 * which pid 1 forks on request (a thread sharing its files and fs, which
 * user_mode_thread does not allow). A call is posted to the session, LKL_CALL_IRQ
 * wakes the session's thread, which runs the call as the process's own
 * thread would and posts the result back on the session's host semaphore.
 * When the host thread ends, its kernel thread exits.
 *
 * pid 1 gets there through exec: a late initcall writes /init, marked as
 * this binary format's, and kernel_init's exec of it succeeds without
 * loading anything, so kernel_init returns to "user space", which is the
 * loop that forks the sessions' threads.
 */
#include <linux/binfmts.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/interrupt.h>
#include <linux/sched/task.h>
#include <linux/syscalls.h>
#include <linux/task_work.h>
#include <linux/unistd.h>
#include <asm/syscalls.h>
#include <asm/unistd.h>
#include <asm/lkl.h>

typedef long (*syscall_fn_t)(long, long, long, long, long, long);

#define __SYSCALL(nr, call) [nr] = (syscall_fn_t)(void (*)(void))(call),
#define __SYSCALL_WITH_COMPAT(nr, native, compat) __SYSCALL(nr, native)
#define sys_mmap	sys_ni_syscall
#define sys_clone	sys_ni_syscall
#define sys_clone3	sys_ni_syscall
#define sys_rt_sigreturn sys_ni_syscall

static const syscall_fn_t syscall_table[__NR_syscalls] = {
	[0 ... __NR_syscalls - 1] = (syscall_fn_t)(void (*)(void))sys_ni_syscall,
#include <asm/syscall_table_64.h>
	[__NR_lkl_netdev_add] = (syscall_fn_t)(void (*)(void))sys_lkl_netdev_add,
};

#define LKL_CALL_EXIT	(-1L)

struct lkl_call {
	long no;
	long params[6];
	long ret;
};

struct lkl_session {
	struct lkl_call *call;		/* set by the host thread, cleared when answered */
	struct lkl_sem *answered;
	struct task_struct *thread;	/* the kernel thread serving it, once forked */
	/*
	 * In the queue of sessions with a call (under queue_lock). A session's
	 * thread may take a call before the interrupt has seen it, and its host
	 * thread post the next one: a session is queued once, whatever it posts.
	 */
	bool queued;
	struct lkl_session *next;
	struct lkl_session *next_live;		/* in the list of every session (under queue_lock) */
	struct lkl_session *next_unforked;	/* in pid 1's list (kernel side) */
};

static struct lkl_tls_key *session_key;
static struct lkl_mutex *queue_lock;
static struct lkl_session *queue;	/* host side: sessions with a new call */
static struct lkl_session *live;	/* host side: every session, for the halt to answer */
static struct lkl_session *unforked;	/* kernel side: sessions waiting for pid 1 */
static struct task_struct *pid1;

static void answer(struct lkl_session *session, long ret)
{
	struct lkl_call *call = session->call;

	call->ret = ret;
	WRITE_ONCE(session->call, NULL);
	lkl_ops->sem_up(session->answered);
}

static int session_thread(void *arg)
{
	struct lkl_session *session = arg;

	current->thread.session = session;
	session->thread = current;
	for (;;) {
		struct lkl_call *call = READ_ONCE(session->call);
		long *p = call->params;

		if (call->no == LKL_CALL_EXIT) {
			answer(session, 0);
			do_exit(0);
		}
		if (call->no < 0 || call->no >= __NR_syscalls)
			answer(session, -ENOSYS);
		else
			answer(session, syscall_table[call->no](p[0], p[1], p[2], p[3], p[4], p[5]));
		/* What the kernel leaves for the return to user space (a close's last fput). */
		if (task_work_pending(current))
			task_work_run();

		set_current_state(TASK_IDLE);
		while (!READ_ONCE(session->call)) {
			schedule();
			set_current_state(TASK_IDLE);
		}
		__set_current_state(TASK_RUNNING);
	}
}

/*
 * Runs on the CPU: hand each posted call to its thread, or ask pid 1 for one.
 * The queue stays locked while it is walked, so no host thread relinks a
 * session under the walk.
 */
static irqreturn_t call_interrupt(int irq, void *dev)
{
	struct lkl_session *session;

	lkl_ops->mutex_lock(queue_lock);
	for (session = queue; session; session = session->next) {
		session->queued = false;
		if (session->thread) {
			wake_up_process(session->thread);
		} else {
			session->next_unforked = unforked;
			unforked = session;
			wake_up_process(pid1);
		}
	}
	queue = NULL;
	lkl_ops->mutex_unlock(queue_lock);
	return IRQ_HANDLED;
}

/*
 * Post a call and wait for its answer. The state is read under queue_lock,
 * which the halt takes to answer every call in flight: a call is either
 * posted before the halt, and answered by it, or refused here.
 */
static void post(struct lkl_session *session, struct lkl_call *call)
{
	lkl_ops->mutex_lock(queue_lock);
	if (!lkl_is_running()) {
		lkl_ops->mutex_unlock(queue_lock);
		call->ret = -ESHUTDOWN;
		return;
	}
	session->call = call;
	if (!session->queued) {
		session->queued = true;
		session->next = queue;
		queue = session;
	}
	lkl_ops->mutex_unlock(queue_lock);
	lkl_trigger_irq(LKL_CALL_IRQ);
	lkl_ops->sem_down(session->answered);
}

static void session_end(void *arg)
{
	struct lkl_session *session = arg;
	struct lkl_call call = { .no = LKL_CALL_EXIT };

	post(session, &call);
	/* Its thread may have taken the call before the interrupt saw it: unqueue it by hand. */
	lkl_ops->mutex_lock(queue_lock);
	for (struct lkl_session **link = &queue; *link; link = &(*link)->next) {
		if (*link == session) {
			*link = session->next;
			break;
		}
	}
	for (struct lkl_session **link = &live; *link; link = &(*link)->next_live) {
		if (*link == session) {
			*link = session->next_live;
			break;
		}
	}
	lkl_ops->mutex_unlock(queue_lock);
	lkl_ops->sem_free(session->answered);
	lkl_ops->mem_free(session);
}

static struct lkl_session *host_session(void)
{
	struct lkl_session *session = lkl_ops->tls_get(session_key);

	if (session)
		return session;
	session = lkl_ops->mem_alloc(sizeof(*session));
	if (!session)
		return NULL;
	*session = (struct lkl_session){ .answered = lkl_ops->sem_alloc(0) };
	if (!session->answered || lkl_ops->tls_set(session_key, session)) {
		if (session->answered)
			lkl_ops->sem_free(session->answered);
		lkl_ops->mem_free(session);
		return NULL;
	}
	lkl_ops->mutex_lock(queue_lock);
	session->next_live = live;
	live = session;
	lkl_ops->mutex_unlock(queue_lock);
	return session;
}

long lkl_syscall(long no, long *params)
{
	struct lkl_call call = { .no = no };
	struct lkl_session *session;

	if (!lkl_is_running())
		return -ESHUTDOWN;
	session = host_session();
	if (!session)
		return -ENOMEM;
	memcpy(call.params, params, sizeof(call.params));
	post(session, &call);
	return call.ret;
}

void lkl_call_irq_init(void)
{
	session_key = lkl_ops->tls_alloc(session_end);
	queue_lock = lkl_ops->mutex_alloc();
	if (!session_key || !queue_lock)
		panic("lkl: no host resources for system calls\n");
	if (request_irq(LKL_CALL_IRQ, call_interrupt, 0, "syscall", NULL))
		panic("lkl: cannot take the system call interrupt\n");
}

/* pid 1's "user space": fork a thread for every new session, for ever. */
static void __noreturn serve_sessions(void)
{
	pid1 = current;
	lkl_boot_failed(0);
	for (;;) {
		struct lkl_session *session;
		pid_t pid;

		set_current_state(TASK_IDLE);
		while (!READ_ONCE(unforked)) {
			schedule();
			set_current_state(TASK_IDLE);
		}
		__set_current_state(TASK_RUNNING);

		local_irq_disable();
		session = unforked;
		unforked = session->next_unforked;
		local_irq_enable();

		pid = kernel_clone(&(struct kernel_clone_args){
			.flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
				 CLONE_SYSVSEM | CLONE_UNTRACED,
			.fn = session_thread,
			.fn_arg = session,
		});
		if (pid < 0)
			answer(session, pid);
	}
}

void lkl_return_to_user(int ret)
{
	if (current == pid1 || task_pid_nr(current) == 1)
		serve_sessions();
	do_exit(ret);
}

void lkl_halted(void)
{
	struct lkl_session *own = current->thread.session, *session;

	/* No kernel thread runs again: their callers, and any that post from now on, get ESHUTDOWN. */
	lkl_ops->mutex_lock(queue_lock);
	__atomic_store_n(&lkl_state, LKL_HALTED, __ATOMIC_RELEASE);
	for (session = live; session; session = session->next_live)
		if (session != own && READ_ONCE(session->call))
			answer(session, -ESHUTDOWN);
	lkl_ops->mutex_unlock(queue_lock);
	lkl_timer_stop();
	if (own)
		answer(own, 0);
	/* The CPU stays with this thread for good: nothing runs in the kernel again. */
	for (;;)
		lkl_ops->sem_down(current->thread.sched_sem);
}

#define INIT_MAGIC "\x7flkl-init\n"

static int load_init(struct linux_binprm *bprm)
{
	int err;

	if (memcmp(bprm->buf, INIT_MAGIC, sizeof(INIT_MAGIC) - 1))
		return -ENOEXEC;
	err = begin_new_exec(bprm);
	if (err)
		return err;
	setup_new_exec(bprm);
	finalize_exec(bprm);
	return 0;
}

static struct linux_binfmt init_format = {
	.load_binary = load_init,
};

static int __init register_init_format(void)
{
	register_binfmt(&init_format);
	return 0;
}
core_initcall(register_init_format);

static int __init write_init(void)
{
	struct file *file = filp_open("/init", O_CREAT | O_WRONLY | O_TRUNC, 0700);
	loff_t pos = 0;
	ssize_t written;

	if (IS_ERR(file)) {
		lkl_boot_failed(PTR_ERR(file));
		return PTR_ERR(file);
	}
	written = kernel_write(file, INIT_MAGIC, sizeof(INIT_MAGIC) - 1, &pos);
	filp_close(file, NULL);
	/* The last reference goes on the way back to user space: exec would find the file busy. */
	task_work_run();
	return written < 0 ? written : 0;
}
late_initcall(write_init);
