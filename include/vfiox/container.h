/* SPDX-License-Identifier: MIT */
#ifndef VFIOX_CONTAINER_H
#define VFIOX_CONTAINER_H

#include <vfiox/version.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <vfiox/log.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A container is one IOMMU context: on the legacy backend a /dev/vfio/vfio
 * container, on the iommufd backend an IO address space (IOAS) in a
 * /dev/iommu file (docs/iommufd.md says what differs). Groups attach to it;
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
 * enum vfiox_backend - which kernel interface a container drives.
 * @VFIOX_BACKEND_AUTO: the default for programs built against 0.2. Where
 *                      the kernel has device cdevs, decided at the first
 *                      group open: iommufd when that group is no noiommu
 *                      one, every VFIO-bound device of it has a cdev this
 *                      process can open and /dev/iommu opens, else legacy.
 *                      Elsewhere decided at open: legacy, or iommufd where
 *                      the kernel has no /dev/vfio/vfio. A program built or
 *                      linked against 0.1 gets legacy (docs/iommufd.md)
 * @VFIOX_BACKEND_LEGACY: the VFIO container and group files (type1)
 * @VFIOX_BACKEND_IOMMUFD: /dev/iommu with one IOAS, devices through their
 *                         cdev (/dev/vfio/devices/vfioN), Linux 6.6+
 *
 * The environment variable VFIOX_BACKEND=legacy|iommufd|auto, when set and
 * not empty, overrides the caller's choice (for administrators and test
 * suites; read with secure_getenv()). VFIOX_BACKEND=iommufd also drops a
 * caller's @iommu_type, with a warning.
 */
enum vfiox_backend {
	VFIOX_BACKEND_AUTO = 0,
	VFIOX_BACKEND_LEGACY = 1,
	VFIOX_BACKEND_IOMMUFD = 2,
};

/*
 * struct vfiox_iommu_info's @iommu_type on the iommufd backend: not a VFIO
 * IOMMU type, but "an iommufd IOAS".
 */
#define VFIOX_IOMMU_IOMMUFD 0x10000

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
 * @backend: enum vfiox_backend (added in 0.2; a smaller @sz, from a
 *           program built against 0.1, means VFIOX_BACKEND_LEGACY, the only
 *           backend 0.1 had). On iommufd, /dev/iommu is looked for next to
 *           @dev_root (its parent directory) and the device cdevs in
 *           @dev_root/devices; @iommu_type must be 0 (-EINVAL), and auto
 *           with an @iommu_type is legacy.
 */
