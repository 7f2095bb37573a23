/*
 * How the guest ends: the exit code goes out through the kind's exit line
 * (UML's /proc/exitcode: the kernel's exit status; a VM's port) and the guest
 * powers off, or reboots where it cannot power off. die()
 * is how any unit of the guest's init gives up: one line on the container's
 * stderr first, so the user sees why the process did not run.
 */
#ifndef RUNU_FAIL_H
#define RUNU_FAIL_H

/* Where the exit code goes, once the exit line is open. */
void guest_exit_through(int exitcode_fd);
/* The guest ends by rebooting, not powering off (a machine that cannot power off). */
void guest_end_by_reboot(void);
/* What must come before the guest ends, whatever ends it (NULL: nothing). */
void guest_end_after(void (*first)(void));
void guest_power_off(int code) __attribute__((noreturn));
/*
 * In a child that must not end the guest (a process the agent starts): die()
 * writes its line to `fd` instead and ends only the child.
 */
void die_reports_to(int fd);
void die(int code, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));

#endif
