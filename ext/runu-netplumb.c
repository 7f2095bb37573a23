/*
 * runu-netplumb NETNS IFNAME TAP DNS_TAP DNS_ADDRESS/PREFIX
 * runu-netplumb --restore NETNS IFNAME TAP DNS_TAP  < the hand-over's report
 *
 * Hands the container's interface (Docker's veth end, IFNAME) over to the
 * sandbox kernel, inside the network namespace NETNS:
 *   - refuses a namespace that already holds TAP (another container's guest);
 *   - prints IFNAME's identity for the guest, a line each:
 *       mac MAC | mtu N | addr 4|6 ADDRESS PREFIX | route 4|6 GATEWAY
 *     (IPv4 addresses, global IPv6 ones, default routes through IFNAME),
 *     and what the hand-over takes away, for --restore:
 *       was addr 4|6 ADDRESS PREFIX | was sysctl IFNAME|default 0|1 |
 *       was route 4|6 DST|- PREFIX GATEWAY|- PRIORITY SCOPE PROTOCOL TYPE;
 *   - creates the persistent tap TAP and joins it to IFNAME with a tc redirect
 *     both ways (ingress qdisc, u32 match-all filter, mirred egress redirect);
 *   - creates DNS_TAP with DNS_ADDRESS, the host side of the DNS side link;
 *   - takes every address off IFNAME; the netns's own IPv6 is switched off on
 *     it and on the taps, so that only the guest answers for them.
 * A failure before the addresses go undoes the taps, the qdiscs and the sysctl.
 *
 * --restore undoes a hand-over where the namespace outlives the container (one
 * given by path): the redirect and the taps go, IFNAME gets back its MAC,
 * sysctls, addresses and routes. Best effort, every step tried.
 *
 * It is C, with libmnl, because it runs in every `create`: Python's netlink
 * library costs ~150 ms to import, more than all of this takes.
 * Exit 0 done, 3 no IFNAME in the namespace, 1 anything else (a line on stderr each).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_arp.h>
#include <linux/if_ether.h>
#include <linux/if_tun.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/tc_act/tc_mirred.h>

#include "runu-ifreq.h"

#define MAX_ADDRS 32

struct addr {
	int family, prefix;
	unsigned char bytes[16];
	char text[INET6_ADDRSTRLEN];
};

static struct mnl_socket *nl;
static unsigned int seq;
static int ioctl_sock = -1;
static struct addr addrs[MAX_ADDRS];
static int naddrs;

/* What a failure undoes, so that the namespace is left as it was found. */
static struct {
	const char *taps[2];
	unsigned int ingress[2];  /* interfaces that got our ingress qdisc */
	int ntaps, ningress;
	char default_ipv6;  /* disable_ipv6 of new interfaces before ours, 0: untouched */
} undo;

static void roll_back(void);

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("runu-netplumb: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	roll_back();
	exit(1);
}

static struct nlmsghdr *request(char *buf, int type, int flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++seq;
	return nlh;
}

/* Send one request (a dump, or a change asking for an ack), feed each reply to cb; 0 or errno. */
static int exchange(struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int n, ret;

	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return errno;
	do {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			return errno;
		ret = mnl_cb_run(buf, n, nlh->nlmsg_seq, mnl_socket_get_portid(nl), cb, data);
	} while (ret > 0);
	return ret < 0 ? errno : 0;
}

/* exchange(), where an error other than `tolerated` ends the program. */
static void talk_tolerating(struct nlmsghdr *nlh, mnl_cb_t cb, void *data, const char *what,
			    int tolerated)
{
	int err = exchange(nlh, cb, data);

	if (err && err != tolerated)
		die("%s: %s", what, strerror(err));
}

static void talk(struct nlmsghdr *nlh, mnl_cb_t cb, void *data, const char *what)
{
	talk_tolerating(nlh, cb, data, what, 0);
}

static const char *text_of(int family, const void *bytes, char *out)
{
	return inet_ntop(family, bytes, out, INET6_ADDRSTRLEN);
}

