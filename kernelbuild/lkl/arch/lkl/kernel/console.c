// SPDX-License-Identifier: GPL-2.0
/* The kernel's log goes to the host's print operation. */
#include <linux/console.h>
#include <linux/init.h>
#include <asm/lkl.h>

static void host_console_write(struct console *con, const char *str, unsigned int len)
{
	lkl_ops->print(str, len);
}

static struct console host_console = {
	.name	= "host",
	.write	= host_console_write,
	.flags	= CON_PRINTBUFFER,
	.index	= -1,
};

static int __init host_console_init(void)
{
	register_console(&host_console);
	return 0;
}
console_initcall(host_console_init);
