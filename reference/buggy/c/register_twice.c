/* register-twice: init_module calls register_netdev a second time on the device it has
 * just registered. */
#include <linux/netdevice.h>
static int again(struct device *dev)
{
	register_netdev(dev);
	return 0;
}
#define BUG_INIT again
#include "dummy_base.h"
