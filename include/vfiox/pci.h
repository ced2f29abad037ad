/* SPDX-License-Identifier: MIT */
#ifndef VFIOX_PCI_H
#define VFIOX_PCI_H

#include <vfiox/version.h>

#include <stddef.h>
#include <stdint.h>
#include <vfiox/log.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * struct vfiox_pci_addr - a PCI address: domain:bus:device.function.
 * @domain: the PCI domain (segment)
 * @bus: the bus number
 * @dev: the device number
 * @fn: the function number
 *
 * A value filled whole by vfiox_pci_parse_addr(): its layout is frozen and
 * it never grows.
 */
struct vfiox_pci_addr {
	uint32_t domain;
	uint8_t bus;
	uint8_t dev;
	uint8_t fn;
};

/**
 * vfiox_pci_parse_addr() - parse "DDDD:BB:DD.F" or "BB:DD.F" (hex).
 * @str: the text
 * @addr: receives the address
 * Return: 0, or -EINVAL (with a log line) for anything else, including
 * trailing characters, device > 0x1f or function > 7.
 */
VFIOX_API int vfiox_pci_parse_addr(const char *str,
				   struct vfiox_pci_addr *addr);

/**
 * vfiox_pci_format_addr() - "DDDD:BB:DD.F" into @buf (at least 13 bytes).
 * @addr: the address
 * @buf: receives the text
 * @len: size of @buf
 * Return: 0, or -EINVAL if @len is too small.
 */
VFIOX_API int vfiox_pci_format_addr(const struct vfiox_pci_addr *addr,
				    char *buf, size_t len);

/**
 * vfiox_pci_id_name() - vendor and device names from the PCI ID database.
 * @vendor: PCI vendor ID
 * @device: PCI device ID
 * @buf: receives "Vendor Device" (or the hex IDs if unknown)
 * @len: size of @buf
 * Return: 0; -ENOTSUP if libvfiox was built without libpci.
 */
VFIOX_API int vfiox_pci_id_name(uint16_t vendor, uint16_t device, char *buf,
				size_t len);

/* Capabilities of a device, read from its config space (struct vfiox_pci_dev). */
#define VFIOX_PCI_CAP_PASID	(1u << 0)
#define VFIOX_PCI_CAP_ATS	(1u << 1)
#define VFIOX_PCI_CAP_PRI	(1u << 2)
#define VFIOX_PCI_CAP_SRIOV	(1u << 3)

/**
 * struct vfiox_pci_dev - one PCI device as libpci and sysfs see it.
 * @addr: its address; @bdf the same as "DDDD:BB:DD.F"
 * @vendor, @device, @subsys_vendor, @subsys_device: IDs
 * @class_code: base class << 16 | subclass << 8 | programming interface
 *              (named class_code, not class, so that C++ can include this)
 * @name: "Vendor Device" from the PCI ID database (hex IDs if unknown)
 * @driver: the bound driver, "" when none
 * @iommu_group: its IOMMU group, -1 when it has none
 * @caps: VFIOX_PCI_CAP_* found in its (extended) capability list
 *
 * First published size: up to @caps. vfiox_pci_find_sized() fills arrays of
 * it with the caller's element size (see vfiox.h).
 */
struct vfiox_pci_dev {
	struct vfiox_pci_addr addr;
	char bdf[16];
	uint16_t vendor, device, subsys_vendor, subsys_device;
	uint32_t class_code;
	char name[128];
	char driver[64];
	int iommu_group;
	uint32_t caps;
};

/**
 * struct vfiox_pci_match - which devices vfiox_pci_find() returns; every
 * criterion given must hold.
 * @sz: sizeof(struct vfiox_pci_match); options rules in vfiox.h
 * @addr: exactly this address, or NULL
 * @id: "vvvv:dddd" in hex, either half may be "*", or NULL
 * @class_code, @class_mask: (device class & @class_mask) == @class_code;
 *                          mask 0: any
 * @sysfs_root: sysfs mount point; NULL: /sys
 */
struct vfiox_pci_match {
	size_t sz;
	const char *addr;
	const char *id;
	uint32_t class_code, class_mask;
	const char *sysfs_root;
};

