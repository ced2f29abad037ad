// SPDX-License-Identifier: MIT
/*
 * Structs that grow (the rules in vfiox.h), with the layouts an older and a
 * newer program would pass: every output struct with a leading sz, every
 * options struct, and every list call's element size. Each caller's struct
 * sits in a buffer of guard bytes, so a byte written past it shows.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "fake_kernel.h"
#include "vfiox-config.h"

#if SIZE_MAX != UINT64_MAX
#error "the 0.1 sizes below are those of LP64, the only ABI published"
#endif

#define DEV "0000:00:03.0"
#define GUARD 0xa5
#define FUTURE 8	/* a uint64_t a later libvfiox might append */
#define BUF 1024

static struct vfiox_container *c;
static struct vfiox_group *g;
static struct vfiox_device *d;
static uint8_t page[4096] __attribute__((aligned(4096)));

static int setup(void **state)
{
	(void)state;
	if (fk_fresh_group7(&c, &g))
		return -1;
	return vfiox_device_open(g, DEV, NULL, &d);
}

static int teardown(void **state)
{
	(void)state;
	assert_true(fk_close_clean(c));
	return 0;
}

/* @buf as a caller's struct of @sz bytes: sz set, every other byte GUARD. */
static void *probe(unsigned char *buf, size_t sz)
{
	memset(buf, GUARD, BUF);
	memcpy(buf, &sz, sizeof(sz));
	return buf;
}

static void assert_guard_from(const unsigned char *buf, size_t from)
{
	size_t i;

	for (i = from; i < BUF; i++)
		if (buf[i] != GUARD)
			fail_msg("byte %zu (from %zu on) was written: 0x%02x", i, from, buf[i]);
}

/* @len bytes from @p are still GUARD (a part of a struct no one knows). */
static void assert_untouched(const unsigned char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != GUARD)
			fail_msg("byte %zu of a tail unknown to libvfiox was written: 0x%02x",
				 i, p[i]);
}

/* --- The helpers, with a library whose struct grew after release --- */

struct out_v1 { size_t sz; uint32_t a, b; };			/* first published */
struct out_v2 { size_t sz; uint32_t a, b; uint64_t c; };	/* this library */
struct out_v3 { size_t sz; uint32_t a, b; uint64_t c, d; };	/* a newer caller */
static const struct out_v2 lib_v2 = { .sz = sizeof(lib_v2), .a = 1, .b = 2, .c = 3 };
#define V1_END vfiox_offsetofend(struct out_v1, b)

static void older_caller_gets_exactly_its_prefix(void **state)
{
	unsigned char buf[BUF];
	struct out_v1 *old = probe(buf, sizeof(*old));

	(void)state;
	assert_int_equal(vfiox_copy_out(old, &lib_v2, sizeof(lib_v2), V1_END, "out"), 0);
	assert_int_equal(old->sz, sizeof(*old));
	assert_int_equal(old->a, 1);
	assert_int_equal(old->b, 2);
	assert_guard_from(buf, sizeof(*old));
}

static void newer_caller_keeps_the_fields_the_library_does_not_know(void **state)
{
	unsigned char buf[BUF];
	struct out_v3 *newer = probe(buf, sizeof(*newer));

	(void)state;
	assert_int_equal(vfiox_copy_out(newer, &lib_v2, sizeof(lib_v2), V1_END, "out"), 0);
	assert_int_equal(newer->c, 3);
	assert_guard_from(buf, sizeof(lib_v2));
}

static void sz_below_the_first_published_size_is_einval(void **state)
{
	unsigned char buf[BUF];

	(void)state;
	probe(buf, offsetof(struct out_v1, b));
	assert_int_equal(vfiox_copy_out(buf, &lib_v2, sizeof(lib_v2), V1_END, "out"), -EINVAL);
	assert_true(fk_log_has("struct out: sz 12 is below its first published size 16"));
	assert_guard_from(buf, sizeof(size_t));
}

struct opts_v1 { size_t sz; uint64_t x; };		/* this library */
struct opts_v2 { size_t sz; uint64_t x, y; };		/* a newer caller */

static void options_tail_must_be_zero(void **state)
{
	struct opts_v2 o = { .sz = sizeof(o), .x = 5 };
	size_t tiny = 4;

	(void)state;
	assert_int_equal(vfiox_opts_check(&o, sizeof(struct opts_v1), "opts"), 0);
	o.y = 1ull << 40;
	assert_int_equal(vfiox_opts_check(&o, sizeof(struct opts_v1), "opts"), -E2BIG);
	assert_true(fk_log_has("struct opts: sz 24, and byte 21 past the 16"));
	assert_int_equal(vfiox_opts_check(&tiny, sizeof(struct opts_v1), "opts"), -EINVAL);
}

