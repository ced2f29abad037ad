/* SPDX-License-Identifier: MIT */
#ifndef VFIOX_POOL_H
#define VFIOX_POOL_H

#include <vfiox/version.h>

#include <stddef.h>
#include <stdint.h>
#include <vfiox/dma.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * DMA buffers: memory that is already mapped for the device. A pool maps
 * 2 MiB chunks (hugepages when the system has them, else ordinary pages)
 * one kernel entry each, and hands out buffers from them in 4 KiB units,
 * so thousands of small buffers cost a handful of dma_avail entries.
 * A buffer larger than a chunk gets a chunk of its own.
 *
 * Threads (docs/threads.md): every call but vfiox_dma_pool_free() may come
 * from several threads at once. The pool must be freed before its
 * container is closed.
 */
struct vfiox_dma_pool;

/**
 * struct vfiox_dma_pool_opts - pool options.
 * @sz: sizeof(struct vfiox_dma_pool_opts); options rules in vfiox.h
 * @iova_limit: highest IOVA the device can address, 0 for none
 * @no_hugepages: never try hugetlb pages
 */
struct vfiox_dma_pool_opts {
	size_t sz;
	uint64_t iova_limit;
	int no_hugepages;
};

/**
 * vfiox_dma_pool_new() - a pool of DMA buffers mapped in @c.
 * @c: the container the pool maps its chunks in
 * @opts: NULL for the defaults, or pool options
 * @out: receives the pool
 *
 * No memory is mapped until the first vfiox_dma_alloc().
 * Return: 0, -EINVAL/-ENOMEM, or -E2BIG for options this libvfiox does not
 * know (see vfiox.h).
 */
VFIOX_API int vfiox_dma_pool_new(struct vfiox_container *c,
				 const struct vfiox_dma_pool_opts *opts,
				 struct vfiox_dma_pool **out);

/**
 * vfiox_dma_pool_free() - unmap every chunk and free the memory.
 * @p: pool, may be NULL
 */
VFIOX_API void vfiox_dma_pool_free(struct vfiox_dma_pool *p);

/**
 * vfiox_dma_alloc() - a zeroed buffer of @size bytes, 4 KiB aligned.
 * @p: pool
 * @size: bytes wanted; rounded up to 4 KiB
 * @vaddr: receives its address
 * @iova: receives the IOVA the device uses for it
 * Return: 0; -EINVAL for size 0; -ENOSPC/-ENOMEM or a mapping error when a
 * new chunk was needed and could not be mapped.
 */
VFIOX_API int vfiox_dma_alloc(struct vfiox_dma_pool *p, size_t size,
			      void **vaddr, uint64_t *iova);

/**
 * vfiox_dma_free() - give a buffer back; -ENOENT if not from @p.
 * @p: the pool it came from
 * @vaddr: the address vfiox_dma_alloc() gave
 */
VFIOX_API int vfiox_dma_free(struct vfiox_dma_pool *p, void *vaddr);

/**
 * vfiox_dma_pool_chunks() - kernel mappings the pool holds right now.
 * @p: pool
 */
VFIOX_API int vfiox_dma_pool_chunks(struct vfiox_dma_pool *p);

#ifdef __cplusplus
}
#endif
#endif
