/* dummy.c: a device that discards what it is sent, in C, in the 2.0 style.
 *
 * Written for netdevspec as the C twin of reference/drivers/dummy.py (same behaviour,
 * same verdict per rule on the same seed): init_module finds a free name dummy0..dummy99
 * with dev_get (REG-7; -ENFILE when all are taken) and registers a static device whose
 * probe sets the methods, calls ether_setup, then adds IFF_NOARP (REG-12, FLG-4). open and
 * stop mark the device started or stopped and move the use count (CB-2, CB-3, MOD-3);
 * transmit frees the frame and counts it (CB-4, CB-6). cleanup_module unregisters the
 * device and frees its statistics (MOD-2, FLD-11).
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/errno.h>
#include <linux/malloc.h>
#include <linux/string.h>
#include <linux/netdevice.h>
#include <linux/etherdevice.h>
#include <linux/skbuff.h>

#define MAX_UNITS 100

static int dummy_open(struct device *dev)
{
	dev->start = 1;
	dev->tbusy = 0;
	dev->interrupt = 0;
	MOD_INC_USE_COUNT;
	return 0;
}

static int dummy_close(struct device *dev)
{
	dev->start = 0;
	dev->tbusy = 1;
	MOD_DEC_USE_COUNT;
	return 0;
}

static int dummy_xmit(struct sk_buff *skb, struct device *dev)
{
	struct enet_statistics *stats;

	if (skb == NULL)
		return 0;
	dev_kfree_skb(skb, FREE_WRITE);
	stats = (struct enet_statistics *)dev->priv;
	stats->tx_packets++;
	return 0;
}

static struct enet_statistics *dummy_get_stats(struct device *dev)
{
	return (struct enet_statistics *)dev->priv;
}

static int dummy_init(struct device *dev)
{
	dev->hard_start_xmit = dummy_xmit;
	dev->priv = kmalloc(sizeof(struct enet_statistics), GFP_KERNEL);
	if (dev->priv == NULL)
		return -ENOMEM;
	memset(dev->priv, 0, sizeof(struct enet_statistics));
	dev->get_stats = dummy_get_stats;
	dev->open = dummy_open;
	dev->stop = dummy_close;
	ether_setup(dev);	/* REG-12: overwrites flags, so IFF_NOARP comes after */
	dev->flags |= IFF_NOARP;
	return 0;
}

static int dummy_probe(struct device *dev)
{
	return dummy_init(dev);
}

static char dummy_name[16];
static struct device dev_dummy = {
	dummy_name, 0, 0, 0, 0,
	0x0, 0,
	0, 0, 0, NULL, dummy_probe };

int init_module(void)
{
	int ct = 1;

	/* a fresh image of the static device per load, as the Python twin makes one */
	memset(&dev_dummy, 0, sizeof(dev_dummy));
	dev_dummy.name = dummy_name;
	dev_dummy.init = dummy_probe;
	strcpy(dummy_name, "dummy0");
	while (dev_get(dev_dummy.name) != NULL) {	/* REG-7 */
		if (ct >= MAX_UNITS)
			return -ENFILE;
		sprintf(dev_dummy.name, "dummy%d", ct);
		ct++;
	}
	if (register_netdev(&dev_dummy) != 0)
		return -EIO;
	return 0;
}

void cleanup_module(void)
{
	unregister_netdev(&dev_dummy);
	kfree(dev_dummy.priv);
	dev_dummy.priv = NULL;
}
