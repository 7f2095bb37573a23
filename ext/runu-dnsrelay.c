#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "runu-dnsrelay.h"

#define MAX_INFLIGHT 32
#define QUERY_TIMEOUT_S 5

struct query {
	int upstream;  /* connected socket for this query, -1 when free */
	struct sockaddr_in client;
	time_t started;
};

static struct sockaddr_in dns_addr(const char *ip)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(53) };

	inet_pton(AF_INET, ip, &a.sin_addr);
	return a;
}

static void forward_query(int listener, struct query *q, const struct sockaddr_in *upstream)
{
	unsigned char buf[4096];
	socklen_t len = sizeof(q->client);
	ssize_t n = recvfrom(listener, buf, sizeof(buf), 0, (struct sockaddr *)&q->client, &len);

	if (n <= 0)
		return;
	q->upstream = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (q->upstream < 0)
		return;
	if (connect(q->upstream, (const struct sockaddr *)upstream, sizeof(*upstream)) < 0 ||
	    send(q->upstream, buf, n, 0) != n) {
		close(q->upstream);
		q->upstream = -1;
		return;
	}
	q->started = time(NULL);
}

static void return_answer(int listener, struct query *q)
{
	unsigned char buf[4096];
	ssize_t n = recv(q->upstream, buf, sizeof(buf), 0);

	if (n > 0)
		sendto(listener, buf, n, 0, (struct sockaddr *)&q->client, sizeof(q->client));
	close(q->upstream);
	q->upstream = -1;
}

static void relay(int listener, const struct sockaddr_in *upstream)
{
	struct query queries[MAX_INFLIGHT];
	struct pollfd pfd[MAX_INFLIGHT + 1];

	for (int i = 0; i < MAX_INFLIGHT; i++)
		queries[i].upstream = -1;
	for (;;) {
		int free_slot = -1;

		pfd[0].fd = listener;
		pfd[0].events = POLLIN;
		for (int i = 0; i < MAX_INFLIGHT; i++) {
			struct query *q = &queries[i];

			if (q->upstream >= 0 && time(NULL) - q->started > QUERY_TIMEOUT_S) {
				close(q->upstream);
				q->upstream = -1;
			}
			if (q->upstream < 0 && free_slot < 0)
				free_slot = i;
			pfd[i + 1].fd = q->upstream;
			pfd[i + 1].events = POLLIN;
		}
		/* With every slot busy, new queries wait in the socket's queue. */
		if (free_slot < 0)
			pfd[0].fd = -1;
		if (poll(pfd, MAX_INFLIGHT + 1, 1000) <= 0)
			continue;
		for (int i = 0; i < MAX_INFLIGHT; i++)
			if (pfd[i + 1].fd >= 0 && (pfd[i + 1].revents & POLLIN))
				return_answer(listener, &queries[i]);
		if (free_slot >= 0 && (pfd[0].revents & POLLIN))
			forward_query(listener, &queries[free_slot], upstream);
	}
}

int dns_relay_listen(const char *listen_ip)
{
	struct sockaddr_in listen_addr = dns_addr(listen_ip);
	int listener = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (listener < 0)
		return -1;
	/* The address may come later: the sandbox kernel boots before the network is handed over. */
	if (setsockopt(listener, IPPROTO_IP, IP_FREEBIND, &(int){ 1 }, sizeof(int)) < 0 ||
	    bind(listener, (struct sockaddr *)&listen_addr, sizeof(listen_addr)) < 0) {
		close(listener);
		return -1;
	}
	return listener;
}

int dns_relay_start(int listener, const char *upstream_ip)
{
	struct sockaddr_in upstream = dns_addr(upstream_ip);
	pid_t parent = getpid(), child = fork();

	if (child != 0) {
		close(listener);
		return child < 0 ? -1 : 0;
	}
	/* Live exactly as long as the process that started us (the kernel, or init). */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0);
	/* Hold none of the container's descriptors: its stdio and event pipes must close with it. */
	if (dup2(listener, 0) < 0)
		_exit(1);
	close_range(1, ~0U, 0);
	relay(0, &upstream);
	_exit(0);
}
