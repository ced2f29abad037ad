// SPDX-License-Identifier: MIT
/*
 * Generated fault injection. Every public operation in the table below is
 * first run clean to count the seam calls it makes (open, ioctl, mmap,
 * eventfd, sysfs reads, ...); then, for each of those calls and each errno
 * seen in practice, a fresh machine is brought to the operation's starting
 * state, that one call fails, and the test proves:
 * - the operation returns the injected error;
 * - nothing leaked: open fds, live mmaps, kernel mappings, libvfiox's DMA
 *   accounting and its free IOVA space are as before the operation, and so
 *   are which vaddrs are invalid (live update) and dirty tracking, in the
 *   kernel and in libvfiox's books;
 * - the object is still usable: the same operation, run again without a
 *   failure, succeeds (and, for a map, picks the same IOVA as a clean run).
 * Heap leaks are LeakSanitizer's job: the sanitize suite runs this too.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "fake_kernel.h"
#include "../../lib/dma_internal.h"

static const int errnos[] = { ENOMEM, EINTR, EFAULT, ENOSPC, EBUSY, ENODEV };

/* What an operation works on; set up fresh for every case. */
struct world {
	struct vfiox_container *c;
	struct vfiox_group *g;
	struct vfiox_device *d;
	struct vfiox_dma_pool *pool;
	uint64_t iova;		/* the mapping of unmap's set-up, or map's result */
	void *out;		/* mmap / alloc results */
	int fds[2];
	int adopt_fd;		/* an fd opened behind libvfiox, to adopt */
};

static uint8_t *buf;		/* 4 MiB, mapped by the DMA cases */

struct op {
	const char *name;
	int (*setup)(struct world *w);	/* bring the world to the start */
	int (*run)(struct world *w);	/* the public operation under test */
	void (*undo)(struct world *w);	/* after a success, before cleanup */
	const char *optional;	/* a call whose failure it may work around */
	int optional_errno;	/* ... only when it fails so (0: any errno) */
};

static int setup_none(struct world *w) { (void)w; return 0; }
static int setup_container(struct world *w) { return fk_container_open(&w->c); }

static int setup_group(struct world *w)
{
	int ret = setup_container(w);

	return ret ? ret : vfiox_group_open(w->c, 7, &w->g);
}

static int setup_device(struct world *w)
{
	int ret = setup_group(w);

	return ret ? ret : vfiox_device_open(w->g, "0000:00:03.0", NULL, &w->d);
}

/* The series' kernel, with a PASID-capable device. */
static int setup_svm_device(struct world *w)
{
	fk.private_exts[0] = VFIOX_SVM;
	fk.groups[0].devs[0].flags |= VFIOX_DEVICE_FLAGS_SVM;
	return setup_device(w);
}

static int setup_iopf_group(struct world *w)
{
	fk.private_exts[0] = VFIOX_IOPF;
	return setup_group(w);
}

static int setup_mapping(struct world *w)
{
	int ret = setup_group(w);

	return ret ? ret : vfiox_dma_map(w->c, buf, 2 << 20, NULL, &w->iova);
}

/* Three 1 MiB mappings at 1, 2 and 3 MiB, with the given extensions. */
static int map_three(struct world *w)
{
	int i, ret = 0;

	for (i = 0; i < 3 && !ret; i++)
		ret = vfiox_dma_map_fixed(w->c, buf + (i << 20), 1 << 20,
					  (uint64_t)(i + 1) << 20, NULL);
	return ret;
}

static int setup_three(struct world *w)
{
	int ret = setup_group(w);

	return ret ? ret : map_three(w);
}

static int setup_three_unmap_all(struct world *w)
{
	fk.extensions |= 1u << VFIO_UNMAP_ALL;
	return setup_three(w);
}

static int setup_three_dirty(struct world *w)
{
	int ret = setup_three(w);

	return ret ? ret : vfiox_dma_dirty_start(w->c);
}

static int setup_three_cpr(struct world *w)
{
	fk.extensions |= 1u << VFIO_UPDATE_VADDR;
	return setup_three(w);
}

static char cpr_state[256];
static int cpr_size;

/* The old process, vaddrs invalidated for a handover. */
static int setup_invalidated(struct world *w)
{
	int ret = setup_three_cpr(w);

	return ret ? ret : vfiox_dma_invalidate_vaddrs(w->c) == 3 ? 0 : -1;
}

/* Invalidated and saved, then forgotten, as a new process starts. */
static int setup_restore(struct world *w)
{
	int ret = setup_three_cpr(w);

	if (!ret)
		ret = vfiox_dma_invalidate_vaddrs(w->c) == 3 ? 0 : -1;
	if (!ret)
		cpr_size = vfiox_dma_save(w->c, cpr_state, sizeof(cpr_state));
	if (ret || cpr_size <= 0)
		return -1;
	vfiox_dma_drop_all(w->c);
	ret = vfiox_container_refresh(w->c);
	return ret ? ret : vfiox_iova_space_rebuild(w->c);
}

