/* SPDX-License-Identifier: GPL-2.0 */
/*
 * librunu-lkl.so: a program's network served by a Linux kernel inside the program.
 *
 * Loaded with LD_PRELOAD, it answers the socket calls of the families it
 * serves (AF_INET, AF_INET6, AF_NETLINK, AF_PACKET) from liblinux.so, the
 * Linux kernel linked into the process, whose network interface is a tap of
 * the process's network namespace. AF_UNIX, files, pipes and everything else
 * stay with the host.
 *
 * Configuration: the environment, read once when the library loads.
 *   RUNU_LKL_TAP=NAME           a tap of this network namespace, attached with
 *                               virtio-net headers and offloads (runu-tap.h);
 *                               without it the kernel has its loopback only
 *   RUNU_LKL_TAP_FD=N           that tap, already attached (runu-lklinit does it
 *                               before the program runs, so that what comes
 *                               before the boot waits in its queue); not open,
 *                               or not that tap: attached by name
 *   RUNU_LKL_MAC=aa:bb:..       the interface's address (default: random)
 *   RUNU_LKL_MTU=1500           its MTU (68 to 1500; default 1500)
 *   RUNU_LKL_ADDRESSES=10.0.0.2/24,fd00::2/64
 *                               IPv4 and IPv6 addresses (IPv6 without duplicate
 *                               detection, usable at once); no prefix: /32, /128
 *   RUNU_LKL_GATEWAYS=10.0.0.1,fd00::1
 *                               default routes
 *   RUNU_LKL_MEMORY_MB=64       the kernel's memory
 *
 * Boot. Lazily, at the first socket() of a served family (a shell that only
 * execs never starts one): the tap is attached first, then the kernel boots
 * (quiet: loglevel=0; its host threads are born with every signal blocked,
 * so the program's signals never land on them), brings lo up and configures
 * the interface through its own rtnetlink. If that fails, the socket() call,
 * and every later one, fails with the reason's errno, and the reason is
 * written once, on one line, to stderr (e.g. the tap is held by another
 * process: EBUSY; one process of the namespace holds it, by an abstract
 * AF_UNIX name it keeps bound, so that two that inherited one descriptor of
 * it do not both read it). Nothing else is ever printed. A tap that could not be
 * attached is tried again at the next such socket() (its holder may have
 * exited); any other failure stays.
 *
 * Descriptors. A kernel socket is shown to the program as a host descriptor
 * of its own, a placeholder (an unconnected AF_UNIX socket: fstat says it is
 * a socket, close-on-exec follows the program's flags), and a table maps the
 * placeholder to the kernel's descriptor. Every call on a mapped descriptor
 * goes to the kernel; dup, dup2, dup3 and F_DUPFD map the copy to the same
 * kernel socket (reference counted: the kernel's is closed with the last
 * placeholder, and not under a call still running on it). F_GETFD/F_SETFD and
 * FIOCLEX act on the placeholder. The table is read without a lock on the
 * fast path (a descriptor that maps nothing costs one or two loads), and
 * entries are taken under one mutex. The tap and the helpers' eventfds are
 * this library's own: close, dup2 and close_range do not take them from it.
 *
 * Waiting. poll, ppoll, select, pselect and the epoll calls split the set:
 * host descriptors only -> the host's call; kernel sockets only -> the
 * kernel's ppoll/epoll_pwait (its epoll_event has the host's layout, packed
 * on x86_64 alone, and epoll's data comes back untouched); both -> first a
 * look at each side without waiting, then a real wait on both: the caller
 * blocks in the host's ppoll over its host descriptors plus a host eventfd,
 * with the program's timeout and signal mask (so signals interrupt it as
 * they would), while a helper thread blocks in the kernel's ppoll over the
 * kernel sockets plus a kernel eventfd. Whichever returns first wakes the
 * other through the other's eventfd; the caller waits for the helper, drains
 * what was written and merges the two results. Helpers (a thread, a host and
 * a kernel eventfd each) are pooled, one per concurrent mixed wait. An epoll
 * descriptor keeps a kernel epoll beside it for its kernel sockets; a mixed
 * epoll_wait waits as above on the two epoll descriptors themselves, then
 * collects from each without waiting; a waiter asleep on one side is woken
 * when another thread adds the set's first descriptor of the other side (an
 * eventfd of ours in each side's set, its events never returned). A
 * kernel-only wait with a signal mask (ppoll, pselect, epoll_pwait) takes the
 * mixed path too, for the mask.
 *
 * Forks. A forked child has the kernel's memory but none of its threads: it
 * is marked (pthread_atfork), its mapped descriptors fail with EBADF (poll:
 * POLLNVAL), closing them closes the placeholder only, and a socket() of a
 * served family fails with ENETDOWN and one line on stderr. A vfork child
 * (posix_spawn, Python's subprocess) shares this table with its parent: its
 * closes and dups touch the host only.
 *
 * Exit. exit() closes the sockets left open, as the host would on the
 * process's exit, and gives the kernel up to five seconds to deliver what its
 * TCP sockets still hold (unsent data, unacknowledged FINs): the kernel ends
 * with the process.
 *
 * Names. libc's resolver opens its sockets inside libc, where no preload
 * reaches: they are the host stack's, which in the program's namespace has
 * only the tap (a nameserver the host stack reaches still answers: Docker's
 * embedded one, 127.0.0.11 through its rules). So getaddrinfo asks libc first
 * and, if no nameserver could be reached (EAI_AGAIN), asks those of
 * /etc/resolv.conf itself through the kernel (UDP; its search, ndots, timeout
 * and attempts options), and has libc make the answer's addresses into the
 * result. AI_ADDRCONFIG is left out of what libc sees: it would judge the
 * addresses configured by the host stack's.
 *
 * Limits. A call blocked inside the kernel (accept, recv, connect, a wait
 * over kernel sockets only without a signal mask) is not interrupted by a
 * host signal: the handler runs, the call goes on (as with SA_RESTART).
 * libc's other internal sockets (gethostbyname, getnameinfo's lookups,
 * getifaddrs, if_nametoindex) stay on the host's stack; stdio streams on
 * sockets (fdopen) are not served.
 *
 * ABI. The kernel's numbers are asm-generic's; its structures are those of
 * the 64-bit host it is built for. What the program's and the kernel's
 * definitions must agree on is checked at compile time below; open flags are
 * translated.
 */
#define _GNU_SOURCE
#undef _FORTIFY_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/close_range.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/*
 * The renamed UAPI headers keep the name __aligned_u64 and define it again, as
 * <linux/types.h> does, which arm64's <signal.h> brings in: the same type either way.
 */
#undef __aligned_u64
#include <lkl/asm/host_ops.h>
#include <lkl/asm/ioctls.h>
#include <lkl/asm/socket.h>
#include <lkl/asm/unistd.h>
#include <lkl/linux/eventfd.h>
#include <lkl/linux/eventpoll.h>
#include <lkl/linux/fcntl.h>
#include <lkl/linux/if.h>
#include <lkl/linux/if_addr.h>
#include <lkl/linux/if_link.h>
#include <lkl/linux/in.h>
#include <lkl/linux/in6.h>
#include <lkl/linux/netlink.h>
#include <lkl/linux/poll.h>
#include <lkl/linux/rtnetlink.h>
#include <lkl/linux/sockios.h>
#include <lkl/linux/time_types.h>
#include <lkl/linux/uio.h>
#include <netdb.h>

#include "runu-tap.h"

int lkl_posix_start(unsigned long memory_bytes, const char *cmdline);

/* <linux/if_tun.h>'s, which cannot be included beside the kernel's renamed <lkl/linux/types.h>. */
#define TUNGETIFF _IOR('T', 210, unsigned int)
#define IFF_VNET_HDR 0x4000

/* ---- what the program's and the kernel's definitions must agree on ---- */

#define SAME(host, kernel) \
	_Static_assert((long long)(host) == (long long)(kernel), #host " differs from the kernel's")
/* Not in the kernel's UAPI headers: asm-generic's own numbers (include/linux/socket.h, net.h). */
SAME(AF_INET, 2);
SAME(AF_INET6, 10);
SAME(AF_NETLINK, 16);
SAME(AF_PACKET, 17);
SAME(SOCK_STREAM, 1);
SAME(SOCK_DGRAM, 2);
SAME(SOCK_RAW, 3);
SAME(SOCK_SEQPACKET, 5);
SAME(SOCK_NONBLOCK, LKL_O_NONBLOCK);
SAME(SOCK_CLOEXEC, LKL_O_CLOEXEC);
SAME(MSG_PEEK, 2);
SAME(MSG_DONTWAIT, 0x40);
SAME(MSG_WAITALL, 0x100);
SAME(MSG_NOSIGNAL, 0x4000);
SAME(MSG_MORE, 0x8000);
SAME(MSG_TRUNC, 0x20);
SAME(SOL_SOCKET, LKL_SOL_SOCKET);
SAME(SO_REUSEADDR, LKL_SO_REUSEADDR);
SAME(SO_REUSEPORT, LKL_SO_REUSEPORT);
SAME(SO_KEEPALIVE, LKL_SO_KEEPALIVE);
SAME(SO_ERROR, LKL_SO_ERROR);
SAME(SO_TYPE, LKL_SO_TYPE);
SAME(SO_RCVBUF, LKL_SO_RCVBUF);
SAME(SO_SNDBUF, LKL_SO_SNDBUF);
SAME(SO_LINGER, LKL_SO_LINGER);
SAME(SO_BROADCAST, LKL_SO_BROADCAST);
SAME(SO_RCVTIMEO, LKL_SO_RCVTIMEO);
SAME(SO_SNDTIMEO, LKL_SO_SNDTIMEO);
SAME(SO_BINDTODEVICE, LKL_SO_BINDTODEVICE);
SAME(SO_DOMAIN, LKL_SO_DOMAIN);
SAME(SO_PROTOCOL, LKL_SO_PROTOCOL);
SAME(SO_ACCEPTCONN, LKL_SO_ACCEPTCONN);
SAME(SO_PEERCRED, LKL_SO_PEERCRED);
SAME(SO_TIMESTAMP, LKL_SO_TIMESTAMP);
SAME(IPPROTO_TCP, LKL_IPPROTO_TCP);
SAME(IPPROTO_IPV6, LKL_IPPROTO_IPV6);
SAME(IPV6_V6ONLY, LKL_IPV6_V6ONLY);
SAME(IP_TTL, LKL_IP_TTL);
SAME(IP_ADD_MEMBERSHIP, LKL_IP_ADD_MEMBERSHIP);
SAME(POLLIN, LKL_POLLIN);
SAME(POLLPRI, LKL_POLLPRI);
SAME(POLLOUT, LKL_POLLOUT);
SAME(POLLERR, LKL_POLLERR);
SAME(POLLHUP, LKL_POLLHUP);
SAME(POLLNVAL, LKL_POLLNVAL);
SAME(POLLRDNORM, LKL_POLLRDNORM);
SAME(POLLRDBAND, LKL_POLLRDBAND);
SAME(POLLWRNORM, LKL_POLLWRNORM);
SAME(POLLWRBAND, LKL_POLLWRBAND);
SAME(POLLRDHUP, LKL_POLLRDHUP);
SAME(EPOLLIN, LKL_EPOLLIN);
SAME(EPOLLOUT, LKL_EPOLLOUT);
SAME(EPOLLPRI, LKL_EPOLLPRI);
SAME(EPOLLERR, LKL_EPOLLERR);
SAME(EPOLLHUP, LKL_EPOLLHUP);
SAME(EPOLLRDHUP, LKL_EPOLLRDHUP);
SAME(EPOLLET, LKL_EPOLLET);
SAME(EPOLLONESHOT, LKL_EPOLLONESHOT);
SAME(EPOLLEXCLUSIVE, LKL_EPOLLEXCLUSIVE);
SAME(EPOLL_CTL_ADD, LKL_EPOLL_CTL_ADD);
SAME(EPOLL_CTL_DEL, LKL_EPOLL_CTL_DEL);
SAME(EPOLL_CTL_MOD, LKL_EPOLL_CTL_MOD);
SAME(F_GETFL, LKL_F_GETFL);
SAME(F_SETFL, LKL_F_SETFL);
SAME(F_GETOWN, LKL_F_GETOWN);
SAME(F_SETOWN, LKL_F_SETOWN);
SAME(FIONBIO, LKL_FIONBIO);
SAME(FIONREAD, LKL_FIONREAD);
SAME(SIOCGIFADDR, LKL_SIOCGIFADDR);
SAME(SIOCGIFFLAGS, LKL_SIOCGIFFLAGS);
SAME(SIOCGIFHWADDR, LKL_SIOCGIFHWADDR);
SAME(SIOCGIFCONF, LKL_SIOCGIFCONF);
SAME(SIOCGIFINDEX, LKL_SIOCGIFINDEX);
SAME(SIOCGIFMTU, LKL_SIOCGIFMTU);
SAME(IFNAMSIZ, LKL_IFNAMSIZ);
SAME(sizeof(struct pollfd), sizeof(struct lkl_pollfd));
SAME(offsetof(struct pollfd, revents), offsetof(struct lkl_pollfd, revents));
SAME(sizeof(struct epoll_event), sizeof(struct lkl_epoll_event));
SAME(offsetof(struct epoll_event, data), offsetof(struct lkl_epoll_event, lkl_data));
SAME(sizeof(struct timespec), sizeof(struct __lkl__kernel_timespec));
SAME(sizeof(struct timeval), sizeof(struct __lkl__kernel_old_timeval));
SAME(sizeof(struct iovec), sizeof(struct lkl_iovec));
SAME(sizeof(struct sockaddr_in), sizeof(struct lkl_sockaddr_in));
SAME(sizeof(struct sockaddr_in6), sizeof(struct lkl_sockaddr_in6));
SAME(sizeof(struct ifreq), sizeof(struct lkl_ifreq));
SAME(sizeof(struct ifconf), sizeof(struct lkl_ifconf));
/* The kernel's user_msghdr and cmsghdr on a 64-bit machine (not UAPI either). */
SAME(offsetof(struct msghdr, msg_namelen), 8);
SAME(offsetof(struct msghdr, msg_iov), 16);
SAME(offsetof(struct msghdr, msg_iovlen), 24);
SAME(offsetof(struct msghdr, msg_control), 32);
SAME(offsetof(struct msghdr, msg_controllen), 40);
SAME(offsetof(struct msghdr, msg_flags), 48);
SAME(sizeof(struct msghdr), 56);
SAME(sizeof(struct mmsghdr), 64);
SAME(sizeof(struct cmsghdr), 16);
SAME(sizeof(long), 8);

/* ---- the host's functions ---- */

/* The fortified entry points: libc declares them only for _FORTIFY_SOURCE builds. */
ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen);
ssize_t __recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags);
ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t buflen, int flags,
		       struct sockaddr *addr, socklen_t *addrlen);
