/* The base of netdevspec's C bug catalogue: the C dummy driver (reference/drivers/c/dummy.c)
 * with hooks. Each bug file defines the hooks it needs as static functions (so a finding
 * names the bug file's own line) and then includes this file:
 *
 *   BUG_INIT(dev)           in init_module, after the device is registered
 *   BUG_CLEANUP(dev)        in cleanup_module, instead of its usual body
 *   BUG_OPEN(dev)           open's body after the device is marked started (returns)
 *   BUG_STOP(dev)           stop's body after the device is marked stopped (returns)
 *   BUG_XMIT(skb, dev)      transmit's body for a non-NULL frame (returns)
 *
 * Written for netdevspec; every bug is one mistake a 2.0 driver writer made or could make.
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/errno.h>
#include <linux/malloc.h>
#include <linux/string.h>
#include <linux/netdevice.h>
#include <linux/etherdevice.h>
#include <linux/skbuff.h>
#include <linux/ioport.h>
#include <asm/io.h>

struct bug_priv {
	struct enet_statistics stats;
	struct sk_buff *last;	/* for the bugs that keep a pointer */
};

static int bug_open(struct device *dev)
{
	dev->start = 1;
	dev->tbusy = 0;
	dev->interrupt = 0;
#ifdef BUG_OPEN
	return BUG_OPEN(dev);
#else
	MOD_INC_USE_COUNT;
	return 0;
#endif
}

static int bug_close(struct device *dev)
{
	dev->start = 0;
	dev->tbusy = 1;
#ifdef BUG_STOP
	return BUG_STOP(dev);
#else
	MOD_DEC_USE_COUNT;
	return 0;
#endif
}

static int bug_xmit(struct sk_buff *skb, struct device *dev)
{
	if (skb == NULL)
		return 0;
#ifdef BUG_XMIT
	return BUG_XMIT(skb, dev);
#else
	dev_kfree_skb(skb, FREE_WRITE);
	((struct bug_priv *)dev->priv)->stats.tx_packets++;
	return 0;
#endif
}

static struct enet_statistics *bug_get_stats(struct device *dev)
{
	return &((struct bug_priv *)dev->priv)->stats;
}

static int bug_probe(struct device *dev)
{
	dev->hard_start_xmit = bug_xmit;
#ifndef BUG_NO_PRIV
	dev->priv = kmalloc(sizeof(struct bug_priv), GFP_KERNEL);
	if (dev->priv == NULL)
		return -ENOMEM;
	memset(dev->priv, 0, sizeof(struct bug_priv));
#endif
	dev->get_stats = bug_get_stats;
	dev->open = bug_open;
	dev->stop = bug_close;
	ether_setup(dev);
	dev->flags |= IFF_NOARP;
	return 0;
}

static char bug_name[16];
static struct device bug_dev;

int init_module(void)
{
	int ct = 1;

	memset(&bug_dev, 0, sizeof(bug_dev));
	bug_dev.name = bug_name;
	bug_dev.init = bug_probe;
	strcpy(bug_name, "dummy0");
	while (dev_get(bug_dev.name) != NULL) {
		if (ct >= 100)
			return -ENFILE;
		sprintf(bug_dev.name, "dummy%d", ct);
		ct++;
	}
	if (register_netdev(&bug_dev) != 0)
		return -EIO;
#ifdef BUG_INIT
	return BUG_INIT(&bug_dev);
#else
	return 0;
#endif
}

void cleanup_module(void)
{
#ifdef BUG_CLEANUP
	BUG_CLEANUP(&bug_dev);
#else
	unregister_netdev(&bug_dev);
	kfree(bug_dev.priv);
	bug_dev.priv = NULL;
#endif
}
