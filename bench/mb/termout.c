/* SPDX-License-Identifier: MIT */
/*
 * termout.c: the library's final-checkpoint line, mtcp_restart --verify's
 * chain lines, the figures against a grace period (termout.h).
 */
#include "termout.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PREFIX "mtcp: "
#define DURABLE_AT " is durable (paused "
#define FINAL " final checkpoint "
#define FAILED " the final checkpoint failed: "
#define GOES "; "

/* "digits[.digits] ms)" at s -> the number, else NAN */
static double ms_value(const char *s)
{
	int digits = 0, dots = 0;
	const char *p = s;

	for (; (*p >= '0' && *p <= '9') || *p == '.'; p++) {
		if (*p == '.')
			dots++;
		else
			digits++;
	}
	if (!digits || dots > 1 || strncmp(p, " ms)", 4))
		return NAN;
	return strtod(s, NULL);
}

/* one line (len bytes at s, no '\n'): 1 if it is a final-checkpoint line (into out) */
static int one_line(const char *s, size_t len, struct mb_term_line *out)
{
	char line[PATH_MAX + 512];
	const char *sig, *colon, *rest, *at;
	struct mb_term_line l;

	if (len >= sizeof line || strncmp(s, PREFIX, sizeof PREFIX - 1))
		return 0;
	memcpy(line, s, len);
	line[len] = 0;
	memset(&l, 0, sizeof l);
	l.paused_ms = NAN;
	sig = line + sizeof PREFIX - 1;
	colon = strchr(sig, ':');
	if (!colon || colon == sig || (size_t)(colon - sig) >= sizeof l.sig ||
	    strncmp(sig, "SIG", 3))
		return 0;
	memcpy(l.sig, sig, (size_t)(colon - sig));
	rest = colon + 1;
	if (!strncmp(rest, FINAL, sizeof FINAL - 1)) {
		const char *path = rest + sizeof FINAL - 1;

		/* the last " is durable (paused ": a path may hold the words */
		for (at = NULL, s = path; (s = strstr(s, DURABLE_AT)); s++)
			at = s;
		if (!at || at == path || (size_t)(at - path) >= sizeof l.path)
			return 0;
		memcpy(l.path, path, (size_t)(at - path));
		l.paused_ms = ms_value(at + sizeof DURABLE_AT - 1);
		l.state = MB_TERM_DURABLE;
	} else if (!strncmp(rest, FAILED, sizeof FAILED - 1)) {
		const char *why = rest + sizeof FAILED - 1;
		const char *end = NULL;

		for (s = why; (s = strstr(s, GOES)); s++)
			end = s;
		if (!end)
			end = why + strlen(why);
		snprintf(l.why, sizeof l.why, "%.*s", (int)(end - why), why);
		l.state = MB_TERM_FAILED;
	} else {
		return 0;
	}
	*out = l;
	return 1;
}

int mb_term_parse(const char *text, struct mb_term_line *out)
{
	memset(out, 0, sizeof *out);
	out->paused_ms = NAN;
	for (const char *s = text; *s;) {
		size_t len = strcspn(s, "\n");

		one_line(s, len, out);
		s += len;
		if (*s)
			s++;
	}
	return out->state;
}

long mb_term_verify_depth(const char *text, const char *path)
{
	size_t plen = strlen(path);
	long depth = -1;

	for (const char *s = text; *s;) {
		size_t len = strcspn(s, "\n");

		if (depth < 0 && len > plen && !strncmp(s, path, plen) &&
		    !strncmp(s + plen, ": ok:", 5)) {
			depth = 0;
		} else if (depth == 0 && !strncmp(s, "chain 0 ", 8)) {
			const char *d = strstr(s, " depth ");
			char *end;
			long v;

			if (d && d < s + len) {
				v = strtol(d + 7, &end, 10);
				if (end != d + 7 && v >= 0)
					depth = v;
			}
		}
		s += len;
		if (*s)
			s++;
	}
	return depth;
}

double mb_term_share(double secs, double grace)
{
	if (!(secs > 0) || !(grace > 0) || isinf(secs) || isinf(grace))
		return NAN;
	return secs / grace;
}

double mb_term_fit_gib(double bytes, double secs, double grace)
{
	double share = mb_term_share(secs, grace);

	if (!(bytes > 0) || isinf(bytes) || isnan(share))
		return NAN;
	return bytes / share / 1073741824.0;
}
