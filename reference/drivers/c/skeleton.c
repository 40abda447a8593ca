/* skeleton.c: Donald Becker's template completed for the simulated SimpleNic card, in C.
 *
 * Written for netdevspec as the C twin of reference/drivers/skeleton.py (same behaviour,
 * same verdict per rule on the same seed; see that file for the design and the api-facts
 * items). A static device with a blank name (auto-named ethN, REG-3) and netcard_probe as
 * init; the probe walks the port list, checks each range with check_region before
 * touching it, recognises the card by its station-address prefix 00:42:65 and claims its
 * 32 ports (CB-1, RES-8, RES-11, RES-12). open claims the IRQ, then the DMA channel, and
 * resets the card; stop releases them in reverse order (RES-5, CB-2, CB-3). Transmit
 * copies the frame to the card and frees it (CB-4, CB-7) with the busy/timeout protocol
 * (CB-5). The interrupt handler passes received frames up (RX-1..RX-6) and, on
 * transmit-done, clears tbusy and marks NET_BH (CB-5, CB-11).
 *
 * Insmod parameters: io (0 probes the port list), irq (default 5; 2 means 9), dma
 * (default 3), mem.
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/sched.h>
#include <linux/errno.h>
#include <linux/malloc.h>
#include <linux/string.h>
#include <linux/interrupt.h>
#include <linux/ioport.h>
#include <linux/netdevice.h>
#include <linux/etherdevice.h>
#include <linux/skbuff.h>
#include <asm/system.h>
#include <asm/io.h>
#include <asm/dma.h>

#define CARDNAME "netcard"
#define NETCARD_IO_EXTENT 32
#define TX_TIMEOUT 5
#define HW_MAX_ADDRS 4
#define BOGUS_INTERRUPTS 20
#define RX_BUDGET 32

/* SimpleNic's registers (offsets from base_addr) and bits: see reference/hardware.py. */
#define SA_PROM 0x00
#define ISR 0x06
#define CMD 0x07
#define IMR 0x08
#define RXCOUNT 0x09
#define RXLEN 0x0A
#define TXLEN 0x0C
#define CONFIG 0x0E
#define STATUS 0x0F
#define DATA 0x10
#define ISR_RX 0x01
#define ISR_TX 0x02
#define CMD_TX 0x01
#define CMD_RX_NEXT 0x02
#define CMD_RESET 0x04
#define CMD_START 0x08
#define CMD_STOP 0x10
#define STATUS_TX_BUSY 0x04
#define RX_PROMISC 0x01
#define RX_ALLMULTI 0x02
#define RX_MCFILTER 0x04

static unsigned int netcard_portlist[] =
	{ 0x200, 0x240, 0x280, 0x2C0, 0x300, 0x320, 0x340, 0 };

struct net_local {
	struct enet_statistics stats;
	long open_time;
	int rx_mode;
};

static int version_printed;

static void chipset_init(struct device *dev)
{
	struct net_local *lp = (struct net_local *)dev->priv;
	int ioaddr = dev->base_addr;

	outb(CMD_RESET, ioaddr + CMD);
	outb(lp->rx_mode, ioaddr + CONFIG);
	outb(ISR_RX | ISR_TX, ioaddr + IMR);
	outb(CMD_START, ioaddr + CMD);
}

static void net_rx(struct device *dev)
{
	struct net_local *lp = (struct net_local *)dev->priv;
	int ioaddr = dev->base_addr;
	int budget;

	for (budget = 0; budget < RX_BUDGET; budget++) {
		struct sk_buff *skb;
		int pkt_len;
		unsigned char *at;

		if (!inb(ioaddr + RXCOUNT))
			break;
		pkt_len = inw(ioaddr + RXLEN);
		if (pkt_len < ETH_HLEN || pkt_len > ETH_FRAME_LEN) {	/* RX-6 */
			lp->stats.rx_errors++;
			lp->stats.rx_length_errors++;
			outb(CMD_RX_NEXT, ioaddr + CMD);
			continue;
		}
		skb = dev_alloc_skb(pkt_len + 2);	/* RX-1, RX-2 */
		if (skb == NULL) {
			printk("%s: Memory squeeze, dropping packet.\n", dev->name);
			lp->stats.rx_dropped++;
			outb(CMD_RX_NEXT, ioaddr + CMD);
			continue;
		}
		skb_reserve(skb, 2);	/* RX-2: align the IP header */
		at = skb_put(skb, pkt_len);
		insw(ioaddr + DATA, at, pkt_len >> 1);
		if (pkt_len & 1)
			insb(ioaddr + DATA, at + (pkt_len & ~1), 1);
		outb(CMD_RX_NEXT, ioaddr + CMD);
		skb->dev = dev;				/* RX-3 */
		skb->protocol = eth_type_trans(skb, dev);	/* RX-4 */
		netif_rx(skb);		/* RX-5: the kernel's from here on */
		lp->stats.rx_packets++;
	}
}

