/* netdevspec's runtime for a C driver: compiled into every driver's shared object.
 *
 * Every kernel function of <netdevspec/kapi.h> ends in nds_up(name, file, line, n, args),
 * a function pointer netdevspec's Python side sets when it loads the object; it carries
 * the call to the checker (through the driver process's kernel handle) and returns the
 * answer as an integer (a pointer for functions that return one). Functions that touch
 * no kernel state (kmalloc, the string functions, the bit operations) are the driver's
 * own and run here. Pointers travel as integers: the Python side maps them to the
 * structures the kernel knows.
 */
#define NDS_RUNTIME 1
#include <netdevspec/kapi.h>

extern int vsnprintf(char *buf, size_t n, const char *fmt, va_list ap);
extern void *malloc(size_t n);
extern void *calloc(size_t n, size_t size);
extern void free(void *p);
extern unsigned long strtoul(const char *s, char **end, int base);

typedef long long nds_word;
/* Set by netdevspec when it loads the driver. */
nds_word (*nds_up)(const char *name, void *caller, int n, nds_word *args);
volatile unsigned long jiffies;
struct device *irq2dev_map[16];

#define W(x) ((nds_word)(x))
/* The driver's code that called: this function's return address (-O0: no tail calls). */
#define NDS_CALLER __builtin_return_address(0)
#define UP0(name) nds_up(name, NDS_CALLER, 0, 0)
#define UP(name, n, ...) \
    ({ nds_word nds_a[n] = { __VA_ARGS__ }; nds_up(name, NDS_CALLER, n, nds_a); })

/* -- devices --------------------------------------------------------------------------- */
int register_netdev(struct device *dev)
{ return (int)UP("register_netdev", 1, W(dev)); }
void unregister_netdev(struct device *dev)
{ UP("unregister_netdev", 1, W(dev)); }
struct device *dev_get(const char *name)
{ return (struct device *)UP("dev_get", 1, W(name)); }
int dev_alloc_name(struct device *dev, const char *name)
{ return (int)UP("dev_alloc_name", 2, W(dev), W(name)); }
struct device *init_etherdev(struct device *dev, int sizeof_priv)
{ return (struct device *)UP("init_etherdev", 2, W(dev), W(sizeof_priv)); }
void ether_setup(struct device *dev) { UP("ether_setup", 1, W(dev)); }
void netif_rx(struct sk_buff *skb) { UP("netif_rx", 1, W(skb)); }
unsigned short eth_type_trans(struct sk_buff *skb, struct device *dev)
{ return (unsigned short)UP("eth_type_trans", 2, W(skb), W(dev)); }
void dev_tint(struct device *dev) { UP("dev_tint", 1, W(dev)); }
void mark_bh(int nr) { UP("mark_bh", 1, W(nr)); }
/* The kernel copies `length` bytes of the driver's `src` to dest->data (the Python side
 * sends them, and puts the kernel's copy into the buffer's C memory). */
void eth_copy_and_sum(struct sk_buff *dest, unsigned char *src, int length, int base)
{ UP("eth_copy_and_sum", 4, W(dest), W(src), W(length), W(base)); }

/* The kernel's Ethernet methods: netdevspec maps these addresses to the kernel's own
 * functions when a driver stores them in a device; called from C they say so. */
static void nds_kernel_only(const char *name)
{
    nds_word a[1] = { W(name) };
    nds_up("<kernel-function>", 0, 1, a);
}
int eth_header(struct sk_buff *skb, struct device *dev, unsigned short type, void *daddr,
               void *saddr, unsigned len)
{ nds_kernel_only("eth_header"); return 0; }
int eth_rebuild_header(void *buff, struct device *dev, unsigned long dst, struct sk_buff *skb)
{ nds_kernel_only("eth_rebuild_header"); return 0; }
int eth_change_mtu(struct device *dev, int new_mtu)
{ nds_kernel_only("eth_change_mtu"); return 0; }
int eth_mac_addr(struct device *dev, void *addr)
{ nds_kernel_only("eth_mac_addr"); return 0; }

