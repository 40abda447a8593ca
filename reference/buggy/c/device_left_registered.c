/* device-left-registered: cleanup_module forgets unregister_netdev. */
#include <linux/netdevice.h>
static void forget(struct device *dev) { }
#define BUG_CLEANUP forget
#include "dummy_base.h"
