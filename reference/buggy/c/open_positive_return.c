/* open-positive-return: open fails with EIO instead of -EIO. */
#include <linux/netdevice.h>
static int fail(struct device *dev) { return EIO; }
#define BUG_OPEN fail
#include "dummy_base.h"
