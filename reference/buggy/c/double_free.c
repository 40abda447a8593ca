/* double-free: hard_start_xmit releases each frame with dev_kfree_skb twice. */
#include <linux/netdevice.h>
static int twice(struct sk_buff *skb, struct device *dev)
{
	dev_kfree_skb(skb, FREE_WRITE);
	dev_kfree_skb(skb, FREE_WRITE);
	return 0;
}
#define BUG_XMIT twice
#include "dummy_base.h"
