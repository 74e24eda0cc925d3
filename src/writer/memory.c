/* SPDX-License-Identifier: MIT */
/*
 * memory.c - the memory part of an image.
 *
 * Which pages are written, per kind of mapping (docs/format.md):
 *   private anonymous: present or swapped pages, less the shared zero page;
 *   private file mapping: pages that were copied on write (present and not
 *     a page-cache page, or swapped); the clean ones come from the file at
 *     restart (MEM_F_FILE_PAGES: every page up to the end of the file);
 *   shared anonymous (shmem): every page, because a shmem page swapped out
 *     leaves no trace in our page tables;
 *   private mapping of a deleted or replaced file: every page;
 *   shared file mapping: none, the file holds them;
 *   [vdso], [vvar], [vvar_vclock]: none, the kernel's own; [vsyscall]: skipped.
 * Of the pages picked, the all-zero ones are dropped (MEM_F_ZERO).
 *
 * The pipeline, one region after another (a region's REGION record is
 * written last, at its reserved place, once its extent count is known):
 *
 *   page_scan -> runs of wanted pages -> jobs of <= CHUNK_MAX bytes
 *     -> slots (WK_NSLOTS, used in turn) -> helpers: chunk_encode
 *     -> in slot order: file offsets, headers -> sink (io_uring or pwrite)
 *
 * A slot is reused once its writes have completed.
 */
#include "memory.h"
#include "chunk.h"
#include "image-format.h"
#include "image_writer.h"
#include "maps.h"
#include "page_scan.h"
#include "sink.h"
#include "syscall.h"
#include "workers.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#define PAGE 4096ull
#define MAX_PIECES_PER_MAP 20
#define FILE_ALIGN 4096u

enum save_rule { SAVE_NONE = MEM_SAVE_NONE, SAVE_TOUCHED = MEM_SAVE_TOUCHED,
		 SAVE_COW = MEM_SAVE_COW, SAVE_ALL = MEM_SAVE_ALL };

static long read_proc(const char *path, char *buf, size_t len)
{
	long fd = raw_syscall4(SYS_openat, AT_FDCWD, (long)path, O_RDONLY | O_CLOEXEC, 0);
	size_t got = 0;

	if (fd < 0)
		return fd;
	for (;;) {
		long n = raw_syscall3(SYS_read, fd, (long)(buf + got), (long)(len - got));
		if (n == -EINTR)
			continue;
		if (n <= 0) {
			raw_syscall1(SYS_close, fd);
			if (n < 0)
				return n;
			break;
		}
		got += (size_t)n;
		if (got == len) {
			raw_syscall1(SYS_close, fd);
			return -EFBIG;
		}
	}
	return (long)got;
}

struct region_job {
	struct mtcp_rec_region rec;
	const char *path;
	enum save_rule rule;
	uint64_t all_end;   /* SAVE_ALL: pages up to here (file pages: the file's end) */
	int unreadable;     /* must be made readable to be read */
	int is_volatile;    /* overlaps memory that changes while written */
	int inherits;       /* an increment's tracked mapping: unwritten pages are the parent's */
};

/* The state of one mem_write_regions call. */
struct stream {
	struct mem_ctx *m;
	struct workers *wk;
	struct sink *s;
	struct region_job *rj;      /* the region being written */
	uint64_t head, tail;        /* jobs queued: seq head..tail-1 not yet written */
	uint64_t run_start, run_end;/* wanted pages not yet cut into jobs */
	uint64_t kicked;            /* file offset up to which writeback was started */
	struct chunk_run pend[CHUNK_MAX_RUNS]; /* runs gathered for the next job */
	uint32_t npend;
	uint64_t pend_bytes;
	int32_t slot_inflight[WK_NSLOTS];
	uint64_t src_delta;         /* writing a plan: a run's copy is at addr + src_delta */
	uint32_t wi;                /* inherits: the first written run not behind us */
	uint32_t ninh;              /* inherits: runs in m->inherit_buf */
};

static const char zero_pad[FILE_ALIGN] __attribute__((aligned(FILE_ALIGN)));

static int overlaps_volatile(const struct mem_ctx *m, uint64_t start, uint64_t end)
{
	for (int i = 0; i < m->nvolatile; i++)
		if (start < m->volatile_ranges[i].end && end > m->volatile_ranges[i].start)
			return 1;
	return 0;
}

