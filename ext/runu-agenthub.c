#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "runu-abi.h"
#include "runu-agenthub.h"
#include "runu-frame.h"

/* Past this much unsent to one side, the hub stops reading from the other. */
#define BACKLOG_LIMIT (256 * 1024)


struct client {
	int fd;             /* -1: a free slot */
	uint32_t session;
	struct buffer pending;  /* the guest's frames for it, not yet sent */
};

enum slot_kind { SLOT_LINE, SLOT_LISTENER, SLOT_CLIENT };

static int line = -1, listener = -1;
/* Until the guest says ready its init may not have the line open in raw mode: a frame the
 * kernel took then would meet the tty's cooked mode (echoed, its CRs turned to NLs). */
static int guest_ready;
static uint32_t last_session;
static struct client clients[HUB_MAX_CLIENTS];
static struct buffer to_guest;
static struct frame_reader from_guest;
static struct { enum slot_kind kind; struct client *c; } slots[HUB_POLL_MAX];

static void tell_guest_hangup(uint32_t session)
{
	frame_append(&to_guest, session, RUNU_AGENT_HANGUP, NULL, 0);
}

static void drop(struct client *c)
{
	close(c->fd);
	tell_guest_hangup(c->session);
	free(c->pending.data);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

static int is_request(uint16_t type)
{
	return type == RUNU_AGENT_EXEC || type == RUNU_AGENT_STDIN || type == RUNU_AGENT_RESIZE ||
	       type == RUNU_AGENT_SIGNAL || type == RUNU_AGENT_PS || type == RUNU_AGENT_STATS ||
	       type == RUNU_AGENT_CONTAINER;
}

/* One message from a client: a request, stamped with its session, goes on to the guest. */
static void read_client(struct client *c)
{
	static unsigned char frame[FRAME_MAX + 1];
	ssize_t n = recv(c->fd, frame, sizeof(frame), MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < RUNU_AGENT_HEADER || frame_session(frame) != 0 || frame_zero(frame) != 0 ||
	    !is_request(frame_type(frame)) || frame_length(frame) != (size_t)n - RUNU_AGENT_HEADER) {
		drop(c);  /* gone (n == 0), or not a request: nothing more from it */
		return;
	}
	frame_set_session(frame, c->session);
	if (buffer_append(&to_guest, frame, n) < 0)
		drop(c);
}

/* A frame of the guest's, to its session's client (one whose client is gone is dropped). */
static void route(const unsigned char *header, unsigned char *payload, void *unused)
{
	(void)payload;
	(void)unused;
	for (int i = 0; i < HUB_MAX_CLIENTS; i++)
		if (clients[i].fd >= 0 && clients[i].session == frame_session(header) &&
		    buffer_append(&clients[i].pending, header, RUNU_AGENT_HEADER + frame_length(header)) < 0)
			drop(&clients[i]);
}

/* A client's frames, one message each, as far as its socket takes them. */
static void send_pending(struct client *c)
{
	while (c->pending.len) {
		size_t len = RUNU_AGENT_HEADER + frame_length(c->pending.data);
		ssize_t n = send(c->fd, c->pending.data, len, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n != (ssize_t)len) {
			drop(c);
			return;
		}
		buffer_consume(&c->pending, len);
	}
}

static void accept_client(void)
{
	int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	for (int i = 0; i < HUB_MAX_CLIENTS; i++) {
		if (clients[i].fd < 0) {
			clients[i].fd = fd;
			/* Never 0 (the guest's word to nobody in particular), never one in use. */
			clients[i].session = ++last_session ? last_session : ++last_session;
			return;
		}
	}
	close(fd);  /* as many clients as sessions the guest serves: this one waits its turn */
}

static void flush_to_guest(void)
{
	while (guest_ready && to_guest.len) {
		ssize_t n = write(line, to_guest.data, to_guest.len);

		if (n <= 0)
			return;
		buffer_consume(&to_guest, n);
	}
}

void hub_guest_ready(void)
{
	guest_ready = 1;
	flush_to_guest();
}

void hub_init(int line_fd, int listener_fd)
{
	line = line_fd;
	listener = listener_fd;
	for (int i = 0; i < HUB_MAX_CLIENTS; i++)
		clients[i].fd = -1;
}

static void add(struct pollfd *pfd, int *n, int fd, short events, enum slot_kind kind, struct client *c)
{
	pfd[*n] = (struct pollfd){ .fd = fd, .events = events };
	slots[*n].kind = kind;
	slots[*n].c = c;
	(*n)++;
}

int hub_poll_set(struct pollfd *pfd, int max)
{
	int n = 0, take_guest = 1, take_clients = to_guest.len < BACKLOG_LIMIT;

	if (line < 0 || max < HUB_POLL_MAX)
		return 0;
	for (int i = 0; i < HUB_MAX_CLIENTS; i++)
		if (clients[i].fd >= 0 && clients[i].pending.len >= BACKLOG_LIMIT)
			take_guest = 0;
	add(pfd, &n, line, (take_guest ? POLLIN : 0) | (guest_ready && to_guest.len ? POLLOUT : 0), SLOT_LINE, NULL);
	if (listener >= 0)
		add(pfd, &n, listener, POLLIN, SLOT_LISTENER, NULL);
	for (int i = 0; i < HUB_MAX_CLIENTS; i++)
		if (clients[i].fd >= 0)
			add(pfd, &n, clients[i].fd, (take_clients ? POLLIN : 0) |
			    (clients[i].pending.len ? POLLOUT : 0), SLOT_CLIENT, &clients[i]);
	return n;
}

void hub_serve(const struct pollfd *pfd, int n)
{
	for (int i = 0; i < n; i++) {
		struct client *c = slots[i].c;

		if (!pfd[i].revents)
			continue;
		switch (slots[i].kind) {
		case SLOT_LINE:
			if (pfd[i].revents & POLLIN)
				frame_read(&from_guest, line, route, NULL);
			break;
		case SLOT_LISTENER:
			accept_client();
			break;
		case SLOT_CLIENT:
			/* An earlier slot may have dropped it (and the slot been taken again). */
			if (c->fd != pfd[i].fd)
				break;
			if (pfd[i].revents & POLLOUT)
				send_pending(c);
			if (c->fd == pfd[i].fd && pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
				read_client(c);
			break;
		}
	}
	for (int i = 0; i < HUB_MAX_CLIENTS; i++)
		if (clients[i].fd >= 0 && clients[i].pending.len)
			send_pending(&clients[i]);
	flush_to_guest();
}
