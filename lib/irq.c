// SPDX-License-Identifier: MIT
#define LOG_PREFIX "irq"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>

#include "internal.h"

static struct vfiox_irq *get_irq(struct vfiox_device *d, uint32_t index)
{
	if (!d)
		return NULL;
	if (index >= d->info.num_irqs) {
		pr_err("%s: IRQ index %u, the device has %u", d->name, index,
		       d->info.num_irqs);
		return NULL;
	}
	return &d->irqs[index];
}

static int set_irqs(struct vfiox_device *d, uint32_t index, uint32_t flags,
		    uint32_t start, uint32_t count, const int *fds)
{
	size_t data = (flags & VFIO_IRQ_SET_DATA_EVENTFD) ? count * sizeof(int32_t) : 0;
	struct vfio_irq_set *set;
	uint32_t i;
	int ret;

	set = calloc(1, sizeof(*set) + data);
	if (!set)
		return -ENOMEM;
	set->argsz = (uint32_t)(sizeof(*set) + data);
	set->flags = flags;
	set->index = index;
	set->start = start;
	set->count = count;
	for (i = 0; data && i < count; i++) {
		int32_t fd = fds[i];

		memcpy(set->data + i * sizeof(fd), &fd, sizeof(fd));
	}
	ret = d->group->container->env.sys->ioctl(d->fd, VFIO_DEVICE_SET_IRQS, set);
	free(set);
	if (ret < 0 && vfiox_device_gone(d))
		return vfiox_device_check_live(d);
	if (ret < 0)
		pr_err("%s: VFIO_DEVICE_SET_IRQS(index %u, flags 0x%x, %u+%u): %s",
		       d->name, index, flags, start, count, ERRSTR(ret));
	return ret < 0 ? ret : 0;
}

static struct vfiox_irq *check_range(struct vfiox_device *d, uint32_t index,
				     uint32_t start, uint32_t count)
{
	struct vfiox_irq *irq = get_irq(d, index);

	if (!irq)
		return NULL;
	if (!(irq->info.flags & VFIO_IRQ_INFO_EVENTFD)) {
		pr_err("%s: IRQ index %u cannot signal an eventfd", d->name,
		       index);
		return NULL;
	}
	if (!count || start >= irq->info.count ||
	    count > irq->info.count - start) {
		pr_err("%s: IRQ index %u vectors %u+%u, the device has %u",
		       d->name, index, start, count, irq->info.count);
		return NULL;
	}
	if (irq->owned_fds) {
		pr_err("%s: IRQ index %u is enabled by libvfiox; disable it first",
		       d->name, index);
		return NULL;
	}
	return irq;
}

static void close_fds(const struct vfiox_sys *sys, int *fds, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		sys->close(fds[i]);
}

VFIOX_API int vfiox_irq_enable(struct vfiox_device *d, uint32_t index,
			       uint32_t start, uint32_t count, int *fds)
{
	const struct vfiox_sys *sys;
	struct vfiox_irq *irq;
	int *owned;
	uint32_t i;
	int ret;

	if (d && vfiox_device_gone(d))
		return vfiox_device_check_live(d);
	irq = fds ? check_range(d, index, start, count) : NULL;
	if (!irq)
		return -EINVAL;
	sys = d->group->container->env.sys;
	owned = calloc(count, sizeof(*owned));
	if (!owned)
		return -ENOMEM;
	for (i = 0; i < count; i++) {
		ret = sys->eventfd(0, EFD_NONBLOCK);
		if (ret < 0) {
			pr_err("%s: eventfd: %s", d->name, ERRSTR(ret));
			goto err;
		}
		owned[i] = ret;
	}
	ret = set_irqs(d, index, VFIO_IRQ_SET_DATA_EVENTFD |
		       VFIO_IRQ_SET_ACTION_TRIGGER, start, count, owned);
	if (ret)
		goto err;
	memcpy(fds, owned, count * sizeof(*owned));
	irq->owned_fds = owned;
	irq->nr_owned = count;
	irq->enabled = true;
	return 0;
err:
	close_fds(sys, owned, i);
	free(owned);
	return ret;
}

VFIOX_API int vfiox_irq_set_eventfds(struct vfiox_device *d, uint32_t index,
				     uint32_t start, uint32_t count,
				     const int *fds)
{
	struct vfiox_irq *irq;
	int ret;

	if (d && vfiox_device_gone(d))
		return vfiox_device_check_live(d);
	irq = fds ? check_range(d, index, start, count) : NULL;
	if (!irq)
		return -EINVAL;
	ret = set_irqs(d, index, VFIO_IRQ_SET_DATA_EVENTFD |
		       VFIO_IRQ_SET_ACTION_TRIGGER, start, count, fds);
	if (!ret)
		irq->enabled = true;
	return ret;
}

VFIOX_API int vfiox_irq_disable(struct vfiox_device *d, uint32_t index)
{
	struct vfiox_irq *irq = get_irq(d, index);
	int ret;

	if (!irq)
		return -EINVAL;
	/* A released device's IRQs went with its fd (also when it was
	 * released while we asked). */
	ret = vfiox_device_gone(d) ? 0 : set_irqs(d, index, VFIO_IRQ_SET_DATA_NONE |
					 VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0, NULL);
	if (ret == -ENODEV && vfiox_device_gone(d))
		ret = 0;
	/* Whatever the kernel said, our eventfds must not leak. */
	close_fds(d->group->container->env.sys, irq->owned_fds, irq->nr_owned);
	free(irq->owned_fds);
	irq->owned_fds = NULL;
	irq->nr_owned = 0;
	irq->enabled = false;
	return ret;
}

static int mask_action(struct vfiox_device *d, uint32_t index, uint32_t vector,
		       uint32_t action)
{
	struct vfiox_irq *irq = get_irq(d, index);

	if (!irq)
		return -EINVAL;
	if (vfiox_device_gone(d))
		return vfiox_device_check_live(d);
	if (!(irq->info.flags & VFIO_IRQ_INFO_MASKABLE) ||
	    vector >= irq->info.count) {
		pr_err("%s: IRQ index %u vector %u is not maskable (count %u)",
		       d->name, index, vector, irq->info.count);
		return -EINVAL;
	}
	return set_irqs(d, index, VFIO_IRQ_SET_DATA_NONE | action, vector, 1,
			NULL);
}

VFIOX_API int vfiox_irq_mask(struct vfiox_device *d, uint32_t index,
			     uint32_t vector)
{
	return mask_action(d, index, vector, VFIO_IRQ_SET_ACTION_MASK);
}

VFIOX_API int vfiox_irq_unmask(struct vfiox_device *d, uint32_t index,
			       uint32_t vector)
{
	return mask_action(d, index, vector, VFIO_IRQ_SET_ACTION_UNMASK);
}
