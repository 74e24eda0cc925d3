/* SPDX-License-Identifier: MIT */
/*
 * maps.h - parse lines of /proc/PID/maps.  No allocation, no libc state:
 * the engine calls it while the program's threads are parked.
 */
#ifndef MTCP_MAPS_H
#define MTCP_MAPS_H

#include <stdint.h>
#include <stddef.h>

struct maps_entry {
	uint64_t start, end;
	uint64_t offset;
	uint32_t dev_major, dev_minor;
	uint64_t inode;
	unsigned prot;        /* PROT_READ | PROT_WRITE | PROT_EXEC */
	int shared;           /* 's' (1) or 'p' (0) */
	const char *path;     /* points into the line; "" if none */
	size_t path_len;
	int deleted;          /* path ended with " (deleted)" (removed from path_len) */
};

/* Parses one line (without or with its '\n').  Returns 0, or -EINVAL for a
 * line that is not in the kernel's format. */
int maps_parse_line(const char *line, size_t len, struct maps_entry *e);

/* The line at *pos of the text that ends at end (without its '\n'), its
 * length in *len; *pos moves past it.  NULL at the end of the text. */
const char *maps_next_line(const char **pos, const char *end, size_t *len);

/* 1 if the entry's path is exactly `name` (e.g. "[vdso]"). */
int maps_path_is(const struct maps_entry *e, const char *name);

#endif
