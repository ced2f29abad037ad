// SPDX-License-Identifier: MIT
#define LOG_PREFIX "resv"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "uapi_ext.h"

#define LINE_MAX_LEN 256
#define RESV_FILE_MAX 65536

static const char *const type_names[] = {
	[VFIOX_RESV_UNKNOWN] = "unknown",
	[VFIOX_RESV_DIRECT] = "direct",
	[VFIOX_RESV_DIRECT_RELAXABLE] = "direct-relaxable",
	[VFIOX_RESV_RESERVED] = "reserved",
	[VFIOX_RESV_MSI] = "msi",
};

VFIOX_API const char *vfiox_resv_type_name(enum vfiox_resv_type type)
{
	if ((unsigned int)type >= sizeof(type_names) / sizeof(type_names[0]))
		return "unknown";
	return type_names[type];
}

static enum vfiox_resv_type type_from_name(const char *name)
{
	unsigned int t;

	for (t = VFIOX_RESV_DIRECT; t < sizeof(type_names) / sizeof(type_names[0]); t++)
		if (!strcmp(name, type_names[t]))
			return (enum vfiox_resv_type)t;
	return VFIOX_RESV_UNKNOWN;
}

/* Strict hex: "0x" then 1..16 hex digits, nothing else. */
static int parse_hex(const char *s, uint64_t *out)
{
	char *end;

	if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X') ||
	    !s[2] || strlen(s + 2) > 16 || strspn(s + 2, "0123456789abcdefABCDEF") != strlen(s + 2))
		return -EPROTO;
	*out = strtoull(s + 2, &end, 16);
	return *end ? -EPROTO : 0;
}

static int parse_line(const char *line, int group, struct vfiox_resv_region *r)
{
	char a[LINE_MAX_LEN], b[LINE_MAX_LEN], t[LINE_MAX_LEN], extra[2];

	if (sscanf(line, "%255s %255s %255s %1s", a, b, t, extra) != 3 ||
	    parse_hex(a, &r->start) || parse_hex(b, &r->end) ||
	    r->end < r->start || strlen(t) >= sizeof(r->type_name)) {
		pr_err("group %d: malformed reserved region line '%.80s'",
		       group, line);
		return -EPROTO;
	}
	r->type = type_from_name(t);
	r->group = group;
	strcpy(r->type_name, t);
	if (r->type == VFIOX_RESV_UNKNOWN)
		pr_warn("group %d: reserved region [0x%llx, 0x%llx] has unknown type '%s'",
			group, (unsigned long long)r->start,
			(unsigned long long)r->end, t);
	return 0;
}

static int resv_parse(const char *text, size_t len, int group,
		      struct vfiox_resv_region *out, size_t max)
{
	size_t pos = 0;
	int n = 0;

	if (!text || (!out && max) || len > RESV_FILE_MAX)
		return -EINVAL;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t ll = (nl ? (size_t)(nl - text) : len) - pos;
		struct vfiox_resv_region r = { 0 };
		char line[LINE_MAX_LEN + 1];

		if (ll > LINE_MAX_LEN || memchr(text + pos, '\0', ll)) {
			pr_err("group %d: reserved region line %d is overlong or holds NUL",
			       group, n + 1);
			return -EPROTO;
		}
		memcpy(line, text + pos, ll);
		line[ll] = '\0';
		pos += ll + 1;
		if (strspn(line, " \t") == ll)
			continue;
		if (parse_line(line, group, &r))
			return -EPROTO;
		if ((size_t)n < max)
			out[n] = r;
		n++;
	}
	return n;
}

static const enum vfiox_resv_type cap_types[] = {
	[VFIOX_IOMMU_RESV_DIRECT] = VFIOX_RESV_DIRECT,
	[VFIOX_IOMMU_RESV_DIRECT_RELAXABLE] = VFIOX_RESV_DIRECT_RELAXABLE,
	[VFIOX_IOMMU_RESV_RESERVED] = VFIOX_RESV_RESERVED,
	[VFIOX_IOMMU_RESV_MSI] = VFIOX_RESV_MSI,
};

/* One capability entry; unknown types are kept and named by number. */
static int cap_entry(const uint8_t *p, uint32_t i, bool store,
		     struct vfiox_resv_region *r)
{
	struct vfiox_iommu_resv_region e;

