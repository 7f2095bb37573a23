/*
 * runu-init: pid 1 inside a runu sandbox kernel.
 *
 * It lives in a tiny initramfs, so the container's rootfs is never written to
 * for it. It reads the container's process description from the sandbox's
 * hostfs (/meta/process, written by runu), mounts the rootfs and the spec's
 * mounts, configures the network the host handed over (/meta/network),
 * says "ready" and waits for the host's "start" on the control line (the
 * kernel boots at create; with runu.network=control it boots before the
 * network is handed over, and waits for the host's "network" line before it
 * reads /meta/network), starts the container's process, forwards signals
 * that the host sends on the control line, reaps every orphan, and finally hands the process's exit
 * status to the host (128+N for death by signal N) and ends the guest.
 *
 * How it reaches the host is its sandbox kind's to say, on the kernel command
 * line: runu.lines=DEV,... the devices of its channels (stdout or terminal,
 * stderr, control, stdin: runu-abi.h's order) and runu.fs=TYPE, the
 * filesystem the host's files arrive through (/meta, the rootfs, binds):
 * hostfs mounts a host path by name; 9p (a VM) exports the sandbox root once,
 * mounted at /host, and a host path is a bind of its place there. runu.exit=DEV
 * takes the exit status (UML: /proc/exitcode, its own exit status; a VM: a
 * port), and runu.halt=reboot ends a guest that cannot power off (an x86
 * microvm without ACPI; the emulator runs with -no-reboot).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include <linux/capability.h>

#include "runu-abi.h"
#include "runu-agent.h"
#include "runu-control.h"
#include "runu-fail.h"
#include "runu-firewall.h"
#include "runu-net.h"
#include "runu-outrelay.h"
#include "runu-rootfs.h"
#include "runu-stdin.h"
#include "runu-tokens.h"


/*
 * Lists of the description are as long as it says: the only bound on args and
 * env is the kernel's (ARG_MAX at exec), on groups NGROUPS_MAX at setgroups.
 * Each list ends with a NULL, as exec wants it.
 */
struct process {
	char **args, **env;
	int nargs, nenv;
	const char *cwd, *hostname;
	uid_t uid;
	gid_t gid, *groups;
	int ngroups, terminal, readonly, no_new_privs;
	int stderr_to_stdout;     /* the host's stdout and stderr are one: so are the process's */
	long umask_value;
	unsigned long long caps[5]; /* bounding effective permitted inheritable ambient */
	int have_caps;
	int new_namespaces;       /* CLONE_NEWPID, CLONE_NEWCGROUP: the process's own */
	char **proc_mounts;       /* where the spec mounts proc: mounted again in a new pid namespace */
	int nproc_mounts;
	char **protected;         /* "m PATH" masked, "r PATH" read-only: again over a new proc */
	int nprotected;
	int oom_score_adj, have_oom;
};

static int terminal_fd = -1;  /* the process's terminal, in terminal mode */
/* Where the container's root is built before it is entered, and where a file's directory is
 * mounted aside before the file is bound into it. */
static const char *newroot = "/newroot", *asides = "/volumes";
static const char *lines[RUNU_LINE_COUNT + 1];  /* by RUNU_LINE_: the channels' devices */
static const char *shared_fs;                    /* the host's files arrive through this */
static const char *exit_line, *host_root = "/host";  /* runu.exit=; where 9p shows the host's files */
static int size_by_control;  /* runu.winsize=control: a terminal's size comes on the control line */
static int network_later;    /* runu.network=control: the host says "network" once it is handed over */
static int control_fd = -1;  /* the control line: "network", "start" and signals in, "ready" out */
static char pending[64];     /* a control line read before the process existed */
#define SIZE_WAIT_MS 1000    /* how long a terminal without a size waits for one at start */

static void make_mountpoint(const char *path, int is_file)
{
	struct stat st;

	if (lstat(path, &st) == 0)
		return;
	if (!is_file) {
		rootfs_mkdirs(path, 0755);
		return;
	}
	rootfs_make_parents(path);
	int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
}

