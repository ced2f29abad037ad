// SPDX-License-Identifier: MIT
/*
 * The ICH9 LPC group holds 00:1f.0, 00:1f.2 and 00:1f.3. init binds the
 * first two to vfio-pci while i2c-i801 owns the SMBus function, so the
 * group is not viable: libvfiox must refuse it with -EBUSY and name the
 * device that is in the way and its driver. On iommufd the group is a
 * record only (docs/iommufd.md): it opens, and the kernel refuses to bind
 * the device (VFIO_DEVICE_BIND_IOMMUFD: EPERM), naming nothing.
 */
#include "vmtest.h"

int main(void)
{
	struct vfiox_container *c;
	struct vfiox_group *g = NULL;

	vt_init();
	CHECK_RET(vfiox_container_open(NULL, &c), 0);
	if (vt_failures)
		return vt_done("nonviable_group_refused");
	if (vt_iommufd(c)) {
		struct vfiox_device *d = NULL;

		CHECK_RET(vfiox_group_open_pci(c, vt_env("VFIOX_LPC"), &g), 0);
		if (!vt_failures)
			CHECK_RET(vfiox_device_open(g, vt_env("VFIOX_LPC"), NULL, &d), -EPERM);
		CHECK(d == NULL, "device pointer was set");
		vfiox_container_close(c);
		return vt_done("nonviable_group_refused");
	}
	CHECK_RET(vfiox_group_open_pci(c, vt_env("VFIOX_LPC"), &g), -EBUSY);
	CHECK(g == NULL, "group pointer was set");
	CHECK(vt_log_has("is not viable"), "no viability message");
	CHECK(vt_log_has("0000:00:1f.3 is bound to i801_smbus"),
	      "the blocking device and its driver are not named");
	CHECK(vt_log_has("0000:00:1f.2 is bound to vfio-pci"),
	      "the other members are not listed");
	vfiox_container_close(c);
	return vt_done("nonviable_group_refused");
}
