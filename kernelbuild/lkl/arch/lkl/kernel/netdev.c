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
 */
#include <linux/etherdevice.h>
#include <linux/if_vlan.h>
#include <linux/interrupt.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <linux/syscalls.h>
#include <asm/lkl.h>

#define RX_SLOTS	64
#define FRAME_MAX	(ETH_FRAME_LEN + VLAN_HLEN)

struct rx_slot {
	long len;
	unsigned char data[FRAME_MAX];
};

struct host_netdev {
	struct net_device *dev;
	int fd;
	int irq;
	unsigned long rx_head;	/* written by the host thread */
	unsigned long rx_tail;	/* written by the interrupt handler */
	int rx_waiting;
	bool receiving;	/* the receive thread runs */
	struct lkl_sem *rx_room;
	struct rx_slot *ring;
};

static DECLARE_BITMAP(irqs_taken, NR_IRQS);

static netdev_tx_t host_netdev_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct host_netdev *nd = netdev_priv(dev);
	unsigned char frame[FRAME_MAX];
	unsigned int len = skb->len;

	if (len > sizeof(frame) || skb_copy_bits(skb, 0, frame, len) ||
	    lkl_ops->fd_write(nd->fd, frame, len) != len) {
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
		struct rx_slot *slot = &nd->ring[tail % RX_SLOTS];
		struct sk_buff *skb = netdev_alloc_skb_ip_align(nd->dev, slot->len);

		if (!skb) {
			nd->dev->stats.rx_dropped++;
			continue;
		}
		skb_put_data(skb, slot->data, slot->len);
		skb->protocol = eth_type_trans(skb, nd->dev);
		nd->dev->stats.rx_packets++;
		nd->dev->stats.rx_bytes += slot->len;
		netif_rx(skb);
	}
	__atomic_store_n(&nd->rx_tail, tail, __ATOMIC_RELEASE);
	if (__atomic_exchange_n(&nd->rx_waiting, 0, __ATOMIC_ACQ_REL))
		lkl_ops->sem_up(nd->rx_room);
	return IRQ_HANDLED;
}

static bool ring_full(struct host_netdev *nd)
{
	return nd->rx_head - __atomic_load_n(&nd->rx_tail, __ATOMIC_ACQUIRE) >= RX_SLOTS;
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
		slot = &nd->ring[nd->rx_head % RX_SLOTS];
		slot->len = lkl_ops->fd_read(nd->fd, slot->data, sizeof(slot->data));
		if (slot->len < 0)
			return;	/* the descriptor is gone: so is the device's input */
		if (slot->len < ETH_HLEN)
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

SYSCALL_DEFINE2(lkl_netdev_add, int, fd, const u8 __user *, mac)
{
	struct net_device *dev = alloc_etherdev(sizeof(struct host_netdev));
	struct host_netdev *nd;
	u8 addr[ETH_ALEN];
	int err;

	if (!dev)
		return -ENOMEM;
	nd = netdev_priv(dev);
	*nd = (struct host_netdev){ .dev = dev, .fd = fd };
	dev->netdev_ops = &host_netdev_ops;
	dev->max_mtu = ETH_DATA_LEN;
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
	err = -ENOMEM;
	nd->ring = kvcalloc(RX_SLOTS, sizeof(*nd->ring), GFP_KERNEL);
	nd->rx_room = lkl_ops->sem_alloc(0);
	if (!nd->ring || !nd->rx_room)
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
	kvfree(nd->ring);
free_dev:
	free_netdev(dev);
	return err;
}
