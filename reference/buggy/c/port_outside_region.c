/* port-outside-region: open writes to port base + 32, one past the 32-port region the
 * driver claimed. */
#include <linux/netdevice.h>
#include <linux/ioport.h>
#include <asm/io.h>
static int claimed;
static int claim(struct device *dev)
{
	if (check_region(0x300, 32) == 0) {
		request_region(0x300, 32, "bug");
		claimed = 1;
	}
	return 0;
}
static int poke(struct device *dev)
{
	outb(0, 0x300 + 32);
	MOD_INC_USE_COUNT;
	return 0;
}
static void release(struct device *dev)
{
	unregister_netdev(dev);
	if (claimed)
		release_region(0x300, 32);
	kfree(dev->priv);
	dev->priv = NULL;
}
#define BUG_INIT claim
#define BUG_OPEN poke
#define BUG_CLEANUP release
#include "dummy_base.h"