	memcpy(&e, p, sizeof(e));
	if (e.end < e.start || e.group > INT_MAX) {
		pr_err("reserved regions capability entry %u: [0x%llx, 0x%llx] group %u is inverted or out of range",
		       i, (unsigned long long)e.start,
		       (unsigned long long)e.end, e.group);
		return -EPROTO;
	}
	if (!store)
		return 0;
	*r = (struct vfiox_resv_region){ .start = e.start, .end = e.end,
					 .group = (int)e.group };
	if (e.type < sizeof(cap_types) / sizeof(cap_types[0]) && cap_types[e.type]) {
		r->type = cap_types[e.type];
		strcpy(r->type_name, type_names[r->type]);
		return 0;
	}
	snprintf(r->type_name, sizeof(r->type_name), "type-%u", e.type);
	pr_warn("group %u: reserved region [0x%llx, 0x%llx] has unknown type %u",
		e.group, (unsigned long long)e.start,
		(unsigned long long)e.end, e.type);
	return 0;
}

static int resv_parse_cap(const void *cap, size_t len,
			  struct vfiox_resv_region *out, size_t max)
{
	struct vfiox_iommu_type1_info_cap_resv_regions hdr;
	const uint8_t *body = cap;
	uint32_t i;

	if (!cap || (!out && max))
		return -EINVAL;
	if (len < sizeof(hdr)) {
		pr_err("reserved regions capability truncated (%zu bytes)", len);
		return -EPROTO;
	}
	memcpy(&hdr, cap, sizeof(hdr));
	if (hdr.entry_size < sizeof(struct vfiox_iommu_resv_region) ||
	    hdr.nr_regions > (len - sizeof(hdr)) / hdr.entry_size ||
	    hdr.nr_regions > INT_MAX) {
		pr_err("reserved regions capability: %u entries of %u bytes do not fit in %zu bytes",
		       hdr.nr_regions, hdr.entry_size, len);
		return -EPROTO;
	}
	for (i = 0; i < hdr.nr_regions; i++)
		if (cap_entry(body + sizeof(hdr) + (size_t)i * hdr.entry_size,
			      i, i < max, i < max ? &out[i] : NULL))
			return -EPROTO;
	return (int)hdr.nr_regions;
}

/*
 * The group's sysfs reserved_regions file, malloc'ed; returns its length.
 * A sandboxed VMM may have no /sys: when the file cannot be read for that
 * reason and the kernel gave usable IOVA ranges (type1 computes them with
 * every group's reserved regions cut out, the direct-relaxable ones
 * excepted), those are enough to allocate from; the group then lists no
 * regions (0, *@text NULL), with a warning.
 */
static ssize_t read_sysfs(struct vfiox_group *g, char **text)
{
	const struct vfiox_container *c = g->container;
	const struct vfiox_env *env = &c->env;
	char path[VFIOX_PATH_MAX + 64];
	ssize_t n;

	*text = malloc(RESV_FILE_MAX);
	if (!*text) {
		pr_err("group %d: no memory for its reserved regions", g->nr);
		return -ENOMEM;
	}
	snprintf(path, sizeof(path), "%s/kernel/iommu_groups/%d/reserved_regions",
		 env->sysfs_root, g->nr);
	n = vfiox_sys_read_file(env->sys, path, *text, RESV_FILE_MAX);
	if (n >= 0)
		return n;
	free(*text);
	*text = NULL;
	if ((n == -ENOENT || n == -EACCES || n == -EPERM) && c->info.nr_iova_ranges) {
		pr_warn("group %d: cannot read %s (%s): relying on the kernel's IOVA "
			"ranges, which exclude the reserved regions but the "
			"direct-relaxable ones; none are listed for this group", g->nr,
			path, ERRSTR((int)n));
		return 0;
	}
	pr_err("group %d: reading %s: %s", g->nr, path, ERRSTR((int)n));
	return n;
}

static int cmp_region(const void *a, const void *b)
{
	const struct vfiox_resv_region *x = a, *y = b;

	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->end != y->end)
		return x->end < y->end ? -1 : 1;
	return strcmp(x->type_name, y->type_name);
}

/* Lines in @text: an upper bound on the regions it holds. */
static size_t count_lines(const char *text, size_t len)
{
	size_t n = 1;
	const char *p = text, *end = text + len;

	while ((p = memchr(p, '\n', (size_t)(end - p)))) {
		n++;
		p++;
	}
	return n;
}

