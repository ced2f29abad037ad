// SPDX-License-Identifier: MIT
/* The default fake machine and the builders tests use to script it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "fake_kernel.h"

#define INFO_HDR sizeof(struct vfio_iommu_type1_info)

static uint32_t last_cap;

void fk_info_begin(uint64_t pgsizes)
{
	struct vfio_iommu_type1_info hdr = {
		.argsz = INFO_HDR,
		.flags = VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS,
		.iova_pgsizes = pgsizes,
	};

	memset(fk.iommu_info, 0, sizeof(fk.iommu_info));
	memcpy(fk.iommu_info, &hdr, sizeof(hdr));
	fk.iommu_info_len = INFO_HDR;
	last_cap = 0;
}

static void *add_cap(uint16_t id, uint32_t size)
{
	struct vfio_info_cap_header h = { .id = id, .version = 1 };
	uint32_t off = fk.iommu_info_len;
	struct vfio_iommu_type1_info hdr;

	size = (size + 7) & ~7u;
	memcpy(fk.iommu_info + off, &h, sizeof(h));
	if (last_cap) {
		fk_info_set_next(last_cap, off);
	} else {
		memcpy(&hdr, fk.iommu_info, sizeof(hdr));
		hdr.cap_offset = off;
		memcpy(fk.iommu_info, &hdr, sizeof(hdr));
	}
	last_cap = off;
	fk.iommu_info_len += size;
	return fk.iommu_info + off;
}

void fk_info_set_next(uint32_t cap_off, uint32_t next)
{
	struct vfio_info_cap_header h;

	memcpy(&h, fk.iommu_info + cap_off, sizeof(h));
	h.next = next;
	memcpy(fk.iommu_info + cap_off, &h, sizeof(h));
}

void fk_info_add_iova(const struct vfio_iova_range *r, uint32_t n)
{
	struct vfio_iommu_type1_info_cap_iova_range hdr;
	uint8_t *p = add_cap(VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE,
			     sizeof(hdr) + n * sizeof(*r));

	memcpy(&hdr, p, sizeof(hdr));
	hdr.nr_iovas = n;
	memcpy(p, &hdr, sizeof(hdr));
	memcpy(p + sizeof(hdr), r, n * sizeof(*r));
}

void fk_info_add_dma_avail(uint32_t avail)
{
	struct vfio_iommu_type1_info_dma_avail d;
	uint8_t *p = add_cap(VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL, sizeof(d));

	memcpy(&d, p, sizeof(d));
	d.avail = avail;
	fk.dma_avail = avail;
	memcpy(p, &d, sizeof(d));
}

void fk_info_add_resv(const struct vfiox_iommu_resv_region *r, uint32_t n,
		      uint32_t entry_size)
{
	struct vfiox_iommu_type1_info_cap_resv_regions hdr;
	uint8_t *p = add_cap(VFIOX_IOMMU_TYPE1_INFO_CAP_RESV_REGIONS,
			     sizeof(hdr) + n * entry_size);
	uint32_t i;

	memcpy(&hdr, p, sizeof(hdr));
	hdr.nr_regions = n;
	hdr.entry_size = entry_size;
	memcpy(p, &hdr, sizeof(hdr));
	for (i = 0; i < n; i++)
		memcpy(p + sizeof(hdr) + i * entry_size, &r[i], sizeof(*r));
}

void fk_info_add_migration(uint64_t pgsizes, uint64_t max_bitmap)
{
	struct vfio_iommu_type1_info_cap_migration m;
	uint8_t *p = add_cap(VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION, sizeof(m));

	memcpy(&m, p, sizeof(m));
	m.pgsize_bitmap = pgsizes;
	m.max_dirty_bitmap_size = max_bitmap;
	memcpy(p, &m, sizeof(m));
}

/* An emulated NVMe-like PCI function: BAR0, config space, five IRQ indexes. */
static void default_device(struct fk_device *d)
{
	struct fk_region *cfg = &d->regions[VFIO_PCI_CONFIG_REGION_INDEX];

	snprintf(d->name, sizeof(d->name), "0000:00:03.0");
	d->flags = VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET;
	d->nr_regions = VFIO_PCI_NUM_REGIONS;
	d->regions[0].flags = VFIO_REGION_INFO_FLAG_READ |
			      VFIO_REGION_INFO_FLAG_WRITE |
			      VFIO_REGION_INFO_FLAG_MMAP;
	d->regions[0].size = 0x4000;
	cfg->flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
	cfg->size = 256;
	cfg->data[0] = 0x36;	/* vendor 0x1b36, device 0x0010 */
	cfg->data[1] = 0x1b;
	cfg->data[2] = 0x10;
	/* Like vfio-pci for a device without VGA. */
	d->regions[VFIO_PCI_VGA_REGION_INDEX].info_errno = EINVAL;
	d->nr_irqs = VFIO_PCI_NUM_IRQS;
	d->irqs[VFIO_PCI_INTX_IRQ_INDEX] = (struct fk_irq){ 0,
		VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE |
		VFIO_IRQ_INFO_AUTOMASKED, 1 };
	d->irqs[VFIO_PCI_MSI_IRQ_INDEX] = (struct fk_irq){ 0,
		VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE, 1 };
	d->irqs[VFIO_PCI_MSIX_IRQ_INDEX] = (struct fk_irq){ 0,
		VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE, 65 };
	/* Like vfio-pci for a conventional PCI device: no ERR index. */
	d->irqs[VFIO_PCI_ERR_IRQ_INDEX] = (struct fk_irq){ EINVAL, 0, 0 };
	d->irqs[VFIO_PCI_REQ_IRQ_INDEX] = (struct fk_irq){ 0, VFIO_IRQ_INFO_EVENTFD, 1 };
}

