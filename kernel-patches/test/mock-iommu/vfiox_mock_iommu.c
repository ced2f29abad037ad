// SPDX-License-Identifier: GPL-2.0-only
/*
 * A test-only IOMMU driver for libvfiox's VM tests.
 *
 * No device QEMU emulates has PASID or PRI, so the SVA and I/O page fault
 * paths of the VFIO series can never run on emulated hardware. This driver
 * takes the place of an IOMMU on a machine that has none: it claims the PCI
 * devices named in its "devices" parameter, gives each a group of its own
 * (but one group to those named in "shared_group"),
 * tells the IOMMU core they have PASIDs, and implements paging domains (kept
 * as a page table in an xarray, for type1 and for iommufd's page tables:
 * those it allocates itself, PASID-capable ones, ones whose faults go to
 * an iommufd fault queue), paging and SVA domains on a PASID and page
 * responses. Nothing translates behind it: the devices still DMA to guest
 * physical addresses, so only control paths can be tested with it.
 *
 * Tests drive and observe it through debugfs (vfiox-mock-iommu/):
 *   events    every attach, map, unmap, PASID attach and detach and page
 *             response, one line each, oldest first; writing clears it
 *   fault     write "BDF PASID|- ADDR r|w|rw [GRPID [nolast]]" to report a
 *             page request as the device's PRI would; the write returns
 *             once every response to it has been sent, and fails with
 *             ENOENT for a device not claimed or a PASID not attached
 *   refuse    write "sva ERRNO", "pasid ERRNO" or "iopf ERRNO": the next
 *             SVA domain allocation, PASID attach or attach of a paging
 *             domain with a fault handler fails with -ERRNO, once;
 *             "unmap N": the next N unmaps of a paging domain unmap
 *             nothing, as a broken driver would; "stall 1": maps wait
 *             until "stall 0" (at most 20 s), holding a fault handler
 *             where it maps; "nowait N": the next N maps that may not
 *             reclaim fail with -ENOMEM; "attach N": the next N attaches
 *             of a paging domain without a fault handler fail with -EIO;
 *             "mapfail N": the N-th map of a paging domain from now on
 *             fails with -ENOMEM, once (the maps before it succeed);
 *             "noqueue 1": the next attach with a fault handler succeeds
 *             but takes the device out of the fault queue (as AMD and
 *             SMMUv3 enable no queue for a RID or a PCI device) until the
 *             RID leaves that domain
 *   hold      a write blocks, uninterruptibly, while "stall 1" is in force
 *             (at most 20 s): a process killed there keeps its mm until
 *             then, so that process_mrelease() can reap it (the OOM
 *             reaper's invalidation, which may not block)
 *   pasids    the PASIDs attached now, to an SVA or a paging domain:
 *             "BDF PASID domain N"
 *   mappings  every paging domain's mappings: "domain N IOVA-LAST PA prot"
 *
 * Like a real driver, it fences page requests against every detach and
 * drains the fault queue after it (VT-d drains its page request queue),
 * and a device sends page requests without a PASID only while its RID is
 * attached to a domain that has a fault handler (type1's IOPF mode).
 * When the RID leaves such a domain the device is taken out of the fault
 * queue first, as VT-d does (which answers and frees the fault groups
 * still pending there), and put back for its PASIDs.
 * Not covered by the fence: on a replace it runs before the core stores
 * the new handle, so a request in that window may still reach the old
 * one, as with real drivers; no test sends one there.
 * An SVA domain registers an mmu_notifier on its mm, as real drivers do
 * (logging the mm's release, counting invalidations).
 *
 * Nothing stops a device from DMA-ing, untranslated, into guest memory: a
 * claimed device with bus mastering on when it is attached to a paging
 * domain, when that domain maps or when it sends a page request is
 * reported ("vfiox-mock-iommu: ... bus mastering on", which the VM harness
 * counts as a failure of the test that ran).
 *
 * A page request reaches whatever handler the domain it faults in has:
 * type1's, SVA's or iommufd's (which queues it for userspace and answers
 * when userspace does, through page_response). For iommufd's
 * IOMMU_GET_HW_INFO, the claimed devices also get a PASID capability in
 * config space (mock_cfg_init()).
 *
 * Not modelled: IOPF enabled only while a fault-capable domain is
 * attached. The PASID and ATS paths of a PCI reset run only for a claimed
 * device with an ATS capability (pci_dev_reset_iommu_prepare() and _done()
 * return early for the others): the VM machine gives it a virtio-rng with
 * ATS and FLR, whose resets move its PASIDs to the blocked domain below
 * (fence and drain) and back.
 *
 * Not seen: a test that turns bus mastering on, DMAs and turns it off
 * again between two of the checks below.
 *
 * Never load it on a machine with a real IOMMU or real devices.
 */
#include <linux/debugfs.h>
#include <linux/iommu.h>
#include <linux/mmu_notifier.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/xarray.h>

static char *devices;
module_param(devices, charp, 0444);
MODULE_PARM_DESC(devices, "comma-separated PCI addresses to claim (at most 8)");

static char *shared_group;
module_param(shared_group, charp, 0444);
MODULE_PARM_DESC(shared_group, "claimed PCI addresses that share one group");

static unsigned int pasid_bits = 20;
module_param(pasid_bits, uint, 0444);
MODULE_PARM_DESC(pasid_bits, "PASID width reported for claimed devices");

#define MOCK_EVENTS	2048
#define MOCK_EVENT_LEN	120
#define MOCK_APERTURE	(BIT_ULL(48) - 1)
/* Not an address: asks mock_fault_target_live() about the device only */
#define MOCK_FLUSH_ONLY	U64_MAX
/* An xarray value holds the page frame and the prot bits below it. */
#define MOCK_PROT_BITS	2
#define MOCK_PROT_MASK	(IOMMU_READ | IOMMU_WRITE)

struct mock_domain {
	struct iommu_domain domain;
	unsigned int id;
	struct list_head next;		/* in mock.paging, paging domains only */
	struct xarray pages;		/* IOVA page -> frame and prot */
	/* SVA domains: like a real driver, a notifier on the mm */
	struct mmu_notifier mn;
	struct mm_struct *mm;		/* mmgrab()ed until the free */
	atomic_long_t invalidations;
};

/* A claimed device; found through mock.devs, never through dev->iommu. */
struct mock_dev {
	struct device *dev;
	bool iopf;			/* in the fault queue */
	bool rid_iopf;			/* RID domain has an iopf_handler */
	bool requeue;			/* out of the queue for "noqueue" */
	unsigned int paging_id;		/* RID's paging domain, or 0 */
	struct list_head next;
};

struct mock_pasid {
	struct device *dev;
	ioasid_t pasid;
	unsigned int domain_id;
	struct list_head next;
};

