/* SPDX-License-Identifier: MIT */
#ifndef VFIOX_BIND_H
#define VFIOX_BIND_H

#include <vfiox/version.h>
/*
 * Binding PCI devices to vfio-pci (or another driver) through
 * driver_override, and giving them back. A binding remembers the driver
 * each device had; unbinding restores it. Binding waits for the group's
 * /dev/vfio/N node through a uevent monitor, not by polling. Threads
 * (docs/threads.md): one thread at a time per binding or device.
 */
#include <stdbool.h>
#include <stddef.h>
#include <vfiox/log.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * struct vfiox_bind_opts - how to bind.
 * @sz: sizeof(struct vfiox_bind_opts); options rules in vfiox.h
 * @driver: NULL: "vfio-pci"
 * @whole_group: bind every device of the IOMMU group (bridges excepted),
 *               as VFIO needs for a viable group
 * @timeout_ms: how long to wait for the group node; 0: 5000
 * @sysfs_root: NULL: /sys
 * @dev_root: directory of the group nodes; NULL: /dev/vfio
 */
struct vfiox_bind_opts {
	size_t sz;
	const char *driver;
	bool whole_group;
	int timeout_ms;
	const char *sysfs_root;
	const char *dev_root;
};

struct vfiox_binding;

/**
 * vfiox_pci_bind() - bind @bdf (or its whole group) to the driver.
 * @bdf: the device's PCI address, "DDDD:BB:DD.F" or "BB:DD.F"
 * @opts: NULL for the defaults, or how to bind
 * @out: receives the binding; pass it to vfiox_pci_unbind() to restore
 *
 * A device already on the driver is left alone (and left there on unbind).
 * On any failure the devices bound so far are given back.
 * Return: 0; -EINVAL for a bad address or options; -E2BIG for options this
 * libvfiox does not know (see vfiox.h); -ENODEV if the device or its IOMMU
 * group does not exist; -ETIMEDOUT if the group node did not
 * appear in time (the log lists the uevents seen); the errno of the sysfs
 * write that failed otherwise.
 */
VFIOX_API int vfiox_pci_bind(const char *bdf, const struct vfiox_bind_opts *opts,
			     struct vfiox_binding **out);

/**
 * vfiox_pci_unbind() - give every device back to the driver it had (none
 * stays unbound), clear driver_override, and free @b.
 * @b: a binding from vfiox_pci_bind()
 * Return: 0, or the first error (every device is still tried).
 */
VFIOX_API int vfiox_pci_unbind(struct vfiox_binding *b);

/**
 * vfiox_binding_forget() - free @b and leave its devices where they are
 * (for tools that bind and exit).
 * @b: a binding from vfiox_pci_bind()
 * Return: 0 or -EINVAL.
 */
VFIOX_API int vfiox_binding_forget(struct vfiox_binding *b);

/**
 * vfiox_pci_release() - take @bdf off its driver, clear driver_override and
 * let the kernel probe it, so that its own choice of driver (if any) takes
 * it; for giving back a device bound by another process.
 * @bdf: the device's PCI address
 * @opts: NULL, or where sysfs is (@sysfs_root); the other fields are unused
 * @driver: receives the driver it ended on, "" for none (may be NULL)
 * @len: size of @driver in bytes
 * Return: 0, -EINVAL, -E2BIG for options this libvfiox does not know (see
 * vfiox.h), -ENODEV, or the errno of the sysfs write.
 */
VFIOX_API int vfiox_pci_release(const char *bdf, const struct vfiox_bind_opts *opts,
				char *driver, size_t len);

/**
 * vfiox_binding_group() - the IOMMU group number of the binding.
 * @b: a binding from vfiox_pci_bind()
 */
VFIOX_API int vfiox_binding_group(const struct vfiox_binding *b);

#ifdef __cplusplus
}
#endif
#endif