int __poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fdslen);
int __ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *ts, const sigset_t *mask,
		size_t fdslen);

#define HOST(name) static __typeof__(name) *host_##name
HOST(socket); HOST(bind); HOST(listen); HOST(accept); HOST(accept4); HOST(connect);
HOST(getsockname); HOST(getpeername); HOST(setsockopt); HOST(getsockopt); HOST(shutdown);
HOST(send); HOST(sendto); HOST(sendmsg); HOST(sendmmsg);
HOST(recv); HOST(recvfrom); HOST(recvmsg); HOST(recvmmsg);
HOST(read); HOST(write); HOST(readv); HOST(writev);
HOST(close); HOST(close_range); HOST(fclose);
HOST(fcntl); HOST(fcntl64); HOST(ioctl); HOST(dup); HOST(dup2); HOST(dup3);
HOST(poll); HOST(ppoll); HOST(select); HOST(pselect);
HOST(epoll_create); HOST(epoll_create1); HOST(epoll_ctl);
HOST(epoll_wait); HOST(epoll_pwait); HOST(epoll_pwait2);
HOST(sendfile); HOST(sendfile64); HOST(getaddrinfo);
HOST(__read_chk); HOST(__recv_chk); HOST(__recvfrom_chk); HOST(__poll_chk); HOST(__ppoll_chk);

static void *resolve(void **where, const char *name)
{
	void *fn = __atomic_load_n(where, __ATOMIC_ACQUIRE);

	if (!fn) {
		fn = dlsym(RTLD_NEXT, name);
		__atomic_store_n(where, fn, __ATOMIC_RELEASE);
	}
	return fn;
}

/* The next definition of name (libc's), found on first use. */
#define CALL(name) ((__typeof__(host_##name))resolve((void **)&host_##name, #name))

/* ---- the kernel ---- */

static long kcall(long nr, long a, long b, long c, long d, long e, long f)
{
	long params[6] = { a, b, c, d, e, f };

	return lkl_syscall(nr, params);
}

static void kclose(long kfd)
{
	kcall(__lkl__NR_close, kfd, 0, 0, 0, 0, 0);
}

/* A kernel result as libc returns it: -1 and errno for an error. */
static long sysret(long r)
{
	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return r;
}

static void say(const char *fmt, ...)
{
	char line[512];
	int n = snprintf(line, sizeof(line), "runu-lkl: ");
	va_list ap;

	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	(void)!CALL(write)(STDERR_FILENO, line, n);
}

/* ---- configuration ---- */

#define MAX_ADDRESSES 16

struct ipaddr {
	int family;
	unsigned char bytes[16];
	int prefix;
};

static struct {
	char tap[IFNAMSIZ];
	int tap_fd;	/* RUNU_LKL_TAP_FD, or -1 */
	unsigned char mac[6];
	int has_mac;
	int mtu;
	struct ipaddr addresses[MAX_ADDRESSES];
	int naddresses;
	struct ipaddr gateways[MAX_ADDRESSES];
	int ngateways;
	unsigned long memory_mb;
	char problem[256];	/* what is wrong with the environment, said at boot */
} config;

static void config_problem(const char *fmt, ...)
{
	va_list ap;

	if (config.problem[0])
		return;
	va_start(ap, fmt);
	vsnprintf(config.problem, sizeof(config.problem), fmt, ap);
	va_end(ap);
}

static int parse_ip(const char *text, struct ipaddr *ip, int with_prefix)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	int max;
	long prefix;

	if (strlen(text) >= sizeof(buf))
		return -1;
	strcpy(buf, text);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	if (inet_pton(AF_INET, buf, ip->bytes) == 1) {
		ip->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, ip->bytes) == 1) {
		ip->family = AF_INET6;
		max = 128;
	} else {
		return -1;
	}
	ip->prefix = max;
	if (slash) {
		if (!with_prefix)
			return -1;
		errno = 0;
		prefix = strtol(slash + 1, &end, 10);
		if (errno || end == slash + 1 || *end || prefix < 0 || prefix > max)
			return -1;
		ip->prefix = (int)prefix;
	}
	return 0;
}

static void parse_list(const char *name, struct ipaddr *out, int *n, int with_prefix)
{
	const char *value = getenv(name);
	char *copy, *item, *save = NULL;

	if (!value || !*value)
		return;
	copy = strdup(value);
	if (!copy) {
		config_problem("%s: out of memory", name);
		return;
	}
	for (item = strtok_r(copy, ", ", &save); item; item = strtok_r(NULL, ", ", &save)) {
		if (*n == MAX_ADDRESSES) {
			config_problem("%s: more than %d entries", name, MAX_ADDRESSES);
			break;
		}
		if (parse_ip(item, &out[*n], with_prefix)) {
			config_problem("%s: '%s' is not an IPv4 or IPv6 address%s", name, item,
				       with_prefix ? " (with an optional /prefix)" : "");
			break;
		}
		(*n)++;
	}
	free(copy);
}

static long parse_number(const char *name, long fallback, long min, long max)
{
	const char *value = getenv(name);
	char *end;
	long n;

	if (!value || !*value)
		return fallback;
	errno = 0;
	n = strtol(value, &end, 10);
	if (errno || *end || n < min || n > max) {
		config_problem("%s: '%s' is not a number from %ld to %ld", name, value, min, max);
		return fallback;
	}
	return n;
}

static void read_config(void)
{
	const char *tap = getenv("RUNU_LKL_TAP"), *mac = getenv("RUNU_LKL_MAC");

	if (tap && *tap) {
		if (strlen(tap) >= IFNAMSIZ)
			config_problem("RUNU_LKL_TAP: '%s' is longer than an interface name can be", tap);
		else
			strcpy(config.tap, tap);
	}
	if (mac && *mac) {
		unsigned int b[6];
		char extra;

		if (sscanf(mac, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
			   &extra) != 6) {
			config_problem("RUNU_LKL_MAC: '%s' is not a MAC address (aa:bb:cc:dd:ee:ff)", mac);
		} else {
			for (int i = 0; i < 6; i++)
				config.mac[i] = (unsigned char)b[i];
			config.has_mac = 1;
		}
	}
	config.tap_fd = (int)parse_number("RUNU_LKL_TAP_FD", -1, 0, INT_MAX);
	config.mtu = (int)parse_number("RUNU_LKL_MTU", 0, 68, 1500);
	config.memory_mb = (unsigned long)parse_number("RUNU_LKL_MEMORY_MB", 64, 16, 1 << 20);
	parse_list("RUNU_LKL_ADDRESSES", config.addresses, &config.naddresses, 1);
	parse_list("RUNU_LKL_GATEWAYS", config.gateways, &config.ngateways, 0);
}

/* ---- descriptors ---- */

enum kind { SOCKET = 1, EPOLL };

struct entry {
	enum kind kind;
	int refs;	/* the placeholders naming it, and the calls under way on it */
	long kfd;	/* the kernel's descriptor; EPOLL: its kernel epoll, -1 until needed */
	int nhost;	/* EPOLL: host descriptors in its set (may overcount: closed ones) */
	int nkernel;	/* EPOLL: kernel sockets in its set (likewise) */
	int hkick;	/* EPOLL, with a kernel epoll: host eventfd in the host set (KICK) */
	long kkick;	/* and a kernel eventfd in the kernel set (KICK) */
};

#define CHUNK_BITS 10
#define CHUNK_SIZE (1 << CHUNK_BITS)
#define NCHUNKS 1024	/* descriptors below 2^20 can be mapped */

static struct entry **chunks[NCHUNKS];
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static int nsockets;	/* descriptors mapped to kernel sockets */

static int forked;	/* a fork of the process the kernel runs in: no kernel here */
static pid_t owner;	/* the process this table is for (a vfork child shares it) */

static struct entry **slot(int fd, int make)
{
	struct entry **chunk;

	if (fd < 0 || fd >= NCHUNKS * CHUNK_SIZE)
		return NULL;
	chunk = __atomic_load_n(&chunks[fd >> CHUNK_BITS], __ATOMIC_ACQUIRE);
	if (!chunk && make) {
		/* Only under table_lock: nobody else makes it meanwhile. */
		chunk = calloc(CHUNK_SIZE, sizeof(*chunk));
		if (!chunk)
			return NULL;
		__atomic_store_n(&chunks[fd >> CHUNK_BITS], chunk, __ATOMIC_RELEASE);
	}
	return chunk ? &chunk[fd & (CHUNK_SIZE - 1)] : NULL;
}

/* Whether fd may be mapped: no lock, no reference (the entry may be going). */
static int mapped(int fd)
{
	struct entry **s = slot(fd, 0);

	return s && __atomic_load_n(s, __ATOMIC_ACQUIRE);
}

/* Under table_lock. */
static struct entry *entry_at(int fd)
{
	struct entry **s = slot(fd, 0);

	return s ? *s : NULL;
}

/* The entry of fd if it is of this kind, with a reference for the caller to put(). */
static struct entry *get(int fd, enum kind kind)
{
	struct entry *e;

	if (!mapped(fd))
		return NULL;
	pthread_mutex_lock(&table_lock);
	e = entry_at(fd);
	if (e && e->kind == kind)
		__atomic_add_fetch(&e->refs, 1, __ATOMIC_RELAXED);
	else
		e = NULL;
	pthread_mutex_unlock(&table_lock);
	return e;
}

static struct entry *sock(int fd)
{
	return get(fd, SOCKET);
}

static void put(struct entry *e)
{
	if (__atomic_sub_fetch(&e->refs, 1, __ATOMIC_ACQ_REL))
		return;
	if (e->kfd >= 0 && !forked)
		kclose(e->kfd);
	if (e->kind == EPOLL && e->kfd >= 0) {
		CALL(close)(e->hkick);
		if (!forked)
			kclose(e->kkick);
	}
	free(e);
}

/*
 * Under table_lock: fd names e from now on (the slot takes over one of e's
 * references; e may be NULL). Returns what it named before, for the caller to
 * put() once the lock is released; *failed when fd cannot be mapped.
 */
static struct entry *set_slot(int fd, struct entry *e, int *failed)
{
	struct entry **s = slot(fd, e != NULL), *old;