/*
 * Compressed and small pieces go through the page cache; left alone, the
 * kernel would write them out only at the final fsync, after all the
 * compressing.  Writeback of what lies KICK_LAG behind the end (written
 * by now, most likely) is started every KICK_EVERY bytes, so the disk
 * works while the cores compress.
 */
#define KICK_EVERY (8ull << 20)
#define KICK_LAG (8ull << 20)
#define SYNC_FILE_RANGE_WRITE_ONLY 2 /* SYNC_FILE_RANGE_WRITE */

static void kick_writeback(struct stream *st)
{
	uint64_t end = st->m->off > KICK_LAG ? st->m->off - KICK_LAG : 0;

	if (end < st->kicked + KICK_EVERY)
		return;
	raw_syscall4(SYS_sync_file_range, st->s->fd, (long)st->kicked, (long)(end - st->kicked),
		     SYNC_FILE_RANGE_WRITE_ONLY);
	st->kicked = end;
}

/* Writes the oldest queued job, which must be done: headers get their
 * file offsets (and, for bytes written from memory, the padding that
 * puts them on a page boundary for O_DIRECT). */
static int write_job(struct stream *st)
{
	int slot = (int)(st->head % WK_NSLOTS);
	struct chunk_job *j = st->wk->slots[slot].job;
	struct sink *s = st->s;
	struct mem_ctx *m = st->m;
	uint64_t off = m->off, span_off = off;
	uint32_t span_start = 0, span_len = 0;

	if (j->flags & CHUNK_F_FAILED)
		return -EIO; /* a copy of the memory that could not be read back */

	for (uint32_t i = 0; i < j->npieces; i++) {
		struct chunk_piece *p = &j->pieces[i];
		if (!p->direct) {
			/* the helper made the header; its place is known only here
			 * (one thread writes jobs, in order: a plain sum will do) */
			m->sum += iw_sum_term_of(off, j->out + p->out_off);
			span_len += p->out_len;
			off += p->out_len;
		} else {
			int direct = s->dfd >= 0;
			uint32_t pad = direct ? (uint32_t)((FILE_ALIGN - (off + CHUNK_HDR_LEN) % FILE_ALIGN) %
							  FILE_ALIGN) : 0;
			chunk_fill_header(j->out + p->out_off, p->addr, p->len, MTCP_EXT_RAW, pad,
					  p->data_len, p->crc);
			m->sum += iw_sum_term_of(off, j->out + p->out_off);
			span_len += CHUNK_HDR_LEN;
			off += CHUNK_HDR_LEN;
			sink_write(s, 0, j->out + span_start, span_len, span_off, slot);
			if (pad) /* zero: the image's checks require it */
				sink_write(s, 0, zero_pad, pad, off, -1);
			off += pad;
			/* a staged copy is the slot's: the slot waits for this write
			 * too before it is used again */
			if (j->flags & CHUNK_F_STAGED)
				sink_write(s, direct, j->bounce + p->bounce_off, p->len, off, slot);
			else
				sink_write(s, direct, (const void *)(uintptr_t)p->addr, p->len, off, -1);
			off += p->len;
			span_start = p->out_off + p->out_len;
			span_len = 0;
			span_off = off;
		}
		m->st.mem_bytes += p->len;
		m->st.stored_bytes += p->data_len;
	}
	sink_write(s, 0, j->out + span_start, span_len, span_off, slot);
	m->off = off;
	m->st.extents += j->npieces;
	m->st.zero_bytes += j->zero_bytes;
	m->st.lz4_in += j->lz4_in;
	m->st.lz4_out += j->lz4_out;
	st->rj->rec.nextents += j->npieces;
	m->nrecords += j->npieces;
	__atomic_store_n(&st->wk->slots[slot].state, WK_WRITING, __ATOMIC_RELEASE);
	st->head++;
	kick_writeback(st);
	return sink_submit(s);
}

/* Writes every queued job that is done, in order; with all, waits for
 * (and helps with) every queued job. */
static int write_ready(struct stream *st, int all)
{
	while (st->head < st->tail) {
		int slot = (int)(st->head % WK_NSLOTS);
		if (__atomic_load_n(&st->wk->slots[slot].state, __ATOMIC_ACQUIRE) != WK_DONE) {
			if (!all)
				break;
			wk_wait_done(st->wk, slot);
		}
		int rc = write_job(st);
		if (rc)
			return rc;
	}
	return st->s->err;
}