static int setup_pool(struct world *w)
{
	int ret = setup_group(w);

	return ret ? ret : vfiox_dma_pool_new(w->c, NULL, &w->pool);
}

/* Fds as a management process hands them over (lib adopts them). */
static int setup_container_fd(struct world *w)
{
	w->adopt_fd = fake_sys.open("/fake/dev/vfio/vfio", O_RDWR);
	return w->adopt_fd < 0;
}

static int setup_group_fd(struct world *w)
{
	int ret = setup_container(w);

	w->adopt_fd = fake_sys.open("/fake/dev/vfio/7", O_RDWR);
	return ret || w->adopt_fd < 0;
}

/* The sender attached the group and set the IOMMU before handing over. */
static int setup_attached_group_fd(struct world *w)
{
	int cfd = fake_sys.open("/fake/dev/vfio/vfio", O_RDWR);

	w->adopt_fd = fake_sys.open("/fake/dev/vfio/7", O_RDWR);
	if (fake_sys.ioctl(w->adopt_fd, VFIO_GROUP_SET_CONTAINER, &cfd) ||
	    fake_sys.ioctl(cfd, VFIO_SET_IOMMU, (void *)(long)VFIO_TYPE1v2_IOMMU))
		return -1;
	return fk_container_adopt(cfd, &w->c);
}

/* On a kernel whose fdinfo names the device, which sysfs puts in group 7. */
static int setup_device_fd(struct world *w)
{
	int ret = setup_group(w);

	fk.fdinfo = true;
	fk_add_link("/fake/sys/devices/fake/0000:00:03.0/iommu_group",
		    "../../../kernel/iommu_groups/7");

	w->adopt_fd = fake_sys.ioctl(vfiox_group_fd(w->g), VFIO_GROUP_GET_DEVICE_FD,
				     (void *)"0000:00:03.0");
	return ret || w->adopt_fd < 0;
}

/* Device 0 can migrate, with every optional state, and is RUNNING. */
static int setup_migratable(struct world *w)
{
	struct fk_mig *m = &fk.groups[0].devs[0].mig;

	m->flags = VFIOX_MIG_FLAG_STOP_COPY | VFIOX_MIG_FLAG_P2P | VFIOX_MIG_FLAG_PRE_COPY;
	m->state = VFIOX_MIG_RUNNING;
	m->len = 8;
	return setup_device(w);
}

#define MDEV_UUID "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001"

/* No request eventfd, so no request thread reads or writes the seam. */
static int setup_migratable_quiet(struct world *w)
{
	fk.groups[0].devs[0].irqs[VFIO_PCI_REQ_IRQ_INDEX].count = 0;
	return setup_migratable(w);
}

/* A STOP_COPY data fd to read the device's state from. */
static int setup_saving(struct world *w)
{
	int ret = setup_migratable_quiet(w);

	return ret ? ret : vfiox_mig_set_state(w->d, VFIOX_MIG_STOP_COPY, &w->fds[1]);
}

/* A RESUMING data fd to write a stream into. */
static int setup_resuming(struct world *w)
{
	int ret = setup_migratable_quiet(w);

	return ret ? ret : vfiox_mig_set_state(w->d, VFIOX_MIG_RESUMING, &w->fds[1]);
}

static int setup_mdev(struct world *w)
{
	fk_add_link("/fake/sys/bus/mdev/devices/" MDEV_UUID "/iommu_group",
		    "../../../../kernel/iommu_groups/7");
	return setup_container(w);
}

static int run_mdev_open(struct world *w) { return vfiox_group_open_mdev(w->c, MDEV_UUID, &w->g); }

/* RUNNING -> RUNNING_P2P -> STOP -> STOP_COPY, and the data fd. */
static int run_mig_set_state(struct world *w)
{
	return vfiox_mig_set_state(w->d, VFIOX_MIG_STOP_COPY, &w->fds[0]);
}

static void undo_mig_set_state(struct world *w)
{
	fake_sys.close(w->fds[0]);
	vfiox_mig_set_state(w->d, VFIOX_MIG_RUNNING, NULL);
}

static int run_mig_data_size(struct world *w)
{
	uint64_t size;

	return vfiox_mig_data_size(w->d, &size);
}

static int run_mig_reset(struct world *w) { return vfiox_mig_reset(w->d); }

/* A PRE_COPY data fd to ask. */
static int setup_precopy(struct world *w)
{
	int ret = setup_migratable(w);

	return ret ? ret : vfiox_mig_set_state(w->d, VFIOX_MIG_PRE_COPY, &w->fds[1]);
}

static int run_mig_precopy_info(struct world *w)
{
	struct vfiox_mig_precopy_info pi = { .sz = sizeof(pi) };

	return vfiox_mig_precopy_info(w->d, w->fds[1], &pi);
}

