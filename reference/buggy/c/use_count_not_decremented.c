/* use-count-not-decremented: stop never calls MOD_DEC_USE_COUNT. */
#include <linux/netdevice.h>
static int keep_count(struct device *dev) { return 0; }
#define BUG_STOP keep_count
#include "dummy_base.h"
