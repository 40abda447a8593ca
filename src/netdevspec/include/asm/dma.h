/* netdevspec: <asm/dma.h> of the 2.0 driver API (everything a driver uses is in
 * <netdevspec/kapi.h>, written for netdevspec; this header only includes it). */
#ifndef _NDS_ASM_DMA_H
#define _NDS_ASM_DMA_H
#include <netdevspec/kapi.h>
#endif