static void undo_precopy(struct world *w) { fake_sys.close(w->fds[1]); }

static int run_mig_get_state(struct world *w)
{
	enum vfiox_mig_state s = VFIOX_MIG_ERROR;
	int ret = vfiox_mig_get_state(w->d, &s);

	return ret ? ret : s == VFIOX_MIG_RUNNING ? 0 : -EPROTO;
}

static int run_mig_precopy_reinit_enable(struct world *w)
{
	return vfiox_mig_precopy_reinit_enable(w->d);
}

/* The whole saved state, and nothing lost to an earlier failed read. */
static int run_mig_read(struct world *w)
{
	const struct fk_mig *m = &fk.groups[0].devs[0].mig;
	uint8_t got[FK_MIG_MAX];
	ssize_t n = vfiox_mig_read(w->d, w->fds[1], got, sizeof(got));

	if (n < 0)
		return (int)n;
	return n == m->len && !memcmp(got, m->data, m->len) ? 0 : -EPROTO;
}

/* A stream of 8 bytes, taken whole. */
static int run_mig_write(struct world *w)
{
	static const char stream[8] = FK_MIG_MAGIC "abc";
	ssize_t n = vfiox_mig_write(w->d, w->fds[1], stream, sizeof(stream));

	if (n < 0)
		return (int)n;
	return n == sizeof(stream) ? 0 : -EPROTO;
}

static int run_container_adopt(struct world *w) { return fk_container_adopt(w->adopt_fd, &w->c); }
static int run_group_adopt(struct world *w) { return vfiox_group_adopt(w->c, w->adopt_fd, 7, &w->g); }

static int run_device_adopt(struct world *w)
{
	return vfiox_device_adopt(w->g, w->adopt_fd, "0000:00:03.0", NULL, &w->d);
}

static int run_container_open(struct world *w) { return fk_container_open(&w->c); }
static int run_group_open(struct world *w) { return vfiox_group_open(w->c, 7, &w->g); }
static int run_refresh(struct world *w) { return vfiox_container_refresh(w->c); }

static int run_device_open(struct world *w)
{
	return vfiox_device_open(w->g, "0000:00:03.0", NULL, &w->d);
}

static int run_region_mmap(struct world *w) { return vfiox_region_mmap(w->d, 0, &w->out); }

static int run_region_read(struct world *w)
{
	uint32_t id;
	int ret = vfiox_region_read(w->d, VFIO_PCI_CONFIG_REGION_INDEX, 0, &id, 4);

	return ret < 0 ? ret : 0;
}

static int run_region_write(struct world *w)
{
	uint16_t cmd = 6;
	int ret = vfiox_region_write(w->d, VFIO_PCI_CONFIG_REGION_INDEX, 4, &cmd, 2);

	return ret < 0 ? ret : 0;
}

static int run_pci_enable_dma(struct world *w) { return vfiox_pci_enable_dma(w->d); }

static int run_irq_enable(struct world *w)
{
	return vfiox_irq_enable(w->d, VFIO_PCI_MSIX_IRQ_INDEX, 0, 2, w->fds);
}

static int run_reset(struct world *w) { return vfiox_device_reset(w->d); }

static int run_svm_bind(struct world *w)
{
	uint32_t pasid;
	int ret = vfiox_svm_bind(w->d, &pasid);

	w->iova = pasid;
	return ret;
}

static int run_iopf_enable(struct world *w) { return vfiox_container_enable_iopf(w->c); }

static int run_dma_map(struct world *w)
{
	return vfiox_dma_map(w->c, buf, 2 << 20, NULL, &w->iova);
}

/* The buffer of setup_mapping() again, at a second IOVA. */
static int run_dma_map_alias(struct world *w)
{
	return vfiox_dma_map_fixed(w->c, buf, 2 << 20, 0x40000000, NULL);
}

static int run_dma_unmap_range(struct world *w)
{
	int ret = vfiox_dma_unmap_range(w->c, 1 << 20, 3 << 20);

	return ret < 0 ? ret : 0;
}

static int run_dma_unmap_all(struct world *w)
{
	int ret = vfiox_dma_unmap_all(w->c);

	return ret < 0 ? ret : 0;
}

static int run_dirty_start(struct world *w) { return vfiox_dma_dirty_start(w->c); }

static int run_dirty_bitmap(struct world *w)
{
	uint64_t bm[16];

	return vfiox_dma_dirty_bitmap(w->c, 1 << 20, 3 << 20, bm, sizeof(bm));
}

/* Success is all three removed; a failure must have removed none here. */
static int run_unmap_dirty(struct world *w)
{
	uint64_t bm[16];
	int removed = -1;
	int ret = vfiox_dma_unmap_dirty(w->c, 1 << 20, 3 << 20, bm, sizeof(bm), &removed);

	if (ret < 0)
		return removed ? -EPROTO : ret;
	return ret == 3 && removed == 3 ? 0 : -EPROTO;
}

