// SPDX-License-Identifier: MIT
/*
 * vfiox-info: lspci for VFIO. Lists every IOMMU group with its devices,
 * their names, drivers, vfio cdevs and PASID/ATS/PRI/SR-IOV capabilities; for groups bound to
 * vfio-pci it opens them and prints the IOMMU info, reserved regions, regions and IRQs, by name
 * (type1v2, page sizes 4K 2M 1G, BAR0, MSI-X). It also says whether iommufd's /dev/iommu is
 * there. --json prints the same as one JSON object, the numbers with the names beside them.
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/vfio.h>

#include <vfiox.h>

#include "names.h"

#define MAX_DEVS 64

struct opts {
	bool json;
	const char *dev_root;
	const char *sysfs_root;
};

struct member {
	char bdf[256];
	char driver[64];
	unsigned int vendor, device;
	uint32_t caps;		/* VFIOX_PCI_CAP_* */
	char cdev[512];		/* /dev/vfio/devices/vfioN, when cdev_ret is 0 */
	int cdev_ret;		/* 0, -ENOENT (no cdev) or the -errno that hid it */
};

static bool first_item = true;

/* Text goes to stdout as lines; JSON as one object, items comma-joined. */
static void json_sep(void)
{
	if (!first_item)
		putchar(',');
	first_item = false;
}

static void read_hex_attr(const struct opts *o, const char *bdf, const char *attr,
			  unsigned int *val)
{
	char path[1024];
	FILE *f;

	*val = 0;
	snprintf(path, sizeof(path), "%.500s/bus/pci/devices/%.255s/%.32s", o->sysfs_root, bdf, attr);
	f = fopen(path, "r");
	if (!f)
		return;
	if (fscanf(f, "%x", val) != 1)
		*val = 0;
	fclose(f);
}

static void read_driver(const struct opts *o, const char *bdf, char *buf, size_t len)
{
	char path[1024], target[512];
	ssize_t n;

	snprintf(path, sizeof(path), "%.500s/bus/pci/devices/%.255s/driver", o->sysfs_root, bdf);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0) {
		snprintf(buf, len, "none");
		return;
	}
	target[n] = '\0';
	snprintf(buf, len, "%.63s", strrchr(target, '/') ? strrchr(target, '/') + 1 : target);
}

/* PASID, ATS, PRI and SR-IOV, from config space through libpci. */
static uint32_t read_caps(const struct opts *o, const char *bdf)
{
	struct vfiox_pci_match m = { .sz = sizeof(m), .addr = bdf,
				     .sysfs_root = o->sysfs_root };
	struct vfiox_pci_dev dev;

	return vfiox_pci_find(&m, &dev, 1) == 1 ? dev.caps : 0;
}

static const char *caps_text(uint32_t caps, char *buf, size_t len)
{
	static const struct { uint32_t bit; const char *name; } names[] = {
		{ VFIOX_PCI_CAP_PASID, "PASID" }, { VFIOX_PCI_CAP_ATS, "ATS" },
		{ VFIOX_PCI_CAP_PRI, "PRI" }, { VFIOX_PCI_CAP_SRIOV, "SR-IOV" },
	};
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (caps & names[i].bit)
			used += snprintf(buf + used, len - used, "%s%s", used ? " " : "",
					 names[i].name);
	return buf;
}

/* iommufd's node sits beside the vfio directory: /dev/vfio gives /dev/iommu. */
static void iommufd_path(const struct opts *o, char *buf, size_t len)
{
	size_t n = strlen(o->dev_root);

	while (n > 1 && o->dev_root[n - 1] == '/')
		n--;
	while (n > 0 && o->dev_root[n - 1] != '/')
		n--;
	snprintf(buf, len, "%.*siommu", (int)n, o->dev_root);
}

/* A path found or not, as JSON after a comma: "path", null, or null and "<key>_error". */
static void json_path(const char *key, int ret, const char *path)
{
	if (!ret)
		printf(",\"%s\":\"%s\"", key, path);
	else
		printf(",\"%s\":null", key);
	if (ret && ret != -ENOENT)
		printf(",\"%s_error\":\"%s\"", key, strerror(-ret));
}

/* Whether /dev/iommu exists: a text line, or a JSON member after a comma. */
static void print_iommufd(const struct opts *o)
{
	char path[1024];
	int ret;

	iommufd_path(o, path, sizeof(path));
	ret = access(path, F_OK) ? -errno : 0;
	if (ret == -ENOTDIR)
		ret = -ENOENT;
	if (o->json)
		json_path("iommufd", ret, path);
	else if (!ret)
		printf("iommufd: %s\n", path);
	else if (ret == -ENOENT)
		printf("iommufd: not present\n");
	else
		printf("iommufd: cannot check %s: %s\n", path, strerror(-ret));
}