/* Append the sysfs regions of @g to *@all (holding *@n). */
static int append_sysfs(struct vfiox_group *g, struct vfiox_resv_region **all,
			int *n)
{
	struct vfiox_resv_region *grown;
	size_t lines;
	ssize_t len;
	char *text;
	int got;

	len = read_sysfs(g, &text);
	if (len <= 0 && !text)
		return (int)len;
	lines = count_lines(text, (size_t)len);
	grown = realloc(*all, (*n + lines) * sizeof(**all));
	if (!grown) {
		free(text);
		return -ENOMEM;
	}
	*all = grown;
	got = resv_parse(text, (size_t)len, g->nr, grown + *n, lines);
	free(text);
	if (got < 0)
		return got;
	*n += got;
	return 0;
}

/* Regions of group @nr (every group if @nr < 0), sorted, malloc'ed. */
int vfiox_resv_collect(struct vfiox_container *c, int nr,
		       struct vfiox_resv_region **out)
{
	struct vfiox_resv_region *all = NULL;
	struct vfiox_group *g;
	uint32_t i;
	int n = 0, ret = 0;

	if (c->info.has_resv_regions) {
		all = malloc((c->nr_resv ? c->nr_resv : 1) * sizeof(*all));
		if (!all)
			return -ENOMEM;
		for (i = 0; i < c->nr_resv; i++)
			if (nr < 0 || c->resv[i].group == nr)
				all[n++] = c->resv[i];
	} else {
		for (g = c->groups; g && !ret; g = g->next)
			if (nr < 0 || g->nr == nr)
				ret = append_sysfs(g, &all, &n);
	}
	/* No group to ask (an adopted container whose IOMMU its sender set):
	 * still an array, callers sort and index it. */
	if (!ret && !all && !(all = malloc(sizeof(*all))))
		ret = -ENOMEM;
	if (ret) {
		free(all);
		return ret;
	}
	if (n)
		qsort(all, (size_t)n, sizeof(*all), cmp_region);
	*out = all;
	return n;
}

/* Copy up to @max of the @n collected regions to @out; frees @all. */
static int copy_out(struct vfiox_resv_region *all, int n,
		    struct vfiox_resv_region *out, size_t max)
{
	if (n > 0 && max)
		memcpy(out, all, ((size_t)n < max ? (size_t)n : max) * sizeof(*out));
	free(all);
	return n;
}

static int group_resv_regions(struct vfiox_group *g,
			      struct vfiox_resv_region *out, size_t max)
{
	struct vfiox_resv_region *all = NULL;
	int n;

	if (!g || (!out && max))
		return -EINVAL;
	n = vfiox_resv_collect(g->container, g->nr, &all);
	return copy_out(all, n, out, max);
}

static int container_resv_regions(struct vfiox_container *c,
				  struct vfiox_resv_region *out, size_t max)
{
	struct vfiox_resv_region *all = NULL;
	int n;

	if (!c || (!out && max))
		return -EINVAL;
	if (!c->iommu_type) {
		pr_err("resv_regions: no group attached to the container");
		return -ENODEV;
	}
	n = vfiox_resv_collect(c, -1, &all);
	return copy_out(all, n, out, max);
}

/* The exported calls: each fills the caller's array of @elem_sz elements. */
#define RESV_SIZED(out, max, elem_sz, call) do {				\
	void *buf;								\
	int ret = VFIOX_ARRAY_BEGIN(out, max, elem_sz, vfiox_resv_region,	\
				    &buf);					\
										\
	if (ret)								\
		return ret;							\
	ret = call;								\
	return VFIOX_ARRAY_END(out, max, elem_sz, vfiox_resv_region, buf, ret); \
} while (0)

VFIOX_API int vfiox_resv_parse_sized(const char *text, size_t len, int group,
				     void *out, size_t max, size_t elem_sz)
{
	RESV_SIZED(out, max, elem_sz, resv_parse(text, len, group, buf, max));
}

VFIOX_API int vfiox_resv_parse_cap_sized(const void *cap, size_t len,
					 void *out, size_t max, size_t elem_sz)
{
	RESV_SIZED(out, max, elem_sz, resv_parse_cap(cap, len, buf, max));
}

VFIOX_API int vfiox_group_resv_regions_sized(struct vfiox_group *g, void *out,
					     size_t max, size_t elem_sz)
{
	RESV_SIZED(out, max, elem_sz, group_resv_regions(g, buf, max));
}

VFIOX_API int vfiox_container_resv_regions_sized(struct vfiox_container *c,
						 void *out, size_t max,
						 size_t elem_sz)
{
	RESV_SIZED(out, max, elem_sz, container_resv_regions(c, buf, max));
}
