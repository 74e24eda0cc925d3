/* SPDX-License-Identifier: MIT */
/*
 * incrout.c: the library's MTCP_VERBOSE lines about an incremental
 * checkpoint (incrout.h).
 */
#include "incrout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PFX "mtcp: "
#define NOT_USED "mtcp: incremental images not used: "

/* "NUMBER WORD" at *p (digits, at most one '.'): the value; *p past WORD. -1: not that */
static int num_word(const char **p, const char *word, double *v)
{
	const char *q = *p;
	int digits = 0, dots = 0;
	size_t wl = strlen(word);

	for (; (*q >= '0' && *q <= '9') || *q == '.'; q++) {
		if (*q == '.')
			dots++;
		else
			digits++;
	}
	if (!digits || dots > 1 || *q != ' ' || strncmp(q + 1, word, wl))
		return -1;
	*v = strtod(*p, NULL);
	*p = q + 1 + wl;
	return 0;
}

/* the text at *p must be lit; *p past it */
static int lit(const char **p, const char *s)
{
	size_t n = strlen(s);

	if (strncmp(*p, s, n))
		return -1;
	*p += n;
	return 0;
}

/* "scan S ms, protect P ms (N new mappings, M MiB)" */
static int tail(const char *p, struct mb_incr_ckpt *c)
{
	double a, b, n, m;

	if (lit(&p, "scan ") || num_word(&p, "ms", &a) || lit(&p, ", protect ") ||
	    num_word(&p, "ms", &b) || lit(&p, " (") || num_word(&p, "new mappings", &n) ||
	    lit(&p, ", ") || num_word(&p, "MiB)", &m))
		return -1;
	c->scan_ms = a;
	c->protect_ms = b;
	c->new_maps = (long long)n;
	c->new_mib = (long long)m;
	return 0;
}

/* "depth D after NAME; written W KiB in R runs of T MiB tracked, I KiB inherited; " + tail */
static int incremental(const char *p, struct mb_incr_ckpt *c)
{
	double d, w, r, t, i;
	const char *semi;

	if (lit(&p, "depth ") || num_word(&p, "after ", &d) || !(semi = strstr(p, "; written ")))
		return -1;
	p = semi + 2;
	if (lit(&p, "written ") || num_word(&p, "KiB in", &w) || lit(&p, " ") ||
	    num_word(&p, "runs of", &r) || lit(&p, " ") || num_word(&p, "MiB tracked,", &t) ||
	    lit(&p, " ") || num_word(&p, "KiB inherited;", &i) || lit(&p, " "))
		return -1;
	if (tail(p, c))
		return -1;
	c->depth = (unsigned)d;
	c->written_kib = (long long)w;
	c->runs = (long long)r;
	c->tracked_mib = (long long)t;
	c->inherited_kib = (long long)i;
	c->type = MB_IC_INCR;
	return 0;
}

/* "[: WHY]; tracking T MiB from now on: " + tail (p right after PATH) */
static int full(const char *p, struct mb_incr_ckpt *c)
{
	const char *t = strstr(p, "; tracking ");
	double mib;

	if (!t)
		return -1;
	if (!strncmp(p, ": ", 2) && t > p + 2)
		snprintf(c->full_why, sizeof c->full_why, "%.*s", (int)(t - p - 2), p + 2);
	else if (t != p)
		return -1;
	else
		c->full_why[0] = 0;
	p = t + strlen("; tracking ");
	if (num_word(&p, "MiB from now on: ", &mib) || tail(p, c))
		return -1;
	c->tracked_mib = (long long)mib;
	c->depth = 0;
	c->written_kib = c->runs = c->inherited_kib = -1;
	c->type = MB_IC_FULL;
	return 0;
}

/* "pause X ms, durable Y ms" then the end or ", ..." */
static int way(const char *p, int kind, struct mb_incr_ckpt *c)
{
	double a, b;

	if (lit(&p, "pause ") || num_word(&p, "ms", &a) || lit(&p, ", durable ") ||
	    num_word(&p, "ms", &b) || (*p && *p != ','))
		return -1;
	c->pause_ms = a;
	c->durable_ms = b;
	c->way = kind;
	return 0;
}

/* one line (len bytes, no '\n') */
static void line(const char *s, size_t len, const char *path, size_t plen, struct mb_incr_ckpt *c)
{
	static const struct {
		const char *word;
		int what;
	} kinds[] = { { "full ", 1 }, { "incremental ", 2 }, { "stop-the-world ", 3 },
		      { "copy-on-write ", 4 } };
	char buf[2048];
	const char *p;

	if (len >= sizeof buf)
		return;
	memcpy(buf, s, len);
	buf[len] = 0;
	if (!strncmp(buf, NOT_USED, sizeof NOT_USED - 1)) {
		snprintf(c->not_used, sizeof c->not_used, "%.200s", buf + sizeof NOT_USED - 1);
		return;
	}
	if (strncmp(buf, PFX, sizeof PFX - 1))
		return;
	for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
		size_t wl = strlen(kinds[k].word);
		struct mb_incr_ckpt t = *c;

		p = buf + sizeof PFX - 1;
		if (strncmp(p, kinds[k].word, wl) || strncmp(p + wl, path, plen))
			continue;
		p += wl + plen;
		switch (kinds[k].what) {
		case 1:
			if (!full(p, &t))
				*c = t;
			break;
		case 2:
			if (!lit(&p, ": ") && !incremental(p, &t))
				*c = t;
			break;
		default:
			if (!lit(&p, ": ") && !way(p, kinds[k].what == 3 ? MB_IC_STW : MB_IC_COW, &t))
				*c = t;
			break;
		}
		return;
	}
}

int mb_incr_parse(const char *text, const char *path, struct mb_incr_ckpt *out)
{
	size_t plen = strlen(path);

	memset(out, 0, sizeof *out);
	out->written_kib = out->runs = out->tracked_mib = out->inherited_kib = -1;
	out->new_maps = out->new_mib = -1;
	out->scan_ms = out->protect_ms = out->pause_ms = out->durable_ms = -1;
	if (!plen)
		return -1;
	for (const char *s = text; *s;) {
		size_t len = strcspn(s, "\n");

		line(s, len, path, plen, out);
		s += len + (s[len] == '\n');
	}
	return out->type != MB_IC_NONE && out->way != MB_IC_WAY_NONE ? 0 : -1;
}
