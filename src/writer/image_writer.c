/* SPDX-License-Identifier: MIT */
/* image_writer.c - appends checksummed records to an image file. */
#include "image_writer.h"
#include "image-format.h"
#include "crc32c.h"
#include "io_all.h"
#include "syscall.h"

#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>

void iw_init(struct img_writer *w, int fd, char *buf, size_t cap)
{
	memset(w, 0, sizeof(*w));
	w->fd = fd;
	w->buf = buf;
	w->cap = cap;
}

int iw_flush(struct img_writer *w)
{
	int rc = io_write_all(w->fd, w->buf, w->used);
	w->used = 0;
	return rc;
}

static int put(struct img_writer *w, const void *p, size_t len)
{
	if (len > w->cap) {
		int rc = iw_flush(w);
		if (!rc)
			rc = io_write_all(w->fd, p, len);
		if (!rc)
			w->off += len;
		return rc;
	}
	if (w->used + len > w->cap) {
		int rc = iw_flush(w);
		if (rc)
			return rc;
	}
	memcpy(w->buf + w->used, p, len);
	w->used += len;
	w->off += len;
	return 0;
}

static void rec_fill(struct mtcp_rec *r, uint32_t type, uint64_t len, uint32_t crc)
{
	r->type = type;
	r->flags = 0;
	r->len = len;
	r->payload_crc = crc;
	r->header_crc = crc32c(0, r, offsetof(struct mtcp_rec, header_crc));
}

static void header_fill(struct mtcp_img_header_v3 *h)
{
	h->header_crc = crc32c(0, h, offsetof(struct mtcp_img_header_v3, header_crc));
}

static void header_settings(struct mtcp_img_header_v3 *h, const struct iw_settings *set)
{
	h->helpers = set ? set->helpers : 0;
	h->chunk_kib = set ? set->chunk_kib : 0;
	h->lz4_accel = set ? set->lz4_accel : 0;
	h->ndegraded = set ? set->ndegraded : 0;
}

int iw_header(struct img_writer *w, uint32_t pid, uint64_t flags, uint64_t created_ns,
	      const struct iw_settings *set, const struct iw_identity *id)
{
	struct mtcp_img_header_v3 *h = &w->hdr;
	int rc;

	memset(h, 0, sizeof(*h));
	memcpy(h->magic, MTCP_IMG_MAGIC, 8);
	h->version = MTCP_IMG_VERSION;
	h->arch = MTCP_IMG_ARCH_X86_64;
	h->header_size = sizeof(*h);
	h->page_size = 4096;
	h->flags = flags;
	h->created_ns = created_ns;
	h->pid = pid;
	header_settings(h, set);
	if (id) {
		if (id->ngroups > IW_MAX_GROUPS)
			return -EINVAL;
		h->ngroups = id->ngroups;
		h->dumpable = id->dumpable;
		memcpy(h->uid, id->uid, sizeof(h->uid));
		memcpy(h->gid, id->gid, sizeof(h->gid));
		h->fsuid = id->fsuid;
		h->fsgid = id->fsgid;
		memcpy(h->image_id, id->image_id, MTCP_ID_LEN);
		memcpy(h->lineage_id, id->lineage_id, MTCP_ID_LEN);
		memcpy(h->parent_id, id->parent_id, MTCP_ID_LEN);
		memcpy(h->launch_id, id->launch_id, MTCP_ID_LEN);
		h->seq = id->seq;
		h->outer_pid = id->outer_pid;
		h->caps_valid = id->caps_valid;
		memcpy(h->cap_eff, id->cap_eff, sizeof(h->cap_eff));
		memcpy(h->cap_prm, id->cap_prm, sizeof(h->cap_prm));
		memcpy(h->cap_inh, id->cap_inh, sizeof(h->cap_inh));
		memcpy(h->cap_bnd, id->cap_bnd, sizeof(h->cap_bnd));
		memcpy(h->cap_amb, id->cap_amb, sizeof(h->cap_amb));
		h->no_new_privs = id->no_new_privs;
	}
	header_fill(h);
	rc = put(w, h, sizeof(*h));
	/* the GROUPS record is always there, first, possibly empty */
	if (!rc)
		rc = iw_record(w, MTCP_REC_GROUPS, id ? id->groups : NULL,
			       id ? id->ngroups * sizeof(uint32_t) : 0, NULL, 0);
	return rc;
}

int iw_rewrite_header(struct img_writer *w, uint64_t flags, const struct iw_settings *set)
{
	struct mtcp_img_header_v3 *h = &w->hdr;

	h->flags = flags;
	header_settings(h, set);
	header_fill(h);
	/* the first header may still sit in the buffer */
	int rc = iw_flush(w);
	if (!rc)
		rc = io_pwrite_all(w->fd, h, sizeof(*h), 0);
	return rc;
}

uint64_t iw_sum_term_of(uint64_t off, const void *rec_header)
{
	uint32_t crc;

	memcpy(&crc, (const char *)rec_header + offsetof(struct mtcp_rec, header_crc), sizeof(crc));
	return mtcp_sum_term(off, crc);
}

int iw_record(struct img_writer *w, uint32_t type, const void *p1, size_t l1,
	      const void *p2, size_t l2)
{
	struct mtcp_rec r;
	uint32_t crc = crc32c(0, p1, l1);
	int rc;

	crc = crc32c(crc, p2, l2);
	rec_fill(&r, type, l1 + l2, crc);
	w->sum += mtcp_sum_term(w->off, r.header_crc);
	rc = put(w, &r, sizeof(r));
	if (!rc && l1)
		rc = put(w, p1, l1);
	if (!rc && l2)
		rc = put(w, p2, l2);
	if (!rc)
		w->nrecords++;
	return rc;
}

