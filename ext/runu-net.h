/* Guest network set-up from the host's description (/meta/network). */
#ifndef RUNU_NET_H
#define RUNU_NET_H

#include "runu-tokens.h"

void net_loopback_up(void);
void net_configure(struct tokens *t);

#endif
