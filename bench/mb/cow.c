/* SPDX-License-Identifier: MIT */
/*
 * cow.c: the sides of the --cow axis and the environment of each.
 */
#include "cow.h"

#include "args.h"

#include <stdlib.h>
#include <string.h>

#define COW_VAR "MTCP_COW="

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

char **mb_side_env(enum mb_side s)
{
	static char **envs[MB_SIDE_COUNT];
	size_t n = 0, k = 0;

	if (!sides[s].value)
		return environ;
	if (envs[s])
		return envs[s];
	while (environ[n])
		n++;
	if (!(envs[s] = calloc(n + 2, sizeof *envs[s])))
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], COW_VAR, sizeof COW_VAR - 1))
			envs[s][k++] = environ[i];
	envs[s][k++] = (char *)sides[s].value;
	envs[s][k] = NULL;
	return envs[s];
}
