// SPDX-License-Identifier: MIT
#define LOG_PREFIX "pool"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"

#define CHUNK (2UL << 20)
#define UNIT 4096UL
#define UNITS_PER_CHUNK (CHUNK / UNIT)
#define WORDS (UNITS_PER_CHUNK / 64)

struct chunk {
	uint8_t *va;		/* CHUNK-aligned start inside the mmap */
	uint64_t iova;
	size_t size;		/* CHUNK, or larger for a dedicated buffer */
	void *map_base;		/* what mmap returned */
	size_t map_size;
	uint64_t used[WORDS];	/* one bit per 4 KiB unit */
	uint16_t run[UNITS_PER_CHUNK];	/* units of the buffer starting here */
	uint32_t nr_used;
};

struct vfiox_dma_pool {
	struct vfiox_container *c;
	pthread_mutex_t lock;
	struct vfiox_dma_opts map_opts;
	bool hugepages;
	struct chunk **chunks;
	uint32_t nr_chunks;
};

VFIOX_API int vfiox_dma_pool_new(struct vfiox_container *c,
				 const struct vfiox_dma_pool_opts *opts,
				 struct vfiox_dma_pool **out)
{
	struct vfiox_dma_pool *p;
	int ret;

	if (!c || !out) {
		pr_err("new: NULL container or out pointer");
		return -EINVAL;
	}
	ret = VFIOX_OPTS_CHECK(opts, vfiox_dma_pool_opts);
	if (ret)
		return ret;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	if (pthread_mutex_init(&p->lock, NULL)) {
		free(p);
		return -ENOMEM;
	}
	p->c = c;
	p->map_opts.sz = sizeof(p->map_opts);
	p->map_opts.align = CHUNK;
	p->map_opts.iova_limit = VFIOX_OPTS_HAS(opts, iova_limit) ? opts->iova_limit : 0;
	p->hugepages = !(VFIOX_OPTS_HAS(opts, no_hugepages) && opts->no_hugepages);
	*out = p;
	return 0;
}

