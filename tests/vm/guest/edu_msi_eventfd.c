// SPDX-License-Identifier: MIT
/* edu raises its interrupt; the MSI eventfd set up by libvfiox fires. */
#include <poll.h>
#include <unistd.h>
#include <linux/pci_regs.h>

#include "vmtest.h"

#define EDU_IRQ_RAISE 0x60
#define EDU_IRQ_ACK 0x64

static int wait_fd(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint64_t n = 0;

	if (poll(&pfd, 1, ms) != 1)
		return 0;
	if (read(fd, &n, sizeof(n)) != sizeof(n))
		return 0;
	return (int)n;
}

int main(void)
{
	struct vfiox_container *c;
	struct vfiox_device *d;
	struct vfiox_group *g;
	volatile uint32_t *bar;
	uint16_t cmd = 0;
	void *p = NULL;
	int efd = -1;

	vt_init();
	CHECK_RET(vt_open(vt_env("VFIOX_EDU"), &c, &g, &d), 0);
	if (vt_failures)
		return vt_done("edu_msi_eventfd");
	/* MSI is a memory write by the device: it needs bus mastering. */
	CHECK_RET(vfiox_pci_enable_dma(d), 0);
	CHECK_RET(vfiox_region_read(d, VFIO_PCI_CONFIG_REGION_INDEX, PCI_COMMAND, &cmd, 2), 0);
	CHECK((cmd & (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER)) ==
	      (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER),
	      "command register 0x%04x after vfiox_pci_enable_dma()", cmd);
	CHECK_RET(vfiox_irq_enable(d, VFIO_PCI_MSI_IRQ_INDEX, 0, 1, &efd), 0);
	CHECK_RET(vfiox_region_mmap(d, VFIO_PCI_BAR0_REGION_INDEX, &p), 0);
	if (vt_failures || !p)
		return vt_done("edu_msi_eventfd");
	bar = p;
	CHECK(wait_fd(efd, 0) == 0, "eventfd fired before the device raised it");
	bar[EDU_IRQ_RAISE / 4] = 1;
	CHECK(wait_fd(efd, 5000) >= 1, "no MSI within 5 s");
	bar[EDU_IRQ_ACK / 4] = 1;
	/* A second interrupt proves the vector stays armed. */
	bar[EDU_IRQ_RAISE / 4] = 2;
	CHECK(wait_fd(efd, 5000) >= 1, "no second MSI within 5 s");
	bar[EDU_IRQ_ACK / 4] = 2;
	CHECK_RET(vfiox_irq_disable(d, VFIO_PCI_MSI_IRQ_INDEX), 0);
	vfiox_container_close(c);
	return vt_done("edu_msi_eventfd");
}
