// SPDX-License-Identifier: MIT
#define LOG_PREFIX "pci"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfiox-config.h"
#include "internal.h"

#if VFIOX_HAVE_LIBPCI
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
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

/* One half of an ID: 1-4 hex digits, or "*" (stored as -1). */
static int parse_id_half(const char *s, size_t len, int32_t *out)
{
	char buf[5];
	char *end;

	if (len == 1 && s[0] == '*') {
		*out = -1;
		return 0;
	}
	if (!len || len > 4 || strspn(s, "0123456789abcdefABCDEF") < len)
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	*out = (int32_t)strtoul(buf, &end, 16);
	return 0;
}

VFIOX_API int vfiox_pci_parse_id(const char *str, int32_t *vendor,
				 int32_t *device)
{
	const char *colon;
	size_t len;

	if (!str || !vendor || !device)
		return -EINVAL;
	len = strnlen(str, 10);
	colon = memchr(str, ':', len);
	if (len > 9 || !colon ||
	    parse_id_half(str, (size_t)(colon - str), vendor) ||
	    parse_id_half(colon + 1, len - (size_t)(colon - str) - 1, device)) {
		pr_err("'%.12s%s' is not a PCI ID (vvvv:dddd, '*' for any)", str,
		       len > 9 ? "..." : "");
		return -EINVAL;
	}
	return 0;
}

#if VFIOX_HAVE_LIBPCI
static void pci_quiet(char *msg, ...)
{
	(void)msg;
}

/*
 * libpci's error callback must not return (the default one exit()s), and it
 * gets no context pointer. The scan sets this thread's escape point for
 * its own duration only; it is the one piece of state outside an object,
 * and it is per thread and per call.
 */
static __thread sigjmp_buf *pci_escape;

__attribute__((noreturn)) static void pci_error(char *msg, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, msg);
	vsnprintf(buf, sizeof(buf), msg, ap);
	va_end(ap);
	pr_err("libpci: %s", buf);
	siglongjmp(*pci_escape, 1);
}

/* The criteria, parsed once. */
struct criteria {
	bool by_addr;
	struct vfiox_pci_addr addr;
	int32_t vendor, device;
	uint32_t class, class_mask;
};

static int parse_criteria(const struct vfiox_pci_match *m, struct criteria *c)
{
	int ret;

	*c = (struct criteria){ .vendor = -1, .device = -1 };
	if (!m)
		return 0;
	ret = VFIOX_OPTS_CHECK(m, vfiox_pci_match);
	if (ret)
		return ret;
	if (VFIOX_OPTS_HAS(m, addr) && m->addr) {
		if (vfiox_pci_parse_addr(m->addr, &c->addr))
			return -EINVAL;
		c->by_addr = true;
	}
	if (VFIOX_OPTS_HAS(m, id) && m->id &&
	    vfiox_pci_parse_id(m->id, &c->vendor, &c->device))
		return -EINVAL;
	if (VFIOX_OPTS_HAS(m, class_mask)) {
		c->class = m->class_code;
		c->class_mask = m->class_mask;
	}
	return 0;
}

static uint32_t class_of(const struct pci_dev *d)
{
	return (uint32_t)d->device_class << 8 | d->prog_if;
}

static bool matches(const struct criteria *c, const struct pci_dev *d,
		    uint32_t class)
{
	if (c->by_addr && (c->addr.domain != (uint32_t)d->domain ||
			   c->addr.bus != d->bus || c->addr.dev != d->dev ||
			   c->addr.fn != d->func))
		return false;
	if ((c->vendor >= 0 && c->vendor != d->vendor_id) ||
	    (c->device >= 0 && c->device != d->device_id))
		return false;
	return (class & c->class_mask) == c->class;
}