static struct {
	struct iommu_device iommu;
	struct iopf_queue *iopf;
	struct dentry *debugfs;
	struct mutex lock;		/* paging, pasids, devs, next_id, shared */
	struct iommu_group *shared;
	struct list_head devs;
	/*
	 * Also held to change devs and a paging_id, so that a map may read
	 * them: it runs under locks that reclaim takes (type1's notifier
	 * lock), and mock.lock is held across allocations.
	 */
	spinlock_t devs_lock;
	/*
	 * Held for read while a page request is reported, for write by
	 * every detach and release: a request never reaches a handle, domain
	 * or device being torn down. Order: group->mutex, fault_rwsem, lock.
	 */
	struct rw_semaphore fault_rwsem;
	atomic_t refuse_sva, refuse_pasid, refuse_iopf;	/* -errno, once */
	atomic_t refuse_unmap;			/* unmaps left to refuse */
	atomic_t refuse_nowait, refuse_attach, refuse_queue;
	atomic_t refuse_map;			/* maps until one fails */
	bool stall;				/* maps wait while set */
	wait_queue_head_t stall_wq;
	struct list_head paging;
	struct list_head pasids;
	unsigned int next_id;
	spinlock_t events_lock;		/* the events ring */
	char (*events)[MOCK_EVENT_LEN];
	unsigned long events_head, events_count;
} mock;

static __printf(1, 2) void mock_event(const char *fmt, ...)
{
	unsigned long flags;
	va_list args;
	char *line;

	spin_lock_irqsave(&mock.events_lock, flags);
	line = mock.events[mock.events_head % MOCK_EVENTS];
	va_start(args, fmt);
	vscnprintf(line, MOCK_EVENT_LEN, fmt, args);
	va_end(args);
	mock.events_head++;
	if (mock.events_count < MOCK_EVENTS)
		mock.events_count++;
	spin_unlock_irqrestore(&mock.events_lock, flags);
}

static struct mock_domain *to_mock_domain(struct iommu_domain *domain)
{
	return container_of(domain, struct mock_domain, domain);
}

static struct mock_dev *mock_find_dev(struct device *dev)
{
	struct mock_dev *md;

	lockdep_assert_held(&mock.lock);
	list_for_each_entry(md, &mock.devs, next)
		if (md->dev == dev)
			return md;
	return NULL;
}

/*
 * There is no translation behind the mock: with bus mastering on, @dev's
 * DMA reaches guest memory at whatever address a test gave it as an IOVA.
 */
static void mock_check_master(struct device *dev, const char *when)
{
	u16 cmd;

	if (!dev_is_pci(dev) ||
	    pci_read_config_word(to_pci_dev(dev), PCI_COMMAND, &cmd) ||
	    !(cmd & PCI_COMMAND_MASTER))
		return;
	pr_err("vfiox-mock-iommu: %s has bus mastering on %s: its DMA would reach guest memory untranslated\n",
	       dev_name(dev), when);
	mock_event("%s bus mastering on %s", dev_name(dev), when);
}

/* Every device whose RID is attached to paging domain @id. */
static void mock_check_domain_master(unsigned int id)
{
	struct mock_dev *md;

	spin_lock(&mock.devs_lock);
	list_for_each_entry(md, &mock.devs, next)
		if (md->paging_id == id)
			mock_check_master(md->dev, "while its domain maps");
	spin_unlock(&mock.devs_lock);
}

/*
 * After an attach or detach of @dev's RID: wait for page requests being
 * reported, then for the handlers they queued, as a real IOMMU drains its
 * page request queue. @rid_iopf: whether the RID may fault from now on;
 * @paging_id: the paging domain it is attached to now, or 0.
 */
static void mock_fence_rid(struct device *dev, bool rid_iopf,
			   unsigned int paging_id)
{
	bool iopf, leaving = false;
	struct mock_dev *md;

	down_write(&mock.fault_rwsem);
	mutex_lock(&mock.lock);
	md = mock_find_dev(dev);
	iopf = md && md->iopf;
	if (md) {
		leaving = md->rid_iopf && !rid_iopf;
		md->rid_iopf = rid_iopf;
		spin_lock(&mock.devs_lock);
		md->paging_id = paging_id;
		spin_unlock(&mock.devs_lock);
	}
	mutex_unlock(&mock.lock);
	if (md && leaving && md->requeue) {
		md->requeue = false;
		if (!iopf_queue_add_device(mock.iopf, dev)) {
			mutex_lock(&mock.lock);
			md->iopf = true;
			mutex_unlock(&mock.lock);
		}
		leaving = false;
	}
	/* VT-d's order: out of the fault queue before any drain */
	if (iopf && leaving) {
		iopf_queue_remove_device(mock.iopf, dev);
		if (iopf_queue_add_device(mock.iopf, dev)) {
			mock_event("%s lost its fault queue", dev_name(dev));
			mutex_lock(&mock.lock);
			md->iopf = false;
			mutex_unlock(&mock.lock);
			iopf = false;
		}
	}
	up_write(&mock.fault_rwsem);
	if (iopf)
		iopf_queue_flush_dev(dev);
}

/* After a PASID detach: the RID keeps what it had. */
static void mock_fence_faults(struct device *dev)
{
	struct mock_dev *md;
	bool iopf;

	down_write(&mock.fault_rwsem);
	up_write(&mock.fault_rwsem);
	mutex_lock(&mock.lock);
	md = mock_find_dev(dev);
	iopf = md && md->iopf;
	mutex_unlock(&mock.lock);
	if (iopf)
		iopf_queue_flush_dev(dev);
}

static unsigned int mock_new_id(void)
{
	unsigned int id;

	mutex_lock(&mock.lock);
	id = ++mock.next_id;
	mutex_unlock(&mock.lock);
	return id;
}

static const char *mock_prot_name(int prot)
{
	switch (prot & MOCK_PROT_MASK) {
	case IOMMU_READ | IOMMU_WRITE:
		return "rw";
	case IOMMU_READ:
		return "r";
	case IOMMU_WRITE:
		return "w";
	}
	return "-";
}

/* Paging domains: what type1 maps its containers into. */

static size_t mock_unmap_pages(struct iommu_domain *domain, unsigned long iova,
			       size_t pgsize, size_t pgcount,
			       struct iommu_iotlb_gather *gather)
{
	struct mock_domain *md = to_mock_domain(domain);
	size_t done;

	if (atomic_dec_if_positive(&mock.refuse_unmap) >= 0) {
		mock_event("unmap domain %u %#lx+%#zx refused", md->id, iova,
			   pgsize * pgcount);
		return 0;
	}
	/* Like page-table hardware, stop at the first page not mapped. */
	for (done = 0; done < pgsize * pgcount; done += PAGE_SIZE)
		if (!xa_erase(&md->pages, (iova + done) >> PAGE_SHIFT))
			break;
	mock_event("unmap domain %u %#lx+%#zx unmapped %#zx", md->id, iova,
		   pgsize * pgcount, done);
	return done;
}

