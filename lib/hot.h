/* SPDX-License-Identifier: MIT */
/*
 * Code placement for the DMA map/unmap/translate hot path.
 *
 * Measured in the test bed (QEMU TCG): every return, every indirect call
 * and every jump into another 4 KiB page of code costs a translation-block
 * lookup, as much as dozens of plain instructions. So the hot path is only
 * a few calls deep (VFIOX_INLINE on the helpers it is built from), and the
 * functions that stay out of line sit together in .text.hot (VFIOX_HOT),
 * where calls between them mostly stay inside one page.
 */
#ifndef VFIOX_HOT_H
#define VFIOX_HOT_H

#define VFIOX_HOT __attribute__((hot))
#define VFIOX_INLINE static inline __attribute__((always_inline))

#endif
