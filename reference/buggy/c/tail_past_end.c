/* tail-past-end (pointer arithmetic on the buffer): transmit appends a 64-byte trailer
 * by moving skb->tail and skb->len directly instead of calling skb_put, without checking
 * the tailroom, so the tail runs past skb->end. */
#include <linux/netdevice.h>
static int trailer_by_hand(struct sk_buff *skb, struct device *dev)
{
	skb->tail += 64;
	skb->len += 64;
	dev_kfree_skb(skb, FREE_WRITE);
	return 0;
}
#define BUG_XMIT trailer_by_hand
#include "dummy_base.h"