static int mock_map_pages(struct iommu_domain *domain, unsigned long iova,
			  phys_addr_t paddr, size_t pgsize, size_t pgcount,
			  int prot, gfp_t gfp, size_t *mapped)
{
	struct mock_domain *md = to_mock_domain(domain);
	size_t len = pgsize * pgcount, done;
	unsigned long entry;
	int ret = 0;

	mock_check_domain_master(md->id);
	if (READ_ONCE(mock.stall)) {
		mock_event("map domain %u %#lx stalls", md->id, iova);
		if (!wait_event_timeout(mock.stall_wq, !READ_ONCE(mock.stall),
					20 * HZ))
			mock_event("map domain %u %#lx: stalled 20 s", md->id,
				   iova);
	}
	if (atomic_dec_if_positive(&mock.refuse_map) == 0) {
		mock_event("map domain %u %#lx+%#zx refused", md->id, iova,
			   len);
		*mapped = 0;
		return -ENOMEM;
	}
	if (!gfpflags_allow_blocking(gfp) &&
	    atomic_dec_if_positive(&mock.refuse_nowait) >= 0) {
		mock_event("map domain %u %#lx+%#zx without reclaim refused",
			   md->id, iova, len);
		*mapped = 0;
		return -ENOMEM;
	}

	for (done = 0; done < len; done += PAGE_SIZE) {
		entry = ((unsigned long)((paddr + done) >> PAGE_SHIFT) <<
			 MOCK_PROT_BITS) | (prot & MOCK_PROT_MASK);
		ret = xa_insert(&md->pages, (iova + done) >> PAGE_SHIFT,
				xa_mk_value(entry), gfp);
		if (ret)
			break;
	}
	if (ret && done)
		mock_unmap_pages(domain, iova, PAGE_SIZE, done / PAGE_SIZE, NULL);
	*mapped = ret ? 0 : len;
	mock_event("map domain %u %#lx+%#zx pa %pa %s%s", md->id, iova, len,
		   &paddr, mock_prot_name(prot), ret ? " failed" : "");
	return ret;
}

static phys_addr_t mock_iova_to_phys(struct iommu_domain *domain,
				     dma_addr_t iova)
{
	struct mock_domain *md = to_mock_domain(domain);
	void *entry = xa_load(&md->pages, iova >> PAGE_SHIFT);

	if (!entry)
		return 0;
	return ((phys_addr_t)(xa_to_value(entry) >> MOCK_PROT_BITS) <<
		PAGE_SHIFT) | (iova & ~PAGE_MASK);
}

/* "noqueue": out of the fault queue until the RID leaves the domain. */
static void mock_unqueue(struct device *dev)
{
	struct mock_dev *md;

	down_write(&mock.fault_rwsem);
	mutex_lock(&mock.lock);
	md = mock_find_dev(dev);
	if (md && md->iopf) {
		md->iopf = false;
		md->requeue = true;
	} else {
		md = NULL;
	}
	mutex_unlock(&mock.lock);
	if (md)
		iopf_queue_remove_device(mock.iopf, dev);
	up_write(&mock.fault_rwsem);
	mock_event("%s out of the fault queue", dev_name(dev));
}

static int mock_attach_dev(struct iommu_domain *domain, struct device *dev,
			   struct iommu_domain *old)
{
	bool iopf = domain->iopf_handler;
	int err = iopf ? atomic_xchg(&mock.refuse_iopf, 0) :
			 (atomic_dec_if_positive(&mock.refuse_attach) >= 0 ?
			  -EIO : 0);

	if (err) {
		mock_event("attach %s domain %u%s refused %d", dev_name(dev),
			   to_mock_domain(domain)->id, iopf ? " iopf" : "", err);
		return err;
	}
	mock_event("attach %s domain %u%s", dev_name(dev),
		   to_mock_domain(domain)->id, iopf ? " iopf" : "");
	mock_fence_rid(dev, iopf, to_mock_domain(domain)->id);
	mock_check_master(dev, "at its attach to a paging domain");
	if (iopf && atomic_xchg(&mock.refuse_queue, 0))
		mock_unqueue(dev);
	return 0;
}

static void mock_paging_free(struct iommu_domain *domain)
{
	struct mock_domain *md = to_mock_domain(domain);
	unsigned long index, left = 0;
	void *entry;

	mutex_lock(&mock.lock);
	list_del(&md->next);
	mutex_unlock(&mock.lock);
	xa_for_each(&md->pages, index, entry)
		left++;
	mock_event("free domain %u paging, %lu pages left mapped", md->id, left);
	xa_destroy(&md->pages);
	kfree(md);
}

/*
 * PASIDs: an SVA domain (the series' binds) or a paging domain (iommufd's
 * PASID attach) on a PASID, recorded in mock.pasids.
 */

static struct mock_pasid *mock_find_pasid(struct device *dev, ioasid_t pasid)
{
	struct mock_pasid *mp;

	lockdep_assert_held(&mock.lock);
	list_for_each_entry(mp, &mock.pasids, next)
		if (mp->dev == dev && mp->pasid == pasid)
			return mp;
	return NULL;
}

static int mock_set_dev_pasid(struct iommu_domain *domain, struct device *dev,
			      ioasid_t pasid, struct iommu_domain *old,
			      const char *kind)
{
	struct mock_domain *md = to_mock_domain(domain);
	struct mock_pasid *mp, *fresh;
	int err = atomic_xchg(&mock.refuse_pasid, 0);

	if (err) {
		mock_event("pasid-attach %s pasid %u refused %d", dev_name(dev),
			   pasid, err);
		return err;
	}
	/* A replace must not fail: allocate first, use it only if new */
	fresh = kzalloc_obj(*fresh);
	mutex_lock(&mock.lock);
	mp = mock_find_pasid(dev, pasid);
	if (!mp && fresh) {
		mp = fresh;
		fresh = NULL;
		mp->dev = dev;
		mp->pasid = pasid;
		list_add_tail(&mp->next, &mock.pasids);
	}
	if (mp)
		mp->domain_id = md->id;
	mutex_unlock(&mock.lock);
	kfree(fresh);
	if (!mp)
		return -ENOMEM;
	mock_event("pasid-attach %s pasid %u domain %u %s", dev_name(dev),
		   pasid, md->id, kind);
	if (old)
		mock_fence_faults(dev);
	return 0;
}

static int mock_paging_set_dev_pasid(struct iommu_domain *domain,
				     struct device *dev, ioasid_t pasid,
				     struct iommu_domain *old)
{
	return mock_set_dev_pasid(domain, dev, pasid, old,
				  domain->iopf_handler ? "paging iopf" : "paging");
}

