// SPDX-License-Identifier: MIT
/*
 * The I/O page fault mode of type1 (the series' 0014), served for real on
 * the mock-iommu machine: the mock IOMMU owns edu and sends page requests
 * without a PASID, as a PRI device would, written to its debugfs "fault".
 *   1. when the IOMMU refuses the attach with a fault handler, enable
 *      fails with -EOPNOTSUPP and the container stays in pinned mode:
 *      a map there maps at once and grows VmLck; so it does when the
 *      IOMMU accepts that attach but queues no fault for the device (as
 *      AMD and SMMUv3 do); when the group cannot even go back to its
 *      domain, enable fails with -EIO and the container still closes;
 *   2. enable attaches edu's group again to a domain with a fault handler
 *      (the mock says so); maps after it map nothing and pin nothing;
 *   3. a page request for a mapped page maps exactly that page, at the
 *      process's physical page, answered "success" (also when the map
 *      without reclaim fails once and the fault reclaims); one outside every
 *      mapping and a write to a read-only mapping are answered "invalid";
 *   4. MADV_DONTNEED, mprotect to read-only, munmap and copy-on-write
 *      after fork() each unmap the faulted page before the mm lets it go,
 *      and a new request maps the page the process has now;
 *   5. an IOMMU that unmaps nothing once is retried page by page and the
 *      mapping works on; one that keeps refusing leaves the mapping
 *      taking no more faults, with a warning, and the pages it kept are
 *      unmapped with the mapping; unmapping a partly faulted mapping
 *      leaves nothing mapped;
 *   6. refused in IOPF mode: a map without the IOPF flag, a map of more
 *      than 2^28 pages, a map of a BAR mmap, dirty tracking, vaddr
 *      updates and a second group;
 *   7. page requests from four threads (groups of four, three of them
 *      not last) racing two threads of DONTNEED, munmap then mmap, mmap
 *      over, and mprotect for 2 s, then a device close and a container
 *      close during the storm: nothing stays mapped, the domain is freed
 *      with no page left mapped and the mock lists no mapping at all (the
 *      debug kernel checks for splats and kmemleak leaks after the test);
 *   8. a close while one fault is held where it maps (the mock's "stall")
 *      and eight more wait: the close waits for them, the mock takes edu
 *      out of its fault queue as VT-d does (freeing the groups still
 *      pending there), and every request is answered exactly once, with
 *      no use-after-free (issue 19's review, B1).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#include "vmtest.h"
#include "mock.h"
#include "../../../lib/uapi_ext.h"

#define PG 4096ULL
#define NPAGES 64
#define STORM_PAGES 256
#define STORM_INJECTORS 4
#define STORM_CHURNERS 2

/* VmLck of this process in KiB, or -1. */
static long vmlck_kb(void)
{
	char line[128];
	FILE *f = fopen("/proc/self/status", "r");
	long kb = -1;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmLck: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

static int64_t mapped_pa(int dom, uint64_t iova)
{
	int64_t pa;

	mock_mapped(dom, iova, PG, &pa);
	return pa;
}

/* The physical address of the page at @p (pagemap; root only), or -1. */
static int64_t phys_of(const void *p)
{
	uint64_t entry = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);
	off_t off = (off_t)((uintptr_t)p / PG * sizeof(entry));

	if (fd < 0)
		return -1;
	if (pread(fd, &entry, sizeof(entry), off) != sizeof(entry))
		entry = 0;
	close(fd);
	if (!(entry & (1ULL << 63)))
		return -1;
	return (int64_t)((entry & ((1ULL << 55) - 1)) * PG);
}

/* VFIO_IOMMU_MAP_DMA with @flags, behind libvfiox's back: 0 or -errno. */
static int raw_map(struct vfiox_container *c, const void *vaddr, uint64_t iova,
		   uint64_t len, uint32_t flags)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m), .flags = flags,
		.vaddr = (uintptr_t)vaddr, .iova = iova, .size = len,
	};

	return ioctl(vfiox_container_fd(c), VFIO_IOMMU_MAP_DMA, &m) ? -errno : 0;
}

