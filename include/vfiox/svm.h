/* SPDX-License-Identifier: MIT */
#ifndef VFIOX_SVM_H
#define VFIOX_SVM_H

#include <vfiox/version.h>
/*
 * Shared Virtual Memory: the device DMAs straight into this process's
 * virtual addresses, tagged with a PASID, with no DMA mapping at all.
 * It needs the libvfiox kernel series (its SVM extension), a device
 * with a PASID capability (in practice also ATS and PRI) alone in its
 * IOMMU group, and an IOMMU that has PASIDs for it and does SVA. Debian's x86 kernels refuse
 * SVA; there a bind fails and its log line says why.
 *
 * Threads (docs/threads.md, device row): vfiox_svm_support(),
 * vfiox_svm_bind() and vfiox_svm_unbind() share the device's list of
 * bonds: one thread at a time per device, and not during
 * vfiox_device_close().
 */
#include <stdint.h>
#include <vfiox/device.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Why SVM (or IOPF, see vfiox/iopf.h) cannot be used. */
enum vfiox_feature_reason {
	VFIOX_FEATURE_AVAILABLE,	/* nothing known against it */
	VFIOX_FEATURE_NO_KERNEL,	/* the kernel lacks the extension */
	VFIOX_FEATURE_NO_DEVICE_CAP,	/* no PASID for the device (SVM) or no PRI/ATS (IOPF) */
	VFIOX_FEATURE_SHARED_GROUP,	/* SVM: other devices share the IOMMU group */
	VFIOX_FEATURE_IOMMU_REFUSED,	/* the IOMMU refused when it was asked */
	VFIOX_FEATURE_LEGACY_ONLY,	/* 0.2: the container is iommufd, the call is type1's (SVM) */
};

/**
 * vfiox_feature_reason_str() - a short text for a reason, never NULL.
 * @reason: an enum vfiox_feature_reason value
 */
VFIOX_API const char *vfiox_feature_reason_str(int reason);

/* How the device left a PASID, for vfiox_svm_unbind(): exactly one. */
#define VFIOX_PASID_FLUSHED	(1u << 0)	/* stopped; page requests may be in flight, ended by a Stop Marker */
#define VFIOX_PASID_CLEAN	(1u << 1)	/* stopped; nothing outstanding */

/**
 * vfiox_svm_support() - what stands in the way of vfiox_svm_bind() on @d,
 * from the kernel's SVM extension, the SVM flag of the device info the
 * kernel gave at open (bit 31 of vfiox_device_info.flags, set when the
 * IOMMU has PASIDs for the device; config space cannot tell, as vfio-pci
 * hides the PASID capability), the device's IOMMU group, and the answer
 * of the last bind. A clear flag counts only where the kernel's extension
 * says it reports the flag (a level above 1) and only for a PCI device;
 * elsewhere the bind asks the kernel. The flag is the one read at open:
 * reopen the device after its group changed. Logs the reason when there
 * is one.
 * @d: device
 * Return: an enum vfiox_feature_reason (VFIOX_FEATURE_LEGACY_ONLY on an
 * iommufd container), or a negative errno.
 */
VFIOX_API int vfiox_svm_support(struct vfiox_device *d);

/**
 * vfiox_svm_bind() - bind this process's address space to @d.
 * @d: device
 * @pasid: receives the PASID to tag the device's DMA with; binding again
 *         gives the same one
 * Return: 0; -ENOTTY if the kernel lacks the extension; -EOPNOTSUPP if
 * the kernel reports no PASID for the device (its SVM flag clear where
 * the kernel reports that flag: no PASID capability, or none in its
 * IOMMU), without asking it to bind; -EXDEV if it shares its IOMMU
 * group; -EINVAL, -ENODEV (released device); otherwise the IOMMU refused
 * and this is its errno. Every failure logs which of these it was; none
 * changes the device.
 */
VFIOX_API int vfiox_svm_bind(struct vfiox_device *d, uint32_t *pasid);

/**
 * vfiox_svm_unbind() - drop the bond of @pasid. The device must have
 * stopped using it; @state says how (VFIOX_PASID_FLUSHED or _CLEAN).
 * @d: device
 * @pasid: the PASID vfiox_svm_bind() gave
 * @state: how the device stopped using it: VFIOX_PASID_FLUSHED or
 *         VFIOX_PASID_CLEAN
 *
 * Closing the device drops every bond too.
 * Return: 0; -EINVAL for a bad state (no syscall); -ENOENT for a PASID
 * not bound through @d (no syscall); the kernel's errno otherwise.
 */
VFIOX_API int vfiox_svm_unbind(struct vfiox_device *d, uint32_t pasid,
			       unsigned int state);

#ifdef __cplusplus
}
#endif
#endif
