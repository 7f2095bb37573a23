#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "runu-abi.h"
#include "runu-agenthub.h"
#include "runu-event.h"
#include "runu-monitor.h"
#include "runu-privdrop.h"
#include "runu-seccomp.h"

/* The monitor's own descriptors (others keep their runu-abi.h numbers). */
#define GUEST_FD RUNU_FD_STATUS   /* what the guest says on its control line */
#define WARDEN_FD RUNU_FD_COMMIT  /* the kernel's host pid, then the seccomp listener */
#define AGENT_LINE_FD RUNU_FD_LAUNCH  /* the host's end of the agent line */

/* The warden socket's next message: an int (the kernel's pid) or a descriptor. */
static int receive(int sock, int *pid, int *fd)
{
	char control[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = pid, .iov_len = sizeof(*pid) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
			      .msg_controllen = sizeof(control) };
	struct cmsghdr *c;
	ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);

	if (n <= 0)
		return -1;
	c = CMSG_FIRSTHDR(&msg);
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
		memcpy(fd, CMSG_DATA(c), sizeof(int));
	return 0;
}

/* What the host says to the guest (the control fifo) into the kernel's control socket. */
static void relay_control(void)
{
	char buf[256];
	ssize_t n = read(RUNU_FD_CONTROL, buf, sizeof(buf));

	if (n > 0 && write(GUEST_FD, buf, n) < 0)
		return;  /* the kernel is gone: its end's close ends the monitor below */
}

static void monitor(const struct monitor_setup *setup)
{
	struct pollfd pfd[3 + HUB_POLL_MAX] = { { .fd = GUEST_FD, .events = POLLIN },
						{ .fd = WARDEN_FD, .events = POLLIN },
						{ .fd = setup->relay_control ? RUNU_FD_CONTROL : -1, .events = POLLIN } };
	int said_ready = 0, launched = 0, kernel = 0, listener = -1, hub_fds;
	int runtime_log = fcntl(RUNU_FD_RUNTIME_LOG, F_GETFD) < 0 ? -1 : RUNU_FD_RUNTIME_LOG;
	char buf[256];

	hub_init(AGENT_LINE_FD, fcntl(RUNU_FD_AGENT_LISTEN, F_GETFD) < 0 ? -1 : RUNU_FD_AGENT_LISTEN);
	for (;;) {
		hub_fds = hub_poll_set(pfd + 3, HUB_POLL_MAX);
		if (poll(pfd, 3 + hub_fds, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[1].revents) {
			int value = 0, fd = -1;

			if (listener >= 0) {
				if (pfd[1].revents & POLLIN)
					seccomp_ward(listener, setup->learn, RUNU_FD_SECCOMP_LEARNED, RUNU_FD_KERNEL_LOG,
						     runtime_log, setup->log_json, kernel, setup->container_id);
				if (pfd[1].revents & (POLLHUP | POLLERR | POLLNVAL))
					pfd[1].fd = -1;  /* nothing runs under the filter any more */
			} else if (receive(WARDEN_FD, &value, &fd) < 0) {
				pfd[1].fd = -1;  /* no allow-list: nothing to ward */
			} else if (fd >= 0) {
				close(WARDEN_FD);
				pfd[1].fd = listener = fd;
			} else {
				kernel = value;
			}
		}
		if (pfd[0].revents) {
			ssize_t n = read(GUEST_FD, buf, sizeof(buf));

			if (n <= 0)
				break;
			launched = 1;  /* the launcher's mark comes first (monitor_launched) */
			if (said_ready || !memmem(buf, n, "ready", 5))
				continue;
			said_ready = 1;
			hub_guest_ready();
			if (write(RUNU_FD_READY, "ready\n", 6) != 6)
				_exit(1);
			if (append_event(RUNU_FD_EVENTS_LOG, setup->container_id, "ready") < 0)
				_exit(1);
		}
		if (pfd[2].revents)
			relay_control();
		hub_serve(pfd + 3, hub_fds);
	}
	if (launched)
		append_event(RUNU_FD_EVENTS_LOG, setup->container_id, "stopped");  /* never started: never stopped */
	_exit(0);
}

/* Keep `fd` at `number`: what is there now is moved out of the way first. */
static void place(int fd, int number)
{
	if (fd != number && dup2(fd, number) < 0)
		_exit(1);
}

/* Close every descriptor but the monitor's (fixed numbers above 2). */
static void keep_only_monitor_fds(int guest, int warden, int agent_line, int relay)
{
	int keep[] = { GUEST_FD, WARDEN_FD, AGENT_LINE_FD, RUNU_FD_CONTROL, RUNU_FD_KERNEL_LOG, RUNU_FD_READY,
		       RUNU_FD_EVENTS_LOG, RUNU_FD_RUNTIME_LOG, RUNU_FD_SECCOMP_LEARNED, RUNU_FD_AGENT_LISTEN };
	unsigned int from = 0;

	place(guest, GUEST_FD);  /* all above the fixed numbers (high()) */
	place(warden, WARDEN_FD);
	place(agent_line, AGENT_LINE_FD);
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		if ((unsigned int)keep[i] > from)
			close_range(from, keep[i] - 1, 0);
		from = keep[i] + 1;
	}
	close_range(from, ~0U, 0);
	if (!relay)
		close(RUNU_FD_CONTROL);  /* the kernel reads it itself */
}

