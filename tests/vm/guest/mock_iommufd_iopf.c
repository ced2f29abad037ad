// SPDX-License-Identifier: MIT
/*
 * I/O page faults and PASID attach on the iommufd backend, served for real
 * on the mock-iommu machine (the mock owns edu, gives it PASIDs and sends
 * page requests written to its debugfs "fault"). Every container is forced
 * to iommufd, whatever the run's backend. Checked on the mock's own record
 * (its events, mappings and pasids files), not only on return codes:
 *   1. vfiox_container_enable_iopf() succeeds: the mock allocated a user
 *      page table for edu and attached edu to it with a fault handler
 *      (iommufd's), and that page table holds the mappings made before;
 *   2. a page request inside a read-write mapping is answered Success by
 *      libvfiox's thread (the mock's page_response says so) and the mock's
 *      domain maps that page at the process's physical page; a read of a
 *      read-only mapping is Success too, mapped read-only;
 *   3. a request outside every mapping, a write to the read-only mapping
 *      and a request after the unmap are answered Invalid (logged by
 *      libvfiox), and the mock's domain maps nothing there;
 *   4. IOMMU_GET_HW_INFO reports the mock's 20-bit PASIDs;
 *   5. vfiox_device_attach_pasid() of PASID 7 to the container's mappings
 *      succeeds: the mock shows a new user page table for edu, edu's own
 *      DMA moved onto it (iommufd attaches PASIDs only while it is on a
 *      page table allocated with IOMMU_HWPT_ALLOC_PASID, which the one it
 *      makes for an IOAS never is) and PASID 7 on it, mapping what the
 *      IOAS maps; the detach removes it, a second detach is -ENOENT
 *      without asking the kernel; a PASID goes to a PASID-capable HWPT of
 *      the caller's too, edu staying put; closing the device with two
 *      PASIDs attached leaves none in the mock and frees libvfiox's page
 *      table;
 *   6. the containers close with their domains freed, nothing mapped,
 *      and no fd left open.
 */
#include <dirent.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "vmtest.h"
#include "mock.h"
#include "../../../lib/uapi_iommufd.h"

#define PG 4096ULL
#define OUTSIDE 0x7f0000000ULL	/* an IOVA no mapping here reaches */

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	while (d && readdir(d))
		n++;
	if (d)
		closedir(d);
	return n;
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

/* The number of the last "alloc BDF domain N paging user..." event. */
static int user_domain(const char *bdf)
{
	char fmt[64];

	snprintf(fmt, sizeof(fmt), "alloc %s domain %%d paging user", bdf);
	return last_number(MOCK "events", fmt);
}

/* The mock's prot of the page at @iova in domain @dom: "rw", "r" or "". */
static const char *mapped_prot(int dom, uint64_t iova)
{
	static char prot[8];
	unsigned long long first, last, base;
	char line[160], p[8];
	FILE *f = fopen(MOCK "mappings", "r");
	int d;

	prot[0] = '\0';
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "domain %d %llx-%llx pa %llx %7s", &d, &first, &last, &base,
			   p) == 5 && d == dom && iova >= first && iova <= last)
			snprintf(prot, sizeof(prot), "%s", p);
	if (f)
		fclose(f);
	return prot;
}

static void *anon(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memset(p, 0x5a, len);	/* present, so that pagemap names the pages */
	return p;
}

static int open_iommufd(const char *edu, struct vfiox_container **c, struct vfiox_device **d)
{
	struct vfiox_group *g;
	int ret = vt_open_backend(VFIOX_BACKEND_IOMMUFD, edu, c, &g, d);

	CHECK_RET(ret, 0);
	if (!ret)
		CHECK(vt_iommufd(*c), "the forced iommufd open gave another backend");
	return ret;
}

/* A page request from edu without a PASID, and the mock's answer to it. */
static void fault(const char *edu, uint64_t iova, const char *perm, unsigned int grpid,
		  const char *want)
{
	const char *got = mock_fault(edu, MOCK_RID, iova, perm, grpid);

	CHECK(mock_answered(got, want), "a %s request at IOVA %#llx was answered %s, wanted %s",
	      perm, (unsigned long long)iova, got ? got : "never", want);
}

