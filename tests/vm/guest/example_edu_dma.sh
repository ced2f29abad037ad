#!/bin/sh
# SPDX-License-Identifier: MIT
# examples/edu-dma as a test: a DMA round trip through edu and the IOMMU,
# then a P2P copy into ivshmem's BAR (with the revocation event when patched).
# On iommufd, P2P of a BAR needs the dma-buf way (docs/iommufd.md): the
# round trip must work and the P2P copy be refused, naming the legacy backend.
if [ "$VFIOX_BACKEND" = iommufd ]; then
	out=$(edu-dma "$VFIOX_EDU" --p2p "$VFIOX_IVSHMEM" 2>&1)
	rc=$?
	echo "$out"
	echo "$out" | grep -q "through the IOMMU: match" || { echo "FAILED: no DMA round trip"; exit 1; }
	echo "$out" | grep -q "P2P mapping of a BAR.*legacy backend" || { echo "FAILED: P2P not refused by name"; exit 1; }
	[ "$rc" -ne 0 ] || { echo "FAILED: edu-dma succeeded with P2P refused"; exit 1; }
	exit 0
fi
exec edu-dma "$VFIOX_EDU" --p2p "$VFIOX_IVSHMEM"