static const struct iommu_domain_ops mock_paging_ops = {
	.attach_dev	= mock_attach_dev,
	.set_dev_pasid	= mock_paging_set_dev_pasid,
	.map_pages	= mock_map_pages,
	.unmap_pages	= mock_unmap_pages,
	.iova_to_phys	= mock_iova_to_phys,
	.free		= mock_paging_free,
};

static struct mock_domain *mock_paging_new(void)
{
	struct mock_domain *md = kzalloc_obj(*md);

	if (!md)
		return NULL;
	xa_init(&md->pages);
	md->id = mock_new_id();
	md->domain.ops = &mock_paging_ops;
	md->domain.pgsize_bitmap = PAGE_SIZE;
	md->domain.geometry.aperture_end = MOCK_APERTURE;
	md->domain.geometry.force_aperture = true;
	mutex_lock(&mock.lock);
	list_add_tail(&md->next, &mock.paging);
	mutex_unlock(&mock.lock);
	return md;
}

/* What type1 (through the IOMMU core) allocates */
static struct iommu_domain *mock_domain_alloc_paging(struct device *dev)
{
	struct mock_domain *md = mock_paging_new();

	if (!md)
		return ERR_PTR(-ENOMEM);
	mock_event("alloc %s domain %u paging", dev_name(dev), md->id);
	return &md->domain;
}

/*
 * What iommufd allocates for a HWPT, its automatic ones included (with no
 * flags). iommufd handles IOMMU_HWPT_FAULT_ID_VALID itself and never
 * passes it; of the flags that reach a driver, only a PASID-capable
 * domain is one the mock can give: no nesting, no dirty tracking, no
 * driver data.
 */
static struct iommu_domain *
mock_domain_alloc_paging_flags(struct device *dev, u32 flags,
			       const struct iommu_user_data *user_data)
{
	struct mock_domain *md;

	if ((flags & ~IOMMU_HWPT_ALLOC_PASID) || user_data) {
		mock_event("alloc %s paging flags %#x%s refused", dev_name(dev),
			   flags, user_data ? " with data" : "");
		return ERR_PTR(-EOPNOTSUPP);
	}
	md = mock_paging_new();
	if (!md)
		return ERR_PTR(-ENOMEM);
	/* The core's allocation sets the type; iommufd's does not */
	md->domain.type = IOMMU_DOMAIN_UNMANAGED;
	mock_event("alloc %s domain %u paging user%s", dev_name(dev), md->id,
		   flags & IOMMU_HWPT_ALLOC_PASID ? " pasid" : "");
	return &md->domain;
}

/* SVA domains, attached to a PASID, and the blocked domain detaching them */

static int mock_sva_set_dev_pasid(struct iommu_domain *domain,
				  struct device *dev, ioasid_t pasid,
				  struct iommu_domain *old)
{
	return mock_set_dev_pasid(domain, dev, pasid, old, "sva");
}

static void mock_sva_free(struct iommu_domain *domain)
{
	struct mock_domain *md = to_mock_domain(domain);

	/* The core dropped its mm reference already: ours keeps it */
	mmu_notifier_unregister(&md->mn, md->mm);
	mmdrop(md->mm);
	mock_event("free domain %u sva, %ld invalidations", md->id,
		   atomic_long_read(&md->invalidations));
	kfree(md);
}

/* The process is gone: a real IOMMU stops walking its page tables here. */
static void mock_mm_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	mock_event("mm-release domain %u",
		   container_of(mn, struct mock_domain, mn)->id);
}

static void mock_mm_invalidate(struct mmu_notifier *mn, struct mm_struct *mm,
			       unsigned long start, unsigned long end)
{
	atomic_long_inc(&container_of(mn, struct mock_domain, mn)->invalidations);
}

static const struct mmu_notifier_ops mock_mn_ops = {
	.release			= mock_mm_release,
	.arch_invalidate_secondary_tlbs	= mock_mm_invalidate,
};

static const struct iommu_domain_ops mock_sva_ops = {
	.set_dev_pasid	= mock_sva_set_dev_pasid,
	.free		= mock_sva_free,
};

static struct iommu_domain *mock_domain_alloc_sva(struct device *dev,
						  struct mm_struct *mm)
{
	int err = atomic_xchg(&mock.refuse_sva, 0);
	struct mock_domain *md;

	if (err) {
		mock_event("alloc %s sva refused %d", dev_name(dev), err);
		return ERR_PTR(err);
	}
	md = kzalloc_obj(*md);
	if (!md)
		return ERR_PTR(-ENOMEM);
	md->mn.ops = &mock_mn_ops;
	err = mmu_notifier_register(&md->mn, mm);
	if (err) {
		kfree(md);
		return ERR_PTR(err);
	}
	mmgrab(mm);
	md->mm = mm;
	md->id = mock_new_id();
	md->domain.ops = &mock_sva_ops;
	mock_event("alloc %s domain %u sva", dev_name(dev), md->id);
	return &md->domain;
}

static int mock_blocked_attach_dev(struct iommu_domain *domain,
				   struct device *dev, struct iommu_domain *old)
{
	mock_event("attach %s blocked", dev_name(dev));
	mock_fence_rid(dev, false, 0);
	return 0;
}

static int mock_blocked_set_dev_pasid(struct iommu_domain *domain,
				      struct device *dev, ioasid_t pasid,
				      struct iommu_domain *old)
{
	struct mock_pasid *mp;

	/* New requests for @pasid are refused from here on */
	down_write(&mock.fault_rwsem);
	mutex_lock(&mock.lock);
	mp = mock_find_pasid(dev, pasid);
	if (mp)
		list_del(&mp->next);
	mutex_unlock(&mock.lock);
	up_write(&mock.fault_rwsem);
	kfree(mp);
	mock_event("pasid-detach %s pasid %u", dev_name(dev), pasid);
	mock_fence_faults(dev);
	return 0;
}

static struct iommu_domain mock_blocked_domain = {
	.type = IOMMU_DOMAIN_BLOCKED,
	.ops = &(const struct iommu_domain_ops) {
		.attach_dev = mock_blocked_attach_dev,
		.set_dev_pasid = mock_blocked_set_dev_pasid,
	},
};

static int mock_identity_attach_dev(struct iommu_domain *domain,
				    struct device *dev,
				    struct iommu_domain *old)
{
	mock_event("attach %s identity", dev_name(dev));
	mock_fence_rid(dev, false, 0);
	return 0;
}

/* The default domain: devices keep DMA-ing to guest physical addresses. */
static struct iommu_domain mock_identity_domain = {
	.type = IOMMU_DOMAIN_IDENTITY,
	.ops = &(const struct iommu_domain_ops) {
		.attach_dev = mock_identity_attach_dev,
	},
};

/* Devices */

