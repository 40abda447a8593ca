/* write-after-netif-rx (use after hand-off): transmit loops each frame back as a new
 * received frame and, after netif_rx has given it to the kernel, zeroes its length. */
#include <linux/netdevice.h>
#include <linux/string.h>
static int loop_and_touch(struct sk_buff *skb, struct device *dev)
{
	struct sk_buff *rx = dev_alloc_skb(60);

	dev_kfree_skb(skb, FREE_WRITE);
	if (rx == NULL)
		return 0;
	memset(skb_put(rx, 60), 0xff, 60);
	rx->dev = dev;
	rx->protocol = eth_type_trans(rx, dev);
	netif_rx(rx);
	rx->len = 0;
	return 0;
}
#define BUG_XMIT loop_and_touch
#include "dummy_base.h"
