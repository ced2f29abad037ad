// SPDX-License-Identifier: MIT
/*
 * Is an adopted fd what its caller says it is? A group fd names its group
 * only by its device number (the node /dev/vfio/N), which sysfs gives for
 * every group; a device fd names its device in /proc/self/fdinfo, on
 * kernels that print "vfio-device-syspath" there (7.2 does; older ones do
 * not), and the device's iommu_group link names its group. Where the kernel
 * or the sandbox (no /proc, no /sys) cannot tell, the caller's word stands,
 * and the log says so.
 */
#define LOG_PREFIX "adopt"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "internal.h"

#define FDINFO_MAX 4096
#define SYSPATH_KEY "vfio-device-syspath: "

/* The files that say nothing when absent: no sysfs or proc mounted, or a
 * sandbox that hides them. */
static bool unreadable(int err)
{
	return err == -ENOENT || err == -EACCES || err == -EPERM;
}

static int ignore_entry(void *arg, const char *name)
{
	(void)arg;
	(void)name;
	return 0;
}

/* "<sysfs>/class/vfio/<nr>/dev" as a device number; 1 when sysfs cannot
 * say (no such file in a missing class directory), -EINVAL when the class
 * is there without group @nr. */
static int group_devnum(const struct vfiox_env *env, int nr, dev_t *devnum)
{
	char path[VFIOX_PATH_MAX + 48], text[32];
	unsigned int maj, min;
	ssize_t n;
	int ret;

	snprintf(path, sizeof(path), "%s/class/vfio/%d/dev", env->sysfs_root, nr);
	n = vfiox_sys_read_file(env->sys, path, text, sizeof(text));
	if (n == -ENOENT) {
		snprintf(path, sizeof(path), "%s/class/vfio", env->sysfs_root);
		ret = env->sys->list_dir(path, ignore_entry, NULL);
		if (!ret) {
			pr_err("group %d: there is no such VFIO group (%s/%d)", nr, path, nr);
			return -EINVAL;
		}
		if (!unreadable(ret)) {
			pr_err("group %d: listing %s: %s", nr, path, ERRSTR(ret));
			return ret;
		}
	}
	if (unreadable((int)n)) {
		pr_warn("group %d: cannot read %s (%s): the group fd is taken to be "
			"group %d unchecked", nr, path, ERRSTR((int)n), nr);
		return 1;
	}
	if (n < 0) {
		pr_err("group %d: reading %s: %s", nr, path, ERRSTR((int)n));
		return (int)n;
	}
	if (sscanf(text, "%u:%u", &maj, &min) != 2) {
		pr_err("group %d: %s holds '%s', not MAJOR:MINOR", nr, path, text);
		return -EPROTO;
	}
	*devnum = makedev(maj, min);
	return 0;
}

int vfiox_check_group_fd(const struct vfiox_env *env, int fd, int nr)
{
	dev_t has = 0, want = 0;
	int ret = env->sys->fd_rdev(fd, &has);

	if (ret) {
		pr_err("group %d: fstat of fd %d: %s", nr, fd, ERRSTR(ret));
		return ret;
	}
	ret = group_devnum(env, nr, &want);
	if (ret)
		return ret > 0 ? 0 : ret;
	if (has != want) {
		pr_err("fd %d is not the node of group %d: device %u:%u, the group's is "
		       "%u:%u%s", fd, nr, major(has), minor(has), major(want),
		       minor(want), has ? "" : " (not a character device)");
		return -EINVAL;
	}
	return 0;
}

/*
 * The device path in @fd's fdinfo into @path (whose room, FDINFO_MAX, any
 * line of a text read into FDINFO_MAX bytes fits); 1 if the kernel does
 * not print one, /proc cannot be read, or the text is too long to hold
 * whole, else 0 or a negative errno.
 */
static int fdinfo_syspath(const struct vfiox_env *env, int fd,
			  char path[FDINFO_MAX])
{
	char name[48], *text, *line;
	ssize_t got;

	text = malloc(FDINFO_MAX);
	if (!text) {
		pr_err("fd %d: no memory for its fdinfo", fd);
		return -ENOMEM;
	}
	snprintf(name, sizeof(name), "/proc/self/fdinfo/%d", fd);
	got = vfiox_sys_read_file(env->sys, name, text, FDINFO_MAX);
	line = got >= 0 ? strstr(text, SYSPATH_KEY) : NULL;
	if (got == -EFBIG)	/* many locks on it, or a path of ~4 KiB */
		pr_warn("%s is longer than %d bytes: its device is not compared, the caller vouches for fd %d",
			name, FDINFO_MAX - 1, fd);
	else if (got < 0 && !unreadable((int)got))
		pr_err("reading %s: %s", name, ERRSTR((int)got));
	else if (!line)
		pr_debug("%s names no VFIO device (%s): the caller vouches for fd %d",
			 name, got < 0 ? ERRSTR((int)got) : "an older kernel", fd);
	if (line) {
		line += strlen(SYSPATH_KEY);
		snprintf(path, FDINFO_MAX, "%.*s", (int)strcspn(line, "\n"), line);
	}
	free(text);
	if (got < 0 && got != -EFBIG && !unreadable((int)got))
		return (int)got;
	return line ? 0 : 1;
}

