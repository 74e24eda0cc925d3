/* SPDX-License-Identifier: MIT */
/*
 * image_reader.c - read and validate an image (docs/format.md): the
 * header, then one pass over the records in file order, each checked as
 * it comes; the checks across records are in image_check.c.
 */
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

#define ULL(x) ((unsigned long long)(x))
#define USER_TOP 0x800000000000ull /* x86_64 user addresses lie below */
#define MAX_FD_NUMBER (1u << 20)   /* the kernel's NR_OPEN */

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

/* A path of the image: at most MTCP_MAX_PATH bytes and no NUL inside
 * (the name opened would not be the one shown). */
static int path_ok(const char *p, uint64_t len)
{
	return len <= MTCP_MAX_PATH && !memchr(p, '\0', (size_t)len);
}

static int all_zero(const void *p, size_t len)
{
	const unsigned char *c = p;
	for (size_t i = 0; i < len; i++)
		if (c[i])
			return 0;
	return 1;
}

static const char *rec_name(uint32_t type)
{
	switch (type) {
	case MTCP_REC_PROC: return "PROC";
	case MTCP_REC_SIGACT: return "SIGACT";
	case MTCP_REC_THREAD: return "THREAD";
	case MTCP_REC_FD: return "FD";
	case MTCP_REC_REGION: return "REGION";
	case MTCP_REC_EXTENT: return "EXTENT";
	case MTCP_REC_GROUPS: return "GROUPS";
	case MTCP_REC_PIPE: return "PIPE";
	case MTCP_REC_EVENTFD: return "EVENTFD";
	case MTCP_REC_EPOLL: return "EPOLL";
	case MTCP_REC_TIMERFD: return "TIMERFD";
	case MTCP_REC_SIGNALFD: return "SIGNALFD";
	case MTCP_REC_UNIX: return "UNIX";
	case MTCP_REC_SOCKET: return "SOCKET";
	case MTCP_REC_INOTIFY: return "INOTIFY";
	case MTCP_REC_MEMFD: return "MEMFD";
	case MTCP_REC_FILEDATA: return "FILEDATA";
	case MTCP_REC_DEGRADED: return "DEGRADED";
	case MTCP_REC_PREV: return "PREV";
	case MTCP_REC_INHERIT: return "INHERIT";
	case MTCP_REC_END: return "END";
	default: return "unknown";
	}
}

/* The header: v1 and v2 have 64 bytes, v3 256. */
static int load_header(struct image *img, char *err, size_t errlen)
{
	struct mtcp_img_header h;
	struct mtcp_img_header_v3 *h3 = &img->hdr;
	int rc = 0, crc2_ok, crc3_ok = 0;

	if (img->size < sizeof(h))
		FAIL(-ENOMSG, "not a libmtcp-fast image (too short)");
	rc = read_at(img->fd, &h, sizeof(h), 0);
	if (rc)
		FAIL(rc, "cannot read the header: %s", strerror(-rc));
	if (memcmp(h.magic, MTCP_IMG_MAGIC, 8))
		FAIL(-ENOMSG, "not a libmtcp-fast image (bad magic)");
	crc2_ok = crc32c(0, &h, offsetof(struct mtcp_img_header, header_crc)) == h.header_crc;
	if (img->size >= sizeof(*h3)) {
		rc = read_at(img->fd, h3, sizeof(*h3), 0);
		if (rc)
			FAIL(rc, "cannot read the header: %s", strerror(-rc));
		crc3_ok = crc32c(0, h3, offsetof(struct mtcp_img_header_v3, header_crc)) ==
			  h3->header_crc;
	}
	if (h.version < MTCP_IMG_VERSION_MIN || h.version > MTCP_IMG_VERSION) {
		/* an unknown layout: its version is believed if either known
		 * header checksum holds */
		if (!crc2_ok && !crc3_ok)
			FAIL(-EINVAL, "corrupt: header checksum mismatch");
		FAIL(-EPROTO, "image format version %u; this mtcp_restart reads versions %u to %u",
		     h.version, MTCP_IMG_VERSION_MIN, MTCP_IMG_VERSION);
	}
	if (h.version < 3) {
		if (!crc2_ok)
			FAIL(-EINVAL, "corrupt: header checksum mismatch");
		memset(h3, 0, sizeof(*h3));
		memcpy(h3, &h, offsetof(struct mtcp_img_header_v3, ngroups));
	} else {
		if (img->size < sizeof(*h3))
			FAIL(-EINVAL, "truncated: %llu bytes, shorter than the %zu-byte header",
			     ULL(img->size), sizeof(*h3));
		if (!crc3_ok)
			FAIL(-EINVAL, "corrupt: header checksum mismatch");
	}
	if (h3->arch != MTCP_IMG_ARCH_X86_64)
		FAIL(-EPROTO, "image is for machine type %u; this one is x86_64 (62)", h3->arch);
	if (h.header_size != (h.version < 3 ? sizeof(h) : sizeof(*h3)) || h.page_size != 4096)
		FAIL(-EINVAL, "corrupt: unexpected header size or page size");
	if (h.version < 3 && h.reserved2)
		FAIL(-EINVAL, "corrupt: header reserved field (offset 56) is not zero");
	if (h.version >= 3) {
		if (!all_zero(h3->reserved, sizeof(h3->reserved)) ||
		    (h.version < 4 && h3->ndegraded))
			FAIL(-EINVAL, "corrupt: header reserved bytes (offsets 220..251) are not zero");
		if (h3->ndegraded > MTCP_MAX_FDS + 64)
			FAIL(-EINVAL, "corrupt: header says %u degraded objects", h3->ndegraded);
		if (h3->caps_valid > 1 || h3->no_new_privs > 1)
			FAIL(-EINVAL, "corrupt: header caps_valid %u or no_new_privs %u is not 0 or 1",
			     h3->caps_valid, h3->no_new_privs);
		if (h3->ngroups > 65536)
			FAIL(-EINVAL, "corrupt: header says %u supplementary groups (at most 65536)",
			     h3->ngroups);
		if (h3->dumpable > 2)
			FAIL(-EINVAL, "corrupt: header dumpable is %u (0, 1 or 2)", h3->dumpable);
	}
	/* v5: an increment; the flag did not exist before */
	if (h.flags & MTCP_IMGF_INCREMENTAL && h.version < 5)
		FAIL(-EINVAL, "corrupt: header flag 10 (incremental) in a version %u image",
		     h.version);
	img->incremental = !!(h.flags & MTCP_IMGF_INCREMENTAL);
	img->restartable = h.version >= MTCP_IMG_VERSION_RESTART;
out:
	return rc;
}

