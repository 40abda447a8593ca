/* netdevspec: the 2.0 kernel API a network driver module uses, as out-of-line calls.
 *
 * Written for netdevspec from api-facts section 12 ("Exported kernel symbols") and the
 * names 2.0 drivers use. In 2.0 many of these are macros or inlines that touch kernel
 * state directly (cli/sti, save_flags/restore_flags, the port I/O, skb_put and the queue
 * functions, MOD_INC_USE_COUNT); here every one of them is a call into netdevspec's
 * runtime, which carries it to the checker, so every use is observed. Each call passes
 * the driver's __FILE__ and __LINE__, so a finding names the C line that made it. The
 * plain names (register_netdev, eth_header, ...) are real functions too, so a driver may
 * take their address.
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

#define NDS_AT , __FILE__, __LINE__
#define NDS_LOC const char *nds_file, int nds_line

/* -- time ------------------------------------------------------------------------------ */
extern volatile unsigned long jiffies;
#define HZ 100
#define PAGE_SIZE 4096UL

/* -- devices (REG, CB, RX) --------------------------------------------------------------- */
extern int register_netdev(struct device *dev);
extern void unregister_netdev(struct device *dev);
extern struct device *dev_get(const char *name);
extern int dev_alloc_name(struct device *dev, const char *name);
extern struct device *init_etherdev(struct device *dev, int sizeof_priv);
extern void ether_setup(struct device *dev);
extern void netif_rx(struct sk_buff *skb);
extern unsigned short eth_type_trans(struct sk_buff *skb, struct device *dev);
extern void dev_tint(struct device *dev);
extern void mark_bh(int nr);
extern int __nds_register_netdev(struct device *dev, NDS_LOC);
extern void __nds_unregister_netdev(struct device *dev, NDS_LOC);
extern struct device *__nds_dev_get(const char *name, NDS_LOC);
extern int __nds_dev_alloc_name(struct device *dev, const char *name, NDS_LOC);
extern struct device *__nds_init_etherdev(struct device *dev, int sizeof_priv, NDS_LOC);
extern void __nds_ether_setup(struct device *dev, NDS_LOC);
extern void __nds_netif_rx(struct sk_buff *skb, NDS_LOC);
extern unsigned short __nds_eth_type_trans(struct sk_buff *skb, struct device *dev, NDS_LOC);
extern void __nds_dev_tint(struct device *dev, NDS_LOC);
extern void __nds_mark_bh(int nr, NDS_LOC);
#define register_netdev(d) __nds_register_netdev((d) NDS_AT)
#define unregister_netdev(d) __nds_unregister_netdev((d) NDS_AT)
#define dev_get(n) __nds_dev_get((n) NDS_AT)
#define dev_alloc_name(d, n) __nds_dev_alloc_name((d), (n) NDS_AT)
#define init_etherdev(d, p) __nds_init_etherdev((d), (p) NDS_AT)
#define ether_setup(d) __nds_ether_setup((d) NDS_AT)
#define netif_rx(s) __nds_netif_rx((s) NDS_AT)
#define eth_type_trans(s, d) __nds_eth_type_trans((s), (d) NDS_AT)
#define dev_tint(d) __nds_dev_tint((d) NDS_AT)
#define mark_bh(n) __nds_mark_bh((n) NDS_AT)

/* The kernel's Ethernet methods ether_setup stores in a device: a driver may store them
 * too (loopback.c does); the kernel, not the driver, calls them. */
extern int eth_header(struct sk_buff *skb, struct device *dev, unsigned short type,
                      void *daddr, void *saddr, unsigned len);
extern int eth_rebuild_header(void *buff, struct device *dev, unsigned long dst,
                              struct sk_buff *skb);
extern int eth_change_mtu(struct device *dev, int new_mtu);
extern int eth_mac_addr(struct device *dev, void *addr);

/* -- interrupts (RES-1..RES-4, RES-13) ---------------------------------------------------- */
extern int request_irq(unsigned int irq, void (*handler)(int, void *, struct pt_regs *),
                       unsigned long flags, const char *device, void *dev_id);
