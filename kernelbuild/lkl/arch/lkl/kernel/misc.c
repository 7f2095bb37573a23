// SPDX-License-Identifier: GPL-2.0
#include <linux/seq_file.h>
#include <linux/ptrace.h>

static int show_cpuinfo(struct seq_file *m, void *v)
{
	seq_printf(m, "processor\t: 0\nmodel name\t: lkl (Linux as a library)\n\n");
	return 0;
}

static void *c_start(struct seq_file *m, loff_t *pos)
{
	return *pos < 1 ? (void *)1 : NULL;
}

static void *c_next(struct seq_file *m, void *v, loff_t *pos)
{
	++*pos;
	return NULL;
}

static void c_stop(struct seq_file *m, void *v)
{
}

const struct seq_operations cpuinfo_op = {
	.start	= c_start,
	.next	= c_next,
	.stop	= c_stop,
	.show	= show_cpuinfo,
};

/* ptrace: there are no user registers to trace. */
long arch_ptrace(struct task_struct *child, long request, unsigned long addr, unsigned long data)
{
	return -EIO;
}

void ptrace_disable(struct task_struct *child)
{
}

void user_disable_single_step(struct task_struct *child)
{
}
