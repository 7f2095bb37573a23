/*
 * Gives the guest's network device the identity Docker gave the container's
 * eth0: its name, MAC, MTU, addresses and routes. Plain ioctls keep the init
 * small and static; the description is NUL-separated tokens:
 *   link DEVICE NAME MAC MTU     addr 4|6 ADDRESS PREFIX     route 4|6 GATEWAY
 *   dns DEVICE ADDRESS PREFIX RELAY   (the side link to the host's DNS relay)
 * A DEVICE is a name (UML's vector devices), or the MAC its emulator gave it
 * (a VM's virtio devices, whose names follow a probe order that differs by
 * machine).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if_arp.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sched.h>


#include "runu-fail.h"
#include "runu-dnsrelay.h"
#include "runu-ifreq.h"
#include "runu-net.h"

struct in6_ifreq_compat {
	struct in6_addr addr;
	unsigned int prefixlen;
	int ifindex;
};

static int sock4 = -1, sock6 = -1;
static char ifname[IFNAMSIZ] = "lo";

static int ctl_socket(int family)
{
	int *s = family == AF_INET6 ? &sock6 : &sock4;

	if (*s < 0)
		*s = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (*s < 0)
		die(126, "network socket: %s", strerror(errno));
	return *s;
}

static void ifreq_ioctl(unsigned long req, struct ifreq *ifr, const char *what)
{
	if (ioctl(ctl_socket(AF_INET), req, ifr) < 0)
		die(126, "%s %s: %s", what, ifr->ifr_name, strerror(errno));
}

static void link_up(const char *name)
{
	const char *step;

	if (ifreq_link_up(ctl_socket(AF_INET), name, &step) < 0)
		die(126, "%s %s: %s", step, name, strerror(errno));
}

static void net_loopback_up(void)
{
	link_up("lo");
}

/* A new network namespace, held by the returned descriptor alone; the init stays in its own. */
static int namespace_aside(void)
{
	int home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC), aside;

	if (home < 0 || unshare(CLONE_NEWNET) < 0)
		die(126, "new network namespace: %s", strerror(errno));
	aside = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (aside < 0 || setns(home, CLONE_NEWNET) < 0)
		die(126, "back to the guest's network namespace: %s", strerror(errno));
	close(home);
	return aside;
}

/* RTM_NEWLINK with IFLA_NET_NS_FD: the one move no ioctl makes. */
static void move_link(const char *name, int netns)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
		struct rtattr attr;
		int fd;
	} req = {
		.nh = { .nlmsg_len = sizeof(req), .nlmsg_type = RTM_NEWLINK, .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK },
		.ifi = { .ifi_family = AF_UNSPEC, .ifi_index = (int)if_nametoindex(name) },
		.attr = { .rta_len = RTA_LENGTH(sizeof(int)), .rta_type = IFLA_NET_NS_FD },
		.fd = netns,
	};
	struct {
		struct nlmsghdr nh;
		struct nlmsgerr err;
	} ack;
	int sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (sock < 0 || send(sock, &req, sizeof(req), 0) != sizeof(req) ||
	    recv(sock, &ack, sizeof(ack), 0) < (ssize_t)sizeof(ack))
		die(126, "set %s aside: %s", name, strerror(errno));
	if (ack.nh.nlmsg_type == NLMSG_ERROR && ack.err.error)
		die(126, "set %s aside: %s", name, strerror(-ack.err.error));
	close(sock);
}

/*
 * No network was handed over, though the kernel may have devices for one (a guest that boots
 * before the hand-over is given them in case): they go to a namespace of their own, which only
 * the init holds, and the container sees loopback alone, as under runc.
 */
void net_loopback_only(void)
{
	struct if_nameindex *all = if_nameindex();
	int aside = -1;

	if (!all)
		die(126, "list network interfaces: %s", strerror(errno));
	for (struct if_nameindex *i = all; i->if_index; i++) {
		if (!strcmp(i->if_name, "lo"))
			continue;
		if (aside < 0)
			aside = namespace_aside();
		move_link(i->if_name, aside);
	}
	if_freenameindex(all);
	net_loopback_up();
}

