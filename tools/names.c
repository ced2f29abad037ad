// SPDX-License-Identifier: MIT
/* Names for VFIO's numbers, for the tools' output; see names.h. */
#include <stdio.h>
#include <string.h>
#include <linux/vfio.h>
#include <vfiox/container.h>

#include "names.h"

const char *names_iommu_type(int type)
{
	switch (type) {
	case 0: return "none";
	case VFIO_TYPE1_IOMMU: return "type1";
	case VFIO_SPAPR_TCE_IOMMU: return "spapr-tce";
	case VFIO_TYPE1v2_IOMMU: return "type1v2";
	case VFIO_TYPE1_NESTING_IOMMU: return "type1-nesting";
	case VFIO_SPAPR_TCE_v2_IOMMU: return "spapr-tce-v2";
	case VFIO_NOIOMMU_IOMMU: return "noiommu";
	case VFIOX_IOMMU_IOMMUFD: return "iommufd";
	default: return NULL;
	}
}

/* 1 << @shift as "4K", "2M", "1G", ...: the largest unit it is a whole of. */
static void one_size(unsigned int shift, char *buf, size_t len)
{
	static const char units[] = "KMGTPE";
	unsigned int u = shift / 10;

	if (u == 0)
		snprintf(buf, len, "%llu", 1ull << shift);
	else
		snprintf(buf, len, "%llu%c", 1ull << (shift - 10 * u), units[u - 1]);
}

/* Appends @s (after @sep unless it is the first) while it fits. */
static void append(char *buf, size_t len, const char *sep, const char *s)
{
	size_t used = strlen(buf);

	snprintf(buf + used, len - used, "%s%s", used ? sep : "", s);
}

char *names_page_sizes(uint64_t bitmap, const char *sep, char *buf, size_t len)
{
	char a[16], b[16], run[40];
	unsigned int i = 0, end;

	if (len)
		buf[0] = '\0';
	while (i < 64) {
		if (!(bitmap >> i & 1)) {
			i++;
			continue;
		}
		for (end = i; end + 1 < 64 && (bitmap >> (end + 1) & 1); end++)
			;
		one_size(i, a, sizeof(a));
		if (end - i >= 2) {
			one_size(end, b, sizeof(b));
			snprintf(run, sizeof(run), "%s-%s", a, b);
			append(buf, len, sep, run);
			i = end + 1;
			continue;
		}
		append(buf, len, sep, a);
		i++;
	}
	return buf;
}

const char *names_pci_region(uint32_t index)
{
	static const char *const names[] = {
		[VFIO_PCI_BAR0_REGION_INDEX] = "BAR0", [VFIO_PCI_BAR1_REGION_INDEX] = "BAR1",
		[VFIO_PCI_BAR2_REGION_INDEX] = "BAR2", [VFIO_PCI_BAR3_REGION_INDEX] = "BAR3",
		[VFIO_PCI_BAR4_REGION_INDEX] = "BAR4", [VFIO_PCI_BAR5_REGION_INDEX] = "BAR5",
		[VFIO_PCI_ROM_REGION_INDEX] = "ROM", [VFIO_PCI_CONFIG_REGION_INDEX] = "config",
		[VFIO_PCI_VGA_REGION_INDEX] = "VGA",
	};

	return index < sizeof(names) / sizeof(names[0]) ? names[index] : NULL;
}

const char *names_pci_irq(uint32_t index)
{
	static const char *const names[] = {
		[VFIO_PCI_INTX_IRQ_INDEX] = "INTx", [VFIO_PCI_MSI_IRQ_INDEX] = "MSI",
		[VFIO_PCI_MSIX_IRQ_INDEX] = "MSI-X", [VFIO_PCI_ERR_IRQ_INDEX] = "ERR",
		[VFIO_PCI_REQ_IRQ_INDEX] = "REQ",
	};

	return index < sizeof(names) / sizeof(names[0]) ? names[index] : NULL;
}