extern void free_irq(unsigned int irq, void *dev_id);
extern void disable_irq(unsigned int irq);
extern void enable_irq(unsigned int irq);
extern void cli(void);
extern void sti(void);
extern unsigned long __nds_save_flags(NDS_LOC);
extern void restore_flags(unsigned long flags);
extern int autoirq_setup(int waittime);
extern int autoirq_report(int waittime);
extern unsigned long probe_irq_on(void);
extern int probe_irq_off(unsigned long irqs);
extern int __nds_request_irq(unsigned int irq, void (*handler)(int, void *, struct pt_regs *),
                             unsigned long flags, const char *device, void *dev_id, NDS_LOC);
extern void __nds_free_irq(unsigned int irq, void *dev_id, NDS_LOC);
extern void __nds_disable_irq(unsigned int irq, NDS_LOC);
extern void __nds_enable_irq(unsigned int irq, NDS_LOC);
extern void __nds_cli(NDS_LOC);
extern void __nds_sti(NDS_LOC);
extern void __nds_restore_flags(unsigned long flags, NDS_LOC);
extern int __nds_autoirq_setup(int waittime, NDS_LOC);
extern int __nds_autoirq_report(int waittime, NDS_LOC);
extern unsigned long __nds_probe_irq_on(NDS_LOC);
extern int __nds_probe_irq_off(unsigned long irqs, NDS_LOC);
#define request_irq(i, h, f, n, d) __nds_request_irq((i), (h), (f), (n), (d) NDS_AT)
#define free_irq(i, d) __nds_free_irq((i), (d) NDS_AT)
#define disable_irq(i) __nds_disable_irq((i) NDS_AT)
#define enable_irq(i) __nds_enable_irq((i) NDS_AT)
#define cli() __nds_cli(__FILE__, __LINE__)
#define sti() __nds_sti(__FILE__, __LINE__)
#define save_flags(x) ((x) = __nds_save_flags(__FILE__, __LINE__))
#define restore_flags(x) __nds_restore_flags((x) NDS_AT)
#define autoirq_setup(w) __nds_autoirq_setup((w) NDS_AT)
#define autoirq_report(w) __nds_autoirq_report((w) NDS_AT)
#define probe_irq_on() __nds_probe_irq_on(__FILE__, __LINE__)
#define probe_irq_off(m) __nds_probe_irq_off((m) NDS_AT)

/* -- I/O regions and DMA (RES-5..RES-11) --------------------------------------------------- */
extern int check_region(unsigned int from, unsigned int extent);
extern void request_region(unsigned int from, unsigned int extent, const char *name);
extern void release_region(unsigned int from, unsigned int extent);
extern int request_dma(unsigned int dmanr, const char *device_id);
extern void free_dma(unsigned int dmanr);
extern void disable_dma(unsigned int dmanr);
extern void enable_dma(unsigned int dmanr);
extern int __nds_check_region(unsigned int from, unsigned int extent, NDS_LOC);
extern void __nds_request_region(unsigned int from, unsigned int extent, const char *name,
                                 NDS_LOC);
extern void __nds_release_region(unsigned int from, unsigned int extent, NDS_LOC);
extern int __nds_request_dma(unsigned int dmanr, const char *device_id, NDS_LOC);
extern void __nds_free_dma(unsigned int dmanr, NDS_LOC);
extern void __nds_disable_dma(unsigned int dmanr, NDS_LOC);
extern void __nds_enable_dma(unsigned int dmanr, NDS_LOC);
#define check_region(f, n) __nds_check_region((f), (n) NDS_AT)
#define request_region(f, n, s) __nds_request_region((f), (n), (s) NDS_AT)
#define release_region(f, n) __nds_release_region((f), (n) NDS_AT)
#define request_dma(c, s) __nds_request_dma((c), (s) NDS_AT)
#define free_dma(c) __nds_free_dma((c) NDS_AT)
#define disable_dma(c) __nds_disable_dma((c) NDS_AT)
#define enable_dma(c) __nds_enable_dma((c) NDS_AT)