/* Whether @dev's name is in the comma-separated @list. */
static bool mock_listed(const char *list, struct device *dev)
{
	const char *name = dev_name(dev), *p = list;
	size_t len = strlen(name);

	if (!dev_is_pci(dev) || !p)
		return false;
	while (*p) {
		if (!strncmp(p, name, len) && (p[len] == ',' || !p[len]))
			return true;
		p = strchrnul(p, ',');
		if (*p)
			p++;
	}
	return false;
}

/*
 * A PASID capability, enabled, for the claimed PCI devices. The IOMMU core
 * takes a device's PASIDs from the mock (mock_probe_finalize()), but
 * iommufd's IOMMU_GET_HW_INFO reads the PCI PASID control register of a
 * device with PASIDs as well, and warns when there is none: no device
 * QEMU emulates has one. So the mock answers config accesses to the last
 * eight bytes of a claimed device's extended config space itself, by
 * wrapping its bus's config accessors (as aer_inject does), and points
 * the device's pasid_cap there. The capability is in no capability list:
 * nothing that walks one (lspci, vfio-pci, libvfiox) finds it, and writes
 * to it are dropped. A bus's entry is published before its accessors are
 * switched (config reads may be lockless), and the unload puts back the
 * original accessors of every wrapped bus and of every bus added below
 * one since (a child bus inherits its parent's accessors), each only if
 * the wrapper is still installed there. A bus whose accessors have a
 * map_bus (ECAM hosts) is not wrapped: its devices get no PASIDs. A
 * risk accepted for a test-only module: with lockless config access a
 * reader may still run the wrapper while the module unloads.
 */
#define MOCK_PASID_CAP	0xff8
#define MOCK_CFG_MAX	8

static struct {
	struct pci_dev *devs[MOCK_CFG_MAX];
	struct pci_bus *buses[MOCK_CFG_MAX];
	struct pci_ops *orig[MOCK_CFG_MAX];	/* each bus's own accessors */
	unsigned int nr_devs, nr_buses;
} mock_cfg;

static bool mock_cfg_emulated(struct pci_bus *bus, unsigned int devfn,
			      int where)
{
	/* pairs with the release in mock_cfg_init(): devs[] below n are set */
	unsigned int i, n = smp_load_acquire(&mock_cfg.nr_devs);

	if (where < MOCK_PASID_CAP || where >= MOCK_PASID_CAP + 8)
		return false;
	for (i = 0; i < n; i++)
		if (mock_cfg.devs[i]->bus == bus &&
		    mock_cfg.devs[i]->devfn == devfn)
			return true;
	return false;
}

/*
 * The accessors the mock wrapped on @bus, or for a bus added since (a
 * child bus inherits its parent's accessors, the wrapper), its nearest
 * wrapped ancestor's. NULL for none.
 */
static struct pci_ops *mock_cfg_orig(struct pci_bus *bus)
{
	/* pairs with the release in mock_cfg_init(): buses[], orig[] set */
	unsigned int i, n = smp_load_acquire(&mock_cfg.nr_buses);

	for (; bus; bus = bus->parent)
		for (i = 0; i < n; i++)
			if (mock_cfg.buses[i] == bus)
				return mock_cfg.orig[i];
	return NULL;
}

static int mock_cfg_read(struct pci_bus *bus, unsigned int devfn, int where,
			 int size, u32 *val)
{
	struct pci_ops *ops;
	u32 dword;

	if (!mock_cfg_emulated(bus, devfn, where)) {
		ops = mock_cfg_orig(bus);
		if (!ops) {
			PCI_SET_ERROR_RESPONSE(val);
			return PCIBIOS_DEVICE_NOT_FOUND;
		}
		return ops->read(bus, devfn, where, size, val);
	}
	if (where - MOCK_PASID_CAP < 4)	/* version 1, the last capability */
		dword = PCI_EXT_CAP_ID_PASID | 1 << 16;
	else				/* the width; enabled */
		dword = (pasid_bits << 8) | PCI_PASID_CTRL_ENABLE << 16;
	dword >>= (where & 3) * 8;
	*val = size == 4 ? dword : dword & ((1U << (size * 8)) - 1);
	return PCIBIOS_SUCCESSFUL;
}

static int mock_cfg_write(struct pci_bus *bus, unsigned int devfn, int where,
			  int size, u32 val)
{
	struct pci_ops *ops;

	if (mock_cfg_emulated(bus, devfn, where))
		return PCIBIOS_SUCCESSFUL;
	ops = mock_cfg_orig(bus);
	if (!ops)
		return PCIBIOS_DEVICE_NOT_FOUND;
	return ops->write(bus, devfn, where, size, val);
}

static struct pci_ops mock_cfg_ops = {
	.read	= mock_cfg_read,
	.write	= mock_cfg_write,
};

/* A bus below a wrapped one that inherited the wrapper gets its original. */
static int mock_cfg_restore_child(struct pci_dev *pdev, void *unused)
{
	struct pci_bus *sub = pdev->subordinate;

	if (sub && sub->ops == &mock_cfg_ops && mock_cfg_orig(sub))
		pci_bus_set_ops(sub, mock_cfg_orig(sub));
	return 0;
}

/*
 * The tables stay as they are but for nr_devs: a lockless reader may still
 * be in the wrapper, and finds its bus's accessors there.
 */
static void mock_cfg_exit(void)
{
	unsigned int i, nr_devs = mock_cfg.nr_devs;

	for (i = 0; i < nr_devs; i++)
		mock_cfg.devs[i]->pasid_cap = 0;
	for (i = 0; i < mock_cfg.nr_buses; i++)
		pci_walk_bus(mock_cfg.buses[i], mock_cfg_restore_child, NULL);
	for (i = 0; i < mock_cfg.nr_buses; i++)
		if (mock_cfg.buses[i]->ops == &mock_cfg_ops)
			pci_bus_set_ops(mock_cfg.buses[i], mock_cfg.orig[i]);
	/* readers see no device from now on; pairs with mock_cfg_emulated() */
	smp_store_release(&mock_cfg.nr_devs, 0);
	for (i = 0; i < nr_devs; i++)
		pci_dev_put(mock_cfg.devs[i]);
}

