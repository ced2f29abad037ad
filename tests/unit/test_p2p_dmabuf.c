// SPDX-License-Identifier: MIT
/*
 * P2P on iommufd against the fake kernel: a BAR range exported as a
 * vfio-pci dma-buf and mapped with IOMMU_IOAS_MAP_FILE behind
 * vfiox_p2p_map(); the exporter's reset or close (which revoke the dma-buf,
 * silently, as Linux 7.2 does) listed as VFIOX_P2P_REVOKED while the IOAS
 * keeps the mapping; and a kernel without the export or MAP_FILE refused
 * with -EOPNOTSUPP naming the way out.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fake_kernel.h"
#include "../../lib/uapi_iommufd.h"

#define BDF "0000:00:03.0"

static int setup(void **state)
{
	(void)state;
	fk_iommufd_machine();
	return 0;
}

static void open_all(struct vfiox_container **c, struct vfiox_group **g,
		     struct vfiox_device **d, int backend)
{
	struct vfiox_container_opts opts = {
		.sz = sizeof(opts), .dev_root = "/fake/dev/vfio",
		.sysfs_root = "/fake/sys", .backend = backend,
	};

	assert_int_equal(vfiox_container_open_sys(&opts, &fake_sys, c), 0);
	assert_int_equal(vfiox_container_backend(*c), backend);
	assert_int_equal(vfiox_group_open(*c, 7, g), 0);
	assert_int_equal(vfiox_device_open(*g, BDF, NULL, d), 0);
}

static int dmabuf_fds(void)
{
	int i, n = 0;

	for (i = 0; i < FK_MAX_FDS; i++)
		n += fk.fds[i].kind == FK_FD_DMABUF;
	return n;
}

static uint32_t listed_flags(struct vfiox_container *c)
{
	struct vfiox_p2p_mapping m;

	assert_int_equal(vfiox_p2p_list(c, &m, 1), 1);
	return m.flags;
}

static void p2p_map_exports_a_dmabuf_and_maps_the_file(void **state)
{
	struct vfiox_container *c;
	struct vfiox_group *g;
	struct vfiox_device *d;
	struct vfiox_p2p_mapping m;
	uint64_t iova, out;
	uint8_t *bar;

	(void)state;
	open_all(&c, &g, &d, VFIOX_BACKEND_IOMMUFD);
	assert_int_equal(vfiox_region_mmap(d, 0, (void **)&bar), 0);
	assert_int_equal(vfiox_p2p_map(c, d, 0, 0x1000, 0x2000, NULL, &iova), 0);
	assert_int_equal(fk.dmabuf_exports, 1);
	assert_int_equal(fk.ioas_map_files, 1);
	assert_int_equal(fk.ioas_maps, 0);	/* not the BAR's mmap */
	assert_int_equal(fk.nr_maps, 1);
	assert_non_null(fk.maps[0].dmabuf);
	assert_int_equal(fk.maps[0].dmabuf->index, 0);
	assert_int_equal(fk.maps[0].dmabuf->offset, 0x1000);
	assert_int_equal(fk.maps[0].dmabuf->len, 0x2000);
	assert_int_equal(fk.maps[0].iova, iova);
	assert_true(fk.maps[0].flags & VFIOX_IOMMU_IOAS_MAP_WRITEABLE);
	/* The IOAS holds the dma-buf: libvfiox keeps no fd of it. */
	assert_int_equal(dmabuf_fds(), 0);
	assert_int_equal(vfiox_dma_translate(c, bar + 0x1800, &out), 0);
	assert_int_equal(out, iova + 0x800);
	assert_int_equal(vfiox_p2p_list(c, &m, 1), 1);
	assert_string_equal(m.device, BDF);
	assert_int_equal(m.flags, 0);
	assert_int_equal(m.iova, iova);
	assert_int_equal(vfiox_p2p_revocable(c), 1);
	assert_int_equal(vfiox_p2p_unmap(c, iova, 0x2000), 0);
	assert_int_equal(fk.nr_maps, 0);
	assert_int_equal(vfiox_p2p_list(c, NULL, 0), 0);
	assert_true(fk_close_clean(c));
}

