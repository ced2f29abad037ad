// SPDX-License-Identifier: MIT
/*
 * Live update (CPR) of the DMA engine against the fake kernel's type1:
 * invalidate the vaddrs, save, restore in a "new process"; the way back;
 * the saved state's format (a golden state, corrupt and foreign ones);
 * what restore checks against the kernel.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "../../lib/dma_cpr_state.h"
#include "cpr_golden_v1.h"
#include "fake_kernel.h"

#define MB (1ULL << 20)
#define PG 4096ULL
#define ROM_A 0x40000000ULL	/* fixed IOVAs of the aliases */
#define ROM_B 0x50000000ULL

#define MEM_SIZE (16 * MB)

FK_GROUP7_FIXTURE
FK_MEM_FIXTURE(MEM_SIZE)

#define MOVED (8 * MB)		/* where the "new process" finds the memory */

static void *moved(void *user, uint64_t old_vaddr, uint64_t len)
{
	(void)len;
	(*(int *)user)++;
	return (void *)(uintptr_t)(old_vaddr + MOVED);
}

static void *nowhere(void *user, uint64_t old_vaddr, uint64_t len)
{
	(void)user;
	(void)len;
	return old_vaddr == (uintptr_t)mem + MB ? NULL : (void *)(uintptr_t)old_vaddr;
}

/* The books forgotten as a new process starts without them, its
 * container adopted with the same kernel mappings. */
static void new_process(void)
{
	vfiox_dma_drop_all(c);
	assert_int_equal(vfiox_container_refresh(c), 0);
	assert_int_equal(vfiox_iova_space_rebuild(c), 0);
}

/*
 * A mapping of 2 pages, its alias, one page at 1 MiB; vaddrs invalidated,
 * the state saved into @state (returned: its size); then the books
 * forgotten as a new process starts without them, its container adopted
 * with the same kernel mappings.
 */
static int cpr_prepare(void *state, size_t size)
{
	uint64_t a, b;
	int need;

	fk.extensions |= 1u << VFIO_UPDATE_VADDR;
	assert_int_equal(vfiox_dma_map(c, mem, 2 * PG, NULL, &a), 0);
	assert_int_equal(vfiox_dma_map_fixed(c, mem, 2 * PG, ROM_A, NULL), 0);
	assert_int_equal(vfiox_dma_map(c, mem + MB, PG, NULL, &b), 0);
	assert_int_equal(vfiox_dma_invalidate_vaddrs(c), 3);
	assert_true(fk.maps[0].invalid && fk.maps[1].invalid && fk.maps[2].invalid);
	need = vfiox_dma_save(c, NULL, 0);
	assert_true(need > 0 && (size_t)need <= size);
	assert_int_equal(vfiox_dma_save(c, state, (size_t)need - 1), need);
	assert_int_equal(vfiox_dma_save(c, state, size), need);
	new_process();
	return need;
}

static void live_update_restores_books_and_vaddrs(void **state)
{
	struct vfiox_dma_stats st = { .sz = sizeof(st) };
	uint64_t all[4], iova_old;
	uint32_t kernel, ours;
	unsigned long calls;
	char saved[512];
	int size, called = 0;

	(void)state;
	fk.extensions |= 1u << VFIO_UNMAP_ALL;
	assert_int_equal(vfiox_dma_map(c, mem + 2 * MB, PG, NULL, &iova_old), 0);
	assert_int_equal(vfiox_dma_unmap_iova(c, iova_old, PG), 0);
	calls = fk.unmap_calls;
	size = cpr_prepare(saved, sizeof(saved));
	assert_int_equal(fk.unmap_calls, calls + 1);	/* one VADDR|ALL */
	assert_int_equal(fk.nr_maps, 3);
	assert_int_equal(xlate(mem), UINT64_MAX);
	assert_int_equal(vfiox_dma_restore(c, saved, (size_t)size, moved, &called), 3);
	assert_int_equal(called, 3);
	assert_false(fk.maps[0].invalid || fk.maps[1].invalid || fk.maps[2].invalid);
	assert_int_equal(fk.maps[1].vaddr, (uintptr_t)mem + MOVED);
	/* The alias order survives: the oldest mapping first. */
	assert_int_equal(vfiox_dma_translate_all(c, mem + MOVED + 5, all, 4), 2);
	assert_int_equal(all[1], ROM_A + 5);
	assert_int_equal(xlate(mem + MOVED + MB), fk.maps[2].iova);
	assert_int_equal(vfiox_dma_stats(c, &st), 0);
	assert_int_equal(st.entries_used, 3);
	assert_int_equal(st.mapped_bytes, 5 * PG);
	assert_int_equal(vfiox_dma_avail_check(c, &kernel, &ours), 0);
	/* The IOVAs are taken in the new allocator, and a second restore
	 * finds the container in use. */
	assert_int_equal(vfiox_dma_map_fixed(c, mem, PG, ROM_A + PG, NULL), -EEXIST);
	assert_int_equal(vfiox_dma_restore(c, saved, (size_t)size, moved, &called), -EBUSY);
	assert_int_equal(vfiox_dma_unmap_all(c), 3);
}