	if (!s) {
		*failed = e != NULL;
		return NULL;
	}
	old = *s;
	__atomic_store_n(s, e, __ATOMIC_RELEASE);
	if (old && old->kind == SOCKET)
		__atomic_sub_fetch(&nsockets, 1, __ATOMIC_RELAXED);
	if (e && e->kind == SOCKET)
		__atomic_add_fetch(&nsockets, 1, __ATOMIC_RELAXED);
	return old;
}

/* Take fd's entry out of the table: the caller put()s it (after closing fd). */
static struct entry *unmap(int fd)
{
	struct entry *e;
	int failed;

	pthread_mutex_lock(&table_lock);
	e = set_slot(fd, NULL, &failed);
	pthread_mutex_unlock(&table_lock);
	return e;
}

/* Map host descriptor fd to a new entry (kind, kfd); -1 with errno if it cannot be. */
static int map_new(int fd, enum kind kind, long kfd)
{
	struct entry *e = malloc(sizeof(*e)), *old;
	int failed = 0;

	if (!e) {
		errno = ENOMEM;
		return -1;
	}
	*e = (struct entry){ .kind = kind, .refs = 1, .kfd = kfd };
	pthread_mutex_lock(&table_lock);
	old = set_slot(fd, e, &failed);
	pthread_mutex_unlock(&table_lock);
	if (failed) {
		free(e);
		errno = EMFILE;
		return -1;
	}
	if (old)
		put(old);	/* a stale entry: its descriptor was closed behind our back */
	return 0;
}

/* A placeholder for kernel socket kfd: the program's descriptor, or -1 with errno. */
static int adopt(long kfd, int cloexec)
{
	int fd = CALL(socket)(AF_UNIX, SOCK_STREAM | (cloexec ? SOCK_CLOEXEC : 0), 0), err;

	if (fd < 0) {
		err = errno;
		kclose(kfd);
		errno = err;
		return -1;
	}
	if (map_new(fd, SOCKET, kfd)) {
		err = errno;
		CALL(close)(fd);
		kclose(kfd);
		errno = err;
		return -1;
	}
	return fd;
}

/* This library's own host descriptors (the tap, the helpers' eventfds). */
#define MAX_INTERNAL 64
static int internal_fds[MAX_INTERNAL];
static int ninternal;
static pthread_mutex_t internal_lock = PTHREAD_MUTEX_INITIALIZER;

static void add_internal(int fd)
{
	pthread_mutex_lock(&internal_lock);
	if (ninternal < MAX_INTERNAL) {
		internal_fds[ninternal] = fd;
		__atomic_store_n(&ninternal, ninternal + 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&internal_lock);
}

/* Whether fd is ours, to be kept from the program (a fork or vfork child may do as it likes). */
static int internal(int fd)
{
	int n = __atomic_load_n(&ninternal, __ATOMIC_ACQUIRE);

	if (forked)
		return 0;
	for (int i = 0; i < n; i++)
		if (internal_fds[i] == fd)
			return getpid() == owner;
	return 0;
}

/* Run kernel call nr on e's kernel descriptor with the other arguments, and drop e. */
static long on_kernel(struct entry *e, long nr, long b, long c, long d, long f, long g)
{
	long r = forked ? -EBADF : kcall(nr, e->kfd, b, c, d, f, g);

	put(e);
	return r;
}

/* A send's result; the host's SIGPIPE for a broken connection, as its kernel would raise. */
static long sent(long r, int flags)
{
	if (r == -EPIPE && !(flags & MSG_NOSIGNAL))
		raise(SIGPIPE);
	return sysret(r);
}

/* ---- boot ---- */

static pthread_mutex_t boot_lock = PTHREAD_MUTEX_INITIALIZER;
static int state;	/* 0: not booted; 1: running; < 0: the boot failed with this -errno */
static int tap_fd = -1;
static int tap_vnet;	/* tap_fd has virtio-net headers */

#define NL_ALIGN(n) (((n) + 3U) & ~3U)

union nlmsg {
	struct lkl_nlmsghdr head;
	char buf[512];
};

static void nl_body(union nlmsg *m, const void *body, size_t len)
{
	memcpy(m->buf + sizeof(m->head), body, len);
	m->head.nlmsg_len = sizeof(m->head) + len;
}

static void nl_attr(union nlmsg *m, unsigned short type, const void *data, unsigned short len)
{
	struct lkl_rtattr *a = (struct lkl_rtattr *)(m->buf + NL_ALIGN(m->head.nlmsg_len));

	a->rta_type = type;
	a->rta_len = sizeof(*a) + len;
	memcpy(a + 1, data, len);
	m->head.nlmsg_len = NL_ALIGN(m->head.nlmsg_len) + NL_ALIGN(a->rta_len);
}

/* Send one rtnetlink request to the kernel and return its answer: 0 or -errno. */
static long rtnl(long nl, union nlmsg *m, int type, int flags)
{
	static unsigned int seq;
	union nlmsg reply;
	long r;

	m->head.nlmsg_type = type;
	m->head.nlmsg_flags = LKL_NLM_F_REQUEST | LKL_NLM_F_ACK | flags;
	m->head.nlmsg_seq = ++seq;
	r = kcall(__lkl__NR_sendto, nl, (long)m, m->head.nlmsg_len, 0, 0, 0);
	if (r < 0)
		return r;
	for (;;) {
		r = kcall(__lkl__NR_recvfrom, nl, (long)&reply, sizeof(reply), 0, 0, 0);
		if (r < 0)
			return r;
		if (r < (long)(sizeof(reply.head) + sizeof(int)))
			return -EPROTO;
		if (reply.head.nlmsg_seq != m->head.nlmsg_seq)
			continue;
		if (reply.head.nlmsg_type == LKL_NLMSG_ERROR)
			return ((struct lkl_nlmsgerr *)(reply.buf + sizeof(reply.head)))->error;
		return 0;
	}
}

static long link_up(long nl, int index, int mtu)
{
	struct lkl_ifinfomsg info = { .ifi_index = index, .ifi_flags = LKL_IFF_UP, .ifi_change = LKL_IFF_UP };
	union nlmsg m = { 0 };
	uint32_t value = mtu;

	nl_body(&m, &info, sizeof(info));
	if (mtu)
		nl_attr(&m, LKL_IFLA_MTU, &value, sizeof(value));
	return rtnl(nl, &m, LKL_RTM_NEWLINK, 0);
}

static long address_add(long nl, int index, const struct ipaddr *ip)
{
	struct lkl_ifaddrmsg msg = {
		.ifa_family = ip->family, .ifa_prefixlen = ip->prefix, .ifa_index = index,
		.ifa_flags = ip->family == AF_INET6 ? LKL_IFA_F_NODAD : 0,
	};
	unsigned short len = ip->family == AF_INET ? 4 : 16;
	union nlmsg m = { 0 };

	nl_body(&m, &msg, sizeof(msg));
	nl_attr(&m, LKL_IFA_LOCAL, ip->bytes, len);
	nl_attr(&m, LKL_IFA_ADDRESS, ip->bytes, len);
	if (ip->family == AF_INET && ip->prefix < 31) {
		uint32_t addr, mask = ip->prefix ? htonl(~0U << (32 - ip->prefix)) : 0, brd;

		memcpy(&addr, ip->bytes, 4);
		brd = addr | ~mask;
		nl_attr(&m, LKL_IFA_BROADCAST, &brd, 4);
	}
	return rtnl(nl, &m, LKL_RTM_NEWADDR, LKL_NLM_F_CREATE | LKL_NLM_F_EXCL);
}

static long route_add(long nl, int index, const struct ipaddr *via)
{
	struct lkl_rtmsg msg = {
		.rtm_family = via->family, .rtm_table = LKL_RT_TABLE_MAIN, .rtm_protocol = LKL_RTPROT_BOOT,
		.rtm_scope = LKL_RT_SCOPE_UNIVERSE, .rtm_type = LKL_RTN_UNICAST,
	};
	union nlmsg m = { 0 };
	uint32_t oif = index;

	nl_body(&m, &msg, sizeof(msg));
	nl_attr(&m, LKL_RTA_GATEWAY, via->bytes, via->family == AF_INET ? 4 : 16);
	nl_attr(&m, LKL_RTA_OIF, &oif, sizeof(oif));
	return rtnl(nl, &m, LKL_RTM_NEWROUTE, LKL_NLM_F_CREATE | LKL_NLM_F_EXCL);
}

static const char *ntop(const struct ipaddr *ip, char *buf)
{
	return inet_ntop(ip->family, ip->bytes, buf, INET6_ADDRSTRLEN) ? buf : "?";
}

/*
 * The kernel's wall clock, as the host's. It starts from the host's at boot but
 * runs behind by however long the boot took before its clock source was the
 * host's, and the program compares the two (ping's SO_TIMESTAMP against its
 * own gettimeofday: "time of day goes back"). Set it ahead by half a call's
 * round trip, about when the kernel reads it.
 */
static void set_wall_clock(void)
{
	struct timespec before, after;
	struct __lkl__kernel_timespec kts;
	long long ns, half;

	clock_gettime(CLOCK_REALTIME, &before);
	kcall(__lkl__NR_getpid, 0, 0, 0, 0, 0, 0);
	clock_gettime(CLOCK_REALTIME, &after);
	half = ((after.tv_sec - before.tv_sec) * 1000000000LL + after.tv_nsec - before.tv_nsec) / 2;
	ns = after.tv_nsec + (half > 0 ? half : 0);
	kts.tv_sec = after.tv_sec + ns / 1000000000LL;
	kts.tv_nsec = ns % 1000000000LL;
	kcall(__lkl__NR_clock_settime, CLOCK_REALTIME, (long)&kts, 0, 0, 0, 0);
}

/* Writes a sysctl of the kernel's (a path under /proc/sys); failures are left alone. */
static void kernel_sysctl(const char *path, const char *value)
{
	long fd = kcall(__lkl__NR_openat, LKL_AT_FDCWD, (long)path, LKL_O_WRONLY | LKL_O_CLOEXEC, 0, 0, 0);

	if (fd < 0)
		return;
	kcall(__lkl__NR_write, fd, (long)value, (long)strlen(value), 0, 0, 0);
	kclose(fd);
}

/*
 * TCP's memory. The kernel sizes it from its own memory (RUNU_LKL_MEMORY_MB),
 * as for a whole machine that small: with 64 MB a socket's receive buffer
 * stopped at 480 KB and all of TCP came under pressure at 3.7 MB, and iperf3
 * from the host got 5 to 13 Gbit/s. The library kernel serves one program, so
 * its sockets get Linux's usual buffers (6 MB to receive, 4 MB to send) and
 * TCP may use a quarter of its memory before pressure and half at most: 16
 * Gbit/s, as the host's own stack.
 */
static void tcp_memory(void)
{
	unsigned long pages = config.memory_mb << (20 - 12);
	char limits[64];

	kernel_sysctl("/proc/sys/net/ipv4/tcp_rmem", "4096 131072 6291456");
	kernel_sysctl("/proc/sys/net/ipv4/tcp_wmem", "4096 16384 4194304");
	snprintf(limits, sizeof(limits), "%lu %lu %lu", pages / 4, pages * 3 / 8, pages / 2);
	kernel_sysctl("/proc/sys/net/ipv4/tcp_mem", limits);
}

/* lo up; the tap as an interface, up, addressed and routed. 0 or -errno, said. */
static long configure(void)
{
	long nl, index, err;
	char text[INET6_ADDRSTRLEN];

	nl = kcall(__lkl__NR_socket, AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, LKL_NETLINK_ROUTE, 0, 0, 0);
	if (nl < 0) {
		say("the library kernel has no rtnetlink: %s", strerror((int)-nl));
		return nl;
	}
	err = link_up(nl, 1, 0);
	if (err) {
		say("cannot bring the library kernel's lo up: %s", strerror((int)-err));
		goto out;
	}
	set_wall_clock();
	/* /proc, for the exit to see what TCP still holds. */
	kcall(__lkl__NR_mkdirat, LKL_AT_FDCWD, (long)"/proc", 0555, 0, 0, 0);
	kcall(__lkl__NR_mount, (long)"proc", (long)"/proc", (long)"proc", 0, 0, 0);
	tcp_memory();
	if (tap_fd < 0)
		goto out;
	index = err = kcall(__lkl__NR_lkl_netdev_add, tap_fd, config.has_mac ? (long)config.mac : 0,
			    tap_vnet ? LKL_NETDEV_ADD_VNET_HDR : 0, 0, 0, 0);
	if (err < 0) {
		say("cannot make an interface of tap %s: %s", config.tap, strerror((int)-err));
		goto out;
	}
	/* Addressed before it is up: up, it reads the frames waiting in the tap, some for them. */
	for (int i = 0; i < config.naddresses; i++) {
		err = address_add(nl, (int)index, &config.addresses[i]);
		if (err) {
			say("cannot add address %s/%d on tap %s: %s", ntop(&config.addresses[i], text),
			    config.addresses[i].prefix, config.tap, strerror((int)-err));
			goto out;
		}
	}
	err = link_up(nl, (int)index, config.mtu);
	if (err) {
		say("cannot bring tap %s's interface up%s: %s", config.tap,
		    config.mtu ? " with RUNU_LKL_MTU" : "", strerror((int)-err));
		goto out;
	}
	for (int i = 0; i < config.ngateways; i++) {
		err = route_add(nl, (int)index, &config.gateways[i]);
		if (err) {
			say("cannot add a default route via %s on tap %s: %s", ntop(&config.gateways[i], text),
			    config.tap, strerror((int)-err));
			goto out;
		}
	}
out:
	kclose(nl);
	return err;
}

/* This process's claim on the tap: a bound abstract name (EBUSY: another process holds it). */
static int claim_tap(void)
{
	struct sockaddr_un name = { .sun_family = AF_UNIX };
	int fd = CALL(socket)(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0), len, err;

	if (fd < 0)
		return -errno;
	len = snprintf(name.sun_path + 1, sizeof(name.sun_path) - 1, "runu-lkl-tap/%s", config.tap);
	if (CALL(bind)(fd, (struct sockaddr *)&name, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len)) < 0) {
		err = errno == EADDRINUSE ? EBUSY : errno;
		CALL(close)(fd);
		return -err;
	}
	return fd;
}