/* A garbage sz is refused before a byte past the struct is read: the struct
 * starts a page whose next page is unmapped, so reading sz 4097 bytes faults. */
static void options_with_a_huge_sz_are_e2big_without_a_read(void **state)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	unsigned char *m = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct opts_v1 *o;

	(void)state;
	assert_true(m != MAP_FAILED);
	assert_int_equal(munmap(m + pg, pg), 0);
	assert_true(pg >= 4096);
	o = (struct opts_v1 *)(m + pg - 4096);
	memset(o, 0, 4096);
	o->sz = 4096;
	assert_int_equal(vfiox_opts_check(o, sizeof(*o), "opts"), 0);
	o->sz = 4097;
	assert_int_equal(vfiox_opts_check(o, sizeof(*o), "opts"), -E2BIG);
	assert_true(fk_log_has("struct opts: sz 4097 is implausibly large (unset?)"));
	o->sz = SIZE_MAX;
	assert_int_equal(vfiox_opts_check(o, sizeof(*o), "opts"), -E2BIG);
	munmap(m, pg);
}

static void list_fills_an_older_element_size_at_its_stride(void **state)
{
	const struct out_v2 lib[2] = { { .a = 1, .b = 2, .c = 3 }, { .a = 4, .b = 5, .c = 6 } };
	unsigned char buf[BUF];
	struct out_v1 *old = (struct out_v1 *)buf;
	void *scratch;

	(void)state;
	memset(buf, GUARD, sizeof(buf));
	assert_int_equal(vfiox_array_begin(buf, 2, sizeof(*old), sizeof(lib[0]), V1_END,
					   "out", &scratch), 0);
	assert_ptr_not_equal(scratch, buf);
	memcpy(scratch, lib, sizeof(lib));
	assert_int_equal(vfiox_array_end(buf, 2, sizeof(*old), sizeof(lib[0]), scratch, 5), 5);
	assert_int_equal(old[0].a, 1);
	assert_int_equal(old[1].b, 5);
	assert_guard_from(buf, 2 * sizeof(*old));
	assert_int_equal(vfiox_array_begin(buf, 2, V1_END - 1, sizeof(lib[0]), V1_END,
					   "out", &scratch), -EINVAL);
	assert_true(fk_log_has("struct out array: element size 15 is below"));
}

/* --- Every public output struct --- */

struct out_case {
	const char *name;
	size_t size;		/* its sizeof in this header */
	size_t first;		/* its first published size */
	size_t newest;		/* where its newest field starts */
	int (*get)(void *info);
};

static int get_iommu(void *p) { return vfiox_container_iommu_info(c, p); }
static int get_device(void *p) { return vfiox_device_info(d, p); }
static int get_region(void *p) { return vfiox_device_region_info(d, 0, p); }
static int get_irq(void *p) { return vfiox_device_irq_info(d, VFIO_PCI_MSIX_IRQ_INDEX, p); }
static int get_stats(void *p) { return vfiox_dma_stats(c, p); }

/* A PRE_COPY data fd of its own for each read: the device goes there. */
static int get_precopy(void *p)
{
	struct fk_mig *m = &fk.groups[0].devs[0].mig;
	int fd, ret;

	m->flags = VFIOX_MIG_FLAG_STOP_COPY | VFIOX_MIG_FLAG_PRE_COPY;
	m->state = VFIOX_MIG_RUNNING;
	m->len = 3;
	m->dirty_bytes = 7;
	ret = vfiox_mig_set_state(d, VFIOX_MIG_PRE_COPY, &fd);
	if (!ret)
		ret = vfiox_mig_precopy_info(d, fd, p);
	fake_sys.close(fd);
	return ret;
}

/*
 * The sizes a program built against 0.1 (LP64) passes, as numbers: not the
 * end of a field of today's header, which moves when a field is appended.
 * @newest is where 0.1's last field starts.
 */