/* Address dump: keep IFNAME's addresses (all, to flush; printing filters). */
static int on_addr(const struct nlmsghdr *nlh, void *data)
{
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr;
	struct addr *a;

	if (ifa->ifa_index != *(unsigned int *)data || naddrs == MAX_ADDRS)
		return MNL_CB_OK;
	mnl_attr_for_each(attr, nlh, sizeof(*ifa)) {
		if (mnl_attr_get_type(attr) != IFA_ADDRESS)
			continue;
		a = &addrs[naddrs++];
		a->family = ifa->ifa_family;
		a->prefix = ifa->ifa_prefixlen;
		memcpy(a->bytes, mnl_attr_get_payload(attr), ifa->ifa_family == AF_INET ? 4 : 16);
		text_of(a->family, a->bytes, a->text);
		if (a->family == AF_INET || ifa->ifa_scope == RT_SCOPE_UNIVERSE)
			printf("addr %d %s %d\n", a->family == AF_INET ? 4 : 6, a->text, a->prefix);
	}
	return MNL_CB_OK;
}

/*
 * Route dump, main table, routes leaving through IFNAME: each as a "was route"
 * line for --restore, and the default ones with a gateway for the guest.
 */
static int on_route(const struct nlmsghdr *nlh, void *data)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr;
	const void *gateway = NULL, *dst = NULL;
	unsigned int oif = 0, priority = 0;
	int family = rtm->rtm_family == AF_INET ? 4 : 6;
	char gw_text[INET6_ADDRSTRLEN] = "-", dst_text[INET6_ADDRSTRLEN] = "-";

	if (rtm->rtm_table != RT_TABLE_MAIN)
		return MNL_CB_OK;
	mnl_attr_for_each(attr, nlh, sizeof(*rtm)) {
		switch (mnl_attr_get_type(attr)) {
		case RTA_OIF: oif = mnl_attr_get_u32(attr); break;
		case RTA_GATEWAY: gateway = mnl_attr_get_payload(attr); break;
		case RTA_DST: dst = mnl_attr_get_payload(attr); break;
		case RTA_PRIORITY: priority = mnl_attr_get_u32(attr); break;
		}
	}
	if (oif != *(unsigned int *)data)
		return MNL_CB_OK;
	if (gateway)
		text_of(rtm->rtm_family, gateway, gw_text);
	if (dst)
		text_of(rtm->rtm_family, dst, dst_text);
	printf("was route %d %s %d %s %u %d %d %d\n", family, dst_text, rtm->rtm_dst_len, gw_text,
	       priority, rtm->rtm_scope, rtm->rtm_protocol, rtm->rtm_type);
	if (rtm->rtm_dst_len == 0 && gateway)
		printf("route %d %s\n", family, gw_text);
	return MNL_CB_OK;
}

static void dump(int type, int family, size_t header, mnl_cb_t cb, unsigned int ifindex)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = request(buf, type, NLM_F_DUMP);
	struct rtgenmsg *gen = mnl_nlmsg_put_extra_header(nlh, header);

	gen->rtgen_family = family;
	talk(nlh, cb, &ifindex, "read the interface's configuration");
}

static void delete_addr(unsigned int ifindex, const struct addr *a)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = request(buf, RTM_DELADDR, NLM_F_ACK);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));

	ifa->ifa_family = a->family;
	ifa->ifa_prefixlen = a->prefix;
	ifa->ifa_index = ifindex;
	mnl_attr_put(nlh, IFA_LOCAL, a->family == AF_INET ? 4 : 16, a->bytes);
	mnl_attr_put(nlh, IFA_ADDRESS, a->family == AF_INET ? 4 : 16, a->bytes);
	/* Gone already when it was a secondary of an address deleted before it. */
	talk_tolerating(nlh, NULL, NULL, "take the address off the interface", EADDRNOTAVAIL);
}

static void ifreq_ioctl(unsigned long req, struct ifreq *ifr, const char *what)
{
	if (ioctl(ioctl_sock, req, ifr) < 0)
		die("%s %s: %s", what, ifr->ifr_name, strerror(errno));
}

