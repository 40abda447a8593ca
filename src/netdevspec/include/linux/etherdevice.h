/* netdevspec: <linux/etherdevice.h> of the 2.0 driver API (everything a driver uses is in
 * <netdevspec/kapi.h>, written for netdevspec; this header only includes it). */
#ifndef _NDS_LINUX_ETHERDEVICE_H
#define _NDS_LINUX_ETHERDEVICE_H
#include <netdevspec/kapi.h>
#endif