/* A slot for the next job: the one after the last, once its earlier job
 * is written and its writes have completed. */
static int next_slot(struct stream *st, int *slot)
{
	int i = (int)(st->tail % WK_NSLOTS);
	int rc;

	while (st->tail - st->head >= WK_NSLOTS) {
		wk_wait_done(st->wk, (int)(st->head % WK_NSLOTS));
		if ((rc = write_ready(st, 0)))
			return rc;
	}
	while (st->slot_inflight[i]) {
		sink_submit(st->s);
		if ((rc = sink_reap(st->s, 1)))
			return rc;
	}
	*slot = i;
	return 0;
}

/* Queues the gathered runs as one job. */
static int queue_pending(struct stream *st)
{
	struct mem_ctx *m = st->m;
	struct chunk_job *j;
	int slot, rc;

	if (!st->npend)
		return 0;
	rc = next_slot(st, &slot);
	if (rc)
		return rc;
	j = st->wk->slots[slot].job;
	j->addr = j->len = 0;
	j->nruns = st->npend;
	memcpy(j->runs, st->pend, st->npend * sizeof(st->pend[0]));
	st->npend = 0;
	st->pend_bytes = 0;
	j->out = st->wk->mem.out[slot];
	j->bounce = st->wk->mem.bounce[slot];
	j->lz4_accel = m->lz4_accel;
	j->flags = CHUNK_F_DIRECT;
	j->stage_fd = m->stage_fd;
	if (m->flags & MEM_F_STAGE)
		j->flags |= CHUNK_F_STAGED;
	if (m->plan)
		j->flags |= CHUNK_F_SRC; /* from the plan's copies only */
	if (m->flags & MEM_F_LZ4)
		j->flags |= CHUNK_F_LZ4;
	if (m->flags & MEM_F_ZERO)
		j->flags |= CHUNK_F_ZERO;
	if (st->rj->is_volatile || st->rj->unreadable)
		j->flags |= CHUNK_F_COPY; /* a snapshot; or memory made unreadable again */
	wk_queue(st->wk, slot);
	st->tail++;
	/* meanwhile, write what is ready */
	return write_ready(st, 0);
}

size_t mem_plan_region_size(void)
{
	return sizeof(struct region_job);
}

/* A plan's next entry, joined with the one before where it continues it. */
static int plan_add(struct mem_plan *p, uint32_t kind, uint64_t start, uint64_t end)
{
	struct mem_plan_ent *last = p->n ? &p->ent[p->n - 1] : NULL;

	if (kind != MEM_PLAN_REGION && last && last->kind == kind && last->end == start) {
		last->end = end;
		return 0;
	}
	if (p->n == p->max)
		return -E2BIG;
	p->ent[p->n].start = start;
	p->ent[p->n].end = end;
	p->ent[p->n].src = kind == MEM_PLAN_DATA ? p->copied : 0;
	p->ent[p->n].kind = kind;
	p->ent[p->n++].reserved = 0;
	return 0;
}

/* Taking a plan: the bytes of [start, end) into the copy file, after the
 * ones before (the kernel copies: a page that cannot be read is an error,
 * never a signal). */
static int plan_data(struct stream *st, uint64_t start, uint64_t end)
{
	struct mem_plan *p = st->m->plan;
	uint64_t at = start, off = p->copied;
	int rc;

	if (p->copied + (end - start) > p->limit)
		return -E2BIG;
	if (st->rj->rule != SAVE_ALL) {
		/* pages the page map says are there: memcpy cannot fault on them */
		memcpy(p->copy_map + off, (const void *)(uintptr_t)start, end - start);
		at = end;
	}
	/* every page of a deleted file's mapping: one past the file's end
	 * would raise SIGBUS; the kernel's copy says EFAULT instead */
	while (at < end) {
		long n = raw_syscall4(SYS_pwrite64, p->copy_fd, (long)at, (long)(end - at),
				      (long)(off + (at - start)));
		if (n == -EINTR)
			continue;
		if (n <= 0)
			return n ? (int)n : -EIO;
		at += (uint64_t)n;
	}
	rc = plan_add(p, MEM_PLAN_DATA, start, end); /* src: p->copied */
	p->copied += end - start;
	return rc;
}

/* Adds [start, end) to the job being gathered, queuing it each time it
 * holds CHUNK_MAX bytes or CHUNK_MAX_RUNS runs. */