/* A REGION record's own fields, and its place after the previous one. */
static int check_region(const struct image *img, const struct mtcp_rec_region *r,
			const char *path, uint64_t off, char *err, size_t errlen)
{
	int file = r->kind == MTCP_RGN_FILE_PRIVATE || r->kind == MTCP_RGN_FILE_SHARED;
	int rc = 0;

	if (r->start & 4095 || r->end & 4095 || r->end <= r->start || r->end > USER_TOP ||
	    r->prot & ~7u || r->kind < MTCP_RGN_ANON || r->kind > MTCP_RGN_VVAR_VCLOCK)
		FAIL(-EINVAL, "corrupt: bad region %llx-%llx at offset %llu", ULL(r->start),
		     ULL(r->end), ULL(off));
	if (r->flags & ~(MTCP_RGNF_STACK | MTCP_RGNF_HEAP | MTCP_RGNF_DELETED | MTCP_RGNF_FILE_COPY))
		FAIL(-EINVAL, "corrupt: region %llx-%llx has unknown flags %#x", ULL(r->start),
		     ULL(r->end), r->flags);
	if (r->ninherit && img->hdr.version < 5)
		FAIL(-EINVAL, "corrupt: region %llx-%llx: reserved field is not zero",
		     ULL(r->start), ULL(r->end));
	if (r->ninherit && !img->incremental)
		FAIL(-EINVAL, "corrupt: region %llx-%llx announces %u INHERIT records in a full "
		     "image", ULL(r->start), ULL(r->end), r->ninherit);
	/* only memory the restorer maps privately can take a parent's pages */
	if (r->ninherit && r->kind != MTCP_RGN_ANON && r->kind != MTCP_RGN_FILE_PRIVATE)
		FAIL(-EINVAL, "corrupt: region %llx-%llx of kind %u announces INHERIT records "
		     "(only kinds 1 and 2 may)", ULL(r->start), ULL(r->end), r->kind);
	if ((file || r->kind == MTCP_RGN_SHARED_ANON) && r->file_offset & 4095)
		FAIL(-EINVAL, "corrupt: region %llx-%llx: file offset %#llx not page aligned",
		     ULL(r->start), ULL(r->end), ULL(r->file_offset));
	if (file && (r->file_offset & 4095 || r->path_len == 0 || path[0] != '/'))
		FAIL(-EINVAL, "corrupt: file region %llx-%llx: file offset %#llx not page aligned "
		     "or no absolute path", ULL(r->start), ULL(r->end), ULL(r->file_offset));
	if (img->nregions && r->start < img->regions[img->nregions - 1].rec.end)
		FAIL(-EINVAL, "corrupt: regions overlap or are out of order at %llx",
		     ULL(r->start));
out:
	return rc;
}

/* An EXTENT's descriptor (its padding follows in buf), inside region g. */
static int check_extent(const struct image *img, const struct mtcp_rec *r,
			const struct mtcp_rec_extent *x, const unsigned char *pad,
			const struct img_region *g, uint64_t off, char *err, size_t errlen)
{
	uint32_t k = g->rec.kind;
	int rc = 0;
	int raw_ok = x->encoding == MTCP_EXT_RAW && x->data_len == x->len;
	/* an lz4 block is never longer than its bound (LZ4_COMPRESSBOUND) */
	int lz4_ok = x->encoding == MTCP_EXT_LZ4 && img->hdr.version >= 2 && x->data_len &&
		     x->data_len <= x->len + x->len / 255 + 16;

	/* addr below USER_TOP and len at most 4 MiB: addr + len cannot wrap */
	if (!(raw_ok || lz4_ok) || x->len > MTCP_EXTENT_MAX || !x->len || x->addr & 4095 ||
	    x->len & 4095 || x->addr >= USER_TOP || x->pad >= 4096 ||
	    r->len != sizeof(*x) + x->pad + x->data_len)
		FAIL(-EINVAL, "corrupt: bad extent at offset %llu", ULL(off));
	if (x->addr < g->rec.start || x->addr + x->len > g->rec.end)
		FAIL(-EINVAL, "corrupt: extent %llx+%llx at offset %llu lies outside its region "
		     "%llx-%llx", ULL(x->addr), ULL(x->len), ULL(off), ULL(g->rec.start),
		     ULL(g->rec.end));
	if (img->nextents > g->first_extent) {
		const struct rst_extent *prev = &img->extents[img->nextents - 1];
		if (x->addr < prev->addr + prev->len)
			FAIL(-EINVAL, "corrupt: extent %llx at offset %llu overlaps or precedes the "
			     "one before it", ULL(x->addr), ULL(off));
	}
	/* the restorer fills only memory it maps itself, privately or anew */
	if (k != MTCP_RGN_ANON && k != MTCP_RGN_FILE_PRIVATE && k != MTCP_RGN_SHARED_ANON)
		FAIL(-EINVAL, "corrupt: extent at offset %llu in region %llx-%llx of kind %u, "
		     "which holds no data", ULL(off), ULL(g->rec.start), ULL(g->rec.end), k);
	if (!all_zero(pad, x->pad))
		FAIL(-EINVAL, "corrupt: extent padding at offset %llu is not zero",
		     ULL(off + sizeof(*x)));
out:
	return rc;
}

enum phase { PH_START, PH_STATE, PH_MEMORY };

struct walk {
	enum phase phase;
	uint64_t nrec;        /* records before the current one */
	uint64_t sum;         /* image_sum so far */
	int have_proc, have_sigact, have_ctl, have_main, have_groups;
	uint32_t want_obj;    /* v4: the object record the last FD record needs */
};

/* The whole payload of an FD record, read in pieces: its checksum. */
static int fd_payload_crc(int fd, uint64_t off, uint64_t len, uint32_t *crc)
{
	char buf[65536];
	int rc;

	*crc = 0;
	for (uint64_t o = 0; o < len;) {
		size_t n = len - o < sizeof(buf) ? (size_t)(len - o) : sizeof(buf);
		rc = read_at(fd, buf, n, off + o);
		if (rc)
			return rc;
		*crc = crc32c(*crc, buf, n);
		o += n;
	}
	return 0;
}

/*
 * A record read in pieces (FD, FILEDATA: contents that may be large): the
 * checksum of its whole payload, then the path_len bytes after its fixed
 * part, NUL-terminated, into *path (malloc'd; the caller checks them).
 * `what` names the record in messages.  0, or -errno with err filled in.
 */
static int load_streamed(const struct image *img, const struct mtcp_rec *r, uint64_t off,
			 size_t fixed, uint32_t path_len, const char *what, char **path,
			 char *err, size_t errlen)
{
	uint32_t crc;
	char *p = NULL;
	int rc = fd_payload_crc(img->fd, off, r->len, &crc);

	if (rc)
		FAIL(rc, "cannot read the %s record at %llu: %s", what, ULL(off), strerror(-rc));
	if (crc != r->payload_crc)
		FAIL(-EINVAL, "corrupt: checksum mismatch in %s record at offset %llu", what,
		     ULL(off));
	p = malloc(path_len + 1);
	if (!p)
		FAIL(-ENOMEM, "out of memory");
	rc = read_at(img->fd, p, path_len, off + fixed);
	if (rc)
		FAIL(rc, "cannot read the %s record at %llu: %s", what, ULL(off), strerror(-rc));
	p[path_len] = '\0';
	*path = p;
	p = NULL;
out:
	free(p);
	return rc;
}