int iw_reserve(struct img_writer *w, size_t payload_len, uint64_t *off)
{
	static const char zeros[256];
	size_t left = sizeof(struct mtcp_rec) + payload_len;

	*off = w->off;
	while (left) {
		size_t n = left < sizeof(zeros) ? left : sizeof(zeros);
		int rc = put(w, zeros, n);
		if (rc)
			return rc;
		left -= n;
	}
	return 0;
}

int iw_pwrite_record(int fd, uint64_t off, uint32_t type, const void *p1, size_t l1,
		     const void *p2, size_t l2, uint64_t *sum)
{
	struct mtcp_rec r;
	int rc;

	rec_fill(&r, type, l1 + l2, crc32c(crc32c(0, p1, l1), p2, l2));
	*sum += mtcp_sum_term(off, r.header_crc);
	rc = io_pwrite_all(fd, &r, sizeof(r), off);
	if (!rc && l1)
		rc = io_pwrite_all(fd, p1, l1, off + sizeof(r));
	if (!rc && l2)
		rc = io_pwrite_all(fd, p2, l2, off + sizeof(r) + l1);
	return rc;
}

int iw_record_at(struct img_writer *w, uint64_t off, uint32_t type, const void *p1,
		 size_t l1, const void *p2, size_t l2)
{
	/* the reserved bytes may still sit in the buffer */
	int rc = iw_flush(w);

	if (!rc)
		rc = iw_pwrite_record(w->fd, off, type, p1, l1, p2, l2, &w->sum);
	if (!rc)
		w->nrecords++;
	return rc;
}

int iw_begin(struct img_writer *w, uint32_t type)
{
	uint64_t off;
	int rc = iw_reserve(w, 0, &off);

	w->rec_off = off;
	w->rec_type = type;
	w->rec_len = 0;
	w->rec_crc = 0;
	return rc;
}

int iw_append(struct img_writer *w, const void *p, size_t len)
{
	w->rec_crc = crc32c(w->rec_crc, p, len);
	w->rec_len += len;
	return put(w, p, len);
}

int iw_end(struct img_writer *w)
{
	struct mtcp_rec r;
	int rc = iw_flush(w);

	if (rc)
		return rc;
	rec_fill(&r, w->rec_type, w->rec_len, w->rec_crc);
	w->sum += mtcp_sum_term(w->rec_off, r.header_crc);
	rc = io_pwrite_all(w->fd, &r, sizeof(r), w->rec_off);
	if (!rc)
		w->nrecords++;
	return rc;
}

int iw_extent(struct img_writer *w, uint64_t addr, uint64_t len)
{
	return iw_extent_from(w, addr, len, (const void *)(uintptr_t)addr);
}

int iw_extent_from(struct img_writer *w, uint64_t addr, uint64_t len, const void *data)
{
	struct {
		struct mtcp_rec r;
		struct mtcp_rec_extent e;
	} h;
	int rc;

	if (len > MTCP_EXTENT_MAX)
		return -EINVAL;
	memset(&h, 0, sizeof(h));
	h.e.addr = addr;
	h.e.len = len;
	h.e.encoding = MTCP_EXT_RAW;
	h.e.data_len = (uint32_t)len;
	h.e.desc_crc = crc32c(0, &h.e, offsetof(struct mtcp_rec_extent, desc_crc));
	rec_fill(&h.r, MTCP_REC_EXTENT, sizeof(h.e) + len, crc32c(0, data, len));

	struct iovec iov[2];
	size_t total, done = 0;
	rc = iw_flush(w);
	if (rc)
		return rc;
	/* the data goes to the file straight from the program's memory */
	iov[0].iov_base = &h;
	iov[0].iov_len = sizeof(h);
	iov[1].iov_base = (void *)(uintptr_t)data;
	iov[1].iov_len = len;
	total = sizeof(h) + len;
	while (done < total) {
		struct iovec v[2];
		int nv = 0;
		size_t skip = done;
		for (int i = 0; i < 2; i++) {
			if (skip >= iov[i].iov_len) {
				skip -= iov[i].iov_len;
				continue;
			}
			v[nv].iov_base = (char *)iov[i].iov_base + skip;
			v[nv].iov_len = iov[i].iov_len - skip;
			skip = 0;
			nv++;
		}
		long n = raw_syscall3(SYS_writev, w->fd, (long)v, nv);
		if (n == -EINTR)
			continue;
		if (n < 0)
			return (int)n;
		if (n == 0)
			return -EIO;
		done += (size_t)n;
	}
	w->sum += mtcp_sum_term(w->off, h.r.header_crc);
	w->off += total;
	w->data_bytes += len;
	w->nrecords++;
	return 0;
}

int iw_seek(struct img_writer *w, uint64_t off, uint64_t nrecords, uint64_t sum)
{
	int rc = iw_flush(w);

	if (rc)
		return rc;
	if (raw_syscall3(SYS_lseek, w->fd, (long)off, 0 /* SEEK_SET */) < 0)
		return -EIO;
	w->off = off;
	w->nrecords += nrecords;
	w->sum += sum;
	return 0;
}

int iw_finish(struct img_writer *w)
{
	struct mtcp_rec_end_v3 end;

	end.nrecords = w->nrecords;
	end.file_size = w->off + sizeof(struct mtcp_rec) + sizeof(end);
	/* END's own term is not part of the sum it carries */
	end.image_sum = mtcp_sum_term(0, w->hdr.header_crc) + w->sum;
	w->image_sum = end.image_sum;
	int rc = iw_record(w, MTCP_REC_END, &end, sizeof(end), NULL, 0);
	if (!rc)
		rc = iw_flush(w);
	return rc;
}
