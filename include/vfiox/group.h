/* SPDX-License-Identifier: MIT */
#ifndef VFIOX_GROUP_H
#define VFIOX_GROUP_H

#include <vfiox/container.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * An IOMMU group (/dev/vfio/N), attached to a container while it is open.
 * Owned by its container; owns the devices opened from it. Threads
 * (docs/threads.md): one thread at a time, like its container's lifecycle
 * calls.
 */
struct vfiox_group;

/**
 * vfiox_group_open() - open group @group_nr and attach it to @c.
 * @c: container
 * @group_nr: IOMMU group number
 * @out: receives the group
 *
 * The group must be viable: every device in it bound to vfio-pci (or no
 * driver). The first group attached sets the container's IOMMU type; each
 * attach re-reads the IOMMU info.
 *
 * Return: 0; -EBUSY if the group is not viable (the log lists every device
 * and its driver); -EEXIST if already open on this container; the errno of
 * the failing open/ioctl otherwise (-EPERM, -ENOENT for the node).
 */
VFIOX_API int vfiox_group_open(struct vfiox_container *c, int group_nr,
			       struct vfiox_group **out);

/**
 * vfiox_group_open_pci() - open the group of PCI device @bdf ("DDDD:BB:DD.F"
 * or "BB:DD.F").
 * @c: container
 * @bdf: PCI address: "DDDD:BB:DD.F" or "BB:DD.F"
 * @out: receives the group
 * Return: as vfiox_group_open(); -EINVAL for a malformed address, -ENODEV if
 * the device has no IOMMU group.
 */
VFIOX_API int vfiox_group_open_pci(struct vfiox_container *c, const char *bdf,
				   struct vfiox_group **out);

/**
 * vfiox_group_close() - close the group's devices, detach it, close it.
 * @g: group, may be NULL
 */
VFIOX_API void vfiox_group_close(struct vfiox_group *g);

/**
 * vfiox_group_number() - the IOMMU group number.
 * @g: group
 */
VFIOX_API int vfiox_group_number(const struct vfiox_group *g);

/**
 * vfiox_group_fd() - the group's file descriptor (still owned).
 * @g: group
 */
VFIOX_API int vfiox_group_fd(const struct vfiox_group *g);

#ifdef __cplusplus
}
#endif
#endif