static int load_fd(struct image *img, struct walk *wk, const struct mtcp_rec *r, uint64_t off,
		   char *err, size_t errlen)
{
	struct mtcp_rec_fd fr;
	struct img_fd *f;
	uint32_t max_kind = img->hdr.version >= 4 ? MTCP_FD_KIND_MAX : MTCP_FD_OTHER;
	char *p = NULL;
	int rc;

	if (r->len < sizeof(fr))
		FAIL(-EINVAL, "corrupt: short fd record at offset %llu", ULL(off));
	if (img->nfds >= MTCP_MAX_FDS)
		FAIL(-EINVAL, "corrupt: more than %u fd records", MTCP_MAX_FDS);
	rc = read_at(img->fd, &fr, sizeof(fr), off);
	if (rc)
		FAIL(rc, "cannot read at %llu", ULL(off));
	/* data_len bounded first: the sum below cannot wrap */
	if (fr.path_len > MTCP_MAX_PATH || fr.data_len > MTCP_MAX_FILEDATA ||
	    r->len != sizeof(fr) + fr.path_len + fr.data_len)
		FAIL(-EINVAL, "corrupt: bad fd record at offset %llu", ULL(off));
	if (fr.kind < MTCP_FD_REGULAR || fr.kind > max_kind || fr.fd >= MAX_FD_NUMBER ||
	    (fr.data_len && fr.kind != MTCP_FD_DELETED && fr.kind != MTCP_FD_MEMFD))
		FAIL(-EINVAL, "corrupt: fd record at offset %llu: fd %u of kind %u", ULL(off),
		     fr.fd, fr.kind);
	if (fr.same_as && img->hdr.version < 4)
		FAIL(-EINVAL, "corrupt: fd %u: reserved field is not zero", fr.fd);
	for (uint32_t i = 0; i < img->nfds; i++)
		if (img->fds[i].rec.fd == fr.fd)
			FAIL(-EINVAL, "corrupt: two records for fd %u", fr.fd);
	if (fr.same_as) {
		/* a dup of an earlier fd: same kind, nothing of its own */
		uint32_t i;
		for (i = 0; i < img->nfds; i++)
			if (img->fds[i].rec.fd == fr.same_as - 1)
				break;
		if (i == img->nfds || img->fds[i].rec.kind != fr.kind || fr.data_len)
			FAIL(-EINVAL, "corrupt: fd %u shares the description of fd %u, which is "
			     "not an earlier fd of its kind", fr.fd, fr.same_as - 1);
	}
	rc = load_streamed(img, r, off, sizeof(fr), fr.path_len, "fd", &p, err, errlen);
	if (rc)
		goto out;
	if (!path_ok(p, fr.path_len))
		FAIL(-EINVAL, "corrupt: fd %u: its path holds a NUL byte", fr.fd);
	img->fds = grow(img->fds, img->nfds, sizeof(*img->fds));
	if (!img->fds)
		FAIL(-ENOMEM, "out of memory");
	f = &img->fds[img->nfds++];
	memset(f, 0, sizeof(*f));
	f->rec = fr;
	f->path = p;
	p = NULL;
	f->data_off = off + sizeof(fr) + fr.path_len;
	if (!fr.same_as)
		wk->want_obj = image_fd_object_type(fr.kind);
out:
	free(p);
	return rc;
}

/* A v4 object record: it belongs to the FD record just before it. */
static int load_object(struct image *img, struct walk *wk, const struct mtcp_rec *r,
		       uint64_t off, char *err, size_t errlen)
{
	struct img_fd *f = &img->fds[img->nfds - 1];
	void *payload = NULL;
	int rc = 0;

	if (r->len > MTCP_MAX_OBJ_PAYLOAD)
		FAIL(-EINVAL, "corrupt: %s record of %llu bytes at offset %llu", rec_name(r->type),
		     ULL(r->len), ULL(off));
	payload = malloc(r->len ? r->len : 1);
	if (!payload)
		FAIL(-ENOMEM, "out of memory");
	rc = read_at(img->fd, payload, r->len, off);
	if (rc)
		FAIL(rc, "cannot read at %llu", ULL(off));
	if (crc32c(0, payload, r->len) != r->payload_crc)
		FAIL(-EINVAL, "corrupt: checksum mismatch in record at offset %llu", ULL(off));
	rc = image_check_object(r->type, payload, r->len, f->rec.fd, err, errlen);
	if (rc)
		goto out;
	f->obj_type = r->type;
	f->obj_len = (uint32_t)r->len;
	f->obj = payload;
	payload = NULL;
	wk->want_obj = 0;
out:
	free(payload);
	return rc;
}

/* A SAVE_DIR record's contents: patterns, NUL, then names each ended by a
 * NUL, every name a plain one (no '/', not "." or ".."). */
static int load_save_dir(struct image *img, struct img_file *f, uint64_t off, char *err,
			 size_t errlen)
{
	uint64_t len = f->rec.data_len;
	char *d = malloc(len + 1), *p, *end;
	int rc;

	if (!d)
		FAIL(-ENOMEM, "out of memory");
	f->patterns = d;
	rc = read_at(img->fd, d, (size_t)len, f->data_off);
	if (rc)
		FAIL(rc, "cannot read at %llu", ULL(f->data_off));
	d[len] = '\0';
	end = d + len;
	p = memchr(d, '\0', (size_t)len);
	if (!len || d[len - 1] || p == d)
		FAIL(-EINVAL, "corrupt: directory record at offset %llu: bad contents", ULL(off));
	for (p++; p < end; p += strlen(p) + 1) {
		if (!*p || strchr(p, '/') || !strcmp(p, ".") || !strcmp(p, ".."))
			FAIL(-EINVAL, "corrupt: directory record at offset %llu: bad name",
			     ULL(off));
		f->names = grow(f->names, f->nnames, sizeof(*f->names));
		if (!f->names)
			FAIL(-ENOMEM, "out of memory");
		f->names[f->nnames++] = p;
	}
out:
	return rc;
}

