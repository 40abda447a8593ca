/* netdevspec: the kernel structures a 2.0 network driver shares with the kernel.
 *
 * Written for netdevspec from api-facts (FLD-1..FLD-13, SKB-1, Q-1) and the field names
 * 2.0 drivers use; the positional part of struct device keeps 2.0's order (FLD-1), so
 * `static struct device d = { name, 0, 0, 0, 0, io, irq, 0, 0, 0, NULL, probe };` works.
 *
 * This file is read twice: by the C compiler (through <linux/netdevice.h> and friends)
 * and by netdevspec's Python side (cffi's cdef), which copies the fields a driver writes
 * to the checker at each crossing. So it holds only declarations cffi can parse: no
 * preprocessor lines other than integer #defines, no macros in the declarations.
 */
#define MAX_ADDR_LEN 7
#define DEV_NUMBUFFS 3

typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef signed char __s8;
typedef short __s16;
typedef int __s32;

struct device;
struct sk_buff;
struct sock;
struct pt_regs;
struct ifreq;
struct hh_cache;

struct enet_statistics {
    int rx_packets;
    int tx_packets;
    int rx_errors;
    int tx_errors;
    int rx_dropped;
    int tx_dropped;
    int multicast;
    int collisions;
    int rx_length_errors;
    int rx_over_errors;
    int rx_crc_errors;
    int rx_frame_errors;
    int rx_fifo_errors;
    int rx_missed_errors;
    int tx_aborted_errors;
    int tx_carrier_errors;
    int tx_fifo_errors;
    int tx_heartbeat_errors;
    int tx_window_errors;
};

struct ifmap {
    unsigned long mem_start;
    unsigned long mem_end;
    unsigned short base_addr;
    unsigned char irq;
    unsigned char dma;
    unsigned char port;
};

struct sk_buff_head {
    struct sk_buff *next;
    struct sk_buff *prev;
    __u32 qlen;
    int magic_debug_cookie;
};

struct sock {
    int wmem_alloc;
    int rmem_alloc;
    void (*write_space)(struct sock *sk);
    void (*data_ready)(struct sock *sk, int len);
};

union nds_raw_ptr {
    unsigned char *raw;
    void *ethernet;
    void *iph;
    void *th;
};

struct sk_buff {
    struct sk_buff *next;
    struct sk_buff *prev;
    struct sk_buff_head *list;
    int magic_debug_cookie;
    struct sk_buff *link3;
    struct sock *sk;
    volatile unsigned long when;
    unsigned long stamp;
    struct device *dev;
    union nds_raw_ptr h;
    union nds_raw_ptr mac;
    unsigned long raddr;
    unsigned long saddr;
    unsigned long daddr;
    int acked;
    int used;
    int free;
    int arp;
    int users;
    unsigned int truesize;
    unsigned char pkt_type;
    unsigned char ip_summed;
    unsigned short protocol;
    unsigned int len;
    int lock;
    unsigned char *head;
    unsigned char *data;
    unsigned char *tail;
    unsigned char *end;
    void (*destructor)(struct sk_buff *skb);
};

struct device {
    /* the positional part, in 2.0's order (FLD-1) */
    char *name;
    unsigned long rmem_end;
    unsigned long rmem_start;
    unsigned long mem_end;
    unsigned long mem_start;
    unsigned long base_addr;
    unsigned char irq;
    volatile unsigned char start;
    volatile unsigned char interrupt;
    unsigned long tbusy;
    struct device *next;
    int (*init)(struct device *dev);
    unsigned char if_port;
    unsigned char dma;
    struct enet_statistics *(*get_stats)(struct device *dev);
    /* the rest */
    unsigned long trans_start;
    unsigned long last_rx;
    unsigned short flags;
    unsigned short family;
    unsigned short metric;
    unsigned short mtu;
    unsigned short type;
    unsigned short hard_header_len;
    void *priv;
    unsigned char broadcast[7];
    unsigned char pad;
    unsigned char dev_addr[7];
    unsigned char addr_len;
    unsigned long pa_addr;
    unsigned long pa_brdaddr;
    unsigned long pa_dstaddr;
    unsigned long pa_mask;
    unsigned short pa_alen;
    void *mc_list;
    int mc_count;
    void *ip_mc_list;
    __u32 tx_queue_len;
    unsigned long pkt_queue;
    struct device *slave;
    void *alias_info;
    void *my_alias;
    struct sk_buff_head buffs[3];
    int (*open)(struct device *dev);
    int (*stop)(struct device *dev);
    int (*hard_start_xmit)(struct sk_buff *skb, struct device *dev);
    int (*hard_header)(struct sk_buff *skb, struct device *dev, unsigned short type,
                       void *daddr, void *saddr, unsigned len);
    int (*rebuild_header)(void *eth, struct device *dev, unsigned long raddr,
                          struct sk_buff *skb);
    void (*set_multicast_list)(struct device *dev);
    int (*set_mac_address)(struct device *dev, void *addr);
    int (*do_ioctl)(struct device *dev, struct ifreq *ifr, int cmd);
    int (*set_config)(struct device *dev, struct ifmap *map);
    void (*header_cache_bind)(struct hh_cache **hhp, struct device *dev,
                              unsigned short htype, __u32 daddr);
    void (*header_cache_update)(struct hh_cache *hh, struct device *dev,
                                unsigned char *haddr);
    int (*change_mtu)(struct device *dev, int new_mtu);
};

struct timer_list {
    struct timer_list *next;
    struct timer_list *prev;
    unsigned long expires;
    unsigned long data;
    void (*function)(unsigned long);
};
