/* SPDX-License-Identifier: MIT */
#ifndef VFIOX_IOPF_H
#define VFIOX_IOPF_H

#include <vfiox/version.h>
/*
 * I/O page faults. On the legacy backend (the VFIOX_IOPF extension of the
 * libvfiox kernel series) they replace pinning: after
 * vfiox_container_enable_iopf(), DMA maps pin nothing; a device access
 * faults the page in, and the kernel unmaps it again when this process's
 * memory moves or goes. On iommufd (Linux 6.11+) the devices move to a
 * page table whose faults go to a fault queue, and a thread of libvfiox
 * answers each page request: Success when the IOVA lies in a mapping made
 * through libvfiox (with write access for a write), Invalid otherwise.
 * iommufd pins every map either way, so there the mode changes who answers
 * a device's page requests, not what is pinned (docs/iommufd.md). Every
 * device of the container must be able to fault (PCI: PRI and ATS), so in
 * practice this is for hardware such as SMMUv3; Debian's x86 kernels and
 * every emulated device refuse it, and the container then stays exactly
 * as it was.
 */
#include <vfiox/container.h>
#include <vfiox/svm.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * vfiox_iopf_support() - what stands in the way of IOPF on @c: the
 * kernel's extension (on iommufd: a fault queue, allocated and given back
 * at once), config space (PRI and ATS) of every device in its groups, and
 * the answer of the last enable. Logs the reason.
 * @c: container, with its groups attached (on iommufd: a device open)
 * Return: an enum vfiox_feature_reason, or a negative errno (-ENODEV on an
 * iommufd container without a device yet).
 */
VFIOX_API int vfiox_iopf_support(struct vfiox_container *c);

/**
 * vfiox_container_enable_iopf() - switch @c to I/O page faults. On legacy
 * it must come after the first group is attached and before any DMA
 * mapping; on iommufd after the first device is open, and mappings made
 * before stay (P2P ones may not: unmap them first). There is no way back
 * but closing the container, which stops the fault thread. Devices opened
 * later join the fault-capable page table, and fail to open if they
 * cannot.
 * @c: container
 * Return: 0 (also when already enabled); -ENOTTY if the kernel lacks the
 * extension (iommufd: no IOMMU_FAULT_QUEUE_ALLOC, before Linux 6.11);
 * -EBUSY if @c has mappings (legacy) or P2P mappings (iommufd);
 * -EOPNOTSUPP if a device cannot take page faults or the IOMMU refused
 * (the log names the devices that lack PRI or ATS); -EINVAL before the
 * first group (iommufd: device); the kernel's errno otherwise. On failure
 * @c is unchanged and keeps mapping pinned memory, its devices attached
 * where they were.
 */
VFIOX_API int vfiox_container_enable_iopf(struct vfiox_container *c);

/**
 * vfiox_container_iopf_enabled() - 1 in IOPF mode, 0 if not, -EINVAL.
 * @c: container
 */
VFIOX_API int vfiox_container_iopf_enabled(const struct vfiox_container *c);

#ifdef __cplusplus
}
#endif
#endif
