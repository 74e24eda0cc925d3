/* SPDX-License-Identifier: MIT */
/* ranges.c - address range arithmetic for the memory writer (memory.h). */
#include "memory.h"

int mem_subtract(uint64_t start, uint64_t end, const struct mem_range *ex, int nex,
		 struct mem_range *out, int max)
{
	int n = 0;
	uint64_t cur = start;

	while (cur < end) {
		/* the excluded range that starts first at or after cur, or covers cur */
		uint64_t next_ex = end, ex_end = 0;
		for (int i = 0; i < nex; i++) {
			if (ex[i].end <= cur || ex[i].start >= end)
				continue;
			uint64_t s = ex[i].start > cur ? ex[i].start : cur;
			if (s < next_ex || (s == next_ex && ex[i].end > ex_end)) {
				next_ex = s;
				ex_end = ex[i].end;
			}
		}
		if (next_ex > cur) {
			if (n == max)
				return n;
			out[n].start = cur;
			out[n].end = next_ex;
			n++;
		}
		if (next_ex >= end)
			break;
		cur = ex_end;
	}
	return n;
}
