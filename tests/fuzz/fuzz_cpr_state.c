// SPDX-License-Identifier: MIT
/*
 * The live update state's parser (vfiox_dma_restore()'s first step) over
 * arbitrary bytes. The first input byte picks the mode: odd, the rest is
 * sealed with its own checksum first, so that the fuzzer reaches the
 * checks behind the CRC; even, it is parsed as it comes. The state starts
 * at an odd address, as inside a VMM's migration stream. Every record of
 * an accepted state is read back and must be sound.
 */
#include <stdlib.h>

#include "../../lib/dma_cpr_state.h"
#include "fuzz.h"

static void check_records(const struct cpr_state *s)
{
	struct cpr_record r;
	uint32_t i;

	for (i = 0; i < s->count; i++) {
		vfiox_cpr_state_record(s, i, &r);
		if (!r.len || (r.iova | r.vaddr | r.len) & (s->page - 1) ||
		    r.iova + r.len - 1 < r.iova || r.vaddr + r.len - 1 < r.vaddr)
			abort();	/* the parser let an unsound record through */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cpr_state s;
	uint8_t *buf;

	if (!size)
		return 0;
	fuzz_init();
	buf = malloc(size);	/* buf + 1: the state, at an odd address */
	if (!buf)
		return 0;
	memcpy(buf + 1, data + 1, size - 1);
	if (data[0] & 1)
		vfiox_cpr_state_seal(buf + 1, size - 1);
	if (!vfiox_cpr_state_parse(buf + 1, size - 1, &s))
		check_records(&s);
	free(buf);
	return 0;
}