static uint32_t caps_of(struct pci_dev *d)
{
	static const struct { unsigned int id; uint32_t flag; } ext[] = {
		{ PCI_EXT_CAP_ID_PASID, VFIOX_PCI_CAP_PASID },
		{ PCI_EXT_CAP_ID_ATS, VFIOX_PCI_CAP_ATS },
		{ PCI_EXT_CAP_ID_PRI, VFIOX_PCI_CAP_PRI },
		{ PCI_EXT_CAP_ID_SRIOV, VFIOX_PCI_CAP_SRIOV },
	};
	uint32_t caps = 0;
	size_t i;

	for (i = 0; i < sizeof(ext) / sizeof(ext[0]); i++)
		if (pci_find_cap(d, ext[i].id, PCI_CAP_EXTENDED))
			caps |= ext[i].flag;
	return caps;
}

static void describe(struct pci_access *pa, struct pci_dev *d, uint32_t class,
		     struct vfiox_pci_dev *out)
{
	const char *drv = pci_get_string_property(d, PCI_FILL_DRIVER);
	const char *grp = pci_get_string_property(d, PCI_FILL_IOMMU_GROUP);

	memset(out, 0, sizeof(*out));
	out->addr = (struct vfiox_pci_addr){ (uint32_t)d->domain, d->bus, d->dev, d->func };
	vfiox_pci_format_addr(&out->addr, out->bdf, sizeof(out->bdf));
	out->vendor = d->vendor_id;
	out->device = d->device_id;
	out->subsys_vendor = d->subsys_vendor_id;
	out->subsys_device = d->subsys_id;
	out->class_code = class;
	pci_lookup_name(pa, out->name, sizeof(out->name),
			PCI_LOOKUP_VENDOR | PCI_LOOKUP_DEVICE | PCI_LOOKUP_NO_HWDB,
			d->vendor_id, d->device_id);
	snprintf(out->driver, sizeof(out->driver), "%s", drv ? drv : "");
	out->iommu_group = grp ? atoi(grp) : -1;
	out->caps = caps_of(d);
}

/*
 * pci_init() exit()s when no access method works and the sysfs scan does
 * not survive a missing directory, so check the directory first and name
 * the sysfs method explicitly.
 */
static int check_sysfs(const char *sysfs_root)
{
	char path[VFIOX_PATH_MAX + 32];
	DIR *dir;

	snprintf(path, sizeof(path), "%s/bus/pci/devices", sysfs_root);
	dir = opendir(path);
	if (!dir) {
		pr_err("find: cannot read %s: %s", path, strerror(errno));
		return -ENODEV;
	}
	closedir(dir);
	return 0;
}

static struct pci_access *new_libpci(const char *sysfs_root)
{
	char path[VFIOX_PATH_MAX + 32];
	struct pci_access *pa = pci_alloc();

	if (!pa)
		return NULL;
	pa->warning = pci_quiet;
	pa->debug = pci_quiet;
	pa->error = pci_error;
	pa->method = PCI_ACCESS_SYS_BUS_PCI;
	snprintf(path, sizeof(path), "%s/bus/pci", sysfs_root);
	pci_set_param(pa, "sysfs.path", path);
	return pa;
}

static uint64_t addr_key(const struct pci_dev *d)
{
	return (uint64_t)(uint32_t)d->domain << 16 | (uint32_t)d->bus << 8 |
	       (uint32_t)d->dev << 3 | d->func;
}

static int cmp_dev(const void *a, const void *b)
{
	uint64_t x = addr_key(*(struct pci_dev *const *)a);
	uint64_t y = addr_key(*(struct pci_dev *const *)b);

	return x < y ? -1 : x > y;
}

/* The devices matching @c, in bus order, in malloc'ed *@out (which the
 * caller frees, also on failure); returns how many. */
static int collect(struct pci_access *pa, const struct criteria *c,
		   struct pci_dev ***out)
{
	struct pci_dev *d, **grown;
	int n = 0;

