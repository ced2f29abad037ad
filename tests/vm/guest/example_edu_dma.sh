#!/bin/sh
# SPDX-License-Identifier: MIT
# examples/edu-dma as a test: a DMA round trip through edu and the IOMMU,
# then a P2P copy into ivshmem's BAR (with the revocation event when patched).
exec edu-dma "$VFIOX_EDU" --p2p "$VFIOX_IVSHMEM"
