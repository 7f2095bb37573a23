#ifndef RUNU_IFREQ_H
#define RUNU_IFREQ_H

/*
 * Interface ioctls on an AF_INET datagram socket, shared by the host-side
 * hand-over (runu-netplumb) and the guest's init (runu-net.c). Each returns 0,
 * or -1 with errno set and *step naming what failed, for the caller's message.
 */
int ifreq_link_up(int sock, const char *name, const char **step);
int ifreq_set_ipv4(int sock, const char *name, const char *address, int prefix, const char **step);

#endif
