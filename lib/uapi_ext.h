/* SPDX-License-Identifier: MIT */
/*
 * The private uAPI numbers of the kernel-patches/ series, as libvfiox uses
 * them. They must equal the series' include/uapi/linux/vfio.h; the
 * `patches` suite of tests/run compiles both and compares every one.
 */
#ifndef LIBVFIOX_UAPI_EXT_H
#define LIBVFIOX_UAPI_EXT_H

#include <linux/vfio.h>

#define VFIOX_ID_BASE			0x5600
#define VFIOX_BASE			(VFIO_BASE + 64)
#define VFIOX_DMA_DEVMEM_LIFETIME	(VFIOX_ID_BASE + 1)

#endif