/* Before the probe, so that the core reads the width from the device too */
static int mock_cfg_init(void)
{
	struct pci_dev *pdev = NULL;
	struct pci_bus *bus;
	unsigned int i, n;

	for_each_pci_dev(pdev) {
		if (!mock_listed(devices, &pdev->dev) || pdev->pasid_cap)
			continue;
		bus = pdev->bus;
		if (bus->ops != &mock_cfg_ops && bus->ops->map_bus)
			continue;	/* no PASIDs: see above */
		n = mock_cfg.nr_buses;
		if (mock_cfg.nr_devs == MOCK_CFG_MAX ||
		    (bus->ops != &mock_cfg_ops && n == MOCK_CFG_MAX)) {
			pci_dev_put(pdev);
			mock_cfg_exit();
			return -E2BIG;
		}
		mock_cfg.devs[mock_cfg.nr_devs] = pci_dev_get(pdev);
		/* devs[] stored first; pairs with mock_cfg_emulated() */
		smp_store_release(&mock_cfg.nr_devs, mock_cfg.nr_devs + 1);
		if (bus->ops == &mock_cfg_ops)
			continue;
		mock_cfg.buses[n] = bus;
		mock_cfg.orig[n] = bus->ops;
		/*
		 * Published before the switch, pairing with mock_cfg_orig():
		 * a reader that finds the wrapper finds the bus's entry.
		 */
		smp_store_release(&mock_cfg.nr_buses, n + 1);
		pci_bus_set_ops(bus, &mock_cfg_ops);
	}
	for (i = 0; i < mock_cfg.nr_devs; i++)
		mock_cfg.devs[i]->pasid_cap = MOCK_PASID_CAP;
	return 0;
}

static struct iommu_group *mock_device_group(struct device *dev)
{
	struct iommu_group *group;

	if (!mock_listed(shared_group, dev))
		return generic_device_group(dev);
	mutex_lock(&mock.lock);
	if (!mock.shared) {
		group = iommu_group_alloc();
		if (IS_ERR(group)) {
			mutex_unlock(&mock.lock);
			return group;
		}
		mock.shared = group;
	}
	/* One reference for the device; mock_exit() drops the mock's own */
	group = iommu_group_ref_get(mock.shared);
	mutex_unlock(&mock.lock);
	return group;
}

static struct iommu_device *mock_probe_device(struct device *dev)
{
	struct mock_dev *md;

	if (!mock_listed(devices, dev))
		return ERR_PTR(-ENODEV);
	md = kzalloc_obj(*md);
	if (!md)
		return ERR_PTR(-ENOMEM);
	md->dev = dev;
	mutex_lock(&mock.lock);
	spin_lock(&mock.devs_lock);
	list_add_tail(&md->next, &mock.devs);
	spin_unlock(&mock.devs_lock);
	mutex_unlock(&mock.lock);
	return &mock.iommu;
}

/*
 * The core sets max_pasids from the PCI PASID capability, which no emulated
 * device has; only now may the driver give its own number. The fault
 * queue, too, needs the probe done: it looks the driver up through it.
 * Every claimed device has PRI: its page requests come through debugfs.
 * Without a fault queue it gets no PASIDs: nothing could serve them.
 */
static void mock_probe_finalize(struct device *dev)
{
	int ret = iopf_queue_add_device(mock.iopf, dev);
	struct mock_dev *md;

	mutex_lock(&mock.lock);
	md = mock_find_dev(dev);
	if (md)
		md->iopf = !ret;
	mutex_unlock(&mock.lock);
	/*
	 * A PCI device without the capability (one added after the load, or
	 * not wrapped) gets none: IOMMU_GET_HW_INFO would read no control.
	 */
	if (ret || (dev_is_pci(dev) && !to_pci_dev(dev)->pasid_cap))
		dev->iommu->max_pasids = 0;
	else
		dev->iommu->max_pasids = mock.iommu.max_pasids;
	mock_event("probe %s pasids %u%s", dev_name(dev), dev->iommu->max_pasids,
		   ret ? ", no fault queue" : "");
}

static void mock_release_device(struct device *dev)
{
	struct mock_pasid *mp, *tmp;
	struct mock_dev *md;

	down_write(&mock.fault_rwsem);
	mutex_lock(&mock.lock);
	md = mock_find_dev(dev);
	if (md) {
		spin_lock(&mock.devs_lock);
		list_del(&md->next);
		spin_unlock(&mock.devs_lock);
	}
	list_for_each_entry_safe(mp, tmp, &mock.pasids, next) {
		if (mp->dev != dev)
			continue;
		WARN(1, "vfiox-mock-iommu: %s released with PASID %u attached\n",
		     dev_name(dev), mp->pasid);
		list_del(&mp->next);
		kfree(mp);
	}
	mutex_unlock(&mock.lock);
	up_write(&mock.fault_rwsem);
	if (md && md->iopf) {
		iopf_queue_flush_dev(dev);
		iopf_queue_remove_device(mock.iopf, dev);
	}
	kfree(md);
	mock_event("release %s", dev_name(dev));
}

static int mock_def_domain_type(struct device *dev)
{
	return IOMMU_DOMAIN_IDENTITY;
}

static bool mock_capable(struct device *dev, enum iommu_cap cap)
{
	return cap == IOMMU_CAP_CACHE_COHERENCY;
}

static void mock_get_resv_regions(struct device *dev, struct list_head *head)
{
	struct iommu_resv_region *msi;

	/* The x86 MSI window, as every x86 IOMMU reports it */
	msi = iommu_alloc_resv_region(0xfee00000, SZ_1M, 0, IOMMU_RESV_MSI,
				      GFP_KERNEL);
	if (msi)
		list_add_tail(&msi->list, head);
}

static const char *mock_response_name(u32 code)
{
	switch (code) {
	case IOMMU_PAGE_RESP_SUCCESS:
		return "success";
	case IOMMU_PAGE_RESP_INVALID:
		return "invalid";
	case IOMMU_PAGE_RESP_FAILURE:
		return "failure";
	}
	return "unknown";
}

static void mock_page_response(struct device *dev, struct iopf_fault *evt,
			       struct iommu_page_response *msg)
{
	mock_event("response %s pasid %u grpid %u %s", dev_name(dev),
		   msg->pasid, msg->grpid, mock_response_name(msg->code));
}

static const struct iommu_ops mock_ops = {
	.owner			= THIS_MODULE,
	.capable		= mock_capable,
	.domain_alloc_paging	= mock_domain_alloc_paging,
	.domain_alloc_paging_flags = mock_domain_alloc_paging_flags,
	.domain_alloc_sva	= mock_domain_alloc_sva,
	.probe_device		= mock_probe_device,
	.probe_finalize		= mock_probe_finalize,
	.release_device		= mock_release_device,
	.device_group		= mock_device_group,
	.get_resv_regions	= mock_get_resv_regions,
	.page_response		= mock_page_response,
	.def_domain_type	= mock_def_domain_type,
	.identity_domain	= &mock_identity_domain,
	.blocked_domain		= &mock_blocked_domain,
};

/* debugfs */