	/* *@out is kept current: libpci may escape from any fill. */
	*out = NULL;
	for (d = pa->devices; d; d = d->next) {
		pci_fill_info(d, PCI_FILL_IDENT | PCI_FILL_CLASS | PCI_FILL_CLASS_EXT |
			      PCI_FILL_SUBSYS | PCI_FILL_EXT_CAPS | PCI_FILL_DRIVER |
			      PCI_FILL_IOMMU_GROUP);
		if (!matches(c, d, class_of(d)))
			continue;
		grown = realloc(*out, (size_t)(n + 1) * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		*out = grown;
		grown[n++] = d;
	}
	if (n)
		qsort(*out, (size_t)n, sizeof(**out), cmp_dev);
	return n;
}

/* Everything that runs libpci code that may call pci_error(). */
static int scan(struct pci_access *pa, const struct criteria *c,
		struct vfiox_pci_dev *out, size_t max)
{
	struct pci_dev **volatile found = NULL;
	sigjmp_buf escape;
	int n, i;

	if (sigsetjmp(escape, 0)) {
		pci_escape = NULL;
		free(found);
		return -EIO;
	}
	pci_escape = &escape;
	pci_init(pa);
	pci_scan_bus(pa);
	n = collect(pa, c, (struct pci_dev ***)&found);
	for (i = 0; i < n && (size_t)i < max; i++)
		describe(pa, found[i], class_of(found[i]), &out[i]);
	pci_escape = NULL;
	free(found);
	return n;
}

static int pci_find(const struct vfiox_pci_match *m, struct vfiox_pci_dev *out,
		    size_t max)
{
	const char *root = m && VFIOX_OPTS_HAS(m, sysfs_root) && m->sysfs_root ?
			   m->sysfs_root : "/sys";
	struct pci_access *pa;
	struct criteria c;
	int ret;

	if (!out && max)
		return -EINVAL;
	ret = parse_criteria(m, &c);
	if (ret)
		return ret;
	if (strlen(root) >= VFIOX_PATH_MAX) {
		pr_err("find: sysfs root too long");
		return -ENAMETOOLONG;
	}
	ret = check_sysfs(root);
	if (ret)
		return ret;
	pa = new_libpci(root);
	if (!pa)
		return -ENOMEM;
	ret = scan(pa, &c, out, max);
	/* After an escape too: libpci links a device before it fills it. */
	pci_cleanup(pa);
	return ret;
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
	pci_lookup_name(pa, buf, (int)len,
			PCI_LOOKUP_VENDOR | PCI_LOOKUP_DEVICE | PCI_LOOKUP_NO_HWDB,
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

#if !VFIOX_HAVE_LIBPCI
static int pci_find(const struct vfiox_pci_match *m, struct vfiox_pci_dev *out,
		    size_t max)
{
	(void)m, (void)out, (void)max;
	pr_err("built without libpci: no PCI lookup");
	return -ENOTSUP;
}
#endif

VFIOX_API int vfiox_pci_find_sized(const struct vfiox_pci_match *m, void *out,
				   size_t max, size_t elem_sz)
{
	void *buf;
	int ret = VFIOX_ARRAY_BEGIN(out, max, elem_sz, vfiox_pci_dev, &buf);

	if (ret)
		return ret;
	ret = pci_find(m, buf, max);
	return VFIOX_ARRAY_END(out, max, elem_sz, vfiox_pci_dev, buf, ret);
}

int vfiox_pci_caps(const struct vfiox_env *env, const char *bdf, uint32_t *caps)
{
	struct vfiox_pci_match m = { .sz = sizeof(m), .addr = bdf,
				     .sysfs_root = env->sysfs_root };
	struct vfiox_pci_dev dev;
	int n = vfiox_pci_find(&m, &dev, 1);

	if (n != 1)
		return n < 0 ? n : -ENODEV;
	*caps = dev.caps;
	return 0;
}

int vfiox_device_pci_caps(const struct vfiox_device *d, uint32_t *caps)
{
	if (!(d->info.flags & VFIO_DEVICE_FLAGS_PCI))
		return -ENODEV;
	return vfiox_pci_caps(&d->group->container->env, d->name, caps);
}
