/* SPDX-License-Identifier: MIT */
/*
 * img_seed.c IN OUT: a small copy of a real image, for the fuzzer's seed
 * corpus: every record is kept except most of the memory (at most
 * KEEP_EXTENTS extents of at most KEEP_BYTES each per region, the
 * region's count lowered to match) and most of a deleted file's contents
 * (KEEP_FILEDATA bytes); then every checksum is recomputed.  The result
 * is still a valid image (run_fuzz.sh checks it with mtcp_restart --list).
 */
#include "image_fix.h"
#include "image-format.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEEP_EXTENTS 2
#define KEEP_BYTES (32u << 10)
#define KEEP_FILEDATA 1024u
#define REC_HDR sizeof(struct mtcp_rec)

static void set_region_count(uint8_t *out, size_t region_off, uint32_t n)
{
	if (region_off)
		memcpy(out + region_off + REC_HDR + offsetof(struct mtcp_rec_region, nextents), &n,
		       sizeof(n));
}

int main(int argc, char **argv)
{
	FILE *f;
	uint8_t *in, *out;
	struct imgfix_rec *r;
	size_t len, n, hsize, olen, region_off = 0;
	uint32_t kept = 0;
	long sz;

	if (argc != 3) {
		fprintf(stderr, "usage: img_seed IN OUT\n");
		return 2;
	}
	f = fopen(argv[1], "rb");
	if (!f || fseek(f, 0, SEEK_END) || (sz = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		perror(argv[1]);
		return 1;
	}
	len = (size_t)sz;
	in = malloc(len + 1);
	out = malloc(len + 1);
	if (!in || !out || fread(in, 1, len, f) != len) {
		fprintf(stderr, "img_seed: cannot read %s\n", argv[1]);
		return 1;
	}
	fclose(f);
	hsize = imgfix_header_size(in, len);
	n = imgfix_records(in, len, NULL, 0);
	r = calloc(n + 1, sizeof(*r));
	if (!hsize || !n || !r || imgfix_records(in, len, r, n) != n ||
	    r[n - 1].type != MTCP_REC_END) {
		fprintf(stderr, "img_seed: %s is not a whole image\n", argv[1]);
		return 1;
	}
	memcpy(out, in, hsize);
	olen = hsize;
	for (size_t i = 0; i < n; i++) {
		size_t rlen = REC_HDR + (size_t)r[i].len;
		if (r[i].type == MTCP_REC_EXTENT) {
			if (kept >= KEEP_EXTENTS || r[i].len > KEEP_BYTES)
				continue;
			kept++;
		} else if (r[i].type == MTCP_REC_REGION || r[i].type == MTCP_REC_END) {
			set_region_count(out, region_off, kept);
			region_off = r[i].type == MTCP_REC_REGION ? olen : 0;
			kept = 0;
		}
		memcpy(out + olen, in + r[i].off, rlen);
		if (r[i].type == MTCP_REC_FD && r[i].len >= sizeof(struct mtcp_rec_fd)) {
			struct mtcp_rec_fd fd;
			memcpy(&fd, out + olen + REC_HDR, sizeof(fd));
			if (fd.data_len > KEEP_FILEDATA) {
				uint64_t cut = fd.data_len - KEEP_FILEDATA, plen = r[i].len - cut;
				fd.data_len = KEEP_FILEDATA;
				memcpy(out + olen + REC_HDR, &fd, sizeof(fd));
				memcpy(out + olen + 8, &plen, sizeof(plen));
				rlen -= (size_t)cut;
			}
		}
		olen += rlen;
	}
	imgfix_all(out, olen, 0);
	f = fopen(argv[2], "wb");
	if (!f || fwrite(out, 1, olen, f) != olen || fclose(f)) {
		perror(argv[2]);
		return 1;
	}
	free(in);
	free(out);
	free(r);
	return 0;
}