/**
 * vfiox_pci_parse_id() - parse "vvvv:dddd" (hex, 1-4 digits each); "*"
 * for either half stores -1, which matches any ID.
 * @str: the text
 * @vendor: receives the vendor ID, or -1 for any
 * @device: receives the device ID, or -1 for any
 * Return: 0, or -EINVAL with a log line.
 */
VFIOX_API int vfiox_pci_parse_id(const char *str, int32_t *vendor,
				 int32_t *device);

/**
 * vfiox_pci_find_sized() - scan the PCI devices through libpci.
 * @m: criteria, or NULL for every device
 * @out: array for up to @max devices of @elem_sz bytes, in bus order (NULL
 *       when @max is 0)
 * @max: entries in @out
 * @elem_sz: sizeof(struct vfiox_pci_dev) as the caller was built
 * Return: the number of matching devices (may exceed @max); -EINVAL for bad
 * criteria or an @elem_sz below the first published size; -E2BIG for
 * criteria this libvfiox does not know; -ENODEV without PCI sysfs; -ENOTSUP
 * without libpci.
 */
VFIOX_API int vfiox_pci_find_sized(const struct vfiox_pci_match *m, void *out,
				   size_t max, size_t elem_sz);

/* As vfiox_pci_find_sized(), with this header's sizeof. */
static inline int vfiox_pci_find(const struct vfiox_pci_match *m,
				 struct vfiox_pci_dev *out, size_t max)
{
	return vfiox_pci_find_sized(m, out, max, sizeof(*out));
}

/*
 * The config space of a device opened with vfiox_device_open(), read and
 * written through its config region (vfiox_region_read()/write()), so their
 * errors are these calls' errors too: -ENODEV once the device was given
 * back, the kernel's errno for a failed access. Offsets and bits are those
 * of <linux/pci_regs.h> (PCI_COMMAND_MEMORY, PCI_CAP_ID_MSIX, ...).
 *
 * Threads (docs/threads.md, device row): vfiox_pci_find_cap() and
 * vfiox_pci_find_ext_cap() only read and may run from several threads at
 * once; vfiox_pci_command_update() and vfiox_pci_enable_dma() read, change
 * and write the command register with no lock, so they are one thread at a
 * time per device (two at once lose one's bits).
 */
struct vfiox_device;

/**
 * vfiox_pci_command_update() - change bits of the PCI command register.
 * @d: the device
 * @set: bits to set (PCI_COMMAND_*)
 * @clear: bits to clear; cleared before @set is applied
 *
 * The register is read, changed and written back only if it changed.
 * Return: the new command register value (0 to 0xffff), or a negative errno.
 */
VFIOX_API int vfiox_pci_command_update(struct vfiox_device *d, uint16_t set,
				       uint16_t clear);

/**
 * vfiox_pci_enable_dma() - let the device answer on its memory BARs and
 * master the bus: set Memory Space Enable and Bus Master Enable.
 * @d: the device
 *
 * Every driver needs this before its device can DMA or signal MSI/MSI-X,
 * which are memory writes; other bits of the register are kept.
 * Return: 0, or a negative errno.
 */
VFIOX_API int vfiox_pci_enable_dma(struct vfiox_device *d);

/**
 * vfiox_pci_find_cap() - find a capability in the standard list.
 * @d: the device
 * @id: the capability ID (PCI_CAP_ID_*)
 * @after: 0 to search from the list's head, or the offset of a capability
 *         found before, to find the next one with @id
 *
 * The walk is bounded: a list that loops is reported, not followed forever.
 * Return: the capability's offset in config space (positive); -ENOENT when
 * the device has none (more); -EINVAL for a bad @after; -EPROTO for a list
 * that loops; the errno of a failed read.
 */
VFIOX_API int vfiox_pci_find_cap(struct vfiox_device *d, uint8_t id,
				 uint8_t after);

/**
 * vfiox_pci_find_ext_cap() - find a capability in the extended list (PCI
 * Express config space, from offset 0x100).
 * @d: the device
 * @id: the extended capability ID (PCI_EXT_CAP_ID_*)
 * @after: 0 to search from the list's head, or the offset of a capability
 *         found before, to find the next one with @id
 *
 * A device whose config region is smaller than 4 KiB has no extended list.
 * Return: as vfiox_pci_find_cap().
 */
VFIOX_API int vfiox_pci_find_ext_cap(struct vfiox_device *d, uint16_t id,
				     uint16_t after);

#ifdef __cplusplus
}
#endif
#endif
