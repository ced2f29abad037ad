/* SPDX-License-Identifier: MIT */
/*
 * Helpers for the in-guest integration tests: each test is one small
 * program run by the VM's init; it prints what it checked and exits 0 only
 * when every check held. Device addresses come from the machine's config
 * through the environment (VFIOX_EDU, VFIOX_NVME, ...).
 */
#ifndef VMTEST_H
#define VMTEST_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/vfio.h>

#include <vfiox.h>

/* The iommufd uAPI under libvfiox's names (bookworm's headers lack it). */
#include "../../../lib/uapi_iommufd.h"

static int vt_failures;
static char vt_log[65536];

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		printf("  FAILED %s:%d: %s: ", __FILE__, __LINE__, #cond);	\
		printf(__VA_ARGS__);					\
		printf("\n");						\
		vt_failures++;						\
	}								\
} while (0)

#define CHECK_RET(expr, want) do {					\
	int vt_r = (expr);						\
	CHECK(vt_r == (want), "%s returned %d (%s), wanted %d", #expr,	\
	      vt_r, strerror(vt_r < 0 ? -vt_r : 0), (want));		\
} while (0)

static void vt_log_cb(enum vfiox_log_level level, const char *msg, void *user)
{
	size_t used = strlen(vt_log);

	(void)level;
	(void)user;
	printf("  libvfiox: %s\n", msg);
	snprintf(vt_log + used, sizeof(vt_log) - used, "%s\n", msg);
}

static inline void vt_init(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	vfiox_set_log(vt_log_cb, VFIOX_LOG_INFO, NULL);
}

static inline void vt_log_clear(void)
{
	vt_log[0] = '\0';
}

static inline int vt_log_has(const char *needle)
{
	return strstr(vt_log, needle) != NULL;
}

static inline const char *vt_env(const char *name)
{
	const char *v = getenv(name);

	if (!v || !*v) {
		printf("  FAILED: %s is not set by the machine config\n", name);
		exit(1);
	}
	return v;
}

static inline unsigned long long vt_sysfs_ull(const char *path)
{
	unsigned long long v = 0;
	FILE *f = fopen(path, "r");

	if (!f || fscanf(f, "%lli", &v) != 1)
		printf("  cannot read %s\n", path);
	if (f)
		fclose(f);
	return v;
}

/* Open container + group + device for a PCI address; 0 or negative errno. */
static inline int vt_open(const char *bdf, struct vfiox_container **c,
			  struct vfiox_group **g, struct vfiox_device **d)
{
	int ret = vfiox_container_open(NULL, c);

	if (ret)
		return ret;
	ret = vfiox_group_open_pci(*c, bdf, g);
	if (!ret && d)
		ret = vfiox_device_open(*g, bdf, NULL, d);
	if (ret)
		vfiox_container_close(*c);
	return ret;
}

static inline void vt_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) < 0 || fclose(f))
		printf("  write '%s' to %s failed\n", text, path);
}

/* A fuzzing seed for tests/fuzz/harvest-seeds: "VFIOX-SEED target name hex". */
static inline void vt_seed(const char *target, const char *name, const void *p,
			   size_t len)
{
	const unsigned char *b = p;
	size_t i;

	printf("VFIOX-SEED %s %s ", target, name);
	for (i = 0; i < len; i++)
		printf("%02x", b[i]);
	printf("\n");
}

/* Move @bdf to @driver by hand ("" leaves it to the kernel's choice). */
static inline void vt_rebind(const char *bdf, const char *driver)
{
	char path[160];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", bdf);
	vt_write_file(path, *driver ? driver : "\n");
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver/unbind", bdf);
	if (access(path, F_OK) == 0)
		vt_write_file(path, bdf);
	vt_write_file("/sys/bus/pci/drivers_probe", bdf);
}

/* The driver @bdf is on, "" for none. */
static inline const char *vt_driver(const char *bdf, char *buf, size_t len)
{
	char path[160];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", bdf);
	n = readlink(path, buf, len - 1);
	buf[n > 0 ? n : 0] = '\0';
	return strrchr(buf, '/') ? strrchr(buf, '/') + 1 : buf;
}

