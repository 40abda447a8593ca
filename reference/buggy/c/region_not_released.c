/* region-not-released: init_module claims 32 ports that cleanup_module never releases. */
#include <linux/netdevice.h>
#include <linux/ioport.h>
static int claim(struct device *dev)
{
	if (check_region(0x300, 32) == 0)
		request_region(0x300, 32, "bug");
	return 0;
}
static void forget(struct device *dev)
{
	unregister_netdev(dev);
	kfree(dev->priv);
	dev->priv = NULL;
}
#define BUG_INIT claim
#define BUG_CLEANUP forget
#include "dummy_base.h"
