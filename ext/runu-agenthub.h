/*
 * The host's end of the agent line, in the monitor: each connection to the
 * container's agent.sock (SOCK_SEQPACKET, one frame per message) is a session
 * of its own. The hub stamps a client's frames with its session, carries them
 * to the guest, and hands the guest's frames for that session back; a client
 * that goes away gets its process killed (HANGUP). A client may send only
 * requests (runu-abi.h's host-to-guest types, session 0, its length right);
 * anything else ends its connection.
 */
#ifndef RUNU_AGENTHUB_H
#define RUNU_AGENTHUB_H

#include <poll.h>

#define HUB_MAX_CLIENTS 64
/* The most descriptors hub_poll_set fills: the line, the listener, the clients. */
#define HUB_POLL_MAX (2 + HUB_MAX_CLIENTS)

void hub_init(int line, int listener);
/* The guest said ready: its agent line takes frames from now on (held until then). */
void hub_guest_ready(void);
int hub_poll_set(struct pollfd *pfd, int max);
void hub_serve(const struct pollfd *pfd, int n);

#endif
