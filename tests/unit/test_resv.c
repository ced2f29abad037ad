// SPDX-License-Identifier: MIT
/*
 * Reserved regions: the series' capability parser, the same answer from the
 * capability and from sysfs, the relaxable policy of the allocator and of
 * fixed maps, and the identity-map helper.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "../../lib/dma_cpr_state.h"
#include "fake_kernel.h"

#define MB (1ULL << 20)
#define RESV_FILE "/fake/sys/kernel/iommu_groups/7/reserved_regions"

static const struct vfiox_iommu_resv_region floppy_and_msi[] = {
	{ 0x0, 0xffffff, VFIOX_IOMMU_RESV_DIRECT_RELAXABLE, 7,
	  VFIOX_IOMMU_RESV_MAPPABLE, 0 },
	{ 0xfee00000, 0xfeefffff, VFIOX_IOMMU_RESV_MSI, 7, 0, 0 },
};

static const char floppy_and_msi_text[] =
	"0x0000000000000000 0x0000000000ffffff direct-relaxable\n"
	"0x00000000fee00000 0x00000000feefffff msi\n";

static struct vfiox_container *c;
static struct vfiox_group *g;
static uint8_t *mem;

/* Replace group 7's sysfs reserved_regions text. */
static void set_resv_text(const char *text)
{
	int i;

	for (i = 0; i < fk.nr_files; i++)
		if (!strcmp(fk.files[i].path, RESV_FILE))
			strcpy(fk.files[i].content, text);
}

/* The default machine with the floppy window in sysfs and, if @cap, in
 * the capability too. */
static void machine(bool cap)
{
	static const struct vfio_iova_range whole = { 0, 0x7fffffffffULL };

	fk_reset();
	fk_log_capture();
	set_resv_text(floppy_and_msi_text);
	fk_info_begin(0x40201000ULL);
	fk_info_add_dma_avail(65535);
	fk_info_add_iova(&whole, 1);
	if (cap)
		fk_info_add_resv(floppy_and_msi, 2, sizeof(floppy_and_msi[0]));
}

static int open_group(void)
{
	assert_int_equal(fk_container_open(&c), 0);
	return vfiox_group_open(c, 7, &g);
}

static int setup(void **state)
{
	(void)state;
	machine(true);
	return open_group();
}

static int teardown(void **state)
{
	(void)state;
	assert_true(fk_close_clean(c));
	return 0;
}

