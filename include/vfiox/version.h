/* SPDX-License-Identifier: MIT */
#ifndef VFIOX_VERSION_H
#define VFIOX_VERSION_H

/*
 * The version of these headers (pkg-config --modversion libvfiox says the
 * same), for #if around calls a later version added: each call's version
 * is its node in the library's symbol map (LIBVFIOX_0.2: the iommufd
 * calls). Every public header includes this one, so the macros are there
 * whichever header a program includes. meson.build refuses to configure
 * when they and the project's version disagree.
 */
#define VFIOX_VERSION_MAJOR 0
#define VFIOX_VERSION_MINOR 2
#define VFIOX_VERSION_MICRO 0
#define VFIOX_CHECK_VERSION(major, minor) \
	(VFIOX_VERSION_MAJOR > (major) || \
	 (VFIOX_VERSION_MAJOR == (major) && VFIOX_VERSION_MINOR >= (minor)))

#endif
