/* SPDX-License-Identifier: MIT */
/*
 * image_reader.h - reads and validates an image before the point of no
 * return: header, every record header and metadata checksum, every extent
 * descriptor, counts, address ranges and the END record.  The page data's
 * checksums are checked while the restorer reads it into place (or all at
 * once with image_verify_data()).
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
	uint32_t first_extent; /* index into image.extents */
};

struct img_fd {
	struct mtcp_rec_fd rec;
	char *path;
	uint64_t data_off;     /* offset of the file contents in the image (DELETED) */
};

struct image {
	int fd;
	uint64_t size;
	struct mtcp_img_header hdr;
	struct mtcp_img_header_v3 hdr3; /* v3: the whole header; older: zero */
	uint32_t *groups;      /* v3: the writer's supplementary groups */
	uint32_t ngroups;
	int restartable;       /* version >= MTCP_IMG_VERSION_RESTART */
	struct mtcp_rec_proc proc;
	char *cwd, *exe;
	struct mtcp_rec_sigact sigact[MTCP_NSIG];
	struct mtcp_rec_thread *threads;
	uint32_t nthreads;
	struct img_fd *fds;
	uint32_t nfds;
	struct img_region *regions;
	uint32_t nregions;
	struct rst_extent *extents;
	uint32_t nextents;
	uint64_t data_bytes;   /* stored extent bytes */
	uint64_t mem_bytes;    /* memory they fill */
	uint32_t lz4_extents;
	uint32_t lz4_max;      /* largest lz4 extent, stored bytes */
};

/* 0, or -errno with a one-line reason in err (without the image path). */
int image_load(const char *path, struct image *img, char *err, size_t errlen);
/* Reads every extent and checks its checksum. */
int image_verify_data(const struct image *img, char *err, size_t errlen);
/* The files the image maps or had open must still be there, unchanged
 * where mapped (device, inode, size, mtime). */
int image_check_files(const struct image *img, char *err, size_t errlen);
void image_free(struct image *img);

#endif
