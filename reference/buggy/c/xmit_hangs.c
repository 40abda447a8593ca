/* xmit-hangs: transmit spins waiting for a ready bit nobody sets. */
#include <linux/netdevice.h>
static volatile int ready;
static int spin(struct sk_buff *skb, struct device *dev)
{
	while (!ready)
		;
	dev_kfree_skb(skb, FREE_WRITE);
	return 0;
}
#define BUG_XMIT spin
#include "dummy_base.h"