static void bad_state_or_failed_update_leaves_books_as_before(void **state)
{
	struct vfiox_dma_stats st = { .sz = sizeof(st) };
	char saved[512], bad[512];
	int size, called = 0;

	(void)state;
	size = cpr_prepare(saved, sizeof(saved));
	assert_int_equal(fk.unmap_calls, 3);	/* no UNMAP_ALL: one each */
	memcpy(bad, saved, sizeof(bad));
	bad[0] = 'X';
	assert_int_equal(vfiox_dma_restore(c, bad, (size_t)size, NULL, NULL), -EINVAL);
	assert_int_equal(vfiox_dma_restore(c, saved, (size_t)size - 1, NULL, NULL), -EINVAL);
	assert_true(fk_log_has("not a state saved"));
	assert_int_equal(vfiox_dma_restore(c, saved, (size_t)size, nowhere, NULL), -EINVAL);
	assert_true(fk_log_has("no usable new address"));
	/* The kernel refuses the second update: the first is invalid again. */
	fk_fail_nth("ioctl", 3, EFAULT);
	assert_int_equal(vfiox_dma_restore(c, saved, (size_t)size, moved, &called), -EFAULT);
	assert_true(fk.maps[0].invalid && fk.maps[1].invalid && fk.maps[2].invalid);
	assert_int_equal(vfiox_dma_stats(c, &st), 0);
	assert_int_equal(st.entries_used, 0);
	assert_int_equal(xlate(mem + MOVED), UINT64_MAX);
	/* And then it works. */
	assert_int_equal(vfiox_dma_restore(c, saved, (size_t)size, NULL, NULL), 3);
	assert_int_equal(fk.maps[0].vaddr, (uintptr_t)mem);
	assert_int_equal(vfiox_dma_unmap_all(c), 3);
}

static void invalidate_without_the_extension_is_enotsup(void **state)
{
	uint64_t a;

	(void)state;
	assert_int_equal(vfiox_dma_map(c, mem, PG, NULL, &a), 0);
	assert_int_equal(vfiox_dma_invalidate_vaddrs(c), -ENOTSUP);
	assert_true(fk_log_has("lacks VFIO_UPDATE_VADDR"));
	assert_false(fk.maps[0].invalid);
	/* One failing invalidation of three: the two before are valid again. */
	fk.extensions |= 1u << VFIO_UPDATE_VADDR;
	assert_int_equal(vfiox_dma_map(c, mem + PG, PG, NULL, &a), 0);
	assert_int_equal(vfiox_dma_map(c, mem + 2 * PG, PG, NULL, &a), 0);
	fk_fail_nth("ioctl", 4, EIO);	/* the check, two invalidations */
	assert_int_equal(vfiox_dma_invalidate_vaddrs(c), -EIO);
	assert_false(fk.maps[0].invalid || fk.maps[1].invalid || fk.maps[2].invalid);
	assert_int_equal(vfiox_dma_invalidate_vaddrs(c), 3);
}

