/*
 * The guest agent, in the guest's init: requests from the host on the agent
 * line (runu-abi.h's frames) start processes beside the container's own,
 * carry their stdio, terminal size, signals and exit status, and list the
 * guest's processes. Nothing the host sends can end pid 1: a malformed frame
 * gets an error frame, and a process's own failure is its session's.
 */
#ifndef RUNU_AGENT_H
#define RUNU_AGENT_H

#include <poll.h>
#include <stddef.h>
#include <sys/types.h>

#define AGENT_MAX_SESSIONS 64
/* The most descriptors agent_poll_set fills: the line, and four per session. */
#define AGENT_POLL_MAX (1 + 4 * AGENT_MAX_SESSIONS)

/* Runs a process description in the child, stdio in place; never returns. */
typedef void (*agent_runner)(char *description, size_t len);

/*
 * Serve the agent line `fd` (raw, non-blocking). Processes exec'd into the
 * container join the namespaces `ns_flags` (CLONE_NEWNS, CLONE_NEWCGROUP) of
 * `main`, the container's process, and become what `exec` makes of their
 * description; a container of the pod becomes what `container` makes of its.
 */
void agent_init(int fd, pid_t main, int ns_flags, agent_runner exec, agent_runner container);
/* The descriptors the agent waits on, from pfd[0]; returns how many (at most max). */
int agent_poll_set(struct pollfd *pfd, int max);
/* After poll(): act on what the set agent_poll_set filled reports. */
void agent_serve(const struct pollfd *pfd, int n);
/* A child was reaped: 1 if it was one of the agent's processes. */
int agent_reaped(pid_t pid, int status);

#endif
