/* SPDX-License-Identifier: MIT */
/*
 * The kernel interface under a container: the legacy VFIO container
 * (backend_legacy.c) or iommufd (backend_iommufd.c). The DMA engine asks
 * its container's ops table for the kernel's map, unmap and unmap-all, so
 * the IOVA allocator, the mapping table, translate and the pools are the
 * same on both. A backend only makes kernel calls and logs them: it never
 * calls up into the engine or the container.
 */
#ifndef VFIOX_BACKEND_INTERNAL_H
#define VFIOX_BACKEND_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

struct vfiox_container;
struct vfiox_device;
struct vfiox_env;
struct vfiox_iommu_info;
struct vfiox_iova_range;

#define VFIOX_BE_MAP_WRITE	(1u << 0)	/* the device may write */
#define VFIOX_BE_MAP_IOPF	(1u << 1)	/* unpinned (the series' IOPF mode) */

struct vfiox_backend_ops {
	const char *name;	/* for log lines: "legacy", "iommufd" */
	/* Map [va, +len) at @iova with VFIOX_BE_MAP_* @flags; 0 or -errno. */
	int (*map)(struct vfiox_container *c, uint64_t va, uint64_t len,
		   uint64_t iova, unsigned int flags);
	/* Unmap the whole mappings in [iova, +len); *@bytes: what the kernel
	 * removed. 0 or -errno. */
	int (*unmap)(struct vfiox_container *c, uint64_t iova, uint64_t len,
		     uint64_t *bytes);
	/* Unmap everything in one call; callers check that the kernel can
	 * (legacy: VFIO_UNMAP_ALL). 0 or -errno. */
	int (*unmap_all)(struct vfiox_container *c, uint64_t *bytes);
};

extern const struct vfiox_backend_ops vfiox_backend_legacy_ops;
extern const struct vfiox_backend_ops vfiox_backend_iommufd_ops;

/* True when @c drives iommufd. */
bool vfiox_is_iommufd(const struct vfiox_container *c);

/*
 * A call only the legacy backend has: 0 on legacy; on iommufd -EOPNOTSUPP,
 * logged with @what and the way out (VFIOX_BACKEND=legacy; when auto chose
 * iommufd, opts.backend too). On a container whose auto choice is still
 * pending it settles legacy: the caller asked for a legacy call.
 */
int vfiox_backend_legacy_only(struct vfiox_container *c, const char *what);
/* The way out of an iommufd refusal, for a log line: " (...)". */
const char *vfiox_backend_way_out(const struct vfiox_container *c);

/* Is @want an enum vfiox_backend value: 0, or -EINVAL (logged). */
int vfiox_backend_check(int want);
/*
 * The backend VFIOX_BACKEND names (enum vfiox_backend), -ENOENT when it is
 * unset or empty, -EINVAL (logged) for any other value.
 */
int vfiox_backend_from_env(void);

/*
 * iommufd (backend_iommufd.c). Does the kernel offer it (to us), judged by
 * a device cdev in @env's dev_root/devices: 1, 0 (also when we may not
 * look), or a negative errno. Open /dev/iommu next to dev_root with an IOAS
 * in it (*@fd, *@ioas): 0 or -errno (-ENODEV: no /dev/iommu), nothing left
 * open on failure; with @probe, auto's question, no /dev/iommu or none this
 * process may open is 1 (logged at debug or info), not an error. Read the IOAS's
 * IOVA ranges into @info (type, pgsizes, range count) and *@ranges
 * (malloc'ed).
 */
int vfiox_iommufd_offered(const struct vfiox_env *env);
/*
 * Auto's question for group @nr: is it no noiommu group, does every device
 * of it that is bound to a VFIO driver have a cdev this process can open,
 * and is there at least one? 1, 0 (reason logged at info), -ENOENT
 * (no such group), or another negative errno.
 */
int vfiox_iommufd_group_usable(const struct vfiox_env *env, int nr);
int vfiox_iommufd_open(const struct vfiox_env *env, bool probe, int *fd,
		       uint32_t *ioas);
int vfiox_iommufd_read_ranges(const struct vfiox_container *c,
			      struct vfiox_iommu_info *info,
			      struct vfiox_iova_range **ranges);
/*
 * Open @d's cdev (found through sysfs), bind it to @d's container's
 * iommufd, with the 16 bytes of VF @token if not NULL, and attach it to
 * the IOAS (in IOPF mode: to the container's fault-capable HWPT). The fd
 * (also in d->fd), or -errno with nothing open.
 */
int vfiox_iommufd_device_open(struct vfiox_device *d, const uint8_t *token);
/* Attach (or move) open device @d to page table @pt_id (the IOAS or a
 * HWPT): the HWPT the kernel attached it to in *@hwpt. 0 or -errno,
 * logged. */
int vfiox_iommufd_attach(struct vfiox_device *d, uint32_t pt_id, uint32_t *hwpt);
/* Detach open device @d and attach it to its home page table again (the
 * IOAS, or the PASID-capable HWPT libvfiox made for it), so that its
 * translation is the IOAS's whatever a failed attach left (VT-d blocks the
 * device before it checks, and does not undo that). 0 or -errno, logged. */
int vfiox_iommufd_reattach(struct vfiox_device *d);
/* Where @d's DMA without a PASID goes outside IOPF mode: its group's
 * PASID-capable HWPT (lib/pasid.c), or the IOAS. */
uint32_t vfiox_iommufd_home(const struct vfiox_device *d);
/* IOMMU_DESTROY of object @id: 0 or -errno, logged. */
int vfiox_iommufd_destroy(const struct vfiox_container *c, uint32_t id);
/* IOMMU_FAULT_QUEUE_ALLOC: its id and fd. 0 or -errno, logged (-ENOTTY:
 * the kernel has none). */
int vfiox_iommufd_fault_alloc(const struct vfiox_container *c, uint32_t *id, int *fd);
/* IOMMU_HWPT_ALLOC on the IOAS for device @devid with IOMMU_HWPT_* @flags
 * (and @fault_id where they say so). 0 or -errno, logged. */
int vfiox_iommufd_hwpt_alloc(const struct vfiox_container *c, uint32_t devid,
			     uint32_t flags, uint32_t fault_id, uint32_t *hwpt);
/* PASID @pasid of @d to page table @pt_id (*@hwpt: the HWPT attached),
 * and back: 0 or -errno; the attach's failure is the caller's to log. */
int vfiox_iommufd_pasid_attach(struct vfiox_device *d, uint32_t pasid,
			       uint32_t pt_id, uint32_t *hwpt);
int vfiox_iommufd_pasid_detach(struct vfiox_device *d, uint32_t pasid);
/*
 * IOMMU_IOAS_MAP_FILE: [@start, +@len) of file @fd (a dma-buf) at @iova,
 * VFIOX_BE_MAP_* @flags. 0 or -errno (-EOPNOTSUPP: the kernel cannot).
 */
int vfiox_iommufd_map_file(struct vfiox_container *c, int fd, uint64_t start,
			   uint64_t len, uint64_t iova, unsigned int flags);

#endif
