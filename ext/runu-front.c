/*
 * runu's command: the verbs containerd calls on every container's way
 * (state, start, kill, delete) served without starting Python, which costs
 * more than the verb itself; create (and run around it) through a warm Python
 * (runu-warm.c). Only the ordinary case is served here: anything else (an
 * error to report, a hook to run, a pod's container, a paused container, a
 * signal by name, an option this file does not know, a delete with more to
 * undo than processes, a cgroup and the state) goes, argv unchanged,
 * to the Python CLI installed beside this binary (runu-py). The Python side
 * owns the state format (runu/state.py) and every error message; this file
 * reads the few fields it needs, and the tests hold both sides to the same
 * answers.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runu-abi.h"
#include "runu-event.h"
#include "runu-privdrop.h"
#include "runu-warm.h"

#define PYTHON_CLI "runu-py"
#define GUEST_READY_SECONDS 30
#define KILL_WAIT_SECONDS 10	/* runu/container.py's */
#define CGROUP_REMOVE_WAIT_SECONDS 5	/* runu/cgroup's */
#define POD_MEMBERS "sandbox/pods"	/* runu/pod.py's MEMBERS, in a pod's directory */
#define NETWORK_REPORT "network.report"	/* runu/container.py's */
#define WARM_MS 200		/* keep_migration_lock_ready: create's launcher has joined by then */
#define WARM_PERIOD_MS 3	/* well within a grace period (5-20 ms here) */

enum { SERVED, DEFER };

struct options {
	const char *root;
	const char *log;
	const char *log_format;
	const char *verb;
	char **args;
	int nargs;
};

struct container {
	const char *id;
	int dir;          /* the container's directory, flocked as runu/state.py does */
	json_t *state;    /* state.json */
	const char *status;
	long long pid;
};

/* The Python CLI, beside us. */
static void python_cli(char *cli, size_t size)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n < 0) {
		fprintf(stderr, "runu: /proc/self/exe: %s\n", strerror(errno));
		exit(1);
	}
	exe[n] = 0;
	snprintf(cli, size, "%s/" PYTHON_CLI, dirname(exe));
}

/* Everything this file does not serve: the Python CLI, same arguments. */
static void defer(char **argv, char *cli)
{
	const char *self = argv[0];

	argv[0] = cli;
	execv(cli, argv);
	fprintf(stderr, "runu: %s: %s (runu's Python side is not installed beside %s)\n", cli,
		strerror(errno), self);
	exit(1);
}

/* The one error this file reports itself: the guest was started, its state not saved. */
static void fail(const struct options *opt, const char *what, const char *id)
{
	char msg[512], stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	FILE *log;

	snprintf(msg, sizeof(msg), "container %s: %s: %s", id, what, strerror(errno));
	fprintf(stderr, "runu: %s\n", msg);
	if (opt->log && (log = fopen(opt->log, "a"))) {
		gmtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
		if (opt->log_format && !strcmp(opt->log_format, "json"))
			fprintf(log, "{\"level\": \"error\", \"msg\": \"%s\", \"time\": \"%s\"}\n", msg, stamp);
		else
			fprintf(log, "time=\"%s\" level=error msg=\"%s\"\n", stamp, msg);
		fclose(log);
	}
	exit(1);
}

static int value_option(const char *arg, const char *name, char ***rest, const char **value)
{
	size_t len = strlen(name);

	if (strncmp(arg, name, len))
		return 0;
	if (arg[len] == '=') {
		*value = arg + len + 1;
		return 1;
	}
	if (arg[len] || !(*rest)[1])
		return 0;
	*value = *++*rest;
	return 1;
}

/* runu's global options, as the Python CLI reads them; DEFER for any other. */
static int parse(char **argv, struct options *opt)
{
	const char *ignored;
	char **a;

	opt->root = "/run/runu";
	for (a = argv + 1; *a; a++) {
		if (**a != '-') {
			opt->verb = *a;
			opt->args = a + 1;
			for (opt->nargs = 0; a[opt->nargs + 1]; opt->nargs++)
				;
			return SERVED;
		}
		if (value_option(*a, "--root", &a, &opt->root) || value_option(*a, "--log", &a, &opt->log) ||
		    value_option(*a, "--log-format", &a, &opt->log_format) ||
		    value_option(*a, "--rootless", &a, &ignored) || value_option(*a, "--sandbox", &a, &ignored) ||
		    !strcmp(*a, "--systemd-cgroup"))
			continue;
		return DEFER;  /* --debug, --help, --version, an abbreviation: Python's */
	}
	return DEFER;
}