static void read_only_p2p_map_is_not_writeable(void **state)
{
	struct vfiox_dma_opts ro = { .sz = sizeof(ro), .read_only = true };
	struct vfiox_container *c;
	struct vfiox_group *g;
	struct vfiox_device *d;
	uint64_t iova = 0x100000;

	(void)state;
	open_all(&c, &g, &d, VFIOX_BACKEND_IOMMUFD);
	assert_int_equal(vfiox_p2p_map_fixed(c, d, 0, 0, 0x1000, iova, &ro), 0);
	assert_int_equal(fk.maps[0].iova, iova);
	assert_false(fk.maps[0].flags & VFIOX_IOMMU_IOAS_MAP_WRITEABLE);
	assert_true(fk.maps[0].flags & VFIOX_IOMMU_IOAS_MAP_READABLE);
	assert_true(fk_close_clean(c));
}

/*
 * The kernel revokes the dma-buf at the reset and leaves the IOAS mapping
 * in place: libvfiox lists it revoked, keeps its IOVA taken until it is
 * unmapped, and a new map after the reset is live.
 */
static void reset_of_the_exporter_lists_its_mapping_revoked(void **state)
{
	struct vfiox_dma_stats st = { .sz = sizeof(st) };
	struct vfiox_container *c;
	struct vfiox_group *g;
	struct vfiox_device *d;
	uint64_t iova, again;

	(void)state;
	open_all(&c, &g, &d, VFIOX_BACKEND_IOMMUFD);
	assert_int_equal(vfiox_p2p_map(c, d, 0, 0, 0x1000, NULL, &iova), 0);
	assert_int_equal(listed_flags(c), 0);
	assert_int_equal(vfiox_device_reset(d), 0);
	assert_true(fk.maps[0].revoked);
	assert_int_equal(listed_flags(c), VFIOX_P2P_REVOKED);
	assert_true(fk_log_has("revoked"));
	assert_int_equal(vfiox_dma_stats(c, &st), 0);
	assert_int_equal(st.mapped_bytes, 0x1000);	/* the IOAS keeps it */
	assert_int_equal(vfiox_p2p_map(c, d, 0, 0x1000, 0x1000, NULL, &again), 0);
	assert_int_not_equal(again, iova);
	{
		struct vfiox_p2p_mapping m[2];

		assert_int_equal(vfiox_p2p_list(c, m, 2), 2);
		assert_int_equal(m[0].iova, again);	/* newest first */
		assert_int_equal(m[0].flags, 0);
		assert_int_equal(m[1].flags, VFIOX_P2P_REVOKED);
	}
	/* The revoked one is unmapped from the IOAS like any other. */
	assert_int_equal(vfiox_p2p_unmap(c, iova, 0x1000), 0);
	assert_int_equal(fk.nr_maps, 1);
	assert_int_equal(vfiox_p2p_unmap(c, again, 0x1000), 0);
	assert_int_equal(fk.nr_maps, 0);
	assert_true(fk_close_clean(c));
}

/* The owner closes the device: revoked, and still unmappable after. */
static void close_of_the_exporter_lists_its_mapping_revoked(void **state)
{
	struct vfiox_container *c;
	struct vfiox_group *g;
	struct vfiox_device *d;
	uint64_t iova;

	(void)state;
	open_all(&c, &g, &d, VFIOX_BACKEND_IOMMUFD);
	assert_int_equal(vfiox_p2p_map(c, d, 0, 0, 0x1000, NULL, &iova), 0);
	vfiox_device_close(d);
	assert_true(fk.maps[0].revoked);
	assert_int_equal(listed_flags(c), VFIOX_P2P_REVOKED);
	assert_int_equal(vfiox_p2p_unmap(c, iova, 0x1000), 0);
	assert_int_equal(fk.nr_maps, 0);
	assert_int_equal(vfiox_p2p_list(c, NULL, 0), 0);
	assert_true(fk_close_clean(c));
}

