// SPDX-License-Identifier: MIT
/*
 * The 7.2 series' SVM ioctls where no device can be bound (no emulated
 * device has a PASID), on the patched debug kernel:
 *   1. edu's group alone in container A: the bind passes vfio's checks
 *      and is refused by the IOMMU core (no PASID): not EXDEV, EBUSY,
 *      EOPNOTSUPP or ENOTTY;
 *   2. ivshmem's group joins A, so the two share type1's IOMMU domain: the
 *      bind is refused the same way (a PASID is attached per device, so a
 *      shared domain is no reason to refuse), and edu's DMA through A
 *      still works;
 *   3. flags: a bind with flags, an unbind with neither or both of FLUSHED
 *      and CLEAN get EINVAL; an unbind of a PASID never bound, ENOENT.
 * On the stock modules, only that the extension is absent; on iommufd,
 * that the SVM calls are refused.
 */
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "vmtest.h"
#include "../../../lib/uapi_ext.h"

#define LEN 4096
#define IOVA 0x100000ULL
#define EDU_BUF 0x40000	/* edu's own buffer, in its DMA address space */

static int raw_svm(struct vfiox_device *d, unsigned long req, uint32_t flags,
		   uint32_t pasid)
{
	struct vfiox_device_svm s = { .argsz = sizeof(s), .flags = flags,
				      .pasid = pasid };

	return ioctl(vfiox_device_fd(d), req, &s) ? -errno : 0;
}

static int raw_bind(struct vfiox_device *d)
{
	return raw_svm(d, VFIOX_DEVICE_SVM_BIND, 0, 0);
}

static void bind_reaches_iommu(struct vfiox_device *edu, const char *when)
{
	int ret = raw_bind(edu);

	printf("  %s: bind: %s\n", when, strerror(-ret));
	CHECK(ret < 0 && ret != -EBUSY && ret != -EXDEV && ret != -ENOTTY &&
	      ret != -EOPNOTSUPP,
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

static void bad_flags(struct vfiox_device *edu)
{
	CHECK_RET(raw_svm(edu, VFIOX_DEVICE_SVM_BIND, 1, 0), -EINVAL);
	CHECK_RET(raw_svm(edu, VFIOX_DEVICE_SVM_UNBIND, 0, 1), -EINVAL);
	CHECK_RET(raw_svm(edu, VFIOX_DEVICE_SVM_UNBIND,
			  VFIOX_SVM_PASID_RELEASE_FLUSHED |
			  VFIOX_SVM_PASID_RELEASE_CLEAN, 1), -EINVAL);
	CHECK_RET(raw_svm(edu, VFIOX_DEVICE_SVM_UNBIND,
			  VFIOX_SVM_PASID_RELEASE_CLEAN, 1), -ENOENT);
}

int main(void)
{
	struct vfiox_container *a;
	struct vfiox_group *g, *shm_group;
	struct vfiox_device *edu;

	vt_init();
	CHECK_RET(vt_open(vt_env("VFIOX_EDU"), &a, &g, &edu), 0);
	if (vt_failures)
		return vt_done("svm_bind_refusals_7x");
	if (vt_iommufd(a)) {	/* the series' SVM is type1's */
		uint32_t pasid = 0;

		CHECK_REFUSED_ON_IOMMUFD(vfiox_container_check_extension(a, VFIOX_SVM));
		/* the probe answers (docs/iommufd.md): legacy only */
		CHECK_RET(vfiox_svm_support(edu), VFIOX_FEATURE_LEGACY_ONLY);
		CHECK_REFUSED_ON_IOMMUFD(vfiox_svm_bind(edu, &pasid));
		CHECK(pasid == 0, "a refused bind gave PASID %u", pasid);
		vfiox_container_close(a);
		return vt_done("svm_bind_refusals_7x");
	}
	if (strcmp(vt_env("VFIOX_MODULES"), "patched")) {
		CHECK_RET(vfiox_container_check_extension(a, VFIOX_SVM), 0);
		vfiox_container_close(a);
		return vt_done("svm_bind_refusals_7x");
	}
	CHECK_RET(vfiox_container_check_extension(a, VFIOX_SVM), VFIOX_SVM_FLAGS_REPORTED);
	bind_reaches_iommu(edu, "edu alone");

	CHECK_RET(vfiox_group_open_pci(a, vt_env("VFIOX_IVSHMEM"), &shm_group), 0);
	bind_reaches_iommu(edu, "edu and ivshmem in one domain");
	edu_dma_works(a, edu);
	bad_flags(edu);
	vfiox_container_close(a);
	return vt_done("svm_bind_refusals_7x");
}
