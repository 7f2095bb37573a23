/* lwIP (Debian's liblwip, threaded build) driving a tap device.
 *
 * A reader thread feeds every frame from the tap to lwIP through tcpip_input; lwIP's output goes
 * straight back to the tap. The echo services use the raw API from lwIP's own thread, so they
 * need no locking beyond setting them up. */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <lwip/etharp.h>
#include <lwip/init.h>
#include <lwip/netif.h>
#include <lwip/tcp.h>
#include <lwip/tcpip.h>
#include <lwip/udp.h>
#include <netif/ethernet.h>

#define FRAME_MAX 1518

static int tap_fd = -1;
static struct netif tap_netif;
static u8_t tap_mac[6];

static err_t tap_linkoutput(struct netif *netif, struct pbuf *p)
{
    unsigned char frame[FRAME_MAX];
    u16_t len = pbuf_copy_partial(p, frame, sizeof frame, 0);
    (void)netif;
    return write(tap_fd, frame, len) == len ? ERR_OK : ERR_IF;
}

static err_t tap_netif_init(struct netif *netif)
{
    netif->name[0] = 't';
    netif->name[1] = 'p';
    netif->mtu = 1500;
    netif->hwaddr_len = 6;
    memcpy(netif->hwaddr, tap_mac, 6);
    netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
    netif->output = etharp_output;
    netif->linkoutput = tap_linkoutput;
    return ERR_OK;
}

static void *tap_reader(void *arg)
{
    unsigned char frame[FRAME_MAX];
    (void)arg;
    for (;;) {
        ssize_t n = read(tap_fd, frame, sizeof frame);
        if (n <= 0) {
            if (n < 0 && errno == EINTR)
                continue;
            return NULL;
        }
        /* one contiguous buffer: chained PBUF_POOL pbufs corrupt the heap with Debian's build */
        struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)n, PBUF_RAM);
        if (!p)
            continue;
        pbuf_take(p, frame, (u16_t)n);
        if (tap_netif.input(p, &tap_netif) != ERR_OK)
            pbuf_free(p);
    }
}

static void udp_echo(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr, u16_t port)
{
    (void)arg;
    udp_sendto(pcb, p, addr, port);
    pbuf_free(p);
}

static err_t tcp_echo_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    (void)arg;
    if (!p || err != ERR_OK) {
        if (p)
            pbuf_free(p);
        tcp_arg(pcb, NULL);
        tcp_recv(pcb, NULL);
        return tcp_close(pcb);
    }
    for (struct pbuf *q = p; q; q = q->next)
        tcp_write(pcb, q->payload, q->len, TCP_WRITE_FLAG_COPY);
    tcp_recved(pcb, p->tot_len);
    tcp_output(pcb);
    pbuf_free(p);
    return ERR_OK;
}

static err_t tcp_echo_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
    (void)arg;
    if (err != ERR_OK || !pcb)
        return ERR_VAL;
    tcp_recv(pcb, tcp_echo_recv);
    return ERR_OK;
}

static int open_tap(const char *name)
{
    struct ifreq ifr = {0};
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        int err = -errno;
        close(fd);
        return err;
    }
    return fd;
}

static int serve_echo(int port)
{
    struct udp_pcb *udp = udp_new();
    struct tcp_pcb *tcp = tcp_new();
    if (!udp || !tcp || udp_bind(udp, IP_ANY_TYPE, port) != ERR_OK
        || tcp_bind(tcp, IP_ANY_TYPE, port) != ERR_OK)
        return -1;
    udp_recv(udp, udp_echo, NULL);
    tcp = tcp_listen(tcp);
    if (!tcp)
        return -1;
    tcp_accept(tcp, tcp_echo_accept);
    return 0;
}

int runu_lwip_start(const char *tap, const char *mac, const char *ip, int prefixlen, int port)
{
    ip4_addr_t addr, mask, gw;
    pthread_t reader;
    int rc;

    if (sscanf(mac, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &tap_mac[0], &tap_mac[1], &tap_mac[2],
               &tap_mac[3], &tap_mac[4], &tap_mac[5]) != 6 || !ip4addr_aton(ip, &addr)
        || prefixlen < 0 || prefixlen > 32)
        return -EINVAL;
    ip4_addr_set_u32(&mask, prefixlen ? lwip_htonl(0xffffffffu << (32 - prefixlen)) : 0);
    ip4_addr_set_zero(&gw);
    tap_fd = open_tap(tap);
    if (tap_fd < 0)
        return tap_fd;

    tcpip_init(NULL, NULL);
    LOCK_TCPIP_CORE();
    rc = netif_add(&tap_netif, &addr, &mask, &gw, NULL, tap_netif_init, tcpip_input) ? 0 : -1;
    if (rc == 0) {
        netif_set_default(&tap_netif);
        netif_set_link_up(&tap_netif);
        netif_set_up(&tap_netif);
        rc = serve_echo(port);
    }
    UNLOCK_TCPIP_CORE();
    if (rc == 0)
        rc = -pthread_create(&reader, NULL, tap_reader, NULL);
    return rc;
}