static void print_link(const char *ifname)
{
	struct ifreq ifr = { 0 };
	const unsigned char *mac = (unsigned char *)ifr.ifr_hwaddr.sa_data;

	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
	ifreq_ioctl(SIOCGIFHWADDR, &ifr, "read the MAC of");
	printf("mac %02x:%02x:%02x:%02x:%02x:%02x\n", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	ifreq_ioctl(SIOCGIFMTU, &ifr, "read the MTU of");
	printf("mtu %d\n", ifr.ifr_mtu);
}

/* Set disable_ipv6 of `ifname` to `value`; returns the value it had, 0 without IPv6. */
static char set_disable_ipv6(const char *ifname, char value)
{
	char path[128], old = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", ifname);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return 0;  /* no IPv6 in this kernel: nothing to quiet */
	if (read(fd, &old, 1) != 1 || pwrite(fd, &value, 1, 0) != 1)
		die("disable IPv6 on %s: %s", ifname, strerror(errno));
	close(fd);
	return old;
}

static void link_up(const char *ifname)
{
	const char *step;

	if (ifreq_link_up(ioctl_sock, ifname, &step) < 0)
		die("%s %s: %s", step, ifname, strerror(errno));
}

/*
 * No IPv6 address of the host's on a tap: it is a pipe to the guest. disable_ipv6
 * ("default", above) needs a writable /proc/sys, which a container's is not; without
 * it the kernel gave each tap a link-local address and route a moment after it came
 * up, a change to the namespace after create had returned. The address generation
 * mode is set over netlink, before the link is up. A kernel without IPv6 has nothing
 * to generate (EAFNOSUPPORT).
 */
static void no_ipv6_addresses(const char *name)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = request(buf, RTM_NEWLINK, NLM_F_ACK);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	struct nlattr *spec, *inet6;

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)if_nametoindex(name);
	spec = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
	inet6 = mnl_attr_nest_start(nlh, AF_INET6);
	mnl_attr_put_u8(nlh, IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE);
	mnl_attr_nest_end(nlh, inet6);
	mnl_attr_nest_end(nlh, spec);
	talk_tolerating(nlh, NULL, NULL, "switch IPv6 addresses off on the tap", EAFNOSUPPORT);
}

/* A persistent tap: the sandbox kernel opens it by name at start, as its owner. */
static unsigned int create_tap(const char *name, unsigned long owner)
{
	struct ifreq ifr = { 0 };
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		die("open /dev/net/tun: %s", strerror(errno));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_TUN_EXCL;  /* never adopt someone else's */
	if (ioctl(fd, TUNSETIFF, &ifr) < 0 || ioctl(fd, TUNSETPERSIST, 1) < 0)
		die("create tap %s: %s", name, strerror(errno));
	if (owner && (ioctl(fd, TUNSETOWNER, owner) < 0 || ioctl(fd, TUNSETGROUP, owner) < 0))
		die("give tap %s to uid %lu: %s", name, owner, strerror(errno));
	close(fd);
	undo.taps[undo.ntaps++] = name;
	no_ipv6_addresses(name);
	link_up(name);
	return if_nametoindex(name);
}

static void set_address4(const char *ifname, const char *cidr)
{
	char address[INET_ADDRSTRLEN];
	const char *step;
	int prefix;

	if (sscanf(cidr, "%15[0-9.]/%d", address, &prefix) != 2)
		die("bad address %s (want A.B.C.D/PREFIX)", cidr);
	if (ifreq_set_ipv4(ioctl_sock, ifname, address, prefix, &step) < 0)
		die("%s %s (%s): %s", step, ifname, cidr, strerror(errno));
}