static int mock_events_show(struct seq_file *s, void *unused)
{
	unsigned long first, i, count;
	char *line;

	line = kmalloc(MOCK_EVENT_LEN, GFP_KERNEL);
	if (!line)
		return -ENOMEM;
	spin_lock_irq(&mock.events_lock);
	count = mock.events_count;
	first = mock.events_head - count;
	spin_unlock_irq(&mock.events_lock);
	for (i = first; i < first + count; i++) {
		spin_lock_irq(&mock.events_lock);
		/* Overwritten since: the reader sees a gap, not a torn line */
		if (mock.events_head - i > MOCK_EVENTS) {
			spin_unlock_irq(&mock.events_lock);
			continue;
		}
		strscpy(line, mock.events[i % MOCK_EVENTS], MOCK_EVENT_LEN);
		spin_unlock_irq(&mock.events_lock);
		seq_printf(s, "%s\n", line);
	}
	kfree(line);
	return 0;
}

static int mock_events_open(struct inode *inode, struct file *file)
{
	return single_open(file, mock_events_show, NULL);
}

static ssize_t mock_events_clear(struct file *file, const char __user *buf,
				 size_t count, loff_t *ppos)
{
	spin_lock_irq(&mock.events_lock);
	mock.events_count = 0;
	spin_unlock_irq(&mock.events_lock);
	return count;
}

static const struct file_operations mock_events_fops = {
	.owner		= THIS_MODULE,
	.open		= mock_events_open,
	.read		= seq_read,
	.llseek		= seq_lseek,
	.write		= mock_events_clear,
	.release	= single_release,
};

