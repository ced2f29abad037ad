/* SPDX-License-Identifier: MIT */
#ifndef VFIOX_DMA_H
#define VFIOX_DMA_H

#include <vfiox/version.h>

#include <stddef.h>
#include <stdint.h>
#include <vfiox/container.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * DMA mappings of a container. libvfiox picks IOVAs inside the container's
 * IOVA ranges and outside every reserved region of every attached group
 * (relaxable ones included), counts kernel mapping entries against
 * dma_avail, and keeps a table for vaddr <-> IOVA lookups.
 *
 * Threads (docs/threads.md): the calls here may come from any number of
 * threads at once (map, unmap and stats serialise on the container's DMA
 * lock, whose waiters sleep in the kernel); vfiox_dma_translate() and
 * vfiox_dma_reverse() take no lock and never wait for a writer to finish,
 * they only retry when a write landed while they were reading. Not
 * concurrent with the container's other calls (vfiox/container.h).
 *
 * Mappings live as long as a group is attached: when the last group
 * detaches, type1 drops them all, and so does libvfiox. iommufd's compat
 * container keeps them (and its IOMMU) until its fd closes; libvfiox asks
 * the kernel which it is, and keeps its books when the kernel keeps the
 * mappings.
 *
 * Aliases: one buffer (or overlapping parts of buffers) may be mapped at
 * several IOVAs, as a VMM maps a ROM at two guest addresses; each mapping
 * is a kernel entry of its own (dma_avail, stats). IOVAs never overlap.
 * vfiox_dma_translate() of an aliased vaddr gives the IOVA in the oldest
 * live mapping of it: unmapping the others does not change it, unmapping
 * that one moves it to the next oldest. vfiox_dma_translate_all() lists
 * them all.
 */

/**
 * struct vfiox_dma_opts - constraints for one mapping.
 * @sz: sizeof(struct vfiox_dma_opts); options rules in vfiox.h
 * @align: minimum IOVA alignment (power of two), 0 for the default: the
 *         largest IOMMU page size not larger than the buffer
 * @iova_limit: highest IOVA the device can address (e.g. 0xfffffff for a
 *              28-bit DMA mask), 0 for no limit; the whole mapping stays
 *              at or below it
 * @read_only: the device may only read the buffer
 */
struct vfiox_dma_opts {
	size_t sz;
	uint64_t align;
	uint64_t iova_limit;
	int read_only;
};

/**
 * struct vfiox_dma_stats - what the DMA engine holds.
 * @sz: sizeof(struct vfiox_dma_stats); first published size: up to
 *      @mapped_bytes (output rules in vfiox.h)
 * @entries_avail: kernel mapping entries left (dma_avail as tracked);
 *                 where the kernel reports no limit (iommufd, a type1
 *                 before 5.10) UINT32_MAX minus @entries_used: no limit,
 *                 not a count
 * @entries_used: mappings made through libvfiox
 * @mapped_bytes: their total size
 */
struct vfiox_dma_stats {
	size_t sz;
	uint32_t entries_avail;
	uint32_t entries_used;
	uint64_t mapped_bytes;
};

/**
 * vfiox_dma_map() - map @len bytes at @vaddr at an IOVA libvfiox chooses.
 * @c: container
 * @vaddr: start of the buffer in this process
 * @len: its length in bytes
 * @opts: NULL or constraints
 * @iova: receives the IOVA
 *
 * @vaddr and @len must be multiples of the smallest IOMMU page size.
 * The IOVA is the lowest that fits the constraints, except that a one-page
 * map reuses the IOVA of the most recent one-page unmap when it fits
 * (per-I/O maps then skip the allocator's tree).
 * Return: 0; -EINVAL for zero, unaligned or overflowing arguments (no
 * syscall made); -E2BIG for options this libvfiox does not know (see
 * vfiox.h); -ENOSPC
 * when no kernel entries are left (before asking the kernel) or no IOVA
 * space fits; -ENODEV with no group attached; the kernel's errno otherwise,
 * with the IOVA returned to the allocator.
 */