/* The group of the device at @syspath, as its iommu_group link says; 1 if
 * sysfs cannot be read. */
static int syspath_group(const struct vfiox_env *env, const char *syspath,
			 int *nr)
{
	char path[VFIOX_PATH_MAX + FDINFO_MAX + 16], name[32], *end;
	const char *rel = strncmp(syspath, "/sys/", 5) ? syspath : syspath + 4;
	long v;
	int ret;

	snprintf(path, sizeof(path), "%s%s/iommu_group", env->sysfs_root, rel);
	ret = vfiox_sys_link_name(env->sys, path, name, sizeof(name));
	if (unreadable(ret)) {
		pr_debug("cannot read %s (%s): the device's group is not checked",
			 path, ERRSTR(ret));
		return 1;
	}
	if (ret) {
		pr_err("reading %s: %s", path, ERRSTR(ret));
		return ret;
	}
	v = strtol(name, &end, 10);
	if (*end || end == name || v < 0 || v > INT32_MAX) {
		pr_err("%s ends in '%s'", path, name);
		return -EPROTO;
	}
	*nr = (int)v;
	return 0;
}

int vfiox_check_device_fd(const struct vfiox_env *env, int fd, const char *name,
			  int group_nr)
{
	char syspath[FDINFO_MAX];	/* as long as any line of fdinfo */
	const char *base;
	int ret, nr = -1;

	ret = fdinfo_syspath(env, fd, syspath);
	if (ret)
		return ret > 0 ? 0 : ret;
	base = strrchr(syspath, '/');
	base = base ? base + 1 : syspath;
	if (strcmp(base, name)) {
		pr_err("fd %d is device %s (%s), not %s", fd, base, syspath, name);
		return -EINVAL;
	}
	ret = syspath_group(env, syspath, &nr);
	if (ret)
		return ret > 0 ? 0 : ret;
	if (nr != group_nr) {
		pr_err("fd %d is %s of group %d, not of group %d", fd, name, nr,
		       group_nr);
		return -EINVAL;
	}
	return 0;
}

/*
 * Which type1 an adopted container's IOMMU is (VFIO_IOMMU_GET_INFO does not
 * say): VFIO_IOMMU_DIRTY_PAGES tells. Type1 refuses it on a v1 container
 * with EACCES before it reads the argument; v2 reads it and refuses argsz 0
 * with EINVAL. iommufd's compat container (and a kernel before 5.8) lacks
 * the ioctl: ENOTTY, which tells nothing; then 0.
 */
static int probe_type1_version(const struct vfiox_sys *sys, int fd)
{
	struct vfio_iommu_type1_dirty_bitmap probe = { .argsz = 0 };
	int ret = sys->ioctl(fd, VFIO_IOMMU_DIRTY_PAGES, &probe);

	if (ret == -EACCES)
		return VFIO_TYPE1_IOMMU;
	if (ret == -EINVAL)
		return VFIO_TYPE1v2_IOMMU;
	if (ret == -ENOTTY || ret >= 0)
		return 0;
	pr_err("adopted container fd %d: VFIO_IOMMU_DIRTY_PAGES (type probe): %s",
	       fd, ERRSTR(ret));
	return ret;
}

int vfiox_adopted_iommu_type(const struct vfiox_sys *sys, int fd, int want)
{
	int type = probe_type1_version(sys, fd);

	if (type < 0)
		return type;
	if (type && want && want != type) {
		pr_err("adopted container fd %d: its IOMMU is %s, opts->iommu_type "
		       "says %s", fd, type == VFIO_TYPE1_IOMMU ? "type1" : "type1v2",
		       want == VFIO_TYPE1_IOMMU ? "type1" : "type1v2");
		return -EINVAL;
	}
	if (!type && !want)
		pr_debug("adopted container fd %d: the kernel does not tell type1 "
			 "from type1v2 (iommufd compat?): type1v2 assumed", fd);
	return type ? type : want ? want : VFIO_TYPE1v2_IOMMU;
}