/* A handover called off: the vaddrs come back, all or none. */
static void revalidate_gives_the_vaddrs_back(void **state)
{
	uint64_t a;

	(void)state;
	assert_int_equal(vfiox_dma_revalidate_vaddrs(c), -ENOTSUP);
	fk.extensions |= 1u << VFIO_UPDATE_VADDR;
	assert_int_equal(vfiox_dma_map(c, mem, PG, NULL, &a), 0);
	assert_int_equal(vfiox_dma_map(c, mem + PG, PG, NULL, &a), 0);
	assert_int_equal(vfiox_dma_invalidate_vaddrs(c), 2);
	assert_true(fk.maps[0].invalid && fk.maps[1].invalid);
	fk_fail_nth("ioctl", 3, EIO);	/* the check, one update, then this */
	assert_int_equal(vfiox_dma_revalidate_vaddrs(c), -EIO);
	assert_true(fk.maps[0].invalid && fk.maps[1].invalid);
	assert_int_equal(vfiox_dma_revalidate_vaddrs(c), 2);
	assert_false(fk.maps[0].invalid || fk.maps[1].invalid);
	assert_int_equal(vfiox_dma_unmap_all(c), 2);
	assert_int_equal(vfiox_dma_revalidate_vaddrs(NULL), -EINVAL);
}

/* All of the fake kernel's mappings have an invalid vaddr (or a valid). */
static bool all_invalid(bool invalid)
{
	int i;

	for (i = 0; i < fk.nr_maps; i++)
		if (fk.maps[i].invalid != invalid)
			return false;
	return true;
}

/* Someone else maps through the container fd, behind libvfiox's back. */
static int raw_map(void *va, uint64_t len, uint64_t iova)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)va, .iova = iova, .size = len,
	};

	return fake_sys.ioctl(vfiox_container_fd(c), VFIO_IOMMU_MAP_DMA, &m);
}

/* The IOMMU info again, without the dma_avail capability. */
static void kernel_without_dma_avail(void)
{
	static const struct vfio_iova_range ranges[] = {
		{ 0, 0xfedfffffULL }, { 0xfef00000ULL, 0x7fffffffffULL },
	};

	fk_info_begin(0x40201000ULL);
	fk_info_add_iova(ranges, 2);
	assert_int_equal(vfiox_container_refresh(c), 0);
	assert_int_equal(vfiox_iova_space_rebuild(c), 0);
}

/*
 * A mapping libvfiox did not make cannot be handed over: invalidate is
 * refused before anything is invalidated when dma_avail shows it; without
 * dma_avail, the bytes VADDR|ALL reports show it, and libvfiox's own
 * mappings are valid again.
 */
static void foreign_mappings_refuse_invalidate(void **state)
{
	unsigned long calls;
	uint64_t a;

	(void)state;
	fk.extensions |= 1u << VFIO_UPDATE_VADDR | 1u << VFIO_UNMAP_ALL;
	assert_int_equal(vfiox_dma_map(c, mem, 2 * PG, NULL, &a), 0);
	assert_int_equal(raw_map(mem + MB, PG, ROM_B), 0);
	calls = fk.unmap_calls;
	assert_int_equal(vfiox_dma_invalidate_vaddrs(c), -EBUSY);
	assert_true(fk_log_has("behind libvfiox's back"));
	assert_int_equal(fk.unmap_calls, calls);
	assert_true(all_invalid(false));
	/* Maps still work: nothing was invalidated. */
	assert_int_equal(vfiox_dma_map(c, mem + 4 * PG, PG, NULL, &a), 0);
	kernel_without_dma_avail();
	assert_int_equal(vfiox_dma_invalidate_vaddrs(c), -EBUSY);
	assert_true(fk_log_has("the kernel invalidated 0x4000 bytes of mappings, libvfiox made 0x3000"));
	assert_int_equal(fk.unmap_calls, calls + 1);
	assert_false(fk.maps[0].invalid || fk.maps[2].invalid);
	assert_true(fk.maps[1].invalid);	/* the foreign one: nobody knows its vaddr */
	assert_int_equal(vfiox_dma_map(c, mem + 5 * PG, PG, NULL, &a), 0);
}

/*
 * Between invalidate and the vaddrs given back, a map would get a valid
 * vaddr that the new process could not update: refused, without asking
 * the kernel; unmaps are fine.
 */
