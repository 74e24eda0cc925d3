/* SPDX-License-Identifier: MIT */
#include "cli.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void cli_die(const char *prog, int status, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

const char *cli_bad_option(char **argv)
{
	static char short_opt[3];

	if (optopt > 0 && optopt < 256 && optopt != 'h') {
		short_opt[0] = '-';
		short_opt[1] = (char)optopt;
		return short_opt;
	}
	return argv[optind - 1];
}
