// SPDX-License-Identifier: MIT
/*
 * An open device's PCI config space: the command register and the two
 * capability lists. Every access is a vfiox_region_read()/write() of the
 * config region, so bounds, a released device and the syscall seam are
 * handled there, once.
 */
#define LOG_PREFIX "pci"
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include "internal.h"

/* Headers that fit between the standard header's end and 256 bytes. */
#define CAP_MAX_STD ((PCI_CFG_SPACE_SIZE - PCI_STD_HEADER_SIZEOF) / 4)
/* Extended headers that fit between 256 bytes and 4 KiB. */
#define CAP_MAX_EXT ((PCI_CFG_SPACE_EXP_SIZE - PCI_CFG_SPACE_SIZE) / 8)

static int cfg_read(struct vfiox_device *d, uint32_t off, void *buf, size_t len)
{
	return vfiox_region_read(d, VFIO_PCI_CONFIG_REGION_INDEX, off, buf, len);
}

VFIOX_API int vfiox_pci_command_update(struct vfiox_device *d, uint16_t set,
				       uint16_t clear)
{
	uint16_t le, old, cmd;
	int ret = cfg_read(d, PCI_COMMAND, &le, sizeof(le));

	if (ret)
		return ret;
	old = le16toh(le);
	cmd = (uint16_t)((old & ~clear) | set);
	if (cmd == old)
		return cmd;
	le = htole16(cmd);
	ret = vfiox_region_write(d, VFIO_PCI_CONFIG_REGION_INDEX, PCI_COMMAND,
				 &le, sizeof(le));
	return ret ? ret : cmd;
}

VFIOX_API int vfiox_pci_enable_dma(struct vfiox_device *d)
{
	int ret = vfiox_pci_command_update(d, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 0);

	return ret < 0 ? ret : 0;
}

static int not_found(struct vfiox_device *d, const char *kind, unsigned int id)
{
	pr_debug("%s: no %s capability 0x%x", vfiox_device_name(d), kind, id);
	return -ENOENT;
}

static int looped(struct vfiox_device *d, const char *kind)
{
	pr_err("%s: the %s capability list has more entries than fit: it loops",
	       vfiox_device_name(d), kind);
	return -EPROTO;
}

/* Where the walk starts: the list's head, or the entry after @after. */
static int std_first(struct vfiox_device *d, uint8_t after, uint8_t *pos)
{
	uint16_t status;
	int ret;

	if (after) {
		if (after < PCI_STD_HEADER_SIZEOF || after % 4) {
			pr_err("%s: 0x%x is no standard capability offset",
			       vfiox_device_name(d), after);
			return -EINVAL;
		}
		return cfg_read(d, after + PCI_CAP_LIST_NEXT, pos, 1);
	}
	ret = cfg_read(d, PCI_STATUS, &status, sizeof(status));
	if (ret)
		return ret;
	if (!(le16toh(status) & PCI_STATUS_CAP_LIST)) {
		*pos = 0;
		return 0;
	}
	return cfg_read(d, PCI_CAPABILITY_LIST, pos, 1);
}

VFIOX_API int vfiox_pci_find_cap(struct vfiox_device *d, uint8_t id,
				 uint8_t after)
{
	uint8_t pos, hdr[2];
	unsigned int i;
	int ret;

	if (!d)
		return -EINVAL;
	ret = std_first(d, after, &pos);
	if (ret)
		return ret;
	for (i = 0; i < CAP_MAX_STD; i++) {
		/* The low two bits are reserved; below 0x40 is the header. */
		pos &= (uint8_t)~3u;
		if (pos < PCI_STD_HEADER_SIZEOF)
			return not_found(d, "standard", id);
		ret = cfg_read(d, pos, hdr, sizeof(hdr));
		if (ret)
			return ret;
		if (hdr[PCI_CAP_LIST_ID] == 0xff)	/* no device answered */
			return not_found(d, "standard", id);
		if (hdr[PCI_CAP_LIST_ID] == id)
			return pos;
		pos = hdr[PCI_CAP_LIST_NEXT];
	}
	return looped(d, "standard");
}

/* PCIe and PCI-X 2.0 devices have 4 KiB; anything else has no list. */
static bool has_ext_space(const struct vfiox_device *d)
{
	struct vfiox_region_info ri = { .sz = sizeof(ri) };

	return !vfiox_device_region_info(d, VFIO_PCI_CONFIG_REGION_INDEX, &ri) &&
	       ri.size >= PCI_CFG_SPACE_EXP_SIZE;
}

static int ext_read(struct vfiox_device *d, uint16_t pos, uint32_t *hdr)
{
	uint32_t le;
	int ret = cfg_read(d, pos, &le, sizeof(le));

	*hdr = le32toh(le);
	return ret;
}

VFIOX_API int vfiox_pci_find_ext_cap(struct vfiox_device *d, uint16_t id,
				     uint16_t after)
{
	uint16_t pos = PCI_CFG_SPACE_SIZE;
	unsigned int i;
	uint32_t hdr;
	int ret;

	if (!d)
		return -EINVAL;
	if (after && (after < PCI_CFG_SPACE_SIZE || after % 4 ||
		      after >= PCI_CFG_SPACE_EXP_SIZE)) {
		pr_err("%s: 0x%x is no extended capability offset",
		       vfiox_device_name(d), after);
		return -EINVAL;
	}
	if (!has_ext_space(d))
		return not_found(d, "extended", id);
	if (after) {
		ret = ext_read(d, after, &hdr);
		if (ret)
			return ret;
		pos = (uint16_t)PCI_EXT_CAP_NEXT(hdr);
	}
	for (i = 0; i < CAP_MAX_EXT; i++) {
		if (pos < PCI_CFG_SPACE_SIZE)	/* 0 ends the list */
			return not_found(d, "extended", id);
		ret = ext_read(d, pos, &hdr);
		if (ret)
			return ret;
		/* An empty list is a zero header; no device answers ~0. */
		if (hdr == 0 || hdr == 0xffffffff)
			return not_found(d, "extended", id);
		if (PCI_EXT_CAP_ID(hdr) == id)
			return pos;
		pos = (uint16_t)PCI_EXT_CAP_NEXT(hdr);
	}
	return looped(d, "extended");
}