static int group_setup(void **state)
{
	(void)state;
	mem = mmap(NULL, 32 * MB, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return mem == MAP_FAILED;
}

static int group_teardown(void **state)
{
	(void)state;
	return munmap(mem, 32 * MB);
}

/* A capability buffer: header then @n entries @esz bytes apart. */
static size_t build_cap(uint8_t *buf, const struct vfiox_iommu_resv_region *r,
			uint32_t n, uint32_t esz)
{
	struct vfiox_iommu_type1_info_cap_resv_regions hdr = {
		.header = { .id = VFIOX_IOMMU_TYPE1_INFO_CAP_RESV_REGIONS,
			    .version = 1 },
		.nr_regions = n, .entry_size = esz,
	};
	uint32_t i;

	memset(buf, 0xa5, sizeof(hdr) + n * esz);
	memcpy(buf, &hdr, sizeof(hdr));
	for (i = 0; i < n; i++)
		memcpy(buf + sizeof(hdr) + i * esz, &r[i], sizeof(*r));
	return sizeof(hdr) + n * esz;
}

static void cap_well_formed_parses(void **state)
{
	struct vfiox_resv_region r[2];
	uint8_t buf[256];
	size_t len = build_cap(buf, floppy_and_msi, 2, sizeof(floppy_and_msi[0]));

	(void)state;
	assert_int_equal(vfiox_resv_parse_cap(buf, len, r, 2), 2);
	assert_int_equal(r[0].start, 0);
	assert_int_equal(r[0].end, 0xffffff);
	assert_int_equal(r[0].type, VFIOX_RESV_DIRECT_RELAXABLE);
	assert_string_equal(r[0].type_name, "direct-relaxable");
	assert_int_equal(r[0].group, 7);
	assert_int_equal(r[1].type, VFIOX_RESV_MSI);
	/* Fewer slots than regions: the count still says how many. */
	assert_int_equal(vfiox_resv_parse_cap(buf, len, r, 1), 2);
	assert_int_equal(vfiox_resv_parse_cap(buf, len, NULL, 0), 2);
	assert_int_equal(vfiox_resv_parse_cap(buf, len, NULL, 1), -EINVAL);
}

static void cap_empty_has_no_regions(void **state)
{
	uint8_t buf[64];
	size_t len = build_cap(buf, NULL, 0, sizeof(struct vfiox_iommu_resv_region));

	(void)state;
	assert_int_equal(vfiox_resv_parse_cap(buf, len, NULL, 0), 0);
}

/* A later version's larger entries are stepped over by entry_size. */
static void cap_grown_entries_are_stepped_over(void **state)
{
	struct vfiox_resv_region r[2];
	uint8_t buf[256];
	size_t len = build_cap(buf, floppy_and_msi, 2,
			       sizeof(floppy_and_msi[0]) + 24);

	(void)state;
	assert_int_equal(vfiox_resv_parse_cap(buf, len, r, 2), 2);
	assert_int_equal(r[1].start, 0xfee00000);
	assert_int_equal(r[1].group, 7);
}

static void cap_truncated_is_rejected(void **state)
{
	uint8_t buf[256];
	size_t len = build_cap(buf, floppy_and_msi, 2, sizeof(floppy_and_msi[0]));

	(void)state;
	assert_int_equal(vfiox_resv_parse_cap(buf, 12, NULL, 0), -EPROTO);
	assert_true(fk_log_has("truncated"));
	assert_int_equal(vfiox_resv_parse_cap(buf, len - 1, NULL, 0), -EPROTO);
	assert_true(fk_log_has("do not fit"));
	/* Entries smaller than version 1's. */
	len = build_cap(buf, floppy_and_msi, 2, 16);
	assert_int_equal(vfiox_resv_parse_cap(buf, len, NULL, 0), -EPROTO);
}

static void cap_unknown_type_is_kept(void **state)
{
	struct vfiox_iommu_resv_region e = { 0x1000, 0x1fff, 9, 3, 0, 0 };
	struct vfiox_resv_region r;
	uint8_t buf[64];
	size_t len = build_cap(buf, &e, 1, sizeof(e));

	(void)state;
	assert_int_equal(vfiox_resv_parse_cap(buf, len, &r, 1), 1);
	assert_int_equal(r.type, VFIOX_RESV_UNKNOWN);
	assert_string_equal(r.type_name, "type-9");
	assert_true(fk_log_has("unknown type 9"));
}

/* The capability's counterpart of a malformed number. */
static void cap_bad_entry_is_rejected(void **state)
{
	struct vfiox_iommu_resv_region inverted = { 0x2000, 0x1000, 1, 3, 0, 0 };
	struct vfiox_iommu_resv_region bad_group = { 0x1000, 0x1fff, 1, 0x80000000u, 0, 0 };
	uint8_t buf[64];

	(void)state;
	assert_int_equal(vfiox_resv_parse_cap(buf, build_cap(buf, &inverted, 1, sizeof(inverted)),
					      NULL, 0), -EPROTO);
	assert_int_equal(vfiox_resv_parse_cap(buf, build_cap(buf, &bad_group, 1, sizeof(bad_group)),
					      NULL, 0), -EPROTO);
	assert_true(fk_log_has("inverted or out of range"));
}

static int read_all(struct vfiox_resv_region *r, size_t max, bool *has_cap)
{
	struct vfiox_iommu_info info = { .sz = sizeof(info) };

	assert_int_equal(vfiox_container_iommu_info(c, &info), 0);
	*has_cap = info.has_resv_regions;
	return vfiox_container_resv_regions(c, r, max);
}

/* The caller cannot tell the sources apart, except by has_resv_regions. */
static void cap_and_sysfs_give_the_same_regions(void **state)
{
	struct vfiox_resv_region from_cap[4], from_sysfs[4], of_group[4];
	bool has_cap;

	(void)state;
	memset(from_cap, 0, sizeof(from_cap));
	memset(from_sysfs, 0, sizeof(from_sysfs));
	assert_int_equal(read_all(from_cap, 4, &has_cap), 2);
	assert_true(has_cap);
	/* The capability wins: sysfs saying otherwise is not read. */
	set_resv_text("0x1000 0x1fff msi\n");
	assert_int_equal(vfiox_group_resv_regions(g, of_group, 4), 2);
	assert_memory_equal(of_group, from_cap, 2 * sizeof(of_group[0]));
	vfiox_container_close(c);

	machine(false);
	assert_int_equal(open_group(), 0);
	assert_int_equal(read_all(from_sysfs, 4, &has_cap), 2);
	assert_false(has_cap);
	assert_memory_equal(from_cap, from_sysfs, sizeof(from_cap));
}

static void resv_needs_an_attached_group(void **state)
{
	struct vfiox_container *bare;

	(void)state;
	assert_int_equal(fk_container_open(&bare), 0);
	assert_int_equal(vfiox_container_resv_regions(bare, NULL, 0), -ENODEV);
	assert_int_equal(vfiox_container_resv_regions(NULL, NULL, 0), -EINVAL);
	assert_int_equal(vfiox_container_resv_regions(c, NULL, 1), -EINVAL);
	vfiox_container_close(bare);
}

static void relaxable_is_avoided_by_default(void **state)
{
	struct vfiox_dma_opts narrow = { .sz = sizeof(narrow), .iova_limit = 0xffffff };
	unsigned long calls = fk.map_calls;
	uint64_t iova = 0;
	int i;

	(void)state;
	for (i = 0; i < 16; i++) {
		assert_int_equal(vfiox_dma_map(c, mem + i * 4096, 4096, NULL, &iova), 0);
		assert_true(iova > 0xffffff);
	}
	assert_int_equal(vfiox_dma_map(c, mem + MB, 4096, &narrow, &iova), -ENOSPC);
	calls = fk.map_calls;
	assert_int_equal(vfiox_dma_map_fixed(c, mem + MB, 4096, 0x100000, NULL), -EPERM);
	assert_int_equal(fk.map_calls, calls);
	assert_true(fk_log_has("direct-relaxable region [0x0, 0xffffff] of group 7"));
}

static void relaxable_is_used_after_opt_in(void **state)
{
	struct vfiox_dma_opts narrow = { .sz = sizeof(narrow), .iova_limit = 0xffffff };
	uint64_t iova = UINT64_MAX;

	(void)state;
	vfiox_container_close(c);
	fk.allow_relaxable = true;
	assert_int_equal(open_group(), 0);
	assert_int_equal(vfiox_dma_map(c, mem, 4096, &narrow, &iova), 0);
	assert_true(iova <= 0xffffff);
	assert_int_equal(vfiox_dma_map_fixed(c, mem + MB, 4096, 0x100000, NULL), 0);
	assert_int_equal(fk.maps[fk.nr_maps - 1].iova, 0x100000);
	/* The MSI window is still a hole. */
	assert_int_equal(vfiox_dma_map_fixed(c, mem + 2 * MB, 4096, 0xfee00000, NULL),
			 -EINVAL);
}

/*
 * A live update state holding a mapping in a direct-relaxable region
 * (identity-mapped by the old process) restored into a container adopted
 * without allow_relaxable: refused, and the log line names the cause.
 */
static void restore_into_relaxable_names_allow_relaxable(void **state)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m), .flags = VFIO_DMA_MAP_FLAG_READ,
		.vaddr = (uintptr_t)mem, .iova = 0x100000, .size = 4096,
	};
	struct cpr_state h = { .count = 1, .page = 4096, .iommu_type = 3,
			       .backend = CPR_BACKEND_TYPE1 };
	struct cpr_record r = { (uintptr_t)mem, 0x100000, 4096 };
	unsigned char buf[96];

	(void)state;
	fk.extensions |= 1u << VFIO_UPDATE_VADDR;
	/* The old process's identity mapping, its vaddr invalidated. */
	assert_int_equal(fake_sys.ioctl(vfiox_container_fd(c), VFIO_IOMMU_MAP_DMA, &m), 0);
	fk.maps[fk.nr_maps - 1].invalid = true;
	h.kernel_avail = fk.dma_avail;
	vfiox_cpr_state_put_header(buf, &h);
	vfiox_cpr_state_put_record(buf, 0, &r);
	vfiox_cpr_state_seal(buf, sizeof(buf));
	assert_int_equal(vfiox_dma_restore(c, buf, sizeof(buf), NULL, NULL), -EINVAL);
	assert_true(fk_log_has("direct-relaxable region: adopt with allow_relaxable"));
	assert_true(fk.maps[fk.nr_maps - 1].invalid);
}

