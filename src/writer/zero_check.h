/* SPDX-License-Identifier: MIT */
/*
 * zero_check.h - is a page all zero?  SSE2 (every x86_64 has it), 64 bytes
 * per step, leaving at the first non-zero block: random data is rejected
 * after one cache line, a zero page costs one pass at memory bandwidth.
 * Pure functions, no state: safe on the writer's helper threads.
 */
#ifndef MTCP_ZERO_CHECK_H
#define MTCP_ZERO_CHECK_H

#include <stddef.h>
#include <stdint.h>

#define ZC_PAGE 4096u

/* 1 if the 4096 bytes at p (16-byte aligned) are all zero, else 0. */
int zc_page_is_zero(const void *p);

/* Pages from p (page aligned) of npages that are zero, counted until the
 * first non-zero page: the length of the leading zero run, in pages. */
size_t zc_zero_run(const void *p, size_t npages);

/* The length of the leading non-zero run, in pages. */
size_t zc_data_run(const void *p, size_t npages);

#endif