/* Lines in the kernel log (/dev/kmsg, from boot on) that hold @needle. */
static inline int vt_count_kmsg(const char *needle)
{
	static char line[2048];
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK), n = 0;
	ssize_t len;

	while (fd >= 0) {
		len = read(fd, line, sizeof(line) - 1);
		if (len < 0 && errno == EPIPE)
			continue;	/* overwritten records; read on */
		if (len <= 0)
			break;
		line[len] = '\0';
		n += strstr(line, needle) != NULL;
	}
	if (fd >= 0)
		close(fd);
	return n;
}

/* edu ready for DMA: bus mastering on, MSI on an eventfd, BAR 0 mapped. */
struct vt_edu {
	volatile uint8_t *bar;
	int efd;
};

#define VT_EDU_TO_RAM 0x2	/* DMA command: from edu's buffer to memory */

/* Set up @d (edu, opened) for vt_edu_dma(); 0 or negative errno. */
static inline int vt_edu_setup(struct vfiox_device *d, struct vt_edu *e)
{
	void *bar = NULL;
	int ret = vfiox_pci_enable_dma(d);	/* memory space and bus master */

	if (!ret)
		ret = vfiox_irq_enable(d, VFIO_PCI_MSI_IRQ_INDEX, 0, 1, &e->efd);
	if (!ret)
		ret = vfiox_region_mmap(d, VFIO_PCI_BAR0_REGION_INDEX, &bar);
	e->bar = bar;
	return ret < 0 ? ret : 0;
}

/* One edu DMA of @len bytes, waited for on its MSI (5 s at most). */
static inline int vt_edu_dma(struct vt_edu *e, uint64_t src, uint64_t dst,
			     uint64_t len, uint64_t cmd)
{
	struct pollfd pfd = { .fd = e->efd, .events = POLLIN };
	uint64_t n;

	*(volatile uint64_t *)(e->bar + 0x80) = src;
	*(volatile uint64_t *)(e->bar + 0x88) = dst;
	*(volatile uint64_t *)(e->bar + 0x90) = len;
	*(volatile uint64_t *)(e->bar + 0x98) = 0x1 | 0x4 | cmd;
	if (poll(&pfd, 1, 5000) != 1 || read(e->efd, &n, sizeof(n)) != sizeof(n))
		return -ETIMEDOUT;
	*(volatile uint32_t *)(e->bar + 0x64) = *(volatile uint32_t *)(e->bar + 0x24);
	return 0;
}

/* @len bytes from IOVA @from to IOVA @to, through edu's own buffer. */
static inline int vt_edu_copy(struct vt_edu *e, uint64_t from, uint64_t to,
			      uint64_t len)
{
	const uint64_t edu_buf = 0x40000;	/* in edu's DMA address space */
	int ret = vt_edu_dma(e, from, edu_buf, len, 0);

	return ret ? ret : vt_edu_dma(e, edu_buf, to, len, VT_EDU_TO_RAM);
}

/* A byte pattern that differs with @seed. */
static inline void vt_fill(uint8_t *p, size_t n, uint8_t seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 13 + seed);
}

/* Whether the @n bytes at @p (device memory: read once each) hold
 * vt_fill()'s pattern of @seed. */
static inline int vt_holds(const volatile uint8_t *p, size_t n, uint8_t seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != (uint8_t)(i * 13 + seed))
			return 0;
	return 1;
}

/* @bdf's group and device opened in container *@c, which the call that
 * returned @ret opened (nothing done if it failed); *@c closed again on
 * any failure. 0 or the first error. */
static inline int vt_open_in(int ret, struct vfiox_container **c, const char *bdf,
			     struct vfiox_group **g, struct vfiox_device **d)
{
	if (ret)
		return ret;
	ret = vfiox_group_open_pci(*c, bdf, g);
	if (!ret)
		ret = vfiox_device_open(*g, bdf, NULL, d);
	if (ret)
		vfiox_container_close(*c);
	return ret;
}

/* A container on @backend with @bdf's group and device open in it. */
static inline int vt_open_backend(int backend, const char *bdf,
				  struct vfiox_container **c,
				  struct vfiox_group **g, struct vfiox_device **d)
{
	struct vfiox_container_opts opts = { .sz = sizeof(opts), .backend = backend };

	return vt_open_in(vfiox_container_open(&opts, c), c, bdf, g, d);
}

/* edu @d copies a pattern between two pages of @c's, mapped below 2^28
 * (edu's reach), and the copy must land; the maps are undone. */
