/* SPDX-License-Identifier: MIT */
/*
 * cow.c: the sides of the --cow axis and the environment of each.
 */
#include "cow.h"

#include "args.h"

#include <stdlib.h>
#include <string.h>

#define COW_VAR "MTCP_COW="
#define VERBOSE_VAR "MTCP_VERBOSE="

extern char **environ;

static const struct {
	const char *name, *label, *value;
} sides[MB_SIDE_COUNT] = {
	[MB_SIDE_ENV] = { NULL, "ckpt", NULL },
	[MB_SIDE_STW] = { "stw", "stw", COW_VAR "0" },
	[MB_SIDE_COW] = { "cow", "cow", COW_VAR "1" },
	[MB_SIDE_AUTO] = { "auto", "auto", COW_VAR "auto" },
};

size_t mb_sides(unsigned mask, int cow_is_auto, enum mb_side *out)
{
	size_t n = 0;

	if (mask & MB_COW_STW)
		out[n++] = MB_SIDE_STW;
	if (mask & MB_COW_COW)
		out[n++] = cow_is_auto ? MB_SIDE_AUTO : MB_SIDE_COW;
	if (!n)
		out[n++] = MB_SIDE_ENV;
	return n;
}

const char *mb_side_name(enum mb_side s)
{
	return sides[s].name;
}

const char *mb_side_label(enum mb_side s)
{
	return sides[s].label;
}

const char *mb_side_cow_var(enum mb_side s)
{
	return sides[s].value;
}

/* ours, with MTCP_COW replaced by side s's value and, if verbose, MTCP_VERBOSE by 1 */
static char **side_env(enum mb_side s, int verbose)
{
	static char **envs[2][MB_SIDE_COUNT];
	char ***e = &envs[verbose][s];
	size_t n = 0, k = 0;

	if (!sides[s].value && !verbose)
		return environ;
	if (*e)
		return *e;
	while (environ[n])
		n++;
	if (!(*e = calloc(n + 3, sizeof **e)))
		return NULL;
	for (size_t i = 0; i < n; i++)
		if ((!sides[s].value || strncmp(environ[i], COW_VAR, sizeof COW_VAR - 1)) &&
		    (!verbose || strncmp(environ[i], VERBOSE_VAR, sizeof VERBOSE_VAR - 1)))
			(*e)[k++] = environ[i];
	if (sides[s].value)
		(*e)[k++] = (char *)sides[s].value;
	if (verbose)
		(*e)[k++] = VERBOSE_VAR "1";
	(*e)[k] = NULL;
	return *e;
}

char **mb_side_env(enum mb_side s)
{
	return side_env(s, 0);
}

char **mb_side_env_verbose(enum mb_side s)
{
	return side_env(s, 1);
}

int mb_side_is_cow(enum mb_side s)
{
	return s == MB_SIDE_COW || s == MB_SIDE_AUTO;
}
