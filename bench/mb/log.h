/* SPDX-License-Identifier: MIT */
/*
 * log.h: how mtcp-bench talks. Errors are one line on stderr that starts
 * with "mtcp-bench: "; progress and tables go to stdout, flushed at every
 * line so that a pipe or a file sees them as they come.
 */
#ifndef MB_LOG_H
#define MB_LOG_H

#include <stdio.h>

#define MB_NAME "mtcp-bench"

#define mb_err(fmt, ...) fprintf(stderr, MB_NAME ": " fmt "\n", ##__VA_ARGS__)

__attribute__((format(printf, 1, 2))) void mb_say(const char *fmt, ...);

#endif