static int run_invalidate(struct world *w)
{
	int ret = vfiox_dma_invalidate_vaddrs(w->c);

	return ret < 0 ? ret : 0;
}

static int run_revalidate(struct world *w)
{
	int ret = vfiox_dma_revalidate_vaddrs(w->c);

	return ret < 0 ? ret : ret == 3 ? 0 : -EPROTO;
}

static int run_save(struct world *w)
{
	char state[256];
	int ret = vfiox_dma_save(w->c, state, sizeof(state));

	return ret < 0 ? ret : ret <= (int)sizeof(state) ? 0 : -EPROTO;
}

static int run_dirty_stop(struct world *w) { return vfiox_dma_dirty_stop(w->c); }

static int run_restore(struct world *w)
{
	int ret = vfiox_dma_restore(w->c, cpr_state, (size_t)cpr_size, NULL, NULL);

	return ret < 0 ? ret : 0;
}

static int run_dma_unmap(struct world *w)
{
	return vfiox_dma_unmap_iova(w->c, w->iova, 2 << 20);
}

static int run_pool_alloc(struct world *w)
{
	return vfiox_dma_alloc(w->pool, 4096, &w->out, &w->iova);
}

static int run_resv(struct world *w)
{
	struct vfiox_resv_region r[4];
	int ret = vfiox_container_resv_regions(w->c, r, 4);

	return ret < 0 ? ret : 0;
}

static int run_avail_check(struct world *w)
{
	uint32_t kernel, ours;
	int ret = vfiox_dma_avail_check(w->c, &kernel, &ours);

	return ret < 0 ? ret : 0;
}

/* The iommufd backend: the same operations on an IOAS and a device cdev. */
static int run_iommufd_open(struct world *w) { return fk_iommufd_container_open(&w->c); }

static int setup_iommufd_machine(struct world *w)
{
	(void)w;
	fk_enable_iommufd();
	return 0;
}

/* Auto on a kernel with both: the choice waits for the first group. */
static int setup_auto_container(struct world *w)
{
	fk_enable_iommufd();
	return fk_container_open(&w->c);
}

static int run_hw_info(struct world *w)
{
	struct vfiox_iommu_hw_info info = { .sz = sizeof(info) };

	return vfiox_device_iommu_hw_info(w->d, &info);
}

static int setup_iommufd_container(struct world *w)
{
	fk_enable_iommufd();
	return fk_iommufd_container_open(&w->c);
}

static int setup_iommufd_group(struct world *w)
{
	int ret = setup_iommufd_container(w);

	return ret ? ret : vfiox_group_open(w->c, 7, &w->g);
}

static int setup_iommufd_device(struct world *w)
{
	int ret = setup_iommufd_group(w);

	return ret ? ret : run_device_open(w);
}

/* The BAR mmapped already: the P2P map's own calls are the export's. */
static int setup_iommufd_p2p(struct world *w)
{
	int ret = setup_iommufd_device(w);

	return ret ? ret : vfiox_region_mmap(w->d, 0, &w->out);
}

static int run_p2p_map(struct world *w)
{
	return vfiox_p2p_map(w->c, w->d, 0, 0x1000, 0x2000, NULL, &w->iova);
}

static void undo_p2p_map(struct world *w)
{
	assert_int_equal(vfiox_p2p_unmap(w->c, w->iova, 0x2000), 0);
}

/* IOPF on iommufd: the fault queue, the HWPT, the device moved, the
 * thread's stop eventfd; a mapping made before, which stays. */
static int setup_iommufd_iopf(struct world *w)
{
	int ret = setup_iommufd_device(w);

	return ret ? ret : run_dma_map(w);
}

static int run_iopf_enable_iommufd(struct world *w)
{
	return vfiox_container_enable_iopf(w->c);
}

/* PASID attach: the width asked of GET_HW_INFO, then the attach. */
static int run_pasid_attach(struct world *w)
{
	return vfiox_device_attach_pasid(w->d, 5, NULL, NULL);
}

static void undo_pasid_attach(struct world *w)
{
	assert_int_equal(vfiox_device_detach_pasid(w->d, 5), 0);
}

static int setup_iommufd_pasid(struct world *w)
{
	int ret = setup_iommufd_device(w);

	return ret ? ret : run_pasid_attach(w);
}

static int run_pasid_detach(struct world *w)
{
	return vfiox_device_detach_pasid(w->d, 5);
}

static void undo_pasid_detach(struct world *w)
{
	assert_int_equal(run_pasid_attach(w), 0);
}

/* A VF whose PF set a token: the bind carries it. */
static int setup_iommufd_vf_group(struct world *w)
{
	snprintf(fk.groups[0].devs[0].token, sizeof(fk.groups[0].devs[0].token), "%s",
		 "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001");
	return setup_iommufd_group(w);
}

