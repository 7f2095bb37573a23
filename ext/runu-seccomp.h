/*
 * The sandbox's system-call allow-list (seccomp), and its warden.
 *
 * The sandbox kind names the host system calls its kernel and helpers make (derived by
 * measurement: `runu-sandbox --seccomp-learn`); anything else is handed to the warden (a
 * seccomp user notification), which logs it to kernel.log and the runtime log and kills the
 * sandbox. The filter's other verdicts are the kernel's own: a guest's system call that UML's
 * stub traps (SIGSYS) takes precedence over a notification, so guest programs are unaffected.
 * In learning mode the warden lets every call through and records its name instead.
 */
#ifndef RUNU_SECCOMP_H
#define RUNU_SECCOMP_H

/* Install the allow-list (comma-separated names) on this process and its future children;
 * return the notification listener's fd, or -1 with a message in *why. */
int seccomp_confine(const char *allowed, const char **why);

/* The warden's work on one notification: learn (record the name, let it through) or enforce
 * (log, SIGKILL `kernel`). Returns 0 while the sandbox goes on, -1 once it is killed. */
int seccomp_ward(int listener, int learn, int learned_fd, int kernel_log, int runtime_log, int log_json,
		 int kernel, const char *container_id);

#endif
