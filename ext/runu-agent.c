#define _GNU_SOURCE
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "runu-abi.h"
#include "runu-agent.h"
#include "runu-fail.h"
#include "runu-frame.h"

#define MAX_SESSIONS AGENT_MAX_SESSIONS
/* Past this much unsent, the agent stops reading its processes' output (and the host's input
 * past this much untaken stdin): the host side and the processes set the pace. */
#define BACKLOG_LIMIT (256 * 1024)
#define READ_CHUNK 16384


struct session {
	int used;
	uint32_t id;
	pid_t pid;
	int in, out, err;   /* its stdin (write end), stdout, stderr (read ends); -1 once closed */
	int sync;           /* EOF when it runs its program, a line of error if it could not */
	int master;         /* the terminal's master, or -1 */
	int slave;          /* held until the process runs: its master reads no EIO before */
	int reaped, status, failed, hung_up, close_in;
	struct buffer stdin_backlog;
};

/* What a pollfd the agent filled stands for. */
enum slot_kind { SLOT_LINE, SLOT_SYNC, SLOT_OUT, SLOT_ERR, SLOT_IN };

static int line = -1;
static pid_t main_pid;
static int main_ns;
static agent_runner exec_runner, container_runner;
static struct session sessions[MAX_SESSIONS];
static struct frame_reader inbox;
static struct buffer outbox;
static struct { enum slot_kind kind; struct session *s; } slots[AGENT_POLL_MAX];

/* Queue a frame for the host; out of memory drops it (pid 1 carries on). */
static void send_frame(uint32_t session, uint16_t type, const void *payload, size_t len)
{
	frame_append(&outbox, session, type, payload, len);
}

static void send_u32(uint32_t session, uint16_t type, uint32_t value)
{
	uint32_t le = htole32(value);

	send_frame(session, type, &le, sizeof(le));
}

