/* SPDX-License-Identifier: MIT */
#ifndef VFIOX_IOMMUFD_H
#define VFIOX_IOMMUFD_H

#include <stddef.h>
#include <stdint.h>
#include <vfiox/device.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * What a VMM needs of a container and its devices on the iommufd backend
 * (docs/iommufd.md): the kernel's object ids, to hand to another process
 * or to build on (a HWPT allocated on the IOAS, a vIOMMU), and the IOMMU
 * hardware a device sits behind (IOMMU_GET_HW_INFO), and the PASIDs of a
 * device attached to the IOAS or a HWPT. Added in 0.2. On the legacy
 * backend there are no such objects: each call is -EOPNOTSUPP (logged),
 * and -ENODEV while auto has not chosen yet (vfiox/container.h).
 */

/**
 * vfiox_container_ioas_id() - the IOAS that is the container.
 * @c: container
 * @id: receives the IOAS id (IOMMU_IOAS_ALLOC's)
 * Return: 0, -EINVAL (NULL argument), -EOPNOTSUPP (legacy), -ENODEV
 * (auto has not chosen the backend yet).
 */
VFIOX_API int vfiox_container_ioas_id(const struct vfiox_container *c,
				      uint32_t *id);

/**
 * vfiox_device_devid() - the device's id in its iommufd.
 * @d: device
 * @id: receives the id VFIO_DEVICE_BIND_IOMMUFD gave it
 * Return: 0, -EINVAL (NULL argument), -EOPNOTSUPP (legacy).
 */
VFIOX_API int vfiox_device_devid(const struct vfiox_device *d, uint32_t *id);

/**
 * vfiox_device_hwpt_id() - the page table the device is attached to.
 * @d: device
 * @id: receives the HWPT id VFIO_DEVICE_ATTACH_IOMMUFD_PT returned (the
 *      kernel's paging domain for the IOAS, shared by devices behind
 *      compatible IOMMUs)
 * Return: 0, -EINVAL (NULL argument), -EOPNOTSUPP (legacy).
 */
VFIOX_API int vfiox_device_hwpt_id(const struct vfiox_device *d, uint32_t *id);

/* struct vfiox_iommu_hw_info's @type: the kernel's enum iommu_hw_info_type. */
#define VFIOX_IOMMU_HW_INFO_TYPE_NONE		0	/* no vendor data */
#define VFIOX_IOMMU_HW_INFO_TYPE_INTEL_VTD	1
#define VFIOX_IOMMU_HW_INFO_TYPE_ARM_SMMUV3	2
#define VFIOX_IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV	3
#define VFIOX_IOMMU_HW_INFO_TYPE_AMD		4
/* struct vfiox_iommu_hw_info's @capabilities: the kernel's IOMMU_HW_CAP_*. */
#define VFIOX_IOMMU_HW_CAP_DIRTY_TRACKING	(1ULL << 0)
#define VFIOX_IOMMU_HW_CAP_PCI_PASID_EXEC	(1ULL << 1)
#define VFIOX_IOMMU_HW_CAP_PCI_PASID_PRIV	(1ULL << 2)
#define VFIOX_IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED (1ULL << 3)

/**
 * struct vfiox_iommu_hw_info - the IOMMU behind a device (IOMMU_GET_HW_INFO).
 * @sz: set by the caller to sizeof(struct vfiox_iommu_hw_info); output
 *      rules in vfiox.h (first published size: up to @max_pasid_log2)
 * @type: VFIOX_IOMMU_HW_INFO_TYPE_*, which vendor data the kernel has
 * @data_len: bytes of that vendor data (not copied here)
 * @capabilities: VFIOX_IOMMU_HW_CAP_* bits
 * @max_pasid_log2: width of the PASIDs the device can use, 0 for none
 *                  (kernels before 6.13 report 0)
 */
struct vfiox_iommu_hw_info {
	size_t sz;
	uint32_t type;
	uint32_t data_len;
	uint64_t capabilities;
	uint8_t max_pasid_log2;
};

/**
 * vfiox_device_iommu_hw_info() - ask the kernel about the device's IOMMU.
 * @d: device
 * @info: receives the answer; the caller sets @info->sz
 * Return: 0, -EINVAL (bad arguments or sz), -EOPNOTSUPP (legacy, or a
 * kernel before 6.6 without IOMMU_GET_HW_INFO), -ENODEV (the device was
 * released), or the kernel's errno (logged).
 */
VFIOX_API int vfiox_device_iommu_hw_info(const struct vfiox_device *d,
					 struct vfiox_iommu_hw_info *info);

/**
 * struct vfiox_pasid_opts - where vfiox_device_attach_pasid() attaches a PASID.
 * @sz: set by the caller to sizeof(struct vfiox_pasid_opts); rules in vfiox.h
 * @pt_id: 0 for the container's IOAS (the kernel then makes or reuses a
 *         page table for it), else a HWPT the caller allocated on this
 *         iommufd (IOMMU_HWPT_ALLOC with IOMMU_HWPT_ALLOC_PASID, on the fd
 *         vfiox_container_fd() returns)
 * @flags: 0; none is defined yet (it fills what would be tail padding, so
 *         a later field cannot hide there from this version's checks)
 */
struct vfiox_pasid_opts {
	size_t sz;
	uint32_t pt_id;
	uint32_t flags;
};

/**
 * vfiox_device_attach_pasid() - let the device DMA tagged with @pasid into
 * the container's IOAS, or into a HWPT (VFIO_DEVICE_ATTACH_IOMMUFD_PT with
 * a PASID, Linux 6.15+). DMA without a PASID stays where it was.
 * @d: device
 * @pasid: the PASID, from 1 up to the device's PASID width
 *         (vfiox_iommu_hw_info.max_pasid_log2) less one
 * @opts: NULL (the IOAS), or where to attach
 * @hwpt: NULL, or receives the HWPT the kernel attached the PASID to
 *
 * Threads: one call at a time per device, as vfiox_svm_bind(). Closing the
 * device detaches every PASID attached through it.
 * Return: 0; -EINVAL (NULL @d, PASID 0 or beyond the width, bad opts);
 * -EEXIST (already attached through @d: detach it first); -EOPNOTSUPP
 * (legacy container; or the IOMMU reports no PASID for the device, asked
 * before the attach); -ENODEV (released device, or auto undecided);
 * otherwise the kernel's errno (a kernel before 6.15 answers EINVAL).
 * Every failure is logged and leaves nothing attached.
 */
VFIOX_API int vfiox_device_attach_pasid(struct vfiox_device *d, uint32_t pasid,
					const struct vfiox_pasid_opts *opts,
					uint32_t *hwpt);

/**
 * vfiox_device_detach_pasid() - undo vfiox_device_attach_pasid(): DMA
 * tagged with @pasid is blocked from then on.
 * @d: device
 * @pasid: a PASID attached through @d
 * Return: 0; -EINVAL (NULL @d); -ENOENT (not attached through @d, no
 * kernel call); -EOPNOTSUPP (legacy); -ENODEV (released); the kernel's
 * errno (the PASID then stays attached).
 */
VFIOX_API int vfiox_device_detach_pasid(struct vfiox_device *d, uint32_t pasid);

#ifdef __cplusplus
}
#endif
#endif
