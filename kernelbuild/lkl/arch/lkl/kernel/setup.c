// SPDX-License-Identifier: GPL-2.0
/*
 * Boot and halt. lkl_start_kernel runs start_kernel on a host thread of its
 * own (which then stays as the idle task) and returns once pid 1 serves
 * system calls. Halting is the reboot system call: machine_power_off answers
 * the caller and parks the CPU for good. A kernel's state is static, so a
 * process boots one kernel once.
 */
#include <linux/init.h>
#include <linux/start_kernel.h>
#include <linux/memblock.h>
#include <linux/panic_notifier.h>
#include <linux/reboot.h>
#include <linux/string.h>
#include <linux/syscalls.h>
#include <asm/setup.h>
#include <asm/lkl.h>

const struct lkl_host_ops *lkl_ops;
int lkl_state = LKL_OFF;

static unsigned long memory_bytes;
static struct lkl_sem *boot_done;
static long boot_result;

static void __ref boot_thread(void *arg)
{
	start_kernel();
}

int __ref lkl_start_kernel(const struct lkl_host_ops *ops, unsigned long bytes, const char *cmdline)
{
	int expected = LKL_OFF;

	if (!__atomic_compare_exchange_n(&lkl_state, &expected, LKL_BOOTING, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return -EALREADY;
	if (bytes < (16UL << 20))
		return -EINVAL;
	lkl_ops = ops;
	memory_bytes = bytes;
	strscpy(boot_command_line, cmdline ? cmdline : "", COMMAND_LINE_SIZE);
	boot_done = ops->sem_alloc(0);
	lkl_thread_init();
	if (!boot_done || !init_task.thread.sched_sem)
		return -ENOMEM;
	if (!ops->thread_create(boot_thread, NULL))
		return -EAGAIN;
	ops->sem_down(boot_done);
	return boot_result;
}

/* pid 1 is up and takes calls (err == 0), or the kernel could not get there. */
void lkl_boot_failed(long err)
{
	boot_result = err;
	__atomic_store_n(&lkl_state, err ? LKL_HALTED : LKL_RUNNING, __ATOMIC_RELEASE);
	lkl_ops->sem_up(boot_done);
}

int lkl_is_running(void)
{
	return __atomic_load_n(&lkl_state, __ATOMIC_ACQUIRE) == LKL_RUNNING;
}

long lkl_halt(void)
{
	long params[6] = { LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_POWER_OFF };

	return lkl_syscall(__NR_reboot, params);
}

static void __init memory_init(void)
{
	void *ram = lkl_ops->mem_alloc(memory_bytes);

	if (!ram)
		panic("lkl: the host gave no %lu bytes of memory\n", memory_bytes);
	memory_start = PAGE_ALIGN((unsigned long)ram);
	memory_end = ((unsigned long)ram + memory_bytes) & PAGE_MASK;
	memblock_add(memory_start, memory_end - memory_start);
	min_low_pfn = PFN_UP(memory_start);
	max_low_pfn = PFN_DOWN(memory_end);
	max_pfn = max_low_pfn;
}

void __init setup_arch(char **cmdline_p)
{
	*cmdline_p = boot_command_line;
	memory_init();
}

static int host_panic(struct notifier_block *nb, unsigned long event, void *buf)
{
	/* Said even when the console is silenced (loglevel=0). */
	lkl_ops->print("Kernel panic: ", 14);
	lkl_ops->print(buf, strlen(buf));
	lkl_ops->print("\n", 1);
	lkl_ops->panic();
	return NOTIFY_DONE;
}

static struct notifier_block host_panic_notifier = {
	.notifier_call = host_panic,
};

static int __init panic_to_host(void)
{
	atomic_notifier_chain_register(&panic_notifier_list, &host_panic_notifier);
	return 0;
}
pure_initcall(panic_to_host);

static int host_power_off(struct sys_off_data *data)
{
	lkl_halted();
}

static int __init power_off_by_host(void)
{
	return PTR_ERR_OR_ZERO(register_sys_off_handler(SYS_OFF_MODE_POWER_OFF, SYS_OFF_PRIO_DEFAULT,
							host_power_off, NULL));
}
arch_initcall(power_off_by_host);

void machine_power_off(void)
{
	do_kernel_power_off();
	lkl_halted();
}

void machine_halt(void)
{
	lkl_halted();
}

void machine_restart(char *cmd)
{
	lkl_halted();
}