VFIOX_API int vfiox_dma_map(struct vfiox_container *c, void *vaddr,
			    size_t len, const struct vfiox_dma_opts *opts,
			    uint64_t *iova);

/**
 * vfiox_dma_map_fixed() - map at a caller-chosen IOVA.
 * @c: container
 * @vaddr: start of the buffer in this process (it may be mapped elsewhere
 *         already: an alias, see the header comment)
 * @len: its length in bytes
 * @iova: the IOVA to map it at
 * @opts: NULL or constraints (@opts->read_only; the IOVA is the caller's)
 * Return: as vfiox_dma_map(); -EEXIST if the IOVA range overlaps a mapping;
 * -EPERM if it touches a direct-relaxable region and the container was not
 * opened with allow_relaxable (the message names the region and its group);
 * -EINVAL if it leaves the IOVA ranges or touches another reserved region.
 */
VFIOX_API int vfiox_dma_map_fixed(struct vfiox_container *c, void *vaddr,
				  size_t len, uint64_t iova,
				  const struct vfiox_dma_opts *opts);

/**
 * vfiox_dma_identity_regions() - what a VMM identity-maps for its guest.
 * @c: container
 * @out: array for up to @max ranges (may be NULL when @max is 0)
 * @max: entries in @out
 *
 * The direct-relaxable regions of every attached group (RMRRs, the floppy
 * window), rounded out to the IOMMU page size and merged, sorted by start.
 * A device may still DMA to them, so a VMM that gives its guest memory at
 * the same addresses maps that memory there with vfiox_dma_map_identity().
 * Return: the number of ranges (may exceed @max), -ENODEV with no group
 * attached, or -EINVAL.
 */
VFIOX_API int vfiox_dma_identity_regions(struct vfiox_container *c,
					 struct vfiox_iova_range *out,
					 size_t max);

/**
 * vfiox_dma_map_identity() - map @vaddr at IOVA == @r->start, for the
 * @r->end - @r->start + 1 bytes of one range of vfiox_dma_identity_regions().
 * @c: container
 * @r: one range returned by vfiox_dma_identity_regions()
 * @vaddr: the memory to map there, @r->end - @r->start + 1 bytes
 * @opts: NULL or constraints (@opts->read_only)
 *
 * The container must have been opened with allow_relaxable.
 * Return: as vfiox_dma_map_fixed(); -EPERM without allow_relaxable; -EINVAL
 * if @r is not one of those ranges; the kernel's errno when it refuses the
 * region (strict_relaxable of the libvfiox kernel series).
 */
VFIOX_API int vfiox_dma_map_identity(struct vfiox_container *c,
				     const struct vfiox_iova_range *r,
				     void *vaddr,
				     const struct vfiox_dma_opts *opts);

/**
 * vfiox_dma_unmap_iova() - remove the mapping [@iova, @iova + @len).
 * @c: container
 * @iova: start of the mapping
 * @len: its length
 * Return: 0; -ENOENT if nothing is mapped there; -EINVAL if the range is
 * not exactly one mapping (type1 v2 cannot split one); the kernel's errno,
 * with the table unchanged.
 */
VFIOX_API int vfiox_dma_unmap_iova(struct vfiox_container *c, uint64_t iova,
				   size_t len);

/**
 * vfiox_dma_unmap_vaddr() - the same, naming the mapping by its buffer.
 * @c: container
 * @vaddr: the buffer's address as it was mapped
 * @len: its length
 *
 * Of a buffer mapped several times at exactly [@vaddr, @vaddr + @len), the
 * oldest mapping goes; vfiox_dma_unmap_iova() names one alias.
 */
VFIOX_API int vfiox_dma_unmap_vaddr(struct vfiox_container *c, void *vaddr,
				    size_t len);

