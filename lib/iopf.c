// SPDX-License-Identifier: MIT
/*
 * I/O page fault mode for a container (the series' VFIOX_IOMMU_ENABLE_IOPF):
 * enabling it, and telling apart why it cannot be enabled. The DMA engine
 * then marks every map with VFIOX_DMA_MAP_FLAG_IOPF (lib/dma.c). On
 * iommufd the fault queue does it instead (lib/iopf_iommufd.c).
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

int vfiox_iopf_count_lacking(struct vfiox_container *c)
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
	if (vfiox_is_iommufd(c)) {
		if (!c->iommu_type) {
			pr_err("support: on iommufd the answer needs a device: open one first");
			return -ENODEV;
		}
		ext = vfiox_iopf_iommufd_reason(c);
		if (ext == VFIOX_FEATURE_NO_KERNEL)
			pr_err("the kernel's iommufd has no fault queue (IOMMU_FAULT_QUEUE_ALLOC, Linux 6.11+)");
		return ext;
	}
	ext = vfiox_container_check_extension(c, VFIOX_IOPF);
	if (ext <= 0) {
		if (!ext)
			log_no_kernel();
		return ext < 0 ? ext : VFIOX_FEATURE_NO_KERNEL;
	}
	if (vfiox_iopf_count_lacking(c))
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

/* On iommufd the fault queue answers; mappings already made stay (pinned,
 * in the new page table too), P2P's dma-bufs cannot. */
static int enable_iommufd(struct vfiox_container *c)
{
	bool p2p;
	int ret;

	vfiox_lock(&c->dma->lock);
	p2p = c->p2p != NULL;
	vfiox_unlock(&c->dma->lock);
	if (p2p) {
		pr_err("enable: the container has P2P mappings (dma-bufs), which IOPF mode on iommufd does not take: unmap them first");
		return -EBUSY;
	}
	ret = vfiox_iopf_iommufd_enable(c);
	if (!ret) {
		vfiox_lock(&c->dma->lock);
		c->dma->iopf = true;
		vfiox_unlock(&c->dma->lock);
	}
	return ret;
}

VFIOX_API int vfiox_container_enable_iopf(struct vfiox_container *c)
{
	int ext, ret;

	if (!c)
		return -EINVAL;
	if (!c->iommu_type) {
		pr_err("enable: attach a group first%s",
		       vfiox_is_iommufd(c) ? " and open a device of it" : "");
		return -EINVAL;
	}
	if (vfiox_is_iommufd(c))
		return enable_iommufd(c);
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
		if (!vfiox_iopf_count_lacking(c))
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
