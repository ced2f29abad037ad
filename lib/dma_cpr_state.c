// SPDX-License-Identifier: MIT
/*
 * The bytes of a live update (CPR) state (layout in dma_cpr_state.h). A
 * state crosses a trust boundary of sorts: it comes from another process,
 * possibly another libvfiox version, through the caller's hands. So every
 * field is read byte by byte (a state may sit at any address, as inside a
 * VMM's migration stream), little-endian whatever the host, and checked
 * before the DMA engine sees it: a state that is not sound is -EINVAL, one
 * of a format this build does not know is -EPROTO, both with a log line.
 */
#define LOG_PREFIX "dma"
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "dma_cpr_state.h"
#include "internal.h"

#define CPR_MAGIC "VFIOXCPR"
#define CPR_BYTE_ORDER 0x01020304u
#define OFF_VERSION 8
#define OFF_BYTE_ORDER 12
#define OFF_HDR_SIZE 16
#define OFF_REC_SIZE 20
#define OFF_FLAGS 24
#define OFF_HINTS 28
#define OFF_COUNT 32
#define OFF_CHECKSUM 36
#define OFF_PAGE 40
#define OFF_IOMMU_TYPE 48
#define OFF_BACKEND 52
#define OFF_KERNEL_AVAIL 56
#define OFF_RESERVED 60
#define CPR_FLAGS_KNOWN 0u	/* must-understand flags of version 1: none */
#define CPR_REC_FLAGS_KNOWN 0u
#define CPR_SIZE_MAX 4096	/* of a header or record a later version writes */

