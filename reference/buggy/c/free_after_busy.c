/* free-after-busy: transmit sets tbusy, releases the frame and then returns 1 (busy),
 * so the kernel keeps, and later retries, a frame already freed. */
#include <linux/netdevice.h>
static int busy_but_freed(struct sk_buff *skb, struct device *dev)
{
	dev->tbusy = 1;
	dev_kfree_skb(skb, FREE_WRITE);
	return 1;
}
#define BUG_XMIT busy_but_freed
#include "dummy_base.h"
