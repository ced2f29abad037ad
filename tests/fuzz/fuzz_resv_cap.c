// SPDX-License-Identifier: MIT
/* vfiox_resv_parse_cap() over an arbitrary reserved-regions capability. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vfiox_resv_region r[8];
	int n;

	fuzz_init();
	n = vfiox_resv_parse_cap(data, size, r, 8);
	if (n > 0)
		fuzz_touch(r, (size_t)(n < 8 ? n : 8) * sizeof(r[0]));
	return 0;
}
