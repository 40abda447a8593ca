/* null-priv (a crash): the probe never allocates the private area, and transmit counts
 * into it through a NULL pointer. */
#include <linux/netdevice.h>
static int count_in_null(struct sk_buff *skb, struct device *dev)
{
	struct enet_statistics *stats = (struct enet_statistics *)dev->priv;

	dev_kfree_skb(skb, FREE_WRITE);
	stats->tx_packets++;
	return 0;
}
#define BUG_NO_PRIV 1
#define BUG_XMIT count_in_null
#include "dummy_base.h"
