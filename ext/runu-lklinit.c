/*
 * runu-lklinit: what the lkl sandbox kind runs in place of a kernel.
 *
 * The container's program runs on the host kernel, as under runc, in the
 * sandbox's namespaces and user, chrooted in its rootfs; only its network
 * system calls go elsewhere: to a Linux kernel linked into the program
 * (librunu-lkl.so, preloaded), on the container's tap. This program is the
 * guest init's stand-in: it says "ready" at once (there is no kernel to boot
 * at create: the library kernel boots in the program, at its first socket),
 * waits for "start" on the control line, runs the program as its child and
 * forwards the signals the control line brings (runu-init's format: a number,
 * "a" before it for every process), and ends with the program's status (128+N
 * for death by signal N). It is linked statically: the rootfs's own libc is
 * the program's, not ours.
 *
 * The tap (RUNU_LKL_TAP in the program's environment) is attached here, with
 * virtio-net headers and offloads (runu-tap.h), before "ready", and handed to
 * the program as descriptor 3 (RUNU_LKL_TAP_FD=3). A tap
 * with nothing attached drops what it is sent; attached, it queues the frames
 * that come before the program's first socket boots its kernel, which then
 * answers them: a client's first SYN is not lost to a second's retransmission.
 *
 * Usage (runu/sandbox/lkl.py):
 *   runu-lklinit [--cwd DIR] [--rlimit RESOURCE SOFT HARD]... [--env NAME=VALUE]... -- PROGRAM [ARG]...
 * PROGRAM is looked up on the PATH of the given environment.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runu-abi.h"
#include "runu-control.h"
#include "runu-tap.h"

#define TAP_ENV "RUNU_LKL_TAP="
#define TAP_FD 3	/* the program's descriptor of the attached tap */
#define STRING(x) #x
#define TOSTRING(x) STRING(x)

struct program {
	const char *cwd;
	char **argv;
	char **env;
	int env_count;
	struct rlimit limits[RLIM_NLIMITS];
	int has_limit[RLIM_NLIMITS];
};

static void __attribute__((noreturn, format(printf, 2, 3))) die(int code, const char *fmt, ...)
{
	va_list ap;

	dprintf(2, "runu: ");
	va_start(ap, fmt);
	vdprintf(2, fmt, ap);
	va_end(ap);
	dprintf(2, "\n");
	_exit(code);
}

static void parse(int argc, char **argv, struct program *p)
{
	int i;

	p->cwd = "/";
	p->env = calloc(argc + 2, sizeof(char *));	/* room for RUNU_LKL_TAP_FD */
	if (!p->env)
		die(126, "no memory for the environment");
	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--cwd") && i + 1 < argc) {
			p->cwd = argv[++i];
		} else if (!strcmp(argv[i], "--env") && i + 1 < argc) {
			p->env[p->env_count++] = argv[++i];
		} else if (!strcmp(argv[i], "--rlimit") && i + 3 < argc) {
			int resource = atoi(argv[i + 1]);

			if (resource < 0 || resource >= RLIM_NLIMITS)
				die(126, "rlimit %s: no such resource", argv[i + 1]);
			p->limits[resource].rlim_cur = strtoull(argv[i + 2], NULL, 10);
			p->limits[resource].rlim_max = strtoull(argv[i + 3], NULL, 10);
			p->has_limit[resource] = 1;
			i += 3;
		} else {
			die(126, "runu-lklinit: bad argument %s", argv[i]);
		}
	}
	if (i + 1 >= argc)
		die(126, "runu-lklinit: no program after --");
	p->argv = argv + i + 1;
}

/*
 * The program's tap attached, or -1 when it names none or it cannot be attached:
 * the library then attaches it by name at boot, and says why it could not.
 */
