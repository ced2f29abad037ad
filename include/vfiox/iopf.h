/* SPDX-License-Identifier: MIT */
#ifndef VFIOX_IOPF_H
#define VFIOX_IOPF_H
/*
 * I/O page faults instead of pinning (the VFIOX_IOPF extension of the
 * libvfiox kernel series): after vfiox_container_enable_iopf(), DMA maps
 * pin nothing; a device access faults the page in, and the kernel unmaps
 * it again when this process's memory moves or goes. Every device of the
 * container must be able to fault (PCI: PRI and ATS), so in practice this
 * is for hardware such as SMMUv3; Debian's x86 kernels refuse it, and the
 * container then stays exactly as it was.
 */
#include <vfiox/container.h>
#include <vfiox/svm.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * vfiox_iopf_support() - what stands in the way of IOPF on @c: the
 * kernel's extension, config space (PRI and ATS) of every device in its
 * groups, and the answer of the last enable. Logs the reason.
 * @c: container, with its groups attached
 * Return: an enum vfiox_feature_reason (VFIOX_FEATURE_LEGACY_ONLY on an
 * iommufd container), or a negative errno.
 */
VFIOX_API int vfiox_iopf_support(struct vfiox_container *c);

/**
 * vfiox_container_enable_iopf() - switch @c to I/O page faults. Must come
 * after the first group is attached and before any DMA mapping.
 * @c: container
 * Return: 0 (also when already enabled); -ENOTTY if the kernel lacks the
 * extension; -EBUSY if @c has mappings; -EOPNOTSUPP if a device cannot
 * take page faults or the IOMMU refused (the log names the devices that
 * lack PRI or ATS); the kernel's errno otherwise. On failure @c is
 * unchanged and keeps mapping pinned memory.
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
