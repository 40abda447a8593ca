/* netdevspec: the 2.0 kernel API a network driver module uses, as out-of-line calls.
 *
 * Written for netdevspec from api-facts section 12 ("Exported kernel symbols") and the
 * names 2.0 drivers use. In 2.0 many of these are macros or inlines that touch kernel
 * state directly (cli/sti, save_flags/restore_flags, the port I/O, skb_put and the queue
 * functions, MOD_INC_USE_COUNT); here every one of them is a call into netdevspec's
 * runtime, which carries it to the checker, so every use is observed. The runtime
 * passes its return address, which netdevspec maps to the driver's file:line with the
 * shared object's line table, so a finding names the C line that made the call. They
 * are plain functions (no function-like macros), so a driver may declare them again,
 * as 8390.h does, or take their address.
 */
#ifndef _NETDEVSPEC_KAPI_H
#define _NETDEVSPEC_KAPI_H

#include <stddef.h>
#include <stdarg.h>
#include <netdevspec/structs.h>
#include <netdevspec/constants.h>

#ifndef NULL
#define NULL ((void *)0)
#endif


/* -- time ------------------------------------------------------------------------------ */
extern volatile unsigned long jiffies;
#define HZ 100
extern void udelay(unsigned long usecs);
/* Kernel timers (CB-5): the struct timer_list is the driver's memory; the kernel calls
 * function(data) once jiffies reach expires. */
extern void init_timer(struct timer_list *timer);
extern void add_timer(struct timer_list *timer);
extern int del_timer(struct timer_list *timer);
#define PAGE_SIZE 4096UL

/* -- devices (REG, CB, RX) --------------------------------------------------------------- */
extern int register_netdev(struct device *dev);
extern void unregister_netdev(struct device *dev);
extern struct device *dev_get(const char *name);
extern int dev_alloc_name(struct device *dev, const char *name);
extern struct device *init_etherdev(struct device *dev, int sizeof_priv);
extern void ether_setup(struct device *dev);
extern void eth_copy_and_sum(struct sk_buff *dest, unsigned char *src, int length, int base);
extern void netif_rx(struct sk_buff *skb);
extern unsigned short eth_type_trans(struct sk_buff *skb, struct device *dev);
extern void dev_tint(struct device *dev);
extern void mark_bh(int nr);

/* The kernel's Ethernet methods ether_setup stores in a device: a driver may store them
 * too (loopback.c does); the kernel, not the driver, calls them. */
extern int eth_header(struct sk_buff *skb, struct device *dev, unsigned short type,
                      void *daddr, void *saddr, unsigned len);
extern int eth_rebuild_header(void *buff, struct device *dev, unsigned long dst,
                              struct sk_buff *skb);
extern int eth_change_mtu(struct device *dev, int new_mtu);
extern int eth_mac_addr(struct device *dev, void *addr);

/* -- interrupts (RES-1..RES-4, RES-13) ---------------------------------------------------- */
/* 2.0's table from an IRQ line to the device a driver put there: the driver's own here
 * (the spec models the line's owner and dev_id, not this table). */
extern struct device *irq2dev_map[16];
extern int request_irq(unsigned int irq, void (*handler)(int, void *, struct pt_regs *),
                       unsigned long flags, const char *device, void *dev_id);
extern void free_irq(unsigned int irq, void *dev_id);
extern void disable_irq(unsigned int irq);
extern void enable_irq(unsigned int irq);
extern void cli(void);
extern void sti(void);
extern void restore_flags(unsigned long flags);
extern unsigned long __nds_save_flags(void);
#define save_flags(x) ((x) = __nds_save_flags())
extern int autoirq_setup(int waittime);
extern int autoirq_report(int waittime);
extern unsigned long probe_irq_on(void);
extern int probe_irq_off(unsigned long irqs);

/* -- I/O regions and DMA (RES-5..RES-11) --------------------------------------------------- */
extern int check_region(unsigned int from, unsigned int extent);
extern void request_region(unsigned int from, unsigned int extent, const char *name);
extern void release_region(unsigned int from, unsigned int extent);
extern int request_dma(unsigned int dmanr, const char *device_id);
extern void free_dma(unsigned int dmanr);
extern void disable_dma(unsigned int dmanr);
extern void enable_dma(unsigned int dmanr);

/* -- ports (RES-8, RES-11, RES-12) ---------------------------------------------------------- */
extern unsigned char inb(unsigned short port);
extern unsigned char inb_p(unsigned short port);
extern unsigned short inw(unsigned short port);
extern unsigned short inw_p(unsigned short port);
extern unsigned int inl(unsigned short port);
extern void outb(unsigned char value, unsigned short port);
extern void outb_p(unsigned char value, unsigned short port);
extern void outw(unsigned short value, unsigned short port);
extern void outw_p(unsigned short value, unsigned short port);
extern void outl(unsigned int value, unsigned short port);
extern void insb(unsigned short port, void *addr, unsigned long count);
extern void insw(unsigned short port, void *addr, unsigned long count);
extern void insl(unsigned short port, void *addr, unsigned long count);
extern void outsb(unsigned short port, const void *addr, unsigned long count);
extern void outsw(unsigned short port, const void *addr, unsigned long count);
extern void outsl(unsigned short port, const void *addr, unsigned long count);