static int valid_id(const char *id)
{
	size_t n = strlen(id);

	if (!n || n > NAME_MAX || !strcmp(id, ".") || !strcmp(id, ".."))
		return 0;
	return strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+.-") == n;
}

/* Open, lock and read the container; DEFER when any of it is not as expected. */
static int open_container(const struct options *opt, const char *id, struct container *c)
{
	char path[PATH_MAX];
	json_t *pid;
	int fd;

	memset(c, 0, sizeof(*c));
	c->id = id;
	c->dir = -1;
	if (!valid_id(id) || snprintf(path, sizeof(path), "%s/%s", opt->root, id) >= (int)sizeof(path))
		return DEFER;
	c->dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->dir < 0 || flock(c->dir, LOCK_EX) < 0)
		return DEFER;
	/* Deleted while we waited (the directory is gone) or not yet written: Python's to say. */
	fd = openat(c->dir, "state.json", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return DEFER;
	c->state = json_loadfd(fd, 0, NULL);
	close(fd);
	if (!c->state)
		return DEFER;
	c->status = json_string_value(json_object_get(c->state, "status"));
	pid = json_object_get(c->state, "pid");
	if (!c->status || !json_is_integer(pid))
		return DEFER;
	c->pid = json_integer_value(pid);
	return SERVED;
}

static void close_container(struct container *c)
{
	if (c->state)
		json_decref(c->state);
	if (c->dir >= 0)
		close(c->dir);
}

static int is_live(const char *status)
{
	return !strcmp(status, "created") || !strcmp(status, "running") || !strcmp(status, "paused");
}

/* runu/process.py's is_alive: that very process (same start time), not a zombie. */
static int is_alive(long long pid, json_t *started)
{
	char path[64], buf[1024], *p;
	unsigned long long start;
	ssize_t n;
	int fd, field;

	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%lld/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X')
		return 0;
	if (!json_is_integer(started))
		return 1;
	/* From the state field (3) to starttime (22). */
	for (p += 2, field = 3; field < 22 && p; field++)
		p = strchr(p, ' ') ? strchr(p, ' ') + 1 : NULL;
	if (!p || sscanf(p, "%llu", &start) != 1)
		return 0;
	return start == (unsigned long long)json_integer_value(started);
}

/* A pod's container (runu/pod.py): its stand-in and the pod's sandbox are Python's. */
static int in_pod(const struct container *c)
{
	const char *pod = json_string_value(json_object_get(json_object_get(c->state, "runtime"), "pod"));

	return pod && *pod;
}

static const char *current_status(const struct container *c)
{
	if (is_live(c->status) && !is_alive(c->pid, json_object_get(c->state, "pid_start")))
		return "stopped";
	return c->status;
}

static int serve_state(const struct options *opt, char *id)
{
	struct container c;
	const char *status;
	json_t *doc, *annotations;
	int served = DEFER;

	if (open_container(opt, id, &c) != SERVED || !strcmp(c.status, "creating"))
		goto out;
	status = current_status(&c);
	annotations = json_object_get(c.state, "annotations");
	doc = json_pack("{s:s, s:s, s:s, s:I, s:O, s:O, s:O}", "ociVersion", RUNU_OCI_VERSION, "id", id,
			"status", status, "pid", is_live(status) ? c.pid : 0,
			"bundle", json_object_get(c.state, "bundle"),
			"rootfs", json_object_get(c.state, "rootfs"),
			"created", json_object_get(c.state, "created"));
	if (!doc)
		goto out;
	if (json_object_size(annotations))
		json_object_set(doc, "annotations", annotations);
	if (json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII) == 0 && puts("") != EOF &&
	    fflush(stdout) == 0)
		served = SERVED;
	json_decref(doc);
out:
	close_container(&c);
	return served;
}

/* Any hook of these kinds in the saved spec makes the verb Python's (runu/hooks.py). */
static int has_hooks(int dir, const char *kind, const char *other)
{
	json_t *spec, *hooks;
	int fd = openat(dir, "config.json", O_RDONLY | O_CLOEXEC), found;

	if (fd < 0)
		return 1;
	spec = json_loadfd(fd, 0, NULL);
	close(fd);
	if (!spec)
		return 1;
	hooks = json_object_get(spec, "hooks");
	found = json_array_size(json_object_get(hooks, kind)) ||
		(other && json_array_size(json_object_get(hooks, other)));
	json_decref(spec);
	return found;
}