/* v4 FILEDATA: header and path kept, contents checked in pieces. */
static int load_filedata(struct image *img, const struct mtcp_rec *r, uint64_t off, char *err,
			 size_t errlen)
{
	struct mtcp_rec_filedata fr;
	struct img_file *f;
	char *p = NULL;
	int rc;

	if (r->len < sizeof(fr))
		FAIL(-EINVAL, "corrupt: short file data record at offset %llu", ULL(off));
	if (img->nfiles >= MTCP_MAX_FDS)
		FAIL(-EINVAL, "corrupt: more than %u file data records", MTCP_MAX_FDS);
	rc = read_at(img->fd, &fr, sizeof(fr), off);
	if (rc)
		FAIL(rc, "cannot read at %llu", ULL(off));
	if (fr.path_len == 0 || fr.path_len > MTCP_MAX_PATH || fr.data_len > MTCP_MAX_FILEDATA ||
	    fr.data_len != fr.size || r->len != sizeof(fr) + fr.path_len + fr.data_len ||
	    fr.reserved || (fr.why != MTCP_FILEDATA_SAVE_FILES &&
			    fr.why != MTCP_FILEDATA_SHARED_MAP && fr.why != MTCP_FILEDATA_SAVE_DIR) ||
	    (fr.mode & ~07777u) ||
	    (fr.why == MTCP_FILEDATA_SAVE_DIR && fr.data_len > MTCP_MAX_META_PAYLOAD))
		FAIL(-EINVAL, "corrupt: bad file data record at offset %llu", ULL(off));
	rc = load_streamed(img, r, off, sizeof(fr), fr.path_len, "file data", &p, err, errlen);
	if (rc)
		goto out;
	if (!path_ok(p, fr.path_len) || p[0] != '/')
		FAIL(-EINVAL, "corrupt: file data record at offset %llu: bad path", ULL(off));
	img->files = grow(img->files, img->nfiles, sizeof(*img->files));
	if (!img->files)
		FAIL(-ENOMEM, "out of memory");
	f = &img->files[img->nfiles++];
	memset(f, 0, sizeof(*f));
	f->rec = fr;
	f->path = p;
	p = NULL;
	f->data_off = off + sizeof(fr) + fr.path_len;
	if (fr.why == MTCP_FILEDATA_SAVE_DIR)
		rc = load_save_dir(img, f, off, err, errlen);
out:
	free(p);
	return rc;
}

static int load_degraded(struct image *img, const void *payload, uint64_t len, uint64_t off,
			 char *err, size_t errlen)
{
	struct mtcp_rec_degraded d;
	int rc = 0;

	if (len < sizeof(d))
		FAIL(-EINVAL, "corrupt: short DEGRADED record at offset %llu", ULL(off));
	memcpy(&d, payload, sizeof(d));
	if (d.text_len == 0 || d.text_len > 4096 || len != sizeof(d) + d.text_len ||
	    memchr((const char *)payload + sizeof(d), '\0', d.text_len) || d.fd < -1 ||
	    img->nnotes >= img->hdr.ndegraded)
		FAIL(-EINVAL, "corrupt: bad DEGRADED record at offset %llu", ULL(off));
	img->notes = grow(img->notes, img->nnotes, sizeof(*img->notes));
	if (!img->notes)
		FAIL(-ENOMEM, "out of memory");
	img->notes[img->nnotes].fd = d.fd;
	img->notes[img->nnotes].text = dupn((const char *)payload + sizeof(d), d.text_len);
	if (!img->notes[img->nnotes].text)
		FAIL(-ENOMEM, "out of memory");
	img->nnotes++;
out:
	return rc;
}

/* Pending signals no checkpointed program can have had: SIGKILL and
 * SIGSTOP cannot be blocked, so a process with one pending was dying or
 * stopped, never checkpointed; a restored program with one would die or
 * stop at once.  (SIGTSTP, SIGTTIN and SIGTTOU may be blocked and pending:
 * they are kept, as the program had them.) */
#define BAD_PENDING ((1ull << (9 - 1)) | (1ull << (19 - 1)))

static int load_proc(struct image *img, const struct mtcp_rec *r, const void *payload,
		     char *err, size_t errlen)
{
	struct mtcp_rec_proc *p = &img->proc;
	const char *strs;
	int rc = 0;

	if (r->len < sizeof(*p))
		FAIL(-EINVAL, "corrupt: bad process record");
	memcpy(p, payload, sizeof(*p));
	strs = (const char *)payload + sizeof(*p);
	if (p->cwd_len > MTCP_MAX_PATH || p->exe_len > MTCP_MAX_PATH ||
	    r->len != sizeof(*p) + p->cwd_len + p->exe_len || !path_ok(strs, p->cwd_len) ||
	    !path_ok(strs + p->cwd_len, p->exe_len))
		FAIL(-EINVAL, "corrupt: process record: bad cwd or executable path");
	if (!p->nthreads)
		FAIL(-EINVAL, "corrupt: process record: 0 threads");
	if (p->auxv_words > MTCP_AUXV_WORDS || p->nthreads > MTCP_MAX_THREADS ||
	    p->nfds > MTCP_MAX_FDS || p->nregions > MTCP_MAX_REGIONS)
		FAIL(-EINVAL, "corrupt: bad process record");
	if (p->pending_shared & BAD_PENDING)
		FAIL(-EINVAL, "corrupt: process record: pending signals %#llx include SIGKILL or "
		     "SIGSTOP", ULL(p->pending_shared));
	img->cwd = dupn(strs, p->cwd_len);
	img->exe = dupn(strs + p->cwd_len, p->exe_len);
	if (!img->cwd || !img->exe)
		FAIL(-ENOMEM, "out of memory");
out:
	return rc;
}

static int load_thread(struct image *img, const struct mtcp_rec *r, const void *payload,
		       char *err, size_t errlen)
{
	struct mtcp_rec_thread *t;
	int rc = 0;

	if (r->len != sizeof(*t) || img->nthreads >= MTCP_MAX_THREADS)
		FAIL(-EINVAL, "corrupt: bad thread record");
	img->threads = grow(img->threads, img->nthreads, sizeof(*t));
	if (!img->threads)
		FAIL(-ENOMEM, "out of memory");
	t = &img->threads[img->nthreads++];
	memcpy(t, payload, sizeof(*t));
	if (t->flags & ~(MTCP_THREADF_MAIN | MTCP_THREADF_CTL) ||
	    t->flags == (MTCP_THREADF_MAIN | MTCP_THREADF_CTL))
		FAIL(-EINVAL, "corrupt: thread %u: bad flags %#x", t->tid, t->flags);
	if (!t->tid || t->tid > (1u << 22)) /* PID_MAX_LIMIT */
		FAIL(-EINVAL, "corrupt: thread id %u", t->tid);
	if (t->pending_count)
		FAIL(-EINVAL, "corrupt: thread %u: pending_count is not zero", t->tid);
	if (t->pending & BAD_PENDING)
		FAIL(-EINVAL, "corrupt: thread %u: pending signals %#llx include SIGKILL or "
		     "SIGSTOP", t->tid, ULL(t->pending));
out:
	return rc;
}

