// SPDX-License-Identifier: MIT
/*
 * Config space helpers against the fake kernel's config region: the
 * command register is changed by read-modify-write and written only when
 * it changes; both capability lists are walked from their heads or from a
 * capability found before, and a list that loops ends in -EPROTO.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <linux/pci_regs.h>
#include <cmocka.h>

#include "fake_kernel.h"

FK_GROUP7_FIXTURE

static uint8_t *cfg(void)
{
	return fk.groups[0].devs[0].regions[VFIO_PCI_CONFIG_REGION_INDEX].data;
}

static void put16(uint32_t off, uint16_t v)
{
	cfg()[off] = (uint8_t)v;
	cfg()[off + 1] = (uint8_t)(v >> 8);
}

static uint16_t get16(uint32_t off)
{
	return (uint16_t)(cfg()[off] | cfg()[off + 1] << 8);
}

/* A standard capability @id at @pos whose next pointer is @next. */
static void std_cap(uint8_t pos, uint8_t id, uint8_t next)
{
	cfg()[pos] = id;
	cfg()[pos + 1] = next;
}

/* An extended capability @id at @pos whose next pointer is @next. */
static void ext_cap(uint16_t pos, uint16_t id, uint16_t next)
{
	uint32_t hdr = id | 1u << 16 | (uint32_t)next << 20;

	memcpy(cfg() + pos, &hdr, 4);	/* the test runs little-endian */
}

static struct vfiox_device *open_dev(uint64_t cfg_size)
{
	struct vfiox_device *d;

	fk.groups[0].devs[0].regions[VFIO_PCI_CONFIG_REGION_INDEX].size = cfg_size;
	assert_int_equal(vfiox_device_open(g, "0000:00:03.0", NULL, &d), 0);
	return d;
}

/*
 * pwrites from now on: fk.calls counts only them. Set under the fake's
 * lock: the device's request thread reads fail_only as it polls.
 */
static void count_writes(void)
{
	fk_fail_nth("pwrite", 0, 0);
}