/* Read all of a small file (the ready file) into `buf`; its length, or -1. */
static ssize_t read_small(int dir, const char *name, char *buf, size_t size)
{
	int fd = openat(dir, name, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size);
	close(fd);
	return n > 0 && (size_t)n < size ? n : -1;
}

static int append_root_event(const struct options *opt, const char *id, const char *event)
{
	char path[PATH_MAX];
	int fd, ok;

	snprintf(path, sizeof(path), "%s/events.jsonl", opt->root);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	ok = append_event(fd, id, event);
	close(fd);
	return ok;
}

/* runu/state.py's save: the whole file replaced at once. */
static int save_state(const struct options *opt, const struct container *c)
{
	char tmp[PATH_MAX], final[PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s/%s/state.json.tmp", opt->root, c->id);
	snprintf(final, sizeof(final), "%s/%s/state.json", opt->root, c->id);
	if (json_dump_file(c->state, tmp, 0) < 0)
		return -1;
	return rename(tmp, final);
}

/* The kinds whose guest's init (runu-init, or lkl's runu-lklinit) speaks the control line
 * (runu/sandbox/linuxguest.py's ControlLineKind). */
static int runs_runu_init(const char *kind)
{
	return !strcmp(kind, "uml") || !strcmp(kind, "vm") || !strcmp(kind, "lkl");
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void nap_ms(long ms)
{
	struct timespec nap = { 0, ms * 1000000 };

	nanosleep(&nap, NULL);
}

/* The guest takes signals once its init listens: it says "ready" (runu/sandbox/linuxguest.py). */
static int guest_ready(const struct container *c)
{
	char buf[64];
	int tries;

	for (tries = 0; tries < GUEST_READY_SECONDS * 500; tries++) {
		if (read_small(c->dir, "ready", buf, sizeof(buf)) > 0 && memmem(buf, sizeof(buf), "ready", 5))
			return 1;
		if (!is_alive(c->pid, json_object_get(c->state, "pid_start")))
			return 0;
		nap_ms(2);
	}
	return 0;
}

/*
 * One line to the guest's init on its control line (runu/sandbox/linuxguest.py's control_line),
 * once it listens; `early`: at once, for a guest that takes a line written before (its kind's
 * takes_early_start).
 */
static int control_line(const struct container *c, const char *line, int early)
{
	int fd, ok;

	if (!(early || guest_ready(c)) ||
	    (fd = openat(c->dir, "control.fifo", O_WRONLY | O_NONBLOCK | O_CLOEXEC)) < 0)
		return -1;
	ok = write(fd, line, strlen(line)) == (ssize_t)strlen(line);
	close(fd);
	return ok ? 0 : -1;
}

/* runu/sandbox/linuxguest.py's ControlLineKind.takes_early_start and its rule for a network. */
static int takes_early_start(const char *kind, json_t *network)
{
	return !strcmp(kind, "uml") && !json_is_object(network);
}

/*
 * runu/container.py's start of a sandbox whose guest runs runu-init: it boots from create on;
 * let it run the process, then record the container running.
 */
static int serve_start(const struct options *opt, char *id)
{
	struct container c;
	const char *kind;
	json_t *runtime;

	if (open_container(opt, id, &c) != SERVED || strcmp(current_status(&c), "created") || in_pod(&c) ||
	    has_hooks(c.dir, "startContainer", "poststart"))
		goto out;
	runtime = json_object_get(c.state, "runtime");
	kind = json_string_value(json_object_get(runtime, "sandbox"));
	if (!kind || !runs_runu_init(kind) ||
	    control_line(&c, RUNU_CONTROL_START "\n", takes_early_start(kind, json_object_get(runtime, "network"))) < 0)
		goto out;
	json_object_set_new(c.state, "status", json_string("running"));
	if (save_state(opt, &c) < 0)
		fail(opt, "saving its state after it started", id);
	close_container(&c);
	if (append_root_event(opt, id, "started") < 0)
		fail(opt, "recording its start in the events log", id);
	return SERVED;
out:
	close_container(&c);
	return DEFER;
}

static int parse_signal(const char *text)
{
	char *end;
	long n;

	if (!*text || strspn(text, "0123456789") != strlen(text))
		return -1;  /* a name: Python's table */
	n = strtol(text, &end, 10);
	return n > 0 && n < NSIG ? (int)n : -1;
}

/*
 * runu/container.py's kill of a running UML guest: a line on its control fifo.
 * SIGKILL, or a container not yet started, goes straight to the sandbox.
 */
static int serve_kill(const struct options *opt, char **args, int nargs)
{
	const char *id = NULL, *sig = "15";
	struct container c;
	const char *status, *kind;
	int all = 0, signum, i, named = 0, served = DEFER;
	char line[16];

	for (i = 0; i < nargs; i++) {
		if (!strcmp(args[i], "--all") || !strcmp(args[i], "-a"))
			all = 1;
		else if (args[i][0] == '-')
			return DEFER;
		else if (named++ == 0)
			id = args[i];
		else if (named == 2)
			sig = args[i];
		else
			return DEFER;
	}
	if (!id || (signum = parse_signal(sig)) < 0 || open_container(opt, id, &c) != SERVED)
		return DEFER;
	status = current_status(&c);
	kind = json_string_value(json_object_get(json_object_get(c.state, "runtime"), "sandbox"));
	if (in_pod(&c) || !kind)
		goto out;
	if (!strcmp(status, "created") || (signum == SIGKILL && !strcmp(status, "running"))) {
		served = kill((pid_t)c.pid, signum) == 0 ? SERVED : DEFER;
		goto out;
	}
	if (strcmp(status, "running") || !runs_runu_init(kind))
		goto out;
	/* The control channel needs no lock: a delete meanwhile shows as the sandbox gone. */
	flock(c.dir, LOCK_UN);
	snprintf(line, sizeof(line), "%s%d\n", all ? "a" : "", signum);
	if (control_line(&c, line, 0) == 0)
		served = SERVED;
out:
	close_container(&c);
	return served;
}

/* runu/process.py's rooted_in: is a live process's root directory `root`? Kill them if asked. */
static int rooted_in(const char *root, int kill_them)
{
	char link[300], target[PATH_MAX];
	struct dirent *e;
	DIR *proc = opendir("/proc");
	int found = 0;
	ssize_t n;

	if (!proc)
		return -1;
	while ((e = readdir(proc))) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(link, sizeof(link), "/proc/%s/root", e->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = 0;
		if (strcmp(target, root) || !is_alive(atoll(e->d_name), NULL))
			continue;
		found++;
		if (kill_them)
			kill((pid_t)atoll(e->d_name), SIGKILL);
	}
	closedir(proc);
	return found;
}

/* The processes of the container's cgroup (the first hierarchy that lists them). */
static int cgroup_processes(json_t *cgroup, int kill_them)
{
	char path[PATH_MAX];
	const char *key;
	long long pid;
	json_t *dir;
	FILE *procs;
	int found = 0;

	json_object_foreach(cgroup, key, dir) {
		snprintf(path, sizeof(path), "%s/cgroup.procs", json_string_value(dir));
		if (!(procs = fopen(path, "re")))
			continue;
		while (fscanf(procs, "%lld", &pid) == 1) {
			found++;
			if (kill_them)
				kill((pid_t)pid, SIGKILL);
		}
		fclose(procs);
		break;
	}
	return found;
}

/* A frozen cgroup's processes take SIGKILL once thawed: that is Python's to do. */
static int cgroup_frozen(json_t *cgroup)
{
	char path[PATH_MAX], buf[4096];
	const char *key;
	json_t *dir;
	int fd;
	ssize_t n;

	json_object_foreach(cgroup, key, dir) {
		snprintf(path, sizeof(path), "%s/freezer.state", json_string_value(dir));
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
			snprintf(path, sizeof(path), "%s/cgroup.events", json_string_value(dir));
			fd = open(path, O_RDONLY | O_CLOEXEC);
		}
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		buf[n > 0 ? n : 0] = 0;
		if (strstr(buf, "FROZEN") || strstr(buf, "FREEZING") || strstr(buf, "frozen 1"))
			return 1;
	}
	return 0;
}

/*
 * runu/container.py's _end_container: SIGKILL the sandbox, then wait until nothing rooted in
 * its root or left in its cgroup runs (what lingers past half the wait is killed). -1: it would
 * not end, which Python says.
 */
static int end_container(const struct container *c, json_t *cgroup, const char *root)
{
	json_t *started = json_object_get(c->state, "pid_start");
	double deadline = now() + KILL_WAIT_SECONDS;

	if (is_alive(c->pid, started))
		kill((pid_t)c->pid, SIGKILL);
	while (is_alive(c->pid, started)) {
		if (now() > deadline)
			return -1;
		nap_ms(1);
	}
	for (;;) {
		int late = now() > deadline - KILL_WAIT_SECONDS / 2.0;

		if (!rooted_in(root, late) && !cgroup_processes(cgroup, late))
			return 0;
		if (now() > deadline)
			return -1;
		nap_ms(2);
	}
}

/* runu/cgroup's remove: rmdir each directory, waiting out EBUSY while exits lag. */
static int remove_cgroup(json_t *cgroup)
{
	const char *key;
	json_t *dir;

	json_object_foreach(cgroup, key, dir) {
		double deadline = now() + CGROUP_REMOVE_WAIT_SECONDS;

		while (rmdir(json_string_value(dir)) < 0 && errno != ENOENT) {
			if (errno != EBUSY || now() > deadline)
				return -1;
			nap_ms(10);
		}
	}
	return 0;
}

/* runu/idrange.py's release: the sandbox's host id range given back. */
static int release_ids(json_t *runtime)
{
	long long base = json_integer_value(json_object_get(runtime, "host_ids"));
	const char *leases = getenv("RUNU_ID_LEASES");
	char path[PATH_MAX];

	if (!base)
		return 0;
	snprintf(path, sizeof(path), "%s/%lld", leases ? leases : RUNU_ID_LEASES,
		 (base - RUNU_ID_RANGE_BASE) / RUNU_ID_COUNT);
	return unlink(path) < 0 && errno != ENOENT ? -1 : 0;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

/*
 * runu/container.py's delete of a container with nothing to undo but its processes, its
 * cgroup, its host id range and its state: not a pod's or a pod's sandbox, no namespace
 * joined, no host paths made, no poststop hook. Any step that fails is done again, and said, by Python.
 */
static int serve_delete(const struct options *opt, char **args, int nargs)
{
	const char *id = NULL, *status;
	json_t *runtime, *cgroup, *network, *made;
	char path[PATH_MAX], root[PATH_MAX];
	struct container c;
	int force = 0, i;

	for (i = 0; i < nargs; i++) {
		if (!strcmp(args[i], "--force") || !strcmp(args[i], "-f"))
			force = 1;
		else if (args[i][0] == '-' || id)
			return DEFER;
		else
			id = args[i];
	}
	if (!id)
		return DEFER;
	if (open_container(opt, id, &c) != SERVED)
		goto out;
	status = current_status(&c);
	runtime = json_object_get(c.state, "runtime");
	cgroup = json_object_get(runtime, "cgroup");
	network = json_object_get(runtime, "network");
	made = json_object_get(runtime, "made_paths");
	if (!strcmp(status, "creating") || (!strcmp(status, "running") && !force) || in_pod(&c) ||
	    !faccessat(c.dir, POD_MEMBERS, F_OK, 0) ||
	    (json_string_value(json_object_get(network, "joined_netns")) &&
	     !faccessat(c.dir, NETWORK_REPORT, F_OK, 0)) ||
	    json_array_size(made) ||
	    (cgroup && !json_is_object(cgroup)) || cgroup_frozen(cgroup) ||
	    has_hooks(c.dir, "poststop", NULL))
		goto out;
	snprintf(path, sizeof(path), "%s/%s/sandbox", opt->root, id);
	if (!realpath(path, root))
		snprintf(root, sizeof(root), "%s", path);
	if ((c.pid && end_container(&c, cgroup, root) < 0) || remove_cgroup(cgroup) < 0 ||
	    release_ids(runtime) < 0)
		goto out;
	snprintf(path, sizeof(path), "%s/%s", opt->root, id);
	nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	close_container(&c);
	if (append_root_event(opt, id, "deleted") < 0)
		fail(opt, "recording its delete in the events log", id);
	return SERVED;
out:
	close_container(&c);
	return DEFER;
}

/* A verb on one container, served here or by the Python CLI as our child: its exit status. */
static int verb_status(const struct options *opt, char **argv, char *cli, char *verb, char **args, int nargs)
{
	int nglobal = opt->args - argv - 1, served = DEFER, status;
	char **call;
	pid_t pid;

	if (!strcmp(verb, "start"))
		served = serve_start(opt, args[0]);
	else if (!strcmp(verb, "kill"))
		served = serve_kill(opt, args, nargs);
	else if (!strcmp(verb, "delete"))
		served = serve_delete(opt, args, nargs);
	if (served == SERVED)
		return 0;
	call = calloc(nglobal + nargs + 2, sizeof(*call));
	if (!call)
		return 1;
	memcpy(call, argv, nglobal * sizeof(*call));
	call[0] = cli;
	call[nglobal] = verb;
	memcpy(call + nglobal + 1, args, nargs * sizeof(*call));
	pid = fork();
	if (pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execv(cli, call);
		_exit(127);
	}
	free(call);
	while (pid > 0 && waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 1;
	return pid > 0 && WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

/* runu/commands/run.py's: signals that reach `runu run` go on to the container. */
static const int FORWARDED[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };

/* The container's process ended (we adopted it): its status as a shell reports it. */
static int wait_forwarding(const struct options *opt, char **argv, char *cli, char *id, pid_t pid)
{
	sigset_t waited;
	int status;

	sigemptyset(&waited);
	for (size_t i = 0; i < sizeof(FORWARDED) / sizeof(*FORWARDED); i++)
		sigaddset(&waited, FORWARDED[i]);
	sigaddset(&waited, SIGCHLD);
	sigprocmask(SIG_BLOCK, &waited, NULL);  /* each waits in the kernel until the loop takes it */
	for (;;) {
		pid_t ended;
		int sig;
		char number[12];

		while ((ended = waitpid(-1, &status, WNOHANG)) > 0)  /* the launcher's children too */
			if (ended == pid)
				return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		if (ended < 0 && errno == ECHILD)
			return 1;
		sig = sigwaitinfo(&waited, NULL);
		if (sig > 0 && sig != SIGCHLD) {
			snprintf(number, sizeof(number), "%d", sig);
			verb_status(opt, argv, cli, "kill", (char *[]){ id, number }, 2);
		}
	}
}

static int value_argument(const char *arg)
{
	return !strcmp(arg, "-b") || !strcmp(arg, "--bundle") || !strcmp(arg, "--pid-file") ||
	       !strcmp(arg, "--console-socket") || !strcmp(arg, "--preserve-fds");
}

static int create_option(const char *arg)
{
	return !strncmp(arg, "--bundle=", 9) || !strncmp(arg, "--pid-file=", 11) ||
	       !strncmp(arg, "--console-socket=", 17) || !strncmp(arg, "--preserve-fds=", 15) ||
	       !strcmp(arg, "--no-pivot") || !strcmp(arg, "--no-new-keyring");
}

/*
 * runu/commands/run.py's run when its create is served warm (runu-warm.c): create, start, then,
 * unless --detach, wait for the container's process, forwarding signals, and delete it. As a
 * subreaper we adopt that process when the launcher, its parent, ends at create.
 */
static int serve_run(const struct options *opt, char **argv)
{
	int nglobal = opt->args - argv - 1, n = nglobal, detach = 0, status, code;
	char **create = calloc(nglobal + opt->nargs + 2, sizeof(*create)), *id = NULL, cli[PATH_MAX];
	struct container c;

	if (!create)
		return DEFER;
	python_cli(cli, sizeof(cli));
	memcpy(create, argv, nglobal * sizeof(*create));
	create[n++] = "create";
	for (int i = 0; i < opt->nargs; i++) {
		char *arg = opt->args[i];

		if (!strcmp(arg, "-d") || !strcmp(arg, "--detach"))
			detach = 1;
		else if (value_argument(arg) && i + 1 < opt->nargs) {
			create[n++] = arg;
			create[n++] = opt->args[++i];
		} else if (create_option(arg))
			create[n++] = arg;
		else if (arg[0] == '-' || id) {
			free(create);
			return DEFER;
		} else
			create[n++] = id = arg;
	}
	if (!id || prctl(PR_SET_CHILD_SUBREAPER, 1) || !warm_create(create, cli, &status)) {
		free(create);
		return DEFER;  /* the Python CLI's run (a subreaper too) */
	}
	free(create);
	if (status)
		exit(status);
	if (verb_status(opt, argv, cli, "start", (char *[]){ id }, 1)) {
		verb_status(opt, argv, cli, "delete", (char *[]){ "--force", id }, 2);
		exit(1);
	}
	if (detach)
		exit(0);
	if (open_container(opt, id, &c) != SERVED)
		exit(1);
	close_container(&c);
	code = wait_forwarding(opt, argv, cli, id, (pid_t)c.pid);
	verb_status(opt, argv, cli, "delete", (char *[]){ "--force", id }, 2);
	exit(code);
}

/* The cgroup.procs of our own cgroup in the unified (v2) hierarchy, if one is mounted. */
static int own_procs_file(char *procs, size_t size)
{
	char *line = NULL, *path = NULL, mount[PATH_MAX] = "";
	size_t cap = 0;
	FILE *f = fopen("/proc/self/cgroup", "re");
	int found;

	while (f && getline(&line, &cap, f) > 0)
		if (!strncmp(line, "0::", 3) && !path) {
			line[strcspn(line, "\n")] = 0;
			path = strdup(line + 3);
		}
	if (f)
		fclose(f);
	f = fopen("/proc/self/mountinfo", "re");
	while (f && !*mount && getline(&line, &cap, f) > 0)
		if (strstr(line, " - cgroup2 ") && sscanf(line, "%*s %*s %*s %*s %4095s", mount) != 1)
			*mount = 0;
	if (f)
		fclose(f);
	found = path && *mount && snprintf(procs, size, "%s%s/cgroup.procs", mount,
					   strcmp(path, "/") ? path : "") < (int)size;
	free(line);
	free(path);
	return found;
}

/*
 * create and run: a process's first move into a cgroup waits out an RCU grace period (the
 * kernel's cgroup migration lock leaves its fast per-CPU mode for writers), and the lock stays
 * ready for writers one grace period after the last move. A child of ours moves itself into the
 * cgroup it is already in (nothing changes, but the lock is taken), then again every
 * WARM_PERIOD_MS until runu create ends (its parent changes) or WARM_MS have passed: the grace
 * period passes while Python starts, and the launcher's join into the container's cgroup, about
 * 30 ms on, does not wait for one. Python ends and reaps it (runu/lockwarmer.py, its pid in
 * RUNU_LOCK_WARMER_ENV) once the launcher has joined or create fails, so it never outlives create.
 */
static void keep_migration_lock_ready(void)
{
	char procs[PATH_MAX];
	pid_t parent = getpid();
	pid_t warmer = fork();
	char pid[16];

	if (warmer > 0) {
		snprintf(pid, sizeof(pid), "%d", warmer);
		setenv(RUNU_LOCK_WARMER_ENV, pid, 1);
	}
	if (warmer != 0)
		return;  /* create goes on at once; a failed fork only loses the head start */
	close_range(0, ~0U, 0);  /* holding none of create's streams, nobody waits for us */
	if (!own_procs_file(procs, sizeof(procs)))
		_exit(0);
	for (int i = 0; i < WARM_MS / WARM_PERIOD_MS && getppid() == parent; i++) {
		int fd = open(procs, O_WRONLY | O_CLOEXEC);

		if (fd < 0 || write(fd, "0", 1) != 1)
			_exit(0);  /* not ours to move (unprivileged): the join waits, as without this */
		close(fd);
		usleep(WARM_PERIOD_MS * 1000);
	}
	_exit(0);
}

int main(int argc, char **argv)
{
	struct options opt = { 0 };
	int served = DEFER, status;
	char cli[PATH_MAX];

	(void)argc;
	if (parse(argv, &opt) == SERVED) {
		if (!strcmp(opt.verb, "run"))
			served = serve_run(&opt, argv);
		else if (!strcmp(opt.verb, "state") && opt.nargs == 1)
			served = serve_state(&opt, opt.args[0]);
		else if (!strcmp(opt.verb, "start") && opt.nargs == 1)
			served = serve_start(&opt, opt.args[0]);
		else if (!strcmp(opt.verb, "kill"))
			served = serve_kill(&opt, opt.args, opt.nargs);
		else if (!strcmp(opt.verb, "delete"))
			served = serve_delete(&opt, opt.args, opt.nargs);
	}
	if (served == SERVED)
		return 0;
	python_cli(cli, sizeof(cli));  /* not before: the served verbs need none */
	if (opt.verb && !strcmp(opt.verb, "create") && warm_create(argv, cli, &status))
		return status;
	if (opt.verb && (!strcmp(opt.verb, "create") || !strcmp(opt.verb, "run")))
		keep_migration_lock_ready();
	defer(argv, cli);
}