static inline void vt_edu_round_trip(struct vfiox_container *c,
				     struct vfiox_device *d)
{
	const struct vfiox_dma_opts lim = { .sz = sizeof(lim), .iova_limit = 0xfffffff };
	const size_t pg = 4096, len = 2048;
	uint64_t src_iova = 0, dst_iova = 0;
	struct vt_edu e;
	uint8_t *buf;

	buf = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(buf != MAP_FAILED, "mmap");
	if (buf == MAP_FAILED)
		return;
	CHECK_RET(vt_edu_setup(d, &e), 0);
	CHECK_RET(vfiox_dma_map(c, buf, pg, &lim, &src_iova), 0);
	CHECK_RET(vfiox_dma_map(c, buf + pg, pg, &lim, &dst_iova), 0);
	vt_fill(buf, len, 7);
	memset(buf + pg, 0, len);
	CHECK_RET(vt_edu_copy(&e, src_iova, dst_iova, len), 0);
	CHECK(!memcmp(buf, buf + pg, len), "edu's DMA did not land in the buffer");
	CHECK_RET(vfiox_dma_unmap_all(c), 2);
	munmap(buf, 2 * pg);
}

static inline int vt_done(const char *name)
{
	printf("  %s: %s\n", name, vt_failures ? "failed" : "ok");
	return vt_failures ? 1 : 0;
}

/* The container's dma_avail as the kernel reports it now (0 on error). */
static inline uint32_t vt_dma_avail(struct vfiox_container *c)
{
	struct vfiox_iommu_info info = { .sz = sizeof(info) };

	if (vfiox_container_refresh(c) || vfiox_container_iommu_info(c, &info))
		return 0;
	return info.dma_avail;
}

/*
 * The container is on iommufd: the suites' second run (tests/vm/run's
 * VFIOX_VM_BACKEND=iommufd). A test whose subject iommufd lacks asserts
 * the documented refusal there (docs/iommufd.md, "What differs").
 */
static inline int vt_iommufd(const struct vfiox_container *c)
{
	return vfiox_container_backend(c) == VFIOX_BACKEND_IOMMUFD;
}

/* A call the iommufd backend refuses: -EOPNOTSUPP and a line naming the way out. */
#define CHECK_REFUSED_ON_IOMMUFD(expr) do {				\
	vt_log_clear();							\
	CHECK_RET(expr, -EOPNOTSUPP);					\
	CHECK(vt_log_has("legacy backend"),				\
	      "%s: the refusal does not name the legacy backend", #expr);	\
} while (0)

/*
 * The id of libvfiox's IOAS in its iommufd (vfiox_container_fd()), or 0.
 * The API does not hand it out yet; that fd holds libvfiox's objects only,
 * and exactly one IOAS, the one id IOMMU_IOAS_IOVA_RANGES answers for.
 */
static inline uint32_t vt_ioas_id(struct vfiox_container *c)
{
	uint32_t id, found = 0;
	int n = 0;

	for (id = 1; id <= 64; id++) {
		struct vfiox_iommu_ioas_iova_ranges q = { .size = sizeof(q), .ioas_id = id };

		/* No room for the ranges: an IOAS answers 0 or EMSGSIZE. */
		if (!ioctl(vfiox_container_fd(c), VFIOX_IOMMU_IOAS_IOVA_RANGES, &q) ||
		    errno == EMSGSIZE) {
			found = id;
			n++;
		}
	}
	if (n != 1)
		printf("  %d IOAS objects in libvfiox's iommufd, wanted 1\n", n);
	return n == 1 ? found : 0;
}

/* A map behind libvfiox's back (VFIO_IOMMU_MAP_DMA, or IOMMU_IOAS_MAP on
 * iommufd): 0 or -errno. */
static inline int vt_raw_map(struct vfiox_container *c, void *vaddr,
			     uint64_t iova, uint64_t len)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)vaddr, .iova = iova, .size = len,
	};
	struct vfiox_iommu_ioas_map im = {
		.size = sizeof(im),
		.flags = VFIOX_IOMMU_IOAS_MAP_FIXED_IOVA | VFIOX_IOMMU_IOAS_MAP_READABLE |
			 VFIOX_IOMMU_IOAS_MAP_WRITEABLE,
		.user_va = (uintptr_t)vaddr, .length = len, .iova = iova,
	};

	if (!vt_iommufd(c))
		return ioctl(vfiox_container_fd(c), VFIO_IOMMU_MAP_DMA, &m) ? -errno : 0;
	im.ioas_id = vt_ioas_id(c);
	if (!im.ioas_id)
		return -ENOENT;
	return ioctl(vfiox_container_fd(c), VFIOX_IOMMU_IOAS_MAP, &im) ? -errno : 0;
}