/*
 * The inherited descriptor if it is the tap, kept from the programs this one
 * executes; *vnet: it was attached with virtio-net headers.
 */
static int inherited_tap(int *vnet)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	if (config.tap_fd < 0 || CALL(ioctl)(config.tap_fd, TUNGETIFF, &ifr) < 0 ||
	    strcmp(ifr.ifr_name, config.tap) || CALL(fcntl)(config.tap_fd, F_SETFD, FD_CLOEXEC) < 0)
		return -1;
	*vnet = !!(ifr.ifr_flags & IFF_VNET_HDR);
	return config.tap_fd;
}

static int open_tap(int *vnet)
{
	int fd = inherited_tap(vnet);

	if (fd >= 0)
		return fd;
	*vnet = 1;
	return tap_attach(config.tap);
}

/*
 * 1, or -errno (said on stderr, once). *again: the tap could not be attached,
 * nothing started: a later socket() tries again (another process may let it go).
 */
static int boot(int *again)
{
	static int said_tap;
	sigset_t all, old;
	long err;

	if (config.problem[0]) {
		say("%s", config.problem);
		return -EINVAL;
	}
	if (config.tap[0]) {
		int claim = claim_tap();

		tap_fd = claim < 0 ? claim : open_tap(&tap_vnet);
		if (tap_fd < 0) {
			err = tap_fd;
			tap_fd = -1;
			if (claim >= 0)
				CALL(close)(claim);
			if (!said_tap++)
				say("cannot attach to tap %s: %s%s", config.tap, strerror((int)-err),
				    err == -EBUSY ? " (another process holds it)" : "");
			*again = 1;
			return (int)err;
		}
		add_internal(claim);
		add_internal(tap_fd);
	}
	/* The kernel's threads inherit this mask: the program's signals stay with its own. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = lkl_posix_start(config.memory_mb << 20, "loglevel=0");
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err < 0) {
		say("the library kernel did not start: %s", strerror((int)-err));
		return (int)err;
	}
	err = configure();
	return err < 0 ? (int)err : 1;
}

/* 0 once the kernel runs (booting it the first time), or -errno. */
static int kernel_up(void)
{
	static int said_forked;
	int s;

	if (forked) {
		if (!__atomic_exchange_n(&said_forked, 1, __ATOMIC_ACQ_REL))
			say("this process was forked from the one the library kernel runs in, and cannot use "
			    "that kernel: its network sockets fail (a program it executes gets its own)");
		return -ENETDOWN;
	}
	s = __atomic_load_n(&state, __ATOMIC_ACQUIRE);
	if (s == 0) {
		pthread_mutex_lock(&boot_lock);
		s = state;
		if (s == 0) {
			int again = 0;

			s = boot(&again);
			if (!again)
				__atomic_store_n(&state, s, __ATOMIC_RELEASE);
		}
		pthread_mutex_unlock(&boot_lock);
	}
	return s == 1 ? 0 : s;
}

static int served(int domain)
{
	return domain == AF_INET || domain == AF_INET6 || domain == AF_NETLINK || domain == AF_PACKET;
}

/* ---- sockets ---- */

int socket(int domain, int type, int protocol)
{
	long kfd;
	int err;

	if (!served(domain))
		return CALL(socket)(domain, type, protocol);
	err = kernel_up();
	if (err)
		return (int)sysret(err);
	kfd = kcall(__lkl__NR_socket, domain, type, protocol, 0, 0, 0);
	if (kfd < 0)
		return (int)sysret(kfd);
	return adopt(kfd, type & SOCK_CLOEXEC);
}

int bind(int fd, __CONST_SOCKADDR_ARG addr, socklen_t len)
{
	struct entry *e = sock(fd);

	if (!e)
		return CALL(bind)(fd, addr, len);
	return (int)sysret(on_kernel(e, __lkl__NR_bind, (long)addr.__sockaddr__, len, 0, 0, 0));
}

int listen(int fd, int backlog)
{
	struct entry *e = sock(fd);

	if (!e)
		return CALL(listen)(fd, backlog);
	return (int)sysret(on_kernel(e, __lkl__NR_listen, backlog, 0, 0, 0, 0));
}

int accept4(int fd, __SOCKADDR_ARG addr, socklen_t *len, int flags)
{
	struct entry *e = sock(fd);
	long kfd;

	if (!e)
		return CALL(accept4)(fd, addr, len, flags);
	kfd = on_kernel(e, __lkl__NR_accept4, (long)addr.__sockaddr__, (long)len, flags, 0, 0);
	if (kfd < 0)
		return (int)sysret(kfd);
	return adopt(kfd, flags & SOCK_CLOEXEC);
}

int accept(int fd, __SOCKADDR_ARG addr, socklen_t *len)
{
	if (!mapped(fd))
		return CALL(accept)(fd, addr, len);
	return accept4(fd, addr, len, 0);
}

int connect(int fd, __CONST_SOCKADDR_ARG addr, socklen_t len)
{
	struct entry *e = sock(fd);

	if (!e)
		return CALL(connect)(fd, addr, len);
	return (int)sysret(on_kernel(e, __lkl__NR_connect, (long)addr.__sockaddr__, len, 0, 0, 0));
}

int getsockname(int fd, __SOCKADDR_ARG addr, socklen_t *len)
{
	struct entry *e = sock(fd);

	if (!e)
		return CALL(getsockname)(fd, addr, len);
	return (int)sysret(on_kernel(e, __lkl__NR_getsockname, (long)addr.__sockaddr__, (long)len, 0, 0, 0));
}

int getpeername(int fd, __SOCKADDR_ARG addr, socklen_t *len)
{
	struct entry *e = sock(fd);

	if (!e)
		return CALL(getpeername)(fd, addr, len);
	return (int)sysret(on_kernel(e, __lkl__NR_getpeername, (long)addr.__sockaddr__, (long)len, 0, 0, 0));
}

int setsockopt(int fd, int level, int name, const void *value, socklen_t len)
{
	struct entry *e = sock(fd);

	if (!e)
		return CALL(setsockopt)(fd, level, name, value, len);
	return (int)sysret(on_kernel(e, __lkl__NR_setsockopt, level, name, (long)value, len, 0));
}

int getsockopt(int fd, int level, int name, void *value, socklen_t *len)
{
	struct entry *e = sock(fd);

	if (!e)
		return CALL(getsockopt)(fd, level, name, value, len);
	return (int)sysret(on_kernel(e, __lkl__NR_getsockopt, level, name, (long)value, (long)len, 0));
}

int shutdown(int fd, int how)
{
	struct entry *e = sock(fd);

	if (!e)
		return CALL(shutdown)(fd, how);
	return (int)sysret(on_kernel(e, __lkl__NR_shutdown, how, 0, 0, 0, 0));
}

ssize_t sendto(int fd, const void *buf, size_t n, int flags, __CONST_SOCKADDR_ARG addr, socklen_t len)
{
	struct entry *e = sock(fd);

	if (!e)
		return CALL(sendto)(fd, buf, n, flags, addr, len);
	return sent(on_kernel(e, __lkl__NR_sendto, (long)buf, n, flags, (long)addr.__sockaddr__, len), flags);
}

ssize_t send(int fd, const void *buf, size_t n, int flags)
{
	struct entry *e = sock(fd);

	if (!e)
		return CALL(send)(fd, buf, n, flags);
	return sent(on_kernel(e, __lkl__NR_sendto, (long)buf, n, flags, 0, 0), flags);
}

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	struct entry *e = sock(fd);

	if (!e)
		return CALL(sendmsg)(fd, msg, flags);
	return sent(on_kernel(e, __lkl__NR_sendmsg, (long)msg, flags, 0, 0, 0), flags);
}

int sendmmsg(int fd, struct mmsghdr *msgs, unsigned int n, int flags)
{
	struct entry *e = sock(fd);

	if (!e)
		return CALL(sendmmsg)(fd, msgs, n, flags);
	return (int)sent(on_kernel(e, __lkl__NR_sendmmsg, (long)msgs, n, flags, 0, 0), flags);
}

ssize_t recvfrom(int fd, void *buf, size_t n, int flags, __SOCKADDR_ARG addr, socklen_t *len)
{
	struct entry *e = sock(fd);

	if (!e)
		return CALL(recvfrom)(fd, buf, n, flags, addr, len);
	return sysret(on_kernel(e, __lkl__NR_recvfrom, (long)buf, n, flags, (long)addr.__sockaddr__, (long)len));
}

ssize_t recv(int fd, void *buf, size_t n, int flags)
{
	struct entry *e = sock(fd);

	if (!e)
		return CALL(recv)(fd, buf, n, flags);
	return sysret(on_kernel(e, __lkl__NR_recvfrom, (long)buf, n, flags, 0, 0));
}

ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	struct entry *e = sock(fd);

	if (!e)
		return CALL(recvmsg)(fd, msg, flags);
	return sysret(on_kernel(e, __lkl__NR_recvmsg, (long)msg, flags, 0, 0, 0));
}

int recvmmsg(int fd, struct mmsghdr *msgs, unsigned int n, int flags, struct timespec *timeout)
{
	struct entry *e = sock(fd);

	if (!e)
		return CALL(recvmmsg)(fd, msgs, n, flags, timeout);
	return (int)sysret(on_kernel(e, __lkl__NR_recvmmsg, (long)msgs, n, flags, (long)timeout, 0));
}

ssize_t read(int fd, void *buf, size_t n)
{
	struct entry *e = sock(fd);

	if (!e)
		return CALL(read)(fd, buf, n);
	return sysret(on_kernel(e, __lkl__NR_read, (long)buf, n, 0, 0, 0));
}

ssize_t write(int fd, const void *buf, size_t n)
{
	struct entry *e = sock(fd);

	if (!e)
		return CALL(write)(fd, buf, n);
	return sent(on_kernel(e, __lkl__NR_write, (long)buf, n, 0, 0, 0), 0);
}

ssize_t readv(int fd, const struct iovec *iov, int n)
{
	struct entry *e = sock(fd);

	if (!e)
		return CALL(readv)(fd, iov, n);
	return sysret(on_kernel(e, __lkl__NR_readv, (long)iov, n, 0, 0, 0));
}

ssize_t writev(int fd, const struct iovec *iov, int n)
{
	struct entry *e = sock(fd);

	if (!e)
		return CALL(writev)(fd, iov, n);
	return sent(on_kernel(e, __lkl__NR_writev, (long)iov, n, 0, 0, 0), 0);
}

ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen)
{
	if (n > buflen || !mapped(fd))
		return CALL(__read_chk)(fd, buf, n, buflen);
	return read(fd, buf, n);
}