#define OUT_CASE(type, first_0_1, newest_0_1, fn) \
	{ #type, sizeof(struct type), first_0_1, newest_0_1, fn }
static const struct out_case outs[] = {
	OUT_CASE(vfiox_iommu_info, 57, 56, get_iommu),
	OUT_CASE(vfiox_device_info, 20, 16, get_device),
	OUT_CASE(vfiox_region_info, 61, 60, get_region),
	OUT_CASE(vfiox_irq_info, 20, 16, get_irq),
	OUT_CASE(vfiox_dma_stats, 24, 16, get_stats),
	OUT_CASE(vfiox_mig_precopy_info, 28, 24, get_precopy),
};
#define N_OUTS (sizeof(outs) / sizeof(outs[0]))

/* The struct as a caller of today's header gets it. */
static void reference(const struct out_case *o, unsigned char *ref)
{
	assert_int_equal(o->get(probe(ref, o->size)), 0);
}

static void every_output_struct_fills_its_first_published_size_only(void **state)
{
	unsigned char ref[BUF], buf[BUF];
	uint64_t iova;
	size_t i;

	(void)state;
	assert_int_equal(vfiox_dma_map(c, page, sizeof(page), NULL, &iova), 0);
	for (i = 0; i < N_OUTS; i++) {
		const struct out_case *o = &outs[i];

		reference(o, ref);
		assert_int_equal(o->get(probe(buf, o->first)), 0);
		if (memcmp(buf + sizeof(size_t), ref + sizeof(size_t), o->first - sizeof(size_t)))
			fail_msg("%s: the older layout's fields differ", o->name);
		assert_guard_from(buf, o->first);
	}
}

/* vfiox_device_info as 0.1 declared it: a binary built then reads this. */
struct device_info_0_1 { size_t sz; uint32_t flags, num_regions, num_irqs; };

static void a_0_1_binary_reads_its_own_device_info_layout(void **state)
{
	struct vfiox_device_info now = { .sz = sizeof(now) };
	unsigned char buf[BUF];
	struct device_info_0_1 *old = probe(buf, sizeof(*old));

	(void)state;
	assert_int_equal(vfiox_device_info(d, &now), 0);
	assert_int_equal(vfiox_device_info(d, (struct vfiox_device_info *)(void *)old), 0);
	assert_int_equal(old->flags, now.flags);
	assert_int_equal(old->num_regions, now.num_regions);
	assert_int_equal(old->num_irqs, now.num_irqs);
	assert_true(old->num_regions > 0);
	assert_guard_from(buf, sizeof(*old));
}

static void every_output_struct_without_its_newest_field_is_einval(void **state)
{
	unsigned char buf[BUF];
	char msg[128];
	size_t i;

	(void)state;
	for (i = 0; i < N_OUTS; i++) {
		const struct out_case *o = &outs[i];

		assert_int_equal(o->get(probe(buf, o->newest)), -EINVAL);
		snprintf(msg, sizeof(msg), "struct %s: sz %zu is below its first published size %zu",
			 o->name, o->newest, o->first);
		if (!fk_log_has(msg))
			fail_msg("no log line '%s'", msg);
		assert_guard_from(buf, sizeof(size_t));
	}
}

static void every_output_struct_leaves_a_tail_it_does_not_know(void **state)
{
	unsigned char ref[BUF], buf[BUF];
	size_t i;

	(void)state;
	for (i = 0; i < N_OUTS; i++) {
		const struct out_case *o = &outs[i];

		reference(o, ref);
		assert_int_equal(o->get(probe(buf, o->size + FUTURE)), 0);
		if (memcmp(buf + sizeof(size_t), ref + sizeof(size_t), o->size - sizeof(size_t)))
			fail_msg("%s: the known fields differ", o->name);
		assert_guard_from(buf, o->size);
	}
}

/* --- Every public options struct --- */

static int use_container_opts(const void *opts)
{
	struct vfiox_container *c2;
	int ret = vfiox_container_open_sys(opts, &fake_sys, &c2);

	if (!ret)
		vfiox_container_close(c2);
	return ret;
}

/* Reopens the fixture's device, with @opts if they are taken. */
static int use_device_opts(const void *opts)
{
	int ret;

	vfiox_device_close(d);
	ret = vfiox_device_open(g, DEV, opts, &d);
	if (ret)
		assert_int_equal(vfiox_device_open(g, DEV, NULL, &d), 0);
	return ret;
}

static int use_dma_opts(const void *opts)
{
	uint64_t iova;
	int ret = vfiox_dma_map(c, page, sizeof(page), opts, &iova);

	if (!ret)
		assert_int_equal(vfiox_dma_unmap_iova(c, iova, sizeof(page)), 0);
	return ret;
}

static int use_pool_opts(const void *opts)
{
	struct vfiox_dma_pool *p;
	int ret = vfiox_dma_pool_new(c, opts, &p);

	if (!ret)
		vfiox_dma_pool_free(p);
	return ret;
}

static int use_bind_opts(const void *opts)
{
	char bdf[16];

	return vfiox_pci_sriov_vf_sys(&fake_sys, DEV, 0, bdf, sizeof(bdf), opts);
}

#if VFIOX_HAVE_LIBPCI
static int use_pci_match(const void *opts)
{
	return vfiox_pci_find(opts, NULL, 0);
}
#endif

#if VFIOX_HAVE_LIBNL
static void no_event(const struct vfiox_event *ev, void *arg)
{
	(void)ev, (void)arg;
}

static int use_events_opts(const void *opts)
{
	struct vfiox_events *ev;
	int ret = vfiox_events_open(opts, no_event, NULL, &ev);

	if (!ret)
		vfiox_events_close(ev);
	return ret;
}
#endif

struct opts_case {
	const char *name;
	size_t size;
	const void *known;	/* a valid value with sz = size */
	int (*use)(const void *opts);
};

static const struct vfiox_container_opts container_opts = {
	.sz = sizeof(container_opts), .dev_root = "/fake/dev/vfio", .sysfs_root = "/fake/sys",
};
static const struct vfiox_device_opts device_opts = { .sz = sizeof(device_opts) };
static const struct vfiox_dma_opts dma_opts = { .sz = sizeof(dma_opts), .read_only = 1 };
static const struct vfiox_dma_pool_opts pool_opts = { .sz = sizeof(pool_opts), .no_hugepages = 1 };
static const struct vfiox_bind_opts bind_opts = {
	.sz = sizeof(bind_opts), .sysfs_root = "/fake/sys",
};
#if VFIOX_HAVE_LIBPCI
static const struct vfiox_pci_match pci_match = {
	.sz = sizeof(pci_match), .sysfs_root = "/nonexistent-sysfs",
};
#endif
#if VFIOX_HAVE_LIBNL
static const struct vfiox_events_opts events_opts = { .sz = sizeof(events_opts) };
#endif

#define OPTS_CASE(type, value, fn) { #type, sizeof(struct type), &value, fn }
static const struct opts_case opts[] = {
	OPTS_CASE(vfiox_container_opts, container_opts, use_container_opts),
	OPTS_CASE(vfiox_device_opts, device_opts, use_device_opts),
	OPTS_CASE(vfiox_dma_opts, dma_opts, use_dma_opts),
	OPTS_CASE(vfiox_dma_pool_opts, pool_opts, use_pool_opts),
	OPTS_CASE(vfiox_bind_opts, bind_opts, use_bind_opts),
#if VFIOX_HAVE_LIBPCI
	OPTS_CASE(vfiox_pci_match, pci_match, use_pci_match),
#endif
#if VFIOX_HAVE_LIBNL
	OPTS_CASE(vfiox_events_opts, events_opts, use_events_opts),
#endif
};
#define N_OPTS (sizeof(opts) / sizeof(opts[0]))

/* @o's known value in a newer caller's layout: @tail after it. */
static void *newer_opts(const struct opts_case *o, unsigned char *buf, uint64_t tail)
{
	size_t sz = o->size + FUTURE;

	memcpy(buf, o->known, o->size);
	memcpy(buf, &sz, sizeof(sz));
	memcpy(buf + o->size, &tail, FUTURE);
	return buf;
}

static void every_options_struct_takes_a_zero_tail_as_today(void **state)
{
	unsigned char buf[BUF];
	size_t i;

	(void)state;
	for (i = 0; i < N_OPTS; i++) {
		const struct opts_case *o = &opts[i];
		int today = o->use(o->known);

		if (today == -E2BIG || today == -EINVAL)
			fail_msg("%s: today's layout got %d", o->name, today);
		if (o->use(newer_opts(o, buf, 0)) != today)
			fail_msg("%s: a zero tail changed the result", o->name);
	}
}

static void every_options_struct_refuses_a_non_zero_tail(void **state)
{
	unsigned char buf[BUF];
	char msg[128];
	size_t i;

	(void)state;
	for (i = 0; i < N_OPTS; i++) {
		const struct opts_case *o = &opts[i];

		if (o->use(newer_opts(o, buf, 1ull << 56)) != -E2BIG)
			fail_msg("%s: a non-zero tail was not -E2BIG", o->name);
		snprintf(msg, sizeof(msg), "struct %s: sz %zu, and byte %zu past the %zu",
			 o->name, o->size + FUTURE, o->size + 7, o->size);
		if (!fk_log_has(msg))
			fail_msg("no log line '%s'", msg);
		probe(buf, sizeof(size_t) - 1);
		if (o->use(buf) != -EINVAL)
			fail_msg("%s: a sz short of sz itself was not -EINVAL", o->name);
	}
}

/* An older caller's vfiox_dma_opts, without read_only: a byte past its sz
 * that happens to be set is not read. */
static void older_options_leave_the_newest_field_at_its_default(void **state)
{
	struct vfiox_dma_opts o = { .sz = offsetof(struct vfiox_dma_opts, read_only),
				    .read_only = 1 };
	uint64_t iova;

	(void)state;
	assert_int_equal(vfiox_dma_map(c, page, sizeof(page), &o, &iova), 0);
	assert_true(fk.maps[fk.nr_maps - 1].flags & VFIO_DMA_MAP_FLAG_WRITE);
	assert_int_equal(vfiox_dma_unmap_iova(c, iova, sizeof(page)), 0);
	o.sz = sizeof(o);
	assert_int_equal(vfiox_dma_map(c, page, sizeof(page), &o, &iova), 0);
	assert_false(fk.maps[fk.nr_maps - 1].flags & VFIO_DMA_MAP_FLAG_WRITE);
}

/* --- Every list call of a struct that can grow --- */

struct list_case {
	const char *name;
	size_t size, first;
	int (*list)(void *out, size_t max, size_t elem_sz);
};

static const char resv_text[] =
	"0x00000000fee00000 0x00000000feefffff msi\n"
	"0x0000000000000000 0x0000000000ffffff direct-relaxable\n";

static int list_resv_parse(void *out, size_t max, size_t elem_sz)
{
	return vfiox_resv_parse_sized(resv_text, strlen(resv_text), 7, out, max, elem_sz);
}

static int list_group_resv(void *out, size_t max, size_t elem_sz)
{
	return vfiox_group_resv_regions_sized(g, out, max, elem_sz);
}

static int list_container_resv(void *out, size_t max, size_t elem_sz)
{
	return vfiox_container_resv_regions_sized(c, out, max, elem_sz);
}

static int list_resv_cap(void *out, size_t max, size_t elem_sz)
{
	static const struct vfiox_iommu_resv_region r[2] = {
		{ .start = 0x1000, .end = 0x1fff, .type = VFIOX_IOMMU_RESV_MSI },
		{ .start = 0x8000, .end = 0x8fff, .type = VFIOX_IOMMU_RESV_RESERVED },
	};
	unsigned char cap[sizeof(struct vfiox_iommu_type1_info_cap_resv_regions) + sizeof(r)];
	struct vfiox_iommu_type1_info_cap_resv_regions hdr = {
		.nr_regions = 2, .entry_size = sizeof(r[0]),
	};

	memcpy(cap, &hdr, sizeof(hdr));
	memcpy(cap + sizeof(hdr), r, sizeof(r));
	return vfiox_resv_parse_cap_sized(cap, sizeof(cap), out, max, elem_sz);
}

static int list_p2p(void *out, size_t max, size_t elem_sz)
{
	return vfiox_p2p_list_sized(c, out, (uint32_t)max, elem_sz);
}

/* Element sizes of 0.1 (LP64), as numbers (see OUT_CASE). */
#define LIST_CASE(type, first_0_1, fn) { #type " (" #fn ")", sizeof(struct type), \
	first_0_1, fn }