/**
 * vfiox_dma_unmap_range() - remove every mapping inside [@iova, @iova + @len)
 * in one VFIO_IOMMU_UNMAP_DMA.
 * @c: container
 * @iova: start of the range
 * @len: its length; the range may hold gaps and several mappings
 *
 * As a VMM unplugs a slot of guest memory. Every mapping that meets the
 * range must lie wholly inside it: one that crosses either end is refused
 * before any syscall (type1 v2 cannot split a mapping).
 * Return: the number of mappings removed; -EINVAL for an empty or wrapping
 * range or one that would split a mapping; -ENOENT if nothing is mapped in
 * it; the kernel's errno, with the table unchanged.
 */
VFIOX_API int vfiox_dma_unmap_range(struct vfiox_container *c, uint64_t iova,
				    uint64_t len);

/**
 * vfiox_dma_unmap_all() - remove every mapping made through libvfiox.
 * @c: container
 *
 * Where the kernel has VFIO_UNMAP_ALL (asked once, through
 * vfiox_container_check_extension()) this is one VFIO_IOMMU_UNMAP_DMA with
 * VFIO_DMA_UNMAP_FLAG_ALL, which also removes mappings made through the
 * container fd behind libvfiox's back; without it, one call per mapping.
 * When libvfiox holds no mapping it asks the kernel nothing, and mappings
 * made behind its back stay.
 * Return: the number removed, or the first error (mappings not yet removed
 * stay in the table).
 */
VFIOX_API int vfiox_dma_unmap_all(struct vfiox_container *c);

/**
 * vfiox_dma_translate() - IOVA of any byte inside a mapped buffer.
 * @c: container
 * @vaddr: an address inside a mapped buffer
 * @iova: receives the IOVA the device uses for it
 * Return: 0 with *@iova set, or -ENOENT. Lock-free; see the header comment.
 * For a vaddr with aliases, the IOVA in its oldest live mapping.
 */
VFIOX_API int vfiox_dma_translate(const struct vfiox_container *c,
				  const void *vaddr, uint64_t *iova);

/**
 * vfiox_dma_translate_all() - every IOVA at which a byte is mapped.
 * @c: container
 * @vaddr: an address inside a mapped buffer
 * @iovas: array for up to @max IOVAs (may be NULL when @max is 0)
 * @max: entries in @iovas
 *
 * The IOVAs of @vaddr in each live mapping of it, oldest mapping first
 * (the first is what vfiox_dma_translate() gives), then in mapping order.
 * Takes the DMA lock, unlike vfiox_dma_translate(); its cost grows with
 * the number of aliases in the container.
 * Return: the number of mappings of @vaddr (may exceed @max: call again
 * with a larger array), 0 when it is not mapped, or -EINVAL.
 */
VFIOX_API int vfiox_dma_translate_all(struct vfiox_container *c,
				      const void *vaddr, uint64_t *iovas,
				      size_t max);

/**
 * vfiox_dma_reverse() - the buffer address behind an IOVA; 0 or -ENOENT.
 * @c: container
 * @iova: an IOVA inside a mapping
 * @vaddr: receives the process address it maps
 */
VFIOX_API int vfiox_dma_reverse(const struct vfiox_container *c, uint64_t iova,
				void **vaddr);

/**
 * vfiox_dma_stats() - see struct vfiox_dma_stats.
 * @c: container
 * @stats: receives the figures; the caller sets @stats->sz
 */
VFIOX_API int vfiox_dma_stats(struct vfiox_container *c,
			      struct vfiox_dma_stats *stats);

/**
 * vfiox_dma_avail_check() - re-read the kernel's dma_avail and compare it
 * with libvfiox's own count of entries left.
 * @c: container
 * @kernel: the kernel's dma_avail now
 * @ours: the entries libvfiox believes are left
 *
 * A mismatch means someone else maps through the same container fd, or a
 * mapping the kernel revoked that libvfiox has not heard of; it is logged.
 * Return: 0 when they agree, 1 when they differ, -ENOTSUP when the kernel
 * does not report dma_avail, -ENODEV without a group, or a negative errno;
 * on an error neither out-parameter is written.
 */
