// SPDX-License-Identifier: MIT
/*
 * Input limits: every value past what the device or the address space has
 * gets a clear error (an errno and a log line) and no syscall is made with
 * it. Each case is one row: the call, the errno it must return.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fake_kernel.h"

static struct vfiox_container *c;
static struct vfiox_group *g;
static struct vfiox_device *d;
static uint8_t page[8192] __attribute__((aligned(4096)));
static char bdf_4k[4097];

static int setup(void **state)
{
	(void)state;
	if (fk_fresh_group7(&c, &g))
		return -1;
	memset(bdf_4k, '0', sizeof(bdf_4k) - 1);
	return vfiox_device_open(g, "0000:00:03.0", NULL, &d);
}

static int teardown(void **state)
{
	(void)state;
	assert_true(fk_close_clean(c));
	return 0;
}

static int region_index_past_end(void)
{
	uint8_t b;

	return vfiox_region_read(d, VFIO_PCI_NUM_REGIONS, 0, &b, 1);
}

static int region_offset_near_u64_max(void)
{
	uint8_t b[2];

	return vfiox_region_read(d, VFIO_PCI_CONFIG_REGION_INDEX, UINT64_MAX, b, 2);
}

static int region_len_near_u64_max(void)
{
	return vfiox_region_write(d, VFIO_PCI_CONFIG_REGION_INDEX, 16, page, SIZE_MAX);
}

static int mmap_index_past_end(void)
{
	void *p;

	return vfiox_region_mmap(d, 1000, &p);
}

static int irq_index_past_end(void)
{
	int fds[1];

	return vfiox_irq_enable(d, VFIO_PCI_NUM_IRQS + 3, 0, 1, fds);
}

static int irq_count_past_end(void)
{
	static int fds[70];

	return vfiox_irq_enable(d, VFIO_PCI_MSIX_IRQ_INDEX, 60, 10, fds);
}

static int irq_start_wrapping(void)
{
	int fds[2];

	return vfiox_irq_enable(d, VFIO_PCI_MSIX_IRQ_INDEX, UINT32_MAX, 2, fds);
}

static int irq_vector_past_end(void)
{
	return vfiox_irq_mask(d, VFIO_PCI_INTX_IRQ_INDEX, 1);
}

static int map_len_near_u64_max(void)
{
	uint64_t iova;

	return vfiox_dma_map(c, page, SIZE_MAX - 4095, NULL, &iova);
}

static int map_fixed_iova_wrapping(void)
{
	return vfiox_dma_map_fixed(c, page, 8192, UINT64_MAX - 4095, NULL);
}

static int unmap_len_wrapping(void)
{
	return vfiox_dma_unmap_iova(c, UINT64_MAX - 4095, 8192);
}

static int bdf_of_4k(void)
{
	struct vfiox_group *g2;

	return vfiox_group_open_pci(c, bdf_4k, &g2);
}

static int device_name_of_4k(void)
{
	struct vfiox_device *d2;

	return vfiox_device_open(g, bdf_4k, NULL, &d2);
}

static const struct {
	const char *name;
	int (*call)(void);
	int err;
} rows[] = {
	{ "region index past the device's", region_index_past_end, -EINVAL },
	{ "region offset near UINT64_MAX", region_offset_near_u64_max, -EINVAL },
	{ "region length near SIZE_MAX", region_len_near_u64_max, -EINVAL },
	{ "mmap of a region index past the device's", mmap_index_past_end, -EINVAL },
	{ "IRQ index past the device's", irq_index_past_end, -EINVAL },
	{ "IRQ count past the index's", irq_count_past_end, -EINVAL },
	{ "IRQ start + count wrapping", irq_start_wrapping, -EINVAL },
	{ "IRQ vector past the index's", irq_vector_past_end, -EINVAL },
	{ "map length near SIZE_MAX", map_len_near_u64_max, -EINVAL },
	{ "fixed IOVA + length wrapping", map_fixed_iova_wrapping, -EINVAL },
	{ "unmap IOVA + length wrapping", unmap_len_wrapping, -EINVAL },
	{ "a 4 KiB PCI address", bdf_of_4k, -EINVAL },
	{ "a 4 KiB device name", device_name_of_4k, -EINVAL },
};

static void every_limit_is_an_error_without_a_syscall(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		unsigned long calls = fk.calls;
		int ret;

		fk_log_capture();
		ret = rows[i].call();
		if (ret != rows[i].err)
			fail_msg("%s: returned %d, want %d", rows[i].name, ret, rows[i].err);
		if (fk.calls != calls)
			fail_msg("%s: made %lu syscalls", rows[i].name, fk.calls - calls);
		if (!fk_log_has("\n"))	/* every captured message ends so */
			fail_msg("%s: no log line", rows[i].name);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(every_limit_is_an_error_without_a_syscall,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
