// SPDX-License-Identifier: GPL-2.0
/*
 * An Ethernet interface on a host descriptor (a tap opened with IFF_NO_PI).
 *
 * Transmit writes the frame to the descriptor from the CPU's thread. Receive
 * is a host thread of the device's own: it reads frames into a ring and
 * raises the device's interrupt, whose handler hands them to the stack. The
 * ring's two indexes are shared with that thread, so they are touched with
 * the compiler's atomics; when the ring is full the thread waits for the
 * handler to make room. The thread starts once the interface is first up, with
 * its addresses' routes in place (the NETDEV_UP notifiers before ours have run):
 * until then what the descriptor receives waits in the host's queue (a tap
 * attached before the kernel booted holds a client's first frames there), where
 * an interface on its way up could drop it.
 *
 * With NETDEV_ADD_VNET_HDR the tap was opened with IFF_VNET_HDR (and its
 * offloads set): every frame both ways starts with a virtio-net header, so
 * checksums are left to whoever sees the frame last and a TCP segment of up to
 * 64 KB moves in one read or write (TSO out, the host's GSO in), not one per
 * 1500 bytes. Its ring has fewer, larger slots; they are not zeroed, so a
 * slot's pages are the host's only once a frame that long has used them.
 */
#include <linux/etherdevice.h>
#include <linux/if_vlan.h>
#include <linux/interrupt.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/syscalls.h>
#include <linux/virtio_net.h>
#include <asm/lkl.h>
#include <asm/unistd.h>

#define FRAME_MAX	(ETH_FRAME_LEN + VLAN_HLEN)
#define GSO_FRAME_MAX	(VLAN_ETH_HLEN + GSO_LEGACY_MAX_SIZE)
#define RX_SLOTS	64
#define RX_GSO_SLOTS	16

struct rx_slot {
	long len;
	unsigned char data[];
};

struct host_netdev {
	struct net_device *dev;
	int fd;
	int irq;
	unsigned int hdr_len;	/* of the virtio-net header before each frame: 0 without */
	unsigned int slots;
	size_t slot_size;	/* of the frame buffer, header included */
	unsigned long rx_head;	/* written by the host thread */
	unsigned long rx_tail;	/* written by the interrupt handler */
	int rx_waiting;
	bool receiving;	/* the receive thread runs */
	struct lkl_sem *rx_room;
	struct rx_slot **ring;
	unsigned char *tx_frame;	/* header and frame, for the descriptor's one write */
};

static DECLARE_BITMAP(irqs_taken, NR_IRQS);

static netdev_tx_t host_netdev_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct host_netdev *nd = netdev_priv(dev);
	unsigned int len = skb->len, total = nd->hdr_len + len;

	if (total > nd->slot_size ||
	    (nd->hdr_len && virtio_net_hdr_from_skb(skb, (struct virtio_net_hdr *)nd->tx_frame,
						    true, false, 0)) ||
	    skb_copy_bits(skb, 0, nd->tx_frame + nd->hdr_len, len) ||
	    lkl_ops->fd_write(nd->fd, nd->tx_frame, total) != total) {
		dev->stats.tx_dropped++;
	} else {
		dev->stats.tx_packets++;
		dev->stats.tx_bytes += len;
	}
	dev_kfree_skb(skb);
	return NETDEV_TX_OK;
}

static const struct net_device_ops host_netdev_ops = {
	.ndo_start_xmit		= host_netdev_xmit,
	.ndo_set_mac_address	= eth_mac_addr,
	.ndo_validate_addr	= eth_validate_addr,
};

static irqreturn_t host_netdev_interrupt(int irq, void *arg)
{
	struct host_netdev *nd = arg;
	unsigned long head = __atomic_load_n(&nd->rx_head, __ATOMIC_ACQUIRE);
	unsigned long tail = nd->rx_tail;

	for (; tail != head; tail++) {
		struct rx_slot *slot = nd->ring[tail % nd->slots];
		long len = slot->len - nd->hdr_len;
		struct sk_buff *skb = netdev_alloc_skb_ip_align(nd->dev, len);

		if (!skb) {
			nd->dev->stats.rx_dropped++;
			continue;
		}
		skb_put_data(skb, slot->data + nd->hdr_len, len);
		if (nd->hdr_len &&
		    virtio_net_hdr_to_skb(skb, (struct virtio_net_hdr *)slot->data, true)) {
			nd->dev->stats.rx_frame_errors++;
			kfree_skb(skb);
			continue;
		}
		skb->protocol = eth_type_trans(skb, nd->dev);
		nd->dev->stats.rx_packets++;
		nd->dev->stats.rx_bytes += len;
		netif_rx(skb);
	}
	__atomic_store_n(&nd->rx_tail, tail, __ATOMIC_RELEASE);
	if (__atomic_exchange_n(&nd->rx_waiting, 0, __ATOMIC_ACQ_REL))
		lkl_ops->sem_up(nd->rx_room);
	return IRQ_HANDLED;
}

static bool ring_full(struct host_netdev *nd)
{
	return nd->rx_head - __atomic_load_n(&nd->rx_tail, __ATOMIC_ACQUIRE) >= nd->slots;
}

