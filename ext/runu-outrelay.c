#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "runu-outrelay.h"

static void set_nonblocking(int fd, int on)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags >= 0)
		fcntl(fd, F_SETFL, on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK);
}

int out_relay_start(struct out_relay *r, int line)
{
	int p[2];

	r->from = r->to = -1;
	r->off = r->len = 0;
	if (line < 0 || pipe2(p, O_CLOEXEC) < 0)
		return line;  /* the process writes to the line itself, as it did before relays */
	/* Each end is an open file of its own: only the init's read end and line stop blocking. */
	set_nonblocking(p[0], 1);
	set_nonblocking(line, 1);
	r->from = p[0];
	r->to = line;
	return p[1];
}

void out_relay_poll_set(const struct out_relay *r, struct pollfd *pfd)
{
	pfd->revents = 0;
	if (r->off < r->len) {
		pfd->fd = r->to;
		pfd->events = POLLOUT;
	} else {
		pfd->fd = r->from;
		pfd->events = POLLIN;
	}
}

void out_relay_serve(struct out_relay *r)
{
	for (;;) {
		ssize_t n;

		if (r->off == r->len) {
			if (r->from < 0)
				return;
			n = read(r->from, r->buf, sizeof(r->buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && errno == EAGAIN)
				return;  /* nothing yet */
			if (n <= 0) {
				close(r->from);
				r->from = -1;
				return;
			}
			r->off = 0;
			r->len = n;
		}
		n = write(r->to, r->buf + r->off, r->len - r->off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;  /* the line is full: poll says when it takes more */
		if (n <= 0)
			n = r->len - r->off;  /* the line is gone: drop the output, keep the pipe flowing */
		r->off += n;
	}
}

void out_relay_drain(struct out_relay *r)
{
	if (r->to < 0)
		return;
	/* No writer is left, so the pipe ends; the line may block now, as the process's own
	 * writes to it would have. */
	set_nonblocking(r->to, 0);
	if (r->from >= 0)
		set_nonblocking(r->from, 0);
	while (r->from >= 0 || r->off < r->len)
		out_relay_serve(r);
}