static struct device this_device;

static void net_interrupt(int irq, void *dev_id, struct pt_regs *regs)
{
	struct device *dev = &this_device;
	struct net_local *lp;
	int ioaddr, boguscount;

	if (dev_id != dev) {
		printk(CARDNAME ": irq %d for unknown device.\n", irq);
		return;
	}
	lp = (struct net_local *)dev->priv;
	ioaddr = dev->base_addr;
	dev->interrupt = 1;	/* CB-8 */
	for (boguscount = 0; boguscount < BOGUS_INTERRUPTS; boguscount++) {
		int status = inb(ioaddr + ISR) & (ISR_RX | ISR_TX);

		if (!status)
			break;
		outb(status, ioaddr + ISR);
		if (status & ISR_RX)
			net_rx(dev);
		if (status & ISR_TX) {
			lp->stats.tx_packets++;
			dev->tbusy = 0;		/* CB-5 */
			mark_bh(NET_BH);	/* CB-11 */
		}
	}
	dev->interrupt = 0;
}

static void hardware_send_packet(int ioaddr, unsigned char *buf, int length)
{
	outw(length, ioaddr + TXLEN);
	outsw(ioaddr + DATA, buf, length >> 1);
	if (length & 1)
		outsb(ioaddr + DATA, buf + (length & ~1), 1);
	outb(CMD_TX, ioaddr + CMD);
}

static int net_send_packet(struct sk_buff *skb, struct device *dev)
{
	struct net_local *lp = (struct net_local *)dev->priv;
	int ioaddr = dev->base_addr;
	unsigned long flags;
	int conflict;

	if (dev->tbusy) {
		int tickssofar = jiffies - dev->trans_start;
		int tx_done;

		if (tickssofar < TX_TIMEOUT)
			return 1;	/* CB-4, CB-5 */
		tx_done = !(inb(ioaddr + STATUS) & STATUS_TX_BUSY);
		printk("%s: transmit timed out, %s?\n", dev->name,
		       tx_done ? "IRQ conflict" : "network cable problem");
		lp->stats.tx_errors++;
		chipset_init(dev);	/* CB-5 */
		dev->tbusy = 0;
		dev->trans_start = jiffies;
	}
	if (skb == NULL) {	/* CB-6 */
		dev_tint(dev);
		return 0;
	}
	save_flags(flags);	/* set_bit(0, &dev->tbusy), atomically (CB-5) */
	cli();
	conflict = dev->tbusy != 0;
	dev->tbusy = 1;
	restore_flags(flags);
	if (conflict) {
		printk("%s: Transmitter access conflict.\n", dev->name);
	} else {
		unsigned char frame[ETH_FRAME_LEN];
		int length = skb->len < ETH_ZLEN ? ETH_ZLEN : skb->len;	/* CB-7 */

		if (length > ETH_FRAME_LEN)
			length = ETH_FRAME_LEN;
		memset(frame, 0, sizeof frame);
		memcpy(frame, skb->data, skb->len < length ? skb->len : length);
		hardware_send_packet(ioaddr, frame, length);
		dev->trans_start = jiffies;	/* FLD-13 */
	}
	dev_kfree_skb(skb, FREE_WRITE);	/* CB-4 */
	return 0;
}

static int net_open(struct device *dev)
{
	struct net_local *lp = (struct net_local *)dev->priv;

	if (request_irq(dev->irq, net_interrupt, 0, CARDNAME, dev))
		return -EAGAIN;
	if (request_dma(dev->dma, CARDNAME)) {	/* RES-5: DMA after the IRQ ... */
		free_irq(dev->irq, dev);	/* ... and the IRQ back if it is busy */
		return -EAGAIN;
	}
	chipset_init(dev);	/* CB-2 */
	lp->open_time = jiffies;
	dev->tbusy = 0;
	dev->interrupt = 0;
	dev->start = 1;
	MOD_INC_USE_COUNT;
	return 0;
}