static void maps_are_refused_while_the_vaddrs_are_invalid(void **state)
{
	unsigned long calls;
	uint64_t a, b;
	char saved[512];
	int size;

	(void)state;
	fk.extensions |= 1u << VFIO_UPDATE_VADDR;
	assert_int_equal(vfiox_dma_map(c, mem, PG, NULL, &a), 0);
	assert_int_equal(vfiox_dma_map(c, mem + PG, PG, NULL, &b), 0);
	assert_int_equal(vfiox_dma_invalidate_vaddrs(c), 2);
	calls = fk.map_calls;
	assert_int_equal(vfiox_dma_map(c, mem + 2 * PG, PG, NULL, &a), -EBUSY);
	assert_true(fk_log_has("invalidated for a live update"));
	assert_int_equal(vfiox_dma_map_fixed(c, mem + 2 * PG, PG, ROM_A, NULL), -EBUSY);
	assert_int_equal(fk.map_calls, calls);
	assert_int_equal(vfiox_dma_unmap_iova(c, b, PG), 0);
	size = vfiox_dma_save(c, saved, sizeof(saved));
	assert_true(size > 0);
	new_process();
	assert_int_equal(vfiox_dma_restore(c, saved, (size_t)size, NULL, NULL), 1);
	assert_true(all_invalid(false));
	assert_int_equal(vfiox_dma_map(c, mem + 2 * PG, PG, NULL, &b), 0);
	/* The old process's way back lifts the refusal too. */
	assert_int_equal(vfiox_dma_invalidate_vaddrs(c), 2);
	assert_int_equal(vfiox_dma_map(c, mem + 3 * PG, PG, NULL, &b), -EBUSY);
	assert_int_equal(vfiox_dma_revalidate_vaddrs(c), 2);
	assert_int_equal(vfiox_dma_map(c, mem + 3 * PG, PG, NULL, &b), 0);
}

/*
 * A state written while maps are still accepted could go stale without its
 * count changing (unmap one, map another): refused, logged. Asking for the
 * size is fine.
 */
static void save_before_invalidating_is_refused(void **state)
{
	char saved[512];
	int need;
	uint64_t a;

	(void)state;
	fk.extensions |= 1u << VFIO_UPDATE_VADDR;
	assert_int_equal(vfiox_dma_map(c, mem, PG, NULL, &a), 0);
	need = vfiox_dma_save(c, NULL, 0);
	assert_true(need > 0);
	memset(saved, 0xa5, sizeof(saved));
	assert_int_equal(vfiox_dma_save(c, saved, sizeof(saved)), -EINVAL);
	assert_true(fk_log_has("save: the vaddrs are not invalidated"));
	assert_int_equal(saved[0], (char)0xa5);
	assert_int_equal(vfiox_dma_invalidate_vaddrs(c), 1);
	assert_int_equal(vfiox_dma_save(c, saved, sizeof(saved)), need);
	assert_int_equal(vfiox_dma_revalidate_vaddrs(c), 1);
}

/*
 * A well-formed state that is not the container's last one (saved before
 * another map) misses a mapping: the kernel's dma_avail says so, and
 * restore refuses it with every kernel vaddr still invalid.
 */
static void a_stale_state_is_refused(void **state)
{
	struct vfiox_dma_stats st = { .sz = sizeof(st) };
	char older[512], last[512];
	int n_older, n_last;
	uint64_t a;

	(void)state;
	fk.extensions |= 1u << VFIO_UPDATE_VADDR;
	assert_int_equal(vfiox_dma_map(c, mem, PG, NULL, &a), 0);
	assert_int_equal(vfiox_dma_map(c, mem + PG, PG, NULL, &a), 0);
	assert_int_equal(vfiox_dma_invalidate_vaddrs(c), 2);
	n_older = vfiox_dma_save(c, older, sizeof(older));
	assert_int_equal(vfiox_dma_revalidate_vaddrs(c), 2);
	assert_int_equal(vfiox_dma_map(c, mem + 2 * PG, PG, NULL, &a), 0);
	assert_int_equal(vfiox_dma_invalidate_vaddrs(c), 3);
	n_last = vfiox_dma_save(c, last, sizeof(last));
	assert_true(n_older > 0 && n_last > n_older);
	new_process();
	assert_int_equal(vfiox_dma_restore(c, older, (size_t)n_older, NULL, NULL), -EINVAL);
	assert_true(fk_log_has("not the container's last state"));
	assert_true(all_invalid(true));
	assert_int_equal(vfiox_dma_stats(c, &st), 0);
	assert_int_equal(st.entries_used, 0);
	assert_int_equal(vfiox_dma_restore(c, last, (size_t)n_last, NULL, NULL), 3);
	assert_true(all_invalid(false));
}