/* Refused with nothing left behind: no fd, no mapping, no record. */
static void assert_refused_cleanly(struct vfiox_container *c, int ret)
{
	struct vfiox_dma_stats st = { .sz = sizeof(st) };

	assert_int_equal(ret, -EOPNOTSUPP);
	assert_true(fk_log_has("legacy backend"));
	assert_true(fk_log_has("newer kernel") || fk_log_has("Linux 6.19"));
	assert_int_equal(dmabuf_fds(), 0);
	assert_int_equal(fk.nr_maps, 0);
	assert_int_equal(vfiox_p2p_list(c, NULL, 0), 0);
	assert_int_equal(vfiox_dma_stats(c, &st), 0);
	assert_int_equal(st.entries_used, 0);
}

static void kernel_without_dmabuf_export_is_eopnotsupp(void **state)
{
	struct vfiox_container *c;
	struct vfiox_group *g;
	struct vfiox_device *d;
	uint64_t iova;

	(void)state;
	fk.no_dmabuf = true;
	open_all(&c, &g, &d, VFIOX_BACKEND_IOMMUFD);
	assert_refused_cleanly(c, vfiox_p2p_map(c, d, 0, 0, 0x1000, NULL, &iova));
	assert_int_equal(fk.dmabuf_exports, 0);
	assert_int_equal(fk.ioas_map_files, 0);
	assert_true(fk_close_clean(c));
}

static void iommufd_without_map_file_is_eopnotsupp(void **state)
{
	struct vfiox_container *c;
	struct vfiox_group *g;
	struct vfiox_device *d;
	uint64_t iova;

	(void)state;
	fk.no_map_file = true;
	open_all(&c, &g, &d, VFIOX_BACKEND_IOMMUFD);
	assert_refused_cleanly(c, vfiox_p2p_map(c, d, 0, 0, 0x1000, NULL, &iova));
	assert_int_equal(fk.dmabuf_exports, 1);	/* exported, then closed */
	assert_true(fk_close_clean(c));
}

/* A range vfio-pci refuses (not page aligned) is its errno, logged. */
static void export_refused_by_the_kernel_is_its_errno(void **state)
{
	struct vfiox_container *c;
	struct vfiox_group *g;
	struct vfiox_device *d;
	uint64_t iova;

	(void)state;
	open_all(&c, &g, &d, VFIOX_BACKEND_IOMMUFD);
	assert_int_equal(vfiox_p2p_map(c, d, 0, 0x800, 0x1000, NULL, &iova), -EINVAL);
	assert_int_equal(fk.dmabuf_exports, 1);
	assert_true(fk_log_has("VFIO_DEVICE_FEATURE_DMA_BUF of region 0 [0x800, +0x1000)"));
	assert_int_equal(dmabuf_fds(), 0);
	assert_int_equal(fk.nr_maps, 0);
	assert_int_equal(vfiox_p2p_list(c, NULL, 0), 0);
	assert_true(fk_close_clean(c));
}

/* The legacy backend maps the BAR's mmap, as before: no dma-buf. */
static void legacy_p2p_map_takes_no_dmabuf(void **state)
{
	struct vfiox_container *c;
	struct vfiox_group *g;
	struct vfiox_device *d;
	uint64_t iova;

	(void)state;
	open_all(&c, &g, &d, VFIOX_BACKEND_LEGACY);
	assert_int_equal(vfiox_p2p_map(c, d, 0, 0, 0x1000, NULL, &iova), 0);
	assert_int_equal(fk.dmabuf_exports, 0);
	assert_int_equal(vfiox_device_reset(d), 0);
	assert_int_equal(listed_flags(c), 0);	/* stock type1 keeps it */
	assert_int_equal(vfiox_p2p_unmap(c, iova, 0x1000), 0);
	assert_true(fk_close_clean(c));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, NULL)
	const struct CMUnitTest tests[] = {
		T(p2p_map_exports_a_dmabuf_and_maps_the_file),
		T(read_only_p2p_map_is_not_writeable),
		T(reset_of_the_exporter_lists_its_mapping_revoked),
		T(close_of_the_exporter_lists_its_mapping_revoked),
		T(kernel_without_dmabuf_export_is_eopnotsupp),
		T(iommufd_without_map_file_is_eopnotsupp),
		T(export_refused_by_the_kernel_is_its_errno),
		T(legacy_p2p_map_takes_no_dmabuf),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