/* The receive thread: host code only (it never holds the CPU). */
static void host_netdev_receive(void *arg)
{
	struct host_netdev *nd = arg;

	for (;;) {
		struct rx_slot *slot;

		while (ring_full(nd)) {
			__atomic_store_n(&nd->rx_waiting, 1, __ATOMIC_SEQ_CST);
			if (ring_full(nd))
				lkl_ops->sem_down(nd->rx_room);
			else if (!__atomic_exchange_n(&nd->rx_waiting, 0, __ATOMIC_ACQ_REL))
				lkl_ops->sem_down(nd->rx_room);
		}
		slot = nd->ring[nd->rx_head % nd->slots];
		slot->len = lkl_ops->fd_read(nd->fd, slot->data, nd->slot_size);
		if (slot->len < 0)
			return;	/* the descriptor is gone: so is the device's input */
		if (slot->len < nd->hdr_len + ETH_HLEN)
			continue;
		__atomic_store_n(&nd->rx_head, nd->rx_head + 1, __ATOMIC_RELEASE);
		if (lkl_trigger_irq(nd->irq))
			return;	/* halted */
	}
}

static int host_netdev_event(struct notifier_block *nb, unsigned long event, void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);
	struct host_netdev *nd;

	if (event != NETDEV_UP || dev->netdev_ops != &host_netdev_ops)
		return NOTIFY_DONE;
	nd = netdev_priv(dev);
	if (nd->receiving)
		return NOTIFY_DONE;
	if (lkl_ops->thread_create(host_netdev_receive, nd))
		nd->receiving = true;
	else
		netdev_warn(dev, "no host thread to receive frames\n");
	return NOTIFY_DONE;
}

static struct notifier_block host_netdev_notifier = {
	.notifier_call = host_netdev_event,
};

/* After IPv4's and IPv6's notifiers (registered earlier, called first): see the top. */
static int __init host_netdev_init(void)
{
	return register_netdevice_notifier(&host_netdev_notifier);
}
late_initcall(host_netdev_init);

static int take_irq(void)
{
	int irq = find_next_zero_bit(irqs_taken, NR_IRQS, LKL_CALL_IRQ + 1);

	if (irq >= NR_IRQS)
		return -ENOSPC;
	__set_bit(irq, irqs_taken);
	return irq;
}

static void free_ring(struct host_netdev *nd)
{
	for (unsigned int i = 0; nd->ring && i < nd->slots; i++)
		kvfree(nd->ring[i]);
	kfree(nd->ring);
	kvfree(nd->tx_frame);
}

static int alloc_ring(struct host_netdev *nd)
{
	nd->ring = kcalloc(nd->slots, sizeof(*nd->ring), GFP_KERNEL);
	nd->tx_frame = kvmalloc(nd->slot_size, GFP_KERNEL);
	if (!nd->ring || !nd->tx_frame)
		return -ENOMEM;
	for (unsigned int i = 0; i < nd->slots; i++) {
		nd->ring[i] = kvmalloc(sizeof(struct rx_slot) + nd->slot_size, GFP_KERNEL);
		if (!nd->ring[i])
			return -ENOMEM;
	}
	return 0;
}

SYSCALL_DEFINE3(lkl_netdev_add, int, fd, const u8 __user *, mac, unsigned int, flags)
{
	struct net_device *dev;
	struct host_netdev *nd;
	bool vnet = flags & NETDEV_ADD_VNET_HDR;
	u8 addr[ETH_ALEN];
	int err;

	if (flags & ~NETDEV_ADD_VNET_HDR)
		return -EINVAL;
	dev = alloc_etherdev(sizeof(struct host_netdev));
	if (!dev)
		return -ENOMEM;
	nd = netdev_priv(dev);
	*nd = (struct host_netdev){
		.dev = dev, .fd = fd,
		.hdr_len = vnet ? sizeof(struct virtio_net_hdr) : 0,
		.slots = vnet ? RX_GSO_SLOTS : RX_SLOTS,
		.slot_size = vnet ? sizeof(struct virtio_net_hdr) + GSO_FRAME_MAX : FRAME_MAX,
	};
	dev->netdev_ops = &host_netdev_ops;
	dev->max_mtu = ETH_DATA_LEN;
	if (vnet) {
		dev->hw_features = NETIF_F_SG | NETIF_F_HW_CSUM | NETIF_F_TSO | NETIF_F_TSO6 |
				   NETIF_F_TSO_ECN;
		dev->features = dev->hw_features;
	}
	if (mac) {
		err = -EFAULT;
		if (copy_from_user(addr, mac, ETH_ALEN))
			goto free_dev;
		err = -EADDRNOTAVAIL;
		if (!is_valid_ether_addr(addr))
			goto free_dev;
		eth_hw_addr_set(dev, addr);
	} else {
		eth_hw_addr_random(dev);
	}
	nd->rx_room = lkl_ops->sem_alloc(0);
	err = alloc_ring(nd);
	if (!err && !nd->rx_room)
		err = -ENOMEM;
	if (err)
		goto free_ring;
	nd->irq = take_irq();
	err = nd->irq;
	if (nd->irq < 0)
		goto free_ring;
	err = request_irq(nd->irq, host_netdev_interrupt, 0, "host-netdev", nd);
	if (err)
		goto free_irq_number;
	err = register_netdev(dev);
	if (err)
		goto free_irq;
	return dev->ifindex;

free_irq:
	free_irq(nd->irq, nd);
free_irq_number:
	__clear_bit(nd->irq, irqs_taken);
free_ring:
	if (nd->rx_room)
		lkl_ops->sem_free(nd->rx_room);
	free_ring(nd);
free_dev:
	free_netdev(dev);
	return err;
}