/* The golden state's buffers, at mem now; integer arithmetic, as a
 * corrupt vaddr may land anywhere. */
static void *golden_at_mem(void *user, uint64_t old_vaddr, uint64_t len)
{
	(void)user;
	(void)len;
	return (void *)(uintptr_t)((uintptr_t)mem + (old_vaddr - 0x7f1200000000ULL));
}

/* The kernel mappings of cpr_golden_v1.h, invalidated, in a new process. */
static void golden_kernel(void)
{
	fk.extensions |= 1u << VFIO_UPDATE_VADDR;
	assert_int_equal(vfiox_dma_map_fixed(c, mem, 2 * PG, 0x100000, NULL), 0);
	assert_int_equal(vfiox_dma_map_fixed(c, mem, 2 * PG, ROM_A, NULL), 0);
	assert_int_equal(vfiox_dma_map_fixed(c, mem + MB, PG, 0x200000, NULL), 0);
	assert_int_equal(vfiox_dma_invalidate_vaddrs(c), 3);
	new_process();
}

/* A version 1 state written once, outside libvfiox, keeps restoring. */
static void the_golden_version_1_state_restores(void **state)
{
	uint64_t all[2];

	(void)state;
	golden_kernel();
	assert_int_equal(vfiox_dma_restore(c, cpr_golden_v1, sizeof(cpr_golden_v1),
					   golden_at_mem, NULL), 3);
	assert_true(all_invalid(false));
	assert_int_equal(vfiox_dma_translate_all(c, mem + 5, all, 2), 2);
	assert_int_equal(all[0], 0x100005);
	assert_int_equal(all[1], ROM_A + 5);
	assert_int_equal(xlate(mem + MB), 0x200000);
}

#define GOLDEN_VADDR 0x7f1200000000ULL	/* the golden state's first buffer */

/*
 * The golden state's memory at its own vaddrs, when the address is free
 * (it nearly always is); else NULL, and the caller compares without them.
 */
