/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
#ifndef _ASM_LKL_HOST_OPS_H
#define _ASM_LKL_HOST_OPS_H

/*
 * What the library kernel asks of the process that hosts it. The kernel
 * never calls libc: threads, blocking, time and memory all come through
 * this table, which a host fills in once (ext/lkl-host.c does it on POSIX).
 */

typedef unsigned long lkl_thread_t;

struct lkl_sem;
struct lkl_mutex;
struct lkl_tls_key;
struct lkl_timer;

struct lkl_host_ops {
	/* Console output; len bytes, not NUL-terminated. */
	void (*print)(const char *str, int len);
	/* The kernel panicked: never returns. */
	void (*panic)(void);

	struct lkl_sem *(*sem_alloc)(int count);
	void (*sem_free)(struct lkl_sem *sem);
	void (*sem_up)(struct lkl_sem *sem);
	void (*sem_down)(struct lkl_sem *sem);

	struct lkl_mutex *(*mutex_alloc)(void);
	void (*mutex_free)(struct lkl_mutex *mutex);
	void (*mutex_lock)(struct lkl_mutex *mutex);
	void (*mutex_unlock)(struct lkl_mutex *mutex);

	/* A detached thread running fn(arg); 0 on failure. */
	lkl_thread_t (*thread_create)(void (*fn)(void *), void *arg);
	void (*thread_exit)(void);

	struct lkl_tls_key *(*tls_alloc)(void (*destructor)(void *));
	void (*tls_free)(struct lkl_tls_key *key);
	int (*tls_set)(struct lkl_tls_key *key, void *data);
	void *(*tls_get)(struct lkl_tls_key *key);

	void *(*mem_alloc)(unsigned long size);
	void (*mem_free)(void *addr);

	/* Nanoseconds: a monotonic clock, and the wall clock. */
	unsigned long long (*monotonic_ns)(void);
	unsigned long long (*realtime_ns)(void);

	/* A one-shot timer calling fn(arg) on a host thread of its own. */
	struct lkl_timer *(*timer_alloc)(void (*fn)(void *), void *arg);
	void (*timer_set_oneshot)(struct lkl_timer *timer, unsigned long long delta_ns);
	void (*timer_free)(struct lkl_timer *timer);

	/* Frames to and from a host descriptor (a tap): the bytes moved, or -1. */
	long (*fd_read)(int fd, void *buf, unsigned long len);
	long (*fd_write)(int fd, const void *buf, unsigned long len);

	/* The host C library's, tuned for its CPU: the kernel's every copy and fill. */
	void *(*memcpy)(void *dest, const void *src, unsigned long len);
	void *(*memmove)(void *dest, const void *src, unsigned long len);
	void *(*memset)(void *dest, int c, unsigned long len);
};

/* Boots the kernel on host threads of its own; returns once it takes system calls. */
int lkl_start_kernel(const struct lkl_host_ops *ops, unsigned long memory_bytes,
		     const char *cmdline);
/* Any host thread: the system call no with six arguments; a negative errno on failure. */
long lkl_syscall(long no, long *params);
/* Powers the kernel off; every later call fails with -ESHUTDOWN. */
long lkl_halt(void);
/* 1 between a successful start and halt. */
int lkl_is_running(void);
/* Raises an interrupt from any host thread. */
int lkl_trigger_irq(int irq);

#endif