static void identity_regions_are_page_aligned_and_merged(void **state)
{
	static const struct vfiox_iommu_resv_region rmrrs[] = {
		{ 0x0, 0xffffff, VFIOX_IOMMU_RESV_DIRECT_RELAXABLE, 7, 1, 0 },
		{ 0x1001800, 0x1001fff, VFIOX_IOMMU_RESV_DIRECT_RELAXABLE, 7, 1, 0 },
		{ 0x1001000, 0x1002007, VFIOX_IOMMU_RESV_DIRECT_RELAXABLE, 7, 1, 0 },
		{ 0x4000000, 0x4000fff, VFIOX_IOMMU_RESV_DIRECT_RELAXABLE, 7, 1, 0 },
		{ 0xfee00000, 0xfeefffff, VFIOX_IOMMU_RESV_MSI, 7, 0, 0 },
	};
	struct vfiox_iova_range r[4];

	(void)state;
	vfiox_container_close(c);
	machine(false);
	fk_info_add_resv(rmrrs, 5, sizeof(rmrrs[0]));
	assert_int_equal(open_group(), 0);
	assert_int_equal(vfiox_dma_identity_regions(c, r, 4), 3);
	assert_int_equal(r[0].start, 0);
	assert_int_equal(r[0].end, 0xffffff);
	assert_int_equal(r[1].start, 0x1001000);
	assert_int_equal(r[1].end, 0x1002fff);
	assert_int_equal(r[2].start, 0x4000000);
	assert_int_equal(r[2].end, 0x4000fff);
	assert_int_equal(vfiox_dma_identity_regions(c, NULL, 0), 3);
	assert_int_equal(vfiox_dma_identity_regions(c, NULL, 1), -EINVAL);
}