static uint8_t *golden_memory(void)
{
	void *p = mmap((void *)(uintptr_t)GOLDEN_VADDR, MB + PG, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (p != (void *)(uintptr_t)GOLDEN_VADDR) {	/* a kernel before 4.17 */
		munmap(p, MB + PG);
		return NULL;
	}
	return p;
}

/* The vaddr of record @i of a version 1 state, and setting it. */
static uint64_t record_vaddr(const unsigned char *st, int i)
{
	uint64_t v;

	memcpy(&v, st + 64 + i * 32, 8);	/* the host is little-endian */
	return v;
}

static void set_record_vaddr(unsigned char *st, int i, uint64_t v)
{
	memcpy(st + 64 + i * 32, &v, 8);
}

/*
 * The writer's half of the promise: what vfiox_dma_save() writes for the
 * golden state's mappings (the machine's dma_avail starts at 65535) is the
 * golden state, byte for byte. A save that wrote a later version, a nonzero
 * reserved byte or a longer header would break the rollback to a libvfiox
 * that reads only version 1.
 */
static void save_of_the_golden_mappings_is_the_golden_bytes(void **state)
{
	uint8_t *gm = golden_memory(), *va = gm ? gm : mem;
	unsigned char saved[sizeof(cpr_golden_v1) + 64];
	int i;

	(void)state;
	fk.extensions |= 1u << VFIO_UPDATE_VADDR;
	assert_int_equal(vfiox_dma_map_fixed(c, va, 2 * PG, 0x100000, NULL), 0);
	assert_int_equal(vfiox_dma_map_fixed(c, va, 2 * PG, ROM_A, NULL), 0);
	assert_int_equal(vfiox_dma_map_fixed(c, va + MB, PG, 0x200000, NULL), 0);
	assert_int_equal(vfiox_dma_invalidate_vaddrs(c), 3);
	memset(saved, 0xa5, sizeof(saved));
	assert_int_equal(vfiox_dma_save(c, NULL, 0), sizeof(cpr_golden_v1));
	assert_int_equal(vfiox_dma_save(c, saved, sizeof(saved)), sizeof(cpr_golden_v1));
	assert_int_equal(saved[sizeof(cpr_golden_v1)], 0xa5);	/* nothing past it */
	if (!gm) {
		/* Elsewhere in memory: the vaddrs are ours, the rest golden. */
		print_message("golden vaddr busy: comparing with the vaddrs put back\n");
		for (i = 0; i < 3; i++) {
			assert_int_equal(record_vaddr(saved, i) - (uintptr_t)mem,
					 record_vaddr(cpr_golden_v1, i) - GOLDEN_VADDR);
			set_record_vaddr(saved, i, record_vaddr(cpr_golden_v1, i));
		}
		vfiox_cpr_state_seal(saved, sizeof(cpr_golden_v1));
	}
	assert_memory_equal(saved, cpr_golden_v1, sizeof(cpr_golden_v1));
	assert_int_equal(vfiox_dma_revalidate_vaddrs(c), 3);
	assert_int_equal(vfiox_dma_unmap_all(c), 3);
	if (gm)
		munmap(gm, MB + PG);
}

/* The state re-framed with a larger header and records, the new bytes
 * @fill; sealed again. Returns its size. */
static size_t reframe(const unsigned char *in, unsigned char *out, uint32_t hdr,
		      uint32_t rec, unsigned char fill)
{
	uint32_t n = 3, i, v;

	memset(out, fill, hdr + n * rec);
	memcpy(out, in, 64);
	for (i = 0; i < n; i++)
		memcpy(out + hdr + i * rec, in + 64 + i * 32, 32);
	v = hdr;
	memcpy(out + 16, &v, 4);	/* the host is little-endian */
	v = rec;
	memcpy(out + 20, &v, 4);
	vfiox_cpr_state_seal(out, hdr + n * rec);
	return hdr + n * rec;
}

/*
 * What a later libvfiox may write: a longer header or longer records are
 * read when the bytes this one does not know are zero, refused with
 * -EPROTO otherwise, as is another format version or an unknown flag.
 */
static void later_formats_restore_only_when_understood(void **state)
{
	unsigned char buf[512];
	size_t n;

	(void)state;
	golden_kernel();
	n = reframe(cpr_golden_v1, buf, 64, 40, 0xa5);
	assert_int_equal(vfiox_dma_restore(c, buf, n, golden_at_mem, NULL), -EPROTO);
	assert_true(fk_log_has("record 0 of the state has flags or fields"));
	n = reframe(cpr_golden_v1, buf, 72, 32, 0xa5);
	assert_int_equal(vfiox_dma_restore(c, buf, n, golden_at_mem, NULL), -EPROTO);
	assert_true(fk_log_has("header has fields this libvfiox does not know"));
	memcpy(buf, cpr_golden_v1, sizeof(cpr_golden_v1));
	buf[8] = 2;	/* format version 2 */
	assert_int_equal(vfiox_dma_restore(c, buf, sizeof(cpr_golden_v1), golden_at_mem, NULL), -EPROTO);
	assert_true(fk_log_has("format version 2; this libvfiox reads version 1"));
	buf[8] = 1;
	buf[24] = 0x10;	/* a must-understand flag */
	vfiox_cpr_state_seal(buf, sizeof(cpr_golden_v1));
	assert_int_equal(vfiox_dma_restore(c, buf, sizeof(cpr_golden_v1), golden_at_mem, NULL), -EPROTO);
	assert_true(fk_log_has("flags 0x10 this libvfiox does not know"));
	buf[24] = 0;
	buf[28] = 0x80;	/* a hint it may ignore */
	vfiox_cpr_state_seal(buf, sizeof(cpr_golden_v1));
	assert_true(all_invalid(true));
	n = reframe(buf, buf + 256, 72, 40, 0);
	assert_int_equal(vfiox_dma_restore(c, buf + 256, n, golden_at_mem, NULL), 3);
	assert_true(all_invalid(false));
}

/* Write field @off (4 bytes, little-endian host) of @buf and seal. */
static void set32(unsigned char *buf, size_t size, size_t off, uint32_t v)
{
	memcpy(buf + off, &v, 4);
	vfiox_cpr_state_seal(buf, size);
}

static void set64(unsigned char *buf, size_t size, size_t off, uint64_t v)
{
	memcpy(buf + off, &v, 8);
	vfiox_cpr_state_seal(buf, size);
}

/*
 * A state that is not sound is -EINVAL with a log line, before anything
 * reaches the kernel: corrupt bytes, a wrong size, count or page size,
 * a record that is empty, unaligned or wraps (vaddr or IOVA), records
 * whose IOVAs overlap. One at an odd address restores (UBSan watches the
 * loads).
 */
static void unsound_states_are_refused_before_the_kernel(void **state)
{
	const size_t n = sizeof(cpr_golden_v1), rec1 = 64 + 32;
	unsigned char buf[512];
	unsigned long maps, unmaps;

	(void)state;
	golden_kernel();
	maps = fk.map_calls;
	unmaps = fk.unmap_calls;
#define REFUSED(log) do {						\
		assert_int_equal(vfiox_dma_restore(c, buf, n, golden_at_mem, NULL), -EINVAL); \
		assert_true(fk_log_has(log));				\
		memcpy(buf, cpr_golden_v1, n);				\
	} while (0)
	memcpy(buf, cpr_golden_v1, n);
	buf[100] ^= 1;
	REFUSED("it is corrupt");
	assert_int_equal(vfiox_dma_restore(c, buf, n - 1, golden_at_mem, NULL), -EINVAL);
	assert_int_equal(vfiox_dma_restore(c, NULL, n, golden_at_mem, NULL), -EINVAL);
	assert_true(fk_log_has("no state (NULL)"));
	set32(buf, n, 32, 4);
	REFUSED("cannot hold 4 records");
	set32(buf, n, 12, 0x04030201);
	REFUSED("byte order marker");
	set64(buf, n, 40, 0);
	REFUSED("page size 0x0 is not one of an IOMMU");
	set64(buf, n, 40, 8192);	/* the one-page record is not a page */
	REFUSED("not aligned to 0x2000");
	set64(buf, n, rec1, 0xfffffffffffff000ULL);	/* vaddr, 2 pages: wraps */
	REFUSED("record 1 of the state (vaddr 0xfffffffffffff000");
	set64(buf, n, rec1 + 8, 0xfffffffffffff000ULL);	/* IOVA wraps */
	REFUSED("record 1");
	set64(buf, n, rec1 + 16, 0);
	REFUSED("is empty");
	set64(buf, n, rec1 + 8, 0x100800);
	REFUSED("not aligned");
	set64(buf, n, rec1 + 8, 0x101000);	/* into record 0's IOVAs */
	REFUSED("two records of the state overlap at IOVA 0x101000");
	set32(buf, n, 56, 65533);	/* the kernel had one more entry left */
	REFUSED("not the container's last state");
#undef REFUSED
	assert_int_equal(fk.map_calls, maps);
	assert_int_equal(fk.unmap_calls, unmaps);
	assert_true(all_invalid(true));
	memcpy(buf + 1, cpr_golden_v1, n);
	assert_int_equal(vfiox_dma_restore(c, buf + 1, n, golden_at_mem, NULL), 3);
}

