/* netdevspec: <linux/types.h> of the 2.0 driver API (everything a driver uses is in
 * <netdevspec/kapi.h>, written for netdevspec; this header only includes it). */
#ifndef _NDS_LINUX_TYPES_H
#define _NDS_LINUX_TYPES_H
#include <netdevspec/kapi.h>
#endif