/* 2 MiB-aligned memory: a hugetlb page if possible, else ordinary pages. */
static int get_memory(struct vfiox_dma_pool *p, struct chunk *ch)
{
	const struct vfiox_sys *sys = p->c->env.sys;
	int ret;

	if (p->hugepages && ch->size == CHUNK) {
		ret = sys->mmap(&ch->map_base, NULL, CHUNK, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
		if (!ret) {
			ch->map_size = CHUNK;
			ch->va = ch->map_base;
			return 0;
		}
		/* No hugetlb pages reserved: stop asking for this pool. */
		pr_info("no 2 MiB hugepages (%s), using 4 KiB pages", ERRSTR(ret));
		p->hugepages = false;
	}
	/* Over-allocate by a chunk so an aligned start always fits. */
	ch->map_size = ch->size + CHUNK;
	ret = sys->mmap(&ch->map_base, NULL, ch->map_size, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ret) {
		pr_err("mmap of %zu bytes: %s", ch->map_size, ERRSTR(ret));
		return ret;
	}
	ch->va = (uint8_t *)(((uintptr_t)ch->map_base + CHUNK - 1) & ~(CHUNK - 1));
	/* Best effort: transparent hugepages let the IOMMU use 2 MiB pages. */
	sys->madvise(ch->va, ch->size, MADV_HUGEPAGE);
	return 0;
}

static void drop_chunk(struct vfiox_dma_pool *p, struct chunk *ch, bool mapped)
{
	if (mapped)
		vfiox_dma_unmap_iova(p->c, ch->iova, ch->size);
	p->c->env.sys->munmap(ch->map_base, ch->map_size);
	free(ch);
}

static int new_chunk(struct vfiox_dma_pool *p, size_t size, struct chunk **out)
{
	struct chunk **grown, *ch = calloc(1, sizeof(*ch));
	int ret;

	if (!ch)
		return -ENOMEM;
	ch->size = size;
	ret = get_memory(p, ch);
	if (ret) {
		free(ch);
		return ret;
	}
	ret = vfiox_dma_map(p->c, ch->va, size, &p->map_opts, &ch->iova);
	if (ret) {
		drop_chunk(p, ch, false);
		return ret;
	}
	grown = realloc(p->chunks, (p->nr_chunks + 1) * sizeof(*grown));
	if (!grown) {
		drop_chunk(p, ch, true);
		return -ENOMEM;
	}
	p->chunks = grown;
	p->chunks[p->nr_chunks++] = ch;
	*out = ch;
	return 0;
}

static bool unit_used(const struct chunk *ch, uint32_t u)
{
	return ch->used[u / 64] >> (u % 64) & 1;
}

static void mark(struct chunk *ch, uint32_t u, uint32_t n, bool used)
{
	uint32_t i;

	for (i = u; i < u + n; i++) {
		if (used)
			ch->used[i / 64] |= 1ULL << (i % 64);
		else
			ch->used[i / 64] &= ~(1ULL << (i % 64));
	}
	ch->run[u] = used ? (uint16_t)n : 0;
	ch->nr_used = used ? ch->nr_used + n : ch->nr_used - n;
}

/* First run of @n free units in @ch, or -1. */
static long find_run(const struct chunk *ch, uint32_t n)
{
	uint32_t u = 0, len = 0;

	for (u = 0; u < UNITS_PER_CHUNK; u++) {
		if (!(u % 64) && ch->used[u / 64] == UINT64_MAX) {
			len = 0;
			u += 63;
			continue;
		}
		len = unit_used(ch, u) ? 0 : len + 1;
		if (len == n)
			return (long)(u + 1 - n);
	}
	return -1;
}

static int alloc_locked(struct vfiox_dma_pool *p, size_t size, void **vaddr,
			uint64_t *iova)
{
	uint32_t n = (uint32_t)((size + UNIT - 1) / UNIT), i;
	struct chunk *ch;
	long u = -1;
	int ret;

	if (size > CHUNK) {
		ret = new_chunk(p, (size + CHUNK - 1) & ~(CHUNK - 1), &ch);
		if (ret)
			return ret;
		ch->nr_used = UNITS_PER_CHUNK;	/* never shared */
		ch->run[0] = 0;
		u = 0;
	} else {
		for (i = 0; i < p->nr_chunks && u < 0; i++) {
			ch = p->chunks[i];
			if (ch->size == CHUNK && UNITS_PER_CHUNK - ch->nr_used >= n)
				u = find_run(ch, n);
		}
		if (u < 0) {
			ret = new_chunk(p, CHUNK, &ch);
			if (ret)
				return ret;
			u = 0;
		}
		mark(ch, (uint32_t)u, n, true);
	}
	*vaddr = ch->va + (size_t)u * UNIT;
	*iova = ch->iova + (uint64_t)u * UNIT;
	memset(*vaddr, 0, size);
	return 0;
}

VFIOX_API int vfiox_dma_alloc(struct vfiox_dma_pool *p, size_t size,
			      void **vaddr, uint64_t *iova)
{
	int ret;

	if (!p || !vaddr || !iova || !size || size > (SIZE_MAX >> 1)) {
		pr_err("alloc: bad argument (size %zu)", size);
		return -EINVAL;
	}
	pthread_mutex_lock(&p->lock);
	ret = alloc_locked(p, size, vaddr, iova);
	pthread_mutex_unlock(&p->lock);
	return ret;
}

static void remove_chunk(struct vfiox_dma_pool *p, uint32_t i)
{
	drop_chunk(p, p->chunks[i], true);
	p->chunks[i] = p->chunks[--p->nr_chunks];
}

static int free_locked(struct vfiox_dma_pool *p, uint8_t *va)
{
	uint32_t i, u;

	for (i = 0; i < p->nr_chunks; i++) {
		struct chunk *ch = p->chunks[i];

		if (va < ch->va || va >= ch->va + ch->size)
			continue;
		if (ch->size != CHUNK) {
			if (va != ch->va)
				break;
			remove_chunk(p, i);
			return 0;
		}
		u = (uint32_t)((size_t)(va - ch->va) / UNIT);
		if ((size_t)(va - ch->va) % UNIT || !ch->run[u])
			break;
		mark(ch, u, ch->run[u], false);
		/* Keep one empty chunk for the next alloc; drop the rest. */
		if (!ch->nr_used && p->nr_chunks > 1)
			remove_chunk(p, i);
		return 0;
	}
	pr_err("free: %p is not a buffer of this pool", (void *)va);
	return -ENOENT;
}

VFIOX_API int vfiox_dma_free(struct vfiox_dma_pool *p, void *vaddr)
{
	int ret;

	if (!p || !vaddr)
		return -EINVAL;
	pthread_mutex_lock(&p->lock);
	ret = free_locked(p, vaddr);
	pthread_mutex_unlock(&p->lock);
	return ret;
}

VFIOX_API void vfiox_dma_pool_free(struct vfiox_dma_pool *p)
{
	if (!p)
		return;
	while (p->nr_chunks)
		remove_chunk(p, p->nr_chunks - 1);
	free(p->chunks);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

VFIOX_API int vfiox_dma_pool_chunks(struct vfiox_dma_pool *p)
{
	int n;

	if (!p)
		return -EINVAL;
	pthread_mutex_lock(&p->lock);
	n = (int)p->nr_chunks;
	pthread_mutex_unlock(&p->lock);
	return n;
}