/* The host's path `source` at `target` (see runu.fs= above). */
static int mount_host(const char *source, const char *target, unsigned long flags)
{
	char path[4096];

	if (strcmp(shared_fs, "9p"))
		return mount("none", target, shared_fs, flags, source);
	snprintf(path, sizeof(path), "%s%s", host_root, source);
	if (mount(path, target, NULL, MS_BIND | MS_REC, NULL) < 0)
		return -1;
	flags &= ~MS_BIND;
	return flags ? mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | flags, NULL) : 0;
}

/* A mount whose type this kernel lacks (cgroup, say) is skipped, not fatal. */
static void do_mount(const char *kind, const char *type, const char *source,
		     const char *dest, unsigned long flags, const char *data)
{
	static int volumes;
	char target[4096];
	int is_file = !strcmp(kind, "hostfile");

	snprintf(target, sizeof(target), "%s%s", newroot, dest);
	if (is_file) {
		/* hostfs mounts directories: mount the file's directory aside, bind the file. */
		char aside[64], file[4096];

		snprintf(aside, sizeof(aside), "%s/%d", asides, volumes++);
		rootfs_mkdirs(aside, 0700);
		if (mount_host(source, aside, flags & MS_RDONLY) < 0)
			die(126, "mount %s: %s", source, strerror(errno));
		snprintf(file, sizeof(file), "%s/file", aside);
		make_mountpoint(target, 1);
		if (mount(file, target, NULL, MS_BIND, NULL) < 0)
			die(126, "bind %s: %s", dest, strerror(errno));
		if ((flags & ~MS_BIND) &&
		    mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | (flags & ~MS_BIND), NULL) < 0)
			die(126, "remount %s: %s", dest, strerror(errno));
		return;
	}
	make_mountpoint(target, 0);
	if (!strcmp(kind, "hostdir")) {
		if (mount_host(source, target, flags & ~MS_BIND) < 0)
			die(126, "mount %s on %s: %s", source, dest, strerror(errno));
		return;
	}
	if (mount(source, target, type, flags, *data ? data : NULL) < 0 &&
	    errno != ENODEV)
		die(126, "mount %s on %s: %s", type, dest, strerror(errno));
}

/* linux.sysctl: written to the guest's own /proc/sys (KEY in slash form). */
static void set_sysctl(const char *key, const char *value)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/%s", key);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, value, strlen(value)) < 0)
		die(126, "sysctl %s: %s", key, strerror(errno));
	close(fd);
}

static unsigned long long parse_u64(const char *s)
{
	return strtoull(s, NULL, 0);
}

/*
 * Room for entry n and a NULL after it in a list of `size`-byte entries: the
 * capacity doubles each time n + 1 reaches a power of two.
 */
static void *grow(void *list, int n, size_t size)
{
	if (list && ((n + 1) & n))
		return list;
	list = realloc(list, 2 * (n + 1) * size);
	if (!list)
		die(126, "no memory for the process description (%d entries)", n);
	return list;
}

static void append(char ***list, int *n, char *value)
{
	*list = grow(*list, *n, sizeof(char *));
	(*list)[(*n)++] = value;
	(*list)[*n] = NULL;
}

/* What a process the agent starts may say: the fields about the process, none about the sandbox. */
static int is_process_field(const char *kw)
{
	static const char *const fields[] = { "arg", "env", "cwd", "user", "group", "umask", "stdio",
					      "nonewprivs", "caps", "rlimit", "oom", NULL };

	for (int i = 0; fields[i]; i++)
		if (!strcmp(kw, fields[i]))
			return 1;
	return 0;
}

/*
 * The process file: NUL-terminated tokens, a keyword then its fixed fields. An agent's
 * description (`exec_only`) may hold only the process's own fields.
 */
