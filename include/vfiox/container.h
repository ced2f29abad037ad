/* SPDX-License-Identifier: MIT */
#ifndef VFIOX_CONTAINER_H
#define VFIOX_CONTAINER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <vfiox/log.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A container is one IOMMU context (/dev/vfio/vfio). Groups attach to it;
 * the IOMMU type is chosen when the first group attaches, and the IOMMU info
 * (page sizes, IOVA ranges, dma_avail) is read again on every attach and
 * detach, because each group can shrink the usable IOVA space.
 *
 * Lifetime: the container owns its groups, and groups own their devices.
 * vfiox_container_close() closes every device and group still open on it.
 * Threads (docs/threads.md): the DMA and P2P calls (vfiox/dma.h,
 * vfiox/p2p.h) may come from any number of threads at once; every other call
 * on a container, its groups and devices' open/close, is one thread at a
 * time and not concurrent with the DMA calls.
 */
struct vfiox_container;

/**
 * struct vfiox_container_opts - how to open a container.
 * @sz: sizeof(struct vfiox_container_opts); options rules in vfiox.h
 * @dev_root: directory holding "vfio" and the group nodes; NULL: /dev/vfio
 * @sysfs_root: sysfs mount point; NULL: /sys
 * @iommu_type: VFIO_TYPE1v2_IOMMU, VFIO_TYPE1_IOMMU, or 0 to prefer type1v2
 *              and fall back to type1
 * @allow_relaxable: let the IOVA allocator and fixed maps use
 *                   direct-relaxable reserved regions, which the kernel leaves
 *                   mappable though a device may still DMA there; false keeps
 *                   every reserved region out (needed by
 *                   vfiox_dma_map_identity())
 */
struct vfiox_container_opts {
	size_t sz;
	const char *dev_root;
	const char *sysfs_root;
	int iommu_type;
	bool allow_relaxable;
};

/**
 * struct vfiox_iova_range - a usable IOVA range, both ends inclusive.
 * @start: its first IOVA
 * @end: its last IOVA
 *
 * A value, like the kernel's struct vfio_iova_range, and an input too
 * (vfiox_dma_map_identity()): its layout is frozen and it never grows, so
 * arrays of it need no element size.
 */
struct vfiox_iova_range {
	uint64_t start;
	uint64_t end;
};

/**
 * struct vfiox_iommu_info - what VFIO_IOMMU_GET_INFO reported.
 * @sz: set by the caller to sizeof(struct vfiox_iommu_info); first published
 *      size: up to @has_resv_regions (output rules in vfiox.h)
 * @iommu_type: the type in use, 0 while no group is attached
 * @pgsizes: bitmap of IOMMU page sizes
 * @nr_iova_ranges: number of usable ranges (cap 1); 0 if the kernel gave no
 *                  cap, in which case the whole 64-bit space is assumed
 * @has_migration: cap 2 present; @migration_pgsizes and
 *                 @max_dirty_bitmap_size are valid
 * @migration_pgsizes: page sizes dirty tracking supports (cap 2)
 * @max_dirty_bitmap_size: largest dirty bitmap the kernel fills (cap 2)
 * @has_dma_avail: cap 3 present; @dma_avail is valid
 * @dma_avail: the kernel's count of mappings still allowed when the info
 *             was read (cap 3)
 * @has_resv_regions: the reserved regions capability of the libvfiox kernel
 *                    series is present; vfiox_container_resv_regions() uses it
 *                    instead of sysfs
 */
struct vfiox_iommu_info {
	size_t sz;
	int iommu_type;
	uint64_t pgsizes;
	uint32_t nr_iova_ranges;
	bool has_migration;
	uint64_t migration_pgsizes;
	uint64_t max_dirty_bitmap_size;
	bool has_dma_avail;
	uint32_t dma_avail;
	bool has_resv_regions;
};

