/*
 * The front's side of a warm create (runu/warm.py has the server's): a Python that started
 * and imported runu once forks a worker per create, which saves each create the 25 ms that
 * start and imports take. The worker gets our streams, directory, umask and environment, and
 * asks us to spawn the sandbox launcher: the container's process must descend from our caller
 * (containerd's shim reaps it). Protocol: runu-abi.h's RUNU_WARM_ words.
 *
 * One server per context, named by a hash of it: this installation, our namespaces and cgroup,
 * the RUNU_ variables (runu reads some at import). Only root's calls are served (the servers'
 * directory is root's).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runu-abi.h"
#include "runu-warm.h"

#define MESSAGE_MAX 65536	/* runu/warm.py's */
#define REQUEST_FDS 4		/* stdin, stdout, stderr, the working directory */
#define SPAWN_FDS_MAX 16
#define HIGH_FD 100		/* received descriptors move above the targets they go to */

extern char **environ;

/* The programs spawn_for_worker started: ours to reap. */
static pid_t spawned[SPAWN_FDS_MAX];
static int nspawned;

static const char *const NAMESPACES[] = { "mnt", "net", "pid", "user", "cgroup", "uts", "ipc" };

struct message {
	char words[MESSAGE_MAX];
	size_t len;
	int fds[SPAWN_FDS_MAX];
	int nfds;
};

static uint64_t fnv1a(uint64_t hash, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len--)
		hash = (hash ^ *p++) * 0x100000001b3ULL;
	return hash;
}

static int by_string(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The lines of /proc/self/`name` that start with one of `prefixes` (all when none), hashed. */
static int hash_proc_lines(uint64_t *hash, const char *name, const char *const *prefixes)
{
	char path[64], *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/%s", name);
	if (!(f = fopen(path, "re")))
		return -1;
	while ((n = getline(&line, &cap, f)) > 0)
		for (const char *const *p = prefixes; !*prefixes || *p; p++)
			if (!*prefixes || !strncmp(line, *p, strlen(*p))) {
				*hash = fnv1a(*hash, line, n);
				break;
			}
	free(line);
	fclose(f);
	return 0;
}

/* RUNU_WARM_DIR/KEY.sock, KEY naming this installation, our namespaces, cgroup, privileges
 * (a worker has its server's) and RUNU_ variables. */
static int socket_path(const char *cli, char *path, size_t size)
{
	static const char *const all[] = { NULL };
	static const char *const privileges[] = { "Uid:", "Gid:", "Groups:", "Cap", "NoNewPrivs:", "Seccomp:", NULL };
	uint64_t hash = fnv1a(0xcbf29ce484222325ULL, cli, strlen(cli) + 1);
	char link[64], ns[64];
	const char *vars[256];
	size_t nvars = 0;

	if (hash_proc_lines(&hash, "cgroup", all) || hash_proc_lines(&hash, "status", privileges))
		return -1;
	for (size_t i = 0; i < sizeof(NAMESPACES) / sizeof(*NAMESPACES); i++) {
		ssize_t len;

		snprintf(link, sizeof(link), "/proc/self/ns/%s", NAMESPACES[i]);
		if ((len = readlink(link, ns, sizeof(ns))) <= 0)
			return -1;
		hash = fnv1a(hash, ns, len);
	}
	for (char **e = environ; *e; e++)
		if (!strncmp(*e, "RUNU_", 5) && strncmp(*e, RUNU_LOCK_WARMER_ENV "=", sizeof(RUNU_LOCK_WARMER_ENV))) {
			if (nvars == sizeof(vars) / sizeof(*vars))
				return -1;
			vars[nvars++] = *e;
		}
	qsort(vars, nvars, sizeof(*vars), by_string);
	for (size_t i = 0; i < nvars; i++)
		hash = fnv1a(hash, vars[i], strlen(vars[i]) + 1);
	return snprintf(path, size, RUNU_WARM_DIR "/%016llx.sock", (unsigned long long)hash) < (int)size ? 0 : -1;
}

/* The server, in the background, detached from us and our caller's streams. */
static void start_server(const char *cli, const char *path)
{
	pid_t child = fork();
	int null;

	if (child < 0)
		return;
	if (child > 0) {
		waitpid(child, NULL, 0);
		return;
	}
	setsid();
	if (fork() != 0)
		_exit(0);
	null = open("/dev/null", O_RDWR);
	if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0 || chdir("/"))
		_exit(1);
	close_range(3, ~0U, 0);
	execl(cli, cli, RUNU_WARM_VERB, path, (char *)NULL);
	_exit(127);
}

static int add_word(struct message *m, const char *word)
{
	size_t n = strlen(word) + 1;

	if (m->len + n > sizeof(m->words))
		return -1;
	memcpy(m->words + m->len, word, n);
	m->len += n;
	return 0;
}

static int add_number(struct message *m, long long number)
{
	char text[24];

	snprintf(text, sizeof(text), "%lld", number);
	return add_word(m, text);
}

static int send_message(int sock, const struct message *m)
{
	char control[CMSG_SPACE(sizeof(int) * SPAWN_FDS_MAX)] = { 0 };
	struct iovec iov = { (void *)m->words, m->len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cmsg;

	if (m->nfds) {
		msg.msg_control = control;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * m->nfds);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int) * m->nfds);
		memcpy(CMSG_DATA(cmsg), m->fds, sizeof(int) * m->nfds);
	}
	return sendmsg(sock, &msg, MSG_NOSIGNAL) == (ssize_t)m->len ? 0 : -1;
}