static void read_process(struct tokens *t, struct process *p, int exec_only)
{
	const char *kw;

	memset(p, 0, sizeof(*p));
	p->cwd = "/";
	p->umask_value = -1;
	while ((kw = tokens_next(t))) {
		if (exec_only && !is_process_field(kw))
			die(126, "%s is not a field of a process to run", kw);
		if (!strcmp(kw, "arg"))
			append(&p->args, &p->nargs, (char *)tokens_need(t));
		else if (!strcmp(kw, "env"))
			append(&p->env, &p->nenv, (char *)tokens_need(t));
		else if (!strcmp(kw, "cwd"))
			p->cwd = tokens_need(t);
		else if (!strcmp(kw, "hostname"))
			p->hostname = tokens_need(t);
		else if (!strcmp(kw, "user")) {
			p->uid = parse_u64(tokens_need(t));
			p->gid = parse_u64(tokens_need(t));
		} else if (!strcmp(kw, "group")) {
			p->groups = grow(p->groups, p->ngroups, sizeof(gid_t));
			p->groups[p->ngroups++] = parse_u64(tokens_need(t));
		}
		else if (!strcmp(kw, "umask"))
			p->umask_value = parse_u64(tokens_need(t));
		else if (!strcmp(kw, "stdio"))
			p->terminal = !strcmp(tokens_need(t), "terminal");
		else if (!strcmp(kw, "stderr"))
			p->stderr_to_stdout = !strcmp(tokens_need(t), "stdout");
		else if (!strcmp(kw, "root"))
			tokens_need(t);  /* a pod's container: its root is mounted before the rest */
		else if (!strcmp(kw, "readonly"))
			p->readonly = 1;
		else if (!strcmp(kw, "nonewprivs"))
			p->no_new_privs = 1;
		else if (!strcmp(kw, "caps")) {
			for (int i = 0; i < 5; i++)
				p->caps[i] = parse_u64(tokens_need(t));
			p->have_caps = 1;
		} else if (!strcmp(kw, "rlimit")) {
			int res = parse_u64(tokens_need(t));
			struct rlimit rl;

			rl.rlim_cur = parse_u64(tokens_need(t));
			rl.rlim_max = parse_u64(tokens_need(t));
			if (setrlimit(res, &rl) < 0)
				die(126, "setrlimit %d: %s", res, strerror(errno));
		} else if (!strcmp(kw, "sysctl")) {
			const char *key = tokens_need(t);

			set_sysctl(key, tokens_need(t));
		} else if (!strcmp(kw, "fw")) {
			const char *dir = tokens_need(t), *proto = tokens_need(t);
			const char *port = tokens_need(t), *addr = tokens_need(t);
			const char *prefix = tokens_need(t);

			firewall_add(dir, proto, port, addr, prefix, tokens_need(t));
		} else if (!strcmp(kw, "mount")) {
			const char *kind = tokens_need(t), *type = tokens_need(t);
			const char *source = tokens_need(t), *dest = tokens_need(t);
			unsigned long flags = parse_u64(tokens_need(t));

			do_mount(kind, type, source, dest, flags, tokens_need(t));
			if (!strcmp(type, "proc"))
				append(&p->proc_mounts, &p->nproc_mounts, (char *)dest);
		} else if (!strcmp(kw, "setupdev"))
			rootfs_setup_dev(newroot, p->terminal ? terminal_fd : -1);
		else if (!strcmp(kw, "device")) {
			const char *type = tokens_need(t), *path = tokens_need(t);
			unsigned int major = parse_u64(tokens_need(t)), minor = parse_u64(tokens_need(t));
			mode_t mode = parse_u64(tokens_need(t));
			uid_t uid = parse_u64(tokens_need(t));

			rootfs_device(newroot, type[0], path, major, minor, mode, uid, parse_u64(tokens_need(t)));
		} else if (!strcmp(kw, "masked") || !strcmp(kw, "readonlypath")) {
			const char *path = tokens_need(t);
			char *entry;

			(kw[0] == 'm' ? rootfs_mask : rootfs_readonly)(newroot, path);
			if (asprintf(&entry, "%c %s", kw[0], path) < 0)
				die(126, "no memory");
			append(&p->protected, &p->nprotected, entry);
		} else if (!strcmp(kw, "propagation")) {
			const char *path = tokens_need(t);

			rootfs_propagate(newroot, path, parse_u64(tokens_need(t)));
		} else if (!strcmp(kw, "newns")) {
			const char *type = tokens_need(t);

			p->new_namespaces |= !strcmp(type, "pid") ? CLONE_NEWPID : CLONE_NEWCGROUP;
		} else if (!strcmp(kw, "oom")) {
			p->oom_score_adj = atoi(tokens_need(t));
			p->have_oom = 1;
		} else
			die(126, "unknown process field %s", kw);
	}
}