/* Every frame arriving on `from` leaves through `to`: ingress qdisc + u32 match-all + mirred. */
static void redirect(unsigned int from, unsigned int to)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = request(buf, RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK);
	struct tcmsg *tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
	struct nlattr *options, *actions, *action, *action_options;
	struct {
		struct tc_u32_sel sel;
		struct tc_u32_key key;  /* mask 0 at offset 0: matches every frame */
	} match = { .sel = { .flags = TC_U32_TERMINAL, .nkeys = 1 } };
	struct tc_mirred mirred = { .action = TC_ACT_STOLEN, .eaction = TCA_EGRESS_REDIR, .ifindex = to };

	tcm->tcm_family = AF_UNSPEC;
	tcm->tcm_ifindex = from;
	tcm->tcm_handle = TC_H_MAKE(TC_H_INGRESS, 0);
	tcm->tcm_parent = TC_H_INGRESS;
	mnl_attr_put_strz(nlh, TCA_KIND, "ingress");
	talk(nlh, NULL, NULL, "add an ingress qdisc");
	undo.ingress[undo.ningress++] = from;

	nlh = request(buf, RTM_NEWTFILTER, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK);
	tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
	tcm->tcm_family = AF_UNSPEC;
	tcm->tcm_ifindex = from;
	tcm->tcm_parent = TC_H_MAKE(TC_H_INGRESS, 0);
	tcm->tcm_info = TC_H_MAKE(1 << 16, htons(ETH_P_ALL));  /* priority 1, every protocol */
	mnl_attr_put_strz(nlh, TCA_KIND, "u32");
	options = mnl_attr_nest_start(nlh, TCA_OPTIONS);
	mnl_attr_put_u32(nlh, TCA_U32_CLASSID, TC_H_MAKE(1 << 16, 1));
	mnl_attr_put(nlh, TCA_U32_SEL, sizeof(match), &match);
	actions = mnl_attr_nest_start(nlh, TCA_U32_ACT);
	action = mnl_attr_nest_start(nlh, 1);
	mnl_attr_put_strz(nlh, TCA_ACT_KIND, "mirred");
	action_options = mnl_attr_nest_start(nlh, TCA_ACT_OPTIONS);
	mnl_attr_put(nlh, TCA_MIRRED_PARMS, sizeof(mirred), &mirred);
	mnl_attr_nest_end(nlh, action_options);
	mnl_attr_nest_end(nlh, action);
	mnl_attr_nest_end(nlh, actions);
	mnl_attr_nest_end(nlh, options);
	talk(nlh, NULL, NULL, "add a redirect filter");
}

static void remove_ingress(unsigned int ifindex)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = request(buf, RTM_DELQDISC, NLM_F_ACK);
	struct tcmsg *tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));

	tcm->tcm_ifindex = ifindex;
	tcm->tcm_handle = TC_H_MAKE(TC_H_INGRESS, 0);
	tcm->tcm_parent = TC_H_INGRESS;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) >= 0)
		mnl_socket_recvfrom(nl, buf, sizeof(buf));  /* the ack, whatever it says */
}

/* A persistent tap goes away when its last owner drops persistence. */
static void remove_tap(const char *name)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return;
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) == 0)
		ioctl(fd, TUNSETPERSIST, 0);
	close(fd);
}

/* Best effort: a step that fails here has nothing left to fall back on. */
static void roll_back(void)
{
	while (undo.ningress)
		remove_ingress(undo.ingress[--undo.ningress]);
	while (undo.ntaps)
		remove_tap(undo.taps[--undo.ntaps]);
	if (undo.default_ipv6) {
		char old = undo.default_ipv6;

		undo.default_ipv6 = 0;
		set_disable_ipv6("default", old);
	}
}

static void open_sockets(void)
{
	nl = mnl_socket_open(NETLINK_ROUTE);
	ioctl_sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0 || ioctl_sock < 0)
		die("netlink socket: %s", strerror(errno));
	seq = time(NULL);
}

/* --restore: a failed step is reported and the rest still tried; 1 if any failed. */
static int restore_failed;

static void restore_error(const char *what, const char *detail, int err)
{
	fprintf(stderr, "runu-netplumb: restore %s %s: %s\n", what, detail, strerror(err));
	restore_failed = 1;
}

static int parse_address(int family, const char *text, unsigned char *bytes)
{
	return inet_pton(family == 4 ? AF_INET : AF_INET6, text, bytes) == 1;
}

