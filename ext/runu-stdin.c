#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "runu-abi.h"
#include "runu-stdin.h"

static int write_all(int fd, const unsigned char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= n;
	}
	return 0;
}

static void relay(int out, int ack, int framed)
{
	unsigned char in[4096], buf[8192];
	struct pollfd pfd = { .fd = out, .events = 0 };
	ssize_t n;

	signal(SIGPIPE, SIG_IGN);
	/* Input present before the guest listens raises no SIGIO: wait for its word. */
	if (read(ack, in, 1) != 1)
		_exit(0);
	if (ack != out)
		close(ack);
	while ((n = read(0, in, sizeof(in))) != 0) {
		size_t len = 0;

		if (n < 0) {
			/* A terminal shares its open file with the kernel, which makes it non-blocking. */
			struct pollfd in_ready = { .fd = 0, .events = POLLIN };

			if (errno == EAGAIN && poll(&in_ready, 1, -1) >= 0)
				continue;
			if (errno == EINTR)
				continue;
			break;
		}
		for (ssize_t i = 0; i < n; i++) {
			buf[len++] = in[i];
			if (framed && in[i] == STDIN_ESCAPE)
				buf[len++] = STDIN_ESCAPE;
		}
		if (write_all(out, buf, len) < 0)
			_exit(0);
	}
	buf[0] = STDIN_ESCAPE;
	buf[1] = STDIN_END;
	if (framed && write_all(out, buf, 2) < 0)
		_exit(0);
	/* Hold the line open until the kernel is gone (POLLERR: no reader left). */
	while (poll(&pfd, 1, -1) >= 0 && !(pfd.revents & (POLLERR | POLLHUP)))
		;
	_exit(0);
}

/* dup2 then close, unless the descriptor already has its number. */
static void move_fd(int from, int to)
{
	if (from == to)
		return;
	if (dup2(from, to) < 0)
		_exit(126);
	close(from);
}

void stdin_relay_start(int framed, int one_socket)
{
	int p[2], ack[2];
	pid_t pid;

	if (one_socket ? socketpair(AF_UNIX, SOCK_STREAM, 0, p) < 0 : pipe(p) < 0 || pipe(ack) < 0)
		_exit(126);
	pid = fork();
	if (pid < 0)
		_exit(126);
	if (pid == 0) {
		close(p[0]);
		if (!one_socket)
			close(ack[1]);
		/* Hold nothing of the kernel's: the monitor waits for its pipe to close. */
		close(RUNU_FD_READY);
		relay(p[1], one_socket ? p[1] : ack[0], framed);
	}
	close(p[1]);
	move_fd(p[0], 0);
	if (!one_socket) {
		close(ack[0]);
		move_fd(ack[1], RUNU_FD_STDIN_ACK);
	}
}

static void decode(int line, int out)
{
	unsigned char in[4096], plain[4096];
	int escaped = 0;
	ssize_t n;

	signal(SIGPIPE, SIG_IGN);
	while ((n = read(line, in, sizeof(in))) > 0) {
		size_t len = 0;

		for (ssize_t i = 0; i < n; i++) {
			if (escaped) {
				escaped = 0;
				if (in[i] == STDIN_END) {
					write_all(out, plain, len);
					_exit(0);
				}
				plain[len++] = in[i];
			} else if (in[i] == STDIN_ESCAPE) {
				escaped = 1;
			} else {
				plain[len++] = in[i];
			}
		}
		if (write_all(out, plain, len) < 0)
			_exit(0);
	}
	_exit(0);
}

int stdin_decoder_start(int line)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		/* The line listens now: tell the host relay to send. */
		if (write(line, "r", 1) != 1)
			_exit(0);
		decode(line, p[1]);
	}
	close(line);
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return -1;
	}
	return p[0];
}