static int run_device_open_token(struct world *w)
{
	struct vfiox_device_opts opts = {
		.sz = sizeof(opts), .vf_token = "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001",
	};

	return vfiox_device_open(w->g, "0000:00:03.0", &opts, &w->d);
}

static int setup_iommufd_mapping(struct world *w)
{
	int ret = setup_iommufd_device(w);

	return ret ? ret : run_dma_map(w);
}

static int setup_iommufd_three(struct world *w)
{
	int ret = setup_iommufd_device(w);

	return ret ? ret : map_three(w);
}

static int setup_iommufd_pool(struct world *w)
{
	int ret = setup_iommufd_device(w);

	return ret ? ret : vfiox_dma_pool_new(w->c, NULL, &w->pool);
}

static void undo_container_open(struct world *w) { (void)w; }
static void undo_region_mmap(struct world *w) { vfiox_region_munmap(w->d, 0); }
static void undo_irq_enable(struct world *w) { vfiox_irq_disable(w->d, VFIO_PCI_MSIX_IRQ_INDEX); }
static void undo_dma_map(struct world *w) { vfiox_dma_unmap_iova(w->c, w->iova, 2 << 20); }
static void undo_dma_map_alias(struct world *w)
{
	vfiox_dma_unmap_iova(w->c, 0x40000000, 2 << 20);
}
static void undo_unmap_three(struct world *w) { map_three(w); }
static void undo_dirty_start(struct world *w) { vfiox_dma_dirty_stop(w->c); }
static void undo_dma_unmap(struct world *w)
{
	vfiox_dma_map(w->c, buf, 2 << 20, NULL, &w->iova);
}
static void undo_pool_alloc(struct world *w) { vfiox_dma_free(w->pool, w->out); }
static void undo_group_open(struct world *w) { vfiox_group_close(w->g); w->g = NULL; }
static void undo_device_open(struct world *w) { vfiox_device_close(w->d); w->d = NULL; }
static void undo_nothing(struct world *w) { (void)w; }

static void undo_svm_bind(struct world *w)
{
	vfiox_svm_unbind(w->d, (uint32_t)w->iova, VFIOX_PASID_CLEAN);
}

