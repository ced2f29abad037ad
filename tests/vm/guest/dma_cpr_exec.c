// SPDX-License-Identifier: MIT
/*
 * Live update across exec(): process A maps two memfd-backed buffers and
 * an alias of the first, edu DMAs. A page mapped behind libvfiox's back
 * makes A's invalidate refuse, with that page still valid. A invalidates
 * the vaddrs (edu still DMAs; a map is refused), saves, and a first exec()
 * fails: A takes the vaddrs back, maps again, invalidates and saves again.
 * Then A execs B with the container, group, device and memfd fds. B
 * adopts the fds, maps the memfd elsewhere, restores the state (new
 * vaddrs); the data written before is intact, translate gives the old
 * IOVAs at the new addresses, the alias keeps its order, libvfiox's books
 * and the kernel's dma_avail agree, and edu DMAs again into the memory B
 * sees, through the alias too. Then B invalidates the vaddrs (the kernel
 * refuses that for one still invalid, so this proves the restore gave them
 * all back) and revalidates them, once.
 */
#include <sys/mman.h>

#include "vmtest.h"

#define PG 4096
#define LEN (4 * PG)		/* buf: pages 0-1, src: pages 2-3 */
#define COPY 2048
#define SRC_IOVA 0x9000000ULL	/* below edu's 28-bit DMA mask */
#define ALIAS_IOVA 0xa000000ULL	/* the alias of buf */
#define FOREIGN_IOVA 0xb000000ULL

static struct vt_edu e;

static void *relocate(void *user, uint64_t old_vaddr, uint64_t len);

static void keep_open(int fd)
{
	CHECK(fcntl(fd, F_SETFD, 0) == 0, "clearing FD_CLOEXEC of %d", fd);
}

/*
 * A page mapped behind libvfiox's back: invalidate is refused, and the
 * kernel still has that page's vaddr (a VADDR update of a valid one is
 * -EINVAL; of an invalid one it would succeed).
 */
static void refused_with_a_foreign_mapping(struct vfiox_container *c, void *page)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m), .flags = VFIO_DMA_MAP_FLAG_VADDR,
		.vaddr = (uintptr_t)page, .iova = FOREIGN_IOVA, .size = PG,
	};

	CHECK_RET(vt_raw_map(c, page, FOREIGN_IOVA, PG), 0);
	CHECK_RET(vfiox_dma_invalidate_vaddrs(c), -EBUSY);
	CHECK(ioctl(vfiox_container_fd(c), VFIO_IOMMU_MAP_DMA, &m) && errno == EINVAL,
	      "the foreign page's vaddr: update gave %s, not EINVAL (valid)",
	      strerror(errno));
	CHECK(vt_raw_unmap(c, FOREIGN_IOVA, PG) == PG, "unmapping the foreign page");
}

/*
 * The handover called off: maps are refused while the vaddrs are invalid,
 * a failed exec() leaves A running, which takes the vaddrs back, maps,
 * unmaps and invalidates again.
 */
static void called_off(struct vfiox_container *c, uint8_t *mem)
{
	uint64_t iova;

	CHECK_RET(vfiox_dma_map(c, mem + 3 * PG, PG, NULL, &iova), -EBUSY);
	execl("/nonexistent/vmm", "vmm", (char *)NULL);
	CHECK(errno == ENOENT, "the failing exec: %s", strerror(errno));
	CHECK_RET(vfiox_dma_revalidate_vaddrs(c), 3);
	CHECK_RET(vfiox_dma_map(c, mem + 3 * PG, PG, NULL, &iova), 0);
	CHECK_RET(vfiox_dma_unmap_iova(c, iova, PG), 0);
	CHECK_RET(vfiox_dma_invalidate_vaddrs(c), 3);
}

/*
 * On iommufd (no VFIO_UPDATE_VADDR, no fd adoption): every live-update
 * call and the adoption of the iommufd are refused, and the mappings and
 * edu's DMA through them are as before.
 */
static int refused_on_iommufd(struct vfiox_container *c, uint8_t *mem,
			      uint64_t buf_iova)
{
	struct vfiox_container *adopted = NULL;
	struct vfiox_container_opts fd_opts = {
		.sz = sizeof(fd_opts), .backend = VFIOX_BACKEND_IOMMUFD,
	};
	struct vfiox_dma_stats st = { .sz = sizeof(st) };
	char state[64];

	CHECK_REFUSED_ON_IOMMUFD(vfiox_dma_invalidate_vaddrs(c));
	CHECK_REFUSED_ON_IOMMUFD(vfiox_dma_revalidate_vaddrs(c));
	CHECK_REFUSED_ON_IOMMUFD(vfiox_dma_save(c, NULL, 0));
	CHECK_REFUSED_ON_IOMMUFD(vfiox_dma_restore(c, state, sizeof(state), relocate, NULL));
	CHECK_REFUSED_ON_IOMMUFD(vfiox_container_adopt(vfiox_container_fd(c), &fd_opts, &adopted));
	CHECK(!adopted, "a refused adopt returned a container");
	CHECK_RET(vfiox_dma_stats(c, &st), 0);
	CHECK(st.entries_used == 3, "%u entries after the refusals", st.entries_used);
	vt_fill(mem + 2 * PG, COPY, 2);
	CHECK_RET(vt_edu_copy(&e, SRC_IOVA, buf_iova + PG, COPY), 0);
	CHECK(!memcmp(mem + PG, mem + 2 * PG, COPY), "no DMA after the refusals");
	CHECK_RET(vfiox_dma_unmap_all(c), 3);
	vfiox_container_close(c);
	return vt_done("dma_cpr_exec");
}