/* A busy wait: the kernel's (the clock does not move), so a call is seen like any other. */
void udelay(unsigned long usecs) { UP("udelay", 1, W(usecs)); }
/* A timer travels as its address: the Python side keeps a mirror per struct timer_list
 * and copies expires, data and function to it at each crossing. */
void init_timer(struct timer_list *timer) { UP("init_timer", 1, W(timer)); }
void add_timer(struct timer_list *timer) { UP("add_timer", 1, W(timer)); }
int del_timer(struct timer_list *timer) { return (int)UP("del_timer", 1, W(timer)); }

/* -- interrupts ------------------------------------------------------------------------ */
int request_irq(unsigned int irq, void (*handler)(int, void *, struct pt_regs *),
                unsigned long flags, const char *device, void *dev_id)
{ return (int)UP("request_irq", 5, W(irq), W(handler), W(flags), W(device), W(dev_id)); }
void free_irq(unsigned int irq, void *dev_id)
{ UP("free_irq", 2, W(irq), W(dev_id)); }
void disable_irq(unsigned int irq) { UP("disable_irq", 1, W(irq)); }
void enable_irq(unsigned int irq) { UP("enable_irq", 1, W(irq)); }
void cli(void) { UP0("cli"); }
void sti(void) { UP0("sti"); }
unsigned long __nds_save_flags(void) { return (unsigned long)UP0("save_flags"); }
void restore_flags(unsigned long flags) { UP("restore_flags", 1, W(flags)); }
int autoirq_setup(int waittime) { return (int)UP("autoirq_setup", 1, W(waittime)); }
int autoirq_report(int waittime)
{ return (int)UP("autoirq_report", 1, W(waittime)); }
unsigned long probe_irq_on(void) { return (unsigned long)UP0("probe_irq_on"); }
int probe_irq_off(unsigned long irqs)
{ return (int)UP("probe_irq_off", 1, W(irqs)); }

/* -- regions and DMA ------------------------------------------------------------------- */
int check_region(unsigned int from, unsigned int extent)
{ return (int)UP("check_region", 2, W(from), W(extent)); }
void request_region(unsigned int from, unsigned int extent, const char *name)
{ UP("request_region", 3, W(from), W(extent), W(name)); }
void release_region(unsigned int from, unsigned int extent)
{ UP("release_region", 2, W(from), W(extent)); }
int request_dma(unsigned int dmanr, const char *device_id)
{ return (int)UP("request_dma", 2, W(dmanr), W(device_id)); }
void free_dma(unsigned int dmanr) { UP("free_dma", 1, W(dmanr)); }
void disable_dma(unsigned int dmanr) { UP("disable_dma", 1, W(dmanr)); }
void enable_dma(unsigned int dmanr) { UP("enable_dma", 1, W(dmanr)); }

/* -- ports ------------------------------------------------------------------------------- */
unsigned char inb(unsigned short port) { return (unsigned char)UP("inb", 1, W(port)); }
unsigned char inb_p(unsigned short port)
{ return (unsigned char)UP("inb_p", 1, W(port)); }
unsigned short inw(unsigned short port)
{ return (unsigned short)UP("inw", 1, W(port)); }
unsigned short inw_p(unsigned short port)
{ return (unsigned short)UP("inw_p", 1, W(port)); }
unsigned int inl(unsigned short port) { return (unsigned int)UP("inl", 1, W(port)); }
void outb(unsigned char value, unsigned short port)
{ UP("outb", 2, W(value), W(port)); }
void outb_p(unsigned char value, unsigned short port)
{ UP("outb_p", 2, W(value), W(port)); }
void outw(unsigned short value, unsigned short port)
{ UP("outw", 2, W(value), W(port)); }
void outw_p(unsigned short value, unsigned short port)
{ UP("outw_p", 2, W(value), W(port)); }
void outl(unsigned int value, unsigned short port)
{ UP("outl", 2, W(value), W(port)); }
/* The string port functions move bytes between a port and the driver's memory: the
 * Python side reads or fills `addr` (count units of 1, 2 or 4 bytes). */
