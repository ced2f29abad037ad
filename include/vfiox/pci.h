/* SPDX-License-Identifier: MIT */
#ifndef VFIOX_PCI_H
#define VFIOX_PCI_H

#include <stddef.h>
#include <stdint.h>
#include <vfiox/log.h>

#ifdef __cplusplus
extern "C" {
#endif

/** struct vfiox_pci_addr - a PCI address: domain:bus:device.function. */
struct vfiox_pci_addr {
	uint32_t domain;
	uint8_t bus;
	uint8_t dev;
	uint8_t fn;
};

/**
 * vfiox_pci_parse_addr() - parse "DDDD:BB:DD.F" or "BB:DD.F" (hex).
 * Return: 0, or -EINVAL (with a log line) for anything else, including
 * trailing characters, device > 0x1f or function > 7.
 */
VFIOX_API int vfiox_pci_parse_addr(const char *str,
				   struct vfiox_pci_addr *addr);

/**
 * vfiox_pci_format_addr() - "DDDD:BB:DD.F" into @buf (at least 13 bytes).
 * Return: 0, or -EINVAL if @len is too small.
 */
VFIOX_API int vfiox_pci_format_addr(const struct vfiox_pci_addr *addr,
				    char *buf, size_t len);

/**
 * vfiox_pci_id_name() - vendor and device names from the PCI ID database.
 * @buf: receives "Vendor Device" (or the hex IDs if unknown)
 * Return: 0; -ENOTSUP if libvfiox was built without libpci.
 */
VFIOX_API int vfiox_pci_id_name(uint16_t vendor, uint16_t device, char *buf,
				size_t len);

#ifdef __cplusplus
}
#endif
#endif
