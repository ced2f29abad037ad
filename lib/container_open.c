// SPDX-License-Identifier: MIT
/*
 * Opening a container: the backend its opts, the environment (VFIOX_BACKEND)
 * and auto choose, auto's choice at the first group open, and the two
 * versions of vfiox_container_open(), 0.1's keeping legacy. The container
 * itself (its IOMMU info, attach and detach, adoption) is container.c's.
 */
#define LOG_PREFIX "container"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>

#include "internal.h"

/*
 * The backend @opts ask for: its @backend field; a caller whose opts end
 * before it (built against 0.1), or a 0.1 binary (@v0_1), gets legacy for
 * auto, as 0.1 had only that. -EINVAL (logged) for a value not in the enum
 * or iommufd with a type1 @iommu_type: the opts are checked whatever the
 * environment says.
 */
static int opts_backend(const struct vfiox_container_opts *opts, bool v0_1)
{
	int want = VFIOX_OPTS_HAS(opts, backend) ? opts->backend :
		   opts ? VFIOX_BACKEND_LEGACY : VFIOX_BACKEND_AUTO;

	if (vfiox_backend_check(want))
		return -EINVAL;
	if (want == VFIOX_BACKEND_IOMMUFD && VFIOX_OPTS_HAS(opts, iommu_type) &&
	    opts->iommu_type) {
		pr_err("opts->iommu_type %d is a legacy (type1) choice; iommufd takes none",
		       opts->iommu_type);
		return -EINVAL;
	}
	if (v0_1 && want == VFIOX_BACKEND_AUTO)
		want = VFIOX_BACKEND_LEGACY;
	return want;
}

/*
 * The backend @c opens: the caller's (opts_backend()) unless VFIOX_BACKEND
 * overrides it. The administrator's iommufd wins over a caller's
 * iommu_type, which is dropped (logged); auto with an iommu_type is legacy,
 * the only backend that has one.
 */
static int wanted_backend(struct vfiox_container *c,
			  const struct vfiox_container_opts *opts, bool v0_1)
{
	int want = opts_backend(opts, v0_1), env;

	if (want < 0)
		return want;
	env = vfiox_backend_from_env();
	if (env == -EINVAL)
		return env;
	if (env >= 0)
		want = env;
	if (want == VFIOX_BACKEND_IOMMUFD && c->want_type) {
		pr_warn("VFIOX_BACKEND=iommufd: opts->iommu_type %d ignored (iommufd has no type1 IOMMU)",
			c->want_type);
		c->want_type = 0;
	}
	if (want == VFIOX_BACKEND_AUTO && c->want_type) {
		pr_debug("auto: opts->iommu_type %d asks for type1, so legacy", c->want_type);
		want = VFIOX_BACKEND_LEGACY;
	}
	return want;
}

/* Make @c an iommufd container on @fd with @ioas; @by_auto: auto chose it. */
static void become_iommufd(struct vfiox_container *c, int fd, uint32_t ioas,
			   bool by_auto)
{
	c->fd = fd;
	c->ioas = ioas;
	c->backend = &vfiox_backend_iommufd_ops;
	c->auto_chose = by_auto;
	c->want_type = 0;
}

/*
 * Open @c's legacy container node and check its API. With @quiet_absent a
 * missing node is a debug line only: auto goes on to iommufd.
 */
static int open_legacy(struct vfiox_container *c, bool quiet_absent)
{
	char path[VFIOX_PATH_MAX + 8];	/* dev_root + "/vfio" */
	int ret;

	snprintf(path, sizeof(path), "%s/vfio", c->env.dev_root);
	ret = c->env.sys->open(path, O_RDWR);
	if (ret < 0) {
		if (ret == -ENOENT && quiet_absent)
			pr_debug("open %s: %s; trying iommufd", path, ERRSTR(ret));
		else
			pr_err("open %s: %s", path, ERRSTR(ret));
		return ret;
	}
	c->fd = ret;
	ret = vfiox_container_check_api(c, path);
	if (ret) {
		c->env.sys->close(c->fd);
		c->fd = -1;
	}
	return ret;
}

/*
 * Auto where the kernel has no legacy container node (VFIO_CONTAINER
 * off): iommufd if /dev/iommu opens and device cdevs exist, else -ENOENT.
 */
static int open_auto_without_container(struct vfiox_container *c, int cdevs)
{
	int fd = -1, ret = cdevs ? vfiox_iommufd_open(&c->env, true, &fd, &c->ioas) : 1;

	if (!ret) {
		become_iommufd(c, fd, c->ioas, true);
		pr_info("auto: iommufd (no %s/vfio; /dev/iommu fd %d, IOAS %u)",
			c->env.dev_root, fd, c->ioas);
		return 0;
	}
	if (ret < 0)
		return ret;
	pr_err("%s/vfio: no such node, and no iommufd to use instead",
	       c->env.dev_root);
	return -ENOENT;
}

