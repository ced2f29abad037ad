// SPDX-License-Identifier: MIT
/*
 * The iommufd objects behind a container and its devices, for a VMM: the
 * IOAS, each device's id and page table, and IOMMU_GET_HW_INFO of the
 * IOMMU a device sits behind. The legacy backend has none of them.
 */
#define LOG_PREFIX "iommufd"
#include <errno.h>

#include "internal.h"
#include "uapi_iommufd.h"

int vfiox_iommufd_only(const struct vfiox_container *c, const char *what)
{
	if (c->auto_pending) {
		pr_err("%s: auto has not chosen the backend yet (it does at the first group open)",
		       what);
		return -ENODEV;
	}
	if (vfiox_is_iommufd(c))
		return 0;
	pr_err("%s: only the iommufd backend has it (VFIOX_BACKEND=iommufd or opts.backend), this container is legacy", what);
	return -EOPNOTSUPP;
}

VFIOX_API int vfiox_container_ioas_id(const struct vfiox_container *c,
				      uint32_t *id)
{
	int ret;

	if (!c || !id) {
		pr_err("vfiox_container_ioas_id(): NULL container or id pointer");
		return -EINVAL;
	}
	ret = vfiox_iommufd_only(c, "vfiox_container_ioas_id()");
	if (!ret)
		*id = c->ioas;
	return ret;
}

VFIOX_API int vfiox_device_devid(const struct vfiox_device *d, uint32_t *id)
{
	int ret;

	if (!d || !id) {
		pr_err("vfiox_device_devid(): NULL device or id pointer");
		return -EINVAL;
	}
	ret = vfiox_iommufd_only(d->group->container, "vfiox_device_devid()");
	if (!ret)
		ret = vfiox_device_check_live(d);	/* its ids are the kernel's again */
	if (!ret)
		*id = d->devid;
	return ret;
}

VFIOX_API int vfiox_device_hwpt_id(const struct vfiox_device *d, uint32_t *id)
{
	int ret;

	if (!d || !id) {
		pr_err("vfiox_device_hwpt_id(): NULL device or id pointer");
		return -EINVAL;
	}
	ret = vfiox_iommufd_only(d->group->container, "vfiox_device_hwpt_id()");
	if (!ret)
		ret = vfiox_device_check_live(d);	/* its ids are the kernel's again */
	if (!ret)
		*id = d->hwpt;
	return ret;
}

VFIOX_API int vfiox_device_iommu_hw_info(const struct vfiox_device *d,
					 struct vfiox_iommu_hw_info *info)
{
	const struct vfiox_container *c;
	struct vfiox_iommu_hw_info out = { .sz = sizeof(out) };
	struct vfiox_iommu_hw_info_cmd q = { .size = sizeof(q) };
	int ret;

	if (!d || !info) {
		pr_err("vfiox_device_iommu_hw_info(): NULL device or info pointer");
		return -EINVAL;
	}
	c = d->group->container;
	ret = VFIOX_OUT_CHECK(info, vfiox_iommu_hw_info);
	if (!ret)
		ret = vfiox_iommufd_only(c, "vfiox_device_iommu_hw_info()");
	if (!ret)
		ret = vfiox_device_check_live(d);
	if (ret)
		return ret;
	q.dev_id = d->devid;
	ret = c->env.sys->ioctl(c->fd, VFIOX_IOMMU_GET_HW_INFO, &q);
	/* Released since the check: the kernel no longer knows the id. */
	if (ret < 0 && vfiox_device_gone(d))
		return vfiox_device_check_live(d);
	if (ret == -ENOTTY) {
		pr_err("%s: IOMMU_GET_HW_INFO: the kernel has none (Linux 6.6+)", d->name);
		return -EOPNOTSUPP;
	}
	if (ret < 0) {
		pr_err("%s: IOMMU_GET_HW_INFO (dev %u): %s", d->name, d->devid, ERRSTR(ret));
		return ret;
	}
	out.type = q.out_data_type;
	out.data_len = q.data_len;
	out.capabilities = q.out_capabilities;
	out.max_pasid_log2 = q.out_max_pasid_log2;
	return VFIOX_COPY_OUT(info, &out, vfiox_iommu_hw_info);
}
