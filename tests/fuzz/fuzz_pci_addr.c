// SPDX-License-Identifier: MIT
/* vfiox_pci_parse_addr() and vfiox_pci_parse_id() over arbitrary strings
 * (up to 4 KiB). */
#include <stdlib.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vfiox_pci_addr a;
	int32_t vendor, device;
	char buf[16];
	char *s;

	fuzz_init();
	if (size > 4096)
		return 0;
	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (vfiox_pci_parse_addr(s, &a) == 0 &&
	    vfiox_pci_format_addr(&a, buf, sizeof(buf)) != 0)
		abort();	/* a parsed address must print */
	if (vfiox_pci_parse_id(s, &vendor, &device) == 0 &&
	    (vendor < -1 || vendor > 0xffff || device < -1 || device > 0xffff))
		abort();	/* IDs are 16-bit or the wildcard */
	free(s);
	return 0;
}
