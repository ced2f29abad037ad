// SPDX-License-Identifier: MIT
/*
 * Device requests: vfio-pci signals a device's request eventfd when the
 * device is being unbound or unplugged and waits until userspace lets go.
 * One thread per container polls the request eventfds of its devices and
 * runs the device's handler, or releases the device itself, so that an
 * unbind never hangs on a process that is not listening.
 */
#define LOG_PREFIX "req"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <stdatomic.h>
#include <sys/eventfd.h>
#include <sys/mman.h>

#include "internal.h"

#define MAX_WATCHED 64

struct vfiox_req_watch {
	const struct vfiox_sys *sys;
	pthread_t thread;
	int wake_fd;			/* eventfd: the set changed, or stop */
	int dead_fd;			/* eventfd dup'd over released devices */
	pthread_mutex_t lock;
	pthread_cond_t idle;
	bool stop;
	bool frees_itself;		/* stopped from its own handler */
	int nr;
	struct vfiox_device *devs[MAX_WATCHED];
	struct vfiox_device *busy;	/* whose handler runs now */
};

/*
 * The default answer: drop every reference libvfiox holds on the device
 * file. Region mappings are replaced in place by inaccessible memory, so
 * a stray pointer faults rather than reaching whatever is mapped there next.
 *
 * Caller threads may be inside a call on d->fd right now (they checked
 * `released` before we set it), so the fd is never closed here: closing it
 * would let the next open() in the process reuse the number, and their call
 * would reach that file. Instead a dead file (an eventfd, on which every
 * VFIO ioctl, pread, pwrite and mmap fails) takes the number over in one
 * dup2(): a call already in the kernel finishes on the device file, a later
 * one fails and, seeing `released`, returns -ENODEV. The number stays the
 * device's until vfiox_device_close(). The dead file is made when the
 * thread starts, not here: a process at its fd limit would fail to make it
 * now and keep the device (and the kernel's unbind) waiting, while a dup2()
 * onto a number already open needs no new one. So the hot paths (region access,
 * IRQ set-up) take no lock; only region mmap/munmap, which must not create a
 * mapping of the device file after this, share map_lock with us.
 */
static void release(struct vfiox_req_watch *w, struct vfiox_device *d)
{
	const struct vfiox_sys *sys = d->group->container->env.sys;
	bool let_go;
	uint32_t i;

	pr_info("%s: the kernel asks for the device back (unbind or unplug); releasing it",
		d->name);
	pthread_mutex_lock(&d->map_lock);
	for (i = 0; i < d->info.num_regions; i++) {
		struct vfiox_region *r = &d->regions[i];
		void *p;

		if (r->map && sys->mmap(&p, r->map, r->info.size, PROT_NONE,
					MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0))
			pr_err("%s: region %u stays mapped: the kernel will wait", d->name, i);
	}
	atomic_store(&d->released, true);
	let_go = w && sys->dup2(w->dead_fd, d->fd) >= 0;
	if (!let_go)
		pr_err("%s: cannot let go of the device file: the kernel will wait until it is closed",
		       d->name);
	pthread_mutex_unlock(&d->map_lock);
	if (let_go)	/* the device's file is closed: its dma-bufs are revoked */
		vfiox_dmabuf_revoke_all(d, "released");
}

static void handle(struct vfiox_req_watch *w, struct vfiox_device *d)
{
	if (vfiox_device_gone(d))
		return;
	if (d->req_fn)
		d->req_fn(d, d->req_arg);
	else
		release(w, d);
}

void vfiox_req_handle(struct vfiox_device *d)
{
	handle(d->group->container->req, d);
}

static void wake(struct vfiox_req_watch *w)
{
	uint64_t one = 1;
	ssize_t ret = w->sys->write(w->wake_fd, &one, sizeof(one));

	if (ret < 0)
		pr_err("waking the request thread: %s", ERRSTR((int)ret));
}

/* One poll round; the device whose request fired is handled unlocked. */
static void serve_once(struct vfiox_req_watch *w)
{
	struct pollfd p[MAX_WATCHED + 1];
	struct vfiox_device *fired = NULL;
	uint64_t v;
	int n, i;

	pthread_mutex_lock(&w->lock);
	p[0] = (struct pollfd){ .fd = w->wake_fd, .events = POLLIN };
	for (n = 0; n < w->nr; n++)
		p[n + 1] = (struct pollfd){ .fd = w->devs[n]->req_fd, .events = POLLIN };
	pthread_mutex_unlock(&w->lock);
	if (w->sys->poll(p, (nfds_t)n + 1, -1) <= 0)
		return;
	if (p[0].revents && w->sys->read(w->wake_fd, &v, sizeof(v)) < 0)
		return;
	pthread_mutex_lock(&w->lock);
	for (i = 0; i < n && i < w->nr && !fired; i++)
		if ((p[i + 1].revents & POLLIN) && w->devs[i]->req_fd == p[i + 1].fd &&
		    w->sys->read(p[i + 1].fd, &v, sizeof(v)) == sizeof(v))
			fired = w->devs[i];
	w->busy = fired;
	pthread_mutex_unlock(&w->lock);
	if (!fired)
		return;
	handle(w, fired);
	pthread_mutex_lock(&w->lock);
	w->busy = NULL;
	pthread_cond_broadcast(&w->idle);
	pthread_mutex_unlock(&w->lock);
}

