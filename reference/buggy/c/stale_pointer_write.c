/* stale-pointer-write (only C can make it): transmit keeps a pointer to the last frame
 * in its private area and, at the next frame, clears that frame's protocol through it,
 * though the frame was released with dev_kfree_skb (a write to freed memory). */
#include <linux/netdevice.h>
struct bug_priv;
static int keep_last(struct sk_buff *skb, struct device *dev)
{
	struct sk_buff **last = (struct sk_buff **)((char *)dev->priv +
						    sizeof(struct enet_statistics));

	if (*last != NULL)
		(*last)->protocol = 0;
	dev_kfree_skb(skb, FREE_WRITE);
	*last = skb;
	return 0;
}
#define BUG_XMIT keep_last
#include "dummy_base.h"