static void iopf_served(const char *edu)
{
	const struct vfiox_dma_opts ro = { .sz = sizeof(ro), .read_only = 1 };
	uint64_t rw_iova = 0, ro_iova = 0;
	struct vfiox_container *c;
	struct vfiox_device *d;
	char needle[96];
	uint8_t *buf = anon(3 * PG);
	int64_t pa;
	int dom;

	CHECK(buf != NULL, "mmap");
	if (!buf || open_iommufd(edu, &c, &d))
		return;
	/* Mapped (and pinned) before the enable: the new page table gets them. */
	CHECK_RET(vfiox_dma_map(c, buf, 2 * PG, NULL, &rw_iova), 0);
	CHECK_RET(vfiox_dma_map(c, buf + 2 * PG, PG, &ro, &ro_iova), 0);
	vt_write_file(MOCK "events", "clear");
	CHECK_RET(vfiox_container_enable_iopf(c), 0);
	CHECK_RET(vfiox_container_iopf_enabled(c), 1);
	dom = domain_of(edu);
	CHECK(dom > 0 && dom == user_domain(edu),
	      "edu is on domain %d, the page table allocated for it is %d", dom,
	      user_domain(edu));
	snprintf(needle, sizeof(needle), "attach %s domain %d iopf", edu, dom);
	CHECK(mock_has(MOCK "events", needle) == 1, "no '%s' in the mock's events", needle);
	CHECK(mock_mapped(dom, rw_iova, 2 * PG, NULL) == 2,
	      "the fault-capable domain maps %ld of the 2 pages mapped before",
	      mock_mapped(dom, rw_iova, 2 * PG, NULL));

	/* Inside a mapping: Success, and the page is there. */
	fault(edu, rw_iova + PG, "rw", 1, "success");
	CHECK(mock_mapped(dom, rw_iova + PG, PG, &pa) == 1 && pa == phys_of(buf + PG),
	      "after the Success the domain maps IOVA %#llx at %lld, the page is at %lld",
	      (unsigned long long)(rw_iova + PG), (long long)pa, (long long)phys_of(buf + PG));
	CHECK(!strcmp(mapped_prot(dom, rw_iova + PG), "rw"), "the page is mapped '%s'",
	      mapped_prot(dom, rw_iova + PG));
	fault(edu, ro_iova, "r", 2, "success");
	CHECK(!strcmp(mapped_prot(dom, ro_iova), "r"), "the read-only page is mapped '%s'",
	      mapped_prot(dom, ro_iova));

	/* Nothing there, or not writable: Invalid, said by libvfiox. */
	vt_log_clear();
	fault(edu, OUTSIDE, "r", 3, "invalid");
	CHECK(vt_log_has("answered Invalid"), "libvfiox did not log the Invalid answer");
	CHECK(mock_mapped(dom, OUTSIDE, PG, NULL) == 0, "the domain maps the IOVA refused");
	fault(edu, ro_iova, "w", 4, "invalid");
	CHECK(!strcmp(mapped_prot(dom, ro_iova), "r"), "the read-only page is now mapped '%s'",
	      mapped_prot(dom, ro_iova));
	CHECK_RET(vfiox_dma_unmap_iova(c, rw_iova, 2 * PG), 0);
	CHECK(mock_mapped(dom, rw_iova, 2 * PG, NULL) == 0,
	      "the unmap left %ld pages in the fault-capable domain",
	      mock_mapped(dom, rw_iova, 2 * PG, NULL));
	fault(edu, rw_iova, "r", 5, "invalid");

	vt_write_file(MOCK "events", "clear");
	vfiox_container_close(c);
	snprintf(needle, sizeof(needle), "free domain %d paging, 0 pages left mapped", dom);
	CHECK(mock_has(MOCK "events", needle) == 1, "no '%s' after the close", needle);
	munmap(buf, 3 * PG);
}

/* IOMMU_HWPT_ALLOC with IOMMU_HWPT_ALLOC_PASID on the IOAS, for @d. */
static int pasid_hwpt(struct vfiox_container *c, struct vfiox_device *d, uint32_t *hwpt)
{
	struct vfiox_iommu_hwpt_alloc q = {
		.size = sizeof(q), .flags = VFIOX_IOMMU_HWPT_ALLOC_PASID,
	};

	if (vfiox_device_devid(d, &q.dev_id) || vfiox_container_ioas_id(c, &q.pt_id))
		return -EINVAL;
	if (ioctl(vfiox_container_fd(c), VFIOX_IOMMU_HWPT_ALLOC, &q))
		return -errno;
	*hwpt = q.out_hwpt_id;
	return 0;
}

