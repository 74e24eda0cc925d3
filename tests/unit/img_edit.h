/* SPDX-License-Identifier: MIT */
/*
 * img_edit.h - an image file in memory, for the unit tests that break
 * images on purpose (test_image.c, test_chain.c): read it whole, copy it,
 * write it back, find its nth record of a type (../fuzz/image_fix.h walks
 * the records), and edit a record's fixed part in place (EDIT).  Include
 * after <cmocka.h>, image-format.h and image_fix.h.
 */
#ifndef MTCP_TEST_IMG_EDIT_H
#define MTCP_TEST_IMG_EDIT_H

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct img {
	uint8_t *p;
	size_t len;
};

static inline struct img img_copy(const struct img *g)
{
	struct img c = { malloc(g->len), g->len };
	assert_non_null(c.p);
	memcpy(c.p, g->p, g->len);
	return c;
}

static inline struct img img_read(const char *file)
{
	struct img m;
	struct stat st;
	int fd = open(file, O_RDONLY);

	assert_true(fd >= 0 && fstat(fd, &st) == 0);
	m.len = (size_t)st.st_size;
	m.p = malloc(m.len);
	assert_non_null(m.p);
	assert_int_equal(pread(fd, m.p, m.len, 0), (ssize_t)m.len);
	close(fd);
	return m;
}

static inline void img_write(const struct img *m, const char *file)
{
	int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, m->p, m->len), (ssize_t)m->len);
	close(fd);
}

/* Offset of the record header of the nth record of a type. */
static inline size_t rec_at(const struct img *m, uint32_t type, int nth)
{
	struct imgfix_rec r[256];
	size_t n = imgfix_records(m->p, m->len, r, 256);

	for (size_t i = 0; i < n && i < 256; i++)
		if (r[i].type == type && nth-- == 0)
			return r[i].off;
	fail_msg("no record %u #%d", type, nth);
	return 0;
}

/* Edits the fixed part of the nth record of a type as var of type T. */
#define EDIT(m, type, nth, T, var, ...)                                            \
	do {                                                                       \
		size_t o_ = rec_at((m), (type), (nth)) + sizeof(struct mtcp_rec);  \
		T var;                                                             \
		memcpy(&var, (m)->p + o_, sizeof(var));                            \
		__VA_ARGS__;                                                       \
		memcpy((m)->p + o_, &var, sizeof(var));                            \
	} while (0)

#endif
