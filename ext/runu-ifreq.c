#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/ioctl.h>

#include "runu-ifreq.h"

static int call(int sock, unsigned long req, struct ifreq *ifr, const char *what, const char **step)
{
	*step = what;
	return ioctl(sock, req, ifr);
}

int ifreq_link_up(int sock, const char *name, const char **step)
{
	struct ifreq ifr = { 0 };

	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (call(sock, SIOCGIFFLAGS, &ifr, "read the flags of", step) < 0)
		return -1;
	ifr.ifr_flags |= IFF_UP;
	return call(sock, SIOCSIFFLAGS, &ifr, "bring up", step);
}

int ifreq_set_ipv4(int sock, const char *name, const char *address, int prefix, const char **step)
{
	struct ifreq ifr = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;

	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	sin->sin_family = AF_INET;
	if (prefix < 0 || prefix > 32 || inet_pton(AF_INET, address, &sin->sin_addr) != 1) {
		*step = "parse the IPv4 address for";
		errno = EINVAL;
		return -1;
	}
	if (call(sock, SIOCSIFADDR, &ifr, "set the address of", step) < 0)
		return -1;
	sin->sin_addr.s_addr = prefix ? htonl(~0U << (32 - prefix)) : 0;
	return call(sock, SIOCSIFNETMASK, &ifr, "set the netmask of", step);
}
