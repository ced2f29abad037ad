// SPDX-License-Identifier: MIT
/*
 * Which backend a container drives: the caller's choice checked, the
 * environment's override (VFIOX_BACKEND), and the refusal of legacy-only
 * calls on iommufd.
 */
#define LOG_PREFIX "backend"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "internal.h"

static const char *const backend_names[] = {
	[VFIOX_BACKEND_AUTO] = "auto",
	[VFIOX_BACKEND_LEGACY] = "legacy",
	[VFIOX_BACKEND_IOMMUFD] = "iommufd",
};

int vfiox_backend_check(int want)
{
	if (want >= VFIOX_BACKEND_AUTO && want <= VFIOX_BACKEND_IOMMUFD)
		return 0;
	pr_err("opts->backend %d is none of auto (0), legacy (1), iommufd (2)", want);
	return -EINVAL;
}

/*
 * VFIOX_BACKEND, when set and not empty: the enum value, or -EINVAL
 * (logged); -ENOENT when unset. secure_getenv: a setuid or file-capability
 * helper linked with libvfiox is not steered by its caller's environment.
 */
int vfiox_backend_from_env(void)
{
	const char *env = secure_getenv("VFIOX_BACKEND");
	int i;

	if (!env || !*env)
		return -ENOENT;
	for (i = 0; i < (int)(sizeof(backend_names) / sizeof(backend_names[0])); i++)
		if (!strcmp(env, backend_names[i]))
			return i;
	pr_err("VFIOX_BACKEND='%s' is none of legacy, iommufd, auto", env);
	return -EINVAL;
}

bool vfiox_is_iommufd(const struct vfiox_container *c)
{
	return c->backend == &vfiox_backend_iommufd_ops;
}

int vfiox_backend_legacy_only(struct vfiox_container *c, const char *what)
{
	if (c->auto_pending) {
		pr_info("%s is legacy-only: auto keeps the legacy backend for this container",
			what);
		vfiox_container_keep_legacy(c);
	}
	if (!vfiox_is_iommufd(c))
		return 0;
	if (c->auto_chose)
		pr_err("%s: only the legacy backend has it; auto picked iommufd for this container (opts.backend = VFIOX_BACKEND_LEGACY, or VFIOX_BACKEND=legacy, keeps legacy)",
		       what);
	else
		pr_err("%s: only the legacy backend has it, this container is iommufd (open it with the legacy backend, or VFIOX_BACKEND=legacy)",
		       what);
	return -EOPNOTSUPP;
}

const char *vfiox_backend_way_out(const struct vfiox_container *c)
{
	return c->auto_chose ?
	       " (auto picked iommufd for this container: opts.backend = VFIOX_BACKEND_LEGACY, or VFIOX_BACKEND=legacy, keeps legacy)" :
	       " (open it with the legacy backend, or VFIOX_BACKEND=legacy)";
}

VFIOX_API int vfiox_container_backend(const struct vfiox_container *c)
{
	if (!c) {
		pr_err("vfiox_container_backend(): NULL container");
		return -EINVAL;
	}
	if (c->auto_pending)
		return VFIOX_BACKEND_AUTO;
	return vfiox_is_iommufd(c) ? VFIOX_BACKEND_IOMMUFD : VFIOX_BACKEND_LEGACY;
}
