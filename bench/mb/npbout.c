/* SPDX-License-Identifier: MIT */
/*
 * npbout.c: npb_lu's output lines; the --binary output check.
 */
#include "npbout.h"

#include "../progs/npb/lu.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(NPB_NVAR == LU_NVAR, "npb_lu prints LU_NVAR residuals");

int npb_iter_line(const char *line, long *k, long *total)
{
	char *end;

	if (strncmp(line, "iter ", 5))
		return -EINVAL;
	*k = strtol(line + 5, &end, 10);
	if (end == line + 5 || *end != '/')
		return -EINVAL;
	line = end + 1;
	*total = strtol(line, &end, 10);
	if (end == line || (*end && *end != '\n') || *k < 0 || *total <= 0)
		return -EINVAL;
	return 0;
}

/* calls fn for each line of out (copied, NUL-terminated, without '\n') */
static void each_line(const char *out, size_t len, void (*fn)(const char *, size_t, void *),
		      void *arg)
{
	char line[1024];

	for (size_t i = 0; i < len;) {
		const char *nl = memchr(out + i, '\n', len - i);
		size_t l = nl ? (size_t)(nl - (out + i)) : len - i;

		snprintf(line, sizeof line, "%.*s", (int)(l < sizeof line ? l : sizeof line - 1),
			 out + i);
		i += l + (nl != NULL);
		fn(line, i, arg);
	}
}

static void scan_line(const char *line, size_t end, void *arg)
{
	struct npb_out *o = arg;
	long k, t;

	(void)end;
	if (!npb_iter_line(line, &k, &t))
		o->iters = t;
	else if (!lu_parse_residuals(line, o->res))
		o->has_residuals = 1;
	else if (!strncmp(line, "memory ", 7))
		o->memory_kib = strtoll(line + 7, NULL, 10);
}

void npb_scan(const char *out, size_t len, struct npb_out *o)
{
	memset(o, 0, sizeof *o);
	o->memory_kib = -1;
	each_line(out, len, scan_line, o);
}

struct find_iter {
	long k;
	long long off;
};

static void find_line(const char *line, size_t end, void *arg)
{
	struct find_iter *f = arg;
	long k, t;

	if (f->off < 0 && !npb_iter_line(line, &k, &t) && k == f->k)
		f->off = (long long)end;
}

long long npb_offset_after(const char *out, size_t len, long k)
{
	struct find_iter f = { .k = k, .off = -1 };

	each_line(out, len, find_line, &f);
	return f.off;
}

int npb_output_completes(const char *full, size_t flen, const char *before, size_t blen,
			 const char *after, size_t alen)
{
	size_t s;

	if (alen > flen)
		return 0;
	s = flen - alen;
	return s <= blen && (!s || !memcmp(full, before, s)) &&
	       (!alen || !memcmp(full + s, after, alen));
}
