// SPDX-License-Identifier: MIT
#define LOG_PREFIX "pci"
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vfiox-config.h"
#include "internal.h"

#if VFIOX_HAVE_LIBPCI
#include <pci/pci.h>
#endif

/* Longest valid form is "dddd:bb:dd.f"; anything longer is rejected early. */
#define ADDR_MAX_LEN 12

VFIOX_API int vfiox_pci_parse_addr(const char *str, struct vfiox_pci_addr *addr)
{
	unsigned int dom = 0, bus, dev, fn;
	size_t len;
	int used = 0;

	if (!str || !addr)
		return -EINVAL;
	len = strnlen(str, ADDR_MAX_LEN + 1);
	if (len > ADDR_MAX_LEN || strspn(str, "0123456789abcdefABCDEF:.") != len)
		goto bad;
	if (sscanf(str, "%4x:%2x:%2x.%1x%n", &dom, &bus, &dev, &fn, &used) != 4 ||
	    (size_t)used != len) {
		dom = 0;
		used = 0;
		if (sscanf(str, "%2x:%2x.%1x%n", &bus, &dev, &fn, &used) != 3 ||
		    (size_t)used != len)
			goto bad;
	}
	if (dev > 0x1f || fn > 7)
		goto bad;
	addr->domain = dom;
	addr->bus = (uint8_t)bus;
	addr->dev = (uint8_t)dev;
	addr->fn = (uint8_t)fn;
	return 0;
bad:
	pr_err("'%.*s%s' is not a PCI address (DDDD:BB:DD.F)", ADDR_MAX_LEN + 4,
	       str, len > ADDR_MAX_LEN ? "..." : "");
	return -EINVAL;
}

VFIOX_API int vfiox_pci_format_addr(const struct vfiox_pci_addr *addr,
				    char *buf, size_t len)
{
	if (!addr || !buf || len < 13)
		return -EINVAL;
	snprintf(buf, len, "%04x:%02x:%02x.%x", addr->domain, addr->bus,
		 addr->dev, addr->fn);
	return 0;
}

#if VFIOX_HAVE_LIBPCI
static void pci_quiet(char *msg, ...)
{
	(void)msg;
}

#endif

VFIOX_API int vfiox_pci_id_name(uint16_t vendor, uint16_t device, char *buf,
				size_t len)
{
#if VFIOX_HAVE_LIBPCI
	struct pci_access *pa;

	if (!buf || !len)
		return -EINVAL;
	pa = pci_alloc();
	if (!pa)
		return -ENOMEM;
	/*
	 * No pci_init(): names need only the ID database, and pci_init()
	 * exit()s on machines without PCI access. Without it the callbacks
	 * are NULL, and the hwdb fallback for unknown IDs calls debug().
	 */
	pa->warning = pci_quiet;
	pa->debug = pci_quiet;
	pci_lookup_name(pa, buf, (int)len, PCI_LOOKUP_VENDOR | PCI_LOOKUP_DEVICE,
			vendor, device);
	pci_cleanup(pa);
	return 0;
#else
	(void)vendor;
	(void)device;
	if (buf && len)
		buf[0] = '\0';
	pr_err("built without libpci: no PCI ID names");
	return -ENOTSUP;
#endif
}
