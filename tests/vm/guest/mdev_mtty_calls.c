// SPDX-License-Identifier: MIT
/*
 * An mdev opened by UUID takes every libvfiox call that applies to it: the
 * kernel's mtty sample (two 16550 ports, no mmap-able region, INTx and MSI,
 * no function reset) as the device; the calls it cannot take are refused
 * with the reason. On a kernel without mtty the test says it does not
 * apply (vt_mtty_present()).
 */
#include <poll.h>
#include <linux/pci_regs.h>

#include "vmtest.h"

#define MTTY2 "/sys/class/mdev_bus/mtty/mdev_supported_types/mtty-2"
#define UUID "6c1f0e2a-8d4b-4f7a-b3c2-9e8d7f6a5b4c"
#define UART_IER 1
#define IER_RDI 0x01		/* interrupt when a byte is received */
#define UART_FCR 2
#define FCR_FIFO 0x01		/* FIFO on; mtty's trigger level is 1 from then on */

static int fired(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint64_t n = 0;

	return poll(&p, 1, ms) == 1 && read(fd, &n, sizeof(n)) == sizeof(n) && n;
}

static void uart_loopback(struct vfiox_device *d, uint32_t bar, char c)
{
	char got = 0;

	CHECK_RET(vfiox_region_write(d, bar, 0, &c, 1), 0);
	CHECK_RET(vfiox_region_read(d, bar, 0, &got, 1), 0);
	CHECK(got == c, "BAR%u port gave back 0x%02x for 0x%02x", bar, got, c);
}

static void calls_on(struct vfiox_container *c, struct vfiox_device *d)
{
	struct vfiox_iommu_info ii = { .sz = sizeof(ii) };
	struct vfiox_device_info di = { .sz = sizeof(di) };
	struct vfiox_region_info ri = { .sz = sizeof(ri) };
	struct vfiox_irq_info qi = { .sz = sizeof(qi) };
	static uint8_t buf[8192] __attribute__((aligned(4096)));
	uint16_t vendor = 0, device = 0;
	uint8_t ier = IER_RDI, fcr = FCR_FIFO;
	enum vfiox_mig_state st;
	uint64_t iova = 0, at = 0;
	void *map = NULL;
	int efd = -1;

	CHECK_RET(vfiox_container_iommu_info(c, &ii), 0);
	printf("  mdev-only container: IOMMU type %d, %u IOVA ranges\n",
	       ii.iommu_type, ii.nr_iova_ranges);
	CHECK_RET(vfiox_device_info(d, &di), 0);
	CHECK(di.flags & VFIO_DEVICE_FLAGS_PCI, "flags 0x%x", di.flags);
	CHECK_RET(vfiox_region_read(d, VFIO_PCI_CONFIG_REGION_INDEX, PCI_VENDOR_ID, &vendor, 2), 0);
	CHECK_RET(vfiox_region_read(d, VFIO_PCI_CONFIG_REGION_INDEX, PCI_DEVICE_ID, &device, 2), 0);
	CHECK(vendor == 0x4348 && device == 0x3253, "IDs %04x:%04x", vendor, device);
	CHECK_RET(vfiox_device_region_info(d, VFIO_PCI_BAR1_REGION_INDEX, &ri), 0);
	CHECK(ri.size == 8, "BAR1 of a two-port mtty: %llu bytes", (unsigned long long)ri.size);
	uart_loopback(d, VFIO_PCI_BAR0_REGION_INDEX, 'a');
	uart_loopback(d, VFIO_PCI_BAR1_REGION_INDEX, 'b');
	/* What mtty does not have: refused with the reason, before the kernel. */
	vt_log_clear();
	CHECK_RET(vfiox_region_mmap(d, VFIO_PCI_BAR0_REGION_INDEX, &map), -ENOTSUP);
	CHECK_RET(vfiox_device_reset(d), -ENOTSUP);
	CHECK(vt_log_has("does not advertise reset"), "no reason for the reset");
	CHECK_RET(vfiox_mig_reset(d), 0);
	CHECK_RET(vfiox_mig_get_state(d, &st), 0);
	CHECK(st == VFIOX_MIG_RUNNING, "state %s", vfiox_mig_state_name(st));
	/* MSI: a received byte with IER_RDI set signals the eventfd. */
	CHECK_RET(vfiox_device_irq_info(d, VFIO_PCI_MSI_IRQ_INDEX, &qi), 0);
	CHECK(qi.count == 1 && (qi.flags & VFIO_IRQ_INFO_EVENTFD), "MSI info");
	CHECK_RET(vfiox_irq_enable(d, VFIO_PCI_MSI_IRQ_INDEX, 0, 1, &efd), 0);
	/* As a guest's 8250 driver sets the port up (mtty has no trigger
	 * level before an FCR write). */
	CHECK_RET(vfiox_region_write(d, VFIO_PCI_BAR0_REGION_INDEX, UART_FCR, &fcr, 1), 0);
	CHECK_RET(vfiox_region_write(d, VFIO_PCI_BAR0_REGION_INDEX, UART_IER, &ier, 1), 0);
	CHECK(!fired(efd, 0), "MSI before any byte");
	uart_loopback(d, VFIO_PCI_BAR0_REGION_INDEX, 'c');
	CHECK(fired(efd, 2000), "no MSI for a received byte");
	CHECK_RET(vfiox_irq_disable(d, VFIO_PCI_MSI_IRQ_INDEX), 0);
	/* DMA maps: type1 keeps them for the parent driver to pin. */
	CHECK_RET(vfiox_dma_map(c, buf, sizeof(buf), NULL, &iova), 0);
	CHECK_RET(vfiox_dma_translate(c, buf + 4096, &at), 0);
	CHECK(at == iova + 4096, "translate: 0x%llx for 0x%llx + 4096",
	      (unsigned long long)at, (unsigned long long)iova);
	CHECK_RET(vfiox_dma_unmap_iova(c, iova, sizeof(buf)), 0);
}

int main(void)
{
	struct vfiox_container *c = NULL;
	struct vfiox_device *d = NULL;
	struct vfiox_group *g = NULL;

	vt_init();
	if (!vt_mtty_present())
		return vt_done("mdev_mtty_calls");
	vt_write_file(MTTY2 "/create", UUID);
	CHECK_RET(vfiox_container_open(NULL, &c), 0);
	if (c)
		CHECK_RET(vfiox_group_open_mdev(c, UUID, &g), 0);
	if (g)
		CHECK_RET(vfiox_device_open(g, UUID, NULL, &d), 0);
	if (d) {
		printf("  mdev %s: group %d\n", UUID, vfiox_group_number(g));
		calls_on(c, d);
	}
	vfiox_container_close(c);
	vt_write_file("/sys/bus/mdev/devices/" UUID "/remove", "1");
	return vt_done("mdev_mtty_calls");
}