static const struct op ops[] = {
	{ "container_open", setup_none, run_container_open, undo_container_open, NULL, 0 },
	{ "group_open", setup_container, run_group_open, undo_group_open, NULL, 0 },
	{ "container_refresh", setup_group, run_refresh, undo_nothing, NULL, 0 },
	{ "device_open", setup_group, run_device_open, undo_device_open, NULL, 0 },
	{ "region_mmap", setup_device, run_region_mmap, undo_region_mmap, NULL, 0 },
	{ "region_read", setup_device, run_region_read, undo_nothing, NULL, 0 },
	{ "region_write", setup_device, run_region_write, undo_nothing, NULL, 0 },
	{ "pci_enable_dma", setup_device, run_pci_enable_dma, undo_nothing, NULL, 0 },
	{ "irq_enable", setup_device, run_irq_enable, undo_irq_enable, NULL, 0 },
	{ "device_reset", setup_device, run_reset, undo_nothing, NULL, 0 },
	{ "dma_map", setup_group, run_dma_map, undo_dma_map, NULL, 0 },
	{ "dma_unmap", setup_mapping, run_dma_unmap, undo_dma_unmap, NULL, 0 },
	{ "dma_map_alias", setup_mapping, run_dma_map_alias, undo_dma_map_alias, NULL, 0 },
	{ "dma_unmap_range", setup_three, run_dma_unmap_range, undo_unmap_three, NULL, 0 },
	{ "dma_unmap_all", setup_three_unmap_all, run_dma_unmap_all, undo_unmap_three, NULL, 0 },
	{ "dma_dirty_start", setup_group, run_dirty_start, undo_dirty_start, NULL, 0 },
	{ "dma_dirty_bitmap", setup_three_dirty, run_dirty_bitmap, undo_nothing, NULL, 0 },
	{ "dma_unmap_dirty", setup_three_dirty, run_unmap_dirty, undo_unmap_three, NULL, 0 },
	{ "dma_invalidate_vaddrs", setup_three_cpr, run_invalidate, undo_nothing, NULL, 0 },
	{ "dma_restore", setup_restore, run_restore, undo_nothing, NULL, 0 },
	{ "dma_revalidate_vaddrs", setup_invalidated, run_revalidate, undo_nothing, NULL, 0 },
	{ "dma_save", setup_invalidated, run_save, undo_nothing, NULL, 0 },
	{ "dma_dirty_stop", setup_three_dirty, run_dirty_stop, undo_nothing, NULL, 0 },
	/* A failed hugetlb mmap falls back to 4 KiB pages. */
	{ "pool_alloc", setup_pool, run_pool_alloc, undo_pool_alloc, "mmap", 0 },
	{ "container_resv_regions", setup_group, run_resv, undo_nothing, NULL, 0 },
	{ "dma_avail_check", setup_group, run_avail_check, undo_nothing, NULL, 0 },
	/* Without the group's size (sysfs) the kernel decides alone. */
	{ "svm_bind", setup_svm_device, run_svm_bind, undo_svm_bind, "list_dir", 0 },
	{ "iopf_enable", setup_iopf_group, run_iopf_enable, undo_nothing, NULL, 0 },
	/* Adopted fds: after a failure they are still the caller's, open. */
	/* iommufd's compat container answers GET_INFO without IOMMU so. */
	{ "container_adopt", setup_container_fd, run_container_adopt, undo_nothing, "ioctl",
	  ENODEV },
	{ "group_adopt", setup_group_fd, run_group_adopt, undo_group_open, NULL, 0 },
	{ "group_adopt_attached", setup_attached_group_fd, run_group_adopt, undo_group_open, NULL,
	  0 },
	{ "device_adopt", setup_device_fd, run_device_adopt, undo_device_open, NULL, 0 },
	{ "group_open_mdev", setup_mdev, run_mdev_open, undo_group_open, NULL, 0 },
	{ "mig_set_state", setup_migratable, run_mig_set_state, undo_mig_set_state, NULL, 0 },
	{ "mig_data_size", setup_migratable, run_mig_data_size, undo_nothing, NULL, 0 },
	{ "mig_reset", setup_migratable, run_mig_reset, undo_nothing, NULL, 0 },
	{ "mig_precopy_info", setup_precopy, run_mig_precopy_info, undo_precopy, NULL, 0 },
	{ "iommufd_container_open", setup_iommufd_machine, run_iommufd_open, undo_container_open,
	  NULL, 0 },
	{ "iommufd_group_open", setup_iommufd_container, run_group_open, undo_group_open, NULL, 0 },
	/* Auto's choice at the first group: a cdev or /dev/iommu that is not
	 * there (ENODEV) means legacy; any other failure fails the open with
	 * the choice still to make. */
	{ "auto_group_open", setup_auto_container, run_group_open, undo_group_open, "open",
	  ENODEV },
	{ "iommufd_hw_info", setup_iommufd_device, run_hw_info, undo_nothing, NULL, 0 },
	{ "iommufd_container_refresh", setup_iommufd_device, run_refresh, undo_nothing, NULL, 0 },
	{ "iommufd_device_open", setup_iommufd_group, run_device_open, undo_device_open, NULL, 0 },
	{ "iommufd_device_reset", setup_iommufd_device, run_reset, undo_nothing, NULL, 0 },
	{ "iommufd_dma_map", setup_iommufd_device, run_dma_map, undo_dma_map, NULL, 0 },
	{ "iommufd_dma_unmap", setup_iommufd_mapping, run_dma_unmap, undo_dma_unmap, NULL, 0 },
	/* An IOAS unmap that fails with EBUSY may have removed some of the
	 * range (the kernel's goes area by area): libvfiox finishes it entry
	 * by entry, and succeeds when every one went. */
	{ "iommufd_dma_unmap_range", setup_iommufd_three, run_dma_unmap_range, undo_unmap_three,
	  "ioctl", EBUSY },
	{ "iommufd_dma_unmap_all", setup_iommufd_three, run_dma_unmap_all, undo_unmap_three,
	  "ioctl", EBUSY },
	{ "iommufd_pool_alloc", setup_iommufd_pool, run_pool_alloc, undo_pool_alloc, "mmap", 0 },
	{ "iommufd_p2p_map", setup_iommufd_p2p, run_p2p_map, undo_p2p_map, NULL, 0 },
	/* Undone by the container's close; run again it is a no-op. A kernel
	 * call failing ENODEV is the IOMMU's refusal (one_case()). */
	{ "iommufd_iopf_enable", setup_iommufd_iopf, run_iopf_enable_iommufd, undo_nothing,
	  NULL, 0 },
	{ "iommufd_pasid_attach", setup_iommufd_device, run_pasid_attach, undo_pasid_attach,
	  NULL, 0 },
	{ "iommufd_pasid_detach", setup_iommufd_pasid, run_pasid_detach, undo_pasid_detach,
	  NULL, 0 },
	{ "iommufd_device_open_vf_token", setup_iommufd_vf_group, run_device_open_token,
	  undo_device_open, NULL, 0 },
	{ "mig_get_state", setup_migratable, run_mig_get_state, undo_nothing, NULL, 0 },
	{ "mig_precopy_reinit_enable", setup_migratable, run_mig_precopy_reinit_enable,
	  undo_nothing, NULL, 0 },
	/* An interrupted read or write of the data fd is retried (and the
	 * fake counts those calls only by name: count_only()). */
	{ "mig_read", setup_saving, run_mig_read, undo_precopy, "read", EINTR },
	{ "mig_write", setup_resuming, run_mig_write, undo_precopy, "write", EINTR },
};