static int attach_tap(struct program *p)
{
	const char *name = NULL;
	int fd;

	for (int i = 0; i < p->env_count; i++)
		if (!strncmp(p->env[i], TAP_ENV, strlen(TAP_ENV)))
			name = p->env[i] + strlen(TAP_ENV);
	if (!name)
		return -1;
	fd = tap_attach(name);
	if (fd < 0)
		return -1;
	p->env[p->env_count++] = "RUNU_LKL_TAP_FD=" TOSTRING(TAP_FD);
	return fd;
}

static void wait_for_start(void)
{
	struct pollfd pfd = { .fd = RUNU_FD_CONTROL, .events = POLLIN };
	char line[64];

	if (fcntl(RUNU_FD_CONTROL, F_SETFL, O_NONBLOCK) < 0)
		die(126, "control line: %s", strerror(errno));
	if (write(RUNU_FD_READY, "ready\n", 6) != 6)
		die(126, "say ready: %s", strerror(errno));
	for (;;) {
		while (control_line(RUNU_FD_CONTROL, line))
			if (!strcmp(line, RUNU_CONTROL_START))
				return;
		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			die(126, "control line: %s", strerror(errno));
	}
}

static void __attribute__((noreturn)) exec_program(const struct program *p, const sigset_t *blocked, int tap)
{
	for (int r = 0; r < RLIM_NLIMITS; r++)
		if (p->has_limit[r] && setrlimit(r, &p->limits[r]) < 0)
			die(126, "rlimit %d: %s", r, strerror(errno));
	if (chdir(p->cwd) < 0)
		die(126, "cwd %s: %s", p->cwd, strerror(errno));
	sigprocmask(SIG_UNBLOCK, blocked, NULL);
	/* Kept across exec: dup2's copy is, and so is TAP_FD itself once close-on-exec is off. */
	if (tap >= 0 && (tap == TAP_FD ? fcntl(tap, F_SETFD, 0) : dup2(tap, TAP_FD)) < 0)
		die(126, "hand the tap over: %s", strerror(errno));
	close_range(tap >= 0 ? TAP_FD + 1 : 3, ~0U, 0);
	/* execvpe searches the PATH of the caller's environment: make it the program's. */
	environ = p->env;
	execvpe(p->argv[0], p->argv, p->env);
	die(errno == ENOENT ? 127 : 126, "exec %s: %s", p->argv[0], strerror(errno));
}

static int status_code(int status)
{
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Relay the control line's signals to the program until it ends; its status. */
static int supervise(pid_t child, int sigchld)
{
	struct pollfd fds[2] = { { .fd = RUNU_FD_CONTROL, .events = POLLIN }, { .fd = sigchld, .events = POLLIN } };
	struct signalfd_siginfo info;
	char line[64];
	int status;

	for (;;) {
		if (poll(fds, 2, -1) < 0 && errno != EINTR)
			die(126, "wait for the program: %s", strerror(errno));
		if (fds[0].revents & POLLIN) {
			while (control_line(RUNU_FD_CONTROL, line))
				control_signal(line, child);
		} else if (fds[0].revents & (POLLHUP | POLLERR)) {
			fds[0].fd = -1;
		}
		if (fds[1].revents & POLLIN) {
			while (read(sigchld, &info, sizeof(info)) == sizeof(info))
				;
			if (waitpid(child, &status, WNOHANG) == child)
				return status_code(status);
		}
	}
}

int main(int argc, char **argv)
{
	struct program p = { 0 };
	sigset_t blocked;
	pid_t child;
	int sigchld, tap;

	parse(argc, argv, &p);
	tap = attach_tap(&p);
	sigemptyset(&blocked);
	sigaddset(&blocked, SIGCHLD);
	sigprocmask(SIG_BLOCK, &blocked, NULL);
	sigchld = signalfd(-1, &blocked, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sigchld < 0)
		die(126, "signalfd: %s", strerror(errno));
	wait_for_start();
	child = fork();
	if (child < 0)
		die(126, "fork the program: %s", strerror(errno));
	if (child == 0)
		exec_program(&p, &blocked, tap);
	if (tap >= 0)
		close(tap);	/* the program's alone: if it lets go, its kernel can attach by name */
	return supervise(child, sigchld);
}