static void *anon(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void refused_then_pinned(const char *edu)
{
	struct vfiox_container *c;
	struct vfiox_group *g;
	struct vfiox_device *d;
	uint8_t *buf = anon(NPAGES * PG);
	uint64_t iova;
	long before;
	int dom;

	if (!buf || vt_open(edu, &c, &g, &d)) {
		CHECK(0, "open %s", edu);
		return;
	}
	dom = domain_of(edu);
	CHECK_RET(mock_write(MOCK "refuse", "iopf 5"), 0);
	vt_log_clear();
	CHECK_RET(vfiox_container_enable_iopf(c), -EOPNOTSUPP);
	CHECK(vt_log_has("stays in pinned mode"), "the refusal was not explained");
	CHECK(vt_count_kmsg("cannot take I/O page faults (-5)") >= 1,
	      "the kernel did not say why it refused");
	CHECK_RET(vfiox_container_iopf_enabled(c), 0);
	CHECK(domain_of(edu) == dom, "edu is in domain %d, not back in %d",
	      domain_of(edu), dom);
	before = vmlck_kb();
	CHECK_RET(vfiox_dma_map(c, buf, NPAGES * PG, NULL, &iova), 0);
	CHECK(mock_mapped(dom, iova, NPAGES * PG, NULL) == NPAGES,
	      "pinned mode mapped %ld of %d pages", mock_mapped(dom, iova, NPAGES * PG, NULL),
	      NPAGES);
	CHECK(vmlck_kb() >= before + (long)(NPAGES * PG / 1024),
	      "pinning did not grow VmLck (%ld -> %ld kB)", before, vmlck_kb());
	vfiox_container_close(c);
	munmap(buf, NPAGES * PG);
}

/* Enable refused in the ways a driver can refuse, the container kept. */
static void switch_refused(const char *edu)
{
	struct vfiox_container *c;
	struct vfiox_group *g;
	struct vfiox_device *d;
	uint64_t iova;
	uint8_t *buf = anon(PG);

	if (!buf || vt_open(edu, &c, &g, &d)) {
		CHECK(0, "open %s", edu);
		return;
	}
	CHECK_RET(mock_write(MOCK "refuse", "noqueue 1"), 0);
	CHECK_RET(vfiox_container_enable_iopf(c), -EOPNOTSUPP);
	CHECK(vt_count_kmsg("cannot take I/O page faults (-95)") >= 1,
	      "the kernel did not say that no fault queue came");
	CHECK_RET(vfiox_container_iopf_enabled(c), 0);
	CHECK_RET(vfiox_dma_map(c, buf, PG, NULL, &iova), 0);
	CHECK(mock_mapped(domain_of(edu), iova, PG, NULL) == 1,
	      "the container refused without a queue is not pinned");
	vfiox_container_close(c);
	if (vt_open(edu, &c, &g, &d)) {
		CHECK(0, "open %s again", edu);
		return;
	}
	CHECK_RET(mock_write(MOCK "refuse", "iopf 5"), 0);
	CHECK_RET(mock_write(MOCK "refuse", "attach 1"), 0);
	vt_log_clear();
	CHECK_RET(vfiox_container_enable_iopf(c), -EIO);
	CHECK(vt_count_kmsg("left blocked") >= 1, "the kernel did not say the group is blocked");
	vfiox_container_close(c);
	munmap(buf, PG);
}

static void requests(const char *edu, struct vfiox_container *c, int dom,
		     uint8_t *buf, uint64_t iova)
{
	struct vfiox_dma_opts ro_opts = { .sz = sizeof(ro_opts), .read_only = 1 };
	uint8_t *ro = anon(PG);
	uint64_t ro_iova;

	/* The first map without reclaim fails: the fault reclaims, then maps */
	CHECK_RET(mock_write(MOCK "refuse", "nowait 1"), 0);
	CHECK(mock_answered(mock_fault(edu, MOCK_RID, iova + 3 * PG, "w", 1), "success"),
	      "write request on a mapped page not served");
	CHECK(mock_has(MOCK "events", "without reclaim refused") == 1,
	      "the map without reclaim was not refused first");
	CHECK(mock_mapped(dom, iova, NPAGES * PG, NULL) == 1,
	      "%ld pages mapped after one request", mock_mapped(dom, iova, NPAGES * PG, NULL));
	CHECK(mapped_pa(dom, iova + 3 * PG) == phys_of(buf + 3 * PG) &&
	      phys_of(buf + 3 * PG) > 0, "page 3 mapped at %#llx, the process has %#llx",
	      (long long)mapped_pa(dom, iova + 3 * PG), (long long)phys_of(buf + 3 * PG));
	CHECK(mock_answered(mock_fault(edu, MOCK_RID, iova + 3 * PG + 8, "r", 2), "success"),
	      "request on a mapped page not served");
	CHECK(mock_mapped(dom, iova, NPAGES * PG, NULL) == 1, "a second request mapped more");
	CHECK(mock_answered(mock_fault(edu, MOCK_RID, iova + NPAGES * PG, "r", 3), "invalid"),
	      "a request outside every mapping was not refused");
	if (!ro) {
		CHECK(0, "mmap");
		return;
	}
	CHECK_RET(vfiox_dma_map(c, ro, PG, &ro_opts, &ro_iova), 0);
	CHECK(mock_answered(mock_fault(edu, MOCK_RID, ro_iova, "w", 4), "invalid"),
	      "a write request on a read-only mapping was not refused");
	CHECK(mapped_pa(dom, ro_iova) == -1, "the refused write mapped a page");
	CHECK(mock_answered(mock_fault(edu, MOCK_RID, ro_iova, "r", 5), "success"),
	      "a read request on a read-only mapping was not served");
	CHECK(mock_has(MOCK "mappings", " r\n") == 1, "the read-only page is not mapped read-only");
	CHECK_RET(vfiox_dma_unmap_iova(c, ro_iova, PG), 0);
	munmap(ro, PG);
}

/* Faults page @n of the mapping in, before @change: 0 or -1. */
static int fault_in(const char *edu, int dom, uint64_t iova, int n,
			     const char *change)
{
	uint64_t at = iova + (uint64_t)n * PG;

	if (!mock_answered(mock_fault(edu, MOCK_RID, at, "w", 10), "success") ||
	    mapped_pa(dom, at) < 0) {
		CHECK(0, "page %d did not fault in before %s", n, change);
		return -1;
	}
	return 0;
}

static void invalidations(const char *edu, int dom, uint8_t *buf, uint64_t iova)
{
	int go[2];
	int64_t before;
	pid_t pid;

	if (!fault_in(edu, dom, iova, 5, "MADV_DONTNEED")) {
		madvise(buf + 5 * PG, PG, MADV_DONTNEED);
		CHECK(mapped_pa(dom, iova + 5 * PG) == -1, "MADV_DONTNEED left the page mapped");
		CHECK(mock_answered(mock_fault(edu, MOCK_RID, iova + 5 * PG, "w", 11), "success") &&
		      mapped_pa(dom, iova + 5 * PG) == phys_of(buf + 5 * PG),
		      "after MADV_DONTNEED the new page was not mapped");
	}
	if (!fault_in(edu, dom, iova, 6, "mprotect")) {
		mprotect(buf + 6 * PG, PG, PROT_READ);
		CHECK(mapped_pa(dom, iova + 6 * PG) == -1, "mprotect left the page mapped");
		CHECK(mock_answered(mock_fault(edu, MOCK_RID, iova + 6 * PG, "w", 12), "invalid"),
		      "a write into a read-only page was served");
		mprotect(buf + 6 * PG, PG, PROT_READ | PROT_WRITE);
		CHECK(mock_answered(mock_fault(edu, MOCK_RID, iova + 6 * PG, "w", 13), "success"),
		      "the page writable again was not served");
	}
	if (!fault_in(edu, dom, iova, 7, "munmap")) {
		munmap(buf + 7 * PG, PG);
		CHECK(mapped_pa(dom, iova + 7 * PG) == -1, "munmap left the page mapped");
		CHECK(mock_answered(mock_fault(edu, MOCK_RID, iova + 7 * PG, "w", 14), "invalid"),
		      "a request for an unmapped address was served");
		CHECK(mmap(buf + 7 * PG, PG, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != MAP_FAILED,
		      "mmap again");
		CHECK(mock_answered(mock_fault(edu, MOCK_RID, iova + 7 * PG, "w", 15), "success") &&
		      mapped_pa(dom, iova + 7 * PG) == phys_of(buf + 7 * PG),
		      "the new page at the same address was not mapped");
	}
	if (fault_in(edu, dom, iova, 8, "fork") || pipe(go))
		return;
	before = mapped_pa(dom, iova + 8 * PG);
	pid = fork();
	if (pid == 0) {
		char ch;

		close(go[1]);
		while (read(go[0], &ch, 1) > 0)
			;
		_exit(0);
	}
	close(go[0]);
	CHECK(mapped_pa(dom, iova + 8 * PG) == -1, "fork() left a copy-on-write page mapped");
	CHECK(mock_answered(mock_fault(edu, MOCK_RID, iova + 8 * PG, "w", 16), "success"),
	      "the page after fork() was not served");
	CHECK(mapped_pa(dom, iova + 8 * PG) == phys_of(buf + 8 * PG) &&
	      mapped_pa(dom, iova + 8 * PG) != before,
	      "the write request did not map the parent's own copy (%#llx, was %#llx, has %#llx)",
	      (long long)mapped_pa(dom, iova + 8 * PG), (long long)before,
	      (long long)phys_of(buf + 8 * PG));
	close(go[1]);
	waitpid(pid, NULL, 0);
}

/* Issue 19, finding 9: the mock's "refuse unmap N" plays a broken driver. */
static void short_unmaps(const char *edu, int dom, uint8_t *buf, uint64_t iova)
{
	if (!fault_in(edu, dom, iova, 20, "an unmap refused once")) {
		CHECK_RET(mock_write(MOCK "refuse", "unmap 1"), 0);
		madvise(buf + 20 * PG, PG, MADV_DONTNEED);
		CHECK(mapped_pa(dom, iova + 20 * PG) == -1,
		      "an unmap refused once was not retried");
		CHECK(mock_answered(mock_fault(edu, MOCK_RID, iova + 21 * PG, "w", 20), "success"),
		      "the mapping took no fault after a retried unmap");
	}
	CHECK_RET(mock_write(MOCK "refuse", "unmap 1000"), 0);
	madvise(buf + 21 * PG, PG, MADV_DONTNEED);
	CHECK(mapped_pa(dom, iova + 21 * PG) >= 0, "the mock unmapped although told not to");
	CHECK(vt_count_kmsg("IOMMU failed to unmap") >= 1, "no warning for the failed unmap");
	CHECK(mock_answered(mock_fault(edu, MOCK_RID, iova + 22 * PG, "w", 21), "invalid"),
	      "a mapping whose unmap failed still took faults");
	CHECK_RET(mock_write(MOCK "refuse", "unmap 0"), 0);
}

static void refusals(struct vfiox_container *c, struct vfiox_device *edu,
		     const char *shm, uint8_t *buf)
{
	const uint32_t rw = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	const uint64_t huge = (1ULL << 40) + PG;
	struct vfio_iommu_type1_dma_unmap u = {
		.argsz = sizeof(u), .flags = VFIO_DMA_UNMAP_FLAG_VADDR,
		.iova = 0, .size = PG,
	};
	struct vfiox_group *g2 = NULL;
	void *big, *bar;
	off_t off;

	CHECK_RET(raw_map(c, buf, 1ULL << 40, PG, rw), -EINVAL);
	big = mmap(NULL, huge, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	CHECK(big != MAP_FAILED, "reserve 1 TiB");
	if (big != MAP_FAILED) {
		CHECK_RET(raw_map(c, big, 1ULL << 44, huge, rw | VFIOX_DMA_MAP_FLAG_IOPF), -E2BIG);
		munmap(big, huge);
	}
	off = vt_bar_offset(edu, 0);
	bar = off < 0 ? MAP_FAILED : mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED,
					 vfiox_device_fd(edu), off);
	CHECK(bar != MAP_FAILED, "mmap edu's BAR 0");
	if (bar != MAP_FAILED) {
		CHECK_RET(raw_map(c, bar, 1ULL << 40, PG, rw | VFIOX_DMA_MAP_FLAG_IOPF), -EINVAL);
		munmap(bar, PG);
	}
	CHECK_RET(vfiox_dma_dirty_start(c), -EOPNOTSUPP);
	CHECK(ioctl(vfiox_container_fd(c), VFIO_IOMMU_UNMAP_DMA, &u) && errno == EOPNOTSUPP,
	      "VFIO_DMA_UNMAP_FLAG_VADDR in IOPF mode: %s", strerror(errno));
	CHECK(vfiox_group_open_pci(c, shm, &g2) < 0, "a second group joined an IOPF container");
}

struct storm {
	const char *bdf;
	uint8_t *buf;
	uint64_t iova;
	atomic_int stop, churn_stop;
	atomic_uint seeds;
	atomic_long served, refused;
};

static void *request_storm(void *arg)
{
	struct storm *st = arg;
	unsigned int seed = atomic_fetch_add(&st->seeds, 1) * 7 + 7, n = 0;
	char req[128];

	while (!atomic_load(&st->stop)) {
		/* Groups of four requests, the last one last */
		snprintf(req, sizeof(req), "%s - %llx rw %u%s", st->bdf,
			 (unsigned long long)(st->iova + (rand_r(&seed) % STORM_PAGES) * PG),
			 n / 4 % 512, n % 4 == 3 ? "" : " nolast");
		n++;
		if (mock_write(MOCK "fault", req) == -ENOENT)
			atomic_fetch_add(&st->refused, 1);
		else
			atomic_fetch_add(&st->served, 1);
	}
	return NULL;
}

/*
 * Takes pages of the buffer away and gives new ones back until stopped;
 * each thread works on its own half of the pages, so that a page is
 * never touched while another thread has it unmapped.
 */
static void *churn(void *arg)
{
	struct storm *st = arg;
	unsigned int part = atomic_fetch_add(&st->seeds, 1) % STORM_CHURNERS;
	unsigned int seed = part + 3, per = STORM_PAGES / STORM_CHURNERS;
	uint8_t *p;

	while (!atomic_load(&st->churn_stop)) {
		p = st->buf + (part * per + rand_r(&seed) % per) * PG;
		switch (rand_r(&seed) % 4) {
		case 0:
			madvise(p, PG, MADV_DONTNEED);
			break;
		case 1:
			munmap(p, PG);
			mmap(p, PG, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
			break;
		case 2:
			mmap(p, PG, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
			break;
		default:
			mprotect(p, PG, PROT_READ);
			mprotect(p, PG, PROT_READ | PROT_WRITE);
		}
		p[0] = 1;
	}
	return NULL;
}

/* Lines of the mock's "mappings": every paging domain's, not one's. */
static int mock_mapping_lines(void)
{
	char line[160];
	FILE *f = fopen(MOCK "mappings", "r");
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n++;
	fclose(f);
	return n;
}

static void storm_then_close(const char *edu, struct vfiox_container *c,
			     struct vfiox_device *d, int dom)
{
	pthread_t inject[STORM_INJECTORS], churners[STORM_CHURNERS];
	struct storm st = { .bdf = edu };
	char freed[96];
	int i;

	st.buf = anon(STORM_PAGES * PG);
	if (!st.buf || vfiox_dma_map(c, st.buf, STORM_PAGES * PG, NULL, &st.iova)) {
		CHECK(0, "map the storm's buffer");
		return;
	}
	vt_write_file(MOCK "events", "clear");
	for (i = 0; i < STORM_INJECTORS; i++)
		CHECK_RET(pthread_create(&inject[i], NULL, request_storm, &st), 0);
	for (i = 0; i < STORM_CHURNERS; i++)
		CHECK_RET(pthread_create(&churners[i], NULL, churn, &st), 0);
	sleep(2);
	vfiox_device_close(d);
	sleep(1);
	vfiox_container_close(c);
	atomic_store(&st.churn_stop, 1);
	for (i = 0; i < STORM_CHURNERS; i++)
		pthread_join(churners[i], NULL);
	usleep(500000);
	atomic_store(&st.stop, 1);
	for (i = 0; i < STORM_INJECTORS; i++)
		pthread_join(inject[i], NULL);
	printf("  %d threads: %ld requests reported, %ld refused after the close\n",
	       STORM_INJECTORS, atomic_load(&st.served), atomic_load(&st.refused));
	CHECK(atomic_load(&st.served) > 100, "the storm sent %ld requests", atomic_load(&st.served));
	CHECK(atomic_load(&st.refused) > 0, "no request came after the close");
	CHECK(mock_mapped(dom, 0, UINT64_MAX - PG, NULL) == 0,
	      "%ld pages stay mapped after the close", mock_mapped(dom, 0, UINT64_MAX - PG, NULL));
	snprintf(freed, sizeof(freed), "free domain %d paging, 0 pages left mapped", dom);
	CHECK(mock_has(MOCK "events", freed) == 1, "no '%s'", freed);
	CHECK(mock_mapping_lines() == 0, "the mock lists %d mappings after the close",
	      mock_mapping_lines());
	munmap(st.buf, STORM_PAGES * PG);
}

static void *closer(void *c)
{
	vfiox_container_close(c);
	return NULL;
}

/* How many responses to @grpid of @bdf the mock's events list. */
static int responses(const char *bdf, unsigned int grpid)
{
	char line[160], needle[80];
	FILE *f = fopen(MOCK "events", "r");
	int n = 0;

	snprintf(needle, sizeof(needle), "response %s pasid 0 grpid %u ", bdf, grpid);
	while (f && fgets(line, sizeof(line), f))
		n += strstr(line, needle) != NULL;
	if (f)
		fclose(f);
	return n;
}

static void close_with_faults_queued(const char *edu)
{
	struct vfiox_container *c;
	struct vfiox_group *g;
	struct vfiox_device *d;
	uint8_t *buf = anon(16 * PG);
	char req[96];
	pthread_t t;
	uint64_t iova;
	unsigned int i;

	if (!buf || vt_open(edu, &c, &g, &d) || vfiox_container_enable_iopf(c) ||
	    vfiox_dma_map(c, buf, 16 * PG, NULL, &iova)) {
		CHECK(0, "set up the container to close");
		return;
	}
	vt_write_file(MOCK "events", "clear");
	CHECK_RET(mock_write(MOCK "refuse", "stall 1"), 0);
	for (i = 0; i < 9; i++) {
		snprintf(req, sizeof(req), "%s - %llx w %u", edu,
			 (unsigned long long)(iova + i * PG), 100 + i);
		CHECK_RET(mock_write(MOCK "fault", req), 0);
	}
	CHECK_RET(pthread_create(&t, NULL, closer, c), 0);
	sleep(2);
	CHECK(mock_has(MOCK "events", "blocked") == 1, "the close did not detach edu");
	CHECK(responses(edu, 108) == 0, "the last request was answered while the first is held");
	CHECK_RET(mock_write(MOCK "refuse", "stall 0"), 0);
	pthread_join(t, NULL);
	for (i = 0; i < 9; i++)
		CHECK(responses(edu, 100 + i) == 1, "request %u answered %d times", 100 + i,
		      responses(edu, 100 + i));
	munmap(buf, 16 * PG);
}

int main(void)
{
	const char *edu_bdf = vt_env("VFIOX_EDU");
	struct vfiox_container *c;
	struct vfiox_group *g;
	struct vfiox_device *edu;
	uint8_t *buf = anon(NPAGES * PG);
	char needle[96];
	uint64_t iova;
	long before;
	int dom;

	vt_init();
	refused_then_pinned(edu_bdf);
	switch_refused(edu_bdf);
	CHECK_RET(vt_open(edu_bdf, &c, &g, &edu), 0);
	if (vt_failures || !buf)
		return vt_done("mock_iopf");
	CHECK_RET(vfiox_container_enable_iopf(c), 0);
	CHECK_RET(vfiox_container_iopf_enabled(c), 1);
	dom = domain_of(edu_bdf);
	snprintf(needle, sizeof(needle), "attach %s domain %d iopf", edu_bdf, dom);
	CHECK(mock_has(MOCK "events", needle) == 1, "no '%s'", needle);
	before = vmlck_kb();
	CHECK_RET(vfiox_dma_map(c, buf, NPAGES * PG, NULL, &iova), 0);
	CHECK(vmlck_kb() == before, "an IOPF map pinned (VmLck %ld -> %ld kB)", before, vmlck_kb());
	CHECK(mock_mapped(dom, iova, NPAGES * PG, NULL) == 0, "an IOPF map mapped pages");
	if (!vt_failures) {
		requests(edu_bdf, c, dom, buf, iova);
		invalidations(edu_bdf, dom, buf, iova);
		short_unmaps(edu_bdf, dom, buf, iova);
		CHECK_RET(vfiox_dma_unmap_iova(c, iova, NPAGES * PG), 0);
		CHECK(mock_mapped(dom, iova, NPAGES * PG, NULL) == 0,
		      "unmapping left faulted pages mapped");
		refusals(c, edu, vt_env("VFIOX_IVSHMEM"), buf);
		storm_then_close(edu_bdf, c, edu, dom);
		close_with_faults_queued(edu_bdf);
	} else {
		vfiox_container_close(c);
	}
	munmap(buf, NPAGES * PG);
	return vt_done("mock_iopf");
}
