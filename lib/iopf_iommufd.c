// SPDX-License-Identifier: MIT
/*
 * I/O page faults on the iommufd backend, behind vfiox/iopf.h. Enabling
 * allocates a fault queue (IOMMU_FAULT_QUEUE_ALLOC) and a HWPT on the IOAS
 * that sends its faults there (IOMMU_HWPT_ALLOC with FAULT_ID_VALID), and
 * moves every device of the container onto it; a thread of libvfiox reads
 * the page requests from the queue's fd and answers each group.
 *
 * iommufd pins what IOMMU_IOAS_MAP maps and puts it in every HWPT of the
 * IOAS, so a mapped IOVA is in the page table already: a request for one
 * is answered SUCCESS (the device retries and finds it; it asked before
 * the map reached the table, or after an ATC invalidation). A request
 * outside every mapping of libvfiox's, or a write to a read-only one, is
 * answered INVALID: nothing will be there, and a SUCCESS would only make
 * the device ask again. What the mode changes on iommufd is therefore who
 * answers a device's page requests, not what is pinned (docs/iommufd.md).
 */
#define LOG_PREFIX "iopf"
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>

#include "internal.h"
#include "uapi_iommufd.h"

/* Records read at once. The kernel hands out whole groups only, and keeps
 * a group that does not fit for a later read: a read must hold the
 * largest group a device sends (PRI groups are a few pages; 10 KiB here). */
#define BATCH 256

struct vfiox_fault_queue {
	struct vfiox_container *c;
	const struct vfiox_sys *sys;
	pthread_t thread;
	int fd;			/* the fault queue's */
	int stop_fd;		/* eventfd: stop */
	uint32_t id;		/* the fault object */
	/* The group being read: INVALID once one of its requests is. */
	bool group_bad;
	/* Answered groups, for the tests and the log. */
	atomic_ulong success, invalid;
};

/* Is the page of @f mapped by libvfiox with the access it asks for? */
static bool mapped(struct vfiox_container *c, const struct vfiox_iommu_hwpt_pgfault *f)
{
	return vfiox_dma_allows(c, f->addr, f->perm & VFIOX_IOMMU_PGFAULT_PERM_WRITE);
}

static void answer(struct vfiox_fault_queue *q, const struct vfiox_iommu_hwpt_pgfault *f)
{
	struct vfiox_iommu_hwpt_page_response r = {
		.cookie = f->cookie,
		.code = q->group_bad ? VFIOX_IOMMUFD_PAGE_RESP_INVALID :
			VFIOX_IOMMUFD_PAGE_RESP_SUCCESS,
	};
	ssize_t ret = q->sys->write(q->fd, &r, sizeof(r));

	if (ret != (ssize_t)sizeof(r))
		pr_err("answering page request group %u (cookie %u): %s", f->grpid,
		       f->cookie, ret < 0 ? ERRSTR((int)ret) : "short write");
	else if (q->group_bad)
		atomic_fetch_add(&q->invalid, 1);
	else
		atomic_fetch_add(&q->success, 1);
	q->group_bad = false;
}

static void serve(struct vfiox_fault_queue *q, const struct vfiox_iommu_hwpt_pgfault *f)
{
	if (!mapped(q->c, f)) {
		pr_info("page request of device %u%s at IOVA 0x%llx (%s): no mapping of libvfiox's allows it, answered Invalid",
			f->dev_id,
			f->flags & VFIOX_IOMMU_PGFAULT_FLAGS_PASID_VALID ? " (PASID)" : "",
			(unsigned long long)f->addr,
			f->perm & VFIOX_IOMMU_PGFAULT_PERM_WRITE ? "write" : "read");
		q->group_bad = true;
	}
	if (f->flags & VFIOX_IOMMU_PGFAULT_FLAGS_LAST_PAGE)
		answer(q, f);
}

