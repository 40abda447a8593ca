/* loopback.c: transmit becomes receive, in C, in the 2.0 style.
 *
 * Written for netdevspec as the C twin of reference/drivers/loopback.py (same behaviour,
 * same verdict per rule on the same seed). loopback_init: ether_setup for the queues and
 * the Ethernet methods, then MTU PAGE_SIZE*7/8, no queue limit, ARPHRD_LOOPBACK,
 * IFF_LOOPBACK|IFF_BROADCAST and 127.0.0.1/8 (FLD-10, FLD-12, FLG-4). Transmit (RX-7):
 * a frame whose owner keeps it (skb->free == 0) is cloned and the clone passed up, the
 * original released; any other frame is passed up itself after crediting its socket's
 * send memory (ART-3). The frame passed up gets skb->dev and skb->protocol (RX-3, RX-4)
 * and goes to netif_rx (RX-5). Where the Python twin uses its instance number for the
 * device's name (lo, lo1, ...), a C module does not know it: this one takes the first
 * free name, as dummy.c does.
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/errno.h>
#include <linux/malloc.h>
#include <linux/string.h>
#include <linux/netdevice.h>
#include <linux/etherdevice.h>
#include <linux/skbuff.h>
#include <linux/if_arp.h>
#include <net/sock.h>
#include <asm/system.h>

#define LOOPBACK_MTU (PAGE_SIZE * 7 / 8)

static int loopback_xmit(struct sk_buff *skb, struct device *dev)
{
	struct enet_statistics *stats = (struct enet_statistics *)dev->priv;
	unsigned long flags;
	int unlock = 1;

	if (skb == NULL)
		return 0;	/* CB-6 */
	if (skb->len < dev->hard_header_len) {
		/* no header to pass up: dropped, not handed to eth_type_trans (as the
		 * Python twin, reference/drivers/loopback.py, explains) */
		stats->tx_dropped++;
		dev_kfree_skb(skb, FREE_WRITE);	/* CB-4: accepted, so released */
		return 0;
	}
	save_flags(flags);
	cli();
	if (dev->tbusy) {	/* CB-5: busy with tbusy set, frame untouched */
		restore_flags(flags);
		stats->tx_errors++;
		return 1;
	}
	dev->tbusy = 1;
	restore_flags(flags);

	if (skb->free == 0) {
		struct sk_buff *clone = skb_clone(skb, GFP_ATOMIC);

		if (clone == NULL) {
			dev->tbusy = 0;
			stats->tx_dropped++;
			dev_kfree_skb(skb, FREE_WRITE);
			return 0;
		}
		dev_kfree_skb(skb, FREE_WRITE);
		skb = clone;
		unlock = 0;
	} else if (skb->sk) {
		skb->sk->wmem_alloc -= skb->truesize;	/* ART-3 */
	}
	skb->dev = dev;					/* RX-3 */
	skb->protocol = eth_type_trans(skb, dev);	/* RX-4 */
	skb->ip_summed = CHECKSUM_UNNECESSARY;
	if (unlock)
		skb_device_unlock(skb);
	netif_rx(skb);		/* RX-5: the kernel's from here on */
	stats->tx_packets++;
	stats->rx_packets++;
	dev->tbusy = 0;
	return 0;
}

static struct enet_statistics *get_stats(struct device *dev)
{
	return (struct enet_statistics *)dev->priv;
}

static int loopback_open(struct device *dev)
{
	dev->flags |= IFF_LOOPBACK;
	MOD_INC_USE_COUNT;
	return 0;
}

static int loopback_close(struct device *dev)
{
	MOD_DEC_USE_COUNT;
	return 0;
}

static int loopback_init(struct device *dev)
{
	ether_setup(dev);	/* queues, eth_header, eth_rebuild_header (FLD-9) */
	dev->change_mtu = NULL;
	dev->set_mac_address = NULL;
	dev->mtu = LOOPBACK_MTU;
	dev->tbusy = 0;
	dev->hard_start_xmit = loopback_xmit;
	dev->tx_queue_len = 50000;
	dev->type = ARPHRD_LOOPBACK;
	dev->open = loopback_open;
	dev->stop = loopback_close;
	dev->flags = IFF_LOOPBACK | IFF_BROADCAST;
	dev->family = AF_INET;
	dev->pa_addr = in_aton("127.0.0.1");
	dev->pa_brdaddr = in_aton("127.255.255.255");
	dev->pa_mask = in_aton("255.0.0.0");
	dev->pa_alen = 4;
	dev->priv = kmalloc(sizeof(struct enet_statistics), GFP_KERNEL);
	if (dev->priv == NULL)
		return -ENOMEM;
	memset(dev->priv, 0, sizeof(struct enet_statistics));
	dev->get_stats = get_stats;
	return 0;
}

static char lo_name[16];
static struct device loopback_dev;

int init_module(void)
{
	int ct = 1;

	memset(&loopback_dev, 0, sizeof(loopback_dev));
	loopback_dev.name = lo_name;
	loopback_dev.init = loopback_init;
	strcpy(lo_name, "lo");
	while (dev_get(loopback_dev.name) != NULL) {
		if (ct >= 100)
			return -ENFILE;
		sprintf(loopback_dev.name, "lo%d", ct);
		ct++;
	}
	if (register_netdev(&loopback_dev) != 0)
		return -EIO;
	return 0;
}

void cleanup_module(void)
{
	unregister_netdev(&loopback_dev);
	kfree(loopback_dev.priv);
	loopback_dev.priv = NULL;
}