ssize_t __recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags)
{
	if (n > buflen || !mapped(fd))
		return CALL(__recv_chk)(fd, buf, n, buflen, flags);
	return recv(fd, buf, n, flags);
}

ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t buflen, int flags,
		       struct sockaddr *addr, socklen_t *addrlen)
{
	if (n > buflen || !mapped(fd))
		return CALL(__recvfrom_chk)(fd, buf, n, buflen, flags, addr, addrlen);
	return recvfrom(fd, buf, n, flags, addr, addrlen);
}

/* sendfile to a kernel socket: the file's bytes read here and written to the kernel. */
static ssize_t sendfile_kernel(struct entry *e, int in, off_t *offset, size_t count)
{
	char buf[32768];
	off_t pos = offset ? *offset : lseek(in, 0, SEEK_CUR);
	size_t total = 0;
	long r = 0;

	if (pos < 0) {
		put(e);
		return -1;
	}
	while (total < count) {
		size_t chunk = count - total < sizeof(buf) ? count - total : sizeof(buf);
		ssize_t got = pread(in, buf, chunk, pos);

		if (got <= 0) {
			r = got < 0 ? -errno : 0;
			break;
		}
		r = forked ? -EBADF : kcall(__lkl__NR_write, e->kfd, (long)buf, got, 0, 0, 0);
		if (r < 0)
			break;
		pos += r;
		total += r;
		if (r < got)
			break;
	}
	put(e);
	if (offset)
		*offset = pos;
	else
		lseek(in, pos, SEEK_SET);
	if (total)
		return total;
	return r < 0 ? sent(r, 0) : 0;
}

ssize_t sendfile(int out, int in, off_t *offset, size_t count)
{
	struct entry *e = sock(out), *from;

	if (e)
		return sendfile_kernel(e, in, offset, count);
	from = sock(in);
	if (from) {
		put(from);
		errno = EINVAL;
		return -1;
	}
	return CALL(sendfile)(out, in, offset, count);
}

ssize_t sendfile64(int out, int in, off64_t *offset, size_t count)
{
	if (mapped(out) || mapped(in))
		return sendfile(out, in, (off_t *)offset, count);
	return CALL(sendfile64)(out, in, offset, count);
}

/* ---- descriptors: close, dup, fcntl, ioctl ---- */

int close(int fd)
{
	struct entry *e;
	int r;

	if (internal(fd)) {
		errno = EBADF;
		return -1;
	}
	if (!mapped(fd) || getpid() != owner)
		return CALL(close)(fd);
	e = unmap(fd);
	r = CALL(close)(fd);
	if (e)
		put(e);
	return r;
}

int fclose(FILE *stream)
{
	int fd = stream ? fileno(stream) : -1, r;
	struct entry *e = NULL;

	if (fd >= 0 && mapped(fd) && getpid() == owner)
		e = unmap(fd);
	r = CALL(fclose)(stream);
	if (e)
		put(e);
	return r;
}

int close_range(unsigned int first, unsigned int last, int flags)
{
	struct entry **dropped = NULL;
	unsigned int keep[MAX_INTERNAL], nkeep = 0, ndropped = 0, from = first;
	int n = __atomic_load_n(&ninternal, __ATOMIC_ACQUIRE), r = 0, failed;

	if (!CALL(close_range)) {
		errno = ENOSYS;
		return -1;
	}
	if ((flags & CLOSE_RANGE_CLOEXEC) || first > last || forked || getpid() != owner)
		return CALL(close_range)(first, last, flags);
	/* Ours stay open: the range is closed around them, in order. */
	for (int i = 0; i < n; i++)
		if ((unsigned int)internal_fds[i] >= first && (unsigned int)internal_fds[i] <= last)
			keep[nkeep++] = internal_fds[i];
	for (unsigned int i = 1; i < nkeep; i++)
		for (unsigned int j = i; j > 0 && keep[j - 1] > keep[j]; j--) {
			unsigned int t = keep[j];

			keep[j] = keep[j - 1];
			keep[j - 1] = t;
		}
	pthread_mutex_lock(&table_lock);
	for (unsigned int c = first >> CHUNK_BITS; c < NCHUNKS && c <= last >> CHUNK_BITS; c++) {
		struct entry **chunk = chunks[c];

		if (!chunk)
			continue;
		for (unsigned int i = 0; i < CHUNK_SIZE; i++) {
			unsigned int fd = (c << CHUNK_BITS) | i;
			struct entry **grown;

			if (!chunk[i] || fd < first || fd > last)
				continue;
			grown = realloc(dropped, (ndropped + 1) * sizeof(*dropped));
			if (!grown)
				break;	/* left mapped: stale entries are replaced when reused */
			dropped = grown;
			dropped[ndropped++] = set_slot((int)fd, NULL, &failed);
		}
	}
	pthread_mutex_unlock(&table_lock);
	for (unsigned int i = 0; i < nkeep && r == 0; i++) {
		if (keep[i] > from)
			r = CALL(close_range)(from, keep[i] - 1, flags);
		from = keep[i] + 1;
	}
	if (r == 0 && from <= last && !(nkeep && keep[nkeep - 1] == UINT_MAX))
		r = CALL(close_range)(from, last, flags);
	for (unsigned int i = 0; i < ndropped; i++)
		put(dropped[i]);
	free(dropped);
	return r;
}

/*
 * A host duplicate of fd made by dup_fn (under table_lock, so fd cannot change
 * meanwhile), mapped to fd's entry if fd has one.
 */
static int dup_mapped(int fd, int cmd, long arg, int use_fcntl)
{
	struct entry *e, *old = NULL;
	int nfd, failed = 0;

	pthread_mutex_lock(&table_lock);
	e = entry_at(fd);
	nfd = use_fcntl ? CALL(fcntl)(fd, cmd, arg) : CALL(dup)(fd);
	if (nfd >= 0 && e) {
		__atomic_add_fetch(&e->refs, 1, __ATOMIC_RELAXED);
		old = set_slot(nfd, e, &failed);
		if (failed) {
			__atomic_sub_fetch(&e->refs, 1, __ATOMIC_RELAXED);
			CALL(close)(nfd);
			nfd = -1;
			errno = EMFILE;
		}
	}
	pthread_mutex_unlock(&table_lock);
	if (old)
		put(old);
	return nfd;
}

int dup(int fd)
{
	if (!mapped(fd) || forked)
		return CALL(dup)(fd);
	return dup_mapped(fd, 0, 0, 0);
}

static int dup_onto(int fd, int to, int flags, int three)
{
	struct entry *e, *old = NULL;
	int r, failed = 0;

	if ((!mapped(fd) && !mapped(to) && !internal(to)) || getpid() != owner)
		return three ? CALL(dup3)(fd, to, flags) : CALL(dup2)(fd, to);
	if (internal(to) && fd != to) {
		errno = EBUSY;
		return -1;
	}
	pthread_mutex_lock(&table_lock);
	e = entry_at(fd);
	r = three ? CALL(dup3)(fd, to, flags) : CALL(dup2)(fd, to);
	if (r >= 0 && fd != to) {
		if (e)
			__atomic_add_fetch(&e->refs, 1, __ATOMIC_RELAXED);
		old = set_slot(to, e, &failed);
		if (failed) {
			__atomic_sub_fetch(&e->refs, 1, __ATOMIC_RELAXED);
			CALL(close)(to);
			r = -1;
			errno = EMFILE;
		}
	}
	pthread_mutex_unlock(&table_lock);
	if (old)
		put(old);
	return r;
}

int dup2(int fd, int to)
{
	return dup_onto(fd, to, 0, 0);
}

int dup3(int fd, int to, int flags)
{
	return dup_onto(fd, to, flags, 1);
}

static long flags_to_kernel(long flags)
{
	long k = flags & O_ACCMODE;

	if (flags & O_NONBLOCK)
		k |= LKL_O_NONBLOCK;
	if (flags & O_APPEND)
		k |= LKL_O_APPEND;
	return k;
}

static long flags_from_kernel(long k)
{
	long flags = k & LKL_O_ACCMODE;

	if (k & LKL_O_NONBLOCK)
		flags |= O_NONBLOCK;
	if (k & LKL_O_APPEND)
		flags |= O_APPEND;
	return flags;
}

static int fcntl_on(__typeof__(host_fcntl) host, int fd, int cmd, long arg)
{
	struct entry *e;
	long r;

	if (!mapped(fd))
		return host(fd, cmd, arg);
	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		return forked ? host(fd, cmd, arg) : dup_mapped(fd, cmd, arg, 1);
	case F_GETFD:
	case F_SETFD:
		return host(fd, cmd, arg);
	}
	e = sock(fd);
	if (!e)
		return host(fd, cmd, arg);
	switch (cmd) {
	case F_GETFL:
		r = on_kernel(e, __lkl__NR_fcntl, LKL_F_GETFL, 0, 0, 0, 0);
		return r < 0 ? (int)sysret(r) : (int)flags_from_kernel(r);
	case F_SETFL:
		return (int)sysret(on_kernel(e, __lkl__NR_fcntl, LKL_F_SETFL, flags_to_kernel(arg), 0, 0, 0));
	default:
		return (int)sysret(on_kernel(e, __lkl__NR_fcntl, cmd, arg, 0, 0, 0));
	}
}

int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	long arg;

	va_start(ap, cmd);
	arg = va_arg(ap, long);
	va_end(ap);
	return fcntl_on(CALL(fcntl), fd, cmd, arg);
}

int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	long arg;

	va_start(ap, cmd);
	arg = va_arg(ap, long);
	va_end(ap);
	return fcntl_on(CALL(fcntl64), fd, cmd, arg);
}

int ioctl(int fd, unsigned long request, ...)
{
	struct entry *e;
	va_list ap;
	void *arg;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!mapped(fd) || request == FIOCLEX || request == FIONCLEX || !(e = sock(fd)))
		return CALL(ioctl)(fd, request, arg);
	return (int)sysret(on_kernel(e, __lkl__NR_ioctl, (long)request, (long)arg, 0, 0, 0));
}

/* ---- waiting on host and kernel descriptors together ---- */

enum { W_IDLE, W_WORK, W_DONE };

/* A helper thread and its two eventfds: see the head comment. */
struct waiter {
	struct waiter *next;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int state;
	int hefd;			/* host eventfd: the helper's kernel wait ended */
	long kefd;			/* kernel eventfd: the caller's host wait ended */
	struct lkl_pollfd *kern;	/* the helper's kernel set, kefd last */
	unsigned int nkern;
	long result;
	int poked_host;			/* the helper wrote hefd */
};

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static struct waiter *idle_waiters;
static const uint64_t one = 1;

static void *helper_main(void *arg)
{
	struct waiter *w = arg;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		long r;
		int poke = 0;

		while (w->state != W_WORK)
			pthread_cond_wait(&w->cond, &w->lock);
		pthread_mutex_unlock(&w->lock);
		r = kcall(__lkl__NR_ppoll, (long)w->kern, w->nkern, 0, 0, 0, 0);
		for (unsigned int i = 0; r > 0 && i + 1 < w->nkern && !poke; i++)
			poke = w->kern[i].revents != 0;
		if (poke)
			(void)!CALL(write)(w->hefd, &one, sizeof(one));
		pthread_mutex_lock(&w->lock);
		w->result = r;
		w->poked_host = poke;
		w->state = W_DONE;
		pthread_cond_broadcast(&w->cond);
	}
	return NULL;
}

static struct waiter *waiter_get(void)
{
	struct waiter *w;
	pthread_attr_t attr;
	pthread_t thread;
	sigset_t all, old;
	int err;

	pthread_mutex_lock(&pool_lock);
	w = idle_waiters;
	if (w)
		idle_waiters = w->next;
	pthread_mutex_unlock(&pool_lock);
	if (w)
		return w;
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	w->hefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	w->kefd = kcall(__lkl__NR_eventfd2, 0, LKL_EFD_NONBLOCK | LKL_EFD_CLOEXEC, 0, 0, 0, 0);
	if (w->hefd < 0 || w->kefd < 0)
		goto fail;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 128 << 10);
	err = pthread_create(&thread, &attr, helper_main, w);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		goto fail;
	add_internal(w->hefd);
	return w;
fail:
	if (w->hefd >= 0)
		CALL(close)(w->hefd);
	if (w->kefd >= 0)
		kclose(w->kefd);
	free(w);
	return NULL;
}

static void waiter_put(struct waiter *w)
{
	pthread_mutex_lock(&pool_lock);
	w->next = idle_waiters;
	idle_waiters = w;
	pthread_mutex_unlock(&pool_lock);
}

/*
 * The real wait on both sides: host (nhost entries) and kern (nkern) each have
 * room for one more, the eventfds. Returns how many entries have revents.
 */
