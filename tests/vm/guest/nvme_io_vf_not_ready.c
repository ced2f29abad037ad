// SPDX-License-Identifier: MIT
/*
 * A controller that never becomes ready: a VF of QEMU's SR-IOV NVMe whose
 * secondary controller was never brought online refuses CC.EN (QEMU 7.2
 * answers with CSTS.CFS, fatal status, and RDY stays 0). This test owns
 * the PF (VF token set, one VF enabled) and runs nvme-io on the VF: it must
 * say the controller did not become ready, and exit 1. On amd-iommu the
 * VFs have no IOMMU group (sriov_vf_token), so there is nothing to run.
 * The same on iommufd, where the token is given at the VF's bind.
 */
#include <sys/wait.h>

#include "vmtest.h"

#define TOKEN "0f1e2d3c-4b5a-4697-8877-665544332211"

/* Runs nvme-io on @vf; its output into @out, its exit status returned. */
static int run_nvme_io(const char *vf, char *out, size_t len)
{
	char cmd[256];
	size_t got = 0, n;
	FILE *f;
	int st;

	snprintf(cmd, sizeof(cmd), "nvme-io %s read --count 8 --vf-token %s 2>&1", vf, TOKEN);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	while (got + 1 < len && (n = fread(out + got, 1, len - 1 - got, f)) > 0)
		got += n;
	out[got] = '\0';
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int main(void)
{
	const char *pf = vt_env("VFIOX_NVME_SRIOV");
	struct vfiox_container *c;
	struct vfiox_group *g;
	struct vfiox_device *d;
	char vf[16], out[4096];
	int rc;

	vt_init();
	if (!strcmp(vt_env("VFIOX_MACHINE"), "amd-iommu")) {
		printf("  amd-iommu: the VFs get no IOMMU group here; nothing to open\n");
		return vt_done("nvme_io_vf_not_ready");
	}
	CHECK_RET(vt_open(pf, &c, &g, &d), 0);
	if (vt_failures)
		return vt_done("nvme_io_vf_not_ready");
	CHECK_RET(vfiox_device_set_vf_token(d, TOKEN), 0);
	CHECK_RET(vfiox_pci_sriov_enable(pf, 1, NULL), 1);
	CHECK_RET(vfiox_pci_sriov_vf(pf, 0, vf, sizeof(vf), NULL), 0);
	if (!vt_failures) {
		rc = run_nvme_io(vf, out, sizeof(out));
		printf("%s", out);
		CHECK(rc == 1, "nvme-io on the offline VF exited %d, wanted 1", rc);
		CHECK(strstr(out, "controller did not become ready"),
		      "no 'did not become ready' message");
	}
	CHECK_RET(vfiox_pci_sriov_disable(pf, NULL), 0);
	vfiox_container_close(c);
	return vt_done("nvme_io_vf_not_ready");
}
