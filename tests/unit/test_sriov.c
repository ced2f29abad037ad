// SPDX-License-Identifier: MIT
/*
 * SR-IOV against the fake kernel: the VF token reaches the PF as the
 * kernel's 16 bytes, a VF open without or with the wrong token says which,
 * and the VF count in sysfs is checked, written and explained when the
 * kernel refuses; a VF that did not land on vfio-pci is named. The real kernel's side runs in the VM (sriov_vf_token).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "fake_kernel.h"

#define PF "0000:00:03.0"
#define DIR "/fake/sys/bus/pci/devices/" PF "/"
#define TOKEN "1b2c3d4e-0000-4a4a-8f8f-0123456789ab"

static const struct vfiox_bind_opts sysfs = {
	.sz = sizeof(sysfs), .sysfs_root = "/fake/sys",
};

static int setup(void **state)
{
	(void)state;
	fk_reset();
	fk_log_capture();
	fk_add_file(DIR "vendor", "0x1b36\n");
	fk_add_file(DIR "sriov_totalvfs", "2\n");
	fk_add_file(DIR "sriov_numvfs", "0\n");
	fk_add_link(DIR "driver", "../../../../bus/pci/drivers/vfio-pci");
	fk_add_link(DIR "virtfn1", "../0000:00:03.2");
	return 0;
}

static struct vfiox_device *open_pf(struct vfiox_container **c)
{
	struct vfiox_device *d;
	struct vfiox_group *g;

	assert_int_equal(fk_open_group7(c, &g), 0);
	assert_int_equal(vfiox_device_open(g, PF, NULL, &d), 0);
	return d;
}

static void token_reaches_the_pf_as_bytes(void **state)
{
	static const uint8_t want[16] = { 0x1b, 0x2c, 0x3d, 0x4e, 0, 0, 0x4a, 0x4a,
					  0x8f, 0x8f, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab };
	struct vfiox_container *c;
	struct vfiox_device *d;

	(void)state;
	fk.groups[0].devs[0].sriov_pf = true;
	d = open_pf(&c);
	assert_int_equal(vfiox_device_set_vf_token(d, TOKEN), 0);
	assert_memory_equal(fk.groups[0].devs[0].vf_token, want, 16);
	assert_true(fk_close_clean(c));
}

static void bad_tokens_and_non_pfs_are_refused(void **state)
{
	unsigned long before;
	struct vfiox_container *c;
	struct vfiox_device *d;

	(void)state;
	d = open_pf(&c);
	before = fk.calls;
	assert_int_equal(vfiox_device_set_vf_token(d, "1b2c3d4e-0000-4a4a-8f8f-0123456789a"),
			 -EINVAL);
	assert_int_equal(vfiox_device_set_vf_token(d, "1b2c3d4e+0000-4a4a-8f8f-0123456789ab"),
			 -EINVAL);
	assert_int_equal(vfiox_device_set_vf_token(d, "1b2c3d4e-0000-4a4a-8f8f-0123456789ag"),
			 -EINVAL);
	assert_int_equal(vfiox_device_set_vf_token(d, NULL), -EINVAL);
	assert_true(fk_log_has("is not a UUID"));
	assert_int_equal(fk.calls, before);
	assert_int_equal(vfiox_device_set_vf_token(NULL, TOKEN), -EINVAL);
	/* The device is no PF: the kernel's ENOTTY, explained. */
	assert_int_equal(vfiox_device_set_vf_token(d, TOKEN), -ENOTTY);
	assert_true(fk_log_has(PF ": cannot take a VF token: not an SR-IOV PF on vfio-pci"));
	assert_true(fk_close_clean(c));
}

static void vf_open_says_what_is_wrong_with_the_token(void **state)
{
	struct vfiox_device_opts wrong = {
		.sz = sizeof(wrong), .vf_token = "00000000-0000-0000-0000-000000000000" };
	struct vfiox_device_opts right = { .sz = sizeof(right), .vf_token = TOKEN };
	struct vfiox_container *c;
	struct vfiox_group *g;
	struct vfiox_device *d;

	(void)state;
	strcpy(fk.groups[0].devs[0].token, TOKEN);
	assert_int_equal(fk_open_group7(&c, &g), 0);
	assert_int_equal(vfiox_device_open(g, PF, NULL, &d), -EACCES);
	assert_true(fk_log_has(PF " needs a VF token (vfiox_device_opts.vf_token)"));
	assert_int_equal(vfiox_device_open(g, PF, &wrong, &d), -EACCES);
	assert_true(fk_log_has(PF " refused the VF token: it is not the one set on the PF"));
	assert_int_equal(vfiox_device_open(g, PF, &right, &d), 0);
	assert_true(fk_close_clean(c));
}

static const char *numvfs(void)
{
	return fk_file(DIR "sriov_numvfs")->content;
}