/* -- ports (RES-8, RES-11, RES-12) ---------------------------------------------------------- */
extern unsigned char inb(unsigned short port);
extern unsigned char inb_p(unsigned short port);
extern unsigned short inw(unsigned short port);
extern unsigned int inl(unsigned short port);
extern void outb(unsigned char value, unsigned short port);
extern void outb_p(unsigned char value, unsigned short port);
extern void outw(unsigned short value, unsigned short port);
extern void outl(unsigned int value, unsigned short port);
extern void insb(unsigned short port, void *addr, unsigned long count);
extern void insw(unsigned short port, void *addr, unsigned long count);
extern void outsb(unsigned short port, const void *addr, unsigned long count);
extern void outsw(unsigned short port, const void *addr, unsigned long count);
extern unsigned char __nds_inb(unsigned short port, NDS_LOC);
extern unsigned char __nds_inb_p(unsigned short port, NDS_LOC);
extern unsigned short __nds_inw(unsigned short port, NDS_LOC);
extern unsigned int __nds_inl(unsigned short port, NDS_LOC);
extern void __nds_outb(unsigned char value, unsigned short port, NDS_LOC);
extern void __nds_outb_p(unsigned char value, unsigned short port, NDS_LOC);
extern void __nds_outw(unsigned short value, unsigned short port, NDS_LOC);
extern void __nds_outl(unsigned int value, unsigned short port, NDS_LOC);
extern void __nds_insb(unsigned short port, void *addr, unsigned long count, NDS_LOC);
extern void __nds_insw(unsigned short port, void *addr, unsigned long count, NDS_LOC);
extern void __nds_outsb(unsigned short port, const void *addr, unsigned long count, NDS_LOC);
extern void __nds_outsw(unsigned short port, const void *addr, unsigned long count, NDS_LOC);
#define inb(p) __nds_inb((p) NDS_AT)
#define inb_p(p) __nds_inb_p((p) NDS_AT)
#define inw(p) __nds_inw((p) NDS_AT)
#define inl(p) __nds_inl((p) NDS_AT)
#define outb(v, p) __nds_outb((v), (p) NDS_AT)
#define outb_p(v, p) __nds_outb_p((v), (p) NDS_AT)
#define outw(v, p) __nds_outw((v), (p) NDS_AT)
#define outl(v, p) __nds_outl((v), (p) NDS_AT)
#define insb(p, a, n) __nds_insb((p), (a), (n) NDS_AT)
#define insw(p, a, n) __nds_insw((p), (a), (n) NDS_AT)
#define outsb(p, a, n) __nds_outsb((p), (a), (n) NDS_AT)
#define outsw(p, a, n) __nds_outsw((p), (a), (n) NDS_AT)

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
extern __u32 skb_queue_len(struct sk_buff_head *list);
extern void skb_unlink(struct sk_buff *buf);
extern void skb_insert(struct sk_buff *old, struct sk_buff *newsk);
extern void skb_append(struct sk_buff *old, struct sk_buff *newsk);
extern struct sk_buff *__nds_alloc_skb(unsigned int size, int priority, NDS_LOC);
extern struct sk_buff *__nds_dev_alloc_skb(unsigned int length, NDS_LOC);
extern unsigned char *__nds_skb_put(struct sk_buff *skb, int len, NDS_LOC);
extern unsigned char *__nds_skb_push(struct sk_buff *skb, int len, NDS_LOC);
extern unsigned char *__nds_skb_pull(struct sk_buff *skb, int len, NDS_LOC);
extern void __nds_skb_reserve(struct sk_buff *skb, int len, NDS_LOC);
extern void __nds_skb_trim(struct sk_buff *skb, int len, NDS_LOC);
extern int __nds_skb_headroom(struct sk_buff *skb, NDS_LOC);
extern int __nds_skb_tailroom(struct sk_buff *skb, NDS_LOC);
extern void __nds_kfree_skb(struct sk_buff *skb, int rw, NDS_LOC);
extern void __nds_dev_kfree_skb(struct sk_buff *skb, int mode, NDS_LOC);
extern struct sk_buff *__nds_skb_clone(struct sk_buff *skb, int priority, NDS_LOC);
extern struct sk_buff *__nds_skb_copy(struct sk_buff *skb, int priority, NDS_LOC);
extern void __nds_skb_device_lock(struct sk_buff *skb, NDS_LOC);
extern void __nds_skb_device_unlock(struct sk_buff *skb, NDS_LOC);
extern int __nds_skb_device_locked(struct sk_buff *skb, NDS_LOC);
extern void __nds_skb_queue_head_init(struct sk_buff_head *list, NDS_LOC);
extern void __nds_skb_queue_head(struct sk_buff_head *list, struct sk_buff *buf, NDS_LOC);
extern void __nds_skb_queue_tail(struct sk_buff_head *list, struct sk_buff *buf, NDS_LOC);
extern struct sk_buff *__nds_skb_dequeue(struct sk_buff_head *list, NDS_LOC);
extern struct sk_buff *__nds_skb_peek(struct sk_buff_head *list, NDS_LOC);
extern __u32 __nds_skb_queue_len(struct sk_buff_head *list, NDS_LOC);
extern void __nds_skb_unlink(struct sk_buff *buf, NDS_LOC);
extern void __nds_skb_insert(struct sk_buff *old, struct sk_buff *newsk, NDS_LOC);
extern void __nds_skb_append(struct sk_buff *old, struct sk_buff *newsk, NDS_LOC);
#define alloc_skb(n, p) __nds_alloc_skb((n), (p) NDS_AT)
#define dev_alloc_skb(n) __nds_dev_alloc_skb((n) NDS_AT)
#define skb_put(s, n) __nds_skb_put((s), (n) NDS_AT)
#define skb_push(s, n) __nds_skb_push((s), (n) NDS_AT)
#define skb_pull(s, n) __nds_skb_pull((s), (n) NDS_AT)
#define skb_reserve(s, n) __nds_skb_reserve((s), (n) NDS_AT)
#define skb_trim(s, n) __nds_skb_trim((s), (n) NDS_AT)
#define skb_headroom(s) __nds_skb_headroom((s) NDS_AT)
#define skb_tailroom(s) __nds_skb_tailroom((s) NDS_AT)
#define kfree_skb(s, rw) __nds_kfree_skb((s), (rw) NDS_AT)
#define dev_kfree_skb(s, m) __nds_dev_kfree_skb((s), (m) NDS_AT)
#define skb_clone(s, p) __nds_skb_clone((s), (p) NDS_AT)
#define skb_copy(s, p) __nds_skb_copy((s), (p) NDS_AT)
#define skb_device_lock(s) __nds_skb_device_lock((s) NDS_AT)
#define skb_device_unlock(s) __nds_skb_device_unlock((s) NDS_AT)
#define skb_device_locked(s) __nds_skb_device_locked((s) NDS_AT)
#define skb_queue_head_init(q) __nds_skb_queue_head_init((q) NDS_AT)
#define skb_queue_head(q, b) __nds_skb_queue_head((q), (b) NDS_AT)
#define skb_queue_tail(q, b) __nds_skb_queue_tail((q), (b) NDS_AT)
#define skb_dequeue(q) __nds_skb_dequeue((q) NDS_AT)
#define skb_peek(q) __nds_skb_peek((q) NDS_AT)
#define skb_queue_len(q) __nds_skb_queue_len((q) NDS_AT)
#define skb_unlink(b) __nds_skb_unlink((b) NDS_AT)
#define skb_insert(o, b) __nds_skb_insert((o), (b) NDS_AT)
#define skb_append(o, b) __nds_skb_append((o), (b) NDS_AT)