/**
 * vfiox_container_open() - open /dev/vfio/vfio and check it.
 * @opts: options, or NULL for defaults
 * @out: receives the container
 *
 * Checks VFIO_GET_API_VERSION and that a type1 IOMMU is offered.
 *
 * Return: 0, -EINVAL (bad opts or API version mismatch), -E2BIG for options
 * this libvfiox does not know (see vfiox.h), -ENOTSUP (no usable IOMMU
 * type), or the errno of the failing open/ioctl.
 */
VFIOX_API int vfiox_container_open(const struct vfiox_container_opts *opts,
				   struct vfiox_container **out);

/**
 * vfiox_container_adopt() - take over a container fd libvfiox did not open.
 * @fd: an open /dev/vfio/vfio file, e.g. received over a Unix socket from a
 *      management process that may open the VFIO nodes
 * @opts: options, or NULL for defaults; @opts->dev_root is only used by a
 *        later vfiox_group_open()
 * @out: receives the container
 *
 * Checks the API version and reads the container's state from the kernel:
 * either no IOMMU set yet (no group attached: the first group adopted or
 * opened on it sets one, as with vfiox_container_open()), or an IOMMU set
 * by whoever attached its groups. In that case the IOMMU info is read now;
 * the kernel does not tell type1 from type1v2 once set, so @opts->iommu_type
 * says which was set (0: type1v2 is assumed). Hand over every group attached
 * to such a container with vfiox_group_adopt(), and no mappings: the kernel
 * cannot list them, so libvfiox would not know the IOVAs they hold. The
 * exception is a live update: vfiox_dma_restore() takes over the mappings
 * of the state the old process saved.
 *
 * Ownership: on success @fd belongs to the container, and
 * vfiox_container_close() closes it. On failure nothing was closed: @fd is
 * still the caller's, in the state it came in. The sender should close its
 * own copy once it has been sent: the kernel releases a VFIO file (and
 * detaches its groups) only when its last fd is closed.
 *
 * Return: 0; -EINVAL (bad fd or arguments, API version mismatch); -E2BIG
 * for options this libvfiox does not know; -ENOTSUP (no usable IOMMU type);
 * the kernel's errno otherwise (-ENOTTY: not a VFIO container).
 */
VFIOX_API int vfiox_container_adopt(int fd,
				    const struct vfiox_container_opts *opts,
				    struct vfiox_container **out);

/**
 * vfiox_container_close() - close every device and group, then the container.
 * @c: container, may be NULL
 */
VFIOX_API void vfiox_container_close(struct vfiox_container *c);

/**
 * vfiox_container_fd() - the container's file descriptor (still owned).
 * @c: container
 */
VFIOX_API int vfiox_container_fd(const struct vfiox_container *c);

/**
 * vfiox_container_check_extension() - VFIO_CHECK_EXTENSION.
 * @c: container
 * @ext: the extension (VFIO_TYPE1v2_IOMMU, ...)
 * Return: 1 if present, 0 if not, negative errno on failure.
 */
VFIOX_API int vfiox_container_check_extension(struct vfiox_container *c,
					      unsigned int ext);

/**
 * vfiox_container_iommu_info() - copy out the last IOMMU info read.
 * @c: container
 * @info: receives the info; the caller sets @info->sz
 * Return: 0, -EINVAL on bad arguments, -ENODEV while no group is attached.
 */
VFIOX_API int vfiox_container_iommu_info(const struct vfiox_container *c,
					 struct vfiox_iommu_info *info);

/**
 * vfiox_container_iova_ranges() - copy out up to @max usable IOVA ranges.
 * @c: container
 * @ranges: array for up to @max ranges (may be NULL when @max is 0)
 * @max: entries in @ranges
 * Return: the total number of ranges (may exceed @max), or negative errno.
 */
VFIOX_API int vfiox_container_iova_ranges(const struct vfiox_container *c,
					  struct vfiox_iova_range *ranges,
					  size_t max);

/**
 * vfiox_container_refresh() - read VFIO_IOMMU_GET_INFO again.
 * @c: container
 * Return: 0 or negative errno; on failure the previous info is kept.
 */
VFIOX_API int vfiox_container_refresh(struct vfiox_container *c);

#ifdef __cplusplus
}
#endif
#endif
