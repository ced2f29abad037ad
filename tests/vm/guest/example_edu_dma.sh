#!/bin/sh
# SPDX-License-Identifier: MIT
# examples/edu-dma as a test: a DMA round trip through edu and the IOMMU,
# then a P2P copy into ivshmem's BAR (with the revocation event when patched).
# On iommufd the P2P copy goes through a vfio-pci dma-buf (docs/iommufd.md),
# which the debug kernel exports: it must land, with no event awaited (iommufd
# sends none) and the mapping unmapped before ivshmem closes.
if [ "$VFIOX_BACKEND" = iommufd ]; then
	out=$(edu-dma "$VFIOX_EDU" --p2p "$VFIOX_IVSHMEM" 2>&1)
	rc=$?
	echo "$out"
	echo "$out" | grep -q "through the IOMMU: match" || { echo "FAILED: no DMA round trip"; exit 1; }
	echo "$out" | grep -q "iommufd: the kernel revokes" || { echo "FAILED: no word on iommufd's silent revocation"; exit 1; }
	echo "$out" | grep -q "p2p: edu wrote .* BAR 2 .*: match" || { echo "FAILED: the P2P copy through the dma-buf did not land"; exit 1; }
	[ "$rc" -eq 0 ] || { echo "FAILED: edu-dma exited $rc"; exit 1; }
	exit 0
fi
exec edu-dma "$VFIOX_EDU" --p2p "$VFIOX_IVSHMEM"
