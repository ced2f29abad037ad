// SPDX-License-Identifier: MIT
/*
 * examples/nvme-io's parts that need no device: NVMe completion statuses
 * by name, and the verify pattern (it survives a round trip, and a flipped
 * byte, a block read from the wrong LBA or with another seed, and a short
 * or corrupted disk image are all caught).
 */
#include <setjmp.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "nvme.h"

volatile sig_atomic_t nvme_stop;

static void statuses_have_their_specification_names(void **state)
{
	(void)state;
	assert_string_equal(nvme_status_name(0x0000), "Successful Completion");
	assert_string_equal(nvme_status_name(0x0002), "Invalid Field in Command");
	assert_string_equal(nvme_status_name(0x0080), "LBA Out of Range");
	assert_string_equal(nvme_status_name(0x0101), "Invalid Queue Identifier");
	assert_string_equal(nvme_status_name(0x0108), "Invalid Interrupt Vector");
	assert_string_equal(nvme_status_name(0x0281), "Unrecovered Read Error");
	/* do-not-retry and more bits do not change the name */
	assert_string_equal(nvme_status_name(0xc080), "LBA Out of Range");
	assert_null(nvme_status_name(0x00ff));
	assert_null(nvme_status_name(0x0381));	/* path-related: not named */
	assert_null(nvme_status_name(0x0780));	/* vendor specific */
}

static void a_formatted_status_says_type_code_and_do_not_retry(void **state)
{
	char buf[128];

	(void)state;
	nvme_status_format(0x4080, buf, sizeof(buf));
	assert_string_equal(buf, "LBA Out of Range (type 0x0, code 0x80, do not retry)");
	nvme_status_format(0x0712, buf, sizeof(buf));
	assert_string_equal(buf, "unknown status (type 0x7, code 0x12)");
}

static void the_pattern_survives_a_round_trip_and_a_flipped_byte_is_one_bad_lba(void **state)
{
	uint8_t *buf = malloc(8 * 512);
	uint64_t first = 0;

	(void)state;
	pattern_fill(buf, 100, 8, 512, 5);
	assert_int_equal(pattern_check(buf, 100, 8, 512, 5, &first), 0);
	buf[3 * 512 + 17] ^= 0x10;
	assert_int_equal(pattern_check(buf, 100, 8, 512, 5, &first), 1);
	assert_int_equal(first, 103);
	free(buf);
}

static void another_lba_or_seed_reads_as_all_bad(void **state)
{
	uint8_t *buf = malloc(8 * 4096);
	uint64_t first = 0;

	(void)state;
	pattern_fill(buf, 0, 8, 4096, 23);
	assert_int_equal(pattern_check(buf, 1, 8, 4096, 23, &first), 8);
	assert_int_equal(first, 1);
	assert_int_equal(pattern_check(buf, 0, 8, 4096, 24, &first), 8);
	memset(buf, 0, 8 * 4096);	/* an unwritten disk */
	assert_int_equal(pattern_check(buf, 0, 8, 4096, 23, &first), 8);
	free(buf);
}

static void an_image_check_counts_bad_lbas_and_refuses_a_short_image(void **state)
{
	char path[] = "/tmp/nvme-io-image-XXXXXX";
	uint8_t *buf = malloc(16 * 512);
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	pattern_fill(buf, 0, 16, 512, 7);
	assert_int_equal(write(fd, buf, 16 * 512), 16 * 512);
	assert_int_equal(pattern_check_image(path, 0, 0, 512, 7), 0);
	assert_int_equal(pattern_check_image(path, 4, 12, 512, 7), 0);
	assert_int_equal(pattern_check_image(path, 0, 0, 512, 8), 16);
	assert_int_equal(pwrite(fd, "x", 1, 7 * 512 + 100), 1);
	assert_int_equal(pattern_check_image(path, 0, 0, 512, 7), 1);
	assert_int_equal(pattern_check_image(path, 8, 9, 512, 7), -ENODATA);
	assert_int_equal(pattern_check_image(path, 16, 0, 512, 7), -ENODATA);
	close(fd);
	unlink(path);
	assert_true(pattern_check_image(path, 0, 0, 512, 7) < 0);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(statuses_have_their_specification_names),
		cmocka_unit_test(a_formatted_status_says_type_code_and_do_not_retry),
		cmocka_unit_test(the_pattern_survives_a_round_trip_and_a_flipped_byte_is_one_bad_lba),
		cmocka_unit_test(another_lba_or_seed_reads_as_all_bad),
		cmocka_unit_test(an_image_check_counts_bad_lbas_and_refuses_a_short_image),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
