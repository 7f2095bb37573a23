/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The library kernel's host operations on POSIX: pthreads for threads,
 * semaphores and thread-local sessions, CLOCK_MONOTONIC for time, and a
 * one-shot timer served by a thread of its own (a callback on a normal
 * thread, never in a signal handler, so it may take locks).
 *
 * Linked with the kernel object into liblinux.so; lkl_posix_start() boots
 * the kernel with these operations.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <asm/host_ops.h>

#include "lkl-host.h"

static void host_print(const char *str, int len)
{
	if (getenv("LKL_QUIET") == NULL)
		(void)!write(STDERR_FILENO, str, len);
}

static void host_panic(void)
{
	static const char msg[] = "lkl: the library kernel panicked\n";

	(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
	abort();
}

struct lkl_sem {
	sem_t sem;
};

static struct lkl_sem *host_sem_alloc(int count)
{
	struct lkl_sem *sem = malloc(sizeof(*sem));

	if (sem && sem_init(&sem->sem, 0, count)) {
		free(sem);
		return NULL;
	}
	return sem;
}

static void host_sem_free(struct lkl_sem *sem)
{
	sem_destroy(&sem->sem);
	free(sem);
}

static void host_sem_up(struct lkl_sem *sem)
{
	sem_post(&sem->sem);
}

static void host_sem_down(struct lkl_sem *sem)
{
	while (sem_wait(&sem->sem) && errno == EINTR)
		;
}

struct lkl_mutex {
	pthread_mutex_t mutex;
};

static struct lkl_mutex *host_mutex_alloc(void)
{
	struct lkl_mutex *mutex = malloc(sizeof(*mutex));

	if (mutex)
		pthread_mutex_init(&mutex->mutex, NULL);
	return mutex;
}

static void host_mutex_free(struct lkl_mutex *mutex)
{
	pthread_mutex_destroy(&mutex->mutex);
	free(mutex);
}

static void host_mutex_lock(struct lkl_mutex *mutex)
{
	pthread_mutex_lock(&mutex->mutex);
}

static void host_mutex_unlock(struct lkl_mutex *mutex)
{
	pthread_mutex_unlock(&mutex->mutex);
}

struct thread_start {
	void (*fn)(void *);
	void *arg;
};

static void *thread_main(void *arg)
{
	struct thread_start start = *(struct thread_start *)arg;

	free(arg);
	start.fn(start.arg);
	return NULL;
}

static lkl_thread_t host_thread_create(void (*fn)(void *), void *arg)
{
	struct thread_start *start = malloc(sizeof(*start));
	pthread_attr_t attr;
	pthread_t thread;
	int err;

	if (!start)
		return 0;
	*start = (struct thread_start){ fn, arg };
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	err = pthread_create(&thread, &attr, thread_main, start);
	pthread_attr_destroy(&attr);
	if (err) {
		free(start);
		return 0;
	}
	return (lkl_thread_t)thread;
}

static void host_thread_exit(void)
{
	pthread_exit(NULL);
}

struct lkl_tls_key {
	pthread_key_t key;
};

static struct lkl_tls_key *host_tls_alloc(void (*destructor)(void *))
{
	struct lkl_tls_key *key = malloc(sizeof(*key));

	if (key && pthread_key_create(&key->key, destructor)) {
		free(key);
		return NULL;
	}
	return key;
}

static void host_tls_free(struct lkl_tls_key *key)
{
	pthread_key_delete(key->key);
	free(key);
}

static int host_tls_set(struct lkl_tls_key *key, void *data)
{
	return pthread_setspecific(key->key, data) ? -1 : 0;
}

static void *host_tls_get(struct lkl_tls_key *key)
{
	return pthread_getspecific(key->key);
}

static void *host_mem_alloc(unsigned long size)
{
	return malloc(size);
}

static unsigned long long clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static unsigned long long host_monotonic_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

static unsigned long long host_realtime_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

/* A thread that sleeps until the armed deadline, then calls back; rearming wakes it. */
struct lkl_timer {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	pthread_t thread;
	unsigned long long deadline;	/* CLOCK_MONOTONIC ns; 0 when disarmed */
	int stopping;
	void (*fn)(void *);
	void *arg;
};

static void *timer_main(void *arg)
{
	struct lkl_timer *timer = arg;

	pthread_mutex_lock(&timer->lock);
	while (!timer->stopping) {
		if (!timer->deadline) {
			pthread_cond_wait(&timer->changed, &timer->lock);
			continue;
		}
		if (host_monotonic_ns() < timer->deadline) {
			struct timespec until = {
				.tv_sec = timer->deadline / 1000000000ULL,
				.tv_nsec = timer->deadline % 1000000000ULL,
			};

			pthread_cond_timedwait(&timer->changed, &timer->lock, &until);
			continue;
		}
		timer->deadline = 0;
		pthread_mutex_unlock(&timer->lock);
		timer->fn(timer->arg);
		pthread_mutex_lock(&timer->lock);
	}
	pthread_mutex_unlock(&timer->lock);
	return NULL;
}

static struct lkl_timer *host_timer_alloc(void (*fn)(void *), void *arg)
{
	struct lkl_timer *timer = calloc(1, sizeof(*timer));
	pthread_condattr_t attr;

	if (!timer)
		return NULL;
	timer->fn = fn;
	timer->arg = arg;
	pthread_mutex_init(&timer->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&timer->changed, &attr);
	pthread_condattr_destroy(&attr);
	if (pthread_create(&timer->thread, NULL, timer_main, timer)) {
		free(timer);
		return NULL;
	}
	return timer;
}

static void host_timer_set_oneshot(struct lkl_timer *timer, unsigned long long delta_ns)
{
	pthread_mutex_lock(&timer->lock);
	timer->deadline = host_monotonic_ns() + (delta_ns ? delta_ns : 1);
	pthread_cond_signal(&timer->changed);
	pthread_mutex_unlock(&timer->lock);
}

static void host_timer_free(struct lkl_timer *timer)
{
	pthread_mutex_lock(&timer->lock);
	timer->stopping = 1;
	pthread_cond_signal(&timer->changed);
	pthread_mutex_unlock(&timer->lock);
	if (pthread_equal(pthread_self(), timer->thread))
		pthread_detach(timer->thread);
	else
		pthread_join(timer->thread, NULL);
	pthread_cond_destroy(&timer->changed);
	pthread_mutex_destroy(&timer->lock);
	free(timer);
}

static long host_fd_read(int fd, void *buf, unsigned long len)
{
	ssize_t got;

	while ((got = read(fd, buf, len)) < 0 && errno == EINTR)
		;
	return got;
}

static long host_fd_write(int fd, const void *buf, unsigned long len)
{
	ssize_t sent;

	while ((sent = write(fd, buf, len)) < 0 && errno == EINTR)
		;
	return sent;
}

const struct lkl_host_ops lkl_posix_host_ops = {
	.print = host_print,
	.panic = host_panic,
	.sem_alloc = host_sem_alloc,
	.sem_free = host_sem_free,
	.sem_up = host_sem_up,
	.sem_down = host_sem_down,
	.mutex_alloc = host_mutex_alloc,
	.mutex_free = host_mutex_free,
	.mutex_lock = host_mutex_lock,
	.mutex_unlock = host_mutex_unlock,
	.thread_create = host_thread_create,
	.thread_exit = host_thread_exit,
	.tls_alloc = host_tls_alloc,
	.tls_free = host_tls_free,
	.tls_set = host_tls_set,
	.tls_get = host_tls_get,
	.mem_alloc = host_mem_alloc,
	.mem_free = free,
	.monotonic_ns = host_monotonic_ns,
	.realtime_ns = host_realtime_ns,
	.timer_alloc = host_timer_alloc,
	.timer_set_oneshot = host_timer_set_oneshot,
	.timer_free = host_timer_free,
	.fd_read = host_fd_read,
	.fd_write = host_fd_write,
	.memcpy = memcpy,
	.memmove = memmove,
	.memset = memset,
};

int lkl_posix_start(unsigned long memory_bytes, const char *cmdline)
{
	return lkl_start_kernel(&lkl_posix_host_ops, memory_bytes, cmdline);
}