/* The next message, its words NUL-terminated, with the descriptors it brought: its length,
 * 0 at the end, -1 on error. */
static ssize_t receive_message(int sock, struct message *m)
{
	char control[CMSG_SPACE(sizeof(int) * SPAWN_FDS_MAX)];
	struct iovec iov = { m->words, sizeof(m->words) - 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
			      .msg_controllen = sizeof(control) };
	struct cmsghdr *cmsg;
	ssize_t n;

	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	m->nfds = 0;
	for (cmsg = CMSG_FIRSTHDR(&msg); n >= 0 && cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg))
		if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS) {
			m->nfds = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			memcpy(m->fds, CMSG_DATA(cmsg), sizeof(int) * m->nfds);
		}
	if (n < 0 || msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
		return -1;
	m->words[n] = 0;
	m->len = n;
	return n;
}

/* The message's words as an array (pointers into it); their count. */
static int split_words(struct message *m, char **words, int max)
{
	int n = 0;

	for (size_t at = 0; at < m->len && n < max; at += strlen(m->words + at) + 1)
		words[n++] = m->words + at;
	return n;
}

/* RUNU_WARM_SPAWN ARGC ARGV... TARGET...: the program, as our child; the answer for the worker. */
static void spawn_for_worker(int sock, struct message *m)
{
	char *words[256], *argv[200];
	int n = split_words(m, words, 256), argc = n > 1 ? atoi(words[1]) : -1, high[SPAWN_FDS_MAX];
	int targets = n - 2 - argc, error = EINVAL;
	posix_spawn_file_actions_t actions;
	struct message answer = { 0 };
	char *empty[] = { NULL };
	pid_t pid = 0;

	if (argc > 0 && argc < (int)(sizeof(argv) / sizeof(*argv)) && targets == m->nfds) {
		memcpy(argv, words + 2, sizeof(*argv) * argc);
		argv[argc] = NULL;
		posix_spawn_file_actions_init(&actions);
		for (int i = 0; i < targets; i++) {
			high[i] = fcntl(m->fds[i], F_DUPFD_CLOEXEC, HIGH_FD);
			posix_spawn_file_actions_adddup2(&actions, high[i], atoi(words[2 + argc + i]));
		}
		if (nspawned == SPAWN_FDS_MAX)
			error = EAGAIN;
		else if (!(error = posix_spawn(&pid, argv[0], &actions, NULL, argv, empty)))
			spawned[nspawned++] = pid;
		posix_spawn_file_actions_destroy(&actions);
		for (int i = 0; i < targets; i++)
			close(high[i]);
	}
	for (int i = 0; i < m->nfds; i++)
		close(m->fds[i]);
	add_word(&answer, error ? RUNU_WARM_ERROR : RUNU_WARM_PID);
	add_number(&answer, error ? error : pid);
	send_message(sock, &answer);
}

/* The launchers we spawned, once they have ended (they end once they have forked their init;
 * that may be ours too, for a subreaper: `runu run`'s). */
static void reap_spawned(void)
{
	for (int i = 0; i < nspawned; i++)
		while (waitpid(spawned[i], NULL, 0) < 0 && errno == EINTR)
			;
	nspawned = 0;
}

static int send_request(int sock, char **argv)
{
	struct message m = { 0 };
	mode_t mask = umask(0);
	int argc = 0, cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC), sent;

	umask(mask);
	while (argv[argc])
		argc++;
	if (cwd < 0 || add_word(&m, RUNU_WARM_REQUEST) || add_number(&m, mask) || add_number(&m, argc - 1))
		sent = -1;
	else {
		sent = 0;
		for (int i = 1; i < argc && !sent; i++)
			sent = add_word(&m, argv[i]);
		for (char **e = environ; *e && !sent; e++)
			sent = add_word(&m, *e);
	}
	if (!sent) {
		int fds[REQUEST_FDS] = { 0, 1, 2, cwd };

		memcpy(m.fds, fds, sizeof(fds));
		m.nfds = REQUEST_FDS;
		sent = send_message(sock, &m);
	}
	if (cwd >= 0)
		close(cwd);
	return sent;
}

/* The worker's messages until its exit status: 1 when it served create (status set), 0 when
 * it deferred before doing anything. */
static int follow_worker(int sock, int *status)
{
	struct message m;
	int went = 0;

	for (;;) {
		char *words[2] = { "", "" };

		if (receive_message(sock, &m) <= 0) {
			if (went) {
				fprintf(stderr, "runu: create's warm worker ended without an exit status\n");
				*status = 1;
			}
			return went;
		}
		split_words(&m, words, 2);
		if (!strcmp(words[0], RUNU_WARM_DEFER))
			return 0;
		if (!strcmp(words[0], RUNU_WARM_GO))
			went = 1;
		else if (!strcmp(words[0], RUNU_WARM_SPAWN))
			spawn_for_worker(sock, &m);
		else if (!strcmp(words[0], RUNU_WARM_EXIT)) {
			*status = atoi(words[1]);
			return 1;
		}
	}
}

int warm_create(char **argv, const char *cli, int *status)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int sock, served;

	if (geteuid() != 0 || socket_path(cli, addr.sun_path, sizeof(addr.sun_path)))
		return 0;
	sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return 0;
	if (connect(sock, (struct sockaddr *)&addr, sizeof(addr))) {
		if (errno == ENOENT || errno == ECONNREFUSED)
			start_server(cli, addr.sun_path);
		close(sock);
		return 0;
	}
	served = send_request(sock, argv) == 0 && follow_worker(sock, status);
	reap_spawned();
	close(sock);
	return served;
}
