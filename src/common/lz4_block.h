/* SPDX-License-Identifier: MIT */
/*
 * lz4_block.h - a decoder of the LZ4 block format (lz4's
 * doc/lz4_Block_format.md), safe on any input.  Built twice: hosted, and
 * freestanding in the restorer (Debian's liblz4 reads the stack canary at
 * %fs:0x28, so it cannot run there).
 */
#ifndef MTCP_LZ4_BLOCK_H
#define MTCP_LZ4_BLOCK_H

#include <stddef.h>

/*! lz4_block_decode() :
 * Decodes the one LZ4 block in `src` (exactly `src_len` bytes, no
 * dictionary) into `dst`, which has room for `dst_cap` bytes.  `src` and
 * `dst` must not overlap.
 * @return : the number of bytes decoded (<= dst_cap), or -1 if the block is
 *           malformed or does not fit in dst_cap: a sequence cut short by
 *           the end of src, a match with offset 0 or reaching before dst,
 *           a length past the end of src or of dst, trailing bytes after a
 *           match (a block ends with a sequence of literals only).
 * Note 1 : whatever the input, it reads only [src, src + src_len) and
 *          writes only [dst, dst + dst_cap).  It may write there past the
 *          returned length, and leaves dst undefined when it returns -1.
 * Note 2 : the end-of-block rules of the format (last 5 bytes are
 *          literals, last match starts 12 bytes or more before the end)
 *          are neither relied on nor enforced: liblz4 rejects such blocks,
 *          this decoder decodes them.
 */
long lz4_block_decode(const void *src, size_t src_len, void *dst, size_t dst_cap);

#endif
