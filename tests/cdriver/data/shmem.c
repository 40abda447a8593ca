/* shmem.c: a small shared-memory card's driver for netdevspec's tests (written for
 * netdevspec). init_module claims the card's ports and talks to it with the word and
 * long-word port functions, probes the card's ISA memory with readb/writeb before the
 * device has a window, then gives the device its window (mem_start..mem_end). Transmit
 * copies the frame into the window's transmit area, keeps it on a private queue and
 * empties it, then takes the frame at the window's start as a received one
 * (memcpy_fromio, eth_copy_and_sum) and copies what the buffer holds back to the
 * window's echo area (memcpy_toio), so a test can compare the two. While the
 * device is open a watchdog timer reads the window every other tick. With -DWINDOW_BUG,
 * open writes one byte past the window (fld.mem.window); with -DTIMER_BUG, stop leaves
 * the timer pending; with -DWATCHDOG_BUG, the watchdog reads one byte past the window. */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/errno.h>
#include <linux/string.h>
#include <linux/netdevice.h>
#include <linux/etherdevice.h>
#include <linux/skbuff.h>
#include <linux/ioport.h>
#include <linux/delay.h>
#include <asm/io.h>

#define SHM_IO 0x300
#define SHM_EXTENT 32
#define SHM_MEM 0xD0000
#define SHM_MEMSIZE 0x2000
#define SHM_RXLEN 60
#define SHM_ECHO 0x100		/* offsets in the window */
#define SHM_TX 0x200
#define SHM_WATCHDOG 2		/* ticks */

static struct enet_statistics shm_stats;
static struct sk_buff_head shm_backlog;
static int shm_claimed;
static struct timer_list shm_timer;

static void shm_watchdog(unsigned long data)
{
	struct device *dev = (struct device *)data;

#ifdef WATCHDOG_BUG
	if (readb(dev->mem_end) == 0xFF)	/* one past the window */
#else
	if (readb(dev->mem_start) == 0xFF)
#endif
		shm_stats.rx_missed_errors++;
	shm_timer.expires = jiffies + SHM_WATCHDOG;
	add_timer(&shm_timer);
}

static int shm_open(struct device *dev)
{
	dev->start = 1;
	dev->tbusy = 0;
	dev->interrupt = 0;
	writew(0, dev->mem_start + SHM_TX);	/* inside the window */
	init_timer(&shm_timer);
	shm_timer.expires = jiffies + SHM_WATCHDOG;
	shm_timer.data = (unsigned long)dev;
	shm_timer.function = shm_watchdog;
	add_timer(&shm_timer);
#ifdef WINDOW_BUG
	writeb(0, dev->mem_end);		/* one past it */
#endif
	MOD_INC_USE_COUNT;
	return 0;
}

static int shm_stop(struct device *dev)
{
	dev->start = 0;
	dev->tbusy = 1;
#ifndef TIMER_BUG
	del_timer(&shm_timer);
#endif
	MOD_DEC_USE_COUNT;
	return 0;
}

static void shm_rx(struct device *dev)
{
	unsigned char frame[SHM_RXLEN];
	struct sk_buff *skb = dev_alloc_skb(SHM_RXLEN + 2);

	if (skb == NULL) {
		shm_stats.rx_dropped++;
		return;
	}
	skb_reserve(skb, 2);
	memcpy_fromio(frame, dev->mem_start, SHM_RXLEN);
	eth_copy_and_sum(skb, frame, SHM_RXLEN, 0);
	skb_put(skb, SHM_RXLEN);
	memcpy_toio(dev->mem_start + SHM_ECHO, skb->data, SHM_RXLEN);
	skb->dev = dev;
	skb->protocol = eth_type_trans(skb, dev);
	netif_rx(skb);
	shm_stats.rx_packets++;
}

static int shm_xmit(struct sk_buff *skb, struct device *dev)
{
	unsigned long len;

	if (skb == NULL)
		return 0;
	len = skb->len < SHM_MEMSIZE - SHM_TX ? skb->len : SHM_MEMSIZE - SHM_TX;
	if (len)
		memcpy_toio(dev->mem_start + SHM_TX, skb->data, len);
	if (readw(dev->mem_start + SHM_MEMSIZE - 2) != readb(dev->mem_end - 1))
		udelay(1);
	skb_queue_tail(&shm_backlog, skb);
	if (skb_peek_tail(&shm_backlog) != skb)
		printk("shm: the backlog lost a frame\n");
	while (!skb_queue_empty(&shm_backlog))
		dev_kfree_skb(skb_dequeue(&shm_backlog), FREE_WRITE);
	shm_stats.tx_packets++;
	shm_rx(dev);
	return 0;
}

static struct enet_statistics *shm_get_stats(struct device *dev)
{
	return &shm_stats;
}

static int shm_probe(struct device *dev)
{
	unsigned int words[2] = { 0x01020304, 0x05060708 };

	if (check_region(SHM_IO, SHM_EXTENT))
		return -EBUSY;
	request_region(SHM_IO, SHM_EXTENT, "shm");
	shm_claimed = 1;
	outw_p(0x1234, SHM_IO);
	if (inw_p(SHM_IO + 2) == 0xBEEF)
		return -ENODEV;
	outsl(SHM_IO + 4, words, 2);
	insl(SHM_IO + 4, words, 2);
	udelay(100);
	/* the card's memory, before the device has a window (a probe, as wd.c's) */
	writeb(0x5A, SHM_MEM + SHM_TX);
	(void)readb(SHM_MEM + SHM_TX);
	dev->base_addr = SHM_IO;
	dev->mem_start = SHM_MEM;
	dev->mem_end = SHM_MEM + SHM_MEMSIZE;
	dev->open = shm_open;
	dev->stop = shm_stop;
	dev->hard_start_xmit = shm_xmit;
	dev->get_stats = shm_get_stats;
	ether_setup(dev);
	return 0;
}

static char shm_name[16];	/* empty: register_netdev names it eth%d */
static struct device shm_dev = { shm_name, 0, 0, 0, 0, 0, 0, 0, 0, 0, NULL, shm_probe };

int init_module(void)
{
	skb_queue_head_init(&shm_backlog);
	if (register_netdev(&shm_dev) != 0) {
		if (shm_claimed)
			release_region(SHM_IO, SHM_EXTENT);
		return -EIO;
	}
	return 0;
}

void cleanup_module(void)
{
	unregister_netdev(&shm_dev);
	if (shm_claimed)
		release_region(SHM_IO, SHM_EXTENT);
}
