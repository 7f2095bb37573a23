// SPDX-License-Identifier: GPL-2.0
/*
 * Time comes from the host's clocks; the tick is a host one-shot timer whose
 * callback raises LKL_TIMER_IRQ.
 */
#include <linux/clockchips.h>
#include <linux/clocksource.h>
#include <linux/interrupt.h>
#include <linux/sched/clock.h>
#include <linux/delay.h>
#include <linux/timekeeping.h>
#include <asm/lkl.h>

static struct lkl_timer *tick_timer;

u64 sched_clock(void)
{
	return lkl_ops ? lkl_ops->monotonic_ns() : 0;
}

static u64 host_clock_read(struct clocksource *cs)
{
	return lkl_ops->monotonic_ns();
}

static struct clocksource host_clock = {
	.name	= "host",
	.rating	= 400,
	.read	= host_clock_read,
	.flags	= CLOCK_SOURCE_IS_CONTINUOUS,
	.mask	= CLOCKSOURCE_MASK(64),
};

static void tick_fired(void *arg)
{
	lkl_trigger_irq(LKL_TIMER_IRQ);
}

static int host_timer_next_event(unsigned long delta_ns, struct clock_event_device *evt)
{
	lkl_ops->timer_set_oneshot(tick_timer, delta_ns);
	return 0;
}

static int host_timer_shutdown(struct clock_event_device *evt)
{
	return 0;
}

static struct clock_event_device host_timer = {
	.name			= "host",
	.rating			= 100,
	.features		= CLOCK_EVT_FEAT_ONESHOT,
	.set_next_event		= host_timer_next_event,
	.set_state_shutdown	= host_timer_shutdown,
	.set_state_oneshot	= host_timer_shutdown,
	.irq			= LKL_TIMER_IRQ,
};

static irqreturn_t tick_interrupt(int irq, void *dev)
{
	host_timer.event_handler(&host_timer);
	return IRQ_HANDLED;
}

void read_persistent_clock64(struct timespec64 *ts)
{
	*ts = ns_to_timespec64(lkl_ops->realtime_ns());
}

void __init time_init(void)
{
	tick_timer = lkl_ops->timer_alloc(tick_fired, NULL);
	if (!tick_timer)
		panic("lkl: no host timer\n");
	if (request_irq(LKL_TIMER_IRQ, tick_interrupt, IRQF_TIMER, "timer", NULL))
		panic("lkl: cannot take the timer interrupt\n");
	clocksource_register_khz(&host_clock, 1000000);
	host_timer.cpumask = cpumask_of(0);
	clockevents_config_and_register(&host_timer, NSEC_PER_SEC, 1, ULONG_MAX);
}

/* Stops the tick for good: the kernel is halting. */
void lkl_timer_stop(void)
{
	lkl_ops->timer_free(tick_timer);
	tick_timer = NULL;
}

void calibrate_delay(void)
{
}

void __udelay(unsigned long usecs)
{
	u64 until = lkl_ops->monotonic_ns() + usecs * NSEC_PER_USEC;

	while (lkl_ops->monotonic_ns() < until)
		cpu_relax();
}
EXPORT_SYMBOL(__udelay);

void __ndelay(unsigned long nsecs)
{
	u64 until = lkl_ops->monotonic_ns() + nsecs;

	while (lkl_ops->monotonic_ns() < until)
		cpu_relax();
}
EXPORT_SYMBOL(__ndelay);

void __const_udelay(unsigned long xloops)
{
	__udelay(xloops / 0x10c7ul);
}
EXPORT_SYMBOL(__const_udelay);
