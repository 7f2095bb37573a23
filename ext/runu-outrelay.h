/*
 * The container's stdout and stderr in the guest: pipes, as under runc, that
 * the init copies onto the console lines to the host.
 *
 * A process writing straight to a console line sees a terminal: its C library
 * and its language's runtime then flush at every newline, and every write is
 * a write to the host. Through a pipe it sees what it sees under runc, buffers
 * as it would there, and the init moves what it wrote in large blocks.
 *
 * The init serves the relays in its poll loop, the lines non-blocking, so a
 * host that stops reading never keeps it from forwarding signals; once the
 * process and everything else of the guest has ended, out_relay_drain moves
 * what is left, up to each pipe's end, before the exit status goes out.
 */
#ifndef RUNU_OUTRELAY_H
#define RUNU_OUTRELAY_H

#include <poll.h>
#include <stddef.h>

#define OUT_RELAY_BUFSIZE 65536

struct out_relay {
	int from, to;  /* the pipe's read end, the line; -1 when done or absent */
	size_t off, len;
	unsigned char buf[OUT_RELAY_BUFSIZE];
};

/*
 * A pipe whose read end `r` copies onto `line`; its write end, for the
 * process, is returned (`line` itself, and `r` idle, when `line` is absent or
 * no pipe can be made).
 */
int out_relay_start(struct out_relay *r, int line);
/* The relay's one entry of a poll set (fd -1 when it waits for nothing). */
void out_relay_poll_set(const struct out_relay *r, struct pollfd *pfd);
/* After poll(): move what can move without blocking. */
void out_relay_serve(struct out_relay *r);
/* Everything that wrote to the pipes has ended: move the rest, blocking. */
void out_relay_drain(struct out_relay *r);

#endif
