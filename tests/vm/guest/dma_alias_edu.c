// SPDX-License-Identifier: MIT
/*
 * One buffer at two IOVAs, as a VMM maps a ROM alias: edu DMAs through
 * both and the bytes land in the one buffer; translate, the IOVA list,
 * reverse, the stats and the kernel's dma_avail are exact; unmapping the
 * older mapping leaves the alias working. On iommufd (no dma_avail) the
 * check of dma_avail is refused.
 */
#include <sys/mman.h>

#include "vmtest.h"

#define PG 4096
#define LEN (2 * PG)
#define COPY 2048
#define ALIAS 0x8000000		/* below edu's 28-bit DMA mask */

static struct vt_edu e;

static void check_books(struct vfiox_container *c, uint32_t avail0,
			uint32_t entries)
{
	struct vfiox_dma_stats st = { .sz = sizeof(st) };
	uint32_t kernel = 0, ours = 0;

	CHECK_RET(vfiox_dma_stats(c, &st), 0);
	CHECK(st.entries_used == entries, "%u entries used, wanted %u",
	      st.entries_used, entries);
	if (vt_iommufd(c)) {	/* no dma_avail to compare with */
		CHECK_REFUSED_ON_IOMMUFD(vfiox_dma_avail_check(c, &kernel, &ours));
		return;
	}
	CHECK_RET(vfiox_dma_avail_check(c, &kernel, &ours), 0);
	CHECK(kernel == avail0 - entries, "kernel dma_avail %u, wanted %u",
	      kernel, avail0 - entries);
}

int main(void)
{
	struct vfiox_dma_opts below_28_bits = { .sz = sizeof(below_28_bits),
						.iova_limit = 0xfffffff };
	uint64_t old_iova, src_iova, iova, all[4];
	struct vfiox_container *c;
	struct vfiox_device *d;
	struct vfiox_group *g;
	uint8_t *buf, *src, *dst;
	uint32_t avail0;
	void *va;

	vt_init();
	CHECK_RET(vt_open(vt_env("VFIOX_EDU"), &c, &g, &d), 0);
	if (vt_failures)
		return vt_done("dma_alias_edu");
	buf = mmap(NULL, 3 * LEN, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(buf != MAP_FAILED, "mmap");
	src = buf + LEN;
	dst = buf + 2 * LEN;
	CHECK_RET(vt_edu_setup(d, &e), 0);
	avail0 = vt_dma_avail(c);
	CHECK(avail0 > 3 || vt_iommufd(c), "dma_avail %u", avail0);
	CHECK_RET(vfiox_dma_map(c, buf, LEN, &below_28_bits, &old_iova), 0);
	CHECK_RET(vfiox_dma_map_fixed(c, buf, LEN, ALIAS, NULL), 0);
	CHECK_RET(vfiox_dma_map(c, src, 2 * LEN, &below_28_bits, &src_iova), 0);
	if (vt_failures)
		return vt_done("dma_alias_edu");
	check_books(c, avail0, 3);

	/* Writes through each IOVA land in the one buffer. */
	vt_fill(src, COPY, 1);
	vt_fill(src + PG, COPY, 2);
	memset(buf, 0, LEN);
	CHECK_RET(vt_edu_copy(&e, src_iova, ALIAS, COPY), 0);
	CHECK_RET(vt_edu_copy(&e, src_iova + PG, old_iova + PG, COPY), 0);
	CHECK(!memcmp(buf, src, COPY), "the DMA through the alias missed the buffer");
	CHECK(!memcmp(buf + PG, src + PG, COPY), "the DMA through the first IOVA missed the buffer");
	/* And a read through the alias sees them. */
	memset(dst, 0, COPY);
	CHECK_RET(vt_edu_copy(&e, ALIAS + PG, src_iova + LEN, COPY), 0);
	CHECK(!memcmp(dst, src + PG, COPY), "a read through the alias differs");

	CHECK_RET(vfiox_dma_translate(c, buf + PG + 5, &iova), 0);
	CHECK(iova == old_iova + PG + 5, "translate gave 0x%llx, not the older mapping's",
	      (unsigned long long)iova);
	CHECK_RET(vfiox_dma_translate_all(c, buf + PG + 5, all, 4), 2);
	CHECK(all[0] == old_iova + PG + 5 && all[1] == ALIAS + PG + 5,
	      "IOVA list 0x%llx 0x%llx", (unsigned long long)all[0],
	      (unsigned long long)all[1]);
	CHECK_RET(vfiox_dma_reverse(c, ALIAS + 7, &va), 0);
	CHECK(va == buf + 7, "reverse of the alias gave %p", va);

	/* The older mapping goes; the alias carries on alone. */
	CHECK_RET(vfiox_dma_unmap_iova(c, old_iova, LEN), 0);
	check_books(c, avail0, 2);
	CHECK_RET(vfiox_dma_translate(c, buf + 5, &iova), 0);
	CHECK(iova == ALIAS + 5, "translate after the unmap gave 0x%llx",
	      (unsigned long long)iova);
	CHECK_RET(vfiox_dma_translate_all(c, buf + 5, all, 4), 1);
	vt_fill(src, COPY, 3);
	CHECK_RET(vt_edu_copy(&e, src_iova, ALIAS, COPY), 0);
	CHECK(!memcmp(buf, src, COPY), "the alias stopped working after the other unmap");
	CHECK_RET(vfiox_dma_unmap_all(c), 2);
	check_books(c, avail0, 0);
	vfiox_container_close(c);
	return vt_done("dma_alias_edu");
}