static void send_error(uint32_t session, const char *fmt, ...)
{
	char text[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	send_frame(session, RUNU_AGENT_ERROR, text, (size_t)n < sizeof(text) ? (size_t)n : sizeof(text) - 1);
}

static void flush_outbox(void)
{
	while (outbox.len) {
		ssize_t n = write(line, outbox.data, outbox.len);

		if (n <= 0)
			return;  /* EAGAIN: poll says when; anything else: the host is gone */
		buffer_consume(&outbox, n);
	}
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static struct session *find(uint32_t id)
{
	for (int i = 0; i < MAX_SESSIONS; i++)
		if (sessions[i].used && sessions[i].id == id)
			return &sessions[i];
	return NULL;
}

static void release(struct session *s)
{
	close_fd(&s->in);
	close_fd(&s->out);
	close_fd(&s->err);
	close_fd(&s->sync);
	close_fd(&s->master);
	close_fd(&s->slave);
	free(s->stdin_backlog.data);
	memset(s, 0, sizeof(*s));
}

/* A session ends once its process is reaped and its output has all been read. */
static void maybe_end(struct session *s)
{
	if (!s->reaped || s->out >= 0 || s->err >= 0 || s->sync >= 0)
		return;
	if (!s->failed && !s->hung_up)
		send_u32(s->id, RUNU_AGENT_EXIT, s->status);
	release(s);
}

/* In the child: the process's own terminal or pipes as 0, 1, 2, then its program. */
static void __attribute__((noreturn)) child(int target_pidfd, int join_ns, const char *slave, int pipes[3][2],
					   char *desc, size_t len, agent_runner run)
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (target_pidfd >= 0 && setns(target_pidfd, join_ns) < 0)
		die(126, "join the container's namespaces: %s", strerror(errno));
	setsid();
	if (slave) {
		int fd = open(slave, O_RDWR);

		if (fd < 0 || ioctl(fd, TIOCSCTTY, 0) < 0)
			die(126, "open the terminal %s: %s", slave, strerror(errno));
		for (int i = 0; i < 3; i++)
			dup2(fd, i);
		if (fd > 2)
			close(fd);
	} else {
		dup2(pipes[0][0], 0);
		dup2(pipes[1][1], 1);
		dup2(pipes[2][1], 2);
	}
	/* Nothing of the init's (the lines, other sessions' ends) reaches the program. */
	close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
	run(desc, len);
	_exit(126);
}

static int open_terminal(int *master, char *slave, size_t size)
{
	int fd = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (fd < 0 || unlockpt(fd) < 0 || ptsname_r(fd, slave, size) != 0) {
		int saved = errno;

		if (fd >= 0)
			close(fd);
		errno = saved;
		return -1;
	}
	*master = fd;
	return 0;
}

static int nonblocking(int fd)
{
	return fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static void start(uint32_t id, char *desc, size_t len, int container)
{
	static const char terminal_mark[] = "stdio\0terminal";
	struct session *s = NULL;
	int pipes[3][2] = { { -1, -1 }, { -1, -1 }, { -1, -1 } }, sync[2] = { -1, -1 }, target_pidfd = -1;
	pid_t pid, target = main_pid;
	int terminal, target_ns = main_ns;
	char slave[64];

	/* "join PID" first: a process for a container of the pod, PID its process (as STARTED said). */
	if (!container && len > 5 && !memcmp(desc, "join", 5)) {
		char *end = memchr(desc + 5, '\0', len - 5);

		if (!end || (target = atoi(desc + 5)) <= 1) {
			send_error(id, "join needs the pid of a container's process");
			return;
		}
		target_ns = CLONE_NEWNS;
		len -= end + 1 - desc;
		desc = end + 1;
	}
	terminal = len >= sizeof(terminal_mark) && !memcmp(desc, terminal_mark, sizeof(terminal_mark));

	if (find(id)) {
		send_error(id, "session %u is in use", id);
		return;
	}
	for (int i = 0; i < MAX_SESSIONS && !s; i++)
		if (!sessions[i].used)
			s = &sessions[i];
	if (!s) {
		send_error(id, "already %d processes run through the agent", MAX_SESSIONS);
		return;
	}
	*s = (struct session){ .used = 1, .id = id, .in = -1, .out = -1, .err = -1, .sync = -1, .master = -1,
			       .slave = -1 };
	if (pipe2(sync, O_CLOEXEC) < 0)
		goto failed;
	s->sync = sync[0];
	/* Opened here: the child is in the container's pid namespace, where the pid differs. A
	 * container of the pod makes namespaces of its own instead. */
	if (!container && target_ns && (target_pidfd = syscall(SYS_pidfd_open, target, 0)) < 0)
		goto failed;
	if (terminal) {
		if (open_terminal(&s->master, slave, sizeof(slave)) < 0 ||
		    (s->slave = open(slave, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0)
			goto failed;
		if ((s->in = fcntl(s->master, F_DUPFD_CLOEXEC, 0)) < 0 ||
		    (s->out = fcntl(s->master, F_DUPFD_CLOEXEC, 0)) < 0)
			goto failed;
	} else {
		for (int i = 0; i < 3; i++)
			if (pipe2(pipes[i], O_CLOEXEC) < 0)
				goto failed;
	}
	pid = fork();
	if (pid < 0)
		goto failed;
	if (pid == 0) {
		die_reports_to(sync[1]);
		child(target_pidfd, target_ns, terminal ? slave : NULL, pipes, desc, len,
		      container ? container_runner : exec_runner);
	}
	s->pid = pid;
	close_fd(&target_pidfd);
	if (!terminal) {
		s->in = pipes[0][1], s->out = pipes[1][0], s->err = pipes[2][0];
		pipes[0][1] = pipes[1][0] = pipes[2][0] = -1;
	}
	close_fd(&sync[1]);
	for (int i = 0; i < 3; i++) {
		close_fd(&pipes[i][0]);
		close_fd(&pipes[i][1]);
	}
	nonblocking(s->in);
	nonblocking(s->out);
	if (s->err >= 0)
		nonblocking(s->err);
	return;
failed:
	send_error(id, "start a process: %s", strerror(errno));
	close_fd(&target_pidfd);
	close_fd(&sync[1]);
	for (int i = 0; i < 3; i++) {
		close_fd(&pipes[i][0]);
		close_fd(&pipes[i][1]);
	}
	release(s);
}

/*
 * One line per process of the container: pid, ppid, uid and the command line, tab-separated.
 * The container's processes are those in its root (the init's own, since it entered it);
 * kernel threads and the init's helpers stayed in the initramfs.
 */
static void list_processes(uint32_t id, const char *payload, uint32_t len)
{
	char table[RUNU_AGENT_MAX_PAYLOAD], root[64] = "/";
	size_t used = 0;
	DIR *proc = opendir("/proc");
	struct dirent *e;
	struct stat container_root;

	/* "join PID": a container of the pod, whose root is its process's. */
	if (len > 5 && len < 32 && !memcmp(payload, "join", 5) && memchr(payload + 5, '\0', len - 5))
		snprintf(root, sizeof(root), "/proc/%d/root", atoi(payload + 5));
	if (!proc || stat(root, &container_root) < 0) {
		if (proc)
			closedir(proc);
		send_error(id, "list processes: %s", strerror(errno));
		return;
	}
	while ((e = readdir(proc))) {
		char path[64], status[512], cmd[1024], entry[1200];
		int pid = atoi(e->d_name), ppid = 0, n, fd;
		unsigned int uid = 0;
		struct stat st;
		ssize_t got;
		char *close_paren;

		if (pid <= 1)
			continue;  /* not a process, or the sandbox's own init */
		snprintf(path, sizeof(path), "/proc/%d/root", pid);
		if (stat(path, &st) < 0 || st.st_dev != container_root.st_dev || st.st_ino != container_root.st_ino)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			continue;
		got = read(fd, status, sizeof(status) - 1);
		if (fstat(fd, &st) == 0)
			uid = st.st_uid;
		close(fd);
		if (got <= 0)
			continue;
		status[got] = '\0';
		if ((close_paren = strrchr(status, ')')))
			sscanf(close_paren + 2, "%*c %d", &ppid);
		snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
		got = (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 ? 0 : read(fd, cmd, sizeof(cmd) - 1);
		if (fd >= 0)
			close(fd);
		if (got < 0)
			got = 0;  /* a zombie: no command line left */
		for (ssize_t i = 0; i < got; i++)
			if (cmd[i] == '\0' || cmd[i] == '\t' || cmd[i] == '\n')
				cmd[i] = ' ';
		while (got > 0 && cmd[got - 1] == ' ')
			got--;
		n = snprintf(entry, sizeof(entry), "%d\t%d\t%u\t%.*s\n", pid, ppid, uid, (int)got, cmd);
		if (used + n > sizeof(table)) {
			send_frame(id, RUNU_AGENT_PS_TABLE, table, used);
			used = 0;
		}
		memcpy(table + used, entry, n);
		used += n;
	}
	closedir(proc);
	send_frame(id, RUNU_AGENT_PS_TABLE, table, used);
	send_u32(id, RUNU_AGENT_EXIT, 0);
}

/* A few lines of a /proc file, as "name value" (the first number after each name). */
static size_t copy_fields(char *out, size_t room, const char *path, const char *const names[],
			  const char *prefix)
{
	char text[4096];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t got = fd < 0 ? -1 : read(fd, text, sizeof(text) - 1);
	size_t used = 0;

	if (fd >= 0)
		close(fd);
	if (got <= 0)
		return 0;
	text[got] = '\0';
	for (int i = 0; names[i]; i++) {
		size_t len = strlen(names[i]);

		for (char *at = text; (at = strstr(at, names[i])); at += len) {
			unsigned long long value;
			int n;

			if ((at != text && at[-1] != '\n') || (at[len] != ':' && at[len] != ' '))
				continue;
			if (sscanf(at + len + 1, " %llu", &value) != 1)
				break;
			n = snprintf(out + used, room - used, "%s%s %llu\n", prefix, names[i], value);
			if (n > 0 && (size_t)n < room - used)
				used += n;
			break;
		}
	}
	return used;
}

/* The guest's memory (kB) and its CPU time since boot (ticks of USER_HZ). */
static void report_stats(uint32_t id)
{
	static const char *const memory[] = { "MemTotal", "MemFree", "MemAvailable", "Cached", NULL };
	char table[1024];
	size_t used = copy_fields(table, sizeof(table), "/proc/meminfo", memory, "memory.");
	unsigned long long user, nice, system, idle;
	FILE *stat = fopen("/proc/stat", "re");

	if (stat && fscanf(stat, "cpu %llu %llu %llu %llu", &user, &nice, &system, &idle) == 4)
		used += snprintf(table + used, sizeof(table) - used, "cpu.user %llu\ncpu.system %llu\ncpu.idle %llu\n",
				 user + nice, system, idle);
	if (stat)
		fclose(stat);
	if (!used) {
		send_error(id, "read the guest's /proc: %s", strerror(errno));
		return;
	}
	send_frame(id, RUNU_AGENT_STATS_TABLE, table, used);
	send_u32(id, RUNU_AGENT_EXIT, 0);
}

static void write_stdin(struct session *s)
{
	while (s->stdin_backlog.len && s->in >= 0) {
		ssize_t n = write(s->in, s->stdin_backlog.data, s->stdin_backlog.len);

		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			/* The process closed its stdin: what it did not take is dropped. */
			s->stdin_backlog.len = 0;
			close_fd(&s->in);
			return;
		}
		buffer_consume(&s->stdin_backlog, n);
	}
	if (!s->stdin_backlog.len && s->close_in)
		close_fd(&s->in);
}

static void handle(uint32_t id, uint16_t type, unsigned char *payload, uint32_t len)
{
	struct session *s = find(id);

	switch (type) {
	case RUNU_AGENT_EXEC:
	case RUNU_AGENT_CONTAINER:
		start(id, (char *)payload, len, type == RUNU_AGENT_CONTAINER);
		return;
	case RUNU_AGENT_PS:
		list_processes(id, (const char *)payload, len);
		return;
	case RUNU_AGENT_STATS:
		report_stats(id);
		return;
	}
	if (!s) {
		/* A session that ended meanwhile, or never was: say so unless the client has gone. */
		if (type != RUNU_AGENT_HANGUP)
			send_error(id, "no process in session %u", id);
		return;
	}
	switch (type) {
	case RUNU_AGENT_STDIN:
		if (len == 0)
			s->close_in = 1;
		else if (s->in >= 0 && buffer_append(&s->stdin_backlog, payload, len) < 0)
			send_error(id, "stdin: out of memory");
		write_stdin(s);
		break;
	case RUNU_AGENT_RESIZE: {
		struct winsize size = { 0 };

		if (len != 4 || s->master < 0)
			break;
		size.ws_row = le16_at(payload);
		size.ws_col = le16_at(payload + 2);
		ioctl(s->master, TIOCSWINSZ, &size);
		break;
	}
	case RUNU_AGENT_SIGNAL: {
		uint32_t sig = len == 4 ? le32_at(payload) : 0;

		if (sig >= 1 && sig <= 64 && !s->reaped)
			kill(s->pid, sig);
		break;
	}
	case RUNU_AGENT_HANGUP:
		s->hung_up = 1;
		if (!s->reaped)
			kill(s->pid, SIGKILL);
		close_fd(&s->in);
		close_fd(&s->out);
		close_fd(&s->err);
		maybe_end(s);
		break;
	default:
		send_error(id, "unknown request type %u", type);
	}
}

static void take_frame(const unsigned char *header, unsigned char *payload, void *unused)
{
	(void)unused;
	handle(frame_session(header), frame_type(header), payload, frame_length(header));
}

static void read_line(void)
{
	size_t dropped = frame_read(&inbox, line, take_frame, NULL);

	if (dropped)
		send_error(0, "malformed frame from the host: %zu bytes dropped", dropped);
}

/* Output of a process, as frames of its session; 0 or an error (EIO: the terminal's last
 * holder is gone) closes that side. */
static void read_output(struct session *s, int *fd, uint16_t type)
{
	unsigned char buf[READ_CHUNK];
	ssize_t n = read(*fd, buf, sizeof(buf));

	if (n > 0) {
		send_frame(s->id, type, buf, n);
		return;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	close_fd(fd);
	maybe_end(s);
}

static void read_sync(struct session *s)
{
	char text[512];
	ssize_t n = read(s->sync, text, sizeof(text));

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0) {
		s->failed = 1;
		send_frame(s->id, RUNU_AGENT_ERROR, text, n);
	} else if (!s->failed) {
		send_u32(s->id, RUNU_AGENT_STARTED, s->pid);
	}
	close_fd(&s->sync);
	close_fd(&s->slave);
	maybe_end(s);
}

void agent_init(int fd, pid_t main, int ns_flags, agent_runner exec, agent_runner container)
{
	line = fd;
	main_pid = main;
	main_ns = ns_flags;
	exec_runner = exec;
	container_runner = container;
}

static int add(struct pollfd *pfd, int *n, int max, int fd, short events, enum slot_kind kind,
	       struct session *s)
{
	if (*n >= max)
		return 0;
	pfd[*n] = (struct pollfd){ .fd = fd, .events = events };
	slots[*n].kind = kind;
	slots[*n].s = s;
	(*n)++;
	return 1;
}

int agent_poll_set(struct pollfd *pfd, int max)
{
	int n = 0, take_input = 1, take_output = outbox.len < BACKLOG_LIMIT;

	if (line < 0)
		return 0;
	for (int i = 0; i < MAX_SESSIONS; i++)
		if (sessions[i].used && sessions[i].stdin_backlog.len >= BACKLOG_LIMIT)
			take_input = 0;
	add(pfd, &n, max, line, (take_input ? POLLIN : 0) | (outbox.len ? POLLOUT : 0), SLOT_LINE, NULL);
	for (int i = 0; i < MAX_SESSIONS; i++) {
		struct session *s = &sessions[i];

		if (!s->used)
			continue;
		/* sync first: a process's STARTED goes out before anything it writes */
		if (s->sync >= 0)
			add(pfd, &n, max, s->sync, POLLIN, SLOT_SYNC, s);
		if (s->out >= 0)
			add(pfd, &n, max, s->out, take_output ? POLLIN : 0, SLOT_OUT, s);
		if (s->err >= 0)
			add(pfd, &n, max, s->err, take_output ? POLLIN : 0, SLOT_ERR, s);
		if (s->in >= 0 && s->stdin_backlog.len)
			add(pfd, &n, max, s->in, POLLOUT, SLOT_IN, s);
	}
	return n;
}

void agent_serve(const struct pollfd *pfd, int n)
{
	for (int i = 0; i < n; i++) {
		struct session *s = slots[i].s;

		if (!pfd[i].revents)
			continue;
		/* An earlier slot may have ended the session (or closed this descriptor). */
		if (s && (!s->used || pfd[i].fd < 0))
			continue;
		switch (slots[i].kind) {
		case SLOT_LINE:
			if (pfd[i].revents & POLLIN)
				read_line();
			break;
		case SLOT_SYNC:
			if (s->sync == pfd[i].fd)
				read_sync(s);
			break;
		case SLOT_OUT:
			if (s->out == pfd[i].fd)
				read_output(s, &s->out, RUNU_AGENT_STDOUT);
			break;
		case SLOT_ERR:
			if (s->err == pfd[i].fd)
				read_output(s, &s->err, RUNU_AGENT_STDERR);
			break;
		case SLOT_IN:
			if (s->in == pfd[i].fd)
				write_stdin(s);
			break;
		}
	}
	flush_outbox();
}

int agent_reaped(pid_t pid, int status)
{
	for (int i = 0; i < MAX_SESSIONS; i++) {
		struct session *s = &sessions[i];

		if (s->used && s->pid == pid && !s->reaped) {
			s->reaped = 1;
			s->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
			/* A terminal's output ends with its process: nothing else holds the slave. */
			maybe_end(s);
			flush_outbox();
			return 1;
		}
	}
	return 0;
}