/* One wait: false when the thread is to end. */
static bool serve_once(struct vfiox_fault_queue *q)
{
	struct vfiox_iommu_hwpt_pgfault buf[BATCH];
	struct pollfd p[2] = {
		{ .fd = q->stop_fd, .events = POLLIN },
		{ .fd = q->fd, .events = POLLIN },
	};
	ssize_t n;
	size_t i;
	int ret = q->sys->poll(p, 2, -1);

	if (ret == -EINTR || ret == 0)
		return true;
	if (ret < 0) {
		pr_err("waiting for page requests: %s; no more are answered", ERRSTR(ret));
		return false;
	}
	if (p[0].revents)
		return false;
	if (!(p[1].revents & POLLIN)) {
		if (p[1].revents) {
			pr_err("the fault queue's fd reports 0x%x; no more page requests are answered",
			       p[1].revents);
			return false;
		}
		return true;
	}
	n = q->sys->read(q->fd, buf, sizeof(buf));
	if (n == -EINTR || n == -EAGAIN)
		return true;
	if (n < 0 || n % (ssize_t)sizeof(buf[0])) {
		pr_err("reading the fault queue: %s; no more page requests are answered",
		       n < 0 ? ERRSTR((int)n) : "a part of a record");
		return false;
	}
	for (i = 0; i < (size_t)n / sizeof(buf[0]); i++)
		serve(q, &buf[i]);
	return true;
}

static void *fault_thread(void *arg)
{
	struct vfiox_fault_queue *q = arg;

	while (serve_once(q))
		;
	return NULL;
}

/* The kernel's answers that mean "not this IOMMU, not this device". */
static bool refusal(int err)
{
	return err == -EOPNOTSUPP || err == -ENODEV || err == -EINVAL;
}

/* Put devices back on their home page table (the IOAS, or the HWPT made for
 * their PASIDs), up to (not including) @upto (NULL: all). */
static void back_to_ioas(struct vfiox_container *c, const struct vfiox_device *upto)
{
	struct vfiox_group *g;
	struct vfiox_device *d;
	uint32_t hwpt;

	for (g = c->groups; g; g = g->next)
		for (d = g->devices; d; d = d->next) {
			if (d == upto)
				return;
			if (vfiox_device_gone(d))
				continue;
			if (!vfiox_iommufd_attach(d, vfiox_iommufd_home(d), &hwpt))
				d->hwpt = hwpt;
			else
				pr_err("%s stays on the fault-capable HWPT %u", d->name,
				       c->iopf_hwpt);
		}
}

/* Every live device of @c onto @hwpt; on a failure the ones moved go back. */
static int move_devices(struct vfiox_container *c, uint32_t hwpt)
{
	struct vfiox_group *g;
	struct vfiox_device *d;
	uint32_t got;
	int ret;

	for (g = c->groups; g; g = g->next)
		for (d = g->devices; d; d = d->next) {
			if (vfiox_device_gone(d))
				continue;
			ret = vfiox_iommufd_attach(d, hwpt, &got);
			if (ret) {
				/*
				 * The kernel keeps @d on its page table after a
				 * failed attach, but Linux 7.2's VT-d driver
				 * blocks its DMA first and leaves it blocked
				 * (intel_iommu_attach_device()): detach it and
				 * attach it to the IOAS again.
				 */
				pr_info("%s: attaching it to the IOAS again after the refusal",
					d->name);
				vfiox_iommufd_reattach(d);
				back_to_ioas(c, d);
				return ret;
			}
			d->hwpt = got;
		}
	return 0;
}

static struct vfiox_device *first_device(const struct vfiox_container *c)
{
	struct vfiox_group *g;
	struct vfiox_device *d;

	for (g = c->groups; g; g = g->next)
		for (d = g->devices; d; d = d->next)
			if (!vfiox_device_gone(d))
				return d;
	return NULL;
}

static void free_queue(struct vfiox_container *c, struct vfiox_fault_queue *q)
{
	if (q->fd >= 0)
		c->env.sys->close(q->fd);
	if (q->stop_fd >= 0)
		c->env.sys->close(q->stop_fd);
	free(q);
}