static int handoff(struct pollfd *host, nfds_t nhost, struct lkl_pollfd *kern, unsigned int nkern,
		   const struct timespec *ts, const sigset_t *mask)
{
	struct waiter *w = waiter_get();
	int r, err, poked_kernel = 0, count = 0;
	uint64_t drain;
	long kr;

	if (!w) {
		errno = ENOMEM;
		return -1;
	}
	host[nhost] = (struct pollfd){ .fd = w->hefd, .events = POLLIN };
	kern[nkern] = (struct lkl_pollfd){ .fd = (int)w->kefd, .events = LKL_POLLIN };
	pthread_mutex_lock(&w->lock);
	w->kern = kern;
	w->nkern = nkern + 1;
	w->state = W_WORK;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);

	r = CALL(ppoll)(host, nhost + 1, ts, mask);
	err = errno;

	pthread_mutex_lock(&w->lock);
	if (w->state != W_DONE) {
		pthread_mutex_unlock(&w->lock);
		kcall(__lkl__NR_write, w->kefd, (long)&one, sizeof(one), 0, 0, 0);
		poked_kernel = 1;
		pthread_mutex_lock(&w->lock);
		while (w->state != W_DONE)
			pthread_cond_wait(&w->cond, &w->lock);
	}
	w->state = W_IDLE;
	kr = w->result;
	pthread_mutex_unlock(&w->lock);
	if (poked_kernel)
		kcall(__lkl__NR_read, w->kefd, (long)&drain, sizeof(drain), 0, 0, 0);
	if (w->poked_host)
		(void)!CALL(read)(w->hefd, &drain, sizeof(drain));
	waiter_put(w);
	if (r < 0) {
		errno = err;
		return -1;
	}
	if (kr < 0)
		return (int)sysret(kr);
	for (nfds_t i = 0; i < nhost; i++)
		count += host[i].revents != 0;
	for (unsigned int i = 0; i < nkern; i++)
		count += kern[i].revents != 0;
	return count;
}

static long kernel_ppoll(struct lkl_pollfd *kern, unsigned int n, const struct timespec *ts)
{
	struct __lkl__kernel_timespec kts;

	if (ts) {
		kts.tv_sec = ts->tv_sec;
		kts.tv_nsec = ts->tv_nsec;
	}
	return kcall(__lkl__NR_ppoll, (long)kern, n, ts ? (long)&kts : 0, 0, 0, 0);
}

/* Wait on a split set (each array with room for one more); entries with revents, or -1. */
static int wait_split(struct pollfd *host, nfds_t nhost, struct lkl_pollfd *kern, unsigned int nkern,
		      const struct timespec *ts, const sigset_t *mask)
{
	static const struct timespec zero;
	int r = 0;
	long kr;

	if (!nkern)
		return CALL(ppoll)(host, nhost, ts, mask);
	if (!nhost && !mask)
		return (int)sysret(kernel_ppoll(kern, nkern, ts));
	/* A look at both sides first: what is ready now needs no helper. */
	if (nhost) {
		r = CALL(poll)(host, nhost, 0);
		if (r < 0)
			return -1;
	}
	kr = kernel_ppoll(kern, nkern, &zero);
	if (kr < 0)
		return (int)sysret(kr);
	if (r + kr > 0 || (ts && !ts->tv_sec && !ts->tv_nsec))
		return r + (int)kr;
	return handoff(host, nhost, kern, nkern, ts, mask);
}

/* Whether any of fds may be a kernel socket. */
static int any_mapped(const struct pollfd *fds, nfds_t n)
{
	if (!__atomic_load_n(&nsockets, __ATOMIC_RELAXED))
		return 0;
	for (nfds_t i = 0; i < n; i++)
		if (mapped(fds[i].fd))
			return 1;
	return 0;
}

#define STACK_FDS 32

static int poll_core(struct pollfd *fds, nfds_t n, const struct timespec *ts, const sigset_t *mask)
{
	static const struct timespec zero;
	struct pollfd host_buf[STACK_FDS + 1], *host = host_buf;
	struct lkl_pollfd kern_buf[STACK_FDS + 1], *kern = kern_buf;
	nfds_t at_buf[2 * STACK_FDS], *host_at = at_buf, *kern_at = at_buf + STACK_FDS;
	struct entry *held_buf[STACK_FDS], **held = held_buf;
	nfds_t nhost = 0, i;
	unsigned int nkern = 0;
	void *heap = NULL;
	int r, invalid = 0;

	if (n > STACK_FDS) {
		heap = malloc((n + 1) * (sizeof(*host) + sizeof(*kern)) + n * (2 * sizeof(*host_at) + sizeof(*held)));
		if (!heap) {
			errno = ENOMEM;
			return -1;
		}
		host = heap;
		kern = (struct lkl_pollfd *)(host + n + 1);
		host_at = (nfds_t *)(kern + n + 1);
		kern_at = host_at + n;
		held = (struct entry **)(kern_at + n);
	}
	for (i = 0; i < n; i++) {
		struct entry *e = sock(fds[i].fd);

		fds[i].revents = 0;
		if (e && forked) {
			put(e);
			fds[i].revents = POLLNVAL;
			invalid++;
		} else if (e) {
			kern[nkern] = (struct lkl_pollfd){ .fd = (int)e->kfd, .events = fds[i].events };
			kern_at[nkern] = i;
			held[nkern++] = e;
		} else if (fds[i].fd >= 0) {
			host[nhost] = fds[i];
			host_at[nhost++] = i;
		}
	}
	r = wait_split(host, nhost, kern, nkern, invalid ? &zero : ts, mask);
	if (r >= 0) {
		r = invalid;
		for (i = 0; i < nhost; i++)
			r += (fds[host_at[i]].revents = host[i].revents) != 0;
		for (i = 0; i < nkern; i++)
			r += (fds[kern_at[i]].revents = kern[i].revents) != 0;
	}
	for (i = 0; i < nkern; i++)
		put(held[i]);
	free(heap);
	return r;
}

static const struct timespec *ms_timespec(int ms, struct timespec *ts)
{
	if (ms < 0)
		return NULL;
	ts->tv_sec = ms / 1000;
	ts->tv_nsec = (ms % 1000) * 1000000L;
	return ts;
}

int poll(struct pollfd *fds, nfds_t n, int timeout)
{
	struct timespec ts;

	if (!any_mapped(fds, n))
		return CALL(poll)(fds, n, timeout);
	return poll_core(fds, n, ms_timespec(timeout, &ts), NULL);
}

int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts, const sigset_t *mask)
{
	if (!any_mapped(fds, n))
		return CALL(ppoll)(fds, n, ts, mask);
	return poll_core(fds, n, ts, mask);
}

int __poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fdslen)
{
	if (fdslen / sizeof(*fds) < n || !any_mapped(fds, n))
		return CALL(__poll_chk)(fds, n, timeout, fdslen);
	return poll(fds, n, timeout);
}

int __ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *ts, const sigset_t *mask,
		size_t fdslen)
{
	if (fdslen / sizeof(*fds) < n || !any_mapped(fds, n))
		return CALL(__ppoll_chk)(fds, n, ts, mask, fdslen);
	return ppoll(fds, n, ts, mask);
}

#define SELECT_IN (POLLIN | POLLRDNORM | POLLRDBAND | POLLHUP | POLLERR)
#define SELECT_OUT (POLLOUT | POLLWRNORM | POLLWRBAND | POLLERR)
#define SELECT_EX POLLPRI

static int in_sets(int fd, fd_set *rd, fd_set *wr, fd_set *ex)
{
	return (rd && FD_ISSET(fd, rd)) || (wr && FD_ISSET(fd, wr)) || (ex && FD_ISSET(fd, ex));
}

static int sets_mapped(int nfds, fd_set *rd, fd_set *wr, fd_set *ex)
{
	if (!__atomic_load_n(&nsockets, __ATOMIC_RELAXED))
		return 0;
	for (int fd = 0; fd < nfds && fd < FD_SETSIZE; fd++)
		if (mapped(fd) && in_sets(fd, rd, wr, ex))
			return 1;
	return 0;
}

/* select over a set with kernel sockets: as a poll. */
static int select_core(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, const struct timespec *ts,
		       const sigset_t *mask)
{
	struct pollfd fds[FD_SETSIZE];
	nfds_t n = 0;
	int r, count = 0;

	if (nfds > FD_SETSIZE)
		nfds = FD_SETSIZE;
	for (int fd = 0; fd < nfds; fd++) {
		if (!in_sets(fd, rd, wr, ex))
			continue;
		fds[n++] = (struct pollfd){
			.fd = fd,
			.events = (rd && FD_ISSET(fd, rd) ? POLLIN : 0) | (wr && FD_ISSET(fd, wr) ? POLLOUT : 0) |
				  (ex && FD_ISSET(fd, ex) ? POLLPRI : 0),
		};
	}
	r = poll_core(fds, n, ts, mask);
	if (r < 0)
		return r;
	for (nfds_t i = 0; i < n; i++) {
		if (fds[i].revents & POLLNVAL) {
			errno = EBADF;
			return -1;
		}
	}
	for (nfds_t i = 0; i < n; i++) {
		int fd = fds[i].fd;
		short got = fds[i].revents;

		if (rd && FD_ISSET(fd, rd)) {
			if (got & SELECT_IN)
				count++;
			else
				FD_CLR(fd, rd);
		}
		if (wr && FD_ISSET(fd, wr)) {
			if (got & SELECT_OUT)
				count++;
			else
				FD_CLR(fd, wr);
		}
		if (ex && FD_ISSET(fd, ex)) {
			if (got & SELECT_EX)
				count++;
			else
				FD_CLR(fd, ex);
		}
	}
	return count;
}

static void now(struct timespec *ts)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
}

/* a - b, or zero if b is later. */
static struct timespec ts_left(struct timespec a, struct timespec b)
{
	struct timespec d = { a.tv_sec - b.tv_sec, a.tv_nsec - b.tv_nsec };

	if (d.tv_nsec < 0) {
		d.tv_sec--;
		d.tv_nsec += 1000000000L;
	}
	if (d.tv_sec < 0)
		d = (struct timespec){ 0, 0 };
	return d;
}

static struct timespec ts_add(struct timespec a, struct timespec b)
{
	struct timespec s = { a.tv_sec + b.tv_sec, a.tv_nsec + b.tv_nsec };

	if (s.tv_nsec >= 1000000000L) {
		s.tv_sec++;
		s.tv_nsec -= 1000000000L;
	}
	return s;
}

int select(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, struct timeval *tv)
{
	struct timespec ts, start, end;
	int r;

	if (!sets_mapped(nfds, rd, wr, ex))
		return CALL(select)(nfds, rd, wr, ex, tv);
	if (tv) {
		if (tv->tv_sec < 0 || tv->tv_usec < 0) {
			errno = EINVAL;
			return -1;
		}
		ts.tv_sec = tv->tv_sec + tv->tv_usec / 1000000;
		ts.tv_nsec = (tv->tv_usec % 1000000) * 1000;
		now(&start);
	}
	r = select_core(nfds, rd, wr, ex, tv ? &ts : NULL, NULL);
	if (tv) {
		/* Linux leaves the time not slept in the timeout. */
		struct timespec left;

		now(&end);
		left = ts_left(ts_add(start, ts), end);
		tv->tv_sec = left.tv_sec;
		tv->tv_usec = left.tv_nsec / 1000;
	}
	return r;
}

int pselect(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, const struct timespec *ts, const sigset_t *mask)
{
	if (!sets_mapped(nfds, rd, wr, ex))
		return CALL(pselect)(nfds, rd, wr, ex, ts, mask);
	return select_core(nfds, rd, wr, ex, ts, mask);
}

/* ---- epoll ---- */

/*
 * A waiter may sleep on one side of an epoll set (the host's, or the kernel's)
 * while another thread adds the set's first descriptor of the other side. So
 * that it sees it, as it would on Linux, each side's set holds an eventfd of
 * this library's with data KICK, written at that moment: the waiter wakes,
 * drops the KICK event from what it returns, drains the eventfd and waits on
 * both sides.
 */
#define KICK 0x72756e756b69636bULL	/* "runukick" */

static pthread_mutex_t epoll_lock = PTHREAD_MUTEX_INITIALIZER;

static int track_epoll(int epfd)
{
	if (epfd >= 0 && map_new(epfd, EPOLL, -1)) {
		int err = errno;

		CALL(close)(epfd);
		errno = err;
		return -1;
	}
	return epfd;
}

int epoll_create1(int flags)
{
	return track_epoll(CALL(epoll_create1)(flags));
}

