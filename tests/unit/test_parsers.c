// SPDX-License-Identifier: MIT
/* Text parsers: sysfs reserved_regions and PCI addresses. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "fake_kernel.h"

static int setup(void **state)
{
	(void)state;
	fk_reset();
	fk_log_capture();
	return 0;
}

static int parse(const char *text, struct vfiox_resv_region *out, size_t max)
{
	return vfiox_resv_parse(text, strlen(text), 3, out, max);
}

static void resv_well_formed_lines_parse(void **state)
{
	struct vfiox_resv_region r[4];

	(void)state;
	assert_int_equal(parse("0x0000000000000000 0x0000000000ffffff direct-relaxable\n"
			       "0x00000000fee00000 0x00000000feefffff msi\n", r, 4), 2);
	assert_int_equal(r[0].type, VFIOX_RESV_DIRECT_RELAXABLE);
	assert_int_equal(r[0].end, 0xffffff);
	assert_int_equal(r[0].group, 3);
	assert_int_equal(r[1].type, VFIOX_RESV_MSI);
	assert_int_equal(r[1].start, 0xfee00000);
	assert_string_equal(vfiox_resv_type_name(r[0].type), "direct-relaxable");
	/* No trailing newline, and more regions than room. */
	assert_int_equal(parse("0x1 0x2 reserved\n0x10 0x20 direct", r, 1), 2);
	assert_int_equal(r[0].type, VFIOX_RESV_RESERVED);
}

static void resv_empty_text_has_no_regions(void **state)
{
	(void)state;
	assert_int_equal(parse("", NULL, 0), 0);
	assert_int_equal(parse("\n\n", NULL, 0), 0);
}

static void resv_unknown_type_is_kept(void **state)
{
	struct vfiox_resv_region r[1];

	(void)state;
	assert_int_equal(parse("0x1000 0x1fff sw-msi-2030\n", r, 1), 1);
	assert_int_equal(r[0].type, VFIOX_RESV_UNKNOWN);
	assert_string_equal(r[0].type_name, "sw-msi-2030");
	assert_true(fk_log_has("unknown type 'sw-msi-2030'"));
}

static void resv_malformed_input_is_rejected(void **state)
{
	static const char *const bad[] = {
		"0x1000 msi\n",			/* truncated */
		"0x1000 0x1fff\n",		/* no type */
		"1000 0x1fff msi\n",		/* no 0x */
		"0x10g0 0x1fff msi\n",		/* bad digit */
		"0x2000 0x1000 msi\n",		/* end before start */
		"0x11112222333344445 0x1 msi\n",	/* 17 digits */
		"0x1000 0x1fff msi extra\n",	/* trailing word */
		"0x1000 0x1fff this-type-name-is-far-too-long\n",
	};
	char longline[400];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(parse(bad[i], NULL, 0), -EPROTO);
	memset(longline, ' ', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	memcpy(longline, "0x1 0x2 msi", 11);
	assert_int_equal(parse(longline, NULL, 0), -EPROTO);
	assert_true(fk_log_has("overlong"));
	assert_int_equal(vfiox_resv_parse("0x1 0x2 msi\0", 12, 0, NULL, 0), -EPROTO);
}

static void group_resv_regions_come_from_sysfs(void **state)
{
	struct vfiox_resv_region r[2];
	struct vfiox_container *c;
	struct vfiox_group *g;

	(void)state;
	assert_int_equal(fk_container_open(&c), 0);
	assert_int_equal(vfiox_group_open(c, 7, &g), 0);
	assert_int_equal(vfiox_group_resv_regions(g, r, 2), 1);
	assert_int_equal(r[0].type, VFIOX_RESV_MSI);
	assert_int_equal(r[0].group, 7);
	fk_fail_nth("open", 1, ENOMEM);
	assert_int_equal(vfiox_group_resv_regions(g, r, 2), -ENOMEM);
	vfiox_container_close(c);
	assert_int_equal(fk_open_fds(), 0);
}

static void pci_addresses_parse_strictly(void **state)
{
	struct vfiox_pci_addr a;
	char buf[16], big[4096];

	(void)state;
	assert_int_equal(vfiox_pci_parse_addr("0000:00:1f.3", &a), 0);
	assert_int_equal(a.dev, 0x1f);
	assert_int_equal(a.fn, 3);
	assert_int_equal(vfiox_pci_parse_addr("01:00.0", &a), 0);
	assert_int_equal(a.bus, 1);
	assert_int_equal(vfiox_pci_format_addr(&a, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "0000:01:00.0");
	assert_int_equal(vfiox_pci_format_addr(&a, buf, 12), -EINVAL);
	assert_int_equal(vfiox_pci_parse_addr("0000:00:20.0", &a), -EINVAL);
	assert_int_equal(vfiox_pci_parse_addr("0000:00:1f.8", &a), -EINVAL);
	assert_int_equal(vfiox_pci_parse_addr("0000:00:1f.3 ", &a), -EINVAL);
	assert_int_equal(vfiox_pci_parse_addr("00:1f", &a), -EINVAL);
	assert_int_equal(vfiox_pci_parse_addr("", &a), -EINVAL);
	memset(big, '0', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(vfiox_pci_parse_addr(big, &a), -EINVAL);
	assert_true(fk_log_has("is not a PCI address"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(resv_well_formed_lines_parse, setup),
		cmocka_unit_test_setup(resv_empty_text_has_no_regions, setup),
		cmocka_unit_test_setup(resv_unknown_type_is_kept, setup),
		cmocka_unit_test_setup(resv_malformed_input_is_rejected, setup),
		cmocka_unit_test_setup(group_resv_regions_come_from_sysfs, setup),
		cmocka_unit_test_setup(pci_addresses_parse_strictly, setup),
	};

	return cmocka_run_group_tests_name("parsers", tests, NULL, NULL);
}