void insb(unsigned short port, void *addr, unsigned long count)
{ UP("insb", 3, W(port), W(addr), W(count)); }
void insw(unsigned short port, void *addr, unsigned long count)
{ UP("insw", 3, W(port), W(addr), W(count)); }
void insl(unsigned short port, void *addr, unsigned long count)
{ UP("insl", 3, W(port), W(addr), W(count)); }
void outsb(unsigned short port, const void *addr, unsigned long count)
{ UP("outsb", 3, W(port), W(addr), W(count)); }
void outsw(unsigned short port, const void *addr, unsigned long count)
{ UP("outsw", 3, W(port), W(addr), W(count)); }
void outsl(unsigned short port, const void *addr, unsigned long count)
{ UP("outsl", 3, W(port), W(addr), W(count)); }

/* -- ISA shared memory ---------------------------------------------------------------------
 * The card's memory is the kernel's (an address, not a pointer of the driver's); the
 * copies move bytes between it and the driver's memory, which the Python side reads
 * (memcpy_toio) or fills (memcpy_fromio). */
unsigned char readb(unsigned long addr) { return (unsigned char)UP("readb", 1, W(addr)); }
unsigned short readw(unsigned long addr)
{ return (unsigned short)UP("readw", 1, W(addr)); }
void writeb(unsigned char b, unsigned long addr) { UP("writeb", 2, W(b), W(addr)); }
void writew(unsigned short b, unsigned long addr) { UP("writew", 2, W(b), W(addr)); }
void memcpy_fromio(void *to, unsigned long from, size_t n)
{ UP("memcpy_fromio", 3, W(to), W(from), W(n)); }
void memcpy_toio(unsigned long to, const void *from, size_t n)
{ UP("memcpy_toio", 3, W(to), W(from), W(n)); }

/* -- buffers and queues -------------------------------------------------------------------- */
struct sk_buff *alloc_skb(unsigned int size, int priority)
{ return (struct sk_buff *)UP("alloc_skb", 2, W(size), W(priority)); }
struct sk_buff *dev_alloc_skb(unsigned int length)
{ return (struct sk_buff *)UP("dev_alloc_skb", 1, W(length)); }
unsigned char *skb_put(struct sk_buff *skb, int len)
{ return (unsigned char *)UP("skb_put", 2, W(skb), W(len)); }
unsigned char *skb_push(struct sk_buff *skb, int len)
{ return (unsigned char *)UP("skb_push", 2, W(skb), W(len)); }
unsigned char *skb_pull(struct sk_buff *skb, int len)
{ return (unsigned char *)UP("skb_pull", 2, W(skb), W(len)); }
void skb_reserve(struct sk_buff *skb, int len) { UP("skb_reserve", 2, W(skb), W(len)); }
void skb_trim(struct sk_buff *skb, int len) { UP("skb_trim", 2, W(skb), W(len)); }
int skb_headroom(struct sk_buff *skb) { return (int)UP("skb_headroom", 1, W(skb)); }
int skb_tailroom(struct sk_buff *skb) { return (int)UP("skb_tailroom", 1, W(skb)); }
void kfree_skb(struct sk_buff *skb, int rw) { UP("kfree_skb", 2, W(skb), W(rw)); }
void dev_kfree_skb(struct sk_buff *skb, int mode)
{ UP("dev_kfree_skb", 2, W(skb), W(mode)); }
struct sk_buff *skb_clone(struct sk_buff *skb, int priority)
{ return (struct sk_buff *)UP("skb_clone", 2, W(skb), W(priority)); }
struct sk_buff *skb_copy(struct sk_buff *skb, int priority)
{ return (struct sk_buff *)UP("skb_copy", 2, W(skb), W(priority)); }
void skb_device_lock(struct sk_buff *skb) { UP("skb_device_lock", 1, W(skb)); }
void skb_device_unlock(struct sk_buff *skb) { UP("skb_device_unlock", 1, W(skb)); }
int skb_device_locked(struct sk_buff *skb)
{ return (int)UP("skb_device_locked", 1, W(skb)); }
void skb_queue_head_init(struct sk_buff_head *list)
{ UP("skb_queue_head_init", 1, W(list)); }
void skb_queue_head(struct sk_buff_head *list, struct sk_buff *buf)
{ UP("skb_queue_head", 2, W(list), W(buf)); }
void skb_queue_tail(struct sk_buff_head *list, struct sk_buff *buf)
{ UP("skb_queue_tail", 2, W(list), W(buf)); }
struct sk_buff *skb_dequeue(struct sk_buff_head *list)
{ return (struct sk_buff *)UP("skb_dequeue", 1, W(list)); }
struct sk_buff *skb_peek(struct sk_buff_head *list)
{ return (struct sk_buff *)UP("skb_peek", 1, W(list)); }
struct sk_buff *skb_peek_tail(struct sk_buff_head *list)
{ return (struct sk_buff *)UP("skb_peek_tail", 1, W(list)); }
int skb_queue_empty(struct sk_buff_head *list)
{ return (int)UP("skb_queue_empty", 1, W(list)); }
__u32 skb_queue_len(struct sk_buff_head *list)
{ return (__u32)UP("skb_queue_len", 1, W(list)); }
void skb_unlink(struct sk_buff *buf) { UP("skb_unlink", 1, W(buf)); }
void skb_insert(struct sk_buff *old, struct sk_buff *newsk)
{ UP("skb_insert", 2, W(old), W(newsk)); }
void skb_append(struct sk_buff *old, struct sk_buff *newsk)
{ UP("skb_append", 2, W(old), W(newsk)); }