static void destroy(struct vfiox_req_watch *w)
{
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->idle);
	w->sys->close(w->wake_fd);
	w->sys->close(w->dead_fd);
	free(w);
}

static void *serve(void *arg)
{
	struct vfiox_req_watch *w = arg;
	bool stop, frees_itself;

	for (;;) {
		pthread_mutex_lock(&w->lock);
		stop = w->stop;
		frees_itself = w->frees_itself;
		pthread_mutex_unlock(&w->lock);
		if (stop)
			break;
		serve_once(w);
	}
	if (frees_itself)
		destroy(w);
	return NULL;
}

static int start(struct vfiox_container *c)
{
	struct vfiox_req_watch *w = calloc(1, sizeof(*w));
	int ret;

	if (!w)
		return -ENOMEM;
	w->sys = c->env.sys;
	w->wake_fd = w->sys->eventfd(0, EFD_NONBLOCK);
	w->dead_fd = w->wake_fd < 0 ? -1 : w->sys->eventfd(0, 0);
	if (w->dead_fd < 0) {
		ret = w->wake_fd < 0 ? w->wake_fd : w->dead_fd;
		pr_err("the device request thread's eventfds: %s", ERRSTR(ret));
		goto fail;
	}
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->idle, NULL);
	ret = -pthread_create(&w->thread, NULL, serve, w);
	if (ret) {
		pr_err("starting the device request thread: %s", ERRSTR(ret));
		pthread_mutex_destroy(&w->lock);
		pthread_cond_destroy(&w->idle);
		goto fail;
	}
	c->req = w;
	return 0;
fail:
	if (w->dead_fd >= 0)
		w->sys->close(w->dead_fd);
	if (w->wake_fd >= 0)
		w->sys->close(w->wake_fd);
	free(w);
	return ret;
}

/* Enable @d's request IRQ into d->req_fd, if the device has one. */
static int enable_req(struct vfiox_device *d)
{
	struct vfiox_irq *irq;

	if (d->info.num_irqs <= VFIO_PCI_REQ_IRQ_INDEX ||
	    !(d->info.flags & VFIO_DEVICE_FLAGS_PCI))
		return 0;
	irq = &d->irqs[VFIO_PCI_REQ_IRQ_INDEX];
	if (!irq->info.count || !(irq->info.flags & VFIO_IRQ_INFO_EVENTFD))
		return 0;
	return vfiox_irq_enable(d, VFIO_PCI_REQ_IRQ_INDEX, 0, 1, &d->req_fd);
}

int vfiox_req_watch(struct vfiox_device *d)
{
	struct vfiox_container *c = d->group->container;
	struct vfiox_req_watch *w;
	int ret = enable_req(d);

	if (ret || d->req_fd < 0)
		return ret;
	if (!c->req) {
		ret = start(c);
		if (ret)
			return ret;
	}
	w = c->req;
	pthread_mutex_lock(&w->lock);
	ret = w->nr < MAX_WATCHED ? 0 : -ENOSPC;
	if (!ret)
		w->devs[w->nr++] = d;
	pthread_mutex_unlock(&w->lock);
	if (ret)
		pr_err("%s: more than %d devices in one container", d->name, MAX_WATCHED);
	else
		wake(w);
	return ret;
}

void vfiox_req_unwatch(struct vfiox_device *d)
{
	struct vfiox_req_watch *w = d->group->container->req;
	int i;

	if (!w || d->req_fd < 0)
		return;
	pthread_mutex_lock(&w->lock);
	for (i = 0; i < w->nr && w->devs[i] != d; i++)
		;
	if (i < w->nr)
		w->devs[i] = w->devs[--w->nr];
	/* Closing from the handler itself is fine; from elsewhere, wait. */
	while (w->busy == d && !pthread_equal(pthread_self(), w->thread))
		pthread_cond_wait(&w->idle, &w->lock);
	pthread_mutex_unlock(&w->lock);
	wake(w);
}

void vfiox_req_stop(struct vfiox_container *c)
{
	struct vfiox_req_watch *w = c->req;

	if (!w)
		return;
	c->req = NULL;
	pthread_mutex_lock(&w->lock);
	w->stop = true;
	/* A handler closing the whole container: the thread ends itself. */
	w->frees_itself = pthread_equal(pthread_self(), w->thread);
	pthread_mutex_unlock(&w->lock);
	if (w->frees_itself) {
		pthread_detach(w->thread);
		return;
	}
	wake(w);
	pthread_join(w->thread, NULL);
	destroy(w);
}
