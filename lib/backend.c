// SPDX-License-Identifier: MIT
/*
 * Which backend a container drives: the caller's choice, the environment's
 * override (VFIOX_BACKEND), and the refusal of legacy-only calls on
 * iommufd.
 */
#define LOG_PREFIX "backend"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "internal.h"

int vfiox_backend_wanted(int want)
{
	static const char *const names[] = {
		[VFIOX_BACKEND_AUTO] = "auto",
		[VFIOX_BACKEND_LEGACY] = "legacy",
		[VFIOX_BACKEND_IOMMUFD] = "iommufd",
	};
	const char *env = getenv("VFIOX_BACKEND");
	int i;

	if (!env) {
		if (want < VFIOX_BACKEND_AUTO || want > VFIOX_BACKEND_IOMMUFD) {
			pr_err("opts->backend %d is none of auto (0), legacy (1), iommufd (2)",
			       want);
			return -EINVAL;
		}
		return want;
	}
	for (i = 0; i < (int)(sizeof(names) / sizeof(names[0])); i++)
		if (!strcmp(env, names[i]))
			return i;
	pr_err("VFIOX_BACKEND='%s' is none of legacy, iommufd, auto", env);
	return -EINVAL;
}

bool vfiox_is_iommufd(const struct vfiox_container *c)
{
	return c->backend == &vfiox_backend_iommufd_ops;
}

int vfiox_backend_legacy_only(const struct vfiox_container *c, const char *what)
{
	if (!vfiox_is_iommufd(c))
		return 0;
	pr_err("%s: only the legacy backend has it, this container is iommufd (open it with the legacy backend, or VFIOX_BACKEND=legacy)",
	       what);
	return -EOPNOTSUPP;
}

VFIOX_API int vfiox_container_backend(const struct vfiox_container *c)
{
	if (!c)
		return -EINVAL;
	return vfiox_is_iommufd(c) ? VFIOX_BACKEND_IOMMUFD : VFIOX_BACKEND_LEGACY;
}