static const struct list_case lists[] = {
	LIST_CASE(vfiox_resv_region, 48, list_resv_parse),
	LIST_CASE(vfiox_resv_region, 48, list_resv_cap),
	LIST_CASE(vfiox_resv_region, 48, list_group_resv),
	LIST_CASE(vfiox_resv_region, 48, list_container_resv),
	LIST_CASE(vfiox_p2p_mapping, 96, list_p2p),
};
#define N_LISTS (sizeof(lists) / sizeof(lists[0]))

static void every_list_call_fills_a_newer_element_size_at_its_stride(void **state)
{
	unsigned char ref[BUF], buf[BUF];
	size_t i, k, stride;
	uint64_t iova;
	int n;

	(void)state;
	assert_int_equal(vfiox_p2p_map(c, d, 0, 0x1000, 0x2000, NULL, &iova), 0);
	for (i = 0; i < N_LISTS; i++) {
		const struct list_case *l = &lists[i];

		stride = l->size + FUTURE;
		memset(ref, GUARD, sizeof(ref));
		n = l->list(ref, 2, l->size);
		if (n < 1)
			fail_msg("%s: %d entries: nothing to prove with", l->name, n);
		memset(buf, GUARD, sizeof(buf));
		assert_int_equal(l->list(buf, 2, stride), n);
		for (k = 0; k < (size_t)n && k < 2; k++) {
			if (memcmp(buf + k * stride, ref + k * l->size, l->size))
				fail_msg("%s: element %zu differs", l->name, k);
			assert_untouched(buf + k * stride + l->size, FUTURE);
		}
		assert_guard_from(buf, k * stride);
		assert_guard_from(ref, k * l->size);
		assert_int_equal(l->list(buf, 2, l->first - 1), -EINVAL);
	}
}