/* Bytes the kernel had mapped in [iova, +len), now unmapped (on iommufd,
 * whole mappings only); UINT64_MAX on error. */
static inline uint64_t vt_raw_unmap(struct vfiox_container *c, uint64_t iova,
				    uint64_t len)
{
	struct vfio_iommu_type1_dma_unmap u = {
		.argsz = sizeof(u), .iova = iova, .size = len,
	};
	struct vfiox_iommu_ioas_unmap iu = {
		.size = sizeof(iu), .iova = iova, .length = len,
	};

	if (!vt_iommufd(c))
		return ioctl(vfiox_container_fd(c), VFIO_IOMMU_UNMAP_DMA, &u) ?
		       UINT64_MAX : u.size;
	iu.ioas_id = vt_ioas_id(c);
	if (!iu.ioas_id)
		return UINT64_MAX;
	if (ioctl(vfiox_container_fd(c), VFIOX_IOMMU_IOAS_UNMAP, &iu))
		return errno == ENOENT ? 0 : UINT64_MAX;	/* ENOENT: none there */
	return iu.length;
}

/* Whether the running kernel (or a module loaded by then) has the symbol
 * @sym: " name" as /proc/kallsyms lists it. */
static inline int vt_kernel_has_symbol(const char *sym)
{
	static char line[512];
	FILE *f = fopen("/proc/kallsyms", "r");
	int found = 0;

	while (f && !found && fgets(line, sizeof(line), f))
		found = strstr(line, sym) != NULL;
	if (f)
		fclose(f);
	return found;
}

/* Does vfio-pci export dma-bufs here (CONFIG_VFIO_PCI_DMABUF: its feature
 * handler is in vfio_pci_core, loaded by then)? */
static inline int vt_kernel_exports_dmabufs(void)
{
	return vt_kernel_has_symbol(" vfio_pci_core_feature_dma_buf");
}

/*
 * P2P on iommufd, where a P2P test of the legacy backend's hazards cannot
 * apply (docs/iommufd.md): vfiox_p2p_map() of @shm's BAR 2 into @a goes
 * through a vfio-pci dma-buf (translate of the BAR's mmap gives its IOVA,
 * listed live, the unmap works), vfiox_p2p_revocable() is 1 (the kernel
 * revokes every dma-buf mapping), and the kernel itself refuses
 * IOMMU_IOAS_MAP of the BAR's mmap (an IOAS pins pages; a BAR has none).
 * So the type1 hazards these tests probe (a raw mapping of a BAR that
 * outlives its device, mixed ranges, a racing MAP_FIXED, a vaddr update)
 * cannot arise; iommufd_p2p_dmabuf proves the DMA and the revocation.
 * Where vfio-pci exports no dma-buf the map is refused naming the legacy
 * backend; the debug kernel must export them. The caller's one iommufd
 * branch; it closes nothing.
 */
static inline void vt_p2p_on_iommufd(struct vfiox_container *a,
				     struct vfiox_device *shm)
{
	const char *debug = getenv("VFIOX_DEBUG");
	int exports = vt_kernel_exports_dmabufs();
	struct vfiox_p2p_mapping m;
	uint64_t iova = 0, out = 0;
	void *bar = NULL;
	int ret;

