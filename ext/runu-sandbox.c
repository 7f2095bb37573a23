/*
 * runu-sandbox: the host-side process of one runu container.
 *
 * `runu create` spawns it. It enters or creates the container's namespaces,
 * builds the sandbox root (a private view holding only the rootfs, the bind
 * mount sources, the kernel and what the kernel needs to run), chroots into
 * it, reports back, and then waits for `runu start` to hand it the kernel's
 * argv through the launch fifo. It then execs the kernel, so its pid is the
 * container's pid for the whole life of the container.
 *
 * Confinement: hostfs resolves guest paths with host syscalls, so `..` in a
 * hostfs mount option would escape any prefix. The chroot makes the sandbox
 * root the whole host filesystem the kernel can ever see.
 *
 * Fixed descriptors (set up by the caller; runu-abi.h): the status pipe, the
 * commit pipe, the launch fifo (non-blocking); the control line and kernel
 * log left open for the kernel; the ready file and events log for the monitor.
 *
 * Usage:
 *   runu-sandbox --id ID [--tty|--relay-stdin] [--no-aslr] [--cgroup PROCS]... [--join TYPE PATH]...
 *                [--unshare TYPE]... [--bind SRC DST ro|rw]... [--tmpfs DST]... --root DIR
 * --cgroup: a cgroup.procs file of the container's cgroup, joined before anything else.
 * --no-aslr: the kernel runs without address randomisation (its kind asks for it).
 * TYPE is one of net, uts, ipc, mnt. DST is relative to DIR. A new mount
 * namespace is always made, after joining, for the sandbox root.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <unistd.h>

#include "runu-abi.h"
#include "runu-dnsrelay.h"
#include "runu-monitor.h"
#include "runu-stdin.h"

#define MAX_LAUNCH (256 * 1024)

static void fail(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (write(RUNU_FD_STATUS, line, n) < 0 && write(2, line, n) < 0)
		_exit(1);
	_exit(1);
}

/*
 * After "ok" nobody reads the status pipe: a failure to launch goes to the
 * container's stderr, and the container ends with 126 (could not run).
 */
static void give_up(const char *fmt, ...)
{
	va_list ap;

	dprintf(2, "runu-sandbox: ");
	va_start(ap, fmt);
	vdprintf(2, fmt, ap);
	va_end(ap);
	dprintf(2, "\n");
	_exit(126);
}

/* Writing 0 to cgroup.procs moves the writer: every later process of the sandbox is born there. */
static void join_cgroup(const char *procs)
{
	int fd = open(procs, O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, "0", 1) != 1)
		fail("join cgroup %s: %s", procs, strerror(errno));
	close(fd);
}

static int ns_flag(const char *type)
{
	if (!strcmp(type, "net"))
		return CLONE_NEWNET;
	if (!strcmp(type, "uts"))
		return CLONE_NEWUTS;
	if (!strcmp(type, "ipc"))
		return CLONE_NEWIPC;
	if (!strcmp(type, "mnt"))
		return CLONE_NEWNS;
	fail("unknown namespace type %s", type);
	return 0;
}

static void join_ns(const char *type, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		fail("open namespace %s: %s", path, strerror(errno));
	if (setns(fd, ns_flag(type)) < 0)
		fail("join %s namespace %s: %s", type, path, strerror(errno));
	close(fd);
}

static void bind(const char *root, const char *src, const char *dst, int ro)
{
	char target[4096];

	snprintf(target, sizeof(target), "%s/%s", root, dst);
	if (mount(src, target, NULL, MS_BIND | MS_REC, NULL) < 0)
		fail("bind %s to %s: %s", src, target, strerror(errno));
	if (ro && mount(NULL, target, NULL,
			MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID, NULL) < 0)
		fail("make %s read-only: %s", target, strerror(errno));
}

static void tmpfs(const char *root, const char *dst)
{
	char target[4096];

	snprintf(target, sizeof(target), "%s/%s", root, dst);
	if (mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0)
		fail("tmpfs on %s: %s", target, strerror(errno));
}

/* Apply the mount arguments in order; called inside the new mount namespace. */
static void build_root(int argc, char **argv, const char *root)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--bind") && i + 3 < argc) {
			bind(root, argv[i + 1], argv[i + 2], !strcmp(argv[i + 3], "ro"));
			i += 3;
		} else if (!strcmp(argv[i], "--tmpfs") && i + 1 < argc) {
			tmpfs(root, argv[++i]);
		} else if (!strcmp(argv[i], "--join")) {
			i += 2;
		} else if (!strcmp(argv[i], "--root") || !strcmp(argv[i], "--id") ||
			   !strcmp(argv[i], "--unshare") || !strcmp(argv[i], "--cgroup")) {
			i += 1;
		}
	}
}