static int load_region(struct image *img, const struct mtcp_rec *r, const void *payload,
		       uint64_t off, char *err, size_t errlen)
{
	const struct mtcp_rec_region *rr = payload;
	const char *path;
	struct img_region *g;
	int rc = 0;

	if (r->len < sizeof(*rr) || rr->path_len > MTCP_MAX_PATH ||
	    r->len != sizeof(*rr) + rr->path_len)
		FAIL(-EINVAL, "corrupt: bad region record at offset %llu", ULL(off));
	path = (const char *)payload + sizeof(*rr);
	if (!path_ok(path, rr->path_len))
		FAIL(-EINVAL, "corrupt: bad region record at offset %llu", ULL(off));
	if (img->nregions >= MTCP_MAX_REGIONS)
		FAIL(-EINVAL, "corrupt: more than %u regions", MTCP_MAX_REGIONS);
	rc = check_region(img, rr, path, off, err, errlen);
	if (rc)
		goto out;
	img->regions = grow(img->regions, img->nregions, sizeof(*img->regions));
	if (!img->regions)
		FAIL(-ENOMEM, "out of memory");
	g = &img->regions[img->nregions++];
	memset(g, 0, sizeof(*g));
	g->rec = *rr;
	g->path = dupn(path, rr->path_len);
	g->first_extent = img->nextents;
	if (!g->path)
		FAIL(-ENOMEM, "out of memory");
out:
	return rc;
}

static int load_extent(struct image *img, const struct mtcp_rec *r, uint64_t off, char *err,
		       size_t errlen)
{
	/* the descriptor and its padding, in one read */
	unsigned char buf[sizeof(struct mtcp_rec_extent) + 4096];
	struct mtcp_rec_extent x;
	struct img_region *g = img->nregions ? &img->regions[img->nregions - 1] : NULL;
	struct rst_extent *e;
	uint64_t want;
	int rc;

	if (r->len < sizeof(x))
		FAIL(-EINVAL, "corrupt: short extent at offset %llu", ULL(off));
	rc = read_at(img->fd, &x, sizeof(x), off);
	if (rc)
		FAIL(rc, "cannot read at %llu", ULL(off));
	if (crc32c(0, &x, offsetof(struct mtcp_rec_extent, desc_crc)) != x.desc_crc)
		FAIL(-EINVAL, "corrupt: extent checksum mismatch at offset %llu", ULL(off));
	want = sizeof(x) + (x.pad < 4096 ? x.pad : 0);
	if (want > r->len)
		FAIL(-EINVAL, "corrupt: bad extent at offset %llu", ULL(off));
	rc = read_at(img->fd, buf, (size_t)want, off);
	if (rc)
		FAIL(rc, "cannot read at %llu", ULL(off));
	rc = check_extent(img, r, &x, buf + sizeof(x), g, off, err, errlen);
	if (rc)
		goto out;
	img->extents = grow(img->extents, img->nextents, sizeof(*img->extents));
	if (!img->extents)
		FAIL(-ENOMEM, "out of memory");
	e = &img->extents[img->nextents++];
	memset(e, 0, sizeof(*e)); /* whole, image 0: chain.c sets these for parents' */
	e->addr = x.addr;
	e->len = x.len;
	e->file_off = off + sizeof(x) + x.pad;
	e->crc = r->payload_crc;
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
out:
	return rc;
}

/* v5 PREV: the parent's id, sum, size, this image's depth, the parent's
 * file name (a plain name: it is looked up in the increment's directory). */
static int load_prev(struct image *img, const void *payload, uint64_t len, uint64_t off,
		     char *err, size_t errlen)
{
	struct mtcp_rec_prev p;
	const char *name = (const char *)payload + sizeof(p);
	int rc = 0;

	if (len < sizeof(p))
		FAIL(-EINVAL, "corrupt: short PREV record at offset %llu", ULL(off));
	memcpy(&p, payload, sizeof(p));
	if (p.name_len < 1 || p.name_len > MTCP_MAX_PREV_NAME || len != sizeof(p) + p.name_len)
		FAIL(-EINVAL, "corrupt: PREV record at offset %llu: name length %u (1 to %u, and "
		     "the record's length)", ULL(off), p.name_len, MTCP_MAX_PREV_NAME);
	if (memchr(name, '/', p.name_len) || memchr(name, '\0', p.name_len) ||
	    (p.name_len == 1 && name[0] == '.') ||
	    (p.name_len == 2 && name[0] == '.' && name[1] == '.'))
		FAIL(-EINVAL, "corrupt: PREV record at offset %llu: the parent's name is not a "
		     "plain file name", ULL(off));
	if (p.depth < 1 || p.depth >= MTCP_MAX_CHAIN)
		FAIL(-EINVAL, "corrupt: PREV record at offset %llu: depth %u (1 to %u)", ULL(off),
		     p.depth, MTCP_MAX_CHAIN - 1);
	if (p.reserved)
		FAIL(-EINVAL, "corrupt: PREV record at offset %llu: reserved field is not zero",
		     ULL(off));
	img->prev = p;
	img->prev_name = dupn(name, p.name_len);
	if (!img->prev_name)
		FAIL(-ENOMEM, "out of memory");
out:
	return rc;
}

/* The first extent of region g that ends after addr (g's extents ascend
 * and are disjoint), or g's end of its extents. */