/* Per-interface protocol settings in the guest's /proc/sys; absent ones are skipped. */
static void set_conf(const char *family, const char *key, const char *value)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/net/%s/conf/%s/%s", family, ifname, key);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (write(fd, value, strlen(value)) != (ssize_t)strlen(value))
		die(126, "set %s: %s", path, strerror(errno));
	close(fd);
}

/*
 * The container's interface comes up only once its IPv4 addresses are set, with
 * arp_notify on, so that coming up announces them (gratuitous ARP). The host may
 * have asked for the address before the guest booted; its neighbour entry then
 * resolves at once instead of on the next ARP retry, a second later.
 */
static int link_pending;

static void bring_up_link(void)
{
	if (link_pending)
		link_up(ifname);
	link_pending = 0;
}

static void parse_mac(const char *mac, unsigned char out[6])
{
	unsigned int b[6];

	if (sscanf(mac, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6)
		die(126, "bad MAC address %s", mac);
	for (int i = 0; i < 6; i++)
		out[i] = b[i];
}

/* The current name of DEVICE (a name, or a MAC: the interface that has it) into `name`. */
static void device_name(const char *device, char name[IFNAMSIZ])
{
	struct if_nameindex *all, *i;
	unsigned char want[6];
	struct ifreq ifr;

	snprintf(name, IFNAMSIZ, "%s", device);
	if (!strchr(device, ':'))
		return;
	parse_mac(device, want);
	if (!(all = if_nameindex()))
		die(126, "list network interfaces: %s", strerror(errno));
	for (i = all; i->if_index; i++) {
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, IFNAMSIZ, "%s", i->if_name);
		if (ioctl(ctl_socket(AF_INET), SIOCGIFHWADDR, &ifr) == 0 && !memcmp(ifr.ifr_hwaddr.sa_data, want, 6))
			break;
	}
	if (!i->if_index)
		die(126, "no network interface has MAC %s", device);
	snprintf(name, IFNAMSIZ, "%s", i->if_name);
	if_freenameindex(all);
}

static void rename_link(const char *from, const char *to)
{
	struct ifreq ifr = { 0 };

	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", from);
	snprintf(ifr.ifr_newname, IFNAMSIZ, "%s", to);
	ifreq_ioctl(SIOCSIFNAME, &ifr, "rename");
}

static void set_link(const char *device, const char *name, const char *mac, int mtu)
{
	struct ifreq ifr = { 0 };
	unsigned char b[6];
	char current[IFNAMSIZ];

	device_name(device, current);
	if (strcmp(current, name)) {
		/* Another interface has the name (eth0 probed first, the side link): they swap. */
		int taken = if_nametoindex(name) != 0;

		if (taken)
			rename_link(name, "runu-swap");
		rename_link(current, name);
		if (taken)
			rename_link("runu-swap", current);
	}
	snprintf(ifname, sizeof(ifname), "%s", name);
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	parse_mac(mac, b);
	ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
	for (int i = 0; i < 6; i++)
		ifr.ifr_hwaddr.sa_data[i] = b[i];
	ifreq_ioctl(SIOCSIFHWADDR, &ifr, "set MAC of");
	if (mtu > 0) {
		ifr.ifr_mtu = mtu;
		ifreq_ioctl(SIOCSIFMTU, &ifr, "set MTU of");
	}
	set_conf("ipv4", "arp_notify", "1");
	link_pending = 1;
}

static void add_addr4(const char *address, int prefix)
{
	const char *step;

	if (ifreq_set_ipv4(ctl_socket(AF_INET), ifname, address, prefix, &step) < 0)
		die(126, "%s %s (%s/%d): %s", step, ifname, address, prefix, strerror(errno));
}

