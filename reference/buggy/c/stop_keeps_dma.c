/* stop-keeps-dma: open claims an IRQ line and then a DMA channel; stop frees the IRQ
 * line but never the DMA channel. */
#include <linux/netdevice.h>
#include <linux/sched.h>
#include <asm/dma.h>
static void bug_interrupt(int irq, void *dev_id, struct pt_regs *regs) { }
static int claim(struct device *dev)
{
	if (request_irq(9, bug_interrupt, 0, "bug", dev))
		return -EAGAIN;
	if (request_dma(3, "bug")) {
		free_irq(9, dev);
		return -EAGAIN;
	}
	MOD_INC_USE_COUNT;
	return 0;
}
static int release_irq_only(struct device *dev)
{
	free_irq(9, dev);
	MOD_DEC_USE_COUNT;
	return 0;
}
#define BUG_OPEN claim
#define BUG_STOP release_irq_only
#include "dummy_base.h"
