/* SPDX-License-Identifier: MIT */
/*
 * image_reader.h - reads and validates an image before the point of no
 * return (docs/format.md, "The validator"): header, every record header
 * and metadata checksum, every extent descriptor and its zero padding,
 * record order and counts, address ranges, every address the restorer
 * will use, and (v3) the END record's whole-image sum.  The page data's
 * checksums are checked while the restorer reads it into place (or all at
 * once with image_verify_data()).
 *
 * Versions MTCP_IMG_VERSION_MIN..MTCP_IMG_VERSION are read; only
 * images with `restartable` set may be restarted (v1 and v2 carry no
 * writer credentials, and their library's struct mtcp_restart_info has an
 * older layout).
 */
#ifndef MTCP_IMAGE_READER_H
#define MTCP_IMAGE_READER_H

#include <stddef.h>
#include <stdint.h>
#include "image-format.h"
#include "rst-args.h"

struct img_region {
	struct mtcp_rec_region rec;
	char *path;            /* NUL-terminated, "" for anonymous */
	uint32_t first_extent; /* index into image.extents; its rec.nextents
	                          extents follow (checked) */
	/* v5: the runs of its rec.ninherit INHERIT records, ascending:
	 * image.runs[first_run .. first_run + nruns) */
	uint32_t first_run;
	uint32_t nruns;
	uint32_t ninherit_seen; /* INHERIT records read so far (== rec.ninherit, checked) */
};

struct img_fd {
	struct mtcp_rec_fd rec;
	char *path;
	uint64_t data_off;     /* offset of the file contents in the image (DELETED, MEMFD) */
	/* v4: the object record that followed (kinds PIPE..MEMFD with
	 * same_as 0): its type, and its whole payload, checked by
	 * image_check_object() */
	uint32_t obj_type;
	uint32_t obj_len;
	void *obj;
};

/* v4 FILEDATA: contents of a file to put back before anything opens it. */
struct img_file {
	struct mtcp_rec_filedata rec;
	char *path;
	uint64_t data_off;     /* offset of the contents in the image */
	/* SAVE_DIR: its contents (checked): the patterns, then names[nnames] */
	char *patterns;
	const char **names;
	uint32_t nnames;
};

/* v4 DEGRADED: what will not come back as it was. */
struct img_note {
	int32_t fd;
	char *text;
};

struct image {
	int fd;
	uint64_t size;
	/* The header.  v3: as on disk: the writer's credentials (uid[3],
	 * gid[3], fsuid, fsgid, dumpable), image_id, lineage_id, parent_id,
	 * launch_id, seq, outer_pid.  v1, v2: their first 56 bytes, every
	 * v3 field zero. */
	struct mtcp_img_header_v3 hdr;
	int restartable;       /* hdr.version >= MTCP_IMG_VERSION_RESTART */
	uint32_t *groups;      /* hdr.ngroups supplementary groups (GROUPS record) */
	uint64_t image_sum;    /* v3: END's whole-image sum (checked) */
	struct mtcp_rec_proc proc;
	char *cwd, *exe;
	struct mtcp_rec_sigact sigact[MTCP_NSIG];
	struct mtcp_rec_thread *threads;
	uint32_t nthreads;
	struct img_fd *fds;
	uint32_t nfds;
	struct img_file *files;
	uint32_t nfiles;
	struct img_note *notes;
	uint32_t nnotes;       /* == hdr.ndegraded (checked) */
	struct img_region *regions;
	uint32_t nregions;
	struct rst_extent *extents;
	uint32_t nextents;
	uint64_t data_bytes;   /* stored extent bytes */
	uint64_t mem_bytes;    /* memory they fill */
	uint32_t lz4_extents;
	uint32_t lz4_max;      /* largest lz4 extent, stored bytes */
	/* v5: an increment (header flag 10): its PREV record and the parent's
	 * file name (NUL-terminated, checked: no '/', not "." or "..") */
	int incremental;
	struct mtcp_rec_prev prev;
	char *prev_name;
	/* v5: every region's INHERIT runs, in file order (globally ascending,
	 * as the regions are) */
	struct mtcp_inherit_run *runs;
	uint32_t nruns, runs_cap;
	uint64_t inherit_bytes; /* memory the runs cover */
};

/* 0, or -errno with a one-line reason in err (without the image path);
 * -ENOMSG: not an image at all (shorter than a v1 header, or another
 * magic).  A FIFO or device is refused without blocking. */
int image_load(const char *path, struct image *img, char *err, size_t errlen);
/* The header alone, with all of image_load's checks of it (its checksum
 * first): img->hdr, incremental and restartable are set, nothing else;
 * image_free() closes it.  0, or as image_load. */
int image_load_header(const char *path, struct image *img, char *err, size_t errlen);
/* Reads every extent and checks its checksum. */
int image_verify_data(const struct image *img, char *err, size_t errlen);
/* The files the image maps or had open must still be there, unchanged
 * where mapped (device, inode, size, mtime), and a private file mapping
 * must not reach past its file's last page (the restorer would fault
 * writing into it). */
int image_check_files(const struct image *img, char *err, size_t errlen);
void image_free(struct image *img);
/* The FILEDATA record that a restart puts back at `path` (fdr_file.c), or
 * NULL: a SAVE_FILES record always, a SHARED_MAP one if nothing is at
 * `path` now.  image_check_files accepts such a file gone, and the check
 * of written files leaves it alone. */
const struct img_file *image_put_back(const struct image *img, const char *path);

/* image_objects.c: the v4 object record of type `type` (payload p, len
 * bytes) for fd `fd` is well formed: its fixed part, its counts and
 * lengths, its reserved fields.  0 or -EINVAL with the reason in err. */
int image_check_object(uint32_t type, const void *p, uint64_t len, uint32_t fd, char *err,
		       size_t errlen);
/* The object record type that follows an FD record of `kind`, 0: none. */
uint32_t image_fd_object_type(uint32_t kind);
const char *image_fd_kind_name(uint32_t kind);

/* The checks across records that image_load runs last (image_check.c):
 * every address the restorer or the resumed threads use lies in a saved
 * region with the right protection, pending signals, handlers, tids. */
int image_check_pointers(const struct image *img, char *err, size_t errlen);
/* Threads that get new tids: the restorer writes each new tid into glibc's
 * thread descriptor at fs_base + tid_offset, which must be saved memory. */
int image_check_tid_patch(const struct image *img, int tid_offset, char *err, size_t errlen);

#endif
