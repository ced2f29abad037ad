#!/bin/sh
# SPDX-License-Identifier: MIT
# examples/edu-dma as a test: a DMA round trip through edu and the IOMMU.
exec edu-dma "$VFIOX_EDU"
