/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
#include <asm/unistd_64.h>

/*
 * The architecture's own calls, in the range asm-generic leaves to it:
 * lkl_netdev_add(fd, mac, flags) makes a network interface of a host tap
 * descriptor (mac: six bytes, or NULL for a random one) and returns its
 * ifindex. flags: NETDEV_ADD_VNET_HDR, the tap was opened with IFF_VNET_HDR
 * (header size 10) and its offloads (checksum, TSO) set; or 0.
 */
#define __NR_lkl_netdev_add 244
#define NETDEV_ADD_VNET_HDR 1