static bool is_cdev_name(const char *name)
{
	return !strncmp(name, "vfio", 4) && name[4] &&
	       strspn(name + 4, "0123456789") == strlen(name + 4);
}

/*
 * @bdf's vfio cdev: sysfs's <BDF>/vfio-dev/ holds one "vfioN", the node is
 * <dev root>/devices/vfioN. 0, -ENOENT when it has none (also when vfioN
 * has no char device: a kernel without VFIO_DEVICE_CDEV), -ENODEV when
 * vfio-dev/ holds no vfioN, or the -errno that hid it.
 */
static int read_cdev(const struct opts *o, const char *bdf, char *buf, size_t len)
{
	char path[1024];
	struct dirent *de;
	int ret = -ENODEV;
	DIR *dir;

	snprintf(path, sizeof(path), "%.500s/bus/pci/devices/%.255s/vfio-dev", o->sysfs_root, bdf);
	dir = opendir(path);
	if (!dir)
		return errno == ENOTDIR ? -ENOENT : -errno;
	errno = 0;
	while ((de = readdir(dir)) && ret)
		if (is_cdev_name(de->d_name)) {
			snprintf(buf, len, "%.400s/devices/%.100s", o->dev_root, de->d_name);
			/* Without VFIO_DEVICE_CDEV vfioN is listed with no char device. */
			snprintf(path, sizeof(path), "%.500s/bus/pci/devices/%.255s/vfio-dev/%.100s/dev",
				 o->sysfs_root, bdf, de->d_name);
			ret = access(path, F_OK) ? -ENOENT : 0;
			break;
		}
	if (ret && ret != -ENOENT && errno)
		ret = -errno;
	closedir(dir);
	return ret;
}

static int list_members(const struct opts *o, int nr, struct member *m)
{
	char path[1024];
	struct dirent *de;
	DIR *dir;
	int n = 0;

	snprintf(path, sizeof(path), "%s/kernel/iommu_groups/%d/devices", o->sysfs_root, nr);
	dir = opendir(path);
	if (!dir)
		return 0;
	while ((de = readdir(dir)) && n < MAX_DEVS) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(m[n].bdf, sizeof(m[n].bdf), "%s", de->d_name);
		read_driver(o, m[n].bdf, m[n].driver, sizeof(m[n].driver));
		read_hex_attr(o, m[n].bdf, "vendor", &m[n].vendor);
		read_hex_attr(o, m[n].bdf, "device", &m[n].device);
		m[n].caps = read_caps(o, m[n].bdf);
		m[n].cdev_ret = read_cdev(o, m[n].bdf, m[n].cdev, sizeof(m[n].cdev));
		n++;
	}
	closedir(dir);
	return n;
}

static void print_member(const struct opts *o, const struct member *m)
{
	char name[256], caps[64];

	if (vfiox_pci_id_name((uint16_t)m->vendor, (uint16_t)m->device, name, sizeof(name)))
		snprintf(name, sizeof(name), "%04x:%04x", m->vendor, m->device);
	caps_text(m->caps, caps, sizeof(caps));
	if (o->json) {
		json_sep();
		printf("{\"bdf\":\"%s\",\"vendor\":\"0x%04x\",\"device\":\"0x%04x\","
		       "\"name\":\"%s\",\"driver\":\"%s\"",
		       m->bdf, m->vendor, m->device, name, m->driver);
		json_path("cdev", m->cdev_ret, m->cdev);
		printf(",\"caps\":\"%s\"}", caps);
		return;
	}
	printf("  %s [%04x:%04x] %s (driver %s)%s%s\n", m->bdf, m->vendor,
	       m->device, name, m->driver, caps[0] ? " caps: " : "", caps);
	if (!m->cdev_ret)
		printf("    cdev: %s\n", m->cdev);
	else if (m->cdev_ret != -ENOENT)
		printf("    cdev: cannot read vfio-dev: %s\n", strerror(-m->cdev_ret));
}

/* A name for JSON: "name" in quotes, or null. */
static void json_name(const char *key, const char *name)
{
	if (name)
		printf(",\"%s\":\"%s\"", key, name);
	else
		printf(",\"%s\":null", key);
}