/* Move `fd` above the fixed numbers: one left free by the caller (an optional log) is closed
 * below as the monitor's. */
static int high(int fd)
{
	int moved = fcntl(fd, F_DUPFD_CLOEXEC, 100);

	if (moved < 0)
		_exit(126);
	close(fd);
	return moved;
}

int monitor_start(const struct monitor_setup *setup)
{
	int p[2], sock[2], agent[2];
	pid_t pid;

	if ((setup->relay_control ? socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p) : pipe2(p, O_CLOEXEC)) < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sock) < 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, agent) < 0)
		_exit(126);
	p[0] = high(p[0]), p[1] = high(p[1]), sock[0] = high(sock[0]), sock[1] = high(sock[1]);
	agent[0] = high(agent[0]), agent[1] = high(agent[1]);
	if ((pid = fork()) < 0)
		_exit(126);
	if (pid == 0) {
		/* Started at create, beside the sandbox's pid namespace (it outlives the kernel by the
		 * moment it takes to log "stopped", and can kill it): it holds nothing the container owns. */
		keep_only_monitor_fds(p[0], sock[0], agent[0], setup->relay_control);
		if (drop_to_host_ids(setup->host_ids))
			_exit(1);
		monitor(setup);
	}
	close(p[0]);
	close(sock[0]);
	close(agent[0]);
	/* The kernel's end keeps its number across exec (the agent line is fd:RUNU_FD_AGENT). */
	if (dup2(agent[1], RUNU_FD_AGENT) < 0)
		_exit(126);
	close(agent[1]);
	close(RUNU_FD_AGENT_LISTEN);
	close(RUNU_FD_EVENTS_LOG);
	close(RUNU_FD_RUNTIME_LOG);
	close(RUNU_FD_SECCOMP_LEARNED);
	if (setup->relay_control)
		close(RUNU_FD_CONTROL);  /* the monitor's now */
	if (dup2(p[1], RUNU_FD_READY) < 0)
		_exit(126);
	close(p[1]);
	return sock[1];
}

void monitor_tell_kernel(int warden, int pid)
{
	if (send(warden, &pid, sizeof(pid), 0) != sizeof(pid))
		_exit(126);
}

void monitor_hand_listener(int warden, int listener)
{
	char control[CMSG_SPACE(sizeof(int))] = { 0 };
	int zero = 0;
	struct iovec iov = { .iov_base = &zero, .iov_len = sizeof(zero) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
			      .msg_controllen = sizeof(control) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &listener, sizeof(int));
	if (sendmsg(warden, &msg, 0) != sizeof(zero))
		_exit(126);
	close(listener);
}

void monitor_launched(void)
{
	if (write(RUNU_FD_READY, "\n", 1) != 1)
		_exit(126);
}