/* Process A: map, DMA, invalidate, save, exec B. */
static int old_process(const char *self)
{
	struct vfiox_dma_opts low = { .sz = sizeof(low), .iova_limit = 0xfffffff };
	struct vfiox_container *c;
	struct vfiox_device *d;
	struct vfiox_group *g;
	char args[10][32];
	uint64_t buf_iova;
	uint8_t *mem;
	int mfd, sfd, size;
	void *state;

	CHECK_RET(vt_open(vt_env("VFIOX_EDU"), &c, &g, &d), 0);
	mfd = memfd_create("guest-ram", 0);
	sfd = memfd_create("vfiox-state", 0);
	CHECK(mfd >= 0 && sfd >= 0 && ftruncate(mfd, LEN) == 0, "memfds");
	if (vt_failures)
		return vt_done("dma_cpr_exec");
	mem = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	CHECK(mem != MAP_FAILED, "mmap of the memfd");
	CHECK_RET(vt_edu_setup(d, &e), 0);
	CHECK_RET(vfiox_dma_map(c, mem, 2 * PG, &low, &buf_iova), 0);
	CHECK_RET(vfiox_dma_map_fixed(c, mem + 2 * PG, 2 * PG, SRC_IOVA, NULL), 0);
	CHECK_RET(vfiox_dma_map_fixed(c, mem, 2 * PG, ALIAS_IOVA, NULL), 0);
	if (vt_failures)
		return vt_done("dma_cpr_exec");
	vt_fill(mem + 2 * PG, COPY, 1);
	CHECK_RET(vt_edu_copy(&e, SRC_IOVA, buf_iova, COPY), 0);
	CHECK(!memcmp(mem, mem + 2 * PG, COPY), "A: edu's copy missed");
	if (vt_iommufd(c))
		return refused_on_iommufd(c, mem, buf_iova);
	refused_with_a_foreign_mapping(c, mem + 3 * PG);

	CHECK_RET(vfiox_dma_invalidate_vaddrs(c), 3);
	/* The pages stay pinned and mapped: the device carries on. */
	vt_fill(mem + 2 * PG, COPY, 2);
	CHECK_RET(vt_edu_copy(&e, SRC_IOVA, buf_iova + PG, COPY), 0);
	CHECK(!memcmp(mem + PG, mem + 2 * PG, COPY), "A: no DMA after the invalidation");
	called_off(c, mem);

	size = vfiox_dma_save(c, NULL, 0);
	state = malloc((size_t)size);
	CHECK(state && vfiox_dma_save(c, state, (size_t)size) == size, "save");
	CHECK(write(sfd, state, (size_t)size) == size, "writing the state");
	keep_open(vfiox_container_fd(c));
	keep_open(vfiox_group_fd(g));
	keep_open(vfiox_device_fd(d));
	keep_open(mfd);
	keep_open(sfd);
	if (vt_failures)
		return vt_done("dma_cpr_exec");
	snprintf(args[0], 32, "%d", vfiox_container_fd(c));
	snprintf(args[1], 32, "%d", vfiox_group_fd(g));
	snprintf(args[2], 32, "%d", vfiox_group_number(g));
	snprintf(args[3], 32, "%d", vfiox_device_fd(d));
	snprintf(args[4], 32, "%d", mfd);
	snprintf(args[5], 32, "%d", sfd);
	snprintf(args[6], 32, "%lu", (unsigned long)(uintptr_t)mem);
	snprintf(args[7], 32, "%llu", (unsigned long long)buf_iova);
	snprintf(args[8], 32, "%u", vt_dma_avail(c));
	printf("  A: exec with the container, group and device fds\n");
	fflush(stdout);
	execl(self, self, "B", args[0], args[1], args[2], args[3], args[4],
	      args[5], args[6], args[7], args[8], (char *)NULL);
	CHECK(0, "exec: %s", strerror(errno));
	return vt_done("dma_cpr_exec");
}

struct moved {
	uintptr_t old_base, new_base;
};

static void *relocate(void *user, uint64_t old_vaddr, uint64_t len)
{
	struct moved *m = user;

	if (old_vaddr < m->old_base || old_vaddr + len > m->old_base + LEN)
		return NULL;
	return (void *)(m->new_base + (old_vaddr - m->old_base));
}