static void add_addr6(const char *address, int prefix)
{
	struct in6_ifreq_compat req = { 0 };

	set_conf("ipv6", "accept_dad", "0");  /* Docker made the address unique already */
	if (inet_pton(AF_INET6, address, &req.addr) != 1)
		die(126, "bad IPv6 address %s", address);
	req.prefixlen = prefix;
	req.ifindex = if_nametoindex(ifname);
	if (ioctl(ctl_socket(AF_INET6), SIOCSIFADDR, &req) < 0)
		die(126, "add %s to %s: %s", address, ifname, strerror(errno));
}

static void add_route4(const char *gateway)
{
	struct rtentry rt = { 0 };
	struct sockaddr_in *gw = (struct sockaddr_in *)&rt.rt_gateway;

	((struct sockaddr_in *)&rt.rt_dst)->sin_family = AF_INET;
	((struct sockaddr_in *)&rt.rt_genmask)->sin_family = AF_INET;
	gw->sin_family = AF_INET;
	if (inet_pton(AF_INET, gateway, &gw->sin_addr) != 1)
		die(126, "bad IPv4 gateway %s", gateway);
	rt.rt_flags = RTF_UP | RTF_GATEWAY;
	rt.rt_dev = ifname;
	if (ioctl(ctl_socket(AF_INET), SIOCADDRT, &rt) < 0)
		die(126, "add default route via %s: %s", gateway, strerror(errno));
}

static void add_route6(const char *gateway)
{
	struct in6_rtmsg rt = { 0 };

	if (inet_pton(AF_INET6, gateway, &rt.rtmsg_gateway) != 1)
		die(126, "bad IPv6 gateway %s", gateway);
	rt.rtmsg_flags = RTF_UP | RTF_GATEWAY;
	rt.rtmsg_metric = 1;
	rt.rtmsg_ifindex = if_nametoindex(ifname);
	if (ioctl(ctl_socket(AF_INET6), SIOCADDRT, &rt) < 0)
		die(126, "add IPv6 default route via %s: %s", gateway, strerror(errno));
}

void net_configure(struct tokens *t)
{
	const char *kw;

	net_loopback_up();
	while ((kw = tokens_next(t))) {
		if (!strcmp(kw, "link")) {
			const char *device = tokens_need(t), *name = tokens_need(t);
			const char *mac = tokens_need(t);

			set_link(device, name, mac, atoi(tokens_need(t)));
		} else if (!strcmp(kw, "addr")) {
			const char *family = tokens_need(t), *address = tokens_need(t);
			int prefix = atoi(tokens_need(t));

			if (*family == '6')
				add_addr6(address, prefix);
			else
				add_addr4(address, prefix);
		} else if (!strcmp(kw, "route")) {
			const char *family = tokens_need(t), *gateway = tokens_need(t);

			bring_up_link();  /* a route needs its device up */
			if (*family == '6')
				add_route6(gateway);
			else
				add_route4(gateway);
		} else if (!strcmp(kw, "dns")) {
			const char *device = tokens_need(t), *addr = tokens_need(t);
			int prefix = atoi(tokens_need(t));
			const char *relay = tokens_need(t);
			char main_if[IFNAMSIZ], side[IFNAMSIZ];

			bring_up_link();
			device_name(device, side);
			/* The side link is not the container's interface: keep eth0 current. */
			snprintf(main_if, sizeof(main_if), "%s", ifname);
			snprintf(ifname, sizeof(ifname), "%s", side);
			link_up(side);
			add_addr4(addr, prefix);
			snprintf(ifname, sizeof(ifname), "%s", main_if);
			int listener = dns_relay_listen("127.0.0.11");

			if (listener < 0 || dns_relay_start(listener, relay) < 0)
				die(126, "start the DNS relay: %s", strerror(errno));
		} else
			die(126, "unknown network field %s", kw);
	}
	bring_up_link();
}