static uint32_t extent_after(const struct image *img, const struct img_region *g,
			     uint64_t addr)
{
	uint32_t lo = g->first_extent, hi = g->first_extent + g->rec.nextents;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (img->extents[mid].addr + img->extents[mid].len <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* v5 INHERIT, after its region's extents (check_order): page-aligned runs
 * inside the region, ascending across its INHERIT records, none over one
 * of its extents. */
static int load_inherit(struct image *img, const void *payload, uint64_t len, uint64_t off,
			char *err, size_t errlen)
{
	struct img_region *g = &img->regions[img->nregions - 1];
	const unsigned char *p = (const unsigned char *)payload + sizeof(struct mtcp_rec_inherit);
	struct mtcp_rec_inherit h;
	int rc = 0;

	if (len < sizeof(h))
		FAIL(-EINVAL, "corrupt: short INHERIT record at offset %llu", ULL(off));
	memcpy(&h, payload, sizeof(h));
	if (h.region_start != g->rec.start)
		FAIL(-EINVAL, "corrupt: INHERIT record at offset %llu names region %llx, not its "
		     "own (%llx)", ULL(off), ULL(h.region_start), ULL(g->rec.start));
	if (!h.nruns || len != sizeof(h) + (uint64_t)h.nruns * sizeof(struct mtcp_inherit_run))
		FAIL(-EINVAL, "corrupt: INHERIT record at offset %llu: %u runs in %llu bytes",
		     ULL(off), h.nruns, ULL(len));
	if (h.reserved)
		FAIL(-EINVAL, "corrupt: INHERIT record at offset %llu: reserved field is not zero",
		     ULL(off));
	if (img->nruns + (uint64_t)h.nruns > img->runs_cap) {
		uint64_t cap = img->runs_cap ? img->runs_cap : 64;
		while (cap < img->nruns + (uint64_t)h.nruns)
			cap *= 2;
		void *n = cap > UINT32_MAX ? NULL : realloc(img->runs, cap * sizeof(*img->runs));
		if (!n)
			FAIL(-ENOMEM, "out of memory");
		img->runs = n;
		img->runs_cap = (uint32_t)cap;
	}
	if (!g->ninherit_seen)
		g->first_run = img->nruns;
	for (uint32_t i = 0; i < h.nruns; i++) {
		struct mtcp_inherit_run run;
		uint64_t after = g->nruns ? img->runs[img->nruns - 1].end : g->rec.start;
		uint32_t x;

		memcpy(&run, p + (size_t)i * sizeof(run), sizeof(run));
		if (run.start & 4095 || run.end & 4095 || run.end <= run.start)
			FAIL(-EINVAL, "corrupt: INHERIT record at offset %llu: run %llx-%llx is empty "
			     "or not page aligned", ULL(off), ULL(run.start), ULL(run.end));
		if (run.start < g->rec.start || run.end > g->rec.end)
			FAIL(-EINVAL, "corrupt: INHERIT record at offset %llu: run %llx-%llx lies "
			     "outside its region %llx-%llx", ULL(off), ULL(run.start), ULL(run.end),
			     ULL(g->rec.start), ULL(g->rec.end));
		if (run.start < after)
			FAIL(-EINVAL, "corrupt: INHERIT record at offset %llu: run %llx-%llx overlaps "
			     "or precedes the run before it", ULL(off), ULL(run.start), ULL(run.end));
		x = extent_after(img, g, run.start);
		if (x < g->first_extent + g->rec.nextents && img->extents[x].addr < run.end)
			FAIL(-EINVAL, "corrupt: INHERIT record at offset %llu: run %llx-%llx overlaps "
			     "the extent at %llx", ULL(off), ULL(run.start), ULL(run.end),
			     ULL(img->extents[x].addr));
		img->runs[img->nruns++] = run;
		g->nruns++;
		img->inherit_bytes += run.end - run.start;
	}
	g->ninherit_seen++;
out:
	return rc;
}

/* Record order: [GROUPS (v3)] PROC SIGACT THREAD... FD... then only
 * REGIONs, each followed by exactly its nextents EXTENTs, then END.  The
 * writer fills PROC in last, but at its reserved place after GROUPS. */

/* Closes the region being read: its extent count must be what it said. */
static int close_region(struct image *img, char *err, size_t errlen)
{
	const struct img_region *g;
	int rc = 0;

	if (!img->nregions)
		return 0;
	g = &img->regions[img->nregions - 1];
	if (img->nextents - g->first_extent != g->rec.nextents)
		FAIL(-EINVAL, "corrupt: region %llx-%llx announces %u extents, %u follow",
		     ULL(g->rec.start), ULL(g->rec.end), g->rec.nextents,
		     img->nextents - g->first_extent);
	if (g->ninherit_seen != g->rec.ninherit)
		FAIL(-EINVAL, "corrupt: region %llx-%llx announces %u INHERIT records, %u follow",
		     ULL(g->rec.start), ULL(g->rec.end), g->rec.ninherit, g->ninherit_seen);
out:
	return rc;
}

static int check_order(struct image *img, struct walk *wk, uint32_t type, uint64_t off,
		       char *err, size_t errlen)
{
	int rc = 0;

	if (img->hdr.version >= 3 && wk->nrec == 0 && type != MTCP_REC_GROUPS)
		FAIL(-EINVAL, "corrupt: the first record (offset %llu) is %s, not GROUPS",
		     ULL(off), rec_name(type));
	if (type == MTCP_REC_GROUPS && (img->hdr.version < 3 || wk->nrec != 0))
		FAIL(-EINVAL, "corrupt: misplaced GROUPS record at offset %llu", ULL(off));
	/* v5: PREV right after GROUPS, exactly in an increment */
	if (img->incremental && wk->nrec == 1 && type != MTCP_REC_PREV)
		FAIL(-EINVAL, "corrupt: the header says increment (flag 10), but the record after "
		     "GROUPS (offset %llu) is %s, not PREV", ULL(off), rec_name(type));
	if (type == MTCP_REC_PREV && (!img->incremental || wk->nrec != 1))
		FAIL(-EINVAL, "corrupt: misplaced PREV record at offset %llu%s", ULL(off),
		     img->incremental ? "" : " (the header does not say increment)");
	if (type == MTCP_REC_INHERIT) {
		const struct img_region *g = img->nregions ? &img->regions[img->nregions - 1] : NULL;
		if (wk->phase != PH_MEMORY || !g)
			FAIL(-EINVAL, "corrupt: misplaced INHERIT record at offset %llu (no region "
			     "before it)", ULL(off));
		if (img->nextents - g->first_extent != g->rec.nextents)
			FAIL(-EINVAL, "corrupt: INHERIT record at offset %llu comes before the last "
			     "of its region's %u extents", ULL(off), g->rec.nextents);
		if (g->ninherit_seen >= g->rec.ninherit)
			FAIL(-EINVAL, "corrupt: region %llx-%llx announces %u INHERIT records, more "
			     "follow (offset %llu)", ULL(g->rec.start), ULL(g->rec.end),
			     g->rec.ninherit, ULL(off));
	}
	if (type == MTCP_REC_EXTENT && img->nregions &&
	    img->regions[img->nregions - 1].ninherit_seen)
		FAIL(-EINVAL, "corrupt: extent at offset %llu after its region's INHERIT records",
		     ULL(off));
	if (wk->want_obj && type != wk->want_obj)
		FAIL(-EINVAL, "corrupt: fd %u's %s record is missing (offset %llu holds %s)",
		     img->fds[img->nfds - 1].rec.fd, rec_name(wk->want_obj), ULL(off),
		     rec_name(type));
	if (type >= MTCP_REC_PIPE && type <= MTCP_REC_DEGRADED &&
	    (img->hdr.version < 4 || wk->phase != PH_STATE || !wk->have_sigact ||
	     (type <= MTCP_REC_MEMFD && type != wk->want_obj)))
		FAIL(-EINVAL, "corrupt: misplaced %s record at offset %llu", rec_name(type),
		     ULL(off));
	if (type == MTCP_REC_EXTENT && wk->phase != PH_MEMORY)
		FAIL(-EINVAL, "corrupt: misplaced extent at offset %llu (no region before it)",
		     ULL(off));
	if (wk->phase == PH_MEMORY && type != MTCP_REC_EXTENT && type != MTCP_REC_REGION &&
	    type != MTCP_REC_INHERIT && type != MTCP_REC_END)
		FAIL(-EINVAL, "corrupt: %s record at offset %llu after the memory records",
		     rec_name(type), ULL(off));
	if (type == MTCP_REC_REGION || type == MTCP_REC_END) {
		rc = close_region(img, err, errlen);
		if (type == MTCP_REC_REGION)
			wk->phase = PH_MEMORY;
	} else if (type != MTCP_REC_EXTENT && type != MTCP_REC_GROUPS &&
		   type != MTCP_REC_PREV && type != MTCP_REC_INHERIT) {
		wk->phase = PH_STATE;
	}
out:
	return rc;
}

/* END, whose record header is at off. */
static int load_end(struct image *img, struct walk *wk, const struct mtcp_rec *r,
		    const void *payload, uint64_t off, char *err, size_t errlen)
{
	struct mtcp_rec_end_v3 e = { 0, 0, 0 };
	size_t want = img->hdr.version >= 3 ? sizeof(struct mtcp_rec_end_v3)
					    : sizeof(struct mtcp_rec_end);
	int rc = 0;

	if (r->len != want)
		FAIL(-EINVAL, "corrupt: END record at offset %llu has %llu bytes, not %zu",
		     ULL(off), ULL(r->len), want);
	memcpy(&e, payload, want);
	if (e.nrecords != wk->nrec || e.file_size != off + sizeof(*r) + r->len)
		FAIL(-EINVAL, "corrupt: END record does not match the image");
	if (img->size != e.file_size)
		FAIL(-EINVAL, "corrupt: %llu bytes of garbage after the END record",
		     ULL(img->size - e.file_size));
	if (img->hdr.version >= 3 && e.image_sum != wk->sum)
		FAIL(-EINVAL, "corrupt: the image's sum (END record) does not match its records "
		     "(%016llx, computed %016llx)", ULL(e.image_sum), ULL(wk->sum));
	img->image_sum = e.image_sum;
out:
	return rc;
}

/* A record other than EXTENT and FD: its payload (at most 1 MiB) read and
 * checked whole. */
static int load_meta(struct image *img, struct walk *wk, const struct mtcp_rec *r,
		     uint64_t off, char *err, size_t errlen)
{
	void *payload = NULL;
	int rc = 0;

	if (r->len > MTCP_MAX_META_PAYLOAD)
		FAIL(-EINVAL, "corrupt: record of %llu bytes at offset %llu", ULL(r->len),
		     ULL(off));
	payload = malloc(r->len ? r->len : 1);
	if (!payload)
		FAIL(-ENOMEM, "out of memory");
	rc = read_at(img->fd, payload, r->len, off);
	if (rc)
		FAIL(rc, "cannot read at %llu", ULL(off));
	if (crc32c(0, payload, r->len) != r->payload_crc)
		FAIL(-EINVAL, "corrupt: checksum mismatch in record at offset %llu", ULL(off));
	switch (r->type) {
	case MTCP_REC_GROUPS:
		if (r->len != (uint64_t)img->hdr.ngroups * sizeof(uint32_t))
			FAIL(-EINVAL, "corrupt: GROUPS record has %llu bytes for %u groups",
			     ULL(r->len), img->hdr.ngroups);
		img->groups = payload;
		payload = NULL;
		wk->have_groups = 1;
		break;
	case MTCP_REC_PROC:
		if (wk->have_proc)
			FAIL(-EINVAL, "corrupt: a second process record at offset %llu", ULL(off));
		rc = load_proc(img, r, payload, err, errlen);
		wk->have_proc = 1;
		break;
	case MTCP_REC_SIGACT:
		if (wk->have_sigact || r->len != sizeof(img->sigact))
			FAIL(-EINVAL, "corrupt: bad signal record");
		memcpy(img->sigact, payload, sizeof(img->sigact));
		wk->have_sigact = 1;
		break;
	case MTCP_REC_THREAD:
		rc = load_thread(img, r, payload, err, errlen);
		if (!rc && (img->threads[img->nthreads - 1].flags & MTCP_THREADF_CTL))
			wk->have_ctl++;
		if (!rc && (img->threads[img->nthreads - 1].flags & MTCP_THREADF_MAIN))
			wk->have_main++;
		break;
	case MTCP_REC_REGION:
		rc = load_region(img, r, payload, off, err, errlen);
		break;
	case MTCP_REC_DEGRADED:
		rc = load_degraded(img, payload, r->len, off - sizeof(*r), err, errlen);
		break;
	case MTCP_REC_PREV:
		rc = load_prev(img, payload, r->len, off - sizeof(*r), err, errlen);
		break;
	case MTCP_REC_INHERIT:
		rc = load_inherit(img, payload, r->len, off - sizeof(*r), err, errlen);
		break;
	case MTCP_REC_END:
		rc = load_end(img, wk, r, payload, off - sizeof(*r), err, errlen);
		break;
	default:
		FAIL(-EINVAL, "corrupt: unknown record type %u at offset %llu", r->type,
		     ULL(off - sizeof(*r)));
	}
out:
	free(payload);
	return rc;
}

/* Opens the image without blocking on a FIFO or a device, and only if
 * it is a regular file. */
static int open_image(const char *path, struct image *img, char *err, size_t errlen)
{
	struct stat st;
	int rc = 0, fl;

	img->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (img->fd < 0)
		FAIL(-errno, "%s", strerror(errno));
	if (fstat(img->fd, &st))
		FAIL(-errno, "%s", strerror(errno));
	if (!S_ISREG(st.st_mode))
		FAIL(-EINVAL, "not a regular file");
	fl = fcntl(img->fd, F_GETFL);
	if (fl < 0 || fcntl(img->fd, F_SETFL, fl & ~O_NONBLOCK))
		FAIL(-errno, "%s", strerror(errno));
	img->size = (uint64_t)st.st_size;
out:
	return rc;
}

int image_load_header(const char *path, struct image *img, char *err, size_t errlen)
{
	int rc;

	memset(img, 0, sizeof(*img));
	rc = open_image(path, img, err, errlen);
	if (!rc)
		rc = load_header(img, err, errlen);
	if (rc)
		image_free(img);
	return rc;
}

int image_load(const char *path, struct image *img, char *err, size_t errlen)
{
	struct walk wk;
	uint64_t off;
	int rc = 0, have_end = 0;

	memset(img, 0, sizeof(*img));
	memset(&wk, 0, sizeof(wk));
	rc = open_image(path, img, err, errlen);
	if (!rc)
		rc = load_header(img, err, errlen);
	if (rc)
		goto out;
	wk.sum = mtcp_sum_term(0, img->hdr.header_crc);

	for (off = img->hdr.header_size; !have_end;) {
		struct mtcp_rec r;
		if (off + sizeof(r) > img->size)
			FAIL(-EINVAL, "truncated: ends at byte %llu without its END record",
			     ULL(img->size));
		rc = read_at(img->fd, &r, sizeof(r), off);
		if (rc)
			FAIL(rc, "cannot read record at %llu: %s", ULL(off), strerror(-rc));
		if (crc32c(0, &r, offsetof(struct mtcp_rec, header_crc)) != r.header_crc)
			FAIL(-EINVAL, "corrupt: record header checksum mismatch at offset %llu",
			     ULL(off));
		if (r.len > img->size - off - sizeof(r))
			FAIL(-EINVAL, "truncated: record at offset %llu runs past the end",
			     ULL(off));
		if (r.flags)
			FAIL(-EINVAL, "corrupt: record at offset %llu has flags %#x (must be zero)",
			     ULL(off), r.flags);
		rc = check_order(img, &wk, r.type, off, err, errlen);
		if (rc)
			goto out;
		if (r.type != MTCP_REC_END)
			wk.sum += mtcp_sum_term(off, r.header_crc);
		off += sizeof(r);
		if (r.type == MTCP_REC_EXTENT)
			rc = load_extent(img, &r, off, err, errlen);
		else if (r.type == MTCP_REC_FD)
			rc = load_fd(img, &wk, &r, off, err, errlen);
		else if (r.type >= MTCP_REC_PIPE && r.type <= MTCP_REC_MEMFD)
			rc = load_object(img, &wk, &r, off, err, errlen);
		else if (r.type == MTCP_REC_FILEDATA)
			rc = load_filedata(img, &r, off, err, errlen);
		else
			rc = load_meta(img, &wk, &r, off, err, errlen);
		if (rc)
			goto out;
		if (r.type == MTCP_REC_END)
			have_end = 1;
		else
			wk.nrec++;
		off += r.len;
	}
	if (img->hdr.version >= 3 && !wk.have_groups)
		FAIL(-EINVAL, "corrupt: GROUPS record missing");
	if (img->incremental && !img->prev_name)
		FAIL(-EINVAL, "corrupt: the header says increment (flag 10), but there is no PREV "
		     "record");
	if (!wk.have_proc || !wk.have_sigact)
		FAIL(-EINVAL, "corrupt: process or signal record missing");
	if (img->nnotes != img->hdr.ndegraded ||
	    (img->hdr.version >= 4 && !!(img->hdr.flags & MTCP_IMGF_DEGRADED) != !!img->nnotes))
		FAIL(-EINVAL, "corrupt: the header says %u degraded objects, the image names %u",
		     img->hdr.ndegraded, img->nnotes);
	if (img->nthreads != img->proc.nthreads || img->nfds != img->proc.nfds ||
	    img->nregions != img->proc.nregions)
		FAIL(-EINVAL, "corrupt: record counts do not match the process record");
	if (wk.have_ctl != 1 || wk.have_main != 1)
		FAIL(-EINVAL, "corrupt: thread table lacks the main or the control thread");
	rc = image_check_pointers(img, err, errlen);
out:
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
				 ULL(e->file_off), strerror(-rc));
		else if (crc32c(0, buf, e->data_len) != e->crc) {
			snprintf(err, errlen, "corrupt: checksum mismatch in memory data at offset %llu",
				 ULL(e->file_off));
			rc = -EINVAL;
		} else if (e->enc == MTCP_EXT_LZ4 &&
			   lz4_block_decode(buf, e->data_len, plain, e->len) != (long)e->len) {
			snprintf(err, errlen, "corrupt: lz4 data at offset %llu does not decode to "
				 "%llu bytes", ULL(e->file_off), ULL(e->len));
			rc = -EINVAL;
		}
	}
	free(buf);
	free(plain);
	return rc;
}

