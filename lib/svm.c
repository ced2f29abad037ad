// SPDX-License-Identifier: MIT
/*
 * Shared Virtual Memory binds (the series' VFIOX_DEVICE_SVM_* ioctls), and
 * the reasons a bind cannot work, told apart before and after asking.
 */
#define LOG_PREFIX "svm"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "uapi_ext.h"

VFIOX_API const char *vfiox_feature_reason_str(int reason)
{
	static const char *const text[] = {
		[VFIOX_FEATURE_AVAILABLE] = "available",
		[VFIOX_FEATURE_NO_KERNEL] = "the kernel lacks the extension",
		[VFIOX_FEATURE_NO_DEVICE_CAP] = "the device, or its IOMMU, lacks the capability",
		[VFIOX_FEATURE_SHARED_GROUP] = "the device shares its IOMMU group",
		[VFIOX_FEATURE_IOMMU_REFUSED] = "the IOMMU refused",
		[VFIOX_FEATURE_LEGACY_ONLY] = "only the legacy backend has it",
	};

	if (reason < 0 || reason >= (int)(sizeof(text) / sizeof(text[0])))
		return "unknown reason";
	return text[reason];
}

static int count_entry(void *arg, const char *name)
{
	(void)name;
	(*(int *)arg)++;
	return 0;
}

/* Devices in @d's IOMMU group, from sysfs. */
static int group_size(const struct vfiox_device *d)
{
	const struct vfiox_env *env = &d->group->container->env;
	char path[VFIOX_PATH_MAX + 64];
	int n = 0, ret;

	snprintf(path, sizeof(path), "%s/kernel/iommu_groups/%d/devices",
		 env->sysfs_root, d->group->nr);
	ret = env->sys->list_dir(path, count_entry, &n);
	return ret < 0 ? ret : n;
}

/*
 * Whether the kernel says the IOMMU has PASIDs for @d: its
 * VFIOX_DEVICE_FLAGS_SVM. Config space cannot: vfio-pci hides the PASID
 * capability from the device's users, sysfs shows it only to
 * CAP_SYS_ADMIN, and a capability says nothing of the IOMMU.
 */
static bool has_pasid(const struct vfiox_device *d)
{
	return d->info.flags & VFIOX_DEVICE_FLAGS_SVM;
}

/*
 * Whether a clear flag on @d is the kernel's answer: only where the
 * extension says the flag is reported (@ext, VFIOX_SVM_FLAGS_REPORTED), and
 * only vfio-pci sets it. Elsewhere a clear flag means nothing (a kernel
 * with the bind ioctls but not the flag), and only the bind can tell.
 */
static bool clear_flag_is_an_answer(const struct vfiox_device *d, int ext)
{
	return ext >= VFIOX_SVM_FLAGS_REPORTED && (d->info.flags & VFIO_DEVICE_FLAGS_PCI);
}

static int svm_reason(struct vfiox_device *d)
{
	int ext = vfiox_container_check_extension(d->group->container, VFIOX_SVM);

	if (ext < 0)
		return ext;
	if (!ext)
		return VFIOX_FEATURE_NO_KERNEL;
	if (group_size(d) > 1)
		return VFIOX_FEATURE_SHARED_GROUP;
	if (!has_pasid(d) && clear_flag_is_an_answer(d, ext))
		return VFIOX_FEATURE_NO_DEVICE_CAP;
	return d->svm_refused ? VFIOX_FEATURE_IOMMU_REFUSED : VFIOX_FEATURE_AVAILABLE;
}

static void log_reason(const struct vfiox_device *d, int reason)
{
	switch (reason) {
	case VFIOX_FEATURE_LEGACY_ONLY:
		pr_debug("%s: SVM is the legacy backend's (the series' type1 extension); this container is iommufd",
			 d->name);
		break;
	case VFIOX_FEATURE_NO_KERNEL:
		pr_err("%s: the kernel lacks the SVM extension (VFIOX_SVM): load the vfio modules of the libvfiox kernel series",
		       d->name);
		break;
	case VFIOX_FEATURE_NO_DEVICE_CAP:
		pr_err("%s: the kernel reports no PASID for the device (it has no PASID capability, or its IOMMU has no PASIDs), so it cannot tag DMA for a process",
		       d->name);
		break;
	case VFIOX_FEATURE_SHARED_GROUP:
		pr_err("%s: other devices share IOMMU group %d and would share the PASID; SVM needs the device alone in its group",
		       d->name, d->group->nr);
		break;
	case VFIOX_FEATURE_IOMMU_REFUSED:
		pr_err("%s: the IOMMU refused SVA at the last bind (%s)", d->name,
		       ERRSTR(d->svm_refused));
		break;
	}
}