/* -- modules and messages ----------------------------------------------------------------- */
void __nds_MOD_INC_USE_COUNT(void) { UP0("MOD_INC_USE_COUNT"); }
void __nds_MOD_DEC_USE_COUNT(void) { UP0("MOD_DEC_USE_COUNT"); }
int __nds_MOD_IN_USE(void) { return (int)UP0("MOD_IN_USE"); }

int printk(const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    UP("printk", 1, W(buf));
    return n;
}

/* -- the driver's own ------------------------------------------------------------------- */
void *kmalloc(size_t size, int priority) { (void)priority; return malloc(size); }
void kfree(const void *p) { free((void *)p); }
void kfree_s(const void *p, size_t size) { (void)size; free((void *)p); }
unsigned long simple_strtoul(const char *cp, char **endp, unsigned int base)
{ return strtoul(cp, endp, (int)base); }
unsigned long in_aton(const char *str)
{
    unsigned long l = 0;
    unsigned int val;
    int i;
    for (i = 0; i < 4; i++) {
        l <<= 8;
        if (*str != '\0') {
            val = 0;
            while (*str != '\0' && *str != '.') {
                val = val * 10 + (unsigned int)(*str - '0');
                str++;
            }
            l |= val;
            if (*str != '\0')
                str++;
        }
    }
    return htonl(l);
}
int set_bit(int nr, void *addr)
{
    unsigned long *p = (unsigned long *)addr + nr / (8 * sizeof(long));
    unsigned long m = 1UL << (nr % (8 * sizeof(long)));
    int old = (*p & m) != 0;
    *p |= m;
    return old;
}
int clear_bit(int nr, void *addr)
{
    unsigned long *p = (unsigned long *)addr + nr / (8 * sizeof(long));
    unsigned long m = 1UL << (nr % (8 * sizeof(long)));
    int old = (*p & m) != 0;
    *p &= ~m;
    return old;
}
int test_bit(int nr, const void *addr)
{
    const unsigned long *p = (const unsigned long *)addr + nr / (8 * sizeof(long));
    return (*p >> (nr % (8 * sizeof(long)))) & 1;
}

/* -- a crash in the driver: say where ------------------------------------------------------
 * netdevspec gives the runtime the shared object's line table (address -> file:line, from
 * its debug information) and function names when it loads the driver. On SIGSEGV, SIGBUS,
 * SIGFPE, SIGILL or SIGABRT the handler writes the driver's innermost frames as
 * file:line to standard error, which the checker keeps and quotes in the drv.process
 * finding; then the default action ends the process, as before. */