void fk_reset(void)
{
	static const struct vfio_iova_range ranges[] = {
		{ 0, 0xfedfffffULL }, { 0xfef00000ULL, 0x7fffffffffULL },
	};
	struct fk_group *g;

	fk_free_bitmaps();
	memset(&fk, 0, sizeof(fk));
	fk.api_version = VFIO_API_VERSION;
	fk.dma_avail = 65535;
	fk.extensions = 1u << VFIO_TYPE1_IOMMU | 1u << VFIO_TYPE1v2_IOMMU;
	fk_info_begin(0x40201000ULL);
	fk_info_add_migration(0x1000, 256 << 20);
	fk_info_add_dma_avail(65535);
	fk_info_add_iova(ranges, 2);
	fk.nr_groups = 1;
	g = &fk.groups[0];
	g->nr = 7;
	g->viable = true;
	g->nr_devs = 1;
	default_device(&g->devs[0]);
	fk_add_link("/fake/sys/bus/pci/devices/0000:00:03.0/iommu_group",
		    "../../../kernel/iommu_groups/7");
	fk_add_link("/fake/sys/kernel/iommu_groups/7/devices/0000:00:03.0/driver",
		    "../../../../bus/pci/drivers/vfio-pci");
	fk_add_file("/fake/sys/kernel/iommu_groups/7/reserved_regions",
		    "0x00000000fee00000 0x00000000feefffff msi\n");
	fk_add_file("/fake/sys/class/vfio/7/dev", "240:7\n");
}

int fk_container_open(struct vfiox_container **out)
{
	struct vfiox_container_opts opts = {
		.sz = sizeof(opts),
		.dev_root = "/fake/dev/vfio",
		.sysfs_root = "/fake/sys",
		.allow_relaxable = fk.allow_relaxable,
	};

	return vfiox_container_open_sys(&opts, &fake_sys, out);
}

int fk_container_adopt(int fd, struct vfiox_container **out)
{
	struct vfiox_container_opts opts = {
		.sz = sizeof(opts),
		.dev_root = "/fake/dev/vfio",
		.sysfs_root = "/fake/sys",
	};

	return vfiox_container_adopt_sys(fd, &opts, &fake_sys, out);
}

int fk_open_group7(struct vfiox_container **c, struct vfiox_group **g)
{
	int ret = fk_container_open(c);

	if (!ret)
		ret = vfiox_group_open(*c, 7, g);
	return ret;
}

uint8_t *fk_aligned_memory(size_t size)
{
	const uintptr_t align = 2u << 20;
	void *p = mmap(NULL, size + align, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	return (uint8_t *)(((uintptr_t)p + align - 1) & ~(align - 1));
}

int fk_fresh_group7(struct vfiox_container **c, struct vfiox_group **g)
{
	fk_reset();
	fk_log_capture();
	return fk_open_group7(c, g);
}

bool fk_close_clean(struct vfiox_container *c)
{
	vfiox_container_close(c);
	return fk_open_fds() == 0 && fk.live_mmaps == 0;
}


static char log_buf[16384];
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;	/* threads log too */

/* One line per message: its level as a digit, a space, the message. */
static void capture(enum vfiox_log_level level, const char *msg, void *user)
{
	size_t used;

	(void)user;
	pthread_mutex_lock(&log_lock);
	used = strlen(log_buf);
	snprintf(log_buf + used, sizeof(log_buf) - used, "%d %s\n", (int)level, msg);
	pthread_mutex_unlock(&log_lock);
}

void fk_log_capture(void)
{
	pthread_mutex_lock(&log_lock);
	log_buf[0] = '\0';
	pthread_mutex_unlock(&log_lock);
	vfiox_set_log(capture, VFIOX_LOG_DEBUG, NULL);
}

bool fk_log_has(const char *needle)
{
	bool has;

	pthread_mutex_lock(&log_lock);
	has = strstr(log_buf, needle) != NULL;
	pthread_mutex_unlock(&log_lock);
	return has;
}

int fk_log_level(const char *needle)
{
	const char *hit;
	int level = -1;

	pthread_mutex_lock(&log_lock);
	hit = strstr(log_buf, needle);
	if (hit) {
		while (hit > log_buf && hit[-1] != '\n')
			hit--;
		level = *hit - '0';
	}
	pthread_mutex_unlock(&log_lock);
	return level;
}

bool fk_released_fully(struct vfiox_device *d)
{
	struct timespec ms = { 0, 1000000 };
	int i;

	for (i = 0; i < 10000; i++) {
		if (vfiox_device_released(d) == 1 && !fk_is_device_fd(d->fd))
			return true;
		nanosleep(&ms, NULL);
	}
	return false;
}