/* Everything a failed operation must leave as it was. */
struct snapshot {
	int fds, mmaps, kernel_maps;
	int p2p;		/* vfiox_p2p_list()'s count */
	struct vfiox_dma_stats st;
	uint64_t free_bytes;
	/* The kernel's side of adopted fds: which groups are attached, and
	 * the IOMMU set last (0 once no group is attached). */
	unsigned int attached;
	int iommu_type;
	int ioas_attached;	/* device cdevs attached to an IOAS */
	int off_ioas;		/* ... attached to a HWPT instead of their IOAS */
	int objects;		/* iommufd objects: HWPTs, fault queues */
	int pasids;		/* PASIDs attached, in the kernel and in the books */
	uint32_t book_pasids;
	bool iopf;		/* the container's IOPF mode */
	/* Live update: the kernel's mappings whose vaddr is invalid, and
	 * whether libvfiox holds the vaddrs invalid. */
	int kernel_invalid;
	bool vaddrs_invalid;
	/* Dirty tracking, in the kernel and in libvfiox's books. */
	bool kernel_dirty, dirty;
};

/* Field by field: memcmp() would compare the padding after kernel_maps. */
static bool same(const struct snapshot *a, const struct snapshot *b)
{
	return a->fds == b->fds && a->mmaps == b->mmaps && a->p2p == b->p2p &&
	       a->kernel_maps == b->kernel_maps &&
	       !memcmp(&a->st, &b->st, sizeof(a->st)) &&
	       a->free_bytes == b->free_bytes && a->attached == b->attached &&
	       a->iommu_type == b->iommu_type && a->ioas_attached == b->ioas_attached &&
	       a->off_ioas == b->off_ioas && a->objects == b->objects &&
	       a->pasids == b->pasids && a->book_pasids == b->book_pasids &&
	       a->iopf == b->iopf &&
	       a->kernel_invalid == b->kernel_invalid &&
	       a->vaddrs_invalid == b->vaddrs_invalid &&
	       a->kernel_dirty == b->kernel_dirty && a->dirty == b->dirty;
}

static struct snapshot snap(const struct world *w)
{
	struct snapshot s = {
		.fds = fk_open_fds(), .mmaps = fk.live_mmaps, .kernel_maps = fk.nr_maps,
		.st = { .sz = sizeof(s.st) }, .iommu_type = fk.iommu_type,
		.ioas_attached = fk.ioas_attached,
	};
	int i;

	for (i = 0; i < fk.nr_groups; i++)
		s.attached |= (unsigned int)fk.groups[i].attached << i;
	for (i = 0; i < fk.nr_maps; i++)
		s.kernel_invalid += fk.maps[i].invalid;
	for (i = 0; i < FK_MAX_FDS; i++)
		s.off_ioas += fk.fds[i].kind == FK_FD_DEVICE &&
			      fk.fds[i].cdev == FK_CDEV_ATTACHED && fk.fds[i].pt != fk.fds[i].ioas;
	s.objects = fk_objects();
	for (i = 0; i < fk.groups[0].nr_devs; i++)
		s.pasids += fk.groups[0].devs[i].nr_att_pasids;
	if (w->d)
		s.book_pasids = w->d->nr_att_pasids;
	s.kernel_dirty = fk.dirty;
	if (w->c) {
		vfiox_dma_stats(w->c, &s.st);
		s.p2p = vfiox_p2p_list(w->c, NULL, 0);
		s.free_bytes = w->c->dma->space.free_bytes;
		s.vaddrs_invalid = w->c->dma->vaddrs_invalid;
		s.dirty = w->c->dma->dirty;
		s.iopf = w->c->dma->iopf;
	}
	return s;
}

static void teardown_world(struct world *w)
{
	if (w->pool)
		vfiox_dma_pool_free(w->pool);
	if (w->c)
		assert_true(fk_close_clean(w->c));
	assert_int_equal(fk_open_fds(), 0);
	assert_int_equal(fk.live_mmaps, 0);
}

/*
 * The fake counts (and fails) read and write only when they are named in
 * fk.fail_only: a request thread makes them whenever it is scheduled. An
 * op that works around one of them (a data fd's, on a device without a
 * request thread) has only that one counted while it runs, or stops. Not
 * written for other ops: their request thread reads fail_only as it polls.
 */
static void count_only(const struct op *op, bool on)
{
	if (op->optional && (!strcmp(op->optional, "read") ||
			     !strcmp(op->optional, "write")))
		fk.fail_only = on ? op->optional : NULL;
}

/* Seam calls @op makes from its starting state, and its clean result. */
static unsigned long count_calls(const struct op *op, struct world *clean)
{
	unsigned long before;

	fk_reset();
	fk_log_capture();
	memset(clean, 0, sizeof(*clean));
	assert_int_equal(op->setup(clean), 0);
	before = fk.calls;
	count_only(op, true);
	assert_int_equal(op->run(clean), 0);
	count_only(op, false);
	return fk.calls - before;
}