int epoll_create(int size)
{
	return track_epoll(CALL(epoll_create)(size));
}

/* The kernel epoll beside epfd's (and the two kicks), made the first time it is needed. */
static long kernel_epoll(struct entry *ep, int epfd)
{
	struct lkl_epoll_event kev = { .events = LKL_EPOLLIN, .lkl_data = KICK };
	struct epoll_event hev = { .events = EPOLLIN, .data.u64 = KICK };
	long kfd = __atomic_load_n(&ep->kfd, __ATOMIC_ACQUIRE), kkick = -1, err;
	int hkick = -1;

	if (kfd >= 0)
		return kfd;
	pthread_mutex_lock(&epoll_lock);
	kfd = ep->kfd;
	if (kfd >= 0)
		goto out;
	kfd = kcall(__lkl__NR_epoll_create1, LKL_EPOLL_CLOEXEC, 0, 0, 0, 0, 0);
	if (kfd < 0)
		goto out;
	kkick = kcall(__lkl__NR_eventfd2, 0, LKL_EFD_NONBLOCK | LKL_EFD_CLOEXEC, 0, 0, 0, 0);
	err = kkick < 0 ? kkick : kcall(__lkl__NR_epoll_ctl, kfd, LKL_EPOLL_CTL_ADD, kkick, (long)&kev, 0, 0);
	if (!err) {
		hkick = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		err = hkick < 0 || CALL(epoll_ctl)(epfd, EPOLL_CTL_ADD, hkick, &hev) ? -errno : 0;
	}
	if (err) {
		if (hkick >= 0)
			CALL(close)(hkick);
		if (kkick >= 0)
			kclose(kkick);
		kclose(kfd);
		kfd = err;
		goto out;
	}
	ep->hkick = hkick;
	ep->kkick = kkick;
	__atomic_store_n(&ep->kfd, kfd, __ATOMIC_RELEASE);
out:
	pthread_mutex_unlock(&epoll_lock);
	return kfd;
}

int epoll_ctl(int epfd, int op, int fd, struct epoll_event *event)
{
	struct entry *ep = get(epfd, EPOLL), *s;
	int delta = op == EPOLL_CTL_ADD ? 1 : op == EPOLL_CTL_DEL ? -1 : 0;
	long r, kep;

	if (!ep)
		return CALL(epoll_ctl)(epfd, op, fd, event);
	s = sock(fd);
	if (!s) {
		r = CALL(epoll_ctl)(epfd, op, fd, event);
		if (r == 0 && !__atomic_fetch_add(&ep->nhost, delta, __ATOMIC_ACQ_REL) && delta > 0 &&
		    __atomic_load_n(&ep->kfd, __ATOMIC_ACQUIRE) >= 0 && !forked)
			kcall(__lkl__NR_write, ep->kkick, (long)&one, sizeof(one), 0, 0, 0);
		put(ep);
		return (int)r;
	}
	if (forked)
		r = -EBADF;
	else if ((kep = kernel_epoll(ep, epfd)) < 0)
		r = kep;
	else
		r = kcall(__lkl__NR_epoll_ctl, kep, op, s->kfd, (long)event, 0, 0);
	if (r == 0 && !__atomic_fetch_add(&ep->nkernel, delta, __ATOMIC_ACQ_REL) && delta > 0)
		(void)!CALL(write)(ep->hkick, &one, sizeof(one));
	put(s);
	put(ep);
	return (int)sysret(r);
}

/* Drop the KICK events from n events; *kicked if there was one. */
static int strip_kicks(struct epoll_event *events, int n, int *kicked)
{
	int kept = 0;

	for (int i = 0; i < n; i++) {
		if (events[i].data.u64 == KICK)
			*kicked = 1;
		else
			events[kept++] = events[i];
	}
	return kept;
}

static int timespec_ms(const struct timespec *ts)
{
	long long ms;

	if (!ts)
		return -1;
	ms = ts->tv_sec * 1000LL + (ts->tv_nsec + 999999) / 1000000;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

/* epoll_wait on a set this library tracks: on the side(s) it has descriptors on. */
static int ep_wait(struct entry *ep, int epfd, struct epoll_event *events, int max,
		   const struct timespec *ts, const sigset_t *mask)
{
	struct timespec deadline, left, t;
	uint64_t drain;
	int r;

	if (ts) {
		now(&deadline);
		deadline = ts_add(deadline, *ts);
		left = *ts;
	}
	for (;;) {
		long kep = __atomic_load_n(&ep->kfd, __ATOMIC_ACQUIRE), k;
		int on_kernel = !forked && __atomic_load_n(&ep->nkernel, __ATOMIC_ACQUIRE) > 0;
		int on_host = __atomic_load_n(&ep->nhost, __ATOMIC_ACQUIRE) > 0;
		int host_kicked = 0, kernel_kicked = 0, raced = 0, n = 0;

		if (!on_kernel) {
			r = CALL(epoll_pwait)(epfd, events, max, timespec_ms(ts ? &left : NULL), mask);
			if (r > 0)
				r = strip_kicks(events, r, &host_kicked);
		} else if (!on_host && !mask) {
			k = kcall(__lkl__NR_epoll_pwait, kep, (long)events, max, timespec_ms(ts ? &left : NULL), 0, 0);
			r = k > 0 ? strip_kicks(events, (int)k, &kernel_kicked) : (int)sysret(k);
		} else {
			struct pollfd host[2] = { { .fd = epfd, .events = POLLIN } };
			struct lkl_pollfd kern[2] = { { .fd = (int)kep, .events = LKL_POLLIN } };

			r = wait_split(host, 1, kern, 1, ts ? &left : NULL, mask);
			if (r > 0 && (host[0].revents & POLLIN)) {
				n = CALL(epoll_wait)(epfd, events, max, 0);
				if (n < 0) {
					r = -1;
					break;
				}
				n = strip_kicks(events, n, &host_kicked);
			}
			if (r > 0 && (kern[0].revents & LKL_POLLIN) && n < max) {
				k = kcall(__lkl__NR_epoll_pwait, kep, (long)(events + n), max - n, 0, 0, 0);
				if (k < 0 && !n) {
					r = (int)sysret(k);
					break;
				}
				if (k > 0)
					n += strip_kicks(events + n, (int)k, &kernel_kicked);
			}
			if (r > 0) {
				raced = !n;	/* another waiter took what woke this one */
				r = n;
			}
		}
		if (host_kicked)
			(void)!CALL(read)(ep->hkick, &drain, sizeof(drain));
		if (kernel_kicked)
			kcall(__lkl__NR_read, ep->kkick, (long)&drain, sizeof(drain), 0, 0, 0);
		if (r != 0 || !(host_kicked || kernel_kicked || raced))
			break;	/* events, an error, or the time is up */
		/* Only a kick, or a race for the events: wait on (on both sides, if it now has both). */
		if (ts) {
			now(&t);
			left = ts_left(deadline, t);
		}
	}
	put(ep);
	return r;
}

int epoll_wait(int epfd, struct epoll_event *events, int max, int timeout)
{
	struct entry *ep = max > 0 ? get(epfd, EPOLL) : NULL;
	struct timespec ts;

	if (!ep)
		return CALL(epoll_wait)(epfd, events, max, timeout);
	return ep_wait(ep, epfd, events, max, ms_timespec(timeout, &ts), NULL);
}

int epoll_pwait(int epfd, struct epoll_event *events, int max, int timeout, const sigset_t *mask)
{
	struct entry *ep = max > 0 ? get(epfd, EPOLL) : NULL;
	struct timespec ts;

	if (!ep)
		return CALL(epoll_pwait)(epfd, events, max, timeout, mask);
	return ep_wait(ep, epfd, events, max, ms_timespec(timeout, &ts), mask);
}

int epoll_pwait2(int epfd, struct epoll_event *events, int max, const struct timespec *ts,
		 const sigset_t *mask)
{
	struct entry *ep = max > 0 ? get(epfd, EPOLL) : NULL;

	if (!ep) {
		if (!CALL(epoll_pwait2)) {
			errno = ENOSYS;
			return -1;
		}
		return CALL(epoll_pwait2)(epfd, events, max, ts, mask);
	}
	return ep_wait(ep, epfd, events, max, ts, mask);
}

/* ---- names: DNS through the kernel when libc's resolver reaches no nameserver ---- */

#define MAX_SEARCH 6
#define DNS_MAX 1232

struct resolver {
	struct ipaddr servers[3];
	int nservers;
	char search[MAX_SEARCH][256];
	int nsearch;
	int ndots, timeout, attempts;
};

static void read_resolv_conf(struct resolver *rs)
{
	char line[1024], *save, *word, *arg;
	FILE *f = fopen("/etc/resolv.conf", "re");

	*rs = (struct resolver){ .ndots = 1, .timeout = 5, .attempts = 2 };
	while (f && fgets(line, sizeof(line), f)) {
		word = strtok_r(line, " \t\r\n", &save);
		if (!word || *word == '#' || *word == ';')
			continue;
		if (!strcmp(word, "nameserver")) {
			arg = strtok_r(NULL, " \t\r\n", &save);
			if (arg && rs->nservers < 3 && !parse_ip(arg, &rs->servers[rs->nservers], 0))
				rs->nservers++;
		} else if (!strcmp(word, "search") || !strcmp(word, "domain")) {
			rs->nsearch = 0;
			while ((arg = strtok_r(NULL, " \t\r\n", &save)) && rs->nsearch < MAX_SEARCH)
				if (strlen(arg) < sizeof(rs->search[0]))
					strcpy(rs->search[rs->nsearch++], arg);
		} else if (!strcmp(word, "options")) {
			while ((arg = strtok_r(NULL, " \t\r\n", &save))) {
				if (!strncmp(arg, "ndots:", 6))
					rs->ndots = atoi(arg + 6);
				else if (!strncmp(arg, "timeout:", 8))
					rs->timeout = atoi(arg + 8) > 0 ? atoi(arg + 8) : 1;
				else if (!strncmp(arg, "attempts:", 9))
					rs->attempts = atoi(arg + 9) > 0 ? atoi(arg + 9) : 1;
			}
		}
	}
	if (f)
		fclose(f);
	if (!rs->nservers) {
		rs->servers[0] = (struct ipaddr){ .family = AF_INET, .bytes = { 127, 0, 0, 1 } };
		rs->nservers = 1;
	}
}

/* A query for name's records of type (1: A, 28: AAAA): its length, or -1. */
static int dns_query(unsigned char *msg, uint16_t id, const char *name, uint16_t type)
{
	int len = 12;

	memset(msg, 0, 12);
	msg[0] = id >> 8;
	msg[1] = id & 0xff;
	msg[2] = 0x01;	/* recursion desired */
	msg[5] = 1;	/* one question */
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t label = dot ? (size_t)(dot - name) : strlen(name);

		if (!label || label > 63 || len + label + 6 > 255 + 12)
			return -1;
		msg[len++] = (unsigned char)label;
		memcpy(msg + len, name, label);
		len += label;
		name += label + (dot != NULL);
	}
	msg[len++] = 0;
	msg[len++] = type >> 8;
	msg[len++] = type & 0xff;
	msg[len++] = 0;
	msg[len++] = 1;	/* IN */
	return len;
}

/* The offset after the name at off, or -1. */
static int dns_skip_name(const unsigned char *msg, int len, int off)
{
	while (off < len) {
		if (!msg[off])
			return off + 1;
		if ((msg[off] & 0xc0) == 0xc0)
			return off + 2 <= len ? off + 2 : -1;
		if (msg[off] & 0xc0)
			return -1;
		off += msg[off] + 1;
	}
	return -1;
}

/* The name at off, dotted, into out (compression followed a bounded number of times). */
static void dns_read_name(const unsigned char *msg, int len, int off, char *out, size_t size)
{
	size_t used = 0;

	for (int hops = 0; off < len && hops < 32;) {
		unsigned int c = msg[off];

		if (!c)
			break;
		if ((c & 0xc0) == 0xc0) {
			if (off + 1 >= len)
				break;
			off = ((c & 0x3f) << 8) | msg[off + 1];
			hops++;
			continue;
		}
		if (off + 1 + (int)c > len || used + c + 2 > size)
			break;
		if (used)
			out[used++] = '.';
		memcpy(out + used, msg + off + 1, c);
		used += c;
		off += c + 1;
	}
	out[used] = '\0';
}

#define MAX_FOUND 32

struct found {
	struct ipaddr addrs[MAX_FOUND];
	int n;
	char canonical[256];
};