/* Process B: adopt, restore, check, DMA again. */
static int new_process(char **argv)
{
	struct vfiox_dma_stats st = { .sz = sizeof(st) };
	uint64_t buf_iova = strtoull(argv[9], NULL, 0), iova, all[2];
	uint32_t avail = (uint32_t)strtoul(argv[10], NULL, 0), kernel, ours;
	struct vfiox_container *c;
	struct vfiox_device *d;
	struct vfiox_group *g;
	struct moved m = { strtoul(argv[8], NULL, 0), 0 };
	char state[4096];
	uint8_t *mem, *guard;
	ssize_t size;

	CHECK_RET(vfiox_container_adopt(atoi(argv[2]), NULL, &c), 0);
	if (vt_failures)
		return vt_done("dma_cpr_exec");
	CHECK_RET(vfiox_group_adopt(c, atoi(argv[3]), atoi(argv[4]), &g), 0);
	if (!vt_failures)
		CHECK_RET(vfiox_device_adopt(g, atoi(argv[5]), vt_env("VFIOX_EDU"), NULL, &d), 0);
	if (vt_failures)
		return vt_done("dma_cpr_exec");
	/* Somewhere else than in A: take A's address first. */
	guard = mmap((void *)m.old_base, LEN, PROT_NONE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	mem = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, atoi(argv[6]), 0);
	CHECK(mem != MAP_FAILED && (uintptr_t)mem != m.old_base,
	      "the memfd at %p (A had it at 0x%lx; guard %p)", (void *)mem,
	      (unsigned long)m.old_base, (void *)guard);
	m.new_base = (uintptr_t)mem;
	size = pread(atoi(argv[7]), state, sizeof(state), 0);
	CHECK(size > 0, "reading the state");
	if (vt_failures)
		return vt_done("dma_cpr_exec");
	CHECK_RET(vfiox_dma_restore(c, state, (size_t)size, relocate, &m), 3);
	CHECK_RET(vfiox_dma_stats(c, &st), 0);
	CHECK(st.entries_used == 3 && st.mapped_bytes == LEN + 2 * PG,
	      "stats %u entries, %llu bytes",
	      st.entries_used, (unsigned long long)st.mapped_bytes);
	CHECK_RET(vfiox_dma_avail_check(c, &kernel, &ours), 0);
	CHECK(kernel == avail, "kernel dma_avail %u, A saw %u", kernel, avail);
	CHECK_RET(vfiox_dma_translate(c, mem + PG + 3, &iova), 0);
	CHECK(iova == buf_iova + PG + 3, "translate at the new address gave 0x%llx",
	      (unsigned long long)iova);
	CHECK_RET(vfiox_dma_translate_all(c, mem + 2 * PG, all, 2), 1);
	CHECK(all[0] == SRC_IOVA, "the second buffer at 0x%llx", (unsigned long long)all[0]);
	CHECK_RET(vfiox_dma_translate_all(c, mem + PG, all, 2), 2);
	CHECK(all[0] == buf_iova + PG && all[1] == ALIAS_IOVA + PG,
	      "the aliased page at 0x%llx, 0x%llx: not oldest first",
	      (unsigned long long)all[0], (unsigned long long)all[1]);
	/* What A's DMAs wrote is there, and edu DMAs into B's view. */
	CHECK(!memcmp(mem + PG, mem + 2 * PG, COPY), "B: data written before the update differs");
	CHECK_RET(vt_edu_setup(d, &e), 0);
	vt_fill(mem + 2 * PG, COPY, 3);
	CHECK_RET(vt_edu_copy(&e, SRC_IOVA, buf_iova, COPY), 0);
	CHECK(!memcmp(mem, mem + 2 * PG, COPY), "B: edu's copy missed");
	vt_fill(mem + 2 * PG, COPY, 4);
	CHECK_RET(vt_edu_copy(&e, SRC_IOVA, ALIAS_IOVA + PG, COPY), 0);
	CHECK(!memcmp(mem + PG, mem + 2 * PG, COPY), "B: edu's copy through the alias missed");
	/*
	 * The restore gave every vaddr back: type1 invalidates only valid
	 * ones (EINVAL otherwise), and takes a vaddr back only while invalid:
	 * a live update called off in B gives them back.
	 */
	CHECK_RET(vfiox_dma_invalidate_vaddrs(c), 3);
	CHECK_RET(vfiox_dma_revalidate_vaddrs(c), 3);
	CHECK_RET(vfiox_dma_revalidate_vaddrs(c), -EINVAL);
	CHECK_RET(vfiox_dma_unmap_all(c), 3);
	CHECK_RET(vfiox_dma_avail_check(c, &kernel, &ours), 0);
	vfiox_container_close(c);
	return vt_done("dma_cpr_exec");
}

int main(int argc, char **argv)
{
	vt_init();
	if (argc == 11 && !strcmp(argv[1], "B"))
		return new_process(argv);
	return old_process("/proc/self/exe");
}