extern int backtrace(void **buffer, int size);
extern long write(int fd, const void *buf, unsigned long n);
typedef void (*nds_sighandler)(int);
extern nds_sighandler signal(int sig, nds_sighandler handler);
typedef struct { const char *dli_fname; void *dli_fbase; const char *dli_sname;
                 void *dli_saddr; } nds_dl_info;
extern int dladdr(const void *addr, nds_dl_info *info);

static const unsigned long *nds_line_off;
static const int *nds_line_no, *nds_line_file;
static int nds_nlines;
static const unsigned long *nds_fn_off;
static const int *nds_fn_name;
static int nds_nfns;
static const char *const *nds_strings;
static char *nds_base;

static void nds_put(char **p, const char *s) { while (*s) *(*p)++ = *s++; }
static void nds_put_num(char **p, unsigned long v)
{
    char tmp[24];
    int n = 0;
    do { tmp[n++] = (char)('0' + v % 10); v /= 10; } while (v);
    while (n) *(*p)++ = tmp[--n];
}
/* The last entry of a sorted table at or below `off`, or -1. */
static int nds_find(const unsigned long *table, int n, unsigned long off)
{
    int lo = 0, hi = n - 1, found = -1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (table[mid] <= off) { found = mid; lo = mid + 1; } else hi = mid - 1;
    }
    return found;
}
static const char *nds_signame(int sig)
{
    switch (sig) {
    case 4: return "SIGILL";
    case 6: return "SIGABRT";
    case 7: return "SIGBUS";
    case 8: return "SIGFPE";
    case 11: return "SIGSEGV";
    }
    return "a signal";
}
static void nds_crash(int sig)
{
    void *frames[48];
    char msg[1024], *p = msg;
    int n, i, shown = 0;

    signal(sig, (nds_sighandler)0);	/* the next fault ends the process */
    n = backtrace(frames, 48);
    nds_put(&p, "netdevspec: the driver's code crashed with ");
    nds_put(&p, nds_signame(sig));
    for (i = 2; i < n && shown < 3; i++) {	/* 0: this handler, 1: the signal frame */
        unsigned long off = (unsigned long)((char *)frames[i] - nds_base);
        int l, f;
        if (nds_base == 0 || (char *)frames[i] < nds_base)
            continue;
        if (i > 2)
            off -= 1;	/* a return address: the call is just before it */
        l = nds_find(nds_line_off, nds_nlines, off);
        f = nds_find(nds_fn_off, nds_nfns, off);
        if (l < 0 || f < 0 || nds_line_file[l] < 0 || p > msg + sizeof msg - 200)
            continue;	/* not the driver's code (netdevspec's runtime) */
        nds_put(&p, shown ? ", called from " : " at ");
        nds_put(&p, nds_strings[nds_line_file[l]]);
        nds_put(&p, ":");
        nds_put_num(&p, (unsigned long)nds_line_no[l]);
        nds_put(&p, " in ");
        nds_put(&p, nds_strings[nds_fn_name[f]]);
        shown++;
    }
    nds_put(&p, "\n");
    write(2, msg, (unsigned long)(p - msg));
}

void nds_crash_setup(const unsigned long *line_off, const int *line_no, const int *line_file,
                     int nlines, const unsigned long *fn_off, const int *fn_name, int nfns,
                     const char *const *strings)
{
    static const int sigs[] = { 4, 6, 7, 8, 11 };
    nds_dl_info info;
    void *warm[2];
    unsigned i;

    nds_line_off = line_off; nds_line_no = line_no; nds_line_file = line_file;
    nds_nlines = nlines;
    nds_fn_off = fn_off; nds_fn_name = fn_name; nds_nfns = nfns;
    nds_strings = strings;
    if (dladdr((void *)nds_crash_setup, &info))
        nds_base = (char *)info.dli_fbase;
    backtrace(warm, 2);	/* loads the unwinder now, not in the handler */
    for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        signal(sigs[i], nds_crash);
}
