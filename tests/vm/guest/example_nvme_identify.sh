#!/bin/sh
# SPDX-License-Identifier: MIT
# examples/nvme-identify as a test: the controller QEMU emulates answers
# with its model and the serial given on the QEMU command line.
out=$(nvme-identify "$VFIOX_NVME") || exit 1
echo "$out"
echo "$out" | grep -qx "model: QEMU NVMe Ctrl" || exit 1
echo "$out" | grep -qx "serial: deadbeef" || exit 1
