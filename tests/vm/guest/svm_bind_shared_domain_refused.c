// SPDX-License-Identifier: MIT
/*
 * An SVM bind must not give a PASID to a device whose IOMMU domain other
 * groups share (issue 19, finding 1; kernel-patches/linux-7.2 0011-0012).
 * edu's group is alone in container A:
 *   1. the series' bind passes its isolation checks and reaches the IOMMU,
 *      which refuses it (no PASID on any emulated device): neither EXDEV
 *      nor EBUSY, and the domain claim the bind took is given back;
 *   2. ivshmem's group joins A (type1 puts it in edu's domain, since the
 *      claim was given back): the bind is now refused with EBUSY before
 *      the IOMMU is asked, and edu's DMA through A still works;
 *   3. with ivshmem's group gone again, the bind is back to step 1.
 * Step 2 also proves step 1 gave the claim back: a claim still held would
 * have put ivshmem in a domain of its own, and the bind would reach the
 * IOMMU again.
 * Only for the 7.2 series (-Dp2p_v2_tests=true): the 6.1 series checks the
 * group only, and its numbers differ.
 */
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "vmtest.h"
#include "../../../lib/uapi_ext.h"

#define LEN 4096
#define IOVA 0x100000ULL
#define EDU_BUF 0x40000	/* edu's own buffer, in its DMA address space */

static int raw_bind(struct vfiox_device *d)
{
	struct vfiox_device_svm s = { .argsz = sizeof(s) };

	return ioctl(vfiox_device_fd(d), VFIOX_DEVICE_SVM_BIND, &s) ? -errno : 0;
}

static void bind_reaches_iommu(struct vfiox_device *edu, const char *when)
{
	int ret = raw_bind(edu);

	printf("  %s: bind: %s\n", when, strerror(-ret));
	CHECK(ret < 0 && ret != -EBUSY && ret != -EXDEV && ret != -ENOTTY,
	      "%s: the bind should reach the IOMMU and be refused there, got %d",
	      when, ret);
}

/* edu copies a pattern out of and back into memory mapped in @c. */
static void edu_dma_works(struct vfiox_container *c, struct vfiox_device *edu)
{
	struct vfiox_dma_opts o = { .sz = sizeof(o) };
	uint8_t *buf = mmap(NULL, LEN, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct vt_edu e;
	unsigned int i;

	CHECK(buf != MAP_FAILED, "mmap");
	if (buf == MAP_FAILED)
		return;
	for (i = 0; i < LEN / 2; i++)
		buf[i] = (uint8_t)(i * 7 + 1);
	memset(buf + LEN / 2, 0, LEN / 2);
	CHECK_RET(vfiox_dma_map_fixed(c, buf, LEN, IOVA, &o), 0);
	CHECK_RET(vt_edu_setup(edu, &e), 0);
	CHECK_RET(vt_edu_dma(&e, IOVA, EDU_BUF, LEN / 2, 0), 0);
	CHECK_RET(vt_edu_dma(&e, EDU_BUF, IOVA + LEN / 2, LEN / 2, VT_EDU_TO_RAM), 0);
	CHECK(!memcmp(buf, buf + LEN / 2, LEN / 2), "edu's round trip did not land");
	CHECK_RET(vfiox_dma_unmap_iova(c, IOVA, LEN), 0);
	munmap(buf, LEN);
}

int main(void)
{
	struct vfiox_container *a;
	struct vfiox_group *g, *shm_group;
	struct vfiox_device *edu;

	vt_init();
	CHECK_RET(vt_open(vt_env("VFIOX_EDU"), &a, &g, &edu), 0);
	if (vt_failures)
		return vt_done("svm_bind_shared_domain_refused");
	CHECK_RET(vfiox_container_check_extension(a, VFIOX_SVM), 1);
	bind_reaches_iommu(edu, "edu alone");

	CHECK_RET(vfiox_group_open_pci(a, vt_env("VFIOX_IVSHMEM"), &shm_group), 0);
	CHECK_RET(raw_bind(edu), -EBUSY);
	edu_dma_works(a, edu);

	vfiox_group_close(shm_group);
	bind_reaches_iommu(edu, "ivshmem gone");
	vfiox_container_close(a);
	return vt_done("svm_bind_shared_domain_refused");
}
