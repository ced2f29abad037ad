/* SPDX-License-Identifier: MIT */
#ifndef VFIOX_IOMMUFD_H
#define VFIOX_IOMMUFD_H

#include <vfiox/version.h>

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
 * Return: 0, -EINVAL (NULL argument), -EOPNOTSUPP (legacy), -ENODEV (the
 * device was released: the kernel may give its id to another object).
 * Every failure is logged.
 */
VFIOX_API int vfiox_device_devid(const struct vfiox_device *d, uint32_t *id);

/**
 * vfiox_device_hwpt_id() - the page table the device's own DMA (without a
 * PASID) goes through now.
 * @d: device
 * @id: receives the HWPT id VFIO_DEVICE_ATTACH_IOMMUFD_PT returned: the
 *      kernel's paging domain for the IOAS (shared by devices behind
 *      compatible IOMMUs); after the device's first PASID attach, the
 *      PASID-capable HWPT libvfiox made for it; in IOPF mode, the
 *      container's fault-capable HWPT. The id changes at those two events;
 *      a caller must not read it while another thread makes them.
 * Return: 0, -EINVAL (NULL argument), -EOPNOTSUPP (legacy), -ENODEV (the
 * device was released). Every failure is logged.
 *
 * The HWPTs and the IOAS are libvfiox's: a caller may allocate its own
 * objects on the IOAS and attach PASIDs to them, but must not map, unmap,
 * attach devices, or destroy libvfiox's objects with raw ioctls.
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
 *                  (kernels before 6.15 report 0)
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
 * @pt_id: 0 for the container's mappings (the PASID-capable HWPT on the
 *         IOAS that libvfiox makes for the device, or in IOPF mode the
 *         container's fault-capable HWPT), else a HWPT the caller
 *         allocated on this iommufd (IOMMU_HWPT_ALLOC with
 *         IOMMU_HWPT_ALLOC_PASID, on the fd vfiox_container_fd() returns)
 * @flags: 0 or VFIOX_PASID_REPLACE; other bits are -E2BIG (it fills what
 *         would be tail padding, so a later field cannot hide there from
 *         this version's checks)
 */
/* Move a PASID attached through the device to the new page table with one
 * kernel call, without detaching it first (the kernel's replace; whether
 * DMA in flight survives it is the IOMMU driver's affair: VT-d rebuilds
 * the PASID's entry); not attached, a plain attach. */
#define VFIOX_PASID_REPLACE	(1U << 0)

struct vfiox_pasid_opts {
	size_t sz;
	uint32_t pt_id;
	uint32_t flags;
};

/**
 * vfiox_device_attach_pasid() - let the device DMA tagged with @pasid into
 * the container's mappings, or into a HWPT (VFIO_DEVICE_ATTACH_IOMMUFD_PT
 * with a PASID, Linux 6.15+).
 * @d: device
 * @pasid: the PASID: at least 1 and below 2^max_pasid_log2
 *         (vfiox_device_iommu_hw_info())
 * @opts: NULL (the container's mappings), or where to attach and how
 * @hwpt: NULL, or receives the HWPT the kernel attached the PASID to
 *
 * The kernel attaches PASIDs only while the device's own DMA goes through
 * a HWPT allocated with IOMMU_HWPT_ALLOC_PASID: outside IOPF mode the
 * first attach moves it to such a HWPT on the IOAS that libvfiox makes
 * (same mappings; vfiox_device_hwpt_id() changes), where it stays until
 * closed (a failed first attach moves it back). The kernel moves the
 * whole IOMMU group, so that attach is -EBUSY while another device of the
 * group is open (open them after it: they join that HWPT), and VT-d and
 * AMD-Vi block the device while they switch page tables: make the first
 * attach before the device starts DMA, or DMA in flight may fault. That
 * HWPT may cover fewer address bits than the IOAS's (AMD-Vi's v2 tables:
 * 47), so the first attach reads the IOAS's usable ranges again and the
 * IOVA allocator keeps to them; a mapping already beyond them makes it
 * -EADDRINUSE. Threads: one call at a time per device, as
 * vfiox_svm_bind(); the first attach of a device (it changes the
 * container's ranges) only like the container's lifecycle calls: not
 * beside the DMA calls, another device's first attach,
 * vfiox_container_enable_iopf() or a reset of the device. A reset keeps the PASIDs attached (the IOMMU's, not the
 * device's, state). Closing the device detaches every PASID attached
 * through it.
 * Return: 0; -EINVAL (NULL @d, PASID 0 or beyond the width, bad opts);
 * -E2BIG (@opts flags unknown to this libvfiox); -EBUSY (the first attach
 * with another device of the group open); -EADDRINUSE (the first attach,
 * with a mapping beyond what a PASID-capable HWPT covers: unmap it first); -EEXIST (already attached
 * through @d, without VFIOX_PASID_REPLACE); -EOPNOTSUPP (legacy container;
 * the IOMMU reports no PASID for the device, asked before the attach; or
 * the container's fault-capable HWPT takes no PASIDs); -ENOMEM; -ENODEV
 * (released device, or auto undecided); otherwise the kernel's errno (a
 * kernel before 6.15 answers EINVAL). Every failure is logged and leaves
 * @pasid as it was.
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
