// SPDX-License-Identifier: MIT
/*
 * VFIO_IOMMU_MAP_DMA racing a MAP_FIXED replacement of the mmap it maps
 * (issue 17, finding 2). Container A holds edu. A second thread keeps
 * replacing one page X of the address space with MAP_FIXED while the main
 * thread maps X into A again and again, each time at a new IOVA, keeping
 * every mapping that succeeds. The owner a mapping records shows when its
 * owner is closed: the kernel must remove exactly the mappings of the
 * closed device's memory.
 *   round 1  X alternates between ivshmem's BAR 2 and anonymous memory.
 *            Each anonymous mapping pins one page, so VmLck counts them.
 *            ivshmem is closed: the mappings that stay must be exactly the
 *            pinned ones.
 *   round 2  X alternates between ivshmem's BAR 2 and NVMe's BAR 0 (the
 *            device lookup and the pfn lookup of the series' first version
 *            could see different devices). edu reads every mapping by DMA
 *            to learn whose memory it maps; then NVMe is closed: exactly
 *            the mappings that read as ivshmem's must stay.
 *   patched: as above, and both kinds of memory were mapped in each round
 *            (else the race did not interleave and proved nothing).
 *   stock:   no mapping is removed by a close.
 * Detection of a wrong owner on a kernel that can record one depends on
 * the interleaving: more vCPUs make it likelier.
 * On iommufd: no raw map of a BAR's mmap, so nothing to race; P2P only
 * through a dma-buf (vt_p2p_on_iommufd()).
 */
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>

#include "vmtest.h"

#define PG 4096UL
#define EDU_BUF 0x40000
#define EDU_LIMIT 0xfffffffULL
#define ROUND1_TRIES 3000
#define ROUND1_IOVA 0x40000000ULL
#define ROUND2_KEEP 32
#define ROUND2_TRIES 2000
#define ROUND_SECONDS 30
#define MARK "ivshmem-p2p-race"	/* 16 bytes at ivshmem's BAR 2 */

static struct vt_edu edu_dev;

struct flipper {
	void *x;
	int fd[2];	/* -1: anonymous memory */
	off_t off[2];
	volatile int stop;
	unsigned long flips;
};

/* Is a mapping at @iova? Probes with a page of its own: EEXIST says yes. */
static int mapped_at(struct vfiox_container *c, void *probe, uint64_t iova)
{
	int ret = vt_raw_map(c, probe, iova, PG);

	if (!ret)
		vt_raw_unmap(c, iova, PG);
	return ret == -EEXIST;
}

/* Pages the process has locked (type1 accounts its pins there). */
static long vm_locked_pages(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmLck: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb < 0 ? -1 : kb / (long)(PG / 1024);
}

