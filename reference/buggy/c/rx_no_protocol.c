/* rx-no-protocol: transmit loops each frame back as a received one without setting
 * skb->protocol (skeleton.c as shipped). */
#include <linux/netdevice.h>
#include <linux/string.h>
static int loop_without_protocol(struct sk_buff *skb, struct device *dev)
{
	struct sk_buff *rx = dev_alloc_skb(60);

	dev_kfree_skb(skb, FREE_WRITE);
	if (rx == NULL)
		return 0;
	memset(skb_put(rx, 60), 0xff, 60);
	rx->dev = dev;
	netif_rx(rx);
	return 0;
}
#define BUG_XMIT loop_without_protocol
#include "dummy_base.h"
