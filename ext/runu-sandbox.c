/*
 * runu-sandbox: the host-side process of one runu container.
 *
 * `runu create` spawns it. It joins the container's cgroup, enters or creates
 * the container's namespaces, and forks the init of a new pid namespace, whose
 * host pid it reports and which is the container's pid for the whole life of
 * the container; then it exits. That init builds the sandbox root (a private
 * view holding only the rootfs, the bind mount sources, the kernel and what
 * the kernel needs to run), chroots into it, reports back, and waits for
 * `runu create`, once the network is handed over, to commit it and hand it the
 * kernel's argv through the launch fifo. It then gives up root
 * (runu-privdrop.h) and runs the kernel as its child (run_kernel); the guest
 * boots and waits for `runu start` on its control line.
 *
 * Confinement: hostfs resolves guest paths with host syscalls, so `..` in a
 * hostfs mount option would escape any prefix. The chroot makes the sandbox
 * root the whole host filesystem the kernel can ever see; without privilege
 * it cannot leave it.
 *
 * Fixed descriptors (set up by the caller; runu-abi.h): the status pipe, the
 * commit pipe, the launch fifo (non-blocking); the control line and kernel
 * log left open for the kernel; the ready file and events log for the monitor.
 *
 * Usage:
 *   runu-sandbox --id ID [--ids BASE] [--seccomp NAMES [--seccomp-learn]] [--log-json]
 *                [--tty|--relay-stdin] [--no-aslr] [--emulator [--debug-exit]] [--cgroup PROCS]...
 *                [--join TYPE PATH]... [--unshare TYPE]... [--bind SRC DST HOW]... [--tmpfs DST]...
 *                [--proc DST]... [--enter SUB]
 *                [--overlay DST LOWER[:LOWER]... UPPER WORKNAME ro|rw] [--device HOST_PATH DST]...
 *                --root DIR | --more-args
 * --ids: the container's host id range (runu-privdrop.h); 0 maps the namespace's ids onto the
 *   host's same ones (for files no idmapped mount can serve). Without it the kernel stays root.
 * --seccomp: the system calls the sandbox may make (runu-seccomp.h), comma-separated;
 *   --seccomp-learn lets every call through and records it instead. --log-json: the runtime
 *   log (if open, RUNU_FD_RUNTIME_LOG) is JSON lines.
 * --cgroup: a cgroup.procs file of the container's cgroup, joined before anything else.
 * --more-args (last): the other arguments, and the descriptors that depend on them, follow on
 *   RUNU_FD_ARGS (see with_more_args).
 * --no-aslr: the kernel runs without address randomisation (its kind asks for it).
 * --emulator: the kernel runs in an emulator (QEMU). It does not end with the
 *   guest's status but writes it to RUNU_FD_EXIT, and the sandbox's init ends with
 *   that. Its lines both ways are sockets, one descriptor each (an emulator's
 *   channel takes one): the control line's at RUNU_FD_READY, the monitor relaying
 *   the control fifo into it; framed stdin's at 0, with the go-ahead on it too. A
 *   terminal needs no relay: the emulator polls it. The emulator's copies of 0, 1,
 *   2 are at RUNU_FD_EMULATOR_STDIO and on (QEMU takes no standard stream into its
 *   descriptor sets).
 * --debug-exit: the emulator's own status is the guest's through an isa-debug-exit
 *   device, (code << 1) | 1 (a unikernel writes its status there).
 * --proc: a proc of the sandbox's own pid namespace at DST (an emulator's 9p server
 *   changes modes through /proc/self/fd).
 * --enter: the kernel's root is DIR's directory SUB (the lkl kind: the program runs on the
 *   host, in the rootfs at SUB, with its mounts under it). A bind whose target is missing
 *   (one on a tmpfs made here) gets its mountpoint made.
 * HOW is ro or rw, with ",idmap" for the container's own files. TYPE is one of
 * net, uts, ipc, mnt. DST is relative to DIR. A new mount namespace is always
 * made, after joining, for the sandbox root.
 *
 * Status lines: "pid N" (the container's pid), then "ok" or one line of error.
 *
 * For a container of a pod, whose processes run in the pod's sandbox:
 *   runu-sandbox --attach POD_PID --ids BASE [--bind ...]... [--overlay ...] [--tmpfs DST] --root DIR
 *     mounts as above, in the mount namespace of the pod's init (POD_PID on the host) and
 *     idmapped through its user namespace; DIR is a directory of the pod's sandbox root.
 *   runu-sandbox --detach POD_PID DIR
 *     takes them away again (DIR and everything mounted under it).
 * Errors are one line on stderr, and exit status 1.
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
#include <linux/securebits.h>
#include <sys/fsuid.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/openat2.h>
#include <termios.h>
#include <unistd.h>

#include "runu-abi.h"
#include "runu-dnsrelay.h"
#include "runu-monitor.h"
#include "runu-privdrop.h"
#include "runu-seccomp.h"
#include "runu-stdin.h"

#define MAX_LAUNCH (256 * 1024)
#define MAX_PASSED_FDS 32  /* with_more_args: the standard streams and RUNU_FD_ numbers */

