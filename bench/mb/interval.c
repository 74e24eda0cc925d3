/* SPDX-License-Identifier: MIT */
/*
 * interval.c: the library's checkpoint lines, image names, environments
 * and figures of npb --interval.
 */
#include "interval.h"

#include "stats.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PFX_STW "mtcp: stop-the-world "
#define PFX_COW "mtcp: copy-on-write "
#define PFX_FAILED "mtcp: checkpoint failed: "
#define PAUSE ": pause "
#define DURABLE ", durable "

void mb_iv_log_init(struct mb_iv_log *l)
{
	memset(l, 0, sizeof *l);
	l->pause_max_s = NAN;
}

/* digits with at most one '.', then " ms": the value in *v, the end in *end */
static int ms_value(const char *p, double *v, const char **end)
{
	const char *q = p;
	int digits = 0, dots = 0;

	for (; (*q >= '0' && *q <= '9') || *q == '.'; q++) {
		if (*q == '.')
			dots++;
		else
			digits++;
	}
	if (!digits || dots > 1 || strncmp(q, " ms", 3))
		return -1;
	*v = strtod(p, NULL);
	*end = q + 3;
	return 0;
}

/* the last occurrence of needle in s (a PATH may hold anything) */
static const char *last_of(const char *s, const char *needle)
{
	const char *found = NULL;

	for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
		found = p;
	return found;
}

int mb_iv_line(struct mb_iv_log *l, const char *line)
{
	size_t len = strcspn(line, "\r\n");
	int kind = !strncmp(line, PFX_STW, sizeof PFX_STW - 1) ? MB_IV_STW :
		   !strncmp(line, PFX_COW, sizeof PFX_COW - 1) ? MB_IV_COW : MB_IV_OTHER;
	size_t plen = kind == MB_IV_STW ? sizeof PFX_STW - 1 : sizeof PFX_COW - 1;
	double pause, durable = 0;
	const char *p, *end;
	char buf[1024];

	if (line[len] && strcmp(line + len, "\n") && strcmp(line + len, "\r\n"))
		return MB_IV_OTHER; /* a line break inside: not one line */
	if (!strncmp(line, PFX_FAILED, sizeof PFX_FAILED - 1)) {
		if (!l->failed++)
			snprintf(l->first_failure, sizeof l->first_failure, "%.*s",
				 (int)(len - (sizeof PFX_FAILED - 1)), line + sizeof PFX_FAILED - 1);
		return MB_IV_FAILED;
	}
	if (kind == MB_IV_OTHER || len >= sizeof buf)
		return MB_IV_OTHER;
	memcpy(buf, line, len);
	buf[len] = 0;
	p = last_of(buf, PAUSE);
	if (!p || p < buf + plen + 1 || /* an empty PATH */
	    ms_value(p + sizeof PAUSE - 1, &pause, &end))
		return MB_IV_OTHER;
	if (!strncmp(end, DURABLE, sizeof DURABLE - 1) &&
	    ms_value(end + sizeof DURABLE - 1, &durable, &end))
		return MB_IV_OTHER;
	if (*end && *end != ',')
		return MB_IV_OTHER;
	l->ckpts++;
	*(kind == MB_IV_STW ? &l->stw : &l->cow) += 1;
	l->pause_sum_s += pause / 1e3;
	l->durable_sum_s += durable / 1e3;
	if (!(l->pause_max_s >= pause / 1e3))
		l->pause_max_s = pause / 1e3;
	return kind;
}

double mb_iv_mean_pause(const struct mb_iv_log *l)
{
	return l->ckpts ? l->pause_sum_s / l->ckpts : NAN;
}

double mb_iv_mean_durable(const struct mb_iv_log *l)
{
	return l->ckpts ? l->durable_sum_s / l->ckpts : NAN;
}

/* [p, end) is digits only (hex: also a-f), n of them or (n == 0) at least one */
static int all_digits(const char *p, const char *end, int hex, size_t n)
{
	if (end <= p || (n && (size_t)(end - p) != n))
		return 0;
	for (; p < end; p++)
		if (!((*p >= '0' && *p <= '9') || (hex && *p >= 'a' && *p <= 'f')))
			return 0;
	return 1;
}

long mb_iv_image_seq(const char *name)
{
	size_t len = strlen(name);
	const char *seq, *lin, *pid, *end;
	long v;

	if (len < 5 || strcmp(name + len - 5, ".mtcp"))
		return -1;
	end = name + len - 5;
	for (seq = end; seq > name && seq[-1] != '.'; seq--)
		;
	if (seq == name || !all_digits(seq, end, 0, 0) || end - seq > 9)
		return -1;
	for (lin = seq - 1; lin > name && lin[-1] != '.'; lin--)
		;
	if (lin == name || !all_digits(lin, seq - 1, 1, 8))
		return -1;
	for (pid = lin - 1; pid > name && pid[-1] != '.'; pid--)
		;
	if (pid == name || pid - 1 == name || !all_digits(pid, lin - 1, 0, 0))
		return -1;
	v = strtol(seq, NULL, 10);
	return v >= 1 ? v : -1;
}

/* the length of an entry's name (up to '=', or all of it) */
static size_t name_len(const char *e)
{
	return strcspn(e, "=");
}

/* does one of the n entries of list have e's name */
static int named_in(const char *e, const char *const *list, size_t n)
{
	size_t len = name_len(e);

	for (size_t i = 0; i < n; i++)
		if (name_len(list[i]) == len && !strncmp(list[i], e, len))
			return 1;
	return 0;
}

char **mb_iv_env(char *const *base, const char *const *force, size_t nforce,
		 const char *const *dflt, size_t ndflt)
{
	size_t n = 0, k = 0;
	char **env;

	while (base[n])
		n++;
	if (!(env = calloc(n + nforce + ndflt + 1, sizeof *env)))
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!named_in(base[i], force, nforce))
			env[k++] = base[i];
	for (size_t i = 0; i < nforce; i++)
		env[k++] = (char *)force[i];
	for (size_t i = 0; i < ndflt; i++) {
		int has = named_in(dflt[i], (const char *const *)base, n) ||
			  named_in(dflt[i], force, nforce);

		if (!has)
			env[k++] = (char *)dflt[i];
	}
	env[k] = NULL;
	return env;
}

unsigned mb_iv_count(const struct mb_iv_log *l, long image_seq)
{
	return !l->failed && image_seq == (long)l->ckpts + 1 ? (unsigned)image_seq : l->ckpts;
}

void mb_iv_fill(struct mb_run *r, double interval, double wall, double plain,
		const struct mb_iv_log *l, long image_seq)
{
	r->interval_s = interval;
	r->wall_s = wall;
	r->run_time_s = plain;
	r->slowdown = isfinite(wall) && wall > 0 && isfinite(plain) ? mb_ratio(wall, plain) : NAN;
	r->ckpts = mb_iv_count(l, image_seq);
	r->npauses = l->ckpts;
	r->mean_pause_s = mb_iv_mean_pause(l);
	r->max_pause_s = l->pause_max_s;
}
