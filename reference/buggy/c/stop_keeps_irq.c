/* stop-keeps-irq: open installs an interrupt handler that stop never frees. */
#include <linux/netdevice.h>
#include <linux/sched.h>
static void bug_interrupt(int irq, void *dev_id, struct pt_regs *regs) { }
static int with_irq(struct device *dev)
{
	if (request_irq(9, bug_interrupt, 0, "bug", dev))
		return -EAGAIN;
	MOD_INC_USE_COUNT;
	return 0;
}
#define BUG_OPEN with_irq
#include "dummy_base.h"
