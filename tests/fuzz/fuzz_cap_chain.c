// SPDX-License-Identifier: MIT
/*
 * vfiox_cap_walk() over an arbitrary info buffer: the first byte picks the
 * fixed header size, the next four the first offset; every capability the
 * walker hands out is read in full.
 */
#include "fuzz.h"

static int visit(const struct vfiox_cap *cap, void *arg)
{
	*(unsigned int *)arg += fuzz_touch(cap->data, cap->len);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t hdr_sizes[] = { 16, 24, 32, 40 };
	unsigned int sum = 0;
	uint32_t first;

	fuzz_init();
	if (size < 5)
		return 0;
	memcpy(&first, data + 1, sizeof(first));
	vfiox_cap_walk(data + 5, size - 5, hdr_sizes[data[0] & 3], first, visit, &sum);
	return 0;
}
