/* lwIP on a Linux tap, with UDP and TCP echo: the lwIP stack of the conformance suite. */
#ifndef RUNU_LWIP_HARNESS_H
#define RUNU_LWIP_HARNESS_H

/* Start lwIP's thread on tap `tap` with Ethernet address `mac` ("aa:bb:..") and IPv4
 * `ip`/`prefixlen`, echoing UDP and TCP on `port`. Returns 0, or -errno / -1 on failure. */
int runu_lwip_start(const char *tap, const char *mac, const char *ip, int prefixlen, int port);

#endif
