/* SPDX-License-Identifier: MIT */
/*
 * pathglob.h - shell-style patterns matched against whole paths, as
 * fnmatch(3) with no flags does it: '*' matches any run of bytes, '/' and
 * a leading '.' included, '?' any one byte, "[...]" one byte of a set
 * ('!' or '^' first negates it, "a-z" is a range, ']' first is a member),
 * '\' makes the next byte plain.  POSIX's "[:alpha:]", "[.x.]" and
 * "[=x=]" inside a set are not supported.  Bytes, not characters: no locale, no
 * allocation, so the engine can match while the program is parked
 * (MTCP_SAVE_FILES).
 */
#ifndef MTCP_PATHGLOB_H
#define MTCP_PATHGLOB_H

#include <stddef.h>

/* 1 if `s` matches the pattern of `plen` bytes at `p`, else 0. */
int pathglob_match(const char *p, size_t plen, const char *s);

/* 1 if `s` matches one of the patterns of `list`, separated by ':'
 * (empty ones match nothing), else 0. */
int pathglob_match_list(const char *list, const char *s);

#endif