/*
 * runu.lines=, runu.fs=, runu.exit=, runu.halt=, runu.winsize= and runu.network= from the
 * kernel command line (needs /proc).
 */
static void read_kernel_args(void)
{
	static char cmdline[4096];
	char *args, *devs;
	int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC), n = 0;
	ssize_t got = fd < 0 ? -1 : read(fd, cmdline, sizeof(cmdline) - 1);

	if (got < 0)
		die(126, "read the kernel command line: %s", strerror(errno));
	close(fd);
	cmdline[got] = '\0';
	for (char *arg = strtok_r(cmdline, " \n", &args); arg; arg = strtok_r(NULL, " \n", &args)) {
		if (!strncmp(arg, "runu.fs=", 8))
			shared_fs = arg + 8;
		else if (!strncmp(arg, "runu.exit=", 10))
			exit_line = arg + 10;
		else if (!strcmp(arg, "runu.halt=reboot"))
			guest_end_by_reboot();
		else if (!strcmp(arg, "runu.winsize=control"))
			size_by_control = 1;
		else if (!strcmp(arg, "runu.network=control"))
			network_later = 1;
		else if (!strncmp(arg, "runu.lines=", 11))
			for (char *dev = strtok_r(arg + 11, ",", &devs); dev && n < RUNU_LINE_COUNT;
			     dev = strtok_r(NULL, ",", &devs))
				lines[++n] = dev;
	}
	if (!shared_fs || !exit_line || n != RUNU_LINE_COUNT)
		die(126, "the kernel command line must give runu.fs=, runu.exit= and runu.lines= with %d devices",
		    RUNU_LINE_COUNT);
}

static void mount_early(void)
{
	mkdir("/proc", 0555);
	mkdir("/dev", 0755);
	mkdir("/meta", 0700);
	mkdir(newroot, 0755);
	if (mount("proc", "/proc", "proc", 0, NULL) < 0)
		die(126, "mount the guest's proc: %s", strerror(errno));
	if (mount("devtmpfs", "/dev", "devtmpfs", 0, NULL) < 0)
		die(126, "mount the guest's devtmpfs: %s", strerror(errno));
	/* A kernel that found no /dev/console starts us with 0, 1 and 2 closed: fill them, or
	 * the lines opened next would take their numbers and be clobbered by a dup2 to them. */
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
			die(126, "open /dev/null as descriptor %d: %s", fd, strerror(errno));
	read_kernel_args();
	guest_exit_through(open(exit_line, O_WRONLY | O_NOCTTY | O_CLOEXEC));
	if (!strcmp(shared_fs, "9p")) {
		mkdir(host_root, 0700);
		if (mount("host", host_root, "9p", 0, "trans=virtio,version=9p2000.L,cache=mmap") < 0)
			die(126, "mount the host's files (9p): %s", strerror(errno));
	}
	if (mount_host("/meta", "/meta", MS_RDONLY) < 0)
		die(126, "mount the sandbox description: %s", strerror(errno));
}