VFIOX_API int vfiox_dma_avail_check(struct vfiox_container *c,
				    uint32_t *kernel, uint32_t *ours);

/**
 * vfiox_dma_dirty_start() - start dirty page tracking for live migration.
 * @c: container
 *
 * VFIO_IOMMU_DIRTY_PAGES start. From now on the kernel logs the pages a
 * device may have written. Type1 cannot tell which ones a device wrote
 * unless its driver pins pages: it reports every page of every mapping
 * dirty, on each bitmap read.
 * Return: 0; -ENOTSUP when the IOMMU info has no migration capability
 * (vfiox_iommu_info.has_migration); -ENODEV with no group; the kernel's
 * errno.
 */
VFIOX_API int vfiox_dma_dirty_start(struct vfiox_container *c);

/**
 * vfiox_dma_dirty_stop() - stop dirty page tracking.
 * @c: container
 * Return: as vfiox_dma_dirty_start().
 */
VFIOX_API int vfiox_dma_dirty_stop(struct vfiox_container *c);

/**
 * vfiox_dma_dirty_bitmap() - the dirty pages of an IOVA range.
 * @c: container, with tracking started
 * @iova: start of the range
 * @len: its length; the range may hold gaps and several mappings, and
 *       must split none
 * @bitmap: receives one bit per page of the smallest of
 *          vfiox_iommu_info.migration_pgsizes, bit n of word n / 64 for
 *          the page at @iova + n * page size; zeroed first
 * @size: bytes in @bitmap: at least 8 bytes per 64 pages of the range
 *
 * A range whose bitmap is larger than the kernel fills in one call
 * (vfiox_iommu_info.max_dirty_bitmap_size) is queried in several calls,
 * each over whole mappings. Takes the DMA lock.
 * Return: 0; -EINVAL for bad arguments, an unaligned range, one that
 * splits a mapping, or tracking not started; -ENOSPC for too small a
 * bitmap; -E2BIG for a single mapping whose bitmap is larger than the
 * kernel fills (all before any syscall); -ENOTSUP, -ENODEV as
 * vfiox_dma_dirty_start(); the kernel's errno.
 */
VFIOX_API int vfiox_dma_dirty_bitmap(struct vfiox_container *c, uint64_t iova,
				     uint64_t len, uint64_t *bitmap,
				     size_t size);

/**
 * vfiox_dma_unmap_dirty() - vfiox_dma_unmap_range() that also returns the
 * dirty pages of what it removes (VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP).
 * @c: container, with tracking started
 * @iova: start of the range
 * @len: its length
 * @bitmap: receives the bitmap, as vfiox_dma_dirty_bitmap()
 * @size: bytes in @bitmap
 * @removed: if not NULL, receives the number of mappings removed, on
 *           failure too (0 when the call failed before any syscall)
 *
 * Split into several unmaps as vfiox_dma_dirty_bitmap() splits a query.
 * When one of them fails after earlier ones removed mappings, those are
 * gone and the call still fails: it returns the kernel's errno, *@removed
 * says how many were removed, the bitmap holds their pages and zeros after
 * them, and the failure is logged. The mappings not removed are still
 * mapped, and their pages are not in the bitmap: a migration must treat
 * them as dirty (or query them with vfiox_dma_dirty_bitmap()) before it
 * unmaps them again.
 * Return: the number of mappings removed, all the range held; the errors
 * of vfiox_dma_dirty_bitmap(); -ENOENT if nothing is mapped in the range;
 * the kernel's errno when an unmap failed, after earlier ones or not.
 */
VFIOX_API int vfiox_dma_unmap_dirty(struct vfiox_container *c, uint64_t iova,
				    uint64_t len, uint64_t *bitmap, size_t size,
				    int *removed);

