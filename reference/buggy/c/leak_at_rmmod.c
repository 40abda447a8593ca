/* leak-at-rmmod: init_module allocates a spare buffer that cleanup_module never frees. */
#include <linux/netdevice.h>
static struct sk_buff *spare;
static int alloc_spare(struct device *dev)
{
	spare = alloc_skb(128, GFP_KERNEL);
	return 0;
}
#define BUG_INIT alloc_spare
#include "dummy_base.h"