static int queue_range(struct stream *st, uint64_t start, uint64_t end)
{
	if (st->m->plan && st->m->plan->taking)
		return start < end ? plan_data(st, start, end) : 0;
	while (start < end) {
		uint64_t room = CHUNK_MAX - st->pend_bytes;
		uint64_t len = end - start > room ? room : end - start;
		struct chunk_run *last = st->npend ? &st->pend[st->npend - 1] : NULL;
		uint64_t src = start + st->src_delta;
		int rc;

		if (last && last->addr + last->len == start && last->src + last->len == src) {
			last->len += len;
		} else {
			st->pend[st->npend].addr = start;
			st->pend[st->npend].src = src;
			st->pend[st->npend++].len = len;
		}
		st->pend_bytes += len;
		start += len;
		if (st->pend_bytes == CHUNK_MAX || st->npend == CHUNK_MAX_RUNS) {
			rc = queue_pending(st);
			if (rc)
				return rc;
		}
	}
	return 0;
}

int mem_page_wanted(int rule, uint32_t f)
{
	if (f & PS_ZEROPFN)
		return 0;
	if (rule == SAVE_COW && (f & PS_FILE))
		return 0;
	return (f & (PS_PRESENT | PS_SWAPPED)) != 0;
}

/* Pages whose data go into the image: adjacent runs are joined before
 * cutting. */
static int want_data(struct stream *st, uint64_t start, uint64_t end)
{
	if (start == st->run_end) {
		st->run_end = end;
		return 0;
	}
	int rc = queue_range(st, st->run_start, st->run_end);
	st->run_start = start;
	st->run_end = end;
	return rc;
}

/* Present pages of an increment's tracked mapping that were not written
 * since the parent: an INHERIT run (or, with no room left for runs, data:
 * bigger, never wrong). */
static int want_inherit(struct stream *st, uint64_t start, uint64_t end)
{
	struct mem_ctx *m = st->m;
	struct mem_range *last = st->ninh ? &m->inherit_buf[st->ninh - 1] : NULL;

	if (m->plan && m->plan->taking) {
		/* kept in the plan, counted here: the same room when written */
		struct mem_plan *p = m->plan;
		struct mem_plan_ent *pl = p->n ? &p->ent[p->n - 1] : NULL;
		if (pl && pl->kind == MEM_PLAN_INHERIT && pl->end == start) {
			pl->end = end;
			return 0;
		}
		if (st->ninh == m->inherit_max)
			return want_data(st, start, end);
		st->ninh++;
		return plan_add(p, MEM_PLAN_INHERIT, start, end);
	}
	if (last && last->end == start) {
		last->end = end;
		return 0;
	}
	if (st->ninh == m->inherit_max)
		return want_data(st, start, end);
	m->inherit_buf[st->ninh].start = start;
	m->inherit_buf[st->ninh++].end = end;
	return 0;
}

/* Splits a present run of an increment's tracked mapping into the pages
 * written since the parent (data) and the rest (inherited). */
static int split_written(struct stream *st, uint64_t s, uint64_t e)
{
	const struct mem_range *w = st->m->written;
	uint32_t n = st->m->nwritten;
	int rc = 0;

	while (!rc && s < e) {
		while (st->wi < n && w[st->wi].end <= s)
			st->wi++;
		if (st->wi < n && w[st->wi].start <= s) {
			uint64_t x = w[st->wi].end < e ? w[st->wi].end : e;
			rc = want_data(st, s, x);
			s = x;
		} else {
			uint64_t x = st->wi < n && w[st->wi].start < e ? w[st->wi].start : e;
			rc = want_inherit(st, s, x);
			s = x;
		}
	}
	return rc;
}

/* page_scan callback. */
static int on_run(void *arg, const struct ps_run *r)
{
	struct stream *st = arg;
	uint32_t f = r->flags;

	/* write-protect markers look swapped (docs/architecture.md,
	 * "Incremental images") */
	if (st->m->flags & MEM_F_NO_SWAP)
		f &= ~(uint32_t)PS_SWAPPED;
	if (!mem_page_wanted((int)st->rj->rule, f))
		return 0;
	if (st->rj->inherits)
		return split_written(st, r->start, r->end);
	return want_data(st, r->start, r->end);
}