const struct img_file *image_put_back(const struct image *img, const char *path)
{
	struct stat st;

	for (uint32_t i = 0; i < img->nfiles; i++) {
		const struct img_file *f = &img->files[i];
		if (f->rec.why == MTCP_FILEDATA_SAVE_DIR || strcmp(f->path, path))
			continue;
		if (f->rec.why == MTCP_FILEDATA_SAVE_FILES ||
		    (lstat(path, &st) && (errno == ENOENT || errno == ENOTDIR)))
			return f;
	}
	return NULL;
}

int image_check_files(const struct image *img, char *err, size_t errlen)
{
	struct stat st;

	for (uint32_t i = 0; i < img->nregions; i++) {
		const struct img_region *g = &img->regions[i];
		const struct img_file *back;
		uint64_t mt, in_file;
		if (g->rec.kind != MTCP_RGN_FILE_PRIVATE && g->rec.kind != MTCP_RGN_FILE_SHARED)
			continue;
		back = image_put_back(img, g->path);
		if (back) {
			/* the restart writes it as it was before mapping it */
			memset(&st, 0, sizeof(st));
			st.st_dev = (dev_t)g->rec.dev;
			st.st_ino = (ino_t)g->rec.ino;
			st.st_size = (off_t)back->rec.size;
			st.st_mtim.tv_sec = (time_t)(back->rec.mtime_ns / 1000000000ull);
			st.st_mtim.tv_nsec = (long)(back->rec.mtime_ns % 1000000000ull);
		} else if (stat(g->path, &st)) {
			snprintf(err, errlen, "file %s (mapped at %llx) is gone: %s", g->path,
				 ULL(g->rec.start), strerror(errno));
			return -ENOENT;
		}
		mt = (uint64_t)st.st_mtim.tv_sec * 1000000000ull + (uint64_t)st.st_mtim.tv_nsec;
		if (g->rec.kind != MTCP_RGN_FILE_PRIVATE)
			continue;
		if (st.st_dev != g->rec.dev || st.st_ino != g->rec.ino ||
		    (uint64_t)st.st_size != g->rec.file_size || mt != g->rec.mtime_ns) {
			snprintf(err, errlen, "file %s (mapped at %llx) has changed since the "
				 "checkpoint", g->path, ULL(g->rec.start));
			return -ESTALE;
		}
		/* past the file's last page, touching the mapping is SIGBUS:
		 * the restorer writes its saved pages there */
		in_file = ((uint64_t)st.st_size + 4095) & ~4095ull;
		if (g->rec.file_offset > in_file ||
		    g->rec.end - g->rec.start > in_file - g->rec.file_offset) {
			snprintf(err, errlen, "corrupt: region %llx-%llx maps %s from offset %llu, "
				 "past the end of the file (%llu bytes)", ULL(g->rec.start),
				 ULL(g->rec.end), g->path, ULL(g->rec.file_offset),
				 ULL(st.st_size));
			return -EINVAL;
		}
	}
	for (uint32_t i = 0; i < img->nfds; i++) {
		const struct img_fd *f = &img->fds[i];
		if ((f->rec.kind == MTCP_FD_REGULAR || f->rec.kind == MTCP_FD_DIR) &&
		    stat(f->path, &st)) {
			int e = errno;
			if (f->rec.kind == MTCP_FD_REGULAR && image_put_back(img, f->path))
				continue; /* written from the image before it is opened */
			snprintf(err, errlen, "file %s (fd %u) is gone: %s", f->path, f->rec.fd,
				 strerror(e));
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
	for (uint32_t i = 0; i < img->nfds; i++) {
		free(img->fds[i].path);
		free(img->fds[i].obj);
	}
	for (uint32_t i = 0; i < img->nfiles; i++) {
		free(img->files[i].path);
		free(img->files[i].patterns);
		free(img->files[i].names);
	}
	for (uint32_t i = 0; i < img->nnotes; i++)
		free(img->notes[i].text);
	free(img->files);
	free(img->notes);
	free(img->regions);
	free(img->fds);
	free(img->threads);
	free(img->extents);
	free(img->runs);
	free(img->prev_name);
	free(img->groups);
	free(img->cwd);
	free(img->exe);
	if (img->fd >= 0)
		close(img->fd);
	memset(img, 0, sizeof(*img));
	img->fd = -1;
}
