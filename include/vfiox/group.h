/* SPDX-License-Identifier: MIT */
#ifndef VFIOX_GROUP_H
#define VFIOX_GROUP_H

#include <vfiox/version.h>

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
 * vfiox_group_open_mdev() - open the group of mediated device @uuid.
 * @c: container
 * @uuid: the mdev's UUID ("xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"), as
 *        created under /sys/class/mdev_bus/PARENT/mdev_supported_types/TYPE;
 *        either case: the kernel names the mdev in lower case
 * @out: receives the group
 *
 * The group is the one /sys/bus/mdev/devices/UUID/iommu_group names (an
 * mdev has a group of its own, with no IOMMU behind it: the parent
 * driver pins and translates what the device reaches). Open the device
 * then with vfiox_device_open(g, uuid, ...): an mdev's name in its group is
 * its UUID in lower case (the kernel compares names case-sensitively). Every call on a device applies to an mdev too, as far as its
 * parent driver implements the ioctl behind it (region mmap, IRQs, reset,
 * migration).
 *
 * Return: as vfiox_group_open(); -EINVAL for a malformed UUID, -ENODEV if
 * there is no such mdev (or it has no group: not bound to its driver).
 */
VFIOX_API int vfiox_group_open_mdev(struct vfiox_container *c, const char *uuid,
				    struct vfiox_group **out);

/**
 * vfiox_group_adopt() - take over a group fd libvfiox did not open.
 * @c: container, opened or adopted
 * @fd: an open /dev/vfio/N file, e.g. received over a Unix socket
 * @group_nr: its IOMMU group number N (for the log, the sysfs lookups of
 *            reserved regions and viability, and to refuse a second open)
 * @out: receives the group
 *
 * Checks that @fd is the node of group @group_nr: its device number (fstat)
 * must be the one /sys/class/vfio/N/dev gives, and a number sysfs does not
 * know is refused (-EINVAL, logged). Where /sys cannot be read (a sandbox)
 * this is not checked: the number is the caller's word, with a warning.
 * Then reads the group's status from the kernel (VFIO_GROUP_GET_STATUS): it
 * must be viable. A group with no container set is attached to @c, as by
 * vfiox_group_open(). A group already attached (by the sender) is taken as
 * attached to @c: the kernel cannot tell to which container, so the caller
 * vouches for it, and only a container that was itself handed over
 * (vfiox_container_adopt()) may hold one (else -EBUSY, logged); if @c has
 * no IOMMU yet, setting one proves it (else -EINVAL, logged). The IOMMU
 * info is re-read as on every attach.
 *
 * Every attach reads the group's reserved regions from
 * /sys/kernel/iommu_groups/N/reserved_regions. A VMM without /sys adopts
 * nonetheless where the kernel reports usable IOVA ranges (type1 cuts the
 * reserved regions out of them, but not the direct-relaxable ones, over
 * which libvfiox may then map): libvfiox allocates from those, warns, and
 * lists no reserved regions for the group; without those ranges the attach
 * fails with the read's errno.
 *
 * Ownership: on success @fd belongs to the group and vfiox_group_close()
 * (or closing the container) detaches and closes it; detaching takes the
 * group out of whatever container it is really in, which for a group that
 * came attached is the sender's container, shared with this process. On
 * failure nothing was closed and a group that came unattached is
 * unattached again: @fd is the caller's, as it came (an IOMMU set on @c
 * meanwhile stays set). There is no call that hands an fd back without
 * closing or detaching it.
 *
 * Return: 0; -EINVAL (bad arguments, or @fd is not group @group_nr's node);
 * -EBUSY if not viable (the log lists every device and its driver), or
 * attached while @c was opened by libvfiox; -EEXIST if @group_nr is already
 * open on @c, or @fd is already one of @c's fds; the kernel's errno
 * otherwise.
 */
VFIOX_API int vfiox_group_adopt(struct vfiox_container *c, int fd, int group_nr,
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
