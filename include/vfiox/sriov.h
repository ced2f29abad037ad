/* SPDX-License-Identifier: MIT */
#ifndef VFIOX_SRIOV_H
#define VFIOX_SRIOV_H

#include <vfiox/version.h>
/*
 * SR-IOV with the PF on vfio-pci. The kernel lets a userspace PF driver
 * create VFs only when vfio-pci was loaded with enable_sriov=1, and then
 * guards every VF with a VF token: a UUID the PF's owner sets through the
 * PF's device fd, which a VF's user must present when opening the VF
 * (struct vfiox_device_opts.vf_token). The usual order:
 *
 *   vfiox_device_open(pf_group, pf, NULL, &pf_dev);
 *   vfiox_device_set_vf_token(pf_dev, uuid);
 *   vfiox_pci_sriov_enable(pf, 2, NULL);
 *   vfiox_pci_sriov_vf(pf, 0, vf, sizeof(vf), NULL);
 *   ... open vf's group, then vfiox_device_open() with .vf_token = uuid
 *
 * The sysfs calls take struct vfiox_bind_opts for its sysfs_root (other
 * fields are ignored); NULL means /sys.
 */
#include <stddef.h>
#include <vfiox/bind.h>
#include <vfiox/device.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * vfiox_device_set_vf_token() - set the VF token of @pf, an SR-IOV PF
 * opened through vfio-pci (VFIO_DEVICE_FEATURE_PCI_VF_TOKEN).
 * @pf: the PF, opened with vfiox_device_open()
 * @uuid: "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"
 * Return: 0; -EINVAL if @uuid is not a UUID; -ENOTTY if @pf is not a PF
 * that vfio-pci manages VFs for; the kernel's errno otherwise.
 */
VFIOX_API int vfiox_device_set_vf_token(struct vfiox_device *pf, const char *uuid);

/**
 * vfiox_pci_sriov_enable() - create @nr_vfs VFs on the PF @pf (sysfs
 * sriov_numvfs). With the PF on vfio-pci the kernel binds the VFs to
 * vfio-pci too, and their group nodes exist when this returns; a VF that
 * did not get there is logged as a warning, naming why when it has no
 * IOMMU group.
 * @pf: the PF's PCI address
 * @nr_vfs: how many VFs to create
 * @opts: NULL, or where sysfs is (@sysfs_root)
 * Return: @nr_vfs (also when exactly that many are already enabled);
 * -EINVAL for a bad address or a count outside 1..sriov_totalvfs; -E2BIG
 * for options this libvfiox does not know (see vfiox.h);
 * -ENODEV if there is no such device; -EOPNOTSUPP if it is not an SR-IOV
 * PF or its driver cannot create VFs (the log says which, and for
 * vfio-pci that it needs enable_sriov=1); -EBUSY if a different number of
 * VFs is enabled; the errno of the sysfs write otherwise.
 */
VFIOX_API int vfiox_pci_sriov_enable(const char *pf, int nr_vfs,
				     const struct vfiox_bind_opts *opts);

/**
 * vfiox_pci_sriov_disable() - remove every VF of @pf. A VF open through
 * VFIO is asked back by the kernel (the device request) first, so this
 * waits for its users to let go.
 * @pf: the PF's PCI address
 * @opts: NULL, or where sysfs is (@sysfs_root)
 * Return: 0 (also when none were enabled); -EINVAL, -E2BIG, -ENODEV,
 * -EOPNOTSUPP as above; the errno of the sysfs write otherwise.
 */
VFIOX_API int vfiox_pci_sriov_disable(const char *pf,
				      const struct vfiox_bind_opts *opts);

/**
 * vfiox_pci_sriov_vf() - the address of VF @index (0-based) of @pf.
 * @pf: the PF's PCI address
 * @index: the VF's number, from 0
 * @bdf: receives "DDDD:BB:DD.F" (at least 13 bytes)
 * @len: size of @bdf
 * @opts: NULL, or where sysfs is (@sysfs_root)
 * Return: 0; -EINVAL for bad arguments; -E2BIG for options this libvfiox
 * does not know (see vfiox.h); -ENOENT if there is no such VF.
 */
VFIOX_API int vfiox_pci_sriov_vf(const char *pf, int index, char *bdf, size_t len,
				 const struct vfiox_bind_opts *opts);

#ifdef __cplusplus
}
#endif
#endif