static void one_case(const struct op *op, unsigned long n, int err,
		     const struct world *clean)
{
	struct world w = { 0 };
	struct snapshot before, after;
	int ret, want;

	fk_reset();
	fk_log_capture();
	assert_int_equal(op->setup(&w), 0);
	before = snap(&w);
	fk.fail_at = fk.calls + n;
	fk.fail_errno = err;
	fk.injected = NULL;
	count_only(op, true);
	ret = op->run(&w);
	count_only(op, false);
	fk.fail_at = 0;
	if (!ret && op->optional && fk.injected && !strcmp(fk.injected, op->optional) &&
	    (!op->optional_errno || op->optional_errno == err)) {
		op->undo(&w);
		teardown_world(&w);
		return;
	}
	/* iommufd's IOPF enable reports a kernel call failing ENODEV as the
	 * IOMMU's refusal: -EOPNOTSUPP; but not the IOAS ranges' read after
	 * the HWPT is in place, whose errno is returned as it is. */
	want = op->run == run_iopf_enable_iommufd && err == ENODEV && fk.injected &&
	       !strcmp(fk.injected, "ioctl") &&
	       !fk_log_has("reading its usable IOVA ranges again") ? EOPNOTSUPP : err;
	if (ret != -want)
		fail_msg("%s: seam call %lu (%s) failing with %s returned %d", op->name,
			 n, fk.injected ? fk.injected : "?", strerror(err), ret);
	if (op->run == run_container_open || op->run == run_iommufd_open) {
		/* Nothing to leave usable: nothing may stay open. */
		assert_int_equal(fk_open_fds(), 0);
		return;
	}
	after = snap(&w);
	if (!same(&before, &after))
		fail_msg("%s: seam call %lu failing with %s changed fds %d->%d, mmaps %d->%d, P2P records %d->%d, kernel maps %d->%d, entries %u->%u, free IOVA %llu->%llu, attached groups 0x%x->0x%x, IOMMU %d->%d, invalid vaddrs %d->%d (books %d->%d), dirty tracking %d->%d (books %d->%d), devices off their IOAS %d->%d, iommufd objects %d->%d, PASIDs %d->%d (books %u->%u), IOPF %d->%d",
			 op->name, n, strerror(err), before.fds, after.fds,
			 before.mmaps, after.mmaps, before.p2p, after.p2p,
			 before.kernel_maps, after.kernel_maps,
			 before.st.entries_used, after.st.entries_used,
			 (unsigned long long)before.free_bytes,
			 (unsigned long long)after.free_bytes, before.attached, after.attached,
			 before.iommu_type, after.iommu_type, before.kernel_invalid,
			 after.kernel_invalid, before.vaddrs_invalid, after.vaddrs_invalid,
			 before.kernel_dirty, after.kernel_dirty, before.dirty, after.dirty,
			 before.off_ioas, after.off_ioas, before.objects, after.objects,
			 before.pasids, after.pasids, before.book_pasids, after.book_pasids,
			 before.iopf, after.iopf);
	/* Still usable: the same operation now succeeds, as it did clean. */
	if (op->run(&w))
		fail_msg("%s: unusable after seam call %lu failed with %s", op->name,
			 n, strerror(err));
	if (op->run == run_dma_map || op->run == run_p2p_map)
		assert_int_equal(w.iova, clean->iova);
	if (w.c && !strncmp(op->name, "iommufd_", 8) &&
	    vfiox_container_backend(w.c) != VFIOX_BACKEND_IOMMUFD)
		fail_msg("%s: ran on the legacy backend", op->name);
	op->undo(&w);
	teardown_world(&w);
}

static void every_seam_failure_of_every_operation(void **state)
{
	unsigned long calls, n, cases = 0;
	struct world clean;
	size_t i, e;

	(void)state;
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		calls = count_calls(&ops[i], &clean);
		ops[i].undo(&clean);
		teardown_world(&clean);
		if (!calls && ops[i].run != run_dma_unmap)
			fail_msg("%s makes no seam call: nothing to inject", ops[i].name);
		for (n = 1; n <= calls; n++)
			for (e = 0; e < sizeof(errnos) / sizeof(errnos[0]); e++, cases++)
				one_case(&ops[i], n, errnos[e], &clean);
	}
	printf("fault injection: %lu cases over %zu operations\n", cases,
	       sizeof(ops) / sizeof(ops[0]));
	assert_true(cases > 100);
}

static int group_setup(void **state)
{
	(void)state;
	buf = mmap(NULL, 4 << 20, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return buf == MAP_FAILED;
}

static int group_teardown(void **state)
{
	(void)state;
	return munmap(buf, 4 << 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_seam_failure_of_every_operation),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