static void restore_addr(unsigned int ifindex, int family, const char *text, int prefix)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = request(buf, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	unsigned char bytes[16];
	int err;

	if (!parse_address(family, text, bytes))
		return restore_error("address", text, EINVAL);
	ifa->ifa_family = family == 4 ? AF_INET : AF_INET6;
	ifa->ifa_prefixlen = prefix;
	ifa->ifa_index = ifindex;
	mnl_attr_put(nlh, IFA_LOCAL, family == 4 ? 4 : 16, bytes);
	mnl_attr_put(nlh, IFA_ADDRESS, family == 4 ? 4 : 16, bytes);
	if (family == 4) {
		unsigned int mask = prefix ? htonl(~0U << (32 - prefix)) : 0, broadcast;

		memcpy(&broadcast, bytes, 4);
		broadcast |= ~mask;
		mnl_attr_put_u32(nlh, IFA_BROADCAST, broadcast);
	}
	/* IPv6 link-local addresses come back by themselves once IPv6 is on again. */
	err = exchange(nlh, NULL, NULL);
	if (err && err != EEXIST)
		restore_error("address", text, err);
}

/* "4|6 DST|- PREFIX GATEWAY|- PRIORITY SCOPE PROTOCOL TYPE", as on_route printed it. */
static void restore_route(unsigned int ifindex, const char *line)
{
	char buf[MNL_SOCKET_BUFFER_SIZE], dst[INET6_ADDRSTRLEN], gateway[INET6_ADDRSTRLEN];
	struct nlmsghdr *nlh = request(buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	int family, prefix, scope, protocol, type, err;
	unsigned int priority;
	unsigned char bytes[16];

	if (sscanf(line, "%d %45s %d %45s %u %d %d %d", &family, dst, &prefix, gateway, &priority,
		   &scope, &protocol, &type) != 8)
		return restore_error("route", line, EINVAL);
	rtm->rtm_family = family == 4 ? AF_INET : AF_INET6;
	rtm->rtm_dst_len = prefix;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_scope = scope;
	rtm->rtm_protocol = protocol;
	rtm->rtm_type = type;
	if (strcmp(dst, "-")) {
		if (!parse_address(family, dst, bytes))
			return restore_error("route", line, EINVAL);
		mnl_attr_put(nlh, RTA_DST, family == 4 ? 4 : 16, bytes);
	}
	if (strcmp(gateway, "-")) {
		if (!parse_address(family, gateway, bytes))
			return restore_error("route", line, EINVAL);
		mnl_attr_put(nlh, RTA_GATEWAY, family == 4 ? 4 : 16, bytes);
	}
	mnl_attr_put_u32(nlh, RTA_OIF, ifindex);
	if (priority)
		mnl_attr_put_u32(nlh, RTA_PRIORITY, priority);
	/* Routes the kernel makes for an address are back already. */
	err = exchange(nlh, NULL, NULL);
	if (err && err != EEXIST)
		restore_error("route", line, err);
}

static void restore_mac(const char *ifname, const char *text)
{
	struct ifreq ifr = { 0 };
	unsigned char *mac = (unsigned char *)ifr.ifr_hwaddr.sa_data, want[6];

	if (sscanf(text, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &want[0], &want[1], &want[2], &want[3],
		   &want[4], &want[5]) != 6)
		return restore_error("MAC", text, EINVAL);
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
	if (ioctl(ioctl_sock, SIOCGIFHWADDR, &ifr) < 0)
		return restore_error("MAC of", ifname, errno);
	if (!memcmp(mac, want, 6))
		return;
	memcpy(mac, want, 6);
	if (ioctl(ioctl_sock, SIOCSIFHWADDR, &ifr) < 0)
		restore_error("MAC of", ifname, errno);
}

#define MAX_REPORT_LINES 256

/*
 * Undo a hand-over from its report on stdin: first what it added goes, then
 * what it took comes back, in the order each needs: the MAC, the sysctls
 * (IPv6 addresses need IPv6 on), the addresses, and last the routes (a
 * gateway is reachable only once its address is back).
 */
static int restore(const char *ifname, const char *tap, const char *dns_tap)
{
	static char report[MAX_REPORT_LINES][256];
	unsigned int ifindex = if_nametoindex(ifname);
	char name[IFNAMSIZ + 1], text[INET6_ADDRSTRLEN], value;
	int n = 0, family, prefix;

	if (ifindex)
		remove_ingress(ifindex);
	remove_tap(tap);
	remove_tap(dns_tap);
	if (!ifindex)
		return 0;  /* the interface is gone (its peer was deleted): nothing to give back */
	while (n < MAX_REPORT_LINES && fgets(report[n], sizeof(report[n]), stdin))
		n++;
	for (int i = 0; i < n; i++)
		if (sscanf(report[i], "mac %45s", text) == 1)
			restore_mac(ifname, text);
	for (int i = 0; i < n; i++)
		if (sscanf(report[i], "was sysctl %16s %c", name, &value) == 2)
			set_disable_ipv6(name, value);
	for (int i = 0; i < n; i++)
		if (sscanf(report[i], "was addr %d %45s %d", &family, text, &prefix) == 3)
			restore_addr(ifindex, family, text, prefix);
	for (int i = 0; i < n; i++)
		if (!strncmp(report[i], "was route ", 10))
			restore_route(ifindex, report[i] + 10);
	return restore_failed;
}

static void enter_netns(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
		die("enter network namespace %s: %s", path, strerror(errno));
	close(fd);
}

int main(int argc, char **argv)
{
	const char *ifname, *tap, *dns_tap;
	unsigned int ifindex, tap_index;
	int restoring = argc == 6 && !strcmp(argv[1], "--restore");
	unsigned long owner = argc == 7 ? strtoul(argv[6], NULL, 10) : 0;
	char old_ipv6;

	if (argc != 6 && argc != 7) {
		fprintf(stderr, "usage: runu-netplumb NETNS IFNAME TAP DNS_TAP DNS_ADDRESS/PREFIX [OWNER]\n"
				"       runu-netplumb --restore NETNS IFNAME TAP DNS_TAP < REPORT\n");
		return 2;
	}
	argv += restoring;
	ifname = argv[2], tap = argv[3], dns_tap = argv[4];
	enter_netns(argv[1]);
	open_sockets();
	if (restoring)
		return restore(ifname, tap, dns_tap);
	ifindex = if_nametoindex(ifname);
	if (!ifindex)
		return 3;

	if (if_nametoindex(tap))
		die("the network namespace already has %s: its %s was handed to another runu container",
		    tap, ifname);
	print_link(ifname);
	dump(RTM_GETADDR, AF_UNSPEC, sizeof(struct ifaddrmsg), on_addr, ifindex);
	for (int i = 0; i < naddrs; i++)
		printf("was addr %d %s %d\n", addrs[i].family == AF_INET ? 4 : 6, addrs[i].text,
		       addrs[i].prefix);
	dump(RTM_GETROUTE, AF_INET, sizeof(struct rtmsg), on_route, ifindex);
	dump(RTM_GETROUTE, AF_INET6, sizeof(struct rtmsg), on_route, ifindex);
	undo.default_ipv6 = set_disable_ipv6("default", '1');  /* the taps made next */
	if (undo.default_ipv6)
		printf("was sysctl default %c\n", undo.default_ipv6);
	tap_index = create_tap(tap, owner);
	redirect(ifindex, tap_index);
	redirect(tap_index, ifindex);
	create_tap(dns_tap, owner);
	set_address4(dns_tap, argv[5]);
	/* From here on IFNAME's identity moves to the guest: nothing is undone any more. */
	memset(&undo, 0, sizeof(undo));
	for (int i = 0; i < naddrs; i++)
		delete_addr(ifindex, &addrs[i]);
	old_ipv6 = set_disable_ipv6(ifname, '1');
	if (old_ipv6)
		printf("was sysctl %s %c\n", ifname, old_ipv6);
	mnl_socket_close(nl);
	return fflush(stdout) == 0 ? 0 : 1;
}