/**
 * vfiox_dma_invalidate_vaddrs() - live update, old process: invalidate the
 * vaddr of every mapping (VFIO_UPDATE_VADDR).
 * @c: container
 *
 * One VFIO_IOMMU_UNMAP_DMA with VFIO_DMA_UNMAP_FLAG_VADDR (and _ALL where
 * the kernel has VFIO_UNMAP_ALL), else one per mapping, undone if one
 * fails. The IOVAs stay mapped and devices DMA on; the kernel blocks only
 * what needs the vaddr (pinning more pages, attaching a group) until a new
 * process gives it back with vfiox_dma_restore(). libvfiox's books are
 * unchanged. Then save the state with vfiox_dma_save() and hand it over
 * with the container and group fds (e.g. across exec(), without
 * FD_CLOEXEC). Until the vaddrs are given back, every map through this
 * container is refused with -EBUSY (its vaddr would be valid, and its
 * update in the new process refused); unmaps are fine and change what the
 * state records.
 * If the handover does not happen, vfiox_dma_revalidate_vaddrs() gives
 * the vaddrs back in this process.
 * Only mappings libvfiox made can be handed over: where the kernel reports
 * dma_avail, a container with others (made through the fd behind
 * libvfiox's back) is refused before anything is invalidated; without
 * dma_avail, VADDR|ALL invalidates them too, libvfiox notices by the bytes
 * the kernel reports, gives its own vaddrs back and refuses, but cannot
 * give back theirs.
 * Return: the number of mappings; -ENOTSUP without VFIO_UPDATE_VADDR;
 * -ENODEV with no group; -EBUSY when a P2P mapping is in the container,
 * which cannot be handed over, or a mapping libvfiox did not make (both
 * logged); the kernel's errno (-EINVAL from type1 when a vaddr is invalid
 * already).
 */
VFIOX_API int vfiox_dma_invalidate_vaddrs(struct vfiox_container *c);

/**
 * vfiox_dma_revalidate_vaddrs() - live update called off, old process:
 * give every mapping its vaddr back, as libvfiox recorded it
 * (VFIO_IOMMU_MAP_DMA with VFIO_DMA_MAP_FLAG_VADDR, one per mapping).
 * @c: container whose vaddrs vfiox_dma_invalidate_vaddrs() invalidated
 *
 * All or none: if one update fails, those made are invalidated again.
 * Maps are accepted again once it succeeded. A revalidate voids every
 * state saved before it: the mappings may change before the next
 * invalidation, in ways restore cannot notice (an unmap and a map of the
 * same IOVA and size over other memory keep dma_avail). Save again after
 * the next vfiox_dma_invalidate_vaddrs().
 * Return: the number of mappings; -ENOTSUP without VFIO_UPDATE_VADDR;
 * -ENODEV with no group; the kernel's errno (-EINVAL from type1 when a
 * vaddr was valid already).
 */
VFIOX_API int vfiox_dma_revalidate_vaddrs(struct vfiox_container *c);

/*
 * The live update state. What vfiox_dma_save() writes is a stable,
 * versioned format, not a memory dump: a new libvfiox restores what an
 * older one saved, so a VMM can be upgraded, or rolled back, across a live
 * update. Its layout (little-endian whatever the host; a header, then one
 * record per mapping) is in the source, lib/dma_cpr_state.h, and in
 * docs/live-update.md. The promise, from format version 1 (libvfiox 0.1)
 * on:
 * - The magic and the format version keep their place. A libvfiox reads
 *   every format version up to its own; it refuses a later one with
 *   -EPROTO. The version changes only for a change older readers could
 *   not be safe with.
 * - A format grows compatibly: a longer header or longer records (their
 *   sizes are in the header) whose new bytes an older reader may skip when
 *   they are zero, and hints it may ignore. A reader refuses with -EPROTO
 *   a nonzero byte it does not know, and a must-understand flag it does
 *   not know.
 * - A writer keeps rollback possible: a libvfiox writes the oldest format
 *   version that holds what it records, and grows it only by hints and by
 *   bytes that are zero when unused. The unit suite pins what this one
 *   writes, byte for byte (tests/unit/cpr_golden_v1.h).
 * - A CRC-32 covers every byte: a corrupt state is -EINVAL, as is one
 *   whose records are not sound (empty, unaligned, wrapping, overlapping
 *   IOVAs) or that does not fit the container.
 * Each refusal is logged with what was wrong.
 */