/* -- ISA shared memory (FLD-5): a card's buffer in the ISA hole, at an address the driver
 * takes from dev->mem_start; in 2.0 these are macros doing plain loads, stores and
 * copies, here calls, so the access is judged against the device's window. -------------- */
extern unsigned char readb(unsigned long addr);
extern unsigned short readw(unsigned long addr);
extern void writeb(unsigned char b, unsigned long addr);
extern void writew(unsigned short b, unsigned long addr);
extern void memcpy_fromio(void *to, unsigned long from, size_t n);
extern void memcpy_toio(unsigned long to, const void *from, size_t n);

/* -- buffers (SKB) and queues (Q) ------------------------------------------------------------ */
extern struct sk_buff *alloc_skb(unsigned int size, int priority);
extern struct sk_buff *dev_alloc_skb(unsigned int length);
extern unsigned char *skb_put(struct sk_buff *skb, int len);
extern unsigned char *skb_push(struct sk_buff *skb, int len);
extern unsigned char *skb_pull(struct sk_buff *skb, int len);
extern void skb_reserve(struct sk_buff *skb, int len);
extern void skb_trim(struct sk_buff *skb, int len);
extern int skb_headroom(struct sk_buff *skb);
extern int skb_tailroom(struct sk_buff *skb);
extern void kfree_skb(struct sk_buff *skb, int rw);
extern void dev_kfree_skb(struct sk_buff *skb, int mode);
extern struct sk_buff *skb_clone(struct sk_buff *skb, int priority);
extern struct sk_buff *skb_copy(struct sk_buff *skb, int priority);
extern void skb_device_lock(struct sk_buff *skb);
extern void skb_device_unlock(struct sk_buff *skb);
extern int skb_device_locked(struct sk_buff *skb);
extern void skb_queue_head_init(struct sk_buff_head *list);
extern void skb_queue_head(struct sk_buff_head *list, struct sk_buff *buf);
extern void skb_queue_tail(struct sk_buff_head *list, struct sk_buff *buf);
extern struct sk_buff *skb_dequeue(struct sk_buff_head *list);
extern struct sk_buff *skb_peek(struct sk_buff_head *list);
extern struct sk_buff *skb_peek_tail(struct sk_buff_head *list);
extern int skb_queue_empty(struct sk_buff_head *list);
extern __u32 skb_queue_len(struct sk_buff_head *list);
extern void skb_unlink(struct sk_buff *buf);
extern void skb_insert(struct sk_buff *old, struct sk_buff *newsk);
extern void skb_append(struct sk_buff *old, struct sk_buff *newsk);

/* -- modules and messages (MOD) -------------------------------------------------------------- */
extern void __nds_MOD_INC_USE_COUNT(void);
extern void __nds_MOD_DEC_USE_COUNT(void);
extern int __nds_MOD_IN_USE(void);
#define MOD_INC_USE_COUNT __nds_MOD_INC_USE_COUNT()
#define MOD_DEC_USE_COUNT __nds_MOD_DEC_USE_COUNT()
#define MOD_IN_USE __nds_MOD_IN_USE()
extern int printk(const char *fmt, ...);
#define KERN_EMERG "<0>"
#define KERN_ALERT "<1>"
#define KERN_CRIT "<2>"
#define KERN_ERR "<3>"
#define KERN_WARNING "<4>"
#define KERN_NOTICE "<5>"
#define KERN_INFO "<6>"
#define KERN_DEBUG "<7>"

/* -- the driver's own: memory, strings, bits (no kernel state the spec models) ---------- */
extern void *kmalloc(size_t size, int priority);
extern void kfree(const void *p);
extern void kfree_s(const void *p, size_t size);
extern void *memcpy(void *to, const void *from, size_t n);
extern void *memset(void *s, int c, size_t n);
extern int memcmp(const void *a, const void *b, size_t n);
extern void *memmove(void *to, const void *from, size_t n);
extern char *strcpy(char *to, const char *from);
extern char *strncpy(char *to, const char *from, size_t n);
extern int strcmp(const char *a, const char *b);
extern int strncmp(const char *a, const char *b, size_t n);
extern size_t strlen(const char *s);
extern int sprintf(char *buf, const char *fmt, ...);
extern unsigned long simple_strtoul(const char *cp, char **endp, unsigned int base);
extern unsigned long in_aton(const char *str);
extern int set_bit(int nr, void *addr);
extern int clear_bit(int nr, void *addr);
extern int test_bit(int nr, const void *addr);
#define atomic_add(i, v) ((*(v)) += (i))
#define atomic_sub(i, v) ((*(v)) -= (i))
#define atomic_inc(v) ((*(v))++)
#define atomic_dec(v) ((*(v))--)
typedef int atomic_t;
#define barrier() __asm__ __volatile__("" : : : "memory")
#define ntohs(x) ((unsigned short)((((x) & 0xff) << 8) | (((x) >> 8) & 0xff)))
#define htons(x) ntohs(x)
#define ntohl(x) __builtin_bswap32(x)
#define htonl(x) __builtin_bswap32(x)
#define __initfunc(x) x
#define __init
#define __initdata
#define LINUX_VERSION_CODE 0x020001
#define KERNEL_VERSION(a, b, c) (((a) << 16) + ((b) << 8) + (c))

#endif
