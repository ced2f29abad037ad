// SPDX-License-Identifier: MIT
#define LOG_PREFIX "resv"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

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

VFIOX_API int vfiox_resv_parse(const char *text, size_t len, int group,
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

VFIOX_API int vfiox_group_resv_regions(struct vfiox_group *g,
				       struct vfiox_resv_region *out,
				       size_t max)
{
	const struct vfiox_env *env;
	char path[VFIOX_PATH_MAX + 64];
	char *text;
	ssize_t n;
	int ret;

	if (!g)
		return -EINVAL;
	env = &g->container->env;
	text = malloc(RESV_FILE_MAX);
	if (!text)
		return -ENOMEM;
	snprintf(path, sizeof(path), "%s/kernel/iommu_groups/%d/reserved_regions",
		 env->sysfs_root, g->nr);
	n = vfiox_sys_read_file(env->sys, path, text, RESV_FILE_MAX);
	if (n < 0) {
		pr_err("group %d: reading %s: %s", g->nr, path, ERRSTR((int)n));
		free(text);
		return (int)n;
	}
	ret = vfiox_resv_parse(text, (size_t)n, g->nr, out, max);
	free(text);
	return ret;
}
