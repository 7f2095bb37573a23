/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_LKL_LKL_H
#define _ASM_LKL_LKL_H

#include <asm/host_ops.h>

extern const struct lkl_host_ops *lkl_ops;

#define LKL_TIMER_IRQ	1
#define LKL_CALL_IRQ	2

void lkl_wait_for_irq(void);
void lkl_call_irq_init(void);
void lkl_thread_init(void);
void lkl_return_to_user(int ret) __noreturn;
void lkl_halted(void) __noreturn;
void lkl_timer_stop(void);
void lkl_boot_failed(long err);

/* Lifecycle, readable from any host thread. */
enum lkl_state { LKL_OFF, LKL_BOOTING, LKL_RUNNING, LKL_HALTED };
extern int lkl_state;

#endif
