// SPDX-License-Identifier: MIT
/* vfiox_resv_parse() over arbitrary reserved_regions text. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vfiox_resv_region r[8];
	int n;

	fuzz_init();
	n = vfiox_resv_parse((const char *)data, size, 3, r, 8);
	if (n > 0)
		fuzz_touch(r, (size_t)(n < 8 ? n : 8) * sizeof(r[0]));
	return 0;
}
