/* queue-twice: transmit puts each frame at the tail of its private queue and then again
 * at the head, without unlinking it first; stop purges the queue. */
#include <linux/netdevice.h>
#include <linux/skbuff.h>
static struct sk_buff_head backlog;
static int init_queue(struct device *dev)
{
	skb_queue_head_init(&backlog);
	return 0;
}
static int queue_twice(struct sk_buff *skb, struct device *dev)
{
	skb_queue_tail(&backlog, skb);
	skb_queue_head(&backlog, skb);
	return 0;
}
static int purge(struct device *dev)
{
	struct sk_buff *skb;

	while ((skb = skb_dequeue(&backlog)) != NULL)
		dev_kfree_skb(skb, FREE_WRITE);
	MOD_DEC_USE_COUNT;
	return 0;
}
#define BUG_INIT init_queue
#define BUG_XMIT queue_twice
#define BUG_STOP purge
#include "dummy_base.h"