/* Field by field: padding is not part of the contract. */
static void assert_same_uevent(const void *got, const struct vfiox_uevent *want)
{
	struct vfiox_uevent ev;

	memcpy(&ev, got, sizeof(ev));
	assert_int_equal(ev.action, want->action);
	assert_string_equal(ev.action_name, want->action_name);
	assert_string_equal(ev.devpath, want->devpath);
	assert_string_equal(ev.subsystem, want->subsystem);
	assert_string_equal(ev.driver, want->driver);
	assert_string_equal(ev.devname, want->devname);
	assert_string_equal(ev.pci_slot, want->pci_slot);
	assert_int_equal(ev.seqnum, 2715);
}

/* The one output struct without sz: vfiox_uevent, through its _sized call. */
static void uevent_parse_fills_the_callers_size(void **state)
{
	static const char msg[] = "bind@/devices/pci0000:00/0000:00:04.0\0ACTION=bind\0"
				  "DEVPATH=/devices/pci0000:00/0000:00:04.0\0"
				  "SUBSYSTEM=pci\0DRIVER=vfio-pci\0SEQNUM=2715";
	const size_t first = vfiox_offsetofend(struct vfiox_uevent, seqnum);
	unsigned char buf[BUF];
	struct vfiox_uevent ref;

	(void)state;
	assert_int_equal(vfiox_uevent_parse(msg, sizeof(msg), &ref), 0);
	memset(buf, GUARD, sizeof(buf));
	assert_int_equal(vfiox_uevent_parse_sized(msg, sizeof(msg), buf, first), 0);
	assert_same_uevent(buf, &ref);
	assert_guard_from(buf, first);
	memset(buf, GUARD, sizeof(buf));
	assert_int_equal(vfiox_uevent_parse_sized(msg, sizeof(msg), buf, sizeof(ref) + FUTURE), 0);
	assert_same_uevent(buf, &ref);
	assert_guard_from(buf, sizeof(ref));
	memset(buf, GUARD, sizeof(buf));
	assert_int_equal(vfiox_uevent_parse_sized(msg, sizeof(msg), buf,
						  offsetof(struct vfiox_uevent, seqnum)), -EINVAL);
	assert_guard_from(buf, 0);
}