/*
 * Dirty tracking belongs to the container in the kernel and goes on
 * across the handover: the state says it was on, and the new process can
 * ask for bitmaps without starting it again.
 */
static void dirty_tracking_survives_the_handover(void **state)
{
	uint64_t bm[1], a;
	char saved[512];
	int size;

	(void)state;
	fk.extensions |= 1u << VFIO_UPDATE_VADDR;
	assert_int_equal(vfiox_dma_map(c, mem, 4 * PG, NULL, &a), 0);
	assert_int_equal(vfiox_dma_dirty_start(c), 0);
	assert_int_equal(vfiox_dma_invalidate_vaddrs(c), 1);
	size = vfiox_dma_save(c, saved, sizeof(saved));
	new_process();
	assert_true(fk.dirty);
	assert_int_equal(vfiox_dma_dirty_bitmap(c, a, 4 * PG, bm, sizeof(bm)), -EINVAL);
	assert_int_equal(vfiox_dma_restore(c, saved, (size_t)size, NULL, NULL), 1);
	assert_int_equal(vfiox_dma_dirty_bitmap(c, a, 4 * PG, bm, sizeof(bm)), 0);
	assert_int_equal(bm[0], 0xf);
	assert_int_equal(vfiox_dma_dirty_stop(c), 0);
}

