#ifndef RUNU_TAP_H
#define RUNU_TAP_H

/*
 * A tap attached for a library kernel's interface (lkl_netdev_add with
 * LKL_NETDEV_VNET_HDR), shared by runu-lklinit, which attaches it before the
 * program runs, and librunu-lkl.so, which attaches it itself when it inherited
 * none: IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, with the offloads that interface
 * takes (checksum, TSO for IPv4 and IPv6, ECN), so that a TCP segment of up to
 * 64 KB crosses the tap in one frame. The descriptor (close-on-exec), or -errno.
 */
int tap_attach(const char *name);

#endif