static int net_close(struct device *dev)
{
	struct net_local *lp = (struct net_local *)dev->priv;
	int ioaddr = dev->base_addr;

	lp->open_time = 0;
	dev->tbusy = 1;		/* CB-3 */
	dev->start = 0;
	outb(0, ioaddr + IMR);
	outb(CMD_STOP, ioaddr + CMD);
	disable_dma(dev->dma);
	free_dma(dev->dma);		/* RES-5: DMA first ... */
	free_irq(dev->irq, dev);	/* ... then the IRQ */
	MOD_DEC_USE_COUNT;
	return 0;
}

static struct enet_statistics *net_get_stats(struct device *dev)
{
	return &((struct net_local *)dev->priv)->stats;
}

static void set_multicast_list(struct device *dev)
{
	struct net_local *lp = (struct net_local *)dev->priv;
	int mode;

	if (dev->flags & IFF_PROMISC)
		mode = RX_PROMISC | RX_ALLMULTI;
	else if ((dev->flags & IFF_ALLMULTI) || dev->mc_count > HW_MAX_ADDRS)
		mode = RX_ALLMULTI;
	else if (dev->mc_count)
		mode = RX_MCFILTER;
	else
		mode = 0;
	lp->rx_mode = mode;
	outb(mode, dev->base_addr + CONFIG);
}

static int netcard_probe1(struct device *dev, int ioaddr)
{
	int i;

	if (inb(ioaddr + SA_PROM) != 0x00 || inb(ioaddr + SA_PROM + 1) != 0x42
	    || inb(ioaddr + SA_PROM + 2) != 0x65)
		return -ENODEV;
	if (!version_printed++)
		printk("skeleton.c: a C driver after skeleton.c v1.51 (Donald Becker)\n");
	dev->base_addr = ioaddr;
	for (i = 0; i < ETH_ALEN; i++)
		dev->dev_addr[i] = inb(ioaddr + SA_PROM + i);
	printk("%s: " CARDNAME " found at %#x, %02x:%02x:%02x:%02x:%02x:%02x\n", dev->name,
	       ioaddr, dev->dev_addr[0], dev->dev_addr[1], dev->dev_addr[2], dev->dev_addr[3],
	       dev->dev_addr[4], dev->dev_addr[5]);
	if (dev->irq == 2)
		dev->irq = 9;	/* FLD-3 */
	dev->priv = kmalloc(sizeof(struct net_local), GFP_KERNEL);
	if (dev->priv == NULL)
		return -ENOMEM;
	memset(dev->priv, 0, sizeof(struct net_local));
	request_region(ioaddr, NETCARD_IO_EXTENT, CARDNAME);	/* RES-9, RES-11 */
	dev->open = net_open;
	dev->stop = net_close;
	dev->hard_start_xmit = net_send_packet;
	dev->get_stats = net_get_stats;
	dev->set_multicast_list = set_multicast_list;
	ether_setup(dev);
	return 0;
}

static int netcard_probe(struct device *dev)
{
	int i;
	int base_addr = dev->base_addr;

	if (base_addr == 1 || base_addr == 0xFFE0)	/* FLD-2: "don't probe" */
		return -ENXIO;
	if (base_addr > 0x1ff) {
		if (check_region(base_addr, NETCARD_IO_EXTENT))	/* RES-8 */
			return -EBUSY;
		return netcard_probe1(dev, base_addr);
	}
	if (base_addr != 0)
		return -ENXIO;
	for (i = 0; netcard_portlist[i]; i++) {
		int ioaddr = netcard_portlist[i];

		if (check_region(ioaddr, NETCARD_IO_EXTENT))
			continue;
		if (netcard_probe1(dev, ioaddr) == 0)
			return 0;
	}
	return -ENODEV;
}

static char devicename[16];
int io = 0;
int irq = 5;
int dma = 3;
int mem = 0;

int init_module(void)
{
	if (io == 0)
		printk(CARDNAME ": You shouldn't use auto-probing with insmod!\n");	/* MOD-4 */
	memset(&this_device, 0, sizeof(this_device));
	memset(devicename, 0, sizeof(devicename));
	this_device.name = devicename;
	this_device.init = netcard_probe;
	this_device.base_addr = io;
	this_device.irq = irq;
	this_device.dma = dma;
	this_device.mem_start = mem;
	return register_netdev(&this_device);
}

void cleanup_module(void)
{
	unregister_netdev(&this_device);
	release_region(this_device.base_addr, NETCARD_IO_EXTENT);
	kfree(this_device.priv);
	this_device.priv = NULL;
}
