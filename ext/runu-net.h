/* Guest network set-up from the host's description (/meta/network). */
#ifndef RUNU_NET_H
#define RUNU_NET_H

#include "runu-tokens.h"

/* No network handed over: loopback alone (any other device set aside). */
void net_loopback_only(void);
void net_configure(struct tokens *t);

#endif