static void identity_map_needs_the_opt_in(void **state)
{
	struct vfiox_iova_range r;
	unsigned long calls = fk.map_calls;

	(void)state;
	assert_int_equal(vfiox_dma_identity_regions(c, &r, 1), 1);
	assert_int_equal(vfiox_dma_map_identity(c, &r, mem, NULL), -EPERM);
	assert_int_equal(fk.map_calls, calls);
	assert_true(fk_log_has("allow_relaxable"));
}

static void identity_map_maps_iova_equal_address(void **state)
{
	struct vfiox_iova_range r, off_by_page;
	uint64_t iova;

	(void)state;
	vfiox_container_close(c);
	fk.allow_relaxable = true;
	assert_int_equal(open_group(), 0);
	assert_int_equal(vfiox_dma_identity_regions(c, &r, 1), 1);
	off_by_page = (struct vfiox_iova_range){ r.start + 4096, r.end };
	assert_int_equal(vfiox_dma_map_identity(c, &off_by_page, mem, NULL), -EINVAL);
	assert_true(fk_log_has("is not one of"));
	assert_int_equal(vfiox_dma_map_identity(c, &r, mem, NULL), 0);
	assert_int_equal(fk.nr_maps, 1);
	assert_int_equal(fk.maps[0].iova, 0);
	assert_int_equal(fk.maps[0].size, 16 * MB);
	assert_int_equal(vfiox_dma_translate(c, mem + 0x123456, &iova), 0);
	assert_int_equal(iova, 0x123456);
	assert_int_equal(vfiox_dma_map_identity(c, &r, mem + 16 * MB, NULL), -EEXIST);
	assert_int_equal(vfiox_dma_unmap_iova(c, 0, 16 * MB), 0);
}

/* strict_relaxable: the kernel's IOVA ranges leave the region out. */
static void identity_map_refused_when_the_kernel_is_strict(void **state)
{
	static const struct vfio_iova_range above = { 0x1000000, 0x7fffffffffULL };
	struct vfiox_iommu_resv_region strict[2];
	struct vfiox_iova_range r;

	(void)state;
	vfiox_container_close(c);
	memcpy(strict, floppy_and_msi, sizeof(strict));
	strict[0].flags = 0;
	fk_reset();
	fk_log_capture();
	set_resv_text(floppy_and_msi_text);
	fk_info_begin(0x40201000ULL);
	fk_info_add_iova(&above, 1);
	fk_info_add_resv(strict, 2, sizeof(strict[0]));
	fk.allow_relaxable = true;
	assert_int_equal(open_group(), 0);
	assert_int_equal(vfiox_dma_identity_regions(c, &r, 1), 1);
	assert_int_equal(vfiox_dma_map_identity(c, &r, mem, NULL), -EINVAL);
	assert_true(fk_log_has("leaves the usable IOVA ranges"));
	assert_int_equal(fk.nr_maps, 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(cap_well_formed_parses),
		T(cap_empty_has_no_regions),
		T(cap_grown_entries_are_stepped_over),
		T(cap_truncated_is_rejected),
		T(cap_unknown_type_is_kept),
		T(cap_bad_entry_is_rejected),
		T(cap_and_sysfs_give_the_same_regions),
		T(resv_needs_an_attached_group),
		T(relaxable_is_avoided_by_default),
		T(relaxable_is_used_after_opt_in),
		T(restore_into_relaxable_names_allow_relaxable),
		T(identity_regions_are_page_aligned_and_merged),
		T(identity_map_needs_the_opt_in),
		T(identity_map_maps_iova_equal_address),
		T(identity_map_refused_when_the_kernel_is_strict),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