/**
 * vfiox_dma_save() - live update: libvfiox's mappings, for vfiox_dma_restore().
 * @c: container, its vaddrs invalidated (vfiox_dma_invalidate_vaddrs())
 * @buf: receives the state (the format above), or NULL to ask for its
 *       size; any alignment
 * @size: bytes in @buf
 *
 * Records every mapping (vaddr, IOVA, length), oldest first, so that
 * aliases keep their order; the page size, the IOMMU type, whether dirty
 * tracking is on, and the kernel's dma_avail now (restore compares it with
 * the kernel's then, so that a stale state is refused). Nothing is written
 * unless it all fits.
 * Return: the size of the state (when larger than @size, call again with a
 * larger buffer); -EBUSY if a P2P mapping is held (its device memory
 * cannot be handed over); -E2BIG for a state over 2 GiB; -EINVAL for a
 * NULL @c, or for a write (not a size query) while the vaddrs are not
 * invalidated; the kernel's errno reading dma_avail.
 */
VFIOX_API int vfiox_dma_save(struct vfiox_container *c, void *buf, size_t size);

/**
 * typedef vfiox_dma_relocate_fn - where a saved buffer lives in this process.
 * @user: the caller's pointer given to vfiox_dma_restore()
 * @old_vaddr: the buffer's address in the process that saved the state
 * @len: its length
 *
 * Return: the buffer's address now (the same memory, e.g. the memfd mapped
 * again), or NULL when there is none, which fails the restore.
 */
typedef void *(*vfiox_dma_relocate_fn)(void *user, uint64_t old_vaddr,
					uint64_t len);

/**
 * vfiox_dma_restore() - live update, new process: take over the mappings
 * of a saved state and give the kernel their new vaddrs.
 * @c: the container, adopted from the fd the old process handed over,
 *     with its groups; no mapping made through it yet
 * @state: what vfiox_dma_save() wrote
 * @size: its size
 * @relocate: NULL when every buffer is at its old address (mapped there
 *            with MAP_FIXED), else called once per mapping, oldest first,
 *            before the DMA lock is taken
 * @user: passed to @relocate
 *
 * The state is checked whole first (the format above, any alignment),
 * then against the container: the same page size, and the kernel's
 * dma_avail now the one saved (a state that is not the container's last,
 * or a container mapped through since, is refused). Each mapping goes into
 * the table and out of the IOVA space, then its vaddr is updated
 * (VFIO_IOMMU_MAP_DMA with VFIO_DMA_MAP_FLAG_VADDR); the entries count as
 * used (the kernel's dma_avail, read when the groups were adopted, had
 * them already), so vfiox_dma_avail_check() agrees. If an update fails,
 * those made are invalidated again and the books are as before. If dirty
 * tracking was on when the state was saved, it is on here too (the kernel
 * tracks per container); after vfiox_container_adopt() without a state,
 * call vfiox_dma_dirty_start() again (it does nothing when on).
 * Return: the number of mappings restored; -EINVAL for a state that is
 * not one or is corrupt, a state not of this container (page size, stale),
 * a mapping outside this container's IOVA space (a direct-relaxable region
 * needs allow_relaxable; the log says so), or a NULL, unaligned or
 * wrapping address from @relocate; -EPROTO for a state of a later format
 * this libvfiox cannot read; -EBUSY when the container has mappings;
 * -ENOMEM; -ENOTSUP, -ENODEV as vfiox_dma_invalidate_vaddrs(); the
 * kernel's errno (-EINVAL: a vaddr not invalidated, or not that memory;
 * -ENOENT: no mapping at a recorded IOVA).
 */
VFIOX_API int vfiox_dma_restore(struct vfiox_container *c, const void *state,
				size_t size, vfiox_dma_relocate_fn relocate,
				void *user);

#ifdef __cplusplus
}
#endif
#endif