/*
 * Auto: the legacy container is opened and checked now; where the kernel
 * also has device cdevs, which backend @c drives is decided at the first
 * group open (vfiox_container_settle()), when the devices are known. Until
 * then @c is a legacy container that hides its fd.
 */
static int open_auto(struct vfiox_container *c)
{
	int cdevs = vfiox_iommufd_offered(&c->env), ret;

	if (cdevs < 0)
		return cdevs;
	ret = open_legacy(c, true);
	if (ret == -ENOENT)
		return open_auto_without_container(c, cdevs);
	if (ret)
		return ret;
	c->auto_pending = cdevs > 0;
	if (!cdevs)
		pr_debug("auto: legacy (no VFIO device cdevs)");
	return 0;
}

void vfiox_container_keep_legacy(struct vfiox_container *c)
{
	c->auto_pending = false;
}

int vfiox_container_settle(struct vfiox_container *c, int group_nr)
{
	int fd, ret;
	uint32_t ioas;

	if (!c->auto_pending)
		return 0;
	ret = vfiox_iommufd_group_usable(&c->env, group_nr);
	if (ret == -ENOENT)
		return 0;	/* no such group: its open fails, the choice waits */
	if (ret < 0)
		return ret;	/* nothing changed: a retry asks again */
	ret = ret > 0 ? vfiox_iommufd_open(&c->env, true, &fd, &ioas) : 1;
	if (ret < 0)
		return ret;
	c->auto_pending = false;
	if (ret) {
		pr_info("auto: legacy for group %d (no usable cdev in it, or no /dev/iommu for us)",
			group_nr);
		return 0;
	}
	c->env.sys->close(c->fd);	/* the legacy container, never used */
	become_iommufd(c, fd, ioas, true);
	pr_info("auto: iommufd for group %d (/dev/iommu fd %d, IOAS %u)", group_nr,
		fd, ioas);
	return 0;
}

static int open_forced_iommufd(struct vfiox_container *c)
{
	int fd, ret;
	uint32_t ioas;

	ret = vfiox_iommufd_open(&c->env, false, &fd, &ioas);
	if (!ret) {
		become_iommufd(c, fd, ioas, false);
		pr_debug("container: iommufd fd %d, IOAS %u", fd, ioas);
	}
	return ret;
}

static int container_open(const struct vfiox_container_opts *opts,
			  const struct vfiox_sys *sys, bool v0_1,
			  struct vfiox_container **out)
{
	struct vfiox_container *c;
	int ret, want;

	if (!out) {
		pr_err("open: NULL out pointer");
		return -EINVAL;
	}
	ret = vfiox_container_new(opts, sys, &c);	/* checks @opts first */
	if (ret)
		return ret;
	want = wanted_backend(c, opts, v0_1);
	if (want == VFIOX_BACKEND_AUTO)
		ret = open_auto(c);
	else if (want == VFIOX_BACKEND_IOMMUFD)
		ret = open_forced_iommufd(c);
	else if (want == VFIOX_BACKEND_LEGACY)
		ret = open_legacy(c, false);
	else
		ret = want;
	if (ret < 0) {
		vfiox_container_free(c);
		return ret;
	}
	*out = c;
	return 0;
}

int vfiox_container_open_sys(const struct vfiox_container_opts *opts,
			     const struct vfiox_sys *sys,
			     struct vfiox_container **out)
{
	return container_open(opts, sys, false, out);
}

int vfiox_container_open_sys_0_1(const struct vfiox_container_opts *opts,
				 const struct vfiox_sys *sys,
				 struct vfiox_container **out)
{
	return container_open(opts, sys, true, out);
}

/*
 * vfiox_container_open() has two versions, both named here rather than by
 * the version script: @@LIBVFIOX_0.2, the default, which programs linked
 * now get (and a static link finds under the plain name), and
 * @LIBVFIOX_0.1, which binaries linked against 0.1 keep: 0.1 had only the
 * legacy backend, so their auto (NULL opts) stays legacy, and a kernel
 * that gained iommufd does not move them.
 */
#define VFIOX_SYMVER(impl, name) __asm__(".symver " #impl ", " name)

VFIOX_API int vfiox_container_open_0_2(const struct vfiox_container_opts *opts,
				       struct vfiox_container **out);
VFIOX_SYMVER(vfiox_container_open_0_2, "vfiox_container_open@@LIBVFIOX_0.2");
VFIOX_API int vfiox_container_open_0_2(const struct vfiox_container_opts *opts,
				       struct vfiox_container **out)
{
	return vfiox_container_open_sys(opts, &vfiox_sys_real, out);
}

VFIOX_API int vfiox_container_open_0_1(const struct vfiox_container_opts *opts,
				       struct vfiox_container **out);
VFIOX_SYMVER(vfiox_container_open_0_1, "vfiox_container_open@LIBVFIOX_0.1");
VFIOX_API int vfiox_container_open_0_1(const struct vfiox_container_opts *opts,
				       struct vfiox_container **out)
{
	return vfiox_container_open_sys_0_1(opts, &vfiox_sys_real, out);
}