struct vfiox_container_opts {
	size_t sz;
	const char *dev_root;
	const char *sysfs_root;
	int iommu_type;
	bool allow_relaxable;
	int backend;
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
 * @iommu_type: the type in use, 0 while no group is attached;
 *              VFIOX_IOMMU_IOMMUFD on the iommufd backend
 * @pgsizes: bitmap of IOMMU page sizes; on iommufd only the IOAS's IOVA
 *           alignment (IOMMU_IOAS_IOVA_RANGES), its smallest page
 * @nr_iova_ranges: number of usable ranges (cap 1); 0 if the kernel gave no
 *                  cap, in which case the whole 64-bit space is assumed
 * @has_migration: cap 2 present; @migration_pgsizes and
 *                 @max_dirty_bitmap_size are valid
 * @migration_pgsizes: page sizes dirty tracking supports (cap 2)
 * @max_dirty_bitmap_size: largest dirty bitmap the kernel fills (cap 2)
 * @has_dma_avail: cap 3 present; @dma_avail is valid. Always false on
 *                 iommufd, which has no such limit to report
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
 * Legacy backend: checks VFIO_GET_API_VERSION and that a type1 IOMMU is
 * offered. iommufd backend: opens /dev/iommu and allocates an IOAS
 * (IOMMU_IOAS_ALLOC). The backend is @opts->backend unless the environment
 * variable VFIOX_BACKEND overrides it; @opts is checked first either way.
 * Auto on a kernel with device cdevs opens and checks the legacy container
 * now and decides at the first vfiox_group_open*() (enum vfiox_backend):
 * until then vfiox_container_backend() is VFIOX_BACKEND_AUTO and
 * vfiox_container_fd() -ENODEV; a legacy-only call made before (adoption,
 * VFIO_CHECK_EXTENSION, the series' extensions) settles legacy.
 *
 * Binaries linked against 0.1 call vfiox_container_open@LIBVFIOX_0.1,
 * whose auto (NULL @opts) is legacy: they keep the backend they had.
 *
 * Return: 0, -EINVAL (bad opts, an unknown backend, a VFIOX_BACKEND value
 * other than legacy, iommufd or auto, @opts->iommu_type set with iommufd,
 * or API version mismatch), -E2BIG for options this libvfiox does not know
 * (see vfiox.h), -ENOTSUP (no usable IOMMU type), -ENODEV (iommufd asked
 * for, but the kernel has no /dev/iommu), -ENOENT (auto: no legacy
 * container node and no iommufd to use), or the errno of the failing
 * open/ioctl.
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
 * by whoever attached its groups. In that case the IOMMU info is read now,
 * and the type from the kernel where it tells: type1 and type1v2 answer
 * VFIO_IOMMU_DIRTY_PAGES differently, and @opts->iommu_type must then agree
 * (else -EINVAL); where it cannot tell (iommufd's compat container, a
 * kernel before 5.8) @opts->iommu_type says which was set (0: type1v2 is
 * assumed). An IOMMU libvfiox does not drive (noiommu, spapr) is -ENOTSUP.
 * iommufd's compat container without an IOAS counts as no IOMMU set.
 *
 * Hand over every group attached to such a container with
 * vfiox_group_adopt(), or know that the kernel keeps the IOMMU (and every
 * mapping) for the groups the sender keeps: libvfiox asks the kernel when
 * its own last group leaves instead of assuming the IOMMU gone. Hand over
 * no mappings, except through vfiox_dma_restore() (vfiox/dma.h, live
 * update): the kernel cannot list them, so libvfiox would not know the
 * IOVAs they hold, nor their share of dma_avail.
 *
 * Ownership: on success @fd belongs to the container, and
 * vfiox_container_close() closes it. On failure nothing was closed: @fd is
 * still the caller's, in the state it came in. The sender should close its
 * own copy once it has been sent: the kernel releases a VFIO file (and
 * detaches its groups) only when its last fd is closed.
 *
 * Legacy backend only: @opts->backend VFIOX_BACKEND_IOMMUFD is -EOPNOTSUPP,
 * a value outside enum vfiox_backend -EINVAL (VFIOX_BACKEND in the
 * environment does not apply: the fd says what it is).
 *
 * Return: 0; -EINVAL (bad fd or arguments, API version mismatch); -E2BIG
 * for options this libvfiox does not know; -ENOTSUP (no usable IOMMU type);
 * -EOPNOTSUPP (the iommufd backend asked for); the kernel's errno otherwise (-ENOTTY:
 * not a VFIO container).
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
 *
 * On the iommufd backend this is the /dev/iommu file, which holds the IOAS.
 * Under auto it is valid once the backend is chosen (vfiox_container_open()):
 * before the first group open on a kernel with device cdevs it is -ENODEV
 * (logged). Return: the fd, -EINVAL for NULL, or -ENODEV.
 */
VFIOX_API int vfiox_container_fd(const struct vfiox_container *c);

/**
 * vfiox_container_backend() - the backend @c drives.
 * @c: container
 * Return: VFIOX_BACKEND_LEGACY or VFIOX_BACKEND_IOMMUFD; VFIOX_BACKEND_AUTO
 * while auto waits for the first group open; -EINVAL for NULL.
 */
VFIOX_API int vfiox_container_backend(const struct vfiox_container *c);

/**
 * vfiox_container_check_extension() - VFIO_CHECK_EXTENSION.
 * @c: container
 * @ext: the extension (VFIO_TYPE1v2_IOMMU, ...)
 * Return: the kernel's answer: positive if present (usually 1; some
 * extensions of the libvfiox kernel series answer a level above 1, so
 * test with > 0, not == 1), 0 if not, negative errno on failure;
 * -EOPNOTSUPP (logged) on the iommufd backend, which has no VFIO
 * container to ask.
 * Under auto before the choice it settles legacy (the call asks a VFIO
 * container).
 */
VFIOX_API int vfiox_container_check_extension(struct vfiox_container *c,
					      unsigned int ext);

/**
 * vfiox_container_iommu_info() - copy out the last IOMMU info read.
 * @c: container
 * @info: receives the info; the caller sets @info->sz
 * Return: 0, -EINVAL on bad arguments, -ENODEV while no group is attached
 * (on iommufd: until the first device is attached; before it the IOAS is
 * all of the address space, no IOMMU's ranges; once the last device leaves,
 * the info stays that read with the devices).
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
 * vfiox_container_refresh() - read the IOMMU info again
 * (VFIO_IOMMU_GET_INFO; IOMMU_IOAS_IOVA_RANGES on iommufd).
 * @c: container
 * Return: 0 or negative errno; on failure the previous info is kept.
 */
VFIOX_API int vfiox_container_refresh(struct vfiox_container *c);

#ifdef __cplusplus
}
#endif
#endif