static void take_terminal(void)
{
	if (setsid() < 0)
		fail("setsid: %s", strerror(errno));
	if (ioctl(0, TIOCSCTTY, 0) < 0)
		fail("make the console the controlling terminal: %s", strerror(errno));
}

/* Block until `runu start` has written the whole launch message and closed. */
static char *read_launch(size_t *len)
{
	char *buf = malloc(MAX_LAUNCH);
	struct pollfd pfd = { .fd = RUNU_FD_LAUNCH, .events = POLLIN };
	size_t used = 0;

	if (!buf)
		give_up("no memory for the launch message");
	for (;;) {
		ssize_t n;

		if (poll(&pfd, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			give_up("wait for the launch message: %s", strerror(errno));
		}
		n = read(RUNU_FD_LAUNCH, buf + used, MAX_LAUNCH - used);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0)
			break;
		used += n;
		if (used == MAX_LAUNCH)
			give_up("the launch message is over %d bytes", MAX_LAUNCH);
	}
	*len = used;
	return buf;
}

/*
 * The launch message is NUL-terminated tokens: the CPU to pin to ("-" for
 * none), the address for the DNS relay in the container's netns ("-" for
 * none), then the kernel's argv, then an empty token as the end mark. A
 * message without the end mark means `runu start` died while writing it.
 */
static void launch(int relay, int tty, int no_aslr, const char *id)
{
	size_t len, count = 0;
	char *msg = read_launch(&len);
	char **argv = calloc(len / 2 + 2, sizeof(char *));
	char *p = msg, *end = msg + len;
	int complete = 0;

	if (!argv)
		give_up("no memory for the kernel's arguments");
	while (p < end) {
		char *tok = p;
		char *nul = memchr(p, '\0', end - p);

		if (!nul)
			break;
		p = nul + 1;
		if (!*tok) {
			complete = 1;
			break;
		}
		argv[count++] = tok;
	}
	if (!complete || count < 3)
		give_up("the launch message is cut short (did runu start die?)");
	if (strcmp(argv[0], "-")) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(atoi(argv[0]), &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
	if (no_aslr && personality(ADDR_NO_RANDOMIZE) < 0)
		give_up("switch address randomisation off: %s", strerror(errno));
	close(RUNU_FD_LAUNCH);
	monitor_start(id);
	if (strcmp(argv[1], "-"))
		if (dns_relay_start(argv[1], "127.0.0.11") < 0)
			give_up("start the DNS relay: %s", strerror(errno));
	if (relay || tty)
		stdin_relay_start(!tty);
	char *envp[] = { "TMPDIR=/tmp", "PATH=/", NULL };
	execve(argv[2], argv + 2, envp);
	dprintf(2, "runu-sandbox: exec %s: %s\n", argv[2], strerror(errno));
	_exit(127);
}

int main(int argc, char **argv)
{
	const char *root = NULL, *id = "?";
	int unshare_flags = 0, tty = 0, relay = 0, no_aslr = 0;
	char byte;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--root") && i + 1 < argc)
			root = argv[++i];
		else if (!strcmp(argv[i], "--id") && i + 1 < argc)
			id = argv[++i];
		else if (!strcmp(argv[i], "--tty"))
			tty = 1;
		else if (!strcmp(argv[i], "--relay-stdin"))
			relay = 1;
		else if (!strcmp(argv[i], "--no-aslr"))
			no_aslr = 1;
		else if (!strcmp(argv[i], "--cgroup") && i + 1 < argc)
			join_cgroup(argv[++i]);
		else if (!strcmp(argv[i], "--join") && i + 2 < argc) {
			join_ns(argv[i + 1], argv[i + 2]);
			i += 2;
		} else if (!strcmp(argv[i], "--unshare") && i + 1 < argc)
			unshare_flags |= ns_flag(argv[++i]);
		else if (!strcmp(argv[i], "--bind") && i + 3 < argc)
			i += 3;
		else if (!strcmp(argv[i], "--tmpfs") && i + 1 < argc)
			i += 1;
		else
			fail("runu-sandbox: bad argument %s", argv[i]);
	}
	if (!root)
		fail("runu-sandbox: --root is required");
	/* The sandbox root's mounts live in a mount namespace of our own. */
	if (unshare(unshare_flags | CLONE_NEWNS) < 0)
		fail("unshare namespaces: %s", strerror(errno));
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		fail("make mounts private: %s", strerror(errno));
	build_root(argc, argv, root);
	if (chroot(root) < 0 || chdir("/") < 0)
		fail("chroot %s: %s", root, strerror(errno));
	if (tty)
		take_terminal();

	if (write(RUNU_FD_STATUS, "ok\n", 3) != 3)
		_exit(1);
	close(RUNU_FD_STATUS);
	if (read(RUNU_FD_COMMIT, &byte, 1) != 1)
		_exit(1);
	close(RUNU_FD_COMMIT);
	launch(relay, tty, no_aslr, id);
	return 1;
}
