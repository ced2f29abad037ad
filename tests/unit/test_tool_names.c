// SPDX-License-Identifier: MIT
/*
 * The names vfiox-info prints for VFIO's numbers: IOMMU types, page size
 * bitmaps (runs of three or more sizes shortened), vfio-pci's region and
 * IRQ indexes, and NULL for what it does not know.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/vfio.h>
#include <cmocka.h>
#include <vfiox/container.h>

#include "names.h"

static void iommu_types_have_their_uapi_names(void **state)
{
	(void)state;
	assert_string_equal(names_iommu_type(VFIO_TYPE1v2_IOMMU), "type1v2");
	assert_string_equal(names_iommu_type(VFIO_TYPE1_IOMMU), "type1");
	assert_string_equal(names_iommu_type(VFIO_NOIOMMU_IOMMU), "noiommu");
	assert_string_equal(names_iommu_type(0), "none");
	assert_string_equal(names_iommu_type(VFIOX_IOMMU_IOMMUFD), "iommufd");
	assert_null(names_iommu_type(VFIO_DMA_CC_IOMMU));	/* an extension, no type */
	assert_null(names_iommu_type(99));
}

static void page_sizes_are_listed_with_binary_suffixes(void **state)
{
	char buf[128];

	(void)state;
	assert_string_equal(names_page_sizes(0x40201000, " ", buf, sizeof(buf)), "4K 2M 1G");
	assert_string_equal(names_page_sizes(0x1000, " ", buf, sizeof(buf)), "4K");
	assert_string_equal(names_page_sizes(0x3000, ",", buf, sizeof(buf)), "4K,8K");
	assert_string_equal(names_page_sizes(0x800, " ", buf, sizeof(buf)), "2K");
	assert_string_equal(names_page_sizes(0x200, " ", buf, sizeof(buf)), "512");
	assert_string_equal(names_page_sizes(1ull << 40, " ", buf, sizeof(buf)), "1T");
	assert_string_equal(names_page_sizes(0, " ", buf, sizeof(buf)), "");
}

static void a_run_of_three_or_more_sizes_is_shortened(void **state)
{
	char buf[128];

	(void)state;
	/* AMD's IOMMU: every power of two from 4K up. */
	assert_string_equal(names_page_sizes(~0xfffull, " ", buf, sizeof(buf)), "4K-8E");
	assert_string_equal(names_page_sizes(0x7000 | 1ull << 30, " ", buf, sizeof(buf)),
			    "4K-16K 1G");
}

static void a_short_buffer_is_cut_not_overrun(void **state)
{
	char buf[8] = "xxxxxxx";

	(void)state;
	names_page_sizes(0x40201000, " ", buf, 6);
	assert_string_equal(buf, "4K 2M");
	assert_int_equal(buf[6], 'x');	/* past the length given */
}

static void pci_regions_and_irqs_have_names(void **state)
{
	(void)state;
	assert_string_equal(names_pci_region(VFIO_PCI_BAR0_REGION_INDEX), "BAR0");
	assert_string_equal(names_pci_region(VFIO_PCI_BAR5_REGION_INDEX), "BAR5");
	assert_string_equal(names_pci_region(VFIO_PCI_ROM_REGION_INDEX), "ROM");
	assert_string_equal(names_pci_region(VFIO_PCI_CONFIG_REGION_INDEX), "config");
	assert_string_equal(names_pci_region(VFIO_PCI_VGA_REGION_INDEX), "VGA");
	assert_null(names_pci_region(VFIO_PCI_NUM_REGIONS));
	assert_string_equal(names_pci_irq(VFIO_PCI_INTX_IRQ_INDEX), "INTx");
	assert_string_equal(names_pci_irq(VFIO_PCI_MSI_IRQ_INDEX), "MSI");
	assert_string_equal(names_pci_irq(VFIO_PCI_MSIX_IRQ_INDEX), "MSI-X");
	assert_string_equal(names_pci_irq(VFIO_PCI_ERR_IRQ_INDEX), "ERR");
	assert_string_equal(names_pci_irq(VFIO_PCI_REQ_IRQ_INDEX), "REQ");
	assert_null(names_pci_irq(VFIO_PCI_NUM_IRQS));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(iommu_types_have_their_uapi_names),
		cmocka_unit_test(page_sizes_are_listed_with_binary_suffixes),
		cmocka_unit_test(a_run_of_three_or_more_sizes_is_shortened),
		cmocka_unit_test(a_short_buffer_is_cut_not_overrun),
		cmocka_unit_test(pci_regions_and_irqs_have_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