/* Which kernel interface the container took, and its IOAS on iommufd. */
static void print_backend(const struct opts *o, struct vfiox_container *c)
{
	bool iommufd = vfiox_container_backend(c) == VFIOX_BACKEND_IOMMUFD;
	uint32_t ioas = 0;

	if (iommufd)
		vfiox_container_ioas_id(c, &ioas);
	if (o->json)
		return;		/* in the "iommu" object (print_iommu()) */
	if (iommufd) {
		printf("  backend: iommufd (/dev/iommu, IOAS %u)\n", ioas);
	} else {
		printf("  backend: legacy (VFIO container)\n");
	}
}

static void print_iommu(const struct opts *o, struct vfiox_container *c)
{
	struct vfiox_iommu_info info = { .sz = sizeof(info) };
	const char *type;
	struct vfiox_iova_range r[64];
	char sizes[512];
	uint32_t ioas;
	int n, i;

	if (vfiox_container_iommu_info(c, &info))
		return;
	type = names_iommu_type(info.iommu_type);
	n = vfiox_container_iova_ranges(c, r, 64);
	n = n > 64 ? 64 : n;
	if (o->json) {
		printf(",\"iommu\":{\"type\":%d", info.iommu_type);
		json_name("type_name", type);
		printf(",\"pgsizes\":\"0x%llx\",\"page_sizes\":[", (unsigned long long)info.pgsizes);
		if (info.pgsizes)
			printf("\"%s\"", names_page_sizes(info.pgsizes, "\",\"", sizes, sizeof(sizes)));
		printf("]");
		if (info.has_dma_avail)	/* iommufd has none: absent, not 0 */
			printf(",\"dma_avail\":%u", info.dma_avail);
		printf(",\"resv_source\":\"%s\",\"iova_ranges\":[",
		       info.has_resv_regions ? "capability" : "sysfs");
		for (i = 0; i < n; i++)
			printf("%s{\"start\":\"0x%llx\",\"end\":\"0x%llx\"}", i ? "," : "",
			       (unsigned long long)r[i].start, (unsigned long long)r[i].end);
		printf("],\"backend\":\"%s\"",
		       vfiox_container_backend(c) == VFIOX_BACKEND_IOMMUFD ? "iommufd" : "legacy");
		if (!vfiox_container_ioas_id(c, &ioas))
			printf(",\"ioas\":%u", ioas);
		printf("}");
		return;
	}
	if (type)
		printf("  iommu: %s", type);
	else
		printf("  iommu: type %d", info.iommu_type);
	printf(", page sizes %s", names_page_sizes(info.pgsizes, " ", sizes, sizeof(sizes)));
	if (info.has_dma_avail)
		printf(", dma_avail %u", info.dma_avail);
	printf(", reserved regions from %s",
	       info.has_resv_regions ? "the kernel's capability" : "sysfs");
	printf("\n  iova ranges:");
	for (i = 0; i < n; i++)
		printf(" [0x%llx-0x%llx]", (unsigned long long)r[i].start,
		       (unsigned long long)r[i].end);
	printf("\n");
}

static void print_resv(const struct opts *o, struct vfiox_group *g)
{
	struct vfiox_resv_region r[64];
	int n = vfiox_group_resv_regions(g, r, 64), i;

	n = n < 0 ? 0 : n > 64 ? 64 : n;
	if (o->json)
		printf(",\"reserved_regions\":[");
	for (i = 0; i < n; i++) {
		bool relax = r[i].type == VFIOX_RESV_DIRECT_RELAXABLE;

		if (o->json)
			printf("%s{\"start\":\"0x%llx\",\"end\":\"0x%llx\",\"type\":\"%s\",\"relaxable\":%s}",
			       i ? "," : "", (unsigned long long)r[i].start,
			       (unsigned long long)r[i].end, r[i].type_name,
			       relax ? "true" : "false");
		else
			printf("  reserved: [0x%llx-0x%llx] %s%s\n",
			       (unsigned long long)r[i].start,
			       (unsigned long long)r[i].end, r[i].type_name,
			       relax ? " (RELAXABLE: the kernel lets it be mapped; libvfiox avoids it)" : "");
	}
	if (o->json)
		printf("]");
}

/* vfio-pci's name for region @i, or "region N" (NULL for JSON). */
static const char *region_name(const struct vfiox_device_info *di, uint32_t i,
			       char *buf, size_t len)
{
	const char *name = di->flags & VFIO_DEVICE_FLAGS_PCI ? names_pci_region(i) : NULL;

	if (name || !buf)
		return name;
	snprintf(buf, len, "region %u", i);
	return buf;
}

