/* SPDX-License-Identifier: MIT */
/*
 * Names for the numbers VFIO reports, as the tools print them: IOMMU types,
 * page size bitmaps, and vfio-pci's region and IRQ indexes. Presentation
 * only, so they live with the tools, not in the library.
 */
#ifndef VFIOX_TOOLS_NAMES_H
#define VFIOX_TOOLS_NAMES_H

#include <stddef.h>
#include <stdint.h>

/* "type1v2", "type1", ...; "none" for 0; NULL for a type it does not know. */
const char *names_iommu_type(int type);

/*
 * The page sizes of @bitmap into @buf, smallest first, with binary
 * suffixes and @sep between them: "4K 2M 1G". A run of three or more
 * consecutive sizes is written "4K-8E" (every power of two between). ""
 * for 0. Return: @buf.
 */
char *names_page_sizes(uint64_t bitmap, const char *sep, char *buf, size_t len);

/* vfio-pci's region @index: "BAR0".."BAR5", "ROM", "config", "VGA"; else NULL. */
const char *names_pci_region(uint32_t index);

/* vfio-pci's IRQ @index: "INTx", "MSI", "MSI-X", "ERR", "REQ"; else NULL. */
const char *names_pci_irq(uint32_t index);

#endif