/*
 * Could a live device of @c attach PASIDs (@strict: has one attached)? The
 * fault-capable HWPT must then take them (IOMMU_HWPT_ALLOC_PASID): the
 * kernel moves no device with PASIDs attached onto a HWPT that does not,
 * and attaches none later while the device's own DMA goes through one.
 * 1 or 0, or -errno of a failed IOMMU_GET_HW_INFO (logged).
 */
static int pasids_wanted(const struct vfiox_container *c, bool strict)
{
	const struct vfiox_group *g;
	const struct vfiox_device *d;
	int bits;

	for (g = c->groups; g; g = g->next)
		for (d = g->devices; d; d = d->next) {
			if (vfiox_device_gone(d))
				continue;
			if (d->home_hwpt)
				return 1;
			bits = strict ? 0 : vfiox_pasid_width(d);
			if (bits < -1)
				return bits;
			if (bits > 0)
				return 1;
		}
	return 0;
}

static int fault_hwpt_alloc(struct vfiox_container *c, const struct vfiox_device *d,
			    uint32_t fault, uint32_t *hwpt)
{
	const uint32_t flags = VFIOX_IOMMU_HWPT_FAULT_ID_VALID;
	int ret = pasids_wanted(c, false);

	if (ret < 0)
		return ret;
	c->iopf_pasid = ret;
	if (!c->iopf_pasid)
		return vfiox_iommufd_hwpt_alloc(c, d->devid, flags, fault, hwpt);
	ret = vfiox_iommufd_hwpt_alloc(c, d->devid, flags | VFIOX_IOMMU_HWPT_ALLOC_PASID,
				       fault, hwpt);
	/* An IOMMU that refuses the flag, or whose PASID-capable tables cover
	 * less than the IOAS maps (AMD-Vi's v2 tables: EADDRINUSE): no PASID
	 * is attached yet, go on without. */
	if (ret == -EADDRINUSE)
		pr_info("a mapping of the IOAS lies outside what a PASID-capable page table of this IOMMU covers (AMD-Vi's v2 tables reach 47 bits)");
	if (!ret || (ret != -EOPNOTSUPP && ret != -EINVAL && ret != -EADDRINUSE) ||
	    pasids_wanted(c, true))
		return ret;
	pr_info("the fault-capable HWPT is made without PASIDs, none being attached yet");
	c->iopf_pasid = false;
	return vfiox_iommufd_hwpt_alloc(c, d->devid, flags, fault, hwpt);
}

/* The fault queue's object, its fd closed first: the fd holds the object,
 * so IOMMU_DESTROY with it open is EBUSY and the object stays. */
static void destroy_queue(struct vfiox_container *c, struct vfiox_fault_queue *q)
{
	if (q->fd >= 0)
		c->env.sys->close(q->fd);
	q->fd = -1;
	vfiox_iommufd_destroy(c, q->id);
}

/* The kernel objects and the HWPT, with every device on it. @may_refuse:
 * whether a failure may be the IOMMU's refusal (not the ranges' read). */
static int build(struct vfiox_container *c, struct vfiox_fault_queue *q,
		 const struct vfiox_device *d, bool *may_refuse)
{
	uint32_t hwpt;
	int ret;

	ret = vfiox_iommufd_fault_alloc(c, &q->id, &q->fd);
	if (ret)
		return ret;
	ret = fault_hwpt_alloc(c, d, q->id, &hwpt);
	if (ret) {
		destroy_queue(c, q);
		return ret;
	}
	ret = move_devices(c, hwpt);
	if (ret) {
		vfiox_iommufd_destroy(c, hwpt);
		destroy_queue(c, q);
		return ret;
	}
	c->iopf_hwpt = hwpt;
	/* The new domain's aperture may have narrowed the IOAS. */
	ret = vfiox_container_reread_ranges(c, "the fault-capable HWPT was added");
	if (ret) {
		*may_refuse = false;
		back_to_ioas(c, NULL);
		vfiox_iommufd_destroy(c, hwpt);
		destroy_queue(c, q);
		c->iopf_hwpt = 0;
		vfiox_container_reread_ranges(c, "the fault-capable HWPT was dropped");
	}
	return ret;
}

