/* eth-type-trans-before-put: the receive path calls eth_type_trans on the still-empty
 * buffer, before skb_put. */
#include <linux/netdevice.h>
#include <linux/string.h>
static int trans_first(struct sk_buff *skb, struct device *dev)
{
	struct sk_buff *rx = dev_alloc_skb(60);

	dev_kfree_skb(skb, FREE_WRITE);
	if (rx == NULL)
		return 0;
	rx->dev = dev;
	rx->protocol = eth_type_trans(rx, dev);
	memset(skb_put(rx, 60), 0xff, 60);
	netif_rx(rx);
	return 0;
}
#define BUG_XMIT trans_first
#include "dummy_base.h"
