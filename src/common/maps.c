/* SPDX-License-Identifier: MIT */
/* maps.c - parse lines of /proc/PID/maps. */
#include "maps.h"

#include <errno.h>
#include <sys/mman.h>

static int parse_hex(const char **p, const char *end, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	int n = 0;

	while (s < end) {
		unsigned d;
		char c = *s;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			break;
		if (n == 16)
			return -EINVAL; /* more than 64 bits */
		v = (v << 4) | d;
		s++, n++;
	}
	if (!n)
		return -EINVAL;
	*p = s;
	*out = v;
	return 0;
}

static int parse_dec(const char **p, const char *end, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	int n = 0;

	while (s < end && *s >= '0' && *s <= '9') {
		if (v > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(*s - '0');
		s++, n++;
	}
	if (!n)
		return -EINVAL;
	*p = s;
	*out = v;
	return 0;
}

static int expect(const char **p, const char *end, char c)
{
	if (*p >= end || **p != c)
		return -EINVAL;
	(*p)++;
	return 0;
}

int maps_parse_line(const char *line, size_t len, struct maps_entry *e)
{
	const char *p = line, *end = line + len;
	uint64_t v;
	static const char deleted[] = " (deleted)";
	const size_t dlen = sizeof(deleted) - 1;

	if (len && end[-1] == '\n')
		end--;
	if (parse_hex(&p, end, &e->start) || expect(&p, end, '-') ||
	    parse_hex(&p, end, &e->end) || expect(&p, end, ' '))
		return -EINVAL;
	if (e->end <= e->start || end - p < 5)
		return -EINVAL;
	e->prot = 0;
	if (p[0] == 'r')
		e->prot |= PROT_READ;
	else if (p[0] != '-')
		return -EINVAL;
	if (p[1] == 'w')
		e->prot |= PROT_WRITE;
	else if (p[1] != '-')
		return -EINVAL;
	if (p[2] == 'x')
		e->prot |= PROT_EXEC;
	else if (p[2] != '-')
		return -EINVAL;
	if (p[3] == 's')
		e->shared = 1;
	else if (p[3] == 'p')
		e->shared = 0;
	else
		return -EINVAL;
	p += 4;
	if (expect(&p, end, ' ') || parse_hex(&p, end, &e->offset) || expect(&p, end, ' '))
		return -EINVAL;
	if (parse_hex(&p, end, &v) || v > 0xffffffffu || expect(&p, end, ':'))
		return -EINVAL;
	e->dev_major = (uint32_t)v;
	if (parse_hex(&p, end, &v) || v > 0xffffffffu)
		return -EINVAL;
	e->dev_minor = (uint32_t)v;
	if (expect(&p, end, ' ') || parse_dec(&p, end, &e->inode))
		return -EINVAL;
	while (p < end && *p == ' ')
		p++;
	e->path = p;
	e->path_len = (size_t)(end - p);
	e->deleted = 0;
	if (e->path_len > dlen && e->path[0] == '/') {
		const char *t = e->path + e->path_len - dlen;
		size_t i;
		for (i = 0; i < dlen && t[i] == deleted[i]; i++)
			;
		if (i == dlen) {
			e->deleted = 1;
			e->path_len -= dlen;
		}
	}
	return 0;
}

int maps_path_is(const struct maps_entry *e, const char *name)
{
	size_t i;
	for (i = 0; i < e->path_len; i++)
		if (name[i] != e->path[i])
			return 0;
	return name[i] == '\0';
}

const char *maps_next_line(const char **pos, const char *end, size_t *len)
{
	const char *line = *pos, *p = line;

	if (line >= end)
		return NULL;
	/* no libc here: the restorer links this file too */
	while (p < end && *p != '\n')
		p++;
	*len = (size_t)(p - line);
	*pos = p + 1;
	return line;
}
