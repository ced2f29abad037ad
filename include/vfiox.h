/* SPDX-License-Identifier: MIT */
/*
 * libvfiox - a userspace library over the Linux VFIO uAPI.
 *
 * Umbrella header: include this one. Every call returns 0 or a positive
 * value on success and a negative errno on failure; global errno is not part
 * of the contract. Diagnostics go to the callback set with vfiox_set_log().
 */
#ifndef VFIOX_H
#define VFIOX_H

#include <vfiox/log.h>
#include <vfiox/caps.h>
#include <vfiox/container.h>
#include <vfiox/group.h>
#include <vfiox/device.h>
#include <vfiox/dma.h>
#include <vfiox/pool.h>
#include <vfiox/resv.h>
#include <vfiox/pci.h>
#include <vfiox/p2p.h>
#include <vfiox/events.h>
#include <vfiox/uevent.h>
#include <vfiox/bind.h>
#include <vfiox/sriov.h>
#include <vfiox/svm.h>
#include <vfiox/iopf.h>

#endif