/* -- modules and messages (MOD) -------------------------------------------------------------- */
extern void __nds_MOD_INC_USE_COUNT(NDS_LOC);
extern void __nds_MOD_DEC_USE_COUNT(NDS_LOC);
extern int __nds_MOD_IN_USE(NDS_LOC);
#define MOD_INC_USE_COUNT __nds_MOD_INC_USE_COUNT(__FILE__, __LINE__)
#define MOD_DEC_USE_COUNT __nds_MOD_DEC_USE_COUNT(__FILE__, __LINE__)
#define MOD_IN_USE __nds_MOD_IN_USE(__FILE__, __LINE__)
extern int printk(const char *fmt, ...);
extern int __nds_printk(const char *file, int line, const char *fmt, ...);
#define printk(...) __nds_printk(__FILE__, __LINE__, __VA_ARGS__)
#define KERN_EMERG "<0>"
#define KERN_ALERT "<1>"
#define KERN_CRIT "<2>"
#define KERN_ERR "<3>"
#define KERN_WARNING "<4>"
#define KERN_NOTICE "<5>"
#define KERN_INFO "<6>"
#define KERN_DEBUG "<7>"

/* -- the driver's own: memory, strings, bits, delays (no kernel state the spec models) -- */
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
extern void udelay(unsigned long usecs);
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
