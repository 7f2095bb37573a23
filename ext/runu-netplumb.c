/*
 * runu-netplumb NETNS IFNAME TAP DNS_TAP DNS_ADDRESS/PREFIX
 *
 * Hands the container's interface (Docker's veth end, IFNAME) over to the
 * sandbox kernel, inside the network namespace NETNS:
 *   - prints IFNAME's identity for the guest, a line each:
 *       mac MAC | mtu N | addr 4|6 ADDRESS PREFIX | route 4|6 GATEWAY
 *     (IPv4 addresses, global IPv6 ones, default routes through IFNAME);
 *   - creates the persistent tap TAP and joins it to IFNAME with a tc redirect
 *     both ways (ingress qdisc, u32 match-all filter, mirred egress redirect);
 *   - creates DNS_TAP with DNS_ADDRESS, the host side of the DNS side link;
 *   - takes every address off IFNAME; the netns's own IPv6 is switched off on
 *     it and on the taps, so that only the guest answers for them.
 * A failure before the addresses go undoes the taps, the qdiscs and the sysctl.
 *
 * It is C, with libmnl, because it runs in every `create`: Python's netlink
 * library costs ~150 ms to import, more than all of this takes.
 * Exit 0 done, 3 no IFNAME in the namespace, 1 anything else (one line on stderr).
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

/*
 * Send one request (a dump, or a change asking for an ack) and feed each reply
 * message to cb; an error other than `tolerated` ends the program.
 */
static void talk_tolerating(struct nlmsghdr *nlh, mnl_cb_t cb, void *data, const char *what,
			    int tolerated)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int n, ret;

	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		die("%s: %s", what, strerror(errno));
	do {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			die("%s: %s", what, strerror(errno));
		ret = mnl_cb_run(buf, n, nlh->nlmsg_seq, mnl_socket_get_portid(nl), cb, data);
	} while (ret > 0);
	if (ret < 0 && errno != tolerated)
		die("%s: %s", what, strerror(errno));
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

/* Route dump: print default routes of the main table that leave through IFNAME. */
static int on_route(const struct nlmsghdr *nlh, void *data)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr;
	const void *gateway = NULL;
	unsigned int oif = 0;
	char text[INET6_ADDRSTRLEN];

	if (rtm->rtm_dst_len != 0 || rtm->rtm_table != RT_TABLE_MAIN)
		return MNL_CB_OK;
	mnl_attr_for_each(attr, nlh, sizeof(*rtm)) {
		if (mnl_attr_get_type(attr) == RTA_OIF)
			oif = mnl_attr_get_u32(attr);
		else if (mnl_attr_get_type(attr) == RTA_GATEWAY)
			gateway = mnl_attr_get_payload(attr);
	}
	if (oif == *(unsigned int *)data && gateway)
		printf("route %d %s\n", rtm->rtm_family == AF_INET ? 4 : 6,
		       text_of(rtm->rtm_family, gateway, text));
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

/* A persistent tap: the sandbox kernel opens it by name at start. */
static unsigned int create_tap(const char *name)
{
	struct ifreq ifr = { 0 };
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		die("open /dev/net/tun: %s", strerror(errno));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_TUN_EXCL;  /* never adopt someone else's */
	if (ioctl(fd, TUNSETIFF, &ifr) < 0 || ioctl(fd, TUNSETPERSIST, 1) < 0)
		die("create tap %s: %s", name, strerror(errno));
	close(fd);
	undo.taps[undo.ntaps++] = name;
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

	if (argc != 6) {
		fprintf(stderr, "usage: runu-netplumb NETNS IFNAME TAP DNS_TAP DNS_ADDRESS/PREFIX\n");
		return 2;
	}
	ifname = argv[2], tap = argv[3], dns_tap = argv[4];
	enter_netns(argv[1]);
	ifindex = if_nametoindex(ifname);
	if (!ifindex)
		return 3;
	nl = mnl_socket_open(NETLINK_ROUTE);
	ioctl_sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0 || ioctl_sock < 0)
		die("netlink socket: %s", strerror(errno));
	seq = time(NULL);

	print_link(ifname);
	dump(RTM_GETADDR, AF_UNSPEC, sizeof(struct ifaddrmsg), on_addr, ifindex);
	dump(RTM_GETROUTE, AF_INET, sizeof(struct rtmsg), on_route, ifindex);
	dump(RTM_GETROUTE, AF_INET6, sizeof(struct rtmsg), on_route, ifindex);
	undo.default_ipv6 = set_disable_ipv6("default", '1');  /* the taps made next */
	tap_index = create_tap(tap);
	redirect(ifindex, tap_index);
	redirect(tap_index, ifindex);
	create_tap(dns_tap);
	set_address4(dns_tap, argv[5]);
	/* From here on IFNAME's identity moves to the guest: nothing is undone any more. */
	memset(&undo, 0, sizeof(undo));
	for (int i = 0; i < naddrs; i++)
		delete_addr(ifindex, &addrs[i]);
	set_disable_ipv6(ifname, '1');
	mnl_socket_close(nl);
	return fflush(stdout) == 0 ? 0 : 1;
}
