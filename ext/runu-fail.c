#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <sys/reboot.h>
#include <unistd.h>

#include "runu-fail.h"

static int exitcode_fd = -1;

void guest_exit_through(int fd)
{
	exitcode_fd = fd;
}

void guest_power_off(int code)
{
	sync();
	if (exitcode_fd >= 0)
		dprintf(exitcode_fd, "%d", code);
	reboot(RB_POWER_OFF);
	_exit(code);
}

void die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	dprintf(2, "runu: ");
	vdprintf(2, fmt, ap);
	dprintf(2, "\n");
	va_end(ap);
	guest_power_off(code);
}
