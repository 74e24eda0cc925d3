/* SPDX-License-Identifier: MIT */
/* image_reader.c - read and validate an image (docs/format.md). */
#include "image_reader.h"
#include "lz4_block.h"
#include "crc32c.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FAIL(code, ...)                                   \
	do {                                              \
		snprintf(err, errlen, __VA_ARGS__);       \
		rc = (code);                              \
		goto out;                                 \
	} while (0)

static int read_at(int fd, void *buf, size_t len, uint64_t off)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = pread(fd, (char *)buf + got, len - got, (off_t)(off + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ENODATA;
		got += (size_t)n;
	}
	return 0;
}

static void *grow(void *arr, uint32_t n, size_t elem)
{
	/* doubling at powers of two */
	if (n && (n & (n - 1)))
		return arr;
	return realloc(arr, (n ? 2 * (size_t)n : 16) * elem);
}

static char *dupn(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

static int check_region_table(struct image *img, char *err, size_t errlen)
{
	for (uint32_t i = 0; i < img->nregions; i++) {
		const struct mtcp_rec_region *r = &img->regions[i].rec;
		if (r->start & 4095 || r->end & 4095 || r->end <= r->start ||
		    r->end > 0x800000000000ull || r->prot & ~7u || r->kind < MTCP_RGN_ANON ||
		    r->kind > MTCP_RGN_VVAR_VCLOCK) {
			snprintf(err, errlen, "corrupt: bad region %llx-%llx",
				 (unsigned long long)r->start, (unsigned long long)r->end);
			return -EINVAL;
		}
		if (i && r->start < img->regions[i - 1].rec.end) {
			snprintf(err, errlen, "corrupt: regions overlap at %llx",
				 (unsigned long long)r->start);
			return -EINVAL;
		}
	}
	return 0;
}

int image_load(const char *path, struct image *img, char *err, size_t errlen)
{
	struct stat st;
	uint64_t off;
	int rc = 0, have_proc = 0, have_sigact = 0, have_end = 0, have_ctl = 0, have_main = 0;
	uint64_t nrec = 0;
	struct img_region *cur = NULL;
	void *payload = NULL;

	memset(img, 0, sizeof(*img));
	img->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (img->fd < 0)
		FAIL(-errno, "%s", strerror(errno));
	if (fstat(img->fd, &st))
		FAIL(-errno, "%s", strerror(errno));
	if (!S_ISREG(st.st_mode))
		FAIL(-EINVAL, "not a regular file");
	img->size = (uint64_t)st.st_size;
	if (img->size < sizeof(img->hdr))
		FAIL(-EINVAL, "not a libmtcp-fast image (too short)");
	rc = read_at(img->fd, &img->hdr, sizeof(img->hdr), 0);
	if (rc)
		FAIL(rc, "cannot read the header: %s", strerror(-rc));
	if (memcmp(img->hdr.magic, MTCP_IMG_MAGIC, 8))
		FAIL(-EINVAL, "not a libmtcp-fast image (bad magic)");
	if (crc32c(0, &img->hdr, offsetof(struct mtcp_img_header, header_crc)) !=
	    img->hdr.header_crc)
		FAIL(-EINVAL, "corrupt: header checksum mismatch");
	if (img->hdr.version < MTCP_IMG_VERSION_MIN || img->hdr.version > MTCP_IMG_VERSION)
		FAIL(-EPROTO, "image format version %u; this mtcp_restart reads versions %u to %u",
		     img->hdr.version, MTCP_IMG_VERSION_MIN, MTCP_IMG_VERSION);
	if (img->hdr.arch != MTCP_IMG_ARCH_X86_64)
		FAIL(-EPROTO, "image is for machine type %u; this one is x86_64 (62)",
		     img->hdr.arch);
	if (img->hdr.header_size != sizeof(img->hdr) || img->hdr.page_size != 4096)
		FAIL(-EINVAL, "corrupt: unexpected header size or page size");

	for (off = sizeof(img->hdr); !have_end;) {
		struct mtcp_rec r;
		if (off + sizeof(r) > img->size)
			FAIL(-EINVAL, "truncated: ends at byte %llu without its END record",
			     (unsigned long long)img->size);
		rc = read_at(img->fd, &r, sizeof(r), off);
		if (rc)
			FAIL(rc, "cannot read record at %llu: %s", (unsigned long long)off,
			     strerror(-rc));
		if (crc32c(0, &r, offsetof(struct mtcp_rec, header_crc)) != r.header_crc)
			FAIL(-EINVAL, "corrupt: record header checksum mismatch at offset %llu",
			     (unsigned long long)off);
		if (r.len > img->size - off - sizeof(r))
			FAIL(-EINVAL, "truncated: record at offset %llu runs past the end",
			     (unsigned long long)off);
		off += sizeof(r);

		if (r.type == MTCP_REC_EXTENT) {
			struct mtcp_rec_extent x;
			struct rst_extent *e;
			if (!cur || r.len < sizeof(x))
				FAIL(-EINVAL, "corrupt: misplaced extent at offset %llu",
				     (unsigned long long)off);
			rc = read_at(img->fd, &x, sizeof(x), off);
			if (rc)
				FAIL(rc, "cannot read at %llu", (unsigned long long)off);
			if (crc32c(0, &x, offsetof(struct mtcp_rec_extent, desc_crc)) != x.desc_crc)
				FAIL(-EINVAL, "corrupt: extent checksum mismatch at offset %llu",
				     (unsigned long long)off);
			int raw_ok = x.encoding == MTCP_EXT_RAW && x.data_len == x.len;
			/* an lz4 block is never longer than its bound (LZ4_COMPRESSBOUND) */
			int lz4_ok = x.encoding == MTCP_EXT_LZ4 && img->hdr.version >= 2 &&
				     x.data_len && x.data_len <= x.len + x.len / 255 + 16;
			if (!(raw_ok || lz4_ok) ||
			    x.len > MTCP_EXTENT_MAX || !x.len || x.addr & 4095 || x.len & 4095 ||
			    x.pad >= 4096 || r.len != sizeof(x) + x.pad + x.data_len ||
			    x.addr < cur->rec.start ||
			    x.addr + x.len > cur->rec.end)
				FAIL(-EINVAL, "corrupt: bad extent at offset %llu",
				     (unsigned long long)off);
			img->extents = grow(img->extents, img->nextents, sizeof(*img->extents));
			if (!img->extents)
				FAIL(-ENOMEM, "out of memory");
			e = &img->extents[img->nextents++];
			e->addr = x.addr;
			e->len = x.len;
			e->file_off = off + sizeof(x) + x.pad;
			e->crc = r.payload_crc;
			e->enc = x.encoding;
			e->data_len = x.data_len;
			e->pad = 0;
			img->data_bytes += x.data_len;
			img->mem_bytes += x.len;
			if (x.encoding == MTCP_EXT_LZ4) {
				img->lz4_extents++;
				if (x.data_len > img->lz4_max)
					img->lz4_max = x.data_len;
			}
			off += r.len;
			nrec++;
			continue;
		}
		if (r.type == MTCP_REC_FD) {
			/* deleted files carry their contents: read only the head */
			struct img_fd *f;
			struct mtcp_rec_fd fr;
			char *p;
			if (r.len < sizeof(fr))
				FAIL(-EINVAL, "corrupt: short fd record at offset %llu",
				     (unsigned long long)off);
			rc = read_at(img->fd, &fr, sizeof(fr), off);
			if (rc)
				FAIL(rc, "cannot read at %llu", (unsigned long long)off);
			if (fr.path_len > MTCP_MAX_PATH ||
			    r.len != sizeof(fr) + fr.path_len + fr.data_len)
				FAIL(-EINVAL, "corrupt: bad fd record at offset %llu",
				     (unsigned long long)off);
			/* checksum over the whole payload, read in pieces */
			{
				uint32_t crc = 0;
				char buf[65536];
				for (uint64_t o = 0; o < r.len;) {
					size_t n = r.len - o < sizeof(buf) ? (size_t)(r.len - o)
									 : sizeof(buf);
					rc = read_at(img->fd, buf, n, off + o);
					if (rc)
						FAIL(rc, "cannot read at %llu",
						     (unsigned long long)(off + o));
					crc = crc32c(crc, buf, n);
					o += n;
				}
				if (crc != r.payload_crc)
					FAIL(-EINVAL,
					     "corrupt: checksum mismatch in fd record at offset %llu",
					     (unsigned long long)off);
			}
			p = malloc(fr.path_len + 1);
			if (!p)
				FAIL(-ENOMEM, "out of memory");
			rc = read_at(img->fd, p, fr.path_len, off + sizeof(fr));
			p[fr.path_len] = '\0';
			img->fds = grow(img->fds, img->nfds, sizeof(*img->fds));
			if (rc || !img->fds) {
				free(p);
				FAIL(rc ? rc : -ENOMEM, "cannot read fd record");
			}
			f = &img->fds[img->nfds++];
			f->rec = fr;
			f->path = p;
			f->data_off = off + sizeof(fr) + fr.path_len;
			off += r.len;
			nrec++;
			continue;
		}
		if (r.len > MTCP_MAX_META_PAYLOAD)
			FAIL(-EINVAL, "corrupt: record of %llu bytes at offset %llu",
			     (unsigned long long)r.len, (unsigned long long)off);
		free(payload);
		payload = malloc(r.len ? r.len : 1);
		if (!payload)
			FAIL(-ENOMEM, "out of memory");
		rc = read_at(img->fd, payload, r.len, off);
		if (rc)
			FAIL(rc, "cannot read at %llu", (unsigned long long)off);
		if (crc32c(0, payload, r.len) != r.payload_crc)
			FAIL(-EINVAL, "corrupt: checksum mismatch in record at offset %llu",
			     (unsigned long long)off);
		switch (r.type) {
		case MTCP_REC_PROC:
			if (have_proc || r.len < sizeof(img->proc))
				FAIL(-EINVAL, "corrupt: bad process record");
			memcpy(&img->proc, payload, sizeof(img->proc));
			if (r.len != sizeof(img->proc) + img->proc.cwd_len + img->proc.exe_len ||
			    img->proc.auxv_words > MTCP_AUXV_WORDS ||
			    img->proc.nthreads > MTCP_MAX_THREADS || !img->proc.nthreads ||
			    img->proc.nfds > MTCP_MAX_FDS || img->proc.nregions > MTCP_MAX_REGIONS)
				FAIL(-EINVAL, "corrupt: bad process record");
			img->cwd = dupn((char *)payload + sizeof(img->proc), img->proc.cwd_len);
			img->exe = dupn((char *)payload + sizeof(img->proc) + img->proc.cwd_len,
					img->proc.exe_len);
			if (!img->cwd || !img->exe)
				FAIL(-ENOMEM, "out of memory");
			have_proc = 1;
			break;
		case MTCP_REC_SIGACT:
			if (have_sigact || r.len != sizeof(img->sigact))
				FAIL(-EINVAL, "corrupt: bad signal record");
			memcpy(img->sigact, payload, sizeof(img->sigact));
			have_sigact = 1;
			break;
		case MTCP_REC_THREAD: {
			struct mtcp_rec_thread *t;
			if (r.len != sizeof(*t) || img->nthreads >= MTCP_MAX_THREADS)
				FAIL(-EINVAL, "corrupt: bad thread record");
			img->threads = grow(img->threads, img->nthreads, sizeof(*t));
			if (!img->threads)
				FAIL(-ENOMEM, "out of memory");
			t = &img->threads[img->nthreads++];
			memcpy(t, payload, sizeof(*t));
			if (t->flags & MTCP_THREADF_CTL)
				have_ctl++;
			if (t->flags & MTCP_THREADF_MAIN)
				have_main++;
			break;
		}
		case MTCP_REC_REGION: {
			struct mtcp_rec_region *rr = payload;
			if (r.len < sizeof(*rr) || r.len != sizeof(*rr) + rr->path_len ||
			    rr->path_len > MTCP_MAX_PATH)
				FAIL(-EINVAL, "corrupt: bad region record at offset %llu",
				     (unsigned long long)off);
			img->regions = grow(img->regions, img->nregions, sizeof(*img->regions));
			if (!img->regions)
				FAIL(-ENOMEM, "out of memory");
			cur = &img->regions[img->nregions++];
			cur->rec = *rr;
			cur->path = dupn((char *)payload + sizeof(*rr), rr->path_len);
			cur->first_extent = img->nextents;
			if (!cur->path)
				FAIL(-ENOMEM, "out of memory");
			break;
		}
		case MTCP_REC_END: {
			struct mtcp_rec_end e;
			if (r.len != sizeof(e))
				FAIL(-EINVAL, "corrupt: bad END record");
			memcpy(&e, payload, sizeof(e));
			if (e.nrecords != nrec || e.file_size != off + r.len)
				FAIL(-EINVAL, "corrupt: END record does not match the image");
			if (img->size != e.file_size)
				FAIL(-EINVAL, "corrupt: %llu bytes of garbage after the END record",
				     (unsigned long long)(img->size - e.file_size));
			have_end = 1;
			nrec--; /* END does not count itself */
			break;
		}
		default:
			FAIL(-EINVAL, "corrupt: unknown record type %u at offset %llu", r.type,
			     (unsigned long long)off);
		}
		off += r.len;
		nrec++;
	}
	if (!have_proc || !have_sigact)
		FAIL(-EINVAL, "corrupt: process or signal record missing");
	if (img->nthreads != img->proc.nthreads || img->nfds != img->proc.nfds ||
	    img->nregions != img->proc.nregions)
		FAIL(-EINVAL, "corrupt: record counts do not match the process record");
	if (have_ctl != 1 || have_main != 1)
		FAIL(-EINVAL, "corrupt: thread table lacks the main or the control thread");
	for (uint32_t i = 0; i < img->nthreads; i++)
		if ((img->threads[i].flags & MTCP_THREADF_MAIN) &&
		    img->threads[i].tid != img->proc.pid)
			FAIL(-EINVAL, "corrupt: main thread's tid is not the pid");
	rc = check_region_table(img, err, errlen);
out:
	free(payload);
	if (rc)
		image_free(img);
	return rc;
}

int image_verify_data(const struct image *img, char *err, size_t errlen)
{
	uint64_t most = 1;
	char *buf, *plain;
	int rc = 0;

	/* buffers as large as the largest extent, not the largest possible */
	for (uint32_t i = 0; i < img->nextents; i++) {
		if (img->extents[i].len > most)
			most = img->extents[i].len;
		if (img->extents[i].data_len > most)
			most = img->extents[i].data_len;
	}
	buf = malloc(most);
	plain = malloc(most);

	if (!buf || !plain) {
		free(buf);
		free(plain);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < img->nextents && !rc; i++) {
		const struct rst_extent *e = &img->extents[i];
		rc = read_at(img->fd, buf, e->data_len, e->file_off);
		if (rc)
			snprintf(err, errlen, "cannot read memory data at offset %llu: %s",
				 (unsigned long long)e->file_off, strerror(-rc));
		else if (crc32c(0, buf, e->data_len) != e->crc) {
			snprintf(err, errlen, "corrupt: checksum mismatch in memory data at offset %llu",
				 (unsigned long long)e->file_off);
			rc = -EINVAL;
		} else if (e->enc == MTCP_EXT_LZ4 &&
			   lz4_block_decode(buf, e->data_len, plain, e->len) != (long)e->len) {
			snprintf(err, errlen, "corrupt: lz4 data at offset %llu does not decode to "
				 "%llu bytes", (unsigned long long)e->file_off,
				 (unsigned long long)e->len);
			rc = -EINVAL;
		}
	}
	free(buf);
	free(plain);
	return rc;
}

int image_check_files(const struct image *img, char *err, size_t errlen)
{
	struct stat st;

	for (uint32_t i = 0; i < img->nregions; i++) {
		const struct img_region *g = &img->regions[i];
		uint64_t mt;
		if (g->rec.kind != MTCP_RGN_FILE_PRIVATE && g->rec.kind != MTCP_RGN_FILE_SHARED)
			continue;
		if (stat(g->path, &st)) {
			snprintf(err, errlen, "file %s (mapped at %llx) is gone: %s", g->path,
				 (unsigned long long)g->rec.start, strerror(errno));
			return -ENOENT;
		}
		mt = (uint64_t)st.st_mtim.tv_sec * 1000000000ull + (uint64_t)st.st_mtim.tv_nsec;
		if (g->rec.kind == MTCP_RGN_FILE_PRIVATE &&
		    (st.st_dev != g->rec.dev || st.st_ino != g->rec.ino ||
		     (uint64_t)st.st_size != g->rec.file_size || mt != g->rec.mtime_ns)) {
			snprintf(err, errlen, "file %s (mapped at %llx) has changed since the "
				 "checkpoint", g->path, (unsigned long long)g->rec.start);
			return -ESTALE;
		}
	}
	for (uint32_t i = 0; i < img->nfds; i++) {
		const struct img_fd *f = &img->fds[i];
		if (f->rec.fd <= 2)
			continue; /* the restored program gets mtcp_restart's stdio */
		if ((f->rec.kind == MTCP_FD_REGULAR || f->rec.kind == MTCP_FD_DIR) &&
		    stat(f->path, &st)) {
			snprintf(err, errlen, "file %s (fd %u) is gone: %s", f->path, f->rec.fd,
				 strerror(errno));
			return -ENOENT;
		}
	}
	if (img->cwd[0] && (stat(img->cwd, &st) || !S_ISDIR(st.st_mode))) {
		snprintf(err, errlen, "working directory %s is gone", img->cwd);
		return -ENOENT;
	}
	return 0;
}

void image_free(struct image *img)
{
	for (uint32_t i = 0; i < img->nregions; i++)
		free(img->regions[i].path);
	for (uint32_t i = 0; i < img->nfds; i++)
		free(img->fds[i].path);
	free(img->regions);
	free(img->fds);
	free(img->threads);
	free(img->extents);
	free(img->cwd);
	free(img->exe);
	if (img->fd >= 0)
		close(img->fd);
	memset(img, 0, sizeof(*img));
	img->fd = -1;
}