	printf("  iommufd: P2P of a BAR through a vfio-pci dma-buf (%s), no raw map of its mmap\n",
	       exports ? "exported" : "no export here");
	if (debug && !strcmp(debug, "1"))
		CHECK(exports, "the debug kernel exports dma-bufs (CONFIG_VFIO_PCI_DMABUF=y)");
	CHECK_RET(vfiox_p2p_revocable(a), 1);
	CHECK_RET(vfiox_region_mmap(shm, VFIO_PCI_BAR2_REGION_INDEX, &bar), 0);
	if (!bar)
		return;
	if (exports) {
		CHECK_RET(vfiox_p2p_map(a, shm, VFIO_PCI_BAR2_REGION_INDEX, 0, 4096, NULL,
					&iova), 0);
		CHECK_RET(vfiox_dma_translate(a, bar, &out), 0);
		CHECK(out == iova, "translate of the BAR gives 0x%llx, mapped at 0x%llx",
		      (unsigned long long)out, (unsigned long long)iova);
		CHECK_RET(vfiox_p2p_list(a, &m, 1), 1);
		CHECK(m.iova == iova && !(m.flags & VFIOX_P2P_REVOKED), "listed live");
		CHECK_RET(vfiox_p2p_unmap(a, iova, 4096), 0);
	} else {
		CHECK_REFUSED_ON_IOMMUFD(vfiox_p2p_map(a, shm, VFIO_PCI_BAR2_REGION_INDEX, 0,
						       4096, NULL, &iova));
	}
	CHECK_RET(vfiox_p2p_list(a, NULL, 0), 0);
	ret = vt_raw_map(a, bar, 0x40000000, 4096);
	CHECK(ret < 0, "the kernel mapped a BAR's mmap into the IOAS");
	printf("  IOMMU_IOAS_MAP of ivshmem's BAR 2 mmap: %s\n", strerror(-ret));
	if (!ret)
		vt_raw_unmap(a, 0x40000000, 4096);
}

/* The file offset of page 0 of the first mmap-able area of region @index, or -1. */
static inline off_t vt_bar_offset(struct vfiox_device *d, uint32_t index)
{
	struct vfiox_region_info ri = { .sz = sizeof(ri) };

	if (vfiox_device_region_info(d, index, &ri) ||
	    !(ri.flags & VFIO_REGION_INFO_FLAG_MMAP))
		return -1;
	return ri.offset + (ri.nr_sparse ? ri.sparse[0].offset : 0);
}

/*
 * The kernel's mtty sample (an mdev parent, migration since 6.7): present,
 * loading mdev.ko and mtty.ko from the initramfs if need be (tests/vm/run
 * ships them when the kernel has them). 1 if there, else 0 after saying
 * why the test does not apply; on the debug kernel, which must carry it,
 * that is a failure.
 */
/*
 * Where no mdev can exist, what a caller gets: a UUID with no mdev is
 * -ENODEV with a hint, a name that is no UUID -EINVAL, both logged.
 */
static inline void vt_mdev_refused(void)
{
	struct vfiox_container *c;
	struct vfiox_group *g = NULL;

	CHECK_RET(vfiox_container_open(NULL, &c), 0);
	if (vt_failures)
		return;
	vt_log_clear();
	CHECK_RET(vfiox_group_open_mdev(c, "6b1f1e4c-5d2a-4c1e-9f00-000000000001", &g), -ENODEV);
	CHECK(vt_log_has("is the mdev created"), "no hint for a missing mdev");
	CHECK_RET(vfiox_group_open_mdev(c, "not-a-uuid", &g), -EINVAL);
	CHECK(vt_log_has("not a UUID"), "no log line for a bad UUID");
	CHECK(g == NULL, "a refused open returned a group");
	vfiox_container_close(c);
}

static inline int vt_mtty_present(void)
{
	const char *debug = getenv("VFIOX_DEBUG");
	char release[128] = "?";
	FILE *f;

	if (access("/sys/class/mdev_bus/mtty", F_OK) && !access("/lib/modules/mtty.ko", F_OK)) {
		if (access("/sys/module/mdev", F_OK) && system("insmod /lib/modules/mdev.ko"))
			printf("  insmod mdev.ko failed\n");
		if (system("insmod /lib/modules/mtty.ko"))
			printf("  insmod mtty.ko failed\n");
	}
	if (!access("/sys/class/mdev_bus/mtty", F_OK))
		return 1;
	CHECK(!debug || strcmp(debug, "1"),
	      "the debug kernel must carry mtty (CONFIG_SAMPLE_VFIO_MDEV_MTTY=m)");
	f = fopen("/proc/sys/kernel/osrelease", "r");
	if (f && !fgets(release, sizeof(release), f))
		release[0] = '\0';
	if (f)
		fclose(f);
	release[strcspn(release, "\n")] = '\0';
	if (!vt_failures)
		printf("  NOT APPLICABLE: kernel %s has no mtty module and no mtty "
		       "parent (Debian builds no samples); the patched suite "
		       "(tests/vm/run --patched --debug) runs this test\n", release);
	vt_mdev_refused();
	return 0;
}

#endif