int vfiox_iopf_iommufd_enable(struct vfiox_container *c)
{
	struct vfiox_device *d = first_device(c);
	struct vfiox_fault_queue *q;
	bool may_refuse = true;
	int ret;

	if (c->faultq)
		return 0;
	if (!d) {
		pr_err("enable: on iommufd the fault-capable page table is made for a device: open one first");
		return -EINVAL;
	}
	q = calloc(1, sizeof(*q));
	if (!q) {
		pr_err("enable: no memory");
		return -ENOMEM;
	}
	q->c = c;
	q->sys = c->env.sys;
	q->fd = -1;
	q->stop_fd = c->env.sys->eventfd(0, EFD_CLOEXEC);
	if (q->stop_fd < 0) {
		ret = q->stop_fd;
		pr_err("enable: eventfd: %s", ERRSTR(ret));
		free_queue(c, q);
		return ret;
	}
	ret = build(c, q, d, &may_refuse);
	if (!ret) {
		ret = -pthread_create(&q->thread, NULL, fault_thread, q);
		if (ret) {
			pr_err("enable: the page request thread: %s", ERRSTR(ret));
			back_to_ioas(c, NULL);
			vfiox_iommufd_destroy(c, c->iopf_hwpt);
			destroy_queue(c, q);
			c->iopf_hwpt = 0;
		}
	}
	if (ret) {
		free_queue(c, q);
		if (may_refuse && refusal(ret)) {
			c->iopf_refused = ret;
			if (!vfiox_iopf_count_lacking(c))
				pr_err("the IOMMU refused I/O page faults for a device of the container (%s)",
				       ERRSTR(ret));
			ret = -EOPNOTSUPP;
		}
		pr_err("the container stays in pinned mode, its devices on IOAS %u", c->ioas);
		return ret;
	}
	c->faultq = q;
	c->iopf_refused = 0;
	pr_info("I/O page faults on: devices on HWPT %u, page requests from fault queue %u",
		c->iopf_hwpt, q->id);
	return 0;
}

int vfiox_iopf_iommufd_reason(struct vfiox_container *c)
{
	uint32_t id;
	int fd, ret;

	if (vfiox_iopf_count_lacking(c))
		return VFIOX_FEATURE_NO_DEVICE_CAP;
	if (c->faultq)
		return VFIOX_FEATURE_AVAILABLE;
	/* The kernel's fault queue, tried and given back. */
	ret = vfiox_iommufd_fault_alloc(c, &id, &fd);
	if (ret == -ENOTTY)
		return VFIOX_FEATURE_NO_KERNEL;
	if (ret)
		return ret;
	c->env.sys->close(fd);
	ret = vfiox_iommufd_destroy(c, id);
	if (ret)
		return ret;
	if (c->iopf_refused) {
		pr_err("the IOMMU refused I/O page faults at the last enable (%s)",
		       ERRSTR(c->iopf_refused));
		return VFIOX_FEATURE_IOMMU_REFUSED;
	}
	return VFIOX_FEATURE_AVAILABLE;
}

void vfiox_iopf_iommufd_stop(struct vfiox_container *c)
{
	struct vfiox_fault_queue *q = c->faultq;
	uint64_t one = 1;

	ssize_t ret;

	if (!q)
		return;
	do	/* an eventfd's write fails only when interrupted */
		ret = c->env.sys->write(q->stop_fd, &one, sizeof(one));
	while (ret == -EINTR);
	if (ret != sizeof(one))
		pr_err("stopping the page request thread: %s; waiting for it anyway",
		       ret < 0 ? ERRSTR((int)ret) : "short write");
	pthread_join(q->thread, NULL);
	pr_debug("page request groups answered: %lu Success, %lu Invalid",
		 atomic_load(&q->success), atomic_load(&q->invalid));
	c->faultq = NULL;
	free_queue(c, q);	/* the HWPT and the queue go with the iommufd */
}

unsigned long vfiox_iopf_iommufd_answered(const struct vfiox_container *c, bool success)
{
	if (!c->faultq)
		return 0;
	return success ? atomic_load(&c->faultq->success) : atomic_load(&c->faultq->invalid);
}