VFIOX_API int vfiox_svm_support(struct vfiox_device *d)
{
	int reason;

	if (!d)
		return -EINVAL;
	if (vfiox_device_gone(d))
		return vfiox_device_check_live(d);
	/* A probe: "not here" is an answer, not an error (iopf.c too); the
	 * bind itself is refused as every legacy-only call is. */
	reason = vfiox_is_iommufd(d->group->container) ? VFIOX_FEATURE_LEGACY_ONLY :
		 svm_reason(d);
	if (reason > 0)
		log_reason(d, reason);
	return reason;
}

static int remember_pasid(struct vfiox_device *d, uint32_t pasid)
{
	uint32_t *grown, i;

	for (i = 0; i < d->nr_pasids; i++)
		if (d->pasids[i] == pasid)
			return 0;
	grown = realloc(d->pasids, (d->nr_pasids + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	d->pasids = grown;
	d->pasids[d->nr_pasids++] = pasid;
	return 0;
}

static int svm_ioctl(struct vfiox_device *d, unsigned long req, uint32_t flags,
		     uint32_t *pasid)
{
	struct vfiox_device_svm s = { .argsz = sizeof(s), .flags = flags, .pasid = *pasid };
	int ret = d->group->container->env.sys->ioctl(d->fd, req, &s);

	*pasid = s.pasid;
	return ret < 0 ? ret : 0;
}

/* Why the IOMMU said no, with what config space shows. */
static void log_refusal(struct vfiox_device *d, int err)
{
	uint32_t caps = 0;
	bool known = !vfiox_device_pci_caps(d, &caps);

	pr_err("%s: the IOMMU refused to bind this process (%s)%s", d->name, ERRSTR(err),
	       !known ? "" : !(caps & VFIOX_PCI_CAP_PRI) ? "; the device has no PRI, so it cannot fault pages in" :
	       !(caps & VFIOX_PCI_CAP_ATS) ? "; the device has no ATS" :
	       "; the device has PASID, ATS and PRI: the IOMMU or its driver does not do SVA");
}

VFIOX_API int vfiox_svm_bind(struct vfiox_device *d, uint32_t *pasid)
{
	uint32_t got = 0;
	int reason, ret;

	if (!d || !pasid)
		return -EINVAL;
	if (vfiox_device_gone(d))
		return vfiox_device_check_live(d);
	reason = svm_reason(d);
	if (reason < 0)
		return reason;
	if (reason != VFIOX_FEATURE_AVAILABLE && reason != VFIOX_FEATURE_IOMMU_REFUSED) {
		log_reason(d, reason);
		return reason == VFIOX_FEATURE_NO_KERNEL ? -ENOTTY :
		       reason == VFIOX_FEATURE_NO_DEVICE_CAP ? -EOPNOTSUPP : -EXDEV;
	}
	ret = svm_ioctl(d, VFIOX_DEVICE_SVM_BIND, 0, &got);
	if (ret == -EXDEV)
		log_reason(d, VFIOX_FEATURE_SHARED_GROUP);
	else if (ret)
		log_refusal(d, ret);
	d->svm_refused = ret == -EXDEV ? 0 : ret;
	if (ret)
		return ret;
	ret = remember_pasid(d, got);
	if (ret) {
		/* The device was never told the PASID: it is clean. */
		svm_ioctl(d, VFIOX_DEVICE_SVM_UNBIND, VFIOX_SVM_PASID_RELEASE_CLEAN, &got);
		return ret;
	}
	*pasid = got;
	return 0;
}

VFIOX_API int vfiox_svm_unbind(struct vfiox_device *d, uint32_t pasid,
			       unsigned int state)
{
	uint32_t i, flags = state == VFIOX_PASID_FLUSHED ? VFIOX_SVM_PASID_RELEASE_FLUSHED :
			    VFIOX_SVM_PASID_RELEASE_CLEAN;
	int ret;

	if (!d)
		return -EINVAL;
	if (vfiox_device_gone(d))
		return vfiox_device_check_live(d);
	if (state != VFIOX_PASID_FLUSHED && state != VFIOX_PASID_CLEAN) {
		pr_err("%s: PASID state 0x%x: give exactly one of VFIOX_PASID_FLUSHED and VFIOX_PASID_CLEAN",
		       d->name, state);
		return -EINVAL;
	}
	for (i = 0; i < d->nr_pasids && d->pasids[i] != pasid; i++)
		;
	if (i == d->nr_pasids) {
		pr_err("%s: PASID %u is not bound through this device", d->name, pasid);
		return -ENOENT;
	}
	ret = svm_ioctl(d, VFIOX_DEVICE_SVM_UNBIND, flags, &pasid);
	if (ret) {
		pr_err("%s: unbinding PASID %u: %s", d->name, pasid, ERRSTR(ret));
		return ret;
	}
	d->pasids[i] = d->pasids[--d->nr_pasids];
	return 0;
}