static void put32(unsigned char *p, uint32_t v)
{
	int i;

	for (i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void put64(unsigned char *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t get64(const unsigned char *p)
{
	return get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* CRC-32 (the reflected 0xedb88320 polynomial) of @len bytes, the four at
 * OFF_CHECKSUM read as zero. */
static uint32_t checksum(const unsigned char *p, size_t len)
{
	uint32_t table[256], crc = UINT32_MAX;
	size_t i;
	int k;

	for (i = 0; i < 256; i++) {
		uint32_t c = (uint32_t)i;

		for (k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
		table[i] = c;
	}
	for (i = 0; i < len; i++) {
		unsigned char b = i >= OFF_CHECKSUM && i < OFF_CHECKSUM + 4 ? 0 : p[i];

		crc = table[(crc ^ b) & 0xff] ^ (crc >> 8);
	}
	return ~crc;
}

size_t vfiox_cpr_state_size(uint32_t count)
{
	uint64_t size = CPR_STATE_HDR_SIZE + (uint64_t)count * CPR_STATE_REC_SIZE;

	return size > INT_MAX ? 0 : (size_t)size;
}

void vfiox_cpr_state_put_header(void *buf, const struct cpr_state *s)
{
	unsigned char *p = buf;

	memset(p, 0, CPR_STATE_HDR_SIZE);
	memcpy(p, CPR_MAGIC, 8);
	put32(p + OFF_VERSION, CPR_STATE_VERSION);
	put32(p + OFF_BYTE_ORDER, CPR_BYTE_ORDER);
	put32(p + OFF_HDR_SIZE, CPR_STATE_HDR_SIZE);
	put32(p + OFF_REC_SIZE, CPR_STATE_REC_SIZE);
	put32(p + OFF_FLAGS, s->flags);
	put32(p + OFF_HINTS, s->hints);
	put32(p + OFF_COUNT, s->count);
	put64(p + OFF_PAGE, s->page);
	put32(p + OFF_IOMMU_TYPE, s->iommu_type);
	put32(p + OFF_BACKEND, s->backend);
	put32(p + OFF_KERNEL_AVAIL, s->kernel_avail);
}

void vfiox_cpr_state_put_record(void *buf, uint32_t i, const struct cpr_record *r)
{
	unsigned char *p = (unsigned char *)buf + CPR_STATE_HDR_SIZE +
			   (size_t)i * CPR_STATE_REC_SIZE;

	memset(p, 0, CPR_STATE_REC_SIZE);
	put64(p, r->vaddr);
	put64(p + 8, r->iova);
	put64(p + 16, r->len);
}

void vfiox_cpr_state_seal(void *buf, size_t size)
{
	if (size >= CPR_STATE_HDR_SIZE)
		put32((unsigned char *)buf + OFF_CHECKSUM, checksum(buf, size));
}

void vfiox_cpr_state_record(const struct cpr_state *s, uint32_t i,
			    struct cpr_record *r)
{
	const unsigned char *p = s->records + (size_t)i * s->rec_size;

	r->vaddr = get64(p);
	r->iova = get64(p + 8);
	r->len = get64(p + 16);
}

/* Are the @len bytes at @p all zero? What a later format added must be. */
static bool all_zero(const unsigned char *p, size_t len)
{
	while (len--)
		if (*p++)
			return false;
	return true;
}

/* Magic, version and byte order: is it a state, and one we can read? */
static int check_identity(const unsigned char *p, size_t size)
{
	uint32_t version, order;

	if (size < CPR_STATE_HDR_SIZE || memcmp(p, CPR_MAGIC, 8)) {
		pr_err("restore: %zu bytes are not a state saved by vfiox_dma_save() (no header)",
		       size);
		return -EINVAL;
	}
	version = get32(p + OFF_VERSION);
	if (version != CPR_STATE_VERSION) {
		pr_err("restore: the state is of format version %u; this libvfiox reads version %u",
		       version, CPR_STATE_VERSION);
		return -EPROTO;
	}
	order = get32(p + OFF_BYTE_ORDER);
	if (order != CPR_BYTE_ORDER) {
		pr_err("restore: the state's byte order marker is 0x%08x, not 0x%08x: not written by vfiox_dma_save()",
		       order, CPR_BYTE_ORDER);
		return -EINVAL;
	}
	return 0;
}

/* The sizes and the checksum: are these bytes what the writer wrote? */
static int check_frame(const unsigned char *p, size_t size, struct cpr_state *s)
{
	uint32_t hdr = get32(p + OFF_HDR_SIZE), rec = get32(p + OFF_REC_SIZE);
	uint32_t sum = get32(p + OFF_CHECKSUM);

	s->count = get32(p + OFF_COUNT);
	if (hdr < CPR_STATE_HDR_SIZE || rec < CPR_STATE_REC_SIZE ||
	    hdr > CPR_SIZE_MAX || rec > CPR_SIZE_MAX || hdr % 8 || rec % 8 ||
	    s->count > INT_MAX ||
	    size != hdr + (uint64_t)s->count * rec) {
		pr_err("restore: a state of %zu bytes cannot hold %u records of %u bytes after a %u-byte header",
		       size, s->count, rec, hdr);
		return -EINVAL;
	}
	if (checksum(p, size) != sum) {
		pr_err("restore: the state's checksum 0x%08x is not that of its %zu bytes (0x%08x): it is corrupt",
		       sum, size, checksum(p, size));
		return -EINVAL;
	}
	if (!all_zero(p + CPR_STATE_HDR_SIZE, hdr - CPR_STATE_HDR_SIZE) ||
	    get32(p + OFF_RESERVED)) {
		pr_err("restore: the state's header has fields this libvfiox does not know (%u bytes)",
		       hdr);
		return -EPROTO;
	}
	s->records = p + hdr;
	s->rec_size = rec;
	return 0;
}

/* The header's fields, from a sound frame. */
static int check_header(const unsigned char *p, struct cpr_state *s)
{
	s->version = get32(p + OFF_VERSION);
	s->flags = get32(p + OFF_FLAGS);
	s->hints = get32(p + OFF_HINTS);
	s->page = get64(p + OFF_PAGE);
	s->iommu_type = get32(p + OFF_IOMMU_TYPE);
	s->backend = get32(p + OFF_BACKEND);
	s->kernel_avail = get32(p + OFF_KERNEL_AVAIL);
	if (s->flags & ~CPR_FLAGS_KNOWN) {
		pr_err("restore: the state has flags 0x%x this libvfiox does not know",
		       s->flags & ~CPR_FLAGS_KNOWN);
		return -EPROTO;
	}
	if (s->backend != CPR_BACKEND_TYPE1) {
		pr_err("restore: the state is of IOMMU backend %u; this libvfiox hands over type1 containers (%u) only",
		       s->backend, CPR_BACKEND_TYPE1);
		return -EPROTO;
	}
	if (s->page < 4096 || s->page > (1ULL << 30) || s->page & (s->page - 1)) {
		pr_err("restore: the state's page size 0x%llx is not one of an IOMMU",
		       (unsigned long long)s->page);
		return -EINVAL;
	}
	return 0;
}

/* Record @i on its own: known flags, not empty, aligned, no wrap. */
static int check_record(const struct cpr_state *s, uint32_t i)
{
	const unsigned char *p = s->records + (size_t)i * s->rec_size;
	struct cpr_record r;

	vfiox_cpr_state_record(s, i, &r);
	if (get32(p + 24) & ~CPR_REC_FLAGS_KNOWN || get32(p + 28) ||
	    !all_zero(p + CPR_STATE_REC_SIZE, s->rec_size - CPR_STATE_REC_SIZE)) {
		pr_err("restore: record %u of the state has flags or fields this libvfiox does not know",
		       i);
		return -EPROTO;
	}
	if (!r.len || (r.vaddr | r.iova | r.len) & (s->page - 1) ||
	    r.iova + r.len - 1 < r.iova || r.vaddr + r.len - 1 < r.vaddr) {
		pr_err("restore: record %u of the state (vaddr 0x%llx, IOVA 0x%llx, +0x%llx) is empty, not aligned to 0x%llx or wraps",
		       i, (unsigned long long)r.vaddr, (unsigned long long)r.iova,
		       (unsigned long long)r.len, (unsigned long long)s->page);
		return -EINVAL;
	}
	return 0;
}

static int by_iova(const void *a, const void *b)
{
	const struct cpr_record *x = a, *y = b;

	return x->iova < y->iova ? -1 : x->iova > y->iova;
}

/* No two records' IOVA ranges overlap (vaddrs may: aliases). */
static int check_overlaps(const struct cpr_state *s)
{
	struct cpr_record *r = malloc(((size_t)s->count + 1) * sizeof(*r));
	uint32_t i;
	int ret = 0;

	if (!r) {
		pr_err("restore: no memory to check %u records", s->count);
		return -ENOMEM;
	}
	for (i = 0; i < s->count; i++)
		vfiox_cpr_state_record(s, i, &r[i]);
	qsort(r, s->count, sizeof(*r), by_iova);
	for (i = 1; i < s->count && !ret; i++) {
		if (r[i - 1].iova + r[i - 1].len - 1 >= r[i].iova) {
			pr_err("restore: two records of the state overlap at IOVA 0x%llx",
			       (unsigned long long)r[i].iova);
			ret = -EINVAL;
		}
	}
	free(r);
	return ret;
}

int vfiox_cpr_state_parse(const void *buf, size_t size, struct cpr_state *s)
{
	const unsigned char *p = buf;
	uint32_t i;
	int ret;

	if (!buf) {
		pr_err("restore: no state (NULL)");
		return -EINVAL;
	}
	ret = check_identity(p, size);
	if (!ret)
		ret = check_frame(p, size, s);
	if (!ret)
		ret = check_header(p, s);
	for (i = 0; !ret && i < s->count; i++)
		ret = check_record(s, i);
	return ret ? ret : check_overlaps(s);
}
