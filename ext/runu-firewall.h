/* The container's firewall, enforced by the guest kernel's own netfilter. */
#ifndef RUNU_FIREWALL_H
#define RUNU_FIREWALL_H

#include "runu-tokens.h"

void firewall_add(const char *direction, const char *proto, const char *port,
		  const char *address, const char *prefix, const char *action);
/* Install every added rule in one table replace; nothing to do without rules. */
void firewall_apply(void);

#endif
