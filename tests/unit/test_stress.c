// SPDX-License-Identifier: MIT
/*
 * Concurrency stress against the fake kernel (tests/stress.h): 4 threads,
 * 256 buffers each, 200 rounds of map/translate/reverse/unmap with the books
 * checked between rounds. The sanitize suite runs it under TSan.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "fake_kernel.h"
#include "../stress.h"

static void threads_map_translate_unmap_and_agree(void **state)
{
	static struct stress s = { .threads = 4, .bufs = 256, .rounds = 200 };
	size_t len = (size_t)s.threads * s.bufs * STRESS_PAGE;
	struct vfiox_group *g;

	(void)state;
	fk_reset();
	fk_log_capture();
	assert_int_equal(fk_open_group7(&s.c, &g), 0);
	s.mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(s.mem != MAP_FAILED);
	if (stress_run(&s))
		fail_msg("%s", s.err);
	assert_true(vfiox_dma_unmap_all(s.c) >= 0);
	assert_int_equal(fk.nr_maps, 0);
	assert_true(fk_close_clean(s.c));
	munmap(s.mem, len);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(threads_map_translate_unmap_and_agree),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