static int place(void *at, int fd, off_t off)
{
	void *p;

	if (fd < 0) {
		p = mmap(at, PG, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		if (p != MAP_FAILED)
			*(volatile char *)p = 1;
	} else {
		p = mmap(at, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
			 fd, off);
	}
	return p == at ? 0 : -errno;
}

static void *flip(void *arg)
{
	struct flipper *f = arg;

	while (!f->stop) {
		int i = f->flips++ & 1;

		if (place(f->x, f->fd[i], f->off[i]))
			break;
	}
	return NULL;
}

static void start(struct flipper *f, pthread_t *t)
{
	f->x = mmap(NULL, PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	f->stop = 0;
	f->flips = 0;
	CHECK(f->x != MAP_FAILED && !place(f->x, f->fd[0], f->off[0]) &&
	      !pthread_create(t, NULL, flip, f), "flipper: %s", strerror(errno));
}

/* Stop flipping and drop X, which may hold a device file. */
static void stop(struct flipper *f, pthread_t t)
{
	f->stop = 1;
	pthread_join(t, NULL);
	munmap(f->x, PG);
	printf("  %lu MAP_FIXED replacements\n", f->flips);
}

/*
 * Map X at @iova + k pages until @keep mappings succeeded, @tries were made
 * or the time is up; returns how many succeeded. A short random sleep now
 * and then lets the flipper run even on one vCPU.
 */
static int race(struct vfiox_container *a, struct flipper *f, uint64_t iova,
		int keep, int tries)
{
	time_t end = time(NULL) + ROUND_SECONDS;
	int ok = 0, again = 0, errors = 0, n, ret;

	for (n = 0; n < tries && ok < keep && time(NULL) < end; n++) {
		if (rand() % 4 == 0)
			usleep(rand() % 200);
		ret = vt_raw_map(a, f->x, iova + ok * PG, PG);
		if (!ret) {
			ok++;
		} else if (ret == -EAGAIN) {
			/* The vma changed while a fault was being taken */
			again++;
		} else if (errors++ < 5) {
			printf("  map %d: %s\n", n, strerror(-ret));
		}
	}
	printf("  %d of %d maps succeeded, %d EAGAIN, %d other errors\n", ok, n,
	       again, errors);
	CHECK(!errors, "a map of one page of one kind fails only with EAGAIN");
	return ok;
}

static void round1(struct vfiox_container *a, struct vfiox_container *cs,
		   struct vfiox_device *shm, int patched)
{
	struct flipper f = { .fd = { vfiox_device_fd(shm), -1 } };
	uint32_t avail0 = vt_dma_avail(a);
	long lck0 = vm_locked_pages(), ram, ram_after;
	int maps, kept;
	pthread_t t;

	f.off[0] = vt_bar_offset(shm, VFIO_PCI_BAR2_REGION_INDEX);
	start(&f, &t);
	maps = race(a, &f, ROUND1_IOVA, ROUND1_TRIES, ROUND1_TRIES);
	stop(&f, t);
	ram = vm_locked_pages() - lck0;
	printf("  round 1: %d mappings, %ld of anonymous memory, %ld of ivshmem\n",
	       maps, ram, maps - ram);
	CHECK(vt_dma_avail(a) == avail0 - maps, "one entry per mapping");

	vfiox_container_close(cs);
	kept = (int)(avail0 - vt_dma_avail(a));
	ram_after = vm_locked_pages() - lck0;
	printf("  round 1: %d mappings stay after ivshmem is closed\n", kept);
	CHECK(ram_after == ram, "no mapping of anonymous memory was removed: %ld of %ld",
	      ram_after, ram);
	if (patched) {
		CHECK(ram > 0 && maps - ram > 0,
		      "the race interleaved: %ld anonymous, %ld ivshmem", ram,
		      maps - ram);
		CHECK(kept == ram,
		      "exactly the mappings of ivshmem went with it: %d stay, %ld anonymous",
		      kept, ram);
	} else {
		CHECK(kept == maps, "stock removes nothing: %d of %d stay", kept, maps);
	}
	vt_raw_unmap(a, ROUND1_IOVA, (uint64_t)ROUND1_TRIES * PG);
}

/* Whose memory edu reads at @iova: 1 ivshmem, 2 NVMe, 0 neither. */
static int whose(uint64_t iova, uint8_t *dst, uint64_t dst_iova,
		 const uint8_t *nvme_regs)
{
	memset(dst, 0, 16);
	if (vt_edu_dma(&edu_dev, iova, EDU_BUF, 16, 0) ||
	    vt_edu_dma(&edu_dev, EDU_BUF, dst_iova, 16, VT_EDU_TO_RAM))
		return 0;
	if (!memcmp(dst, MARK, 16))
		return 1;
	return memcmp(dst, nvme_regs, 16) ? 0 : 2;
}

static void round2(struct vfiox_container *a, struct vfiox_device *shm,
		   struct vfiox_container *cn, struct vfiox_device *nvme,
		   uint64_t base, uint8_t *dst, uint64_t dst_iova, int patched)
{
	struct flipper f = { .fd = { vfiox_device_fd(shm), vfiox_device_fd(nvme) } };
	int kind[ROUND2_KEEP], n[3] = { 0 }, maps, k, stays;
	uint8_t regs[16];
	void *probe;
	pthread_t t;

	f.off[0] = vt_bar_offset(shm, VFIO_PCI_BAR2_REGION_INDEX);
	f.off[1] = vt_bar_offset(nvme, VFIO_PCI_BAR0_REGION_INDEX);
	CHECK(f.off[0] >= 0 && f.off[1] >= 0, "BARs mmap-able");
	/* What the page X maps of each BAR starts with */
	CHECK(pwrite(f.fd[0], MARK, 16, f.off[0]) == 16, "ivshmem: %s",
	      strerror(errno));
	CHECK(pread(f.fd[1], regs, 16, f.off[1]) == 16, "NVMe: %s",
	      strerror(errno));
	CHECK(memcmp(regs, MARK, 16), "the two BARs read differently");
	if (vt_failures)
		return;

	start(&f, &t);
	maps = race(a, &f, base, ROUND2_KEEP, ROUND2_TRIES);
	stop(&f, t);
	for (k = 0; k < maps; k++)
		n[kind[k] = whose(base + k * PG, dst, dst_iova, regs)]++;
	printf("  round 2: %d mappings: %d of ivshmem, %d of NVMe, %d unreadable\n",
	       maps, n[1], n[2], n[0]);
	CHECK(!n[0], "edu reads every mapping as one of the two BARs");

	vfiox_container_close(cn);
	probe = mmap(NULL, PG, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	for (stays = k = 0; k < maps; k++) {
		int m = mapped_at(a, probe, base + k * PG);

		stays += m;
		if (patched)
			CHECK(m == (kind[k] == 1),
			      "mapping %d (%s memory) %s after NVMe was closed",
			      k, kind[k] == 1 ? "ivshmem" : "NVMe",
			      m ? "stays" : "is gone");
	}
	printf("  round 2: %d mappings stay after NVMe is closed\n", stays);
	if (patched)
		CHECK(n[1] > 0 && n[2] > 0, "the race interleaved");
	else
		CHECK(stays == maps, "stock removes nothing: %d of %d stay", stays,
		      maps);
	vt_raw_unmap(a, base, (uint64_t)ROUND2_KEEP * PG);
	munmap(probe, PG);
}

int main(void)
{
	struct vfiox_dma_pool_opts po = { .sz = sizeof(po), .iova_limit = EDU_LIMIT };
	const char *mods = getenv("VFIOX_MODULES");
	int patched = mods && !strcmp(mods, "patched");
	struct vfiox_device *edu, *shm, *nvme;
	struct vfiox_container *a, *cs, *cn;
	struct vfiox_dma_pool *pool;
	struct vfiox_group *g;
	uint64_t dst_iova, base;
	uint8_t *dst;

	vt_init();
	srand(17);
	CHECK_RET(vt_open(vt_env("VFIOX_EDU"), &a, &g, &edu), 0);
	if (vt_failures)
		return 1;
	CHECK_RET(vt_edu_setup(edu, &edu_dev), 0);
	CHECK_RET(vfiox_dma_pool_new(a, &po, &pool), 0);
	CHECK_RET(vfiox_dma_alloc(pool, PG, (void **)&dst, &dst_iova), 0);
	if (vt_iommufd(a)) {
		CHECK_RET(vt_open(vt_env("VFIOX_IVSHMEM"), &cs, &g, &shm), 0);
		if (!vt_failures)
			vt_p2p_on_iommufd(a, shm);
		return vt_done("p2p_map_fixed_race");
	}
	CHECK_RET(vfiox_p2p_revocable(a), patched);
	/* Round 2's IOVAs must be below edu's DMA limit, clear of the pool's. */
	base = dst_iova >= 0xc000000 && dst_iova < 0xd000000 ? 0xd000000 : 0xc000000;

	CHECK_RET(vt_open(vt_env("VFIOX_IVSHMEM"), &cs, &g, &shm), 0);
	if (vt_failures)
		return 1;
	round1(a, cs, shm, patched);

	CHECK_RET(vt_open(vt_env("VFIOX_IVSHMEM"), &cs, &g, &shm), 0);
	CHECK_RET(vt_open(vt_env("VFIOX_NVME"), &cn, &g, &nvme), 0);
	if (!vt_failures)
		round2(a, shm, cn, nvme, base, dst, dst_iova, patched);
	vfiox_container_close(cs);
	vfiox_dma_pool_free(pool);
	vfiox_container_close(a);
	return vt_done("p2p_map_fixed_race");
}