static void enable_checks_the_count_and_writes_it(void **state)
{
	(void)state;
	assert_int_equal(vfiox_pci_sriov_enable_sys(&fake_sys, PF, 3, &sysfs), -EINVAL);
	assert_true(fk_log_has(PF ": 3 VFs asked for; this PF has 1 to 2"));
	assert_int_equal(vfiox_pci_sriov_enable_sys(&fake_sys, PF, 0, &sysfs), -EINVAL);
	assert_string_equal(numvfs(), "0\n");
	fk_add_link(DIR "virtfn0/driver", "../../../bus/pci/drivers/vfio-pci");
	assert_int_equal(vfiox_pci_sriov_enable_sys(&fake_sys, "00:03.0", 2, &sysfs), 2);
	assert_string_equal(numvfs(), "2");
	/* VF 0 is on vfio-pci; VF 1 (00:03.2) has no driver and no group. */
	assert_false(fk_log_has("VF 0"));
	assert_true(fk_log_has(PF ": 0000:00:03.2 is not on vfio-pci: it has no IOMMU group"));
	/* Already so: no write (a write would fail). */
	fk_fail_nth("pwrite", 1, EIO);
	assert_int_equal(vfiox_pci_sriov_enable_sys(&fake_sys, PF, 2, &sysfs), 2);
	fk.fail_at = 0;
	assert_int_equal(vfiox_pci_sriov_enable_sys(&fake_sys, PF, 1, &sysfs), -EBUSY);
	assert_true(fk_log_has(PF ": 2 VFs are enabled; disable them before asking for 1"));
	assert_int_equal(vfiox_pci_sriov_disable_sys(&fake_sys, PF, &sysfs), 0);
	assert_string_equal(numvfs(), "0");
	fk_fail_nth("pwrite", 1, EIO);
	assert_int_equal(vfiox_pci_sriov_disable_sys(&fake_sys, PF, &sysfs), 0);
	assert_int_equal(fk_open_fds(), 0);
}

static void refusals_are_explained(void **state)
{
	(void)state;
	fk_file(DIR "sriov_numvfs")->write_errno = ENOENT;
	assert_int_equal(vfiox_pci_sriov_enable_sys(&fake_sys, PF, 1, &sysfs), -EOPNOTSUPP);
	assert_true(fk_log_has(PF ": vfio-pci refuses to create VFs; load it with enable_sriov=1"));
	strcpy(fk_file(DIR "driver")->link, "../../../../bus/pci/drivers/nvme");
	assert_int_equal(vfiox_pci_sriov_enable_sys(&fake_sys, PF, 1, &sysfs), -EOPNOTSUPP);
	assert_true(fk_log_has(PF ": its driver nvme cannot create VFs through sysfs"));
	fk_file(DIR "sriov_numvfs")->write_errno = EIO;
	assert_int_equal(vfiox_pci_sriov_enable_sys(&fake_sys, PF, 1, &sysfs), -EIO);
	assert_true(fk_log_has(PF ": writing 1 to sriov_numvfs: "));
	strcpy(fk_file(DIR "sriov_totalvfs")->path, DIR "gone");
	assert_int_equal(vfiox_pci_sriov_enable_sys(&fake_sys, PF, 1, &sysfs), -EOPNOTSUPP);
	assert_true(fk_log_has(PF ": not an SR-IOV PF (no SR-IOV capability)"));
	assert_int_equal(vfiox_pci_sriov_disable_sys(&fake_sys, PF, &sysfs), -EOPNOTSUPP);
	assert_int_equal(vfiox_pci_sriov_enable_sys(&fake_sys, "0000:00:09.0", 1, &sysfs),
			 -ENODEV);
	assert_true(fk_log_has("0000:00:09.0: no such PCI device"));
	assert_int_equal(vfiox_pci_sriov_enable_sys(&fake_sys, "00:03", 1, &sysfs), -EINVAL);
	assert_int_equal(vfiox_pci_sriov_enable_sys(&fake_sys, NULL, 1, &sysfs), -EINVAL);
	strcpy(fk_file(DIR "gone")->content, "two\n");
	strcpy(fk_file(DIR "gone")->path, DIR "sriov_totalvfs");
	assert_int_equal(vfiox_pci_sriov_enable_sys(&fake_sys, PF, 1, &sysfs), -EIO);
	assert_true(fk_log_has(PF ": sriov_totalvfs holds 'two"));
	assert_int_equal(fk_open_fds(), 0);
}

static void vf_addresses_come_from_sysfs(void **state)
{
	char bdf[16];

	(void)state;
	assert_int_equal(vfiox_pci_sriov_vf_sys(&fake_sys, PF, 1, bdf, sizeof(bdf), &sysfs), 0);
	assert_string_equal(bdf, "0000:00:03.2");
	assert_int_equal(vfiox_pci_sriov_vf_sys(&fake_sys, PF, 0, bdf, sizeof(bdf), &sysfs),
			 -ENOENT);
	assert_true(fk_log_has(PF ": has no VF 0"));
	assert_int_equal(vfiox_pci_sriov_vf_sys(&fake_sys, PF, -1, bdf, sizeof(bdf), &sysfs),
			 -EINVAL);
	assert_int_equal(vfiox_pci_sriov_vf_sys(&fake_sys, PF, 1, bdf, 12, &sysfs), -EINVAL);
	assert_int_equal(vfiox_pci_sriov_vf_sys(&fake_sys, PF, 1, NULL, 16, &sysfs), -EINVAL);
	strcpy(fk_file(DIR "virtfn1")->link, "../not-an-address");
	assert_int_equal(vfiox_pci_sriov_vf_sys(&fake_sys, PF, 1, bdf, sizeof(bdf), &sysfs),
			 -EIO);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup(f, setup)
	const struct CMUnitTest tests[] = {
		T(token_reaches_the_pf_as_bytes),
		T(bad_tokens_and_non_pfs_are_refused),
		T(vf_open_says_what_is_wrong_with_the_token),
		T(enable_checks_the_count_and_writes_it),
		T(refusals_are_explained),
		T(vf_addresses_come_from_sysfs),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
