/*
 * DNS relay: Docker's embedded resolver answers at 127.0.0.11 inside the
 * container's netns, which the guest (its own kernel, its own loopback) cannot
 * reach. Two relays bridge the gap over a small link-local side link (tap1):
 *   guest   127.0.0.11:53  -> 169.254.53.1:53   (in runu-init)
 *   netns   169.254.53.1:53 -> 127.0.0.11:53    (in runu-sandbox; Docker's own
 *           rules there steer that address to its resolver)
 * UDP only: what resolvers use unless an answer is truncated.
 */
#ifndef RUNU_DNSRELAY_H
#define RUNU_DNSRELAY_H

/* A UDP socket bound to listen_ip:53 (binding port 53 needs privilege: done before it is
 * dropped); -1 (errno) if it cannot be made. */
int dns_relay_listen(const char *listen_ip);

/* Fork a child relaying UDP queries from `listener` to upstream_ip:53; -1 (errno) if it cannot. */
int dns_relay_start(int listener, const char *upstream_ip);

#endif