static void enable_dma_sets_memory_and_master_and_keeps_the_rest(void **state)
{
	struct vfiox_device *d = open_dev(256);

	(void)state;
	put16(PCI_COMMAND, PCI_COMMAND_INTX_DISABLE | PCI_COMMAND_IO);
	assert_int_equal(vfiox_pci_enable_dma(d), 0);
	assert_int_equal(get16(PCI_COMMAND), PCI_COMMAND_INTX_DISABLE | PCI_COMMAND_IO |
			 PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
}

static void command_update_clears_then_sets_and_returns_the_value(void **state)
{
	struct vfiox_device *d = open_dev(256);

	(void)state;
	put16(PCI_COMMAND, PCI_COMMAND_MASTER | PCI_COMMAND_MEMORY);
	assert_int_equal(vfiox_pci_command_update(d, PCI_COMMAND_INTX_DISABLE,
						  PCI_COMMAND_MASTER),
			 PCI_COMMAND_MEMORY | PCI_COMMAND_INTX_DISABLE);
	assert_int_equal(get16(PCI_COMMAND), PCI_COMMAND_MEMORY | PCI_COMMAND_INTX_DISABLE);
	/* A bit both cleared and set ends set. */
	assert_int_equal(vfiox_pci_command_update(d, PCI_COMMAND_MEMORY,
						  PCI_COMMAND_MEMORY),
			 PCI_COMMAND_MEMORY | PCI_COMMAND_INTX_DISABLE);
}

static void an_unchanged_command_register_is_not_written(void **state)
{
	struct vfiox_device *d = open_dev(256);

	(void)state;
	put16(PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	count_writes();
	assert_int_equal(vfiox_pci_enable_dma(d), 0);
	assert_int_equal(fk.calls, 0);
	put16(PCI_COMMAND, 0);
	assert_int_equal(vfiox_pci_enable_dma(d), 0);
	assert_int_equal(fk.calls, 1);
}

static void a_failed_access_is_the_callers_error(void **state)
{
	struct vfiox_device *d = open_dev(256);

	(void)state;
	fk_fail_nth("pread", 1, EIO);
	assert_int_equal(vfiox_pci_enable_dma(d), -EIO);
	fk_fail_nth("pwrite", 1, ENODEV);
	assert_int_equal(vfiox_pci_enable_dma(d), -ENODEV);
	assert_int_equal(get16(PCI_COMMAND), 0);
	assert_int_equal(vfiox_pci_enable_dma(NULL), -EINVAL);
}

/* PM at 0x40, MSI at 0x50, two vendor-specific ones at 0x60 and 0x48. */
static void std_list(void)
{
	put16(PCI_STATUS, PCI_STATUS_CAP_LIST);
	cfg()[PCI_CAPABILITY_LIST] = 0x40;
	std_cap(0x40, PCI_CAP_ID_PM, 0x50);
	std_cap(0x50, PCI_CAP_ID_MSI, 0x61);	/* low bits reserved: ignored */
	std_cap(0x60, PCI_CAP_ID_VNDR, 0x48);
	std_cap(0x48, PCI_CAP_ID_VNDR, 0);
}

static void find_cap_walks_the_list_from_the_head_or_after_a_hit(void **state)
{
	struct vfiox_device *d = open_dev(256);

	(void)state;
	std_list();
	assert_int_equal(vfiox_pci_find_cap(d, PCI_CAP_ID_PM, 0), 0x40);
	assert_int_equal(vfiox_pci_find_cap(d, PCI_CAP_ID_MSI, 0), 0x50);
	assert_int_equal(vfiox_pci_find_cap(d, PCI_CAP_ID_VNDR, 0), 0x60);
	assert_int_equal(vfiox_pci_find_cap(d, PCI_CAP_ID_VNDR, 0x60), 0x48);
	assert_int_equal(vfiox_pci_find_cap(d, PCI_CAP_ID_VNDR, 0x48), -ENOENT);
	assert_int_equal(vfiox_pci_find_cap(d, PCI_CAP_ID_MSIX, 0), -ENOENT);
}

static void without_the_status_bit_there_is_no_list(void **state)
{
	struct vfiox_device *d = open_dev(256);

	(void)state;
	std_list();
	put16(PCI_STATUS, 0);
	assert_int_equal(vfiox_pci_find_cap(d, PCI_CAP_ID_PM, 0), -ENOENT);
}

static void a_looping_list_is_refused_not_followed(void **state)
{
	struct vfiox_device *d = open_dev(4096);

	(void)state;
	std_list();
	std_cap(0x48, PCI_CAP_ID_VNDR, 0x40);
	assert_int_equal(vfiox_pci_find_cap(d, PCI_CAP_ID_MSIX, 0), -EPROTO);
	ext_cap(0x100, PCI_EXT_CAP_ID_ERR, 0x100);
	assert_int_equal(vfiox_pci_find_ext_cap(d, PCI_EXT_CAP_ID_SRIOV, 0), -EPROTO);
}

static void a_bad_after_is_refused(void **state)
{
	struct vfiox_device *d = open_dev(4096);

	(void)state;
	std_list();
	assert_int_equal(vfiox_pci_find_cap(d, PCI_CAP_ID_VNDR, 0x3c), -EINVAL);
	assert_int_equal(vfiox_pci_find_cap(d, PCI_CAP_ID_VNDR, 0x61), -EINVAL);
	assert_int_equal(vfiox_pci_find_ext_cap(d, PCI_EXT_CAP_ID_ERR, 0xfc), -EINVAL);
	assert_int_equal(vfiox_pci_find_ext_cap(d, PCI_EXT_CAP_ID_ERR, 0x1000), -EINVAL);
}

static void find_ext_cap_walks_the_extended_list(void **state)
{
	struct vfiox_device *d = open_dev(4096);

	(void)state;
	ext_cap(0x100, PCI_EXT_CAP_ID_ERR, 0x148);
	ext_cap(0x148, PCI_EXT_CAP_ID_VNDR, 0x200);
	ext_cap(0x200, PCI_EXT_CAP_ID_SRIOV, 0x120);
	ext_cap(0x120, PCI_EXT_CAP_ID_VNDR, 0);
	assert_int_equal(vfiox_pci_find_ext_cap(d, PCI_EXT_CAP_ID_ERR, 0), 0x100);
	assert_int_equal(vfiox_pci_find_ext_cap(d, PCI_EXT_CAP_ID_SRIOV, 0), 0x200);
	assert_int_equal(vfiox_pci_find_ext_cap(d, PCI_EXT_CAP_ID_VNDR, 0), 0x148);
	assert_int_equal(vfiox_pci_find_ext_cap(d, PCI_EXT_CAP_ID_VNDR, 0x148), 0x120);
	assert_int_equal(vfiox_pci_find_ext_cap(d, PCI_EXT_CAP_ID_VNDR, 0x120), -ENOENT);
	assert_int_equal(vfiox_pci_find_ext_cap(d, PCI_EXT_CAP_ID_PASID, 0), -ENOENT);
}

static void an_empty_extended_list_has_nothing(void **state)
{
	struct vfiox_device *d = open_dev(4096);

	(void)state;
	assert_int_equal(vfiox_pci_find_ext_cap(d, 0, 0), -ENOENT);
	memset(cfg() + 0x100, 0xff, 4);	/* nothing answered */
	assert_int_equal(vfiox_pci_find_ext_cap(d, 0xffff, 0), -ENOENT);
}

static void a_256_byte_config_space_is_not_read_past_its_end(void **state)
{
	struct vfiox_device *d = open_dev(256);

	(void)state;
	ext_cap(0x100, PCI_EXT_CAP_ID_ERR, 0);
	fk_log_capture();
	assert_int_equal(vfiox_pci_find_ext_cap(d, PCI_EXT_CAP_ID_ERR, 0), -ENOENT);
	assert_false(fk_log_has("outside region"));
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(enable_dma_sets_memory_and_master_and_keeps_the_rest),
		T(command_update_clears_then_sets_and_returns_the_value),
		T(an_unchanged_command_register_is_not_written),
		T(a_failed_access_is_the_callers_error),
		T(find_cap_walks_the_list_from_the_head_or_after_a_hit),
		T(without_the_status_bit_there_is_no_list),
		T(a_looping_list_is_refused_not_followed),
		T(a_bad_after_is_refused),
		T(find_ext_cap_walks_the_extended_list),
		T(an_empty_extended_list_has_nothing),
		T(a_256_byte_config_space_is_not_read_past_its_end),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