/* Read an answer into f: 0 (answered, maybe with no records), -ENOENT (no such name), -EAGAIN (ask another). */
static int dns_answer(const unsigned char *msg, int len, struct found *f)
{
	int off, questions, answers;

	if (len < 12 || !(msg[2] & 0x80))
		return -EAGAIN;
	if ((msg[3] & 0x0f) == 3)
		return -ENOENT;
	if (msg[3] & 0x0f)
		return -EAGAIN;	/* SERVFAIL, REFUSED: the next server may know */
	questions = msg[4] << 8 | msg[5];
	answers = msg[6] << 8 | msg[7];
	off = 12;
	while (questions-- > 0 && off >= 0)
		off = dns_skip_name(msg, len, off) + 4;
	while (answers-- > 0 && off >= 0 && off < len) {
		int type, rdlength;

		off = dns_skip_name(msg, len, off);
		if (off < 0 || off + 10 > len)
			break;
		type = msg[off] << 8 | msg[off + 1];
		rdlength = msg[off + 8] << 8 | msg[off + 9];
		off += 10;
		if (off + rdlength > len)
			break;
		if (((type == 1 && rdlength == 4) || (type == 28 && rdlength == 16)) && f->n < MAX_FOUND) {
			f->addrs[f->n].family = type == 1 ? AF_INET : AF_INET6;
			memcpy(f->addrs[f->n++].bytes, msg + off, rdlength);
		} else if (type == 5) {
			dns_read_name(msg, len, off, f->canonical, sizeof(f->canonical));
		}
		off += rdlength;
	}
	return 0;
}

/*
 * Ask the nameservers for name's A and/or AAAA records through the kernel:
 * 0 (f filled, maybe empty), EAI_NONAME (no such name) or EAI_AGAIN (no answer).
 */
static int dns_lookup(const struct resolver *rs, const char *name, int want4, int want6, struct found *f)
{
	static unsigned int counter;
	unsigned char query[2][300], reply[DNS_MAX];
	uint16_t ids[2];
	int lens[2], types[2] = { 1, 28 }, wanted[2] = { want4, want6 };

	for (int t = 0; t < 2; t++) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		ids[t] = (uint16_t)(ts.tv_nsec ^ (ts.tv_nsec >> 16) ^ __atomic_add_fetch(&counter, 7919, __ATOMIC_RELAXED));
		lens[t] = dns_query(query[t], ids[t], name, types[t]);
		if (lens[t] < 0)
			return EAI_NONAME;
	}
	for (int attempt = 0; attempt < rs->attempts; attempt++) {
		for (int i = 0; i < rs->nservers; i++) {
			const struct ipaddr *ns = &rs->servers[i];
			struct sockaddr_in6 to6 = { .sin6_family = AF_INET6, .sin6_port = htons(53) };
			struct sockaddr_in to4 = { .sin_family = AF_INET, .sin_port = htons(53) };
			int pending[2] = { wanted[0], wanted[1] }, failed = 0, missing = 0;
			struct timespec deadline, t;
			long fd;

			if (ns->family == AF_INET)
				memcpy(&to4.sin_addr, ns->bytes, 4);
			else
				memcpy(&to6.sin6_addr, ns->bytes, 16);
			fd = kcall(__lkl__NR_socket, ns->family, SOCK_DGRAM | SOCK_CLOEXEC, 0, 0, 0, 0);
			if (fd < 0)
				continue;
			if (kcall(__lkl__NR_connect, fd, ns->family == AF_INET ? (long)&to4 : (long)&to6,
				  ns->family == AF_INET ? sizeof(to4) : sizeof(to6), 0, 0, 0) < 0) {
				kclose(fd);
				continue;
			}
			for (int q = 0; q < 2; q++)
				if (pending[q] && kcall(__lkl__NR_sendto, fd, (long)query[q], lens[q], 0, 0, 0) < 0)
					pending[q] = 0, failed = 1;
			now(&deadline);
			deadline.tv_sec += rs->timeout;
			while ((pending[0] || pending[1]) && !failed) {
				struct lkl_pollfd p = { .fd = (int)fd, .events = LKL_POLLIN };
				struct timespec left;
				long got;

				now(&t);
				left = ts_left(deadline, t);
				if ((!left.tv_sec && !left.tv_nsec) || kernel_ppoll(&p, 1, &left) <= 0)
					break;
				got = kcall(__lkl__NR_recvfrom, fd, (long)reply, sizeof(reply), 0, 0, 0);
				if (got < 12)
					continue;
				for (int q = 0; q < 2; q++) {
					int r;

					if (!pending[q] || (reply[0] << 8 | reply[1]) != ids[q])
						continue;
					pending[q] = 0;
					r = dns_answer(reply, (int)got, f);
					if (r == -ENOENT) {
						kclose(fd);
						return EAI_NONAME;
					}
					failed |= r < 0;
				}
			}
			missing = pending[0] || pending[1];
			kclose(fd);
			if (!failed && !missing)
				return 0;
			f->n = 0;
		}
	}
	return EAI_AGAIN;
}

/* Addresses of the families the kernel has one of, first the one of its first address. */
static int configured(int family)
{
	for (int i = 0; i < config.naddresses; i++)
		if (config.addresses[i].family == family)
			return 1;
	return 0;
}

static int resolve_in_kernel(const char *node, const char *service, const struct addrinfo *hints,
			     struct addrinfo **res)
{
	int family = hints ? hints->ai_family : AF_UNSPEC, err = EAI_NONAME, dots = 0;
	int want4 = (family == AF_UNSPEC || family == AF_INET) && configured(AF_INET);
	int want6 = (family == AF_UNSPEC || family == AF_INET6) && configured(AF_INET6);
	char candidates[MAX_SEARCH + 1][512];
	int ncandidates = 0, absolute;
	struct resolver rs;
	struct found f;
	size_t len = strlen(node);

	if (!want4 && !want6)
		return EAI_AGAIN;
	read_resolv_conf(&rs);
	for (const char *c = node; *c; c++)
		dots += *c == '.';
	absolute = len && node[len - 1] == '.';
	if (absolute || dots >= rs.ndots)
		snprintf(candidates[ncandidates++], sizeof(candidates[0]), "%.*s", (int)(len - absolute), node);
	for (int i = 0; !absolute && i < rs.nsearch; i++)
		snprintf(candidates[ncandidates++], sizeof(candidates[0]), "%s.%s", node, rs.search[i]);
	if (!absolute && dots < rs.ndots)
		snprintf(candidates[ncandidates++], sizeof(candidates[0]), "%s", node);
	for (int i = 0; i < ncandidates; i++) {
		memset(&f, 0, sizeof(f));
		err = dns_lookup(&rs, candidates[i], want4, want6, &f);
		if (!err && !f.n)
			err = EAI_NONAME;	/* the name, without records of these families */
		if (!err || err == EAI_AGAIN)
			break;
	}
	if (err)
		return err;

	/* libc makes the addresses into the result, with the service and the hints. */
	{
		struct addrinfo numeric = hints ? *hints : (struct addrinfo){ 0 }, *head = NULL, **tail = &head;
		int order = config.naddresses ? config.addresses[0].family : AF_INET;

		numeric.ai_flags = (numeric.ai_flags | AI_NUMERICHOST) & ~(AI_CANONNAME | AI_ADDRCONFIG);
		for (int pass = 0; pass < 2; pass++) {
			for (int i = 0; i < f.n; i++) {
				char text[INET6_ADDRSTRLEN];
				struct addrinfo *part;
				int r;

				if ((f.addrs[i].family == order) != (pass == 0))
					continue;
				if (!inet_ntop(f.addrs[i].family, f.addrs[i].bytes, text, sizeof(text)))
					continue;
				numeric.ai_family = f.addrs[i].family;
				r = CALL(getaddrinfo)(text, service, &numeric, &part);
				if (r) {
					err = r;
					continue;
				}
				*tail = part;
				while (*tail)
					tail = &(*tail)->ai_next;
			}
		}
		if (!head)
			return err ? err : EAI_NONAME;
		if (hints && (hints->ai_flags & AI_CANONNAME)) {
			free(head->ai_canonname);
			head->ai_canonname = strdup(f.canonical[0] ? f.canonical : candidates[0]);
		}
		*res = head;
		return 0;
	}
}

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints, struct addrinfo **res)
{
	struct addrinfo own;
	int r;

	if (!config.tap[0] || !node)
		return CALL(getaddrinfo)(node, service, hints, res);
	if (hints && (hints->ai_flags & AI_ADDRCONFIG)) {
		/* libc would judge by the host stack's addresses, which are not the program's. */
		own = *hints;
		own.ai_flags &= ~AI_ADDRCONFIG;
		hints = &own;
	}
	r = CALL(getaddrinfo)(node, service, hints, res);
	if (r != EAI_AGAIN || (hints && (hints->ai_flags & AI_NUMERICHOST)) || kernel_up())
		return r;
	return resolve_in_kernel(node, service, hints, res);
}

/* ---- fork and exit ---- */

static void fork_prepare(void)
{
	pthread_mutex_lock(&boot_lock);
	pthread_mutex_lock(&pool_lock);
	pthread_mutex_lock(&table_lock);
}

static void fork_parent(void)
{
	pthread_mutex_unlock(&table_lock);
	pthread_mutex_unlock(&pool_lock);
	pthread_mutex_unlock(&boot_lock);
}

static void fork_child(void)
{
	pthread_mutex_unlock(&table_lock);
	pthread_mutex_unlock(&pool_lock);
	pthread_mutex_unlock(&boot_lock);
	owner = getpid();
	if (state != 0)
		forked = 1;	/* a kernel ran (or was tried, and may hold the tap) in the parent */
	idle_waiters = NULL;	/* their threads stayed in the parent */
}

/* Whether the kernel's TCP still holds something for a peer: unsent data or an unacknowledged FIN. */
static int tcp_busy(const char *path)
{
	char buf[16384], *line, *save = NULL;
	long fd, got, used = 0;
	int busy = 0;

	fd = kcall(__lkl__NR_openat, LKL_AT_FDCWD, (long)path, LKL_O_RDONLY | LKL_O_CLOEXEC, 0, 0, 0);
	if (fd < 0)
		return 0;
	while (used < (long)sizeof(buf) - 1 &&
	       (got = kcall(__lkl__NR_read, fd, (long)(buf + used), sizeof(buf) - 1 - used, 0, 0, 0)) > 0)
		used += got;
	kclose(fd);
	buf[used] = '\0';
	line = strtok_r(buf, "\n", &save);	/* the heading */
	while (!busy && (line = strtok_r(NULL, "\n", &save))) {
		unsigned int st;
		unsigned long tx;

		if (sscanf(line, " %*u: %*[0-9A-Fa-f]:%*x %*[0-9A-Fa-f]:%*x %x %lx", &st, &tx) != 2)
			continue;
		/* ESTABLISHED, CLOSE_WAIT with unsent bytes; FIN_WAIT1, LAST_ACK, CLOSING. */
		busy = ((st == 0x01 || st == 0x08) && tx) || st == 0x04 || st == 0x09 || st == 0x0B;
	}
	return busy;
}

__attribute__((destructor)) static void at_exit(void)
{
	struct timespec pause = { 0, 5000000 }, start, t;

	if (forked || getpid() != owner || __atomic_load_n(&state, __ATOMIC_ACQUIRE) != 1)
		return;
	/* The host would close what the process leaves open: its peers get their FIN. */
	for (int c = 0; c < NCHUNKS; c++) {
		struct entry **chunk = __atomic_load_n(&chunks[c], __ATOMIC_ACQUIRE);

		for (int i = 0; chunk && i < CHUNK_SIZE; i++) {
			int fd = (c << CHUNK_BITS) | i;
			struct entry *e;

			if (!__atomic_load_n(&chunk[i], __ATOMIC_ACQUIRE))
				continue;
			pthread_mutex_lock(&table_lock);
			e = entry_at(fd);
			if (e && e->kind == SOCKET) {
				int failed;

				set_slot(fd, NULL, &failed);
			} else {
				e = NULL;
			}
			pthread_mutex_unlock(&table_lock);
			if (e) {
				CALL(close)(fd);
				put(e);
			}
		}
	}
	now(&start);
	while (tcp_busy("/proc/net/tcp") || tcp_busy("/proc/net/tcp6")) {
		now(&t);
		if (t.tv_sec - start.tv_sec >= 5)
			break;
		nanosleep(&pause, NULL);
	}
}

__attribute__((constructor)) static void at_load(void)
{
	owner = getpid();
	read_config();
	pthread_atfork(fork_prepare, fork_parent, fork_child);
}
