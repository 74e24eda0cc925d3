/* SPDX-License-Identifier: MIT */
/*
 * resume.h - mtcp_launch --resume: which image of a program in an image
 * directory to restart (docs/tools.md, "Resuming: --resume").
 *
 * resume_scan() reads every regular file of the directory that the caller
 * owns with the image reader (image_load: header and every record checked),
 * takes as images of the program those whose recorded executable is the
 * program's real path, picks the launch (header launch_id) of the newest
 * of them, and lists that launch's images newest first.  Newest: by the
 * header's created_ns (whole seconds), then the file's mtime; within one
 * lineage by seq.
 * resume_try() then asks `mtcp_restart --verify` about each in turn.
 * Both print their notes on stderr, one line each, "mtcp_launch: ...".
 */
#ifndef MTCP_TOOLS_RESUME_H
#define MTCP_TOOLS_RESUME_H

#include <stddef.h>
#include <stdint.h>

#define RESUME_ID_LEN 16

struct resume_cand {
	char *name;                      /* file name in the directory */
	char *why;                       /* set: the reader refused it already */
	uint64_t created_ns, seq;
	uint8_t launch_id[RESUME_ID_LEN];
};

struct resume_set {
	struct resume_cand *c;   /* the chosen launch's images, newest first */
	unsigned n;              /* 0: no image of the program in the directory */
	unsigned older_launches; /* images of the program from other launches (not tried) */
};

/* 0 with set filled, or -errno with one line in err (the directory cannot
 * be read, out of memory).  exe: the program's real path. */
int resume_scan(const char *dir, const char *exe, struct resume_set *set, char *err,
		size_t errlen);
/* Runs `restart --verify` on set's images in order: the index of the first
 * that verifies, or -1 if none does.  Each one that does not is named on
 * stderr with the reason.  -2: `restart` could not be run (said on
 * stderr). */
int resume_try(const char *dir, const struct resume_set *set, const char *restart);
void resume_free(struct resume_set *set);
/* The first 4 bytes of an id as 8 hex digits, as in image names. */
const char *resume_id_hex(const uint8_t id[RESUME_ID_LEN], char out[9]);
/* The executable an image recorded is `exe` (the kernel's " (deleted)"
 * suffix, for a file replaced since, is ignored). */
int resume_exe_matches(const char *recorded, const char *exe);

#endif