static void quiet(enum vfiox_log_level level, const char *msg, void *user)
{
	(void)level;
	(void)msg;
	(void)user;
}

/* A small deterministic generator, so a failure is reproducible. */
static uint32_t next_random(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(*s >> 33);
}

/*
 * Fuzz-style: thousands of states with a few random bytes changed (sealed
 * again half of the time, so that the checks behind the checksum are
 * reached too). Each is refused, by libvfiox (-EINVAL, -EPROTO) or by
 * the kernel (-ENOENT for an IOVA it does not map), with the books and
 * the kernel as before, or restores all three mappings exactly.
 */
static void random_corruptions_are_refused_or_restored_exactly(void **state)
{
	struct vfiox_dma_stats st = { .sz = sizeof(st) };
	const size_t n = sizeof(cpr_golden_v1);
	unsigned char buf[sizeof(cpr_golden_v1)];
	uint64_t seed = 21;
	int i, k, ret, refused = 0, restored = 0;
	uint32_t kernel, ours;

	(void)state;
	vfiox_set_log(quiet, VFIOX_LOG_ERR, NULL);	/* thousands of lines */
	golden_kernel();
	for (i = 0; i < 4000; i++) {
		memcpy(buf, cpr_golden_v1, n);
		for (k = 1 + next_random(&seed) % 4; k > 0; k--)
			buf[next_random(&seed) % n] ^= (unsigned char)(1 + next_random(&seed) % 255);
		if (next_random(&seed) & 1)
			vfiox_cpr_state_seal(buf, n);
		ret = vfiox_dma_restore(c, buf, n, golden_at_mem, NULL);
		if (ret < 0) {
			/* -ENOENT: the kernel has no mapping at a changed IOVA. */
			if (ret != -EINVAL && ret != -EPROTO && ret != -ENOENT)
				print_error("state %d: %d\n", i, ret);
			assert_true(ret == -EINVAL || ret == -EPROTO || ret == -ENOENT);
			assert_true(all_invalid(true));
			assert_int_equal(vfiox_dma_stats(c, &st), 0);
			assert_int_equal(st.entries_used, 0);
			refused++;
			continue;
		}
		/* Only fields that do not change the mappings were hit. */
		assert_int_equal(ret, 3);
		assert_int_equal(vfiox_dma_stats(c, &st), 0);
		assert_int_equal(st.mapped_bytes, 5 * PG);
		assert_int_equal(vfiox_dma_avail_check(c, &kernel, &ours), 0);
		assert_int_equal(vfiox_dma_invalidate_vaddrs(c), 3);
		new_process();
		restored++;
	}
	assert_true(all_invalid(true));
	assert_int_equal(vfiox_dma_stats(c, &st), 0);
	assert_int_equal(st.entries_used, 0);
	assert_true(refused > 3000 && restored > 0);
	fk_log_capture();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(live_update_restores_books_and_vaddrs),
		T(bad_state_or_failed_update_leaves_books_as_before),
		T(invalidate_without_the_extension_is_enotsup),
		T(revalidate_gives_the_vaddrs_back),
		T(foreign_mappings_refuse_invalidate),
		T(maps_are_refused_while_the_vaddrs_are_invalid),
		T(a_stale_state_is_refused),
		T(the_golden_version_1_state_restores),
		T(save_of_the_golden_mappings_is_the_golden_bytes),
		T(save_before_invalidating_is_refused),
		T(later_formats_restore_only_when_understood),
		T(unsound_states_are_refused_before_the_kernel),
		T(random_corruptions_are_refused_or_restored_exactly),
		T(dirty_tracking_survives_the_handover),
#undef T
	};

	return cmocka_run_group_tests_name("dma_cpr", tests, group_setup, NULL);
}
