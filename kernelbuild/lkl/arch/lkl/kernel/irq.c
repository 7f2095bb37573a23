// SPDX-License-Identifier: GPL-2.0
/*
 * Interrupts. Any host thread may raise one (lkl_trigger_irq): it sets a bit
 * in the pending word and, if the CPU is idle, wakes the idle task. The
 * handlers run on the host thread that holds the CPU, the next time it
 * enables interrupts, as on hardware. The pending word is shared with host
 * threads outside the kernel, so it is touched with the compiler's atomics,
 * not the kernel's (which, on one CPU, only mask interrupts).
 */
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/hardirq.h>
#include <linux/irqflags.h>
#include <asm/irq_regs.h>
#include <asm/lkl.h>

static unsigned long irq_pending;
static unsigned long irqs_enabled;
static int idle_sleeping;
static struct lkl_sem *idle_wakeup;

unsigned long arch_local_save_flags(void)
{
	return irqs_enabled;
}
EXPORT_SYMBOL(arch_local_save_flags);

static void run_irqs(void)
{
	/*
	 * Handlers see an interrupted context, as on hardware: without one the tick's handler
	 * skips update_process_times, and the timer wheel (every timer_list: TCP's retransmits,
	 * SO_RCVTIMEO's timeouts) would never run.
	 */
	struct pt_regs regs = { };
	struct pt_regs *interrupted = set_irq_regs(&regs);
	unsigned long pending;

	while ((pending = __atomic_exchange_n(&irq_pending, 0, __ATOMIC_ACQ_REL))) {
		irq_enter();
		while (pending) {
			int irq = __ffs(pending);

			pending &= ~(1UL << irq);
			generic_handle_irq(irq);
		}
		irq_exit();
	}
	set_irq_regs(interrupted);
}

void arch_local_irq_restore(unsigned long flags)
{
	if (flags == ARCH_IRQ_ENABLED && __atomic_load_n(&irq_pending, __ATOMIC_ACQUIRE)) {
		irqs_enabled = ARCH_IRQ_DISABLED;
		run_irqs();
	}
	irqs_enabled = flags;
}
EXPORT_SYMBOL(arch_local_irq_restore);

void cpu_relax(void)
{
	unsigned long flags;

	/* A busy wait lets pending interrupts in, as a real CPU would. */
	local_irq_save(flags);
	local_irq_restore(flags);
}
EXPORT_SYMBOL(cpu_relax);

int lkl_trigger_irq(int irq)
{
	if (irq <= 0 || irq >= NR_IRQS)
		return -EINVAL;
	if (__atomic_load_n(&lkl_state, __ATOMIC_ACQUIRE) != LKL_RUNNING &&
	    __atomic_load_n(&lkl_state, __ATOMIC_ACQUIRE) != LKL_BOOTING)
		return -ESHUTDOWN;
	__atomic_fetch_or(&irq_pending, 1UL << irq, __ATOMIC_ACQ_REL);
	if (__atomic_exchange_n(&idle_sleeping, 0, __ATOMIC_ACQ_REL))
		lkl_ops->sem_up(idle_wakeup);
	return 0;
}

/* The idle task's wait: returns once an interrupt is pending. */
void lkl_wait_for_irq(void)
{
	__atomic_store_n(&idle_sleeping, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&irq_pending, __ATOMIC_SEQ_CST) &&
	    __atomic_exchange_n(&idle_sleeping, 0, __ATOMIC_ACQ_REL))
		return;
	/* A raiser cleared idle_sleeping, so a post is on its way. */
	lkl_ops->sem_down(idle_wakeup);
}

void __init init_IRQ(void)
{
	int irq;

	idle_wakeup = lkl_ops->sem_alloc(0);
	if (!idle_wakeup)
		panic("lkl: no host semaphore for the idle task\n");
	for (irq = 1; irq < NR_IRQS; irq++)
		irq_set_chip_and_handler(irq, &dummy_irq_chip, handle_simple_irq);
	lkl_call_irq_init();
}