static int mock_pasids_show(struct seq_file *s, void *unused)
{
	struct mock_pasid *mp;

	mutex_lock(&mock.lock);
	list_for_each_entry(mp, &mock.pasids, next)
		seq_printf(s, "%s %u domain %u\n", dev_name(mp->dev),
			   mp->pasid, mp->domain_id);
	mutex_unlock(&mock.lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mock_pasids);

static void mock_show_domain(struct seq_file *s, struct mock_domain *md)
{
	unsigned long index, start = 0, last = 0, first_value = 0, value;
	bool open = false;
	void *entry;

	/* Runs of pages contiguous in IOVA and PA with one prot, one a line */
	xa_for_each(&md->pages, index, entry) {
		value = xa_to_value(entry);
		if (open && index == last + 1 &&
		    value == first_value + ((index - start) << MOCK_PROT_BITS)) {
			last = index;
			continue;
		}
		if (open)
			seq_printf(s, "domain %u %#lx-%#lx pa %#lx %s\n", md->id,
				   start << PAGE_SHIFT,
				   ((last + 1) << PAGE_SHIFT) - 1,
				   (first_value >> MOCK_PROT_BITS) << PAGE_SHIFT,
				   mock_prot_name(first_value));
		open = true;
		start = index;
		last = index;
		first_value = value;
	}
	if (open)
		seq_printf(s, "domain %u %#lx-%#lx pa %#lx %s\n", md->id,
			   start << PAGE_SHIFT, ((last + 1) << PAGE_SHIFT) - 1,
			   (first_value >> MOCK_PROT_BITS) << PAGE_SHIFT,
			   mock_prot_name(first_value));
}

static int mock_mappings_show(struct seq_file *s, void *unused)
{
	struct mock_domain *md;

	mutex_lock(&mock.lock);
	list_for_each_entry(md, &mock.paging, next)
		mock_show_domain(s, md);
	mutex_unlock(&mock.lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mock_mappings);

/*
 * "BDF PASID|- ADDR r|w|rw [GRPID [nolast]]": a page request from the
 * device, as its PRI would send it.
 */
static int mock_parse_fault(char *line, char *bdf, struct iopf_fault *evt)
{
	struct iommu_fault_page_request *prm = &evt->fault.prm;
	char pasid[12], perm[4], last[8] = "last";
	int n;

	n = sscanf(line, "%31s %11s %llx %3s %u %7s", bdf, pasid, &prm->addr,
		   perm, &prm->grpid, last);
	if (n < 4)
		return -EINVAL;
	evt->fault.type = IOMMU_FAULT_PAGE_REQ;
	if (strcmp(pasid, "-")) {
		if (kstrtou32(pasid, 0, &prm->pasid))
			return -EINVAL;
		prm->flags |= IOMMU_FAULT_PAGE_REQUEST_PASID_VALID |
			      IOMMU_FAULT_PAGE_RESPONSE_NEEDS_PASID;
	}
	if (!strcmp(perm, "r"))
		prm->perm = IOMMU_FAULT_PERM_READ;
	else if (!strcmp(perm, "w"))
		prm->perm = IOMMU_FAULT_PERM_WRITE;
	else if (!strcmp(perm, "rw"))
		prm->perm = IOMMU_FAULT_PERM_READ | IOMMU_FAULT_PERM_WRITE;
	else
		return -EINVAL;
	if (!strcmp(last, "last"))
		prm->flags |= IOMMU_FAULT_PAGE_REQUEST_LAST_PAGE;
	else if (strcmp(last, "nolast"))
		return -EINVAL;
	return 0;
}

/* Whether a request from @dev under @prm may be reported now. */
static bool mock_fault_target_live(struct device *dev,
				   struct iommu_fault_page_request *prm)
{
	struct mock_dev *md;
	bool live;

	mutex_lock(&mock.lock);
	md = mock_find_dev(dev);
	live = md && md->iopf;
	if (live && (prm->flags & IOMMU_FAULT_PAGE_REQUEST_PASID_VALID))
		live = mock_find_pasid(dev, prm->pasid);
	else if (live && prm->addr != MOCK_FLUSH_ONLY)
		live = md->rid_iopf;
	mutex_unlock(&mock.lock);
	return live;
}

static ssize_t mock_fault_write(struct file *file, const char __user *ubuf,
				size_t count, loff_t *ppos)
{
	struct iommu_fault_page_request flush_only = {
		.addr = MOCK_FLUSH_ONLY,
	};
	struct iopf_fault evt = {};
	char bdf[32], *line;
	struct device *dev;
	int ret;

	if (count > 127)
		return -EINVAL;
	line = memdup_user_nul(ubuf, count);
	if (IS_ERR(line))
		return PTR_ERR(line);
	ret = mock_parse_fault(line, bdf, &evt);
	kfree(line);
	if (ret)
		return ret;
	dev = bus_find_device_by_name(&pci_bus_type, NULL, bdf);
	if (!dev)
		return -ENODEV;
	down_read(&mock.fault_rwsem);
	if (!mock_fault_target_live(dev, &evt.fault.prm)) {
		up_read(&mock.fault_rwsem);
		put_device(dev);
		return -ENOENT;
	}
	mock_event("fault %s pasid %d addr %#llx perm %#x grpid %u%s", bdf,
		   evt.fault.prm.flags & IOMMU_FAULT_PAGE_REQUEST_PASID_VALID ?
		   (int)evt.fault.prm.pasid : -1, evt.fault.prm.addr,
		   evt.fault.prm.perm, evt.fault.prm.grpid,
		   evt.fault.prm.flags & IOMMU_FAULT_PAGE_REQUEST_LAST_PAGE ?
		   "" : " nolast");
	mock_check_master(dev, "when it sends a page request");
	ret = iommu_report_device_fault(dev, &evt);
	up_read(&mock.fault_rwsem);
	/*
	 * Handlers run on the queue's workqueue: wait for their responses.
	 * A release in between flushed them itself and flushing again finds
	 * no queue, which the core reports as an error only.
	 */
	down_read(&mock.fault_rwsem);
	if (mock_fault_target_live(dev, &flush_only))
		iopf_queue_flush_dev(dev);
	up_read(&mock.fault_rwsem);
	put_device(dev);
	return ret ? ret : count;
}

static const struct file_operations mock_fault_fops = {
	.owner	= THIS_MODULE,
	.write	= mock_fault_write,
};

/* "sva ERRNO" or "pasid ERRNO": the next one of those fails with -ERRNO */
static ssize_t mock_refuse_write(struct file *file, const char __user *ubuf,
				 size_t count, loff_t *ppos)
{
	char what[8], *line;
	int err, n;

	if (count > 31)
		return -EINVAL;
	line = memdup_user_nul(ubuf, count);
	if (IS_ERR(line))
		return PTR_ERR(line);
	n = sscanf(line, "%7s %d", what, &err);
	kfree(line);
	if (n == 2 && !strcmp(what, "unmap") && err >= 0) {
		atomic_set(&mock.refuse_unmap, err);
		return count;
	}
	if (n == 2 && err >= 0 && !strcmp(what, "nowait")) {
		atomic_set(&mock.refuse_nowait, err);
		return count;
	}
	if (n == 2 && err >= 0 && !strcmp(what, "mapfail")) {
		atomic_set(&mock.refuse_map, err);
		return count;
	}
	if (n == 2 && err >= 0 && !strcmp(what, "attach")) {
		atomic_set(&mock.refuse_attach, err);
		return count;
	}
	if (n == 2 && err == 1 && !strcmp(what, "noqueue")) {
		atomic_set(&mock.refuse_queue, 1);
		return count;
	}
	if (n == 2 && !strcmp(what, "stall") && (err == 0 || err == 1)) {
		WRITE_ONCE(mock.stall, err);
		wake_up_all(&mock.stall_wq);
		return count;
	}
	if (n != 2 || err <= 0 || err >= MAX_ERRNO)
		return -EINVAL;
	if (!strcmp(what, "sva"))
		atomic_set(&mock.refuse_sva, -err);
	else if (!strcmp(what, "pasid"))
		atomic_set(&mock.refuse_pasid, -err);
	else if (!strcmp(what, "iopf"))
		atomic_set(&mock.refuse_iopf, -err);
	else
		return -EINVAL;
	return count;
}

static const struct file_operations mock_refuse_fops = {
	.owner	= THIS_MODULE,
	.write	= mock_refuse_write,
};

/*
 * The writer waits while "stall 1" is in force, uninterruptibly: a process
 * killed here cannot reach exit_mm(), so its mm stays for process_mrelease().
 */
static ssize_t mock_hold_write(struct file *file, const char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	mock_event("hold %d", task_pid_nr(current));
	wait_event_timeout(mock.stall_wq, !READ_ONCE(mock.stall), 20 * HZ);
	mock_event("hold %d released", task_pid_nr(current));
	return count;
}

static const struct file_operations mock_hold_fops = {
	.owner	= THIS_MODULE,
	.write	= mock_hold_write,
};

static void mock_debugfs_init(void)
{
	mock.debugfs = debugfs_create_dir("vfiox-mock-iommu", NULL);
	debugfs_create_file("events", 0600, mock.debugfs, NULL,
			    &mock_events_fops);
	debugfs_create_file("fault", 0200, mock.debugfs, NULL,
			    &mock_fault_fops);
	debugfs_create_file("refuse", 0200, mock.debugfs, NULL,
			    &mock_refuse_fops);
	debugfs_create_file("hold", 0200, mock.debugfs, NULL,
			    &mock_hold_fops);
	debugfs_create_file("pasids", 0400, mock.debugfs, NULL,
			    &mock_pasids_fops);
	debugfs_create_file("mappings", 0400, mock.debugfs, NULL,
			    &mock_mappings_fops);
}

static int __init mock_init(void)
{
	int ret;

	/* PASID 0 means none: a width of 0 leaves no PASID to give */
	if (!pasid_bits || pasid_bits > 20)
		return -EINVAL;
	mutex_init(&mock.lock);
	init_rwsem(&mock.fault_rwsem);
	init_waitqueue_head(&mock.stall_wq);
	INIT_LIST_HEAD(&mock.devs);
	spin_lock_init(&mock.devs_lock);
	spin_lock_init(&mock.events_lock);
	INIT_LIST_HEAD(&mock.paging);
	INIT_LIST_HEAD(&mock.pasids);
	mock.iommu.max_pasids = 1U << pasid_bits;
	mock.events = kvcalloc(MOCK_EVENTS, MOCK_EVENT_LEN, GFP_KERNEL);
	if (!mock.events)
		return -ENOMEM;
	mock.iopf = iopf_queue_alloc("vfiox-mock-iommu");
	if (!mock.iopf) {
		ret = -ENOMEM;
		goto err_events;
	}
	mock_debugfs_init();
	ret = iommu_device_sysfs_add(&mock.iommu, NULL, NULL,
				     "vfiox-mock-iommu");
	if (ret)
		goto err_iopf;
	ret = mock_cfg_init();
	if (ret)
		goto err_sysfs;
	ret = iommu_device_register(&mock.iommu, &mock_ops, NULL);
	if (ret)
		goto err_cfg;
	pr_info("vfiox-mock-iommu: a test-only IOMMU claims %s\n",
		devices ?: "nothing");
	return 0;

err_cfg:
	mock_cfg_exit();
err_sysfs:
	if (mock.shared)
		iommu_group_put(mock.shared);
	iommu_device_sysfs_remove(&mock.iommu);
err_iopf:
	debugfs_remove_recursive(mock.debugfs);
	iopf_queue_free(mock.iopf);
err_events:
	kvfree(mock.events);
	return ret;
}

static void __exit mock_exit(void)
{
	iommu_device_unregister(&mock.iommu);
	WARN_ON(!list_empty(&mock.pasids) || !list_empty(&mock.devs) ||
		!list_empty(&mock.paging));
	mock_cfg_exit();
	if (mock.shared)
		iommu_group_put(mock.shared);
	iommu_device_sysfs_remove(&mock.iommu);
	debugfs_remove_recursive(mock.debugfs);
	iopf_queue_free(mock.iopf);
	kvfree(mock.events);
}

module_init(mock_init);
module_exit(mock_exit);
MODULE_DESCRIPTION("Test-only mock IOMMU for libvfiox's VFIO tests");
MODULE_LICENSE("GPL");
