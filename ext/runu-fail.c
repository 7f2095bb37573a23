#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/reboot.h>
#include <termios.h>
#include <unistd.h>

#include "runu-fail.h"

static int exitcode_fd = -1, halt_command = RB_POWER_OFF;
static int report_fd = -1;
static void (*end_after)(void);

void guest_exit_through(int fd)
{
	exitcode_fd = fd;
}

void guest_end_by_reboot(void)
{
	halt_command = RB_AUTOBOOT;
}

void guest_end_after(void (*first)(void))
{
	end_after = first;
}

void guest_power_off(int code)
{
	void (*first)(void) = end_after;

	end_after = NULL;  /* once: it may fail, and end the guest itself */
	if (first)
		first();
	sync();
	if (exitcode_fd >= 0) {
		dprintf(exitcode_fd, "%d", code);
		tcdrain(exitcode_fd);  /* a port's bytes leave before the guest ends; a file: ENOTTY */
	}
	reboot(halt_command);
	_exit(code);
}

void die_reports_to(int fd)
{
	report_fd = fd;
}

void die(int code, const char *fmt, ...)
{
	char line[1024] = "runu: ";
	size_t n = strlen(line);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	/* One write: a reader of the report sees the whole line at once. */
	strcat(line, "\n");
	if (write(report_fd >= 0 ? report_fd : 2, line, strlen(line)) < 0 && report_fd >= 0)
		_exit(code);
	if (report_fd >= 0)
		_exit(code);
	guest_power_off(code);
}