/* How the kernel runs (the options above). */
struct kernel_run {
	int tty, relay, no_aslr;
	int emulator, debug_exit;  /* --emulator, --debug-exit */
	const char *enter;  /* --enter */
};

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

/*
 * Where DST (relative to root) is, in `target`. Under --enter's directory it is resolved as the
 * program there will see it, symlinks in the rootfs staying inside it (RESOLVE_IN_ROOT), and
 * `target` is the magic link of an O_PATH descriptor, returned for the caller to close once
 * mounted (else -1). With `src`, a missing mountpoint for its bind is made first (a directory
 * for a directory, else an empty file), as runc makes them.
 */
static int mount_target(const char *root, const char *enter, const char *dst, const char *src,
			char *target, size_t size)
{
	struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT };
	size_t enter_len = enter ? strlen(enter) : 0;
	const char *rel = dst + enter_len + 1, *base;
	char dir[4096], parent[4096];
	struct stat st;
	int top, at, fd;

	if (!enter || strncmp(dst, enter, enter_len) || dst[enter_len] != '/') {
		snprintf(target, size, "%s/%s", root, dst);
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s/%s", root, enter);
	if ((top = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		fail("open %s: %s", dir, strerror(errno));
	/* Each missing component, in the directory it resolves to: a directory but for a file's last. */
	for (size_t done = 0, len; src && done < strlen(rel); done = len + 1) {
		const char *slash = strchr(rel + done, '/');
		int is_dir = 1;

		len = slash ? (size_t)(slash - rel) : strlen(rel);
		snprintf(parent, sizeof(parent), "%.*s", (int)len, rel);
		if ((fd = syscall(SYS_openat2, top, parent, &how, sizeof(how))) >= 0) {
			close(fd);
			continue;
		}
		base = strrchr(parent, '/');
		snprintf(dir, sizeof(dir), "%.*s", base ? (int)(base - parent) : 1, base ? parent : ".");
		base = base ? base + 1 : parent;
		if (errno != ENOENT || (at = syscall(SYS_openat2, top, dir, &how, sizeof(how))) < 0)
			fail("mountpoint /%s: %s", parent, strerror(errno));
		if (!slash) {
			if (stat(src, &st) < 0)
				fail("bind source %s: %s", src, strerror(errno));
			is_dir = S_ISDIR(st.st_mode);
		}
		if (is_dir ? mkdirat(at, base, 0755) < 0
		    : (fd = openat(at, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644)) < 0 || close(fd) < 0)
			fail("mountpoint /%s: %s", parent, strerror(errno));
		close(at);
	}
	if ((fd = syscall(SYS_openat2, top, rel, &how, sizeof(how))) < 0)
		fail("mountpoint /%s in the rootfs: %s", rel, strerror(errno));
	close(top);
	snprintf(target, size, "/proc/self/fd/%d", fd);
	return fd;
}

static void bind_mount(const char *root, const char *src, const char *dst, const char *how, int userns, const char *enter)
{
	char target[4096];
	int ro = !strncmp(how, "ro", 2);
	int resolved = mount_target(root, enter, dst, src, target, sizeof(target));

	if (strstr(how, ",idmap") && userns >= 0) {
		/* The container's own files: owned through its id range (runu-privdrop.h). */
		if (idmapped_bind(src, resolved >= 0 ? resolved : AT_FDCWD, resolved >= 0 ? "" : target, ro, userns) < 0)
			fail("bind %s to %s idmapped (its filesystem must support idmapped mounts): %s",
			     src, dst, strerror(errno));
	} else {
		if (mount(src, target, NULL, MS_BIND | MS_REC, NULL) < 0)
			fail("bind %s to %s: %s", src, dst, strerror(errno));
		if (resolved >= 0) {
			/* A descriptor of the mountpoint is what is under the bind: the remount wants the bind. */
			close(resolved);
			resolved = mount_target(root, enter, dst, NULL, target, sizeof(target));
		}
		if (ro && mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID, NULL) < 0)
			fail("make %s read-only: %s", dst, strerror(errno));
	}
	if (resolved >= 0)
		close(resolved);
}

/* A bind source cloned before entering the pod's mount namespace (attach mode). */
static void attach_tree(const char *root, int tree, const char *src, const char *dst, const char *how, int userns)
{
	char target[4096];

	snprintf(target, sizeof(target), "%s/%s", root, dst);
	if (idmapped_attach(tree, AT_FDCWD, target, !strncmp(how, "ro", 2), strstr(how, ",idmap") ? userns : -1) < 0)
		fail("bind %s to %s in the pod's sandbox: %s", src, target, strerror(errno));
	close(tree);
}

/*
 * The rootfs as an overlay of idmapped layers (this kernel idmaps layers, not a merged
 * overlay): each lower at DIR/layers/N, and the directory holding the upper and work
 * directories (they must share a mount) at DIR/layers/upper. Read-only: no upper layer, the
 * old upper becomes the top lower one.
 */
static void overlay(const char *root, const char *dst, char *lowers, const char *upper, const char *work,
		    int ro, int userns, unsigned int host_ids)
{
	char target[4096], parent[4096], options[8192];
	const char *upper_name = strrchr(upper, '/');
	size_t used;
	int n = 0;

	if (userns < 0 || !upper_name)
		fail("overlay rootfs %s: needs --ids and an absolute upper directory", upper);
	snprintf(parent, sizeof(parent), "%.*s", (int)(upper_name - upper), upper);
	snprintf(target, sizeof(target), "%s/layers/upper", root);
	if (idmapped_bind(parent, AT_FDCWD, target, ro, userns) < 0)
		fail("bind %s to %s idmapped: %s", parent, target, strerror(errno));
	used = ro ? (size_t)snprintf(options, sizeof(options), "lowerdir=layers/upper%s", upper_name)
		  : (size_t)snprintf(options, sizeof(options), "upperdir=layers/upper%s,workdir=layers/upper/%s,lowerdir=",
				     upper_name, work);
	for (char *save = NULL, *lower = strtok_r(lowers, ":", &save); lower; lower = strtok_r(NULL, ":", &save)) {
		snprintf(target, sizeof(target), "%s/layers/%d", root, n);
		if (idmapped_bind(lower, AT_FDCWD, target, 1, userns) < 0)
			fail("bind layer %s to %s idmapped: %s", lower, target, strerror(errno));
		used += snprintf(options + used, sizeof(options) - used, "%slayers/%d",
				 ro || n ? ":" : "", n);
		n++;
		if (used >= sizeof(options))
			fail("overlay rootfs: %d layers are too many", n);
	}
	if (!n && !ro)
		fail("overlay rootfs %s has no lower layer", upper);
	/* Layer paths relative to the sandbox root keep the options short. */
	snprintf(target, sizeof(target), "%s/%s", root, dst);
	if (chdir(root) < 0)
		fail("chdir %s: %s", root, strerror(errno));
	/* Overlay writes its upper layer with the mounter's credentials: mount as the sandbox's
	 * host ids (capabilities kept), which the idmapped upper maps back to on-disk owners. */
	if (prctl(PR_SET_SECUREBITS, SECBIT_NO_SETUID_FIXUP, 0, 0, 0) < 0)
		fail("keep capabilities across setfsuid: %s", strerror(errno));
	setfsgid(host_ids);
	setfsuid(host_ids);
	if (mount("overlay", target, "overlay", MS_NOSUID | MS_NODEV | (ro ? MS_RDONLY : 0), options) < 0)
		fail("mount the rootfs overlay on %s (%s): %s", target, options, strerror(errno));
	setfsuid(0);
	setfsgid(0);
	if (prctl(PR_SET_SECUREBITS, 0, 0, 0, 0) < 0)
		fail("restore secure bits: %s", strerror(errno));
}

/* A node of the host's device `host_path` for the sandbox's user alone, on a tmpfs of its own
 * at the target's directory (the state directory may be mounted nodev). A later device whose
 * directory is under an earlier one's tmpfs (dev/kvm, then dev/net/tun) goes on that tmpfs. */
static void device(const char *root, const char *host_path, const char *dst, unsigned int host_ids,
		   const char *enter)
{
	static char made[4096];  /* the last device tmpfs, relative to root */
	static int made_fd = -1;  /* and that tmpfs, open (O_PATH) */
	char dir[4096], target[4096];
	size_t made_len = strlen(made);
	const char *name = strrchr(dst, '/'), *in_made;
	struct stat st;
	int resolved;

	if (stat(host_path, &st) < 0 || !S_ISCHR(st.st_mode))
		fail("device %s: %s", host_path, S_ISCHR(st.st_mode) ? strerror(errno) : "not a character device");
	snprintf(dir, sizeof(dir), "%.*s", (int)(name - dst), dst);
	if (made_len && !strncmp(dst, made, made_len) && dst[made_len] == '/') {
		in_made = dst + made_len + 1;
		snprintf(target, sizeof(target), "%.*s", (int)(name - in_made), in_made);
		if (name > in_made && mkdirat(made_fd, target, 0755) < 0 && errno != EEXIST)
			fail("directory for device %s: %s", dst, strerror(errno));
	} else {
		resolved = mount_target(root, enter, dir, NULL, target, sizeof(target));
		if (mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NOEXEC, "size=4k,mode=0755") < 0)
			fail("tmpfs for device %s on %s: %s", host_path, dir, strerror(errno));
		if (resolved >= 0)
			close(resolved);
		if (made_fd >= 0)
			close(made_fd);
		/* Resolved again: a descriptor of the mountpoint would be the directory under the tmpfs. */
		made_fd = mount_target(root, enter, dir, NULL, target, sizeof(target));
		if (made_fd < 0 && (made_fd = open(target, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
			fail("tmpfs for device %s on %s: %s", host_path, dir, strerror(errno));
		snprintf(made, sizeof(made), "%s", dir);
		in_made = name + 1;
	}
	if (mknodat(made_fd, in_made, S_IFCHR | 0600, st.st_rdev) < 0 ||
	    fchownat(made_fd, in_made, host_ids, host_ids, AT_SYMLINK_NOFOLLOW) < 0)
		fail("device node %s: %s", dst, strerror(errno));
}

static void tmpfs(const char *root, const char *dst, unsigned int host_ids, const char *enter)
{
	char target[4096], options[64];
	/* A missing mountpoint (under --enter) is made as a directory, as for a bind of one. */
	int resolved = mount_target(root, enter, dst, "/", target, sizeof(target));

	/* Owned by the sandbox's root, writable by nobody else. */
	snprintf(options, sizeof(options), "mode=0700,uid=%u,gid=%u", host_ids, host_ids);
	if (mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, options) < 0)
		fail("tmpfs on %s: %s", dst, strerror(errno));
	if (resolved >= 0)
		close(resolved);
}

static void proc(const char *root, const char *dst, const char *enter)
{
	char target[4096];
	int resolved = mount_target(root, enter, dst, NULL, target, sizeof(target));

	if (mount("proc", target, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		fail("proc on %s: %s", dst, strerror(errno));
	if (resolved >= 0)
		close(resolved);
}

/* Apply the mount arguments in order; called inside the new mount namespace. */
static void build_root(int argc, char **argv, const char *root, int userns, unsigned int host_ids,
		       const int *trees, const char *enter)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--bind") && i + 3 < argc) {
			if (trees)
				attach_tree(root, trees[i], argv[i + 1], argv[i + 2], argv[i + 3], userns);
			else
				bind_mount(root, argv[i + 1], argv[i + 2], argv[i + 3], userns, enter);
			i += 3;
		} else if (!strcmp(argv[i], "--overlay") && i + 5 < argc) {
			overlay(root, argv[i + 1], argv[i + 2], argv[i + 3], argv[i + 4], !strcmp(argv[i + 5], "ro"),
				userns, host_ids);
			i += 5;
		} else if (!strcmp(argv[i], "--device") && i + 2 < argc) {
			device(root, argv[i + 1], argv[i + 2], host_ids, enter);
			i += 2;
		} else if (!strcmp(argv[i], "--tmpfs") && i + 1 < argc) {
			tmpfs(root, argv[++i], host_ids, enter);
		} else if (!strcmp(argv[i], "--proc") && i + 1 < argc) {
			proc(root, argv[++i], enter);
		} else if (!strcmp(argv[i], "--join")) {
			i += 2;
		} else if (!strcmp(argv[i], "--root") || !strcmp(argv[i], "--id") ||
			   !strcmp(argv[i], "--unshare") || !strcmp(argv[i], "--cgroup") ||
			   !strcmp(argv[i], "--ids") || !strcmp(argv[i], "--seccomp") || !strcmp(argv[i], "--enter")) {
			i += 1;
		}
	}
}

/*
 * Block until `runu create` has written a whole message to `fd` and closed it: NUL-terminated
 * words ended by an empty word. A message without that end mark means runu create died while
 * writing it. Returns the words, NULL-terminated, and their count in *count.
 */
static char **read_words(int fd, const char *what, size_t *count)
{
	char *buf = malloc(MAX_LAUNCH);
	char **words, *p, *end;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t used = 0;

	if (!buf)
		give_up("no memory for the %s", what);
	for (;;) {
		ssize_t n;

		if (poll(&pfd, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			give_up("wait for the %s: %s", what, strerror(errno));
		}
		n = read(fd, buf + used, MAX_LAUNCH - used);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0)
			break;
		used += n;
		if (used == MAX_LAUNCH)
			give_up("the %s is over %d bytes", what, MAX_LAUNCH);
	}
	words = calloc(used / 2 + 2, sizeof(char *));
	if (!words)
		give_up("no memory for the %s", what);
	*count = 0;
	for (p = buf, end = buf + used; p < end; ) {
		char *nul = memchr(p, '\0', end - p);

		if (!nul)
			break;
		if (nul == p)
			return words;  /* the end mark */
		words[(*count)++] = p;
		p = nul + 1;
	}
	give_up("the %s is cut short (did runu create die?)", what);
	return NULL;
}

/*
 * With a terminal, the kernel leads the terminal's session. UML starts with setsid() and then
 * asks whether it is the terminal's foreground; as a member of the init's session its setsid
 * would leave it without a terminal, and UML would fall back to a SIGWINCH helper that cannot
 * take the terminal either and whose failure path closes its pipe before freeing the pipe's
 * irq: the next file the guest opens (eth0's tap, a console line) can get that number and fail
 * with EALREADY. The init only leaves its caller's session, so the terminal stays free for it.
 */
static void lead_terminal_session(void)
{
	if (setsid() < 0 || ioctl(1, TIOCSCTTY, 0) < 0) {
		dprintf(2, "runu-sandbox: make the console the kernel's terminal: %s\n", strerror(errno));
		_exit(126);
	}
}

/*
 * What the guest wrote on the exit line (a number, 128+N for signal N). Without one: with
 * debug_exit, the code an isa-debug-exit device gave the emulator ((code << 1) | 1; a plain
 * 0 is the emulator asked to quit); else the guest ended early (a panic, say): its emulator's
 * failure, or 126 if that says nothing.
 */
static int guest_status(int line, int emulator_status, int debug_exit)
{
	char buf[16];
	ssize_t n = read(line, buf, sizeof(buf) - 1);

	if ((n <= 0 || buf[0] < '0' || buf[0] > '9') && debug_exit)
		return emulator_status & 1 ? emulator_status >> 1 : emulator_status;
	if (n <= 0 || buf[0] < '0' || buf[0] > '9')
		return emulator_status ? emulator_status : 126;
	buf[n] = '\0';
	return atoi(buf) & 0xff;
}

static volatile sig_atomic_t resized, quit_signal;

static void on_resize(int signum)
{
	(void)signum;
	resized = 1;
}

static void on_quit(int signum)
{
	quit_signal = signum;
}

/*
 * A unikernel has no process to take a signal: TERM, INT, HUP and QUIT come to the sandbox's
 * init instead (runu kill sends them here), which ends the emulator (QEMU quits on TERM) and
 * the container with 128+N, as they end a process that does not handle them.
 */
static void take_quit_signals(void)
{
	static const int quits[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT };
	struct sigaction sa = { .sa_handler = on_quit };  /* no SA_RESTART: the wait sees it */

	for (size_t i = 0; i < sizeof(quits) / sizeof(quits[0]); i++)
		if (sigaction(quits[i], &sa, NULL) < 0)
			give_up("take signal %d: %s", quits[i], strerror(errno));
}

/*
 * An emulator does not follow its terminal's size: the sandbox's init leads the terminal's
 * session instead (so the resize signal comes to it) and tells the guest each new size on its
 * control line, through the control fifo (RUNU_FD_CONTROL_WRITER).
 */
static void lead_terminal_for_emulator(void)
{
	struct sigaction sa = { .sa_handler = on_resize };  /* no SA_RESTART: the wait sees it */
	struct termios raw;

	if (ioctl(0, TIOCSCTTY, 0) < 0 || sigaction(SIGWINCH, &sa, NULL) < 0)
		give_up("make the terminal the sandbox's: %s", strerror(errno));
	/* The guest's terminal edits and echoes lines; the host's passes bytes (as UML sets it). */
	if (tcgetattr(0, &raw) == 0) {
		cfmakeraw(&raw);
		tcsetattr(0, TCSANOW, &raw);
	}
}

static void tell_terminal_size(int terminal, int control)
{
	struct winsize ws;

	if (ioctl(terminal, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col)
		dprintf(control, RUNU_CONTROL_WINSIZE " %u %u\n", ws.ws_row, ws.ws_col);
}

/*
 * The kernel runs as a child of the sandbox's init, which stays, reaps, and ends with the
 * kernel's status (128+N for a signal). The kernel must not be the init itself: a pid
 * namespace's init ignores the signals it sends itself, and a panicking UML kernel aborts by
 * sending itself SIGABRT until it dies (it would spin for ever).
 */
static void run_kernel(char **kernel_argv, const struct kernel_run *run)
{
	int tty = run->tty, exit_line = run->emulator;

	char *envp[] = { "TMPDIR=/tmp", "PATH=/", NULL };
	int status, quitting = 0, line[2] = { -1, -1 };
	pid_t kernel, ended;

	if (exit_line && pipe2(line, O_CLOEXEC) < 0)
		give_up("the exit line: %s", strerror(errno));
	if (tty && exit_line)
		lead_terminal_for_emulator();
	if (run->debug_exit)
		take_quit_signals();
	if ((kernel = fork()) < 0)
		give_up("fork the kernel: %s", strerror(errno));
	if (kernel == 0) {
		if (tty && !exit_line)
			lead_terminal_session();
		close(RUNU_FD_CONTROL_WRITER);
		if (exit_line && (dup2(line[1], RUNU_FD_EXIT) < 0 || dup2(0, RUNU_FD_EMULATOR_STDIO) < 0 ||
				  dup2(1, RUNU_FD_EMULATOR_STDIO + 1) < 0 || dup2(2, RUNU_FD_EMULATOR_STDIO + 2) < 0))
			_exit(126);
		execve(kernel_argv[0], kernel_argv, envp);
		dprintf(2, "runu-sandbox: exec %s: %s\n", kernel_argv[0], strerror(errno));
		_exit(127);
	}
	/* Hold nothing of the container's (its pipes close when the kernel's copies do) but the
	 * exit line as fd 0 and, for an emulator's terminal, the terminal and the control fifo as
	 * 1 and 2. */
	if (exit_line && dup2(line[0], 0) < 0)
		_exit(126);
	if (tty && exit_line && dup2(RUNU_FD_CONTROL_WRITER, 2) < 0)
		_exit(126);
	close_range(tty && exit_line ? 3 : exit_line, ~0U, 0);
	if (tty && exit_line)
		tell_terminal_size(1, 2);  /* as it is now, if the caller sized it before start */
	for (;;) {
		ended = waitpid(-1, &status, 0);
		if (ended == kernel)
			break;
		if (ended < 0 && errno != EINTR)
			_exit(126);
		if (resized) {
			resized = 0;
			tell_terminal_size(1, 2);
		}
		if (quit_signal && !quitting) {
			quitting = quit_signal;
			kill(kernel, SIGTERM);
		}
	}
	if (quitting)
		_exit(128 + quitting);
	status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	_exit(exit_line ? guest_status(0, status, run->debug_exit) : status);
}

/*
 * The launch message is NUL-terminated tokens: the CPU to pin to ("-" for
 * none), the address for the DNS relay in the container's netns ("-" for
 * none), then the kernel's argv, then an empty token as the end mark. A
 * message without the end mark means `runu create` died while writing it.
 */
static void launch(const struct kernel_run *run, int userns, const char *allowed, int warden)
{
	size_t count;
	char **argv = read_words(RUNU_FD_LAUNCH, "launch message", &count);
	int dns_listener = -1;
	const char *failed;

	if (count < 3)
		give_up("the launch message is cut short (did runu create die?)");
	if (strcmp(argv[0], "-")) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(atoi(argv[0]), &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
	if (run->no_aslr && personality(ADDR_NO_RANDOMIZE) < 0)
		give_up("switch address randomisation off: %s", strerror(errno));
	close(RUNU_FD_LAUNCH);
	/* Port 53 needs privilege: bound now, relayed by an unprivileged child below. */
	if (strcmp(argv[1], "-") && (dns_listener = dns_relay_listen(argv[1])) < 0)
		give_up("listen for DNS on %s: %s", argv[1], strerror(errno));
	/* The last privileged step: from here on the sandbox is its own unprivileged user. */
	if (userns >= 0 && (failed = enter_sandbox_user(userns)))
		give_up("%s: %s", failed, strerror(errno));
	/* Before any helper forks: the kernel, its helpers and its stubs all live under it. */
	if (allowed) {
		int listener = seccomp_confine(allowed, &failed);

		if (listener < 0)
			give_up("%s: %s", failed, strerror(errno));
		monitor_hand_listener(warden, listener);
	}
	close(warden);
	if (dns_listener >= 0 && dns_relay_start(dns_listener, "127.0.0.11") < 0)
		give_up("start the DNS relay: %s", strerror(errno));
	/* A program on the host (--enter) reads its stdin, or its terminal, itself. */
	if (!run->enter && (run->relay || (run->tty && !run->emulator)))
		stdin_relay_start(!run->tty, run->emulator);
	monitor_launched();
	run_kernel(argv + 2, run);
}

/*
 * The sandbox's init: in the new pid namespace (pid 1 there), it builds the sandbox root,
 * reports "ok", waits for the commit and the launch message, and becomes the kernel.
 */
static void sandbox_init(int argc, char **argv, const char *root, const struct kernel_run *run,
			 unsigned int host_ids, int userns, const char *allowed, int warden)
{
	char byte;

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		fail("make mounts private: %s", strerror(errno));
	build_root(argc, argv, root, userns, host_ids, NULL, run->enter);
	if (chroot(root) < 0 || chdir("/") < 0)
		fail("chroot %s: %s", root, strerror(errno));
	if (run->enter && (chroot(run->enter) < 0 || chdir("/") < 0))
		fail("chroot %s/%s: %s", root, run->enter, strerror(errno));
	if (run->tty && setsid() < 0)
		fail("setsid: %s", strerror(errno));

	if (write(RUNU_FD_STATUS, "ok\n", 3) != 3)
		_exit(1);
	close(RUNU_FD_STATUS);
	if (read(RUNU_FD_COMMIT, &byte, 1) != 1)
		_exit(1);
	close(RUNU_FD_COMMIT);
	launch(run, userns, allowed, warden);
}

static int pod_namespace(const char *pod_pid, const char *type, int flags)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%s/ns/%s", pod_pid, type);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		fail("the pod's sandbox (pid %s): %s", pod_pid, strerror(errno));
	if (flags && setns(fd, flags) < 0)
		fail("enter the pod's %s namespace: %s", type, strerror(errno));
	return fd;
}

static int pod_mounts(int argc, char **argv)
{
	const char *root = NULL;
	unsigned int host_ids = 0;
	int userns, *trees;

	if (!strcmp(argv[1], "--detach")) {
		if (argc != 4)
			fail("usage: runu-sandbox --detach POD_PID DIR");
		close(pod_namespace(argv[2], "mnt", CLONE_NEWNS));
		if (umount2(argv[3], MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
			fail("unmount %s in the pod's sandbox: %s", argv[3], strerror(errno));
		return 0;
	}
	for (int i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--root") && i + 1 < argc)
			root = argv[++i];
		else if (!strcmp(argv[i], "--ids") && i + 1 < argc)
			host_ids = strtoul(argv[++i], NULL, 10);
	}
	if (!root)
		fail("runu-sandbox --attach: no --root");
	/* Bind sources are the host's, some of them mounts made after the pod's namespace was (a
	 * sandbox's shm, say): cloned here, before entering it. */
	trees = calloc(argc, sizeof(int));
	for (int i = 3; trees && i + 3 < argc; i++) {
		if (strcmp(argv[i], "--bind"))
			continue;
		if ((trees[i] = open_tree(AT_FDCWD, argv[i + 1], OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC)) < 0)
			fail("bind %s: %s", argv[i + 1], strerror(errno));
		i += 3;
	}
	if (!trees)
		fail("no memory");
	userns = pod_namespace(argv[2], "user", 0);
	close(pod_namespace(argv[2], "mnt", CLONE_NEWNS));
	build_root(argc, argv, root, userns, host_ids, trees, NULL);
	return 0;
}

/* What the command line says (the usage above). */
struct options {
	const char *root, *allowed;
	int unshare_flags, has_ids, more_args;
	struct kernel_run run;
	struct monitor_setup monitor;
};

/* Reads argv[from..argc): options that act at once (joining a cgroup or a namespace) act in order. */
static void parse_options(int from, int argc, char **argv, struct options *o)
{
	for (int i = from; i < argc; i++) {
		if (!strcmp(argv[i], "--root") && i + 1 < argc)
			o->root = argv[++i];
		else if (!strcmp(argv[i], "--id") && i + 1 < argc)
			o->monitor.container_id = argv[++i];
		else if (!strcmp(argv[i], "--ids") && i + 1 < argc)
			o->monitor.host_ids = strtoul(argv[++i], NULL, 10), o->has_ids = 1;
		else if (!strcmp(argv[i], "--seccomp") && i + 1 < argc)
			o->allowed = argv[++i];
		else if (!strcmp(argv[i], "--seccomp-learn"))
			o->monitor.learn = 1;
		else if (!strcmp(argv[i], "--log-json"))
			o->monitor.log_json = 1;
		else if (!strcmp(argv[i], "--tty"))
			o->run.tty = 1;
		else if (!strcmp(argv[i], "--relay-stdin"))
			o->run.relay = 1;
		else if (!strcmp(argv[i], "--no-aslr"))
			o->run.no_aslr = 1;
		else if (!strcmp(argv[i], "--cgroup") && i + 1 < argc)
			join_cgroup(argv[++i]);
		else if (!strcmp(argv[i], "--join") && i + 2 < argc) {
			join_ns(argv[i + 1], argv[i + 2]);
			i += 2;
		} else if (!strcmp(argv[i], "--unshare") && i + 1 < argc)
			o->unshare_flags |= ns_flag(argv[++i]);
		else if (!strcmp(argv[i], "--bind") && i + 3 < argc)
			i += 3;
		else if (!strcmp(argv[i], "--overlay") && i + 5 < argc)
			i += 5;
		else if (!strcmp(argv[i], "--device") && i + 2 < argc)
			i += 2;
		else if ((!strcmp(argv[i], "--tmpfs") || !strcmp(argv[i], "--proc")) && i + 1 < argc)
			i += 1;
		else if (!strcmp(argv[i], "--emulator"))
			o->run.emulator = o->monitor.relay_control = 1;
		else if (!strcmp(argv[i], "--debug-exit"))
			o->run.debug_exit = 1;
		else if (!strcmp(argv[i], "--enter") && i + 1 < argc)
			o->run.enter = argv[++i];
		else if (!strcmp(argv[i], "--more-args") && i == argc - 1 && !o->more_args)
			o->more_args = 1;
		else
			fail("runu-sandbox: bad argument %s", argv[i]);
	}
}

/*
 * --more-args, first: the descriptors that depend on what runu create works out after starting
 * us (the sandbox kind's channels, the standard streams), in one message on RUNU_FD_ARGS (a
 * SOCK_SEQPACKET socket), its text the number each one takes, comma-separated, in order.
 */
static void take_fds(int sock)
{
	char targets[256], *word, *rest;
	union {
		char buf[CMSG_SPACE(MAX_PASSED_FDS * sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = targets, .iov_len = sizeof(targets) - 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = control.buf, .msg_controllen = sizeof(control.buf) };
	struct cmsghdr *cmsg;
	int fds[MAX_PASSED_FDS], count = 0, placed = 0;
	ssize_t n;

	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		fail("the sandbox's descriptors never came (did runu create die?)");
	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg))
		if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS) {
			count = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			memcpy(fds, CMSG_DATA(cmsg), count * sizeof(int));
		}
	if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
		fail("more than %d descriptors passed to the sandbox", MAX_PASSED_FDS);
	/* Moved above every number they go to, so that placing one never closes another. */
	for (int i = 0; i < count; i++) {
		int high = fcntl(fds[i], F_DUPFD_CLOEXEC, 100);

		if (high < 0)
			fail("the sandbox's descriptors: %s", strerror(errno));
		close(fds[i]);
		fds[i] = high;
	}
	targets[n] = 0;
	for (word = strtok_r(targets, ",", &rest); word; word = strtok_r(NULL, ",", &rest)) {
		if (placed == count || dup2(fds[placed], atoi(word)) < 0)
			fail("the sandbox's descriptor %s: %s", word, placed == count ? "not passed" : strerror(errno));
		close(fds[placed++]);
	}
	if (placed != count)
		fail("%d descriptors passed to the sandbox, %d placed", count, placed);
}

/*
 * --more-args (last): the descriptors (take_fds), then the rest of the arguments come on
 * RUNU_FD_ARGS, as words like the launch message's, once runu create has worked them out. The
 * cgroups named before it are joined meanwhile: a first move into a cgroup waits out an RCU
 * grace period (about 10 ms here).
 */
static char **with_more_args(int *argc, char **argv)
{
	size_t count;
	char **more, **all;

	take_fds(RUNU_FD_ARGS);
	more = read_words(RUNU_FD_ARGS, "rest of the arguments", &count);
	all = calloc(*argc + count + 1, sizeof(char *));
	close(RUNU_FD_ARGS);
	if (!all)
		give_up("no memory for the arguments");
	memcpy(all, argv, (*argc - 1) * sizeof(char *));  /* without --more-args */
	memcpy(all + *argc - 1, more, count * sizeof(char *));
	*argc += count - 1;
	return all;
}

int main(int argc, char **argv)
{
	if (argc > 2 && (!strcmp(argv[1], "--attach") || !strcmp(argv[1], "--detach")))
		return pod_mounts(argc, argv);

	struct options o = { .monitor = { .container_id = "?" } };
	int userns = -1, warden;
	pid_t init;

	parse_options(1, argc, argv, &o);
	if (o.more_args) {
		int first = argc - 1;

		argv = with_more_args(&argc, argv);
		parse_options(first, argc, argv, &o);
	}
	if (!o.root)
		fail("runu-sandbox: --root is required");
	/* Made here, in the host's pid namespace, where /proc names its maker. */
	if (o.has_ids && (userns = sandbox_userns(o.monitor.host_ids)) < 0)
		fail("make the sandbox's user namespace (ids %u..): %s", o.monitor.host_ids, strerror(errno));
	/* Forked before the pid namespace exists: it stays in the host's, and outlives the kernel. */
	warden = monitor_start(&o.monitor);
	/* The sandbox root's mounts live in a mount namespace of our own; the kernel is the init
	 * of a pid namespace of its own, so it sees no host process. */
	if (unshare(o.unshare_flags | CLONE_NEWNS | CLONE_NEWPID) < 0)
		fail("unshare namespaces: %s", strerror(errno));
	init = fork();
	if (init < 0)
		fail("fork the sandbox's init: %s", strerror(errno));
	if (init == 0)
		sandbox_init(argc, argv, o.root, &o.run, o.monitor.host_ids, userns, o.allowed, warden);
	/* The caller learns the container's pid (the init's, on the host) and reaps us. */
	monitor_tell_kernel(warden, init);
	dprintf(RUNU_FD_STATUS, "pid %d\n", init);
	return 0;
}
