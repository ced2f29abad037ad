// SPDX-License-Identifier: MIT
/*
 * I/O page fault mode for a container (the series' VFIOX_IOMMU_ENABLE_IOPF):
 * enabling it, and telling apart why it cannot be enabled. The DMA engine
 * then marks every map with VFIOX_DMA_MAP_FLAG_IOPF (lib/dma.c).
 */
#define LOG_PREFIX "iopf"
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dma_internal.h"
#include "uapi_ext.h"

#define IOPF_CAPS (VFIOX_PCI_CAP_PRI | VFIOX_PCI_CAP_ATS)

struct lacking {
	const struct vfiox_env *env;
	int count;
};

/* A group member without PRI or ATS: named in the log and counted. */
static int check_member(void *arg, const char *bdf)
{
	struct lacking *l = arg;
	uint32_t caps;

	/* Unknown (no libpci, not PCI): the kernel will tell. */
	if (vfiox_pci_caps(l->env, bdf, &caps) || (caps & IOPF_CAPS) == IOPF_CAPS)
		return 0;
	l->count++;
	pr_err("%s has no %s in its config space, so it cannot take I/O page faults",
	       bdf, !(caps & IOPF_CAPS) ? "PRI and no ATS" :
	       !(caps & VFIOX_PCI_CAP_PRI) ? "PRI" : "ATS");
	return 0;
}

static int count_lacking(struct vfiox_container *c)
{
	struct lacking l = { .env = &c->env };
	char path[VFIOX_PATH_MAX + 64];
	struct vfiox_group *g;

	for (g = c->groups; g; g = g->next) {
		snprintf(path, sizeof(path), "%s/kernel/iommu_groups/%d/devices",
			 c->env.sysfs_root, g->nr);
		c->env.sys->list_dir(path, check_member, &l);
	}
	return l.count;
}

static void log_no_kernel(void)
{
	pr_err("the kernel lacks the IOPF extension (VFIOX_IOPF): load the vfio modules of the libvfiox kernel series");
}

VFIOX_API int vfiox_iopf_support(struct vfiox_container *c)
{
	int ext;

	if (!c)
		return -EINVAL;
	if (vfiox_is_iommufd(c)) {	/* a probe: "not here" is an answer */
		pr_debug("IOPF through VFIOX_IOPF is the legacy backend's (the series' type1 extension); this container is iommufd");
		return VFIOX_FEATURE_LEGACY_ONLY;
	}
	ext = vfiox_container_check_extension(c, VFIOX_IOPF);
	if (ext <= 0) {
		if (!ext)
			log_no_kernel();
		return ext < 0 ? ext : VFIOX_FEATURE_NO_KERNEL;
	}
	if (count_lacking(c))
		return VFIOX_FEATURE_NO_DEVICE_CAP;
	if (c->iopf_refused) {
		pr_err("the IOMMU refused I/O page faults at the last enable (%s)",
		       ERRSTR(c->iopf_refused));
		return VFIOX_FEATURE_IOMMU_REFUSED;
	}
	return VFIOX_FEATURE_AVAILABLE;
}

/* Under the DMA lock, so that no map slips in between check and switch. */
static int switch_mode(struct vfiox_container *c)
{
	struct vfiox_iommu_iopf req = { .argsz = sizeof(req) };
	int ret;

	if (c->dma->iopf)
		return 0;
	if (c->dma->entries_used) {
		pr_err("the container has %u mappings: IOPF must be enabled before the first",
		       c->dma->entries_used);
		return -EBUSY;
	}
	ret = c->env.sys->ioctl(c->fd, VFIOX_IOMMU_ENABLE_IOPF, &req);
	if (!ret)
		c->dma->iopf = true;
	return ret < 0 ? ret : 0;
}

VFIOX_API int vfiox_container_enable_iopf(struct vfiox_container *c)
{
	int ext, ret;

	if (!c)
		return -EINVAL;
	if (!c->iommu_type) {
		pr_err("enable: attach a group first");
		return -EINVAL;
	}
	ext = vfiox_container_check_extension(c, VFIOX_IOPF);
	if (ext <= 0) {
		if (!ext)
			log_no_kernel();
		return ext < 0 ? ext : -ENOTTY;
	}
	vfiox_lock(&c->dma->lock);
	ret = switch_mode(c);
	vfiox_unlock(&c->dma->lock);
	if (ret == -EOPNOTSUPP) {
		c->iopf_refused = ret;
		if (!count_lacking(c))
			pr_err("the IOMMU refused I/O page faults for a device of the container");
		pr_err("the container stays in pinned mode");
	} else if (ret == -EBUSY && c->dma->entries_used == 0) {
		pr_err("VFIOX_IOMMU_ENABLE_IOPF: the kernel has mappings libvfiox did not make");
	} else if (ret && ret != -EBUSY) {
		pr_err("VFIOX_IOMMU_ENABLE_IOPF: %s", ERRSTR(ret));
	}
	if (!ret)
		c->iopf_refused = 0;
	return ret;
}

VFIOX_API int vfiox_container_iopf_enabled(const struct vfiox_container *c)
{
	return c ? c->dma->iopf : -EINVAL;
}