static void print_regions(const struct opts *o, struct vfiox_device *d,
			  const struct vfiox_device_info *di)
{
	char name[32];
	uint32_t i, s;

	if (o->json)
		printf(",\"regions\":[");
	for (i = 0; i < di->num_regions; i++) {
		struct vfiox_region_info ri = { .sz = sizeof(ri) };

		if (vfiox_device_region_info(d, i, &ri))
			continue;
		if (o->json) {
			printf("%s{\"index\":%u", i ? "," : "", i);
			json_name("name", region_name(di, i, NULL, 0));
			printf(",\"size\":\"0x%llx\",\"flags\":\"0x%x\",\"sparse\":[",
			       (unsigned long long)ri.size, ri.flags);
			for (s = 0; s < ri.nr_sparse; s++)
				printf("%s{\"offset\":\"0x%llx\",\"size\":\"0x%llx\"}",
				       s ? "," : "", (unsigned long long)ri.sparse[s].offset,
				       (unsigned long long)ri.sparse[s].size);
			printf("]}");
			continue;
		}
		if (!ri.size)
			continue;
		printf("    %s: size 0x%llx %s%s%s", region_name(di, i, name, sizeof(name)),
		       (unsigned long long)ri.size,
		       ri.flags & VFIO_REGION_INFO_FLAG_READ ? "r" : "-",
		       ri.flags & VFIO_REGION_INFO_FLAG_WRITE ? "w" : "-",
		       ri.flags & VFIO_REGION_INFO_FLAG_MMAP ? "m" : "-");
		for (s = 0; s < ri.nr_sparse; s++)
			printf(" sparse[0x%llx+0x%llx]", (unsigned long long)ri.sparse[s].offset,
			       (unsigned long long)ri.sparse[s].size);
		if (ri.has_type)
			printf(" type 0x%x subtype %u", ri.type, ri.subtype);
		printf("\n");
	}
	if (o->json)
		printf("]");
}

/* vfio-pci's name for IRQ index @i, or "irq N" (NULL for JSON). */
static const char *irq_name(const struct vfiox_device_info *di, uint32_t i,
			    char *buf, size_t len)
{
	const char *name = di->flags & VFIO_DEVICE_FLAGS_PCI ? names_pci_irq(i) : NULL;

	if (name || !buf)
		return name;
	snprintf(buf, len, "irq %u", i);
	return buf;
}

static void print_irqs(const struct opts *o, struct vfiox_device *d,
		       const struct vfiox_device_info *di)
{
	char name[32];
	uint32_t i;

	if (o->json)
		printf(",\"irqs\":[");
	for (i = 0; i < di->num_irqs; i++) {
		struct vfiox_irq_info ii = { .sz = sizeof(ii) };

		if (vfiox_device_irq_info(d, i, &ii))
			continue;
		if (o->json) {
			printf("%s{\"index\":%u", i ? "," : "", i);
			json_name("name", irq_name(di, i, NULL, 0));
			printf(",\"count\":%u,\"flags\":\"0x%x\"}", ii.count, ii.flags);
		} else if (ii.count) {
			printf("    %s: %u vector%s%s\n", irq_name(di, i, name, sizeof(name)), ii.count,
			       ii.count == 1 ? "" : "s",
			       ii.flags & VFIO_IRQ_INFO_MASKABLE ? ", maskable" : "");
		}
	}
	if (o->json)
		printf("]");
}

/* Open @bdf in @g (NULL when it cannot be, said in text mode). */
static struct vfiox_device *open_device(const struct opts *o, struct vfiox_group *g,
					const char *bdf)
{
	struct vfiox_device *d;
	int ret = vfiox_device_open(g, bdf, NULL, &d);

	if (!ret)
		return d;
	if (!o->json)
		printf("  device %s: cannot open: %s\n", bdf, strerror(-ret));
	return NULL;
}

static void print_device(const struct opts *o, struct vfiox_device *d)
{
	struct vfiox_device_info di = { .sz = sizeof(di) };
	const char *bdf = vfiox_device_name(d);

	vfiox_device_info(d, &di);
	if (o->json) {
		json_sep();
		printf("{\"bdf\":\"%s\",\"flags\":\"0x%x\"", bdf, di.flags);
	} else {
		printf("  device %s: %u regions, %u irq indexes%s\n", bdf,
		       di.num_regions, di.num_irqs,
		       di.flags & VFIO_DEVICE_FLAGS_RESET ? ", reset" : "");
	}
	print_regions(o, d, &di);
	print_irqs(o, d, &di);
	if (o->json)
		printf("}");
}

/*
 * The IOMMU is printed once the group's devices are open: on iommufd the
 * IOAS has no ranges of its own before a device is attached, and each
 * attached device may narrow them.
 */
