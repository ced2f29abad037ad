/* SPDX-License-Identifier: MIT */
/*
 * libvfiox - a userspace library over the Linux VFIO uAPI.
 *
 * Umbrella header: include this one. Every call returns 0 or a positive
 * value on success and a negative errno on failure; global errno is not part
 * of the contract. Diagnostics go to the callback set with vfiox_set_log().
 *
 * Structs that grow: a struct whose first member is sz is set by the caller
 * to the sizeof it was built with, so that either side may be newer.
 * - Output structs (libvfiox fills them: vfiox_iommu_info, vfiox_device_info,
 *   vfiox_region_info, vfiox_irq_info, vfiox_dma_stats, vfiox_iommu_hw_info)
 *   accept any sz from
 *   their first published size, named in each struct, up. libvfiox fills
 *   what fits in sz and writes nothing past it, nor into fields it does not
 *   know (initialise the struct, e.g. { .sz = sizeof(info) }, and they read
 *   as zero); a smaller sz is -EINVAL.
 * - Options structs (the caller fills them) accept any sz that covers sz
 *   itself; a field past sz takes its default. A sz larger than this
 *   libvfiox knows is accepted when the bytes it does not know are zero,
 *   else refused with -E2BIG: they ask for something it cannot do. A sz
 *   over 4096 is -E2BIG too (an unset sz, most likely).
 * - Fields are only ever appended, at or after the struct's current
 *   sizeof, never into its tail padding. Arrays of structs (and struct
 *   vfiox_uevent) are filled through calls that take the caller's element
 *   size, the _sized calls, by the output rules; the calls without _sized
 *   are inline and pass this header's sizeof.
 */
#ifndef VFIOX_H
#define VFIOX_H

/* VFIOX_VERSION_* and VFIOX_CHECK_VERSION(): vfiox/version.h. */
#include <vfiox/version.h>
#include <vfiox/log.h>
#include <vfiox/caps.h>
#include <vfiox/container.h>
#include <vfiox/group.h>
#include <vfiox/device.h>
#include <vfiox/dma.h>
#include <vfiox/pool.h>
#include <vfiox/resv.h>
#include <vfiox/pci.h>
#include <vfiox/p2p.h>
#include <vfiox/events.h>
#include <vfiox/uevent.h>
#include <vfiox/bind.h>
#include <vfiox/sriov.h>
#include <vfiox/svm.h>
#include <vfiox/iopf.h>
#include <vfiox/migration.h>
#include <vfiox/iommufd.h>

#endif
