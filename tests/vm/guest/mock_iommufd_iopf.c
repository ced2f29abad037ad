// SPDX-License-Identifier: MIT
/*
 * I/O page faults and PASID attach on the iommufd backend, served for real
 * on the mock-iommu machine (the mock owns edu, gives it PASIDs and sends
 * page requests written to its debugfs "fault"). Every container is forced
 * to iommufd, whatever the run's backend. Checked on the mock's own record
 * (its events, mappings and pasids files), not only on return codes:
 *   1. vfiox_container_enable_iopf() succeeds: the mock allocated a
 *      PASID-capable user page table for edu ("paging user pasid") and
 *      attached edu to it with a fault handler (iommufd's), and that page
 *      table holds the mappings made before the enable;
 *   2. the answers libvfiox's thread gives, as the mock's page_response
 *      records them: Success for a request inside a read-write mapping
 *      and for a read of a read-only one; Invalid (logged by libvfiox) for
 *      a request outside every mapping, a write to the read-only mapping
 *      and a request after the unmap; Success again for a request after
 *      those Invalid ones; for a two-request group whose first request is
 *      outside every mapping, one answer only, Invalid. (The pages were
 *      mapped before the enable, so what the domain maps after a Success
 *      shows nothing about the fault; it is not checked.)
 *   3. with IOPF on, vfiox_device_attach_pasid() of PASID 7 lands on the
 *      fault-capable page table ("paging iopf" in the mock), and a page
 *      request under PASID 7 is answered Success through iommufd's fault
 *      queue; the detach removes it from the mock;
 *   4. IOMMU_GET_HW_INFO reports the mock's 20-bit PASIDs;
 *   5. vfiox_device_attach_pasid() of PASID 7 to the container's mappings
 *      succeeds: the mock shows a new PASID-capable user page table for
 *      edu, edu's own DMA moved onto it (iommufd attaches PASIDs only
 *      while it is on a page table allocated with IOMMU_HWPT_ALLOC_PASID,
 *      which the one it makes for an IOAS never is) and PASID 7 on it,
 *      mapping what the IOAS maps; the detach removes it and a second
 *      detach returns -ENOENT (the mock cannot tell whether that one
 *      reached the kernel: vfio drops a detach of a PASID it does not
 *      hold); a PASID goes to a PASID-capable HWPT of the caller's too,
 *      edu staying put; after closing the device with PASIDs 7 and 9
 *      attached the mock lists neither (vfio detaches them at unbind
 *      itself, so this does not show libvfiox did) and libvfiox's page
 *      table is freed;
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

/* The number of the last "alloc BDF domain N paging user pasid" event. */
static int user_domain(const char *bdf)
{
	char fmt[64];

	snprintf(fmt, sizeof(fmt), "alloc %s domain %%d paging user pasid", bdf);
	return last_number(MOCK "events", fmt);
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
	uint32_t got = 0, iopf_hwpt = 0;
	const char *got_ans;
	int dom;

	CHECK(buf != NULL, "mmap");
	if (!buf)
		return;
	if (open_iommufd(edu, &c, &d)) {
		munmap(buf, 3 * PG);
		return;
	}
	/* Mapped (and pinned) before the enable: the new page table gets them. */
	CHECK_RET(vfiox_dma_map(c, buf, 2 * PG, NULL, &rw_iova), 0);
	CHECK_RET(vfiox_dma_map(c, buf + 2 * PG, PG, &ro, &ro_iova), 0);
	CHECK_RET(mock_write(MOCK "events", "clear"), 0);
	CHECK_RET(vfiox_container_enable_iopf(c), 0);
	CHECK_RET(vfiox_container_iopf_enabled(c), 1);
	CHECK_RET(vfiox_device_hwpt_id(d, &iopf_hwpt), 0);
	dom = domain_of(edu);
	CHECK(dom > 0 && dom == user_domain(edu),
	      "edu is on domain %d, the page table allocated for it is %d", dom,
	      user_domain(edu));
	snprintf(needle, sizeof(needle), "attach %s domain %d iopf", edu, dom);
	CHECK(mock_has(MOCK "events", needle) == 1, "no '%s' in the mock's events", needle);
	CHECK(mock_mapped(dom, rw_iova, 2 * PG, NULL) == 2,
	      "the fault-capable domain maps %ld of the 2 pages mapped before",
	      mock_mapped(dom, rw_iova, 2 * PG, NULL));

	/* Inside a mapping: Success. */
	fault(edu, rw_iova + PG, "rw", 1, "success");
	fault(edu, ro_iova, "r", 2, "success");

	/* Nothing there, or not writable: Invalid, said by libvfiox. */
	vt_log_clear();
	fault(edu, OUTSIDE, "r", 3, "invalid");
	CHECK(vt_log_has("answered Invalid"), "libvfiox did not log the Invalid answer");
	fault(edu, ro_iova, "w", 4, "invalid");

	/* A PASID of edu's on the fault-capable HWPT faults through it too. */
	CHECK_RET(vfiox_device_attach_pasid(d, 7, NULL, &got), 0);
	CHECK(got == iopf_hwpt, "PASID 7 on HWPT %u, the fault-capable one is %u", got,
	      iopf_hwpt);
	CHECK(pasid_domain(edu, 7) == dom, "the mock shows PASID 7 on domain %d, not %d",
	      pasid_domain(edu, 7), dom);
	snprintf(needle, sizeof(needle), "pasid-attach %s pasid 7 domain %d paging iopf", edu, dom);
	CHECK(mock_has(MOCK "events", needle) == 1, "no '%s' in the mock's events", needle);
	got_ans = mock_fault(edu, 7, rw_iova, "rw", 7);
	CHECK(mock_answered(got_ans, "success"), "a request under PASID 7 was answered %s",
	      got_ans ? got_ans : "never");
	CHECK_RET(vfiox_device_detach_pasid(d, 7), 0);
	CHECK(pasid_attached(edu, 7) == 0, "PASID 7 is still attached in the mock");

	CHECK_RET(vfiox_dma_unmap_iova(c, rw_iova, 2 * PG), 0);
	CHECK(mock_mapped(dom, rw_iova, 2 * PG, NULL) == 0,
	      "the unmap left %ld pages in the fault-capable domain",
	      mock_mapped(dom, rw_iova, 2 * PG, NULL));
	fault(edu, rw_iova, "r", 5, "invalid");

	/* A group of two, the first outside: one answer, Invalid. */
	CHECK_RET(mock_write(MOCK "events", "clear"), 0);
	snprintf(needle, sizeof(needle), "%s - %llx r 8 nolast", edu, OUTSIDE);
	CHECK_RET(mock_write(MOCK "fault", needle), 0);
	snprintf(needle, sizeof(needle), "%s - %llx r 8", edu, (unsigned long long)ro_iova);
	CHECK_RET(mock_write(MOCK "fault", needle), 0);
	usleep(200000);		/* a second answer would come from libvfiox's thread */
	snprintf(needle, sizeof(needle), "response %s pasid 0 grpid 8 ", edu);
	CHECK(mock_count_events(needle) == 1, "%d answers to the group of two",
	      mock_count_events(needle));
	snprintf(needle, sizeof(needle), "response %s pasid 0 grpid 8 invalid", edu);
	CHECK(mock_count_events(needle) == 1, "the group of two was not answered Invalid");
	/* After Invalid answers, a good request is Success again. */
	fault(edu, ro_iova, "r", 6, "success");

	CHECK_RET(mock_write(MOCK "events", "clear"), 0);
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
	if (!buf)
		return;
	if (open_iommufd(edu, &c, &d)) {
		munmap(buf, PG);
		return;
	}
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
	CHECK(pasid_domain(edu, 7) == dom, "PASID 7 re-attached to domain %d, not %d",
	      pasid_domain(edu, 7), dom);
	CHECK_RET(mock_write(MOCK "events", "clear"), 0);
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

/* The parameter's value now, "Y" or "N"; "" if unreadable. */
static void read_param(const char *path, char *val, size_t len)
{
	FILE *f = fopen(path, "r");

	val[0] = '\0';
	if (f && fgets(val, (int)len, f))
		val[strcspn(val, "\n")] = '\0';
	if (f)
		fclose(f);
}

int main(void)
{
	const char *edu = vt_env("VFIOX_EDU");
	char unsafe[8];
	int fds;

	vt_init();
	/* The suite pins VFIOX_BACKEND (tests/vm/init); this test chooses. */
	unsetenv("VFIOX_BACKEND");
	CHECK(!access("/dev/iommu", F_OK) && !access("/dev/vfio/devices", F_OK),
	      "the mock-iommu machine runs the debug kernel, which has iommufd and the cdev");
	read_param(UNSAFE_IRQS, unsafe, sizeof(unsafe));
	CHECK(unsafe[0] == 'Y' || unsafe[0] == 'N', "cannot read %s", UNSAFE_IRQS);
	/* No interrupt remapping here: iommufd binds nothing without this. */
	if (!vt_failures)
		CHECK_RET(mock_write(UNSAFE_IRQS, "Y"), 0);
	if (!vt_failures) {
		fds = open_fds();
		iopf_served(edu);
		pasid_attached_to_ioas(edu);
		CHECK(mock_has(MOCK "mappings", "domain") == 0, "the mock still lists mappings");
		CHECK(open_fds() == fds, "%d fds before, %d after", fds, open_fds());
	}
	if (unsafe[0] == 'Y' || unsafe[0] == 'N')
		CHECK_RET(mock_write(UNSAFE_IRQS, unsafe), 0);
	return vt_done("mock_iommufd_iopf");
}