static void print_vfio_details(const struct opts *o, int nr,
			       const struct member *m, int nm)
{
	struct vfiox_container_opts copts = {
		.sz = sizeof(copts), .dev_root = o->dev_root, .sysfs_root = o->sysfs_root,
	};
	struct vfiox_device *d[MAX_DEVS];
	struct vfiox_container *c;
	struct vfiox_group *g;
	int i, ret;

	ret = vfiox_container_open(&copts, &c);
	if (!ret) {
		ret = vfiox_group_open(c, nr, &g);
		if (ret)
			vfiox_container_close(c);
	}
	if (ret) {
		if (o->json)
			printf(",\"error\":\"%s\"", strerror(-ret));
		else
			printf("  cannot open group: %s\n", strerror(-ret));
		return;
	}
	for (i = 0; i < nm; i++)
		d[i] = open_device(o, g, m[i].bdf);
	print_backend(o, c);
	print_iommu(o, c);
	print_resv(o, g);
	if (o->json) {
		printf(",\"vfio_devices\":[");
		first_item = true;
	}
	for (i = 0; i < nm; i++)
		if (d[i])
			print_device(o, d[i]);
	if (o->json)
		printf("]");
	vfiox_container_close(c);	/* and every device */
}

static void print_group(const struct opts *o, int nr, bool *first_group)
{
	struct member m[MAX_DEVS];
	int nm = list_members(o, nr, m), i;
	bool all_vfio = nm > 0;
	char node[512];

	for (i = 0; i < nm; i++)
		all_vfio &= !strcmp(m[i].driver, "vfio-pci");
	snprintf(node, sizeof(node), "%s/%d", o->dev_root, nr);
	all_vfio &= access(node, F_OK) == 0;
	if (o->json) {
		printf("%s{\"group\":%d,\"vfio\":%s,\"devices\":[", *first_group ? "" : ",",
		       nr, all_vfio ? "true" : "false");
		first_item = true;
	} else {
		printf("group %d%s\n", nr, all_vfio ? " (vfio-pci)" : "");
	}
	*first_group = false;
	for (i = 0; i < nm; i++)
		print_member(o, &m[i]);
	if (o->json)
		printf("]");
	if (all_vfio)
		print_vfio_details(o, nr, m, nm);
	if (o->json)
		printf("}");
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

static int list_groups(const struct opts *o, int *nrs, int max)
{
	char path[1024];
	struct dirent *de;
	DIR *dir;
	int n = 0;

	snprintf(path, sizeof(path), "%s/kernel/iommu_groups", o->sysfs_root);
	dir = opendir(path);
	if (!dir)
		return 0;
	while ((de = readdir(dir)) && n < max)
		if (de->d_name[0] != '.')
			nrs[n++] = atoi(de->d_name);
	closedir(dir);
	qsort(nrs, (size_t)n, sizeof(*nrs), cmp_int);
	return n;
}

static int no_vfio(const struct opts *o, const char *why)
{
	const char *hint = "modprobe vfio-pci; echo vfio-pci > "
			   "/sys/bus/pci/devices/BDF/driver_override; "
			   "echo BDF > /sys/bus/pci/drivers_probe";

	if (o->json) {
		printf("{\"vfio\":false");
		print_iommufd(o);
		printf(",\"reason\":\"%s\",\"hint\":\"%s\"}\n", why, hint);
	} else {
		printf("no VFIO on this machine (%s); to bind a device: %s\n", why, hint);
		print_iommufd(o);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { .dev_root = "/dev/vfio", .sysfs_root = "/sys" };
	bool first_group = true;
	char path[1024];
	int nrs[1024], n, i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			o.json = true;
		} else if (!strcmp(argv[i], "--dev-root") && i + 1 < argc) {
			o.dev_root = argv[++i];
		} else if (!strcmp(argv[i], "--sysfs-root") && i + 1 < argc) {
			o.sysfs_root = argv[++i];
		} else {
			fprintf(stderr, "usage: %s [--json] [--dev-root DIR] [--sysfs-root DIR]\n",
				argv[0]);
			return 2;
		}
	}
	snprintf(path, sizeof(path), "%s/vfio", o.dev_root);
	if (access(path, F_OK))
		return no_vfio(&o, "no /dev/vfio/vfio");
	n = list_groups(&o, nrs, 1024);
	if (!n)
		return no_vfio(&o, "no IOMMU groups: is the IOMMU enabled?");
	if (o.json)
		printf("{\"vfio\":true");
	print_iommufd(&o);
	if (o.json)
		printf(",\"groups\":[");
	for (i = 0; i < n; i++)
		print_group(&o, nrs[i], &first_group);
	if (o.json)
		printf("]}\n");
	return 0;
}
