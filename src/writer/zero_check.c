/* SPDX-License-Identifier: MIT */
/* zero_check.c - all-zero page detection (see zero_check.h). */
#include "zero_check.h"

#include <emmintrin.h>

/* 64 bytes: OR four 16-byte loads, compare the result with zero. */
static inline int block64_is_zero(const __m128i *q)
{
	__m128i acc = _mm_or_si128(_mm_or_si128(_mm_load_si128(q), _mm_load_si128(q + 1)),
				   _mm_or_si128(_mm_load_si128(q + 2), _mm_load_si128(q + 3)));
	return _mm_movemask_epi8(_mm_cmpeq_epi8(acc, _mm_setzero_si128())) == 0xffff;
}

int zc_page_is_zero(const void *p)
{
	const __m128i *q = p;

	/* data pages usually differ from zero in their first line */
	if (!block64_is_zero(q))
		return 0;
	/* then 256 bytes per test: few branches, still an early exit */
	for (unsigned i = 0; i < ZC_PAGE / 16; i += 16) {
		__m128i acc = _mm_setzero_si128();
		for (unsigned k = 0; k < 16; k++)
			acc = _mm_or_si128(acc, _mm_load_si128(q + i + k));
		if (_mm_movemask_epi8(_mm_cmpeq_epi8(acc, _mm_setzero_si128())) != 0xffff)
			return 0;
	}
	return 1;
}

size_t zc_zero_run(const void *p, size_t npages)
{
	const char *c = p;
	size_t n = 0;

	while (n < npages && zc_page_is_zero(c + n * ZC_PAGE))
		n++;
	return n;
}

size_t zc_data_run(const void *p, size_t npages)
{
	const char *c = p;
	size_t n = 0;

	while (n < npages && !zc_page_is_zero(c + n * ZC_PAGE))
		n++;
	return n;
}