static int open_line(int n, int flags, int raw)
{
	struct termios tio;
	int fd = open(lines[n], flags | O_NOCTTY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (raw && tcgetattr(fd, &tio) == 0) {
		cfmakeraw(&tio);
		tcsetattr(fd, TCSANOW, &tio);
	}
	return fd;
}

/* Host stdio arrives on separate console lines so stdout and stderr stay apart. */
static void open_stdio(const char *mode, int stdio[3])
{
	if (!strcmp(mode, "terminal")) {
		int fd = open_line(RUNU_LINE_STDOUT, O_RDWR, 0);

		int go = open_line(RUNU_LINE_STDIN, O_WRONLY, 0);

		stdio[0] = stdio[1] = stdio[2] = terminal_fd = fd;
		/* The terminal line listens now: the host relay may send typed input. */
		if (go < 0 || write(go, "r", 1) != 1)
			die(126, "terminal go-ahead: %s", strerror(errno));
		close(go);
	} else {
		/* Without host stdin the process reads EOF, as under runc. */
		stdio[0] = strcmp(mode, "pipes") ? -1 : stdin_decoder_start(open_line(RUNU_LINE_STDIN, O_RDWR, 1));
		stdio[1] = open_line(RUNU_LINE_STDOUT, O_WRONLY, 1);
		stdio[2] = open_line(RUNU_LINE_STDERR, O_WRONLY, 1);
		if (stdio[0] < 0)
			stdio[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	}
	/* Until the process runs, our own messages go to its stderr. */
	if (stdio[2] >= 0)
		dup2(stdio[2], 2);
}

static void enter_root(const struct process *p)
{
	if (p->readonly &&
	    mount(NULL, newroot, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
		die(126, "make the rootfs read-only: %s", strerror(errno));
	if (chdir(newroot) < 0 || mount(".", "/", NULL, MS_MOVE, NULL) < 0 ||
	    chroot(".") < 0 || chdir("/") < 0)
		die(126, "enter the rootfs: %s", strerror(errno));
}

/* The bounding set first, while still privileged (dropping needs CAP_SETPCAP). */
static void drop_bounding(const struct process *p)
{
	for (int cap = 0; cap <= CAP_LAST_CAP; cap++)
		if (!(p->caps[0] & (1ULL << cap)) &&
		    prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)  /* EINVAL: not in this kernel */
			die(126, "drop capability %d from the bounding set: %s", cap, strerror(errno));
}

static void apply_caps(const struct process *p)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];

	for (int i = 0; i < 2; i++) {
		data[i].effective = p->caps[1] >> (32 * i);
		data[i].permitted = p->caps[2] >> (32 * i);
		data[i].inheritable = p->caps[3] >> (32 * i);
	}
	if (syscall(SYS_capset, &hdr, data) < 0)
		die(126, "capset: %s", strerror(errno));
	for (int cap = 0; cap <= CAP_LAST_CAP; cap++)
		if ((p->caps[4] & (1ULL << cap)) &&
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
			die(126, "raise ambient capability %d: %s", cap, strerror(errno));
}

/*
 * In a pid namespace of its own the process sees only its own processes: proc
 * is mounted again where the spec put it (in a mount namespace of the
 * process's, the init's view unchanged), and the masked and read-only paths
 * under it are applied again.
 */
static void enter_namespaces(const struct process *p)
{
	if (p->new_namespaces & CLONE_NEWCGROUP && unshare(CLONE_NEWCGROUP) < 0)
		die(126, "new cgroup namespace: %s", strerror(errno));
	if (!(p->new_namespaces & CLONE_NEWPID))
		return;
	if (unshare(CLONE_NEWNS) < 0)
		die(126, "new mount namespace: %s", strerror(errno));
	for (int i = 0; i < p->nproc_mounts; i++) {
		const char *dest = p->proc_mounts[i];
		size_t len = strlen(dest);

		if (mount("proc", dest, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
			die(126, "mount proc on %s: %s", dest, strerror(errno));
		for (int j = 0; j < p->nprotected; j++) {
			const char *path = p->protected[j] + 2;

			if (!strncmp(path, dest, len) && path[len] == '/')
				(p->protected[j][0] == 'm' ? rootfs_mask : rootfs_readonly)("", path);
		}
	}
}

static void set_oom_score_adj(int value)
{
	int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);

	if (fd < 0 || dprintf(fd, "%d", value) < 0)
		die(126, "set oom_score_adj %d: %s", value, strerror(errno));
	close(fd);
}

/* The process's identity and limits, then its program: its stdio and namespaces are in place. */
static void __attribute__((noreturn)) become(const struct process *p)
{
	static char *no_env[] = { NULL };
	struct sched_param normal = { 0 };

	sched_setscheduler(0, SCHED_OTHER, &normal);  /* not the init's batch policy (relay_outputs) */
	if (p->have_oom)
		set_oom_score_adj(p->oom_score_adj);
	if (p->umask_value >= 0)
		umask(p->umask_value);
	if (p->have_caps) {
		drop_bounding(p);
		/* Keep the permitted set across setuid, then trim to the spec. */
		if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
			die(126, "keep capabilities: %s", strerror(errno));
	}
	if (setgroups(p->ngroups, p->groups) < 0 || setgid(p->gid) < 0)
		die(126, "set groups: %s", strerror(errno));
	if (setuid(p->uid) < 0)
		die(126, "set user %u: %s", p->uid, strerror(errno));
	if (p->have_caps)
		apply_caps(p);
	if (p->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		die(126, "no_new_privs: %s", strerror(errno));
	if (chdir(p->cwd) < 0)
		die(126, "chdir %s: %s", p->cwd, strerror(errno));
	environ = p->env ? p->env : no_env;
	execvpe(p->args[0], p->args, environ);
	die(errno == ENOENT ? 127 : 126, "exec %s: %s", p->args[0], strerror(errno));
}

/* In the child: become the container's process. Never returns. */
static void exec_process(const struct process *p, const int stdio[3])
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setsid();
	if (p->terminal)
		ioctl(stdio[0], TIOCSCTTY, 0);
	for (int i = 0; i < 3; i++)
		if (stdio[i] >= 0)
			dup2(stdio[i], i);
	enter_namespaces(p);
	become(p);
}

/* The agent's runner: a process beside the container's, described by the host. */
static void run_for_agent(char *description, size_t len)
{
	static struct process proc;
	struct tokens t = { .buf = description, .pos = description, .end = description + len };

	read_process(&t, &proc, 1);
	if (proc.nargs == 0)
		die(126, "no process args");
	become(&proc);
}

/*
 * The agent's runner for a container of the pod: "stdio MODE root PATH" and then a description
 * like the pod's own. In a mount namespace of its own it mounts its root (PATH, through the
 * host's filesystem) and its mounts as the init did for the pod's, and enters them. It shares the pod's kernel: network, hostname and pid namespace.
 */
static void run_container_for_agent(char *description, size_t len)
{
	static struct process proc;
	struct tokens t = { .buf = description, .pos = description, .end = description + len };
	const char *root;

	if (!tokens_next(&t) || !tokens_next(&t) || !(root = tokens_next(&t)) || strcmp(root, "root") ||
	    !(root = tokens_next(&t)))
		die(126, "a container's description starts with stdio MODE root PATH");
	t.pos = t.buf;
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		die(126, "a mount namespace for the container: %s", strerror(errno));
	/* Built on a scratch tmpfs over the pod's /dev, seen only in this namespace, then moved
	 * over "/" as the pod's own root was. */
	newroot = "/dev/.runu-root";
	asides = "/dev/.runu-volumes";
	if (mount("tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "size=64k,mode=0700") < 0 ||
	    mkdir(newroot, 0700) < 0)
		die(126, "a place for the container's root: %s", strerror(errno));
	if (mount_host(root, newroot, 0) < 0)
		die(126, "mount the container's root %s: %s", root, strerror(errno));
	terminal_fd = 0;  /* its own terminal, if any, is its stdio already */
	read_process(&t, &proc, 0);
	if (proc.nargs == 0)
		die(126, "no process args");
	enter_root(&proc);
	become(&proc);
}

/*
 * Control line, once the process runs: one signal number per line; "a" before it means every
 * process; "winsize ROWS COLUMNS" sizes the terminal (an emulator's guest, whose kernel does
 * not see the host terminal's size), which signals its foreground.
 */
static int size_terminal(const char *line)
{
	struct winsize ws = { 0 };

	if (strncmp(line, RUNU_CONTROL_WINSIZE " ", sizeof(RUNU_CONTROL_WINSIZE)))
		return 0;
	if (terminal_fd >= 0 && sscanf(line + sizeof(RUNU_CONTROL_WINSIZE), "%hu %hu", &ws.ws_row, &ws.ws_col) == 2)
		ioctl(terminal_fd, TIOCSWINSZ, &ws);
	return 1;
}

static void handle_control(int fd, pid_t child)
{
	char line[64];

	if (*pending) {
		memcpy(line, pending, sizeof(line));
		*pending = '\0';
		goto have_line;
	}
	while (control_line(fd, line)) {
have_line:
		if (!size_terminal(line))
			control_signal(line, child);
	}
}

/*
 * Until the host's `word` on the control line: "network" (the hand-over is done) or "start"
 * (the guest booted at create and is ready, network and all; the process waits for `runu
 * start`). Before start, runu kill signals the sandbox, not this line; a terminal's size may
 * come, and is set before the process sees it.
 */
static void wait_for(int fd, const char *word)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char line[64];

	for (;;) {
		while (control_line(fd, line))
			if (!size_terminal(line) && !strcmp(line, word))
				return;
		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			die(126, "control line: %s", strerror(errno));
	}
}

/*
 * A terminal whose size comes on the control line (runu.winsize=control: an emulator's
 * guest) may have none yet at start: Docker sizes it just after. A shell asking its size
 * then would get 0x0, so the process waits for it, a moment at most.
 */
static void wait_for_terminal_size(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct winsize ws = { 0 };
	char line[64];

	if (!size_by_control || terminal_fd < 0 || ioctl(terminal_fd, TIOCGWINSZ, &ws) < 0 || ws.ws_row)
		return;
	while (poll(&pfd, 1, SIZE_WAIT_MS) > 0)
		while (control_line(fd, line)) {
			if (size_terminal(line))
				return;
			memcpy(pending, line, sizeof(pending));  /* a signal: for the process, once it runs */
			return;
		}
}

/*
 * A guest that boots during create's hooks ends only once start has come, even when its setup
 * fails: the hooks work on its sandbox's namespaces, which end with it (Docker's would fail,
 * and hide why), and the caller starts what it saw created (containerd's shim refuses to start
 * a process that ended). It says ready (to end, at start) and the process exits at once, with
 * its reason on stderr, as one that could not run.
 */
static int network_taken;

static void end_at_start(void)
{
	if (control_fd < 0)
		control_fd = open_line(RUNU_LINE_CONTROL, O_RDWR | O_NONBLOCK, 1);
	if (control_fd < 0)
		return;
	if (!network_taken)
		wait_for(control_fd, RUNU_CONTROL_NETWORK);
	if (write(control_fd, "ready\n", 6) == 6)
		wait_for(control_fd, RUNU_CONTROL_START);
}

static int status_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

/* The process's stdout and stderr, onto their lines; idle (-1) unless relay_outputs starts them. */
static struct out_relay outputs[2] = { { .from = -1, .to = -1 }, { .from = -1, .to = -1 } };

/*
 * The process's stdout and stderr: pipes the init copies onto the lines (runu-outrelay.h).
 * A terminal is the process's own; stderr shares stdout's pipe when the host's are one, so
 * their order holds.
 */
static void relay_outputs(const struct process *p, int stdio[3])
{
	struct sched_param batch = { 0 };

	if (p->terminal)
		return;
	/*
	 * A process writing bulk output wakes the init at every write; woken as a batch task it
	 * does not preempt the writer, and finds a pipe's worth to move when it runs.
	 */
	sched_setscheduler(0, SCHED_BATCH, &batch);
	stdio[1] = out_relay_start(&outputs[0], stdio[1]);
	stdio[2] = p->stderr_to_stdout ? stdio[1] : out_relay_start(&outputs[1], stdio[2]);
}

/* pid 1: reap everything, forward signals, serve the agent and the relays, return the process's
 * exit code. */
static int supervise(pid_t child, int control_fd)
{
	static struct pollfd pfd[4 + AGENT_POLL_MAX];
	sigset_t chld;
	int code = -1;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	pfd[0].fd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
	pfd[0].events = POLLIN;
	pfd[1].fd = control_fd;
	pfd[1].events = POLLIN;
	for (;;) {
		struct signalfd_siginfo info;
		int status, agent_fds;
		pid_t pid;

		while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
			if (pid == child)
				code = status_code(status);
			else
				agent_reaped(pid, status);
		if (code >= 0)
			return code;
		for (int i = 0; i < 2; i++)
			out_relay_poll_set(&outputs[i], &pfd[2 + i]);
		agent_fds = agent_poll_set(pfd + 4, sizeof(pfd) / sizeof(pfd[0]) - 4);
		if (poll(pfd, 4 + agent_fds, -1) <= 0)
			continue;
		while (read(pfd[0].fd, &info, sizeof(info)) > 0)
			;
		for (int i = 0; i < 2; i++)
			if (pfd[2 + i].revents)
				out_relay_serve(&outputs[i]);
		if (pfd[1].revents & POLLIN)
			handle_control(control_fd, child);
		agent_serve(pfd + 4, agent_fds);
	}
}

/*
 * Until the line has handed all its output to the host. Through a descriptor opened now: a
 * terminal line is hung up when the process, its session's leader, exits (the kernel hangs up
 * a controlling terminal that is not a pty), and the descriptors opened before then no longer
 * wait for anything, while the line still holds what the host had no room for yet.
 */
static void drain_line(int n)
{
	int fd = open(lines[n], O_WRONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return;
	if (isatty(fd))
		tcdrain(fd);
	close(fd);
}

static void power_off(int code)
{
	kill(-1, SIGKILL);
	while (waitpid(-1, NULL, 0) > 0)
		;
	/* Nothing that wrote to the relays' pipes is left: all they hold goes out before the status. */
	for (int i = 0; i < 2; i++)
		out_relay_drain(&outputs[i]);
	drain_line(RUNU_LINE_STDOUT);
	drain_line(RUNU_LINE_STDERR);
	guest_power_off(code);
}

int main(void)
{
	static struct process proc;
	struct tokens process_tokens, network_tokens;
	int stdio[3], agent_fd;
	pid_t child;

	mount_early();
	if (network_later)
		guest_end_after(end_at_start);
	if (tokens_load(&process_tokens, "/meta/process") < 0)
		die(126, "read /meta/process: %s", strerror(errno));
	/* The first field is always "stdio MODE": stdio comes up before anything can fail. */
	if (strcmp(tokens_need(&process_tokens), "stdio"))
		die(126, "sandbox description must start with stdio");
	open_stdio(tokens_need(&process_tokens), stdio);
	process_tokens.pos = process_tokens.buf;
	control_fd = open_line(RUNU_LINE_CONTROL, O_RDWR | O_NONBLOCK, 1);
	agent_fd = open_line(RUNU_LINE_AGENT, O_RDWR | O_NONBLOCK, 1);
	/* Only the init talks to the host: no guest process opens the line again to forge frames. */
	if (agent_fd >= 0)
		ioctl(agent_fd, TIOCEXCL);

	if (mount_host("/rootfs", newroot, 0) < 0)
		die(126, "mount the rootfs: %s", strerror(errno));
	read_process(&process_tokens, &proc, 0);
	if (proc.nargs == 0)
		die(126, "no process args");
	if (proc.hostname && sethostname(proc.hostname, strlen(proc.hostname)) < 0)
		die(126, "sethostname: %s", strerror(errno));
	if (network_later) {
		if (control_fd < 0)
			die(126, "control line: %s", strerror(errno));
		wait_for(control_fd, RUNU_CONTROL_NETWORK);
		network_taken = 1;
	}
	if (tokens_load(&network_tokens, "/meta/network") == 0)
		net_configure(&network_tokens);
	else
		net_loopback_only();
	firewall_apply();
	enter_root(&proc);
	/* The host sends signals only after this: earlier input would raise no SIGIO. */
	if (control_fd < 0 || write(control_fd, "ready\n", 6) != 6)
		die(126, "control line: %s", strerror(errno));
	wait_for(control_fd, RUNU_CONTROL_START);
	guest_end_after(NULL);
	wait_for_terminal_size(control_fd);

	sigset_t all;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	int line_fds[3] = { stdio[0], stdio[1], stdio[2] };

	relay_outputs(&proc, stdio);
	/* The process is the first of its pid namespace, as under runc: pid 1 in its own view. */
	if (proc.new_namespaces & CLONE_NEWPID && unshare(CLONE_NEWPID) < 0)
		die(126, "new pid namespace: %s", strerror(errno));
	child = fork();
	if (child < 0)
		die(126, "fork: %s", strerror(errno));
	if (child == 0)
		exec_process(&proc, stdio);
	/* The process holds the pipes' write ends now; the init keeps the lines. */
	if (stdio[1] != line_fds[1])
		close(stdio[1]);
	if (stdio[2] != line_fds[2] && stdio[2] != stdio[1])
		close(stdio[2]);
	if (agent_fd >= 0)
		agent_init(agent_fd, child, (proc.new_namespaces & CLONE_NEWPID ? CLONE_NEWNS : 0) |
			   (proc.new_namespaces & CLONE_NEWCGROUP), run_for_agent, run_container_for_agent);
	power_off(supervise(child, control_fd));
	return 0;
}