#if VFIOX_HAVE_LIBPCI
static void pci_find_refuses_an_element_size_below_the_first(void **state)
{
	(void)state;
	assert_int_equal(vfiox_pci_find_sized(NULL, page, 1,
					      vfiox_offsetofend(struct vfiox_pci_dev, caps) - 1),
			 -EINVAL);
	assert_true(fk_log_has("struct vfiox_pci_dev array: element size"));
}
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(older_caller_gets_exactly_its_prefix),
		T(newer_caller_keeps_the_fields_the_library_does_not_know),
		T(sz_below_the_first_published_size_is_einval),
		T(options_tail_must_be_zero),
		T(options_with_a_huge_sz_are_e2big_without_a_read),
		T(list_fills_an_older_element_size_at_its_stride),
		T(every_output_struct_fills_its_first_published_size_only),
		T(a_0_1_binary_reads_its_own_device_info_layout),
		T(every_output_struct_without_its_newest_field_is_einval),
		T(every_output_struct_leaves_a_tail_it_does_not_know),
		T(every_options_struct_takes_a_zero_tail_as_today),
		T(every_options_struct_refuses_a_non_zero_tail),
		T(older_options_leave_the_newest_field_at_its_default),
		T(every_list_call_fills_a_newer_element_size_at_its_stride),
		T(uevent_parse_fills_the_callers_size),
#if VFIOX_HAVE_LIBPCI
		T(pci_find_refuses_an_element_size_below_the_first),
#endif
#undef T
	};

	return cmocka_run_group_tests_name("abi", tests, NULL, NULL);
}