/* The first of the ascending ranges r[0..n) that ends after addr (n: none). */
static uint32_t first_after(const struct mem_range *r, uint32_t n, uint64_t addr)
{
	uint32_t lo = 0, hi = n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (r[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* An increment leaves [start, end) to the parent where its pages were not
 * written: only in a tracked mapping, of a kind the restorer fills from
 * data, saved by touched or copied pages. */
static int region_inherits(const struct mem_ctx *m, const struct region_job *j)
{
	uint32_t i;

	if (!m->tracked || !m->inherit_max || j->is_volatile ||
	    (j->rule != SAVE_TOUCHED && j->rule != SAVE_COW) ||
	    (j->rec.kind != MTCP_RGN_ANON && j->rec.kind != MTCP_RGN_FILE_PRIVATE))
		return 0;
	/* A copied page of a private file mapping that was dropped since
	 * keeps a write-protect marker, which the page map shows as swapped
	 * out: with swap in use the two cannot be told apart, and inheriting
	 * would bring the dropped page back.  Such regions are saved whole
	 * then (their copied pages only). */
	if (j->rec.kind == MTCP_RGN_FILE_PRIVATE && !(m->flags & MEM_F_NO_SWAP))
		return 0;
	i = first_after(m->tracked, m->ntracked, j->rec.start);
	return i < m->ntracked && m->tracked[i].start <= j->rec.start &&
	       m->tracked[i].end >= j->rec.end;
}

/* The region's INHERIT records, after its extents. */
static int write_inherit(struct stream *st)
{
	struct mem_ctx *m = st->m;
	const uint32_t per = (MTCP_MAX_META_PAYLOAD - sizeof(struct mtcp_rec_inherit)) /
			     sizeof(struct mtcp_inherit_run);

	for (uint32_t i = 0; i < st->ninh;) {
		uint32_t n = st->ninh - i < per ? st->ninh - i : per;
		struct mtcp_rec_inherit h = { .region_start = st->rj->rec.start, .nruns = n };
		int rc;

		rc = iw_pwrite_record(m->sink->fd, m->off, MTCP_REC_INHERIT, &h, sizeof(h),
				      &m->inherit_buf[i], n * sizeof(struct mtcp_inherit_run), &m->sum);
		if (rc)
			return rc;
		for (uint32_t k = i; k < i + n; k++)
			m->st.inherited_bytes += m->inherit_buf[k].end - m->inherit_buf[k].start;
		m->off += sizeof(struct mtcp_rec) + sizeof(h) + n * sizeof(struct mtcp_inherit_run);
		m->nrecords++;
		m->st.inherit_records++;
		st->rj->rec.ninherit++;
		i += n;
	}
	return 0;
}

static int write_region_data(struct stream *st, struct page_scan *ps, char *err, size_t errlen)
{
	struct region_job *j = st->rj;
	int rc;

	if (j->unreadable)
		raw_syscall3(SYS_mprotect, (long)j->rec.start, (long)(j->rec.end - j->rec.start),
			     (long)(j->rec.prot | PROT_READ));
	st->run_start = st->run_end = 0;
	st->npend = 0;
	st->pend_bytes = 0;
	st->ninh = 0;
	if (j->inherits)
		st->wi = first_after(st->m->written, st->m->nwritten, j->rec.start);
	if (j->rule == SAVE_ALL) {
		rc = queue_range(st, j->rec.start, j->all_end < j->rec.end ? j->all_end : j->rec.end);
	} else {
		/* only a private file mapping's rule asks which pages are the file's */
		ps->no_file = j->rule != SAVE_COW;
		rc = ps_scan(ps, j->rec.start, j->rec.end, on_run, st);
		if (rc < 0 && rc > -4096 && rc != -E2BIG && (!st->s || !st->s->err))
			snprintf(err, errlen, "cannot classify the pages of %llx-%llx: %s",
				 (unsigned long long)j->rec.start, (unsigned long long)j->rec.end,
				 strerror(-rc));
		if (!rc)
			rc = queue_range(st, st->run_start, st->run_end);
	}
	if (st->m->plan) {
		/* taking a plan: nothing is written now */
		if (j->unreadable)
			raw_syscall3(SYS_mprotect, (long)j->rec.start,
				     (long)(j->rec.end - j->rec.start), (long)j->rec.prot);
		return rc;
	}
	/* a job never spans two regions: its extents belong to this one */
	if (!rc)
		rc = queue_pending(st);
	if (!rc)
		rc = write_ready(st, 1);
	if (!rc && st->ninh)
		rc = write_inherit(st);
	if (j->unreadable) {
		/* copies only (CHUNK_F_COPY): nothing in flight reads it */
		raw_syscall3(SYS_mprotect, (long)j->rec.start, (long)(j->rec.end - j->rec.start),
			     (long)j->rec.prot);
	}
	return rc;
}

/* Sets kind, flags, file identity and the save rule of a mapping. */
static void classify(const struct maps_entry *e, struct region_job *j, uint32_t mflags)
{
	struct mtcp_rec_region *r = &j->rec;
	char path[MTCP_MAX_PATH];
	struct stat st;

	j->rule = SAVE_TOUCHED;
	j->path = "";
	r->path_len = 0;
	if (maps_path_is(e, "[vdso]")) {
		r->kind = MTCP_RGN_VDSO;
		j->rule = SAVE_NONE;
		return;
	}
	if (maps_path_is(e, "[vvar]")) {
		r->kind = MTCP_RGN_VVAR;
		j->rule = SAVE_NONE;
		return;
	}
	if (maps_path_is(e, "[vvar_vclock]")) {
		r->kind = MTCP_RGN_VVAR_VCLOCK;
		j->rule = SAVE_NONE;
		return;
	}
	if (maps_path_is(e, "[stack]"))
		r->flags |= MTCP_RGNF_STACK;
	if (maps_path_is(e, "[heap]"))
		r->flags |= MTCP_RGNF_HEAP;
	if (e->path_len == 0 || e->path[0] != '/' || e->path_len >= sizeof(path)) {
		r->kind = e->shared ? MTCP_RGN_SHARED_ANON : MTCP_RGN_ANON;
		return;
	}
	memcpy(path, e->path, e->path_len);
	path[e->path_len] = '\0';
	j->path = e->path;
	r->path_len = (uint32_t)e->path_len;
	if (e->shared) {
		/* /dev/zero, SysV shm and memfd mappings: memory, not a file.
		 * The object's identity and offset (v4) let a restart map the
		 * regions of one object from one memfd, so they stay shared. */
		r->dev = makedev(e->dev_major, e->dev_minor);
		r->ino = e->inode;
		r->file_offset = e->offset;
		if (e->deleted || !strncmp(path, "/dev/zero", 9) || !strncmp(path, "/SYSV", 5)) {
			r->kind = MTCP_RGN_SHARED_ANON;
			return;
		}
		r->kind = MTCP_RGN_FILE_SHARED;
		j->rule = SAVE_NONE;
	} else {
		r->kind = MTCP_RGN_FILE_PRIVATE;
		j->rule = SAVE_COW;
	}
	if (e->deleted || raw_syscall2(SYS_stat, (long)path, (long)&st) ||
	    (uint64_t)st.st_ino != e->inode ||
	    st.st_dev != makedev(e->dev_major, e->dev_minor)) {
		/* the file is gone or was replaced: keep every page */
		r->kind = e->shared ? MTCP_RGN_SHARED_ANON : MTCP_RGN_ANON;
		r->flags |= MTCP_RGNF_DELETED;
		j->rule = SAVE_ALL;
		return;
	}
	if (!e->shared && (mflags & MEM_F_FILE_PAGES)) {
		/* an image meant to outlive its files: the pages themselves, up
		 * to the end of the file (a page past it cannot be read) */
		uint64_t in_file = (uint64_t)st.st_size > e->offset ?
					   ((uint64_t)st.st_size - e->offset + PAGE - 1) & ~(PAGE - 1) : 0;
		r->kind = MTCP_RGN_ANON;
		r->flags |= MTCP_RGNF_FILE_COPY;
		j->rule = SAVE_ALL;
		j->all_end = e->start + in_file;
	}
	r->dev = st.st_dev;
	r->ino = st.st_ino;
	r->file_size = (uint64_t)st.st_size;
	r->mtime_ns = (uint64_t)st.st_mtim.tv_sec * 1000000000ull + (uint64_t)st.st_mtim.tv_nsec;
}

int mem_save_rule(const struct maps_entry *e, uint32_t flags, uint64_t *all_end)
{
	struct region_job j;

	memset(&j, 0, sizeof(j));
	j.rec.start = e->start;
	j.rec.end = e->end;
	j.all_end = e->end;
	if (maps_path_is(e, "[vsyscall]"))
		return MEM_SAVE_NONE;
	classify(e, &j, flags);
	*all_end = j.all_end < e->end ? j.all_end : e->end;
	return (int)j.rule;
}

static int write_region_record(struct mem_ctx *m, uint64_t off, const struct region_job *j)
{
	int rc = iw_pwrite_record(m->sink->fd, off, MTCP_REC_REGION, &j->rec, sizeof(j->rec),
				  j->path, j->rec.path_len, &m->sum);

	if (!rc)
		m->nrecords++;
	return rc;
}

/*
 * The file is made as large as the memory could need (the resident set),
 * before any data is written: on ext4 an O_DIRECT write that extends the
 * file waits for its own completion under the inode lock, so appending
 * writes would go one at a time.  Blocks are allocated in one go where
 * the file system can (fallocate), else the size is just set.  The caller
 * cuts the file to its real length at the end.
 */
static void preallocate(struct mem_ctx *m)
{
	uint64_t want = m->resident + (16ull << 20);

	/* allocated in one go: the image lies in few extents, read fast at
	 * restart (concurrent writes into a merely sparse file fragment it) */
	if (raw_syscall4(SYS_fallocate, m->sink->fd, 0, (long)m->off, (long)want))
		raw_syscall2(SYS_ftruncate, m->sink->fd, (long)(m->off + want));
}

/* Taking a plan: a region's entry, then its runs (copied). */
static int take_region(struct stream *st, struct page_scan *ps, const struct maps_entry *e,
		       const struct mem_range *piece, char *err, size_t errlen)
{
	struct mem_ctx *m = st->m;
	struct mem_plan *p = m->plan;
	struct region_job *j;
	int rc;

	if (p->nregions == p->max_regions)
		return -E2BIG;
	j = (struct region_job *)p->regions + p->nregions;
	memset(j, 0, sizeof(*j));
	j->rec.start = piece->start;
	j->rec.end = piece->end;
	j->rec.prot = e->prot;
	j->rec.file_offset = e->offset + (piece->start - e->start);
	j->all_end = j->rec.end;
	classify(e, j, m->flags);
	j->unreadable = !(e->prot & PROT_READ) && j->rule != SAVE_NONE;
	j->is_volatile = overlaps_volatile(m, j->rec.start, j->rec.end);
	j->inherits = region_inherits(m, j);
	rc = plan_add(p, MEM_PLAN_REGION, p->nregions, 0);
	if (rc)
		return rc;
	p->nregions++;
	st->rj = j;
	if (j->rule == SAVE_NONE)
		return 0;
	return write_region_data(st, ps, err, errlen);
}

/* Writing the image from a plan: what mem_write_regions does with the
 * page map, from the plan's entries; the bytes are read from copy_fd
 * (MEM_F_STAGE with stage_fd = copy_fd). */
static int end_planned_region(struct stream *st, uint64_t reg_off)
{
	struct mem_ctx *m = st->m;
	int rc = queue_pending(st);

	if (!rc)
		rc = write_ready(st, 1);
	if (!rc && st->ninh)
		rc = write_inherit(st);
	if (!rc)
		rc = write_region_record(m, reg_off, st->rj);
	if (!rc)
		m->nregions++;
	return rc;
}

static int write_plan(struct mem_ctx *m, struct stream *st)
{
	struct mem_plan *p = m->plan;
	uint64_t reg_off = 0;
	int rc = 0;

	st->rj = NULL;
	for (uint32_t i = 0; i < p->n && !rc; i++) {
		const struct mem_plan_ent *x = &p->ent[i];

		switch (x->kind) {
		case MEM_PLAN_REGION:
			if (st->rj)
				rc = end_planned_region(st, reg_off);
			if (rc)
				break;
			st->rj = (struct region_job *)p->regions + x->start;
			/* read from the copies, not from memory */
			st->rj->unreadable = 0;
			st->rj->is_volatile = 0;
			st->rj->rec.nextents = 0;
			st->rj->rec.ninherit = 0;
			st->run_start = st->run_end = 0;
			st->npend = 0;
			st->pend_bytes = 0;
			st->ninh = 0;
			reg_off = m->off;
			m->off += sizeof(struct mtcp_rec) + sizeof(st->rj->rec) + st->rj->rec.path_len;
			break;
		case MEM_PLAN_DATA:
			/* each entry on its own: adjacent copies were joined when taken */
			st->src_delta = x->src - x->start;
			rc = queue_range(st, x->start, x->end);
			break;
		case MEM_PLAN_INHERIT:
			if (st->ninh == m->inherit_max)
				return -E2BIG; /* counted when taken: cannot happen */
			m->inherit_buf[st->ninh].start = x->start;
			m->inherit_buf[st->ninh++].end = x->end;
			break;
		default:
			return -EINVAL;
		}
	}
	if (!rc && st->rj)
		rc = end_planned_region(st, reg_off);
	return rc;
}

int mem_write_regions(struct mem_ctx *m, char *err, size_t errlen)
{
	const char *maps = m->maps_text ? m->maps_text : m->maps_buf;
	static struct stream st;
	long len;
	struct page_scan ps;
	int taking = m->plan && m->plan->taking;
	int rc = 0;

	m->nregions = 0;
	m->nrecords = 0;
	m->sum = 0;
	memset(&m->st, 0, sizeof(m->st));
	memset(&st, 0, sizeof(st));
	st.m = m;
	if (m->plan && !taking) {
		/* the image from a plan taken while the program was parked */
		m->st.backend = m->plan_backend;
		preallocate(m);
		st.wk = m->wk;
		st.s = m->sink;
		m->sink->slot_inflight = st.slot_inflight;
		rc = write_plan(m, &st);
		int drc = sink_drain(m->sink);
		return rc ? rc : drc;
	}
	/* (not for a plan: its regions' paths point into the text read when
	 * it was taken) */
	len = m->maps_text ? (long)m->maps_text_len :
			     read_proc("/proc/self/maps", m->maps_buf, m->maps_len);
	if (len < 0) {
		snprintf(err, errlen, "cannot read /proc/self/maps: %s", strerror((int)-len));
		return (int)len;
	}
	rc = ps_open(&ps, !!(m->flags & MEM_F_FORCE_PAGEMAP), m->scan_buf, m->scan_len);
	if (rc) {
		snprintf(err, errlen, "cannot open /proc/self/pagemap: %s", strerror(-rc));
		return rc;
	}
	m->st.backend = ps.backend;
	if (taking) {
		m->plan_backend = ps.backend;
		m->plan->n = m->plan->nregions = 0;
		m->plan->copied = 0;
	} else {
		preallocate(m);
		st.wk = m->wk;
		st.s = m->sink;
		m->sink->slot_inflight = st.slot_inflight;
	}
	const char *pos = maps, *line;
	size_t ll;

	while (!rc && (line = maps_next_line(&pos, maps + len, &ll))) {
		struct maps_entry e;
		struct mem_range pieces[MAX_PIECES_PER_MAP];
		int np;

		if (maps_parse_line(line, ll, &e)) {
			snprintf(err, errlen, "cannot parse /proc/self/maps line: %.*s", (int)ll, line);
			rc = -EINVAL;
			break;
		}
		if (maps_path_is(&e, "[vsyscall]"))
			continue;
		np = mem_subtract(e.start, e.end, m->excluded, m->nexcluded, pieces,
				  MAX_PIECES_PER_MAP);
		for (int p = 0; p < np && !rc; p++) {
			struct region_job j;
			uint64_t reg_off;

			if (m->plan) {
				rc = take_region(&st, &ps, &e, &pieces[p], err, errlen);
				continue;
			}
			memset(&j, 0, sizeof(j));
			j.rec.start = pieces[p].start;
			j.rec.end = pieces[p].end;
			j.rec.prot = e.prot;
			j.rec.file_offset = e.offset + (pieces[p].start - e.start);
			j.all_end = j.rec.end;
			classify(&e, &j, m->flags);
			j.unreadable = !(e.prot & PROT_READ) && j.rule != SAVE_NONE;
			j.is_volatile = overlaps_volatile(m, j.rec.start, j.rec.end);
			j.inherits = region_inherits(m, &j);
			st.rj = &j;
			/* the REGION record goes before its extents, written once
			 * their count is known */
			reg_off = m->off;
			m->off += sizeof(struct mtcp_rec) + sizeof(j.rec) + j.rec.path_len;
			if (j.rule != SAVE_NONE)
				rc = write_region_data(&st, &ps, err, errlen);
			if (!rc)
				rc = write_region_record(m, reg_off, &j);
			if (!rc)
				m->nregions++;
		}
	}
	ps_close(&ps);
	if (taking)
		return rc;
	/* nothing may stay in flight: the buffers are the caller's */
	{
		int drc = sink_drain(m->sink);
		if (!rc)
			rc = drc;
	}
	/* rc without err: writing the image failed; the caller names it */
	return rc;
}
