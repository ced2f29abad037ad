/* SPDX-License-Identifier: MIT */
/*
 * Debian's 7.2.13 VFIO selftests call calloc_assert(), which no header of
 * that tree declares (a stable backport without its helper), so they do
 * not build as shipped. tests/vm/debug/selftests force-includes this.
 */
#include <stdio.h>
#include <stdlib.h>

static inline void *calloc_assert(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb, size);

	if (!p) {
		fprintf(stderr, "calloc(%zu, %zu) failed\n", nmemb, size);
		exit(1);
	}
	return p;
}