static void pasid_attached_to_ioas(const char *edu)
{
	struct vfiox_iommu_hw_info info = { .sz = sizeof(info) };
	struct vfiox_pasid_opts opts = { .sz = sizeof(opts) };
	struct vfiox_container *c;
	struct vfiox_device *d;
	uint32_t hwpt = 0, got = 0, mine = 0;
	uint8_t *buf = anon(PG);
	uint64_t iova = 0;
	char needle[96];
	int dom, ioas_dom, dom2;

	CHECK(buf != NULL, "mmap");
	if (!buf || open_iommufd(edu, &c, &d))
		return;
	CHECK_RET(vfiox_device_iommu_hw_info(d, &info), 0);
	CHECK(info.max_pasid_log2 == 20, "the IOMMU reports %u-bit PASIDs for edu, the mock 20",
	      info.max_pasid_log2);
	ioas_dom = domain_of(edu);

	/* iommufd attaches no PASID while edu's own DMA is on the page table
	 * it made for the IOAS: libvfiox moves edu onto a PASID-capable HWPT
	 * of the IOAS first, then attaches the PASID there. */
	CHECK_RET(vfiox_device_attach_pasid(d, 7, NULL, &got), 0);
	dom = user_domain(edu);
	CHECK(dom >= 0 && dom != ioas_dom, "no new page table for edu (domain %d, was %d)", dom,
	      ioas_dom);
	CHECK(domain_of(edu) == dom, "edu is on domain %d, not the new %d", domain_of(edu), dom);
	CHECK_RET(vfiox_device_hwpt_id(d, &hwpt), 0);
	CHECK(got == hwpt, "PASID 7 on HWPT %u, edu on %u", got, hwpt);
	CHECK(pasid_domain(edu, 7) == dom, "the mock shows PASID 7 on domain %d, not %d",
	      pasid_domain(edu, 7), dom);
	snprintf(needle, sizeof(needle), "pasid-attach %s pasid 7 domain %d paging", edu, dom);
	CHECK(mock_has(MOCK "events", needle) == 1, "no '%s' in the mock's events", needle);
	/* It is the IOAS's: what the IOAS maps now, that domain maps. */
	CHECK_RET(vfiox_dma_map(c, buf, PG, NULL, &iova), 0);
	CHECK(mock_mapped(dom, iova, PG, NULL) == 1, "the PASID's domain misses the IOAS's map");

	CHECK_RET(vfiox_device_detach_pasid(d, 7), 0);
	CHECK(pasid_attached(edu, 7) == 0, "PASID 7 is still attached in the mock");
	snprintf(needle, sizeof(needle), "pasid-detach %s pasid 7", edu);
	CHECK(mock_count_events(needle) == 1, "%d '%s' events", mock_count_events(needle), needle);
	vt_log_clear();
	CHECK_RET(vfiox_device_detach_pasid(d, 7), -ENOENT);
	CHECK(mock_count_events(needle) == 1, "the second detach reached the kernel");

	/* A PASID-capable HWPT of the caller's takes a PASID too; edu's own
	 * DMA stays where libvfiox put it. */
	CHECK_RET(pasid_hwpt(c, d, &mine), 0);
	dom2 = user_domain(edu);
	opts.pt_id = mine;
	CHECK_RET(vfiox_device_attach_pasid(d, 9, &opts, &got), 0);
	CHECK(got == mine, "attached to HWPT %u, not %u", got, mine);
	CHECK(pasid_domain(edu, 9) == dom2, "PASID 9 on domain %d, not %d",
	      pasid_domain(edu, 9), dom2);
	CHECK(domain_of(edu) == dom, "edu moved to domain %d", domain_of(edu));

	/* The close detaches what is left and destroys libvfiox's HWPT. */
	CHECK_RET(vfiox_device_attach_pasid(d, 7, NULL, NULL), 0);
	vt_write_file(MOCK "events", "clear");
	vfiox_device_close(d);
	CHECK(pasid_attached(edu, 7) == 0 && pasid_attached(edu, 9) == 0,
	      "closing edu left PASID 7 (%d) or 9 (%d) attached in the mock",
	      pasid_attached(edu, 7), pasid_attached(edu, 9));
	snprintf(needle, sizeof(needle), "free domain %d paging", dom);
	CHECK(mock_has(MOCK "events", needle) == 1, "no '%s' after edu's close", needle);

	vfiox_container_close(c);
	snprintf(needle, sizeof(needle), "free domain %d paging", dom2);
	CHECK(mock_has(MOCK "events", needle) == 1, "no '%s' after the close", needle);
	munmap(buf, PG);
}

#define UNSAFE_IRQS "/sys/module/iommufd/parameters/allow_unsafe_interrupts"

int main(void)
{
	const char *edu = vt_env("VFIOX_EDU");
	int fds;

	vt_init();
	/* The suite pins VFIOX_BACKEND (tests/vm/init); this test chooses. */
	unsetenv("VFIOX_BACKEND");
	CHECK(!access("/dev/iommu", F_OK) && !access("/dev/vfio/devices", F_OK),
	      "the mock-iommu machine runs the debug kernel, which has iommufd and the cdev");
	/* No interrupt remapping here: iommufd binds nothing without this. */
	CHECK_RET(mock_write(UNSAFE_IRQS, "Y"), 0);
	if (vt_failures)
		return vt_done("mock_iommufd_iopf");
	fds = open_fds();
	iopf_served(edu);
	pasid_attached_to_ioas(edu);
	CHECK(mock_has(MOCK "mappings", "domain") == 0, "the mock still lists mappings");
	CHECK(open_fds() == fds, "%d fds before, %d after", fds, open_fds());
	CHECK_RET(mock_write(UNSAFE_IRQS, "N"), 0);
	return vt_done("mock_iommufd_iopf");
}
