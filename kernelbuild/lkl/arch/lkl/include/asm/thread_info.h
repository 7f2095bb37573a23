/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_LKL_THREAD_INFO_H
#define _ASM_LKL_THREAD_INFO_H

/*
 * Kernel code runs on the stacks of host threads. The core still gives every
 * task a THREAD_SIZE block (the end-of-stack canary lives there); one page is
 * all it needs.
 */
#include <linux/const.h>

#define THREAD_SIZE_ORDER	0
#define THREAD_SIZE		(_AC(4096, UL) << THREAD_SIZE_ORDER)

#ifndef __ASSEMBLER__

struct thread_info {
	unsigned long flags;
	unsigned long syscall_work;
	int preempt_count;
};

#define INIT_THREAD_INFO(tsk)			\
{						\
	.flags		= 0,			\
	.preempt_count	= INIT_PREEMPT_COUNT,	\
}

#endif

#include <asm-generic/thread_info_tif.h>

/* Syscall work bits the core names; nothing traps, so nothing sets them. */
#define TIF_SYSCALL_TRACE	16
#define TIF_SYSCALL_AUDIT	17
#define TIF_SYSCALL_TRACEPOINT	18
#define TIF_SECCOMP		19
#define _TIF_SYSCALL_TRACE	(1 << TIF_SYSCALL_TRACE)
#define _TIF_SYSCALL_AUDIT	(1 << TIF_SYSCALL_AUDIT)
#define _TIF_SYSCALL_TRACEPOINT	(1 << TIF_SYSCALL_TRACEPOINT)
#define _TIF_SECCOMP		(1 << TIF_SECCOMP)

#endif
