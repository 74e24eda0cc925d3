/* SPDX-License-Identifier: MIT */
/*
 * checkpoint.c - one checkpoint, from suspending the threads to releasing
 * them, run by the control thread:
 *
 *   start helpers -> suspend_all -> open the image, the ring -> header,
 *   SIGACT, THREAD, FD records -> save own context -> REGION/EXTENT
 *   records (memory.c's stream) -> PROC (reserved at the start) -> header
 *   again (with what the scan used) -> END (its sum covers that header)
 *   -> stop helpers, close the ring -> fsync, link, prune -> release
 *   (MTCP_FSYNC=async: link -> release -> fsync -> prune)
 *
 * The image is written into an unnamed file and linked under its name
 * PROG.PID.LINEAGE.SEQ.mtcp only when whole (commit.h); the lineage part
 * (identity.h) keeps two processes with one pid apart.
 *
 * After a restart the control thread comes back out of mtcp_ctx_save()
 * with 1 and takes the restart path instead.
 */
#include "engine.h"
#include "image_writer.h"
#include "memory.h"
#include "commit.h"
#include "cow.h"
#include "chain.h"
#include "track.h"
#include "fd_save.h"
#include "chunk.h"
#include "identity.h"
#include "page_scan.h"
#include "sink.h"
#include "syscall.h"
#include "workers.h"
#include "mtcp.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <linux/falloc.h>


/* Large buffers, carved from the engine's scratch area. */
#define SCRATCH_MAPS_OFF 0
#define SCRATCH_MAPS_LEN (16u << 20)
#define SCRATCH_PAGEMAP_OFF (16u << 20)
#define SCRATCH_PAGEMAP_LEN (8u << 20)
#define SCRATCH_WBUF_OFF (24u << 20)
#define SCRATCH_WBUF_LEN (1u << 20)

static char prog_name[64];

/* The writer's state: helper threads, the ring, their memory. */
static struct workers wk;
static struct sink sink;
static struct wk_memory wk_mem;
static char *wk_base;
static struct iovec wk_bufs[WK_NSLOTS];
static int dfd_open = -1;

/* The image being written, and who writes it (256 KiB with the groups:
 * never on a stack). */
static struct commit_file cf = { .fd = -1 };
static struct iw_identity ident;

/* The ring's fd and the image's while they are the library's (owned.h),
 * or -1. */
static int ring_fd = -1, image_fd = -1;

/* The helpers are the library's threads while they run: suspend_all()
 * never signals them (owned.h). */
static int start_helpers(int want)
{
	int n = wk_start(&wk, &wk_mem, want);

	for (int i = 0; i < n; i++)
		owned_tid_add(wk.tids[i]);
	return n;
}

/* The image's fd, once commit.c closed it (cf.fd is -1 then), is not
 * ours any more: its number may be the program's next. */
static void forget_closed_image(void)
{
	if (image_fd >= 0 && cf.fd != image_fd) {
		owned_fd_del(image_fd);
		image_fd = -1;
	}
}

/* The control thread closed the image's fd itself (the writer process
 * has its own). */
static void forget_closed_image_fd(void)
{
	cf.fd = -1;
	forget_closed_image();
}

/*
 * The writer's memory, reserved once (excluded from images), and one
 * chunk encoded on the calling thread: lz4's lazily bound calls are
 * resolved here, by a thread that may take the loader's lock, and never
 * later by a helper while the program is parked.
 */
int checkpoint_init(void)
{
	struct chunk_job *j;
	char *page;

	if (chunk_lz4_state_size() > (int)CHUNK_LZ4_STATE) {
		util_log("liblz4's state is %d bytes, more than the %u reserved",
			 chunk_lz4_state_size(), CHUNK_LZ4_STATE);
		return -ENOMEM;
	}
	if (!util_reserve((void **)&wk_base, wk_memory_size()))
		return -ENOMEM;
	wk_memory_carve(&wk_mem, wk_base);
	wk_memory_guard(&wk_mem);
	if (cow_init())
		util_log("cannot map the snapshot memory; checkpoints stop the program until "
			 "their image is written");
	if (track_init())
		util_log("cannot map the lists of written pages; every image will be full");
	chain_reset();
	/* a compressible page and an incompressible one: lz4's two ways out
	 * (its memcpy and memset calls go through its own lazy PLT) */
	j = &wk_mem.jobs[0];
	page = wk_mem.out[1];
	for (int i = 0; i < 4096; i++)
		page[i] = (char)(i % 7);
	for (uint32_t i = 0, x = 2463534242u; i < 4096; i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		page[4096 + i] = (char)x;
	}
	for (int k = 0; k < 2; k++) {
		memset(j, 0, sizeof(*j));
		j->addr = (uint64_t)(uintptr_t)(page + k * 4096);
		j->len = 4096;
		j->flags = CHUNK_F_LZ4 | CHUNK_F_ZERO;
		j->lz4_accel = 1;
		j->out = wk_mem.out[0];
		chunk_encode(j, wk_mem.lz4_states);
	}
	return 0;
}

static void find_prog_name(void)
{
	char exe[MTCP_MAX_PATH];
	long n = raw_syscall4(SYS_readlinkat, -100, (long)"/proc/self/exe", (long)exe,
			      sizeof(exe) - 1);
	const char *base;
	size_t o = 0;

	exe[n > 0 ? n : 0] = '\0';
	base = strrchr(exe, '/');
	base = base ? base + 1 : exe;
	for (; *base && o < sizeof(prog_name) - 1; base++)
		prog_name[o++] = (*base >= 'a' && *base <= 'z') || (*base >= 'A' && *base <= 'Z') ||
					 (*base >= '0' && *base <= '9') || *base == '-' ||
					 *base == '_' ? *base : '_';
	if (!o)
		prog_name[o++] = 'p';
	prog_name[o] = '\0';
}

static void capture_ctl_thread(struct mtcp_rec_thread *r)
{
	struct engine *e = &mtcp_engine;

	suspend_capture_self(r, e->ctl_tid, MTCP_THREADF_CTL,
			     (uint64_t)(uintptr_t)&e->ctl_ctx);
	/* not in a signal handler: its mask is read, and set by the restorer */
	raw_syscall4(SYS_rt_sigprocmask, SIG_BLOCK, 0, (long)&r->sigmask, 8);
}

/*
 * What the image cannot hold beyond the fds, noted while the program is
 * parked (degraded.c warns once per process, and again after a restart).
 * File locks are named per fd by fds.c (fdinfo's lock: lines).
 */
static void note_process_state(void)
{
	struct engine *e = &mtcp_engine;
	char *buf = e->scratch + SCRATCH_MAPS_OFF;

	if (util_read_file("/proc/self/timers", buf, 1 << 20) > 0)
		degraded_add(-1, 0, "POSIX timers (timer_create) are not checkpointed; after a "
			     "restart they are gone");
}

static int write_threads(struct img_writer *w, uint32_t *count)
{
	struct engine *e = &mtcp_engine;
	char *status = e->scratch + SCRATCH_MAPS_OFF;
	struct mtcp_rec_thread ctl;
	int rc;

	*count = 0;
	for (int i = 0; i < e->nslots; i++) {
		struct thread_slot *s = &e->slots[i];
		char path[64];
		if (s->state != SLOT_PARKED)
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%d/status", s->tid);
		if (util_read_file(path, status, 1 << 16) > 0)
			s->rec.pending = procstate_sigset_from_status(status, "SigPnd:") &
					 ~(1ull << (e->cfg.signal - 1)) & ~on_term_pending_mask();
		rc = iw_record(w, MTCP_REC_THREAD, &s->rec, sizeof(s->rec), NULL, 0);
		if (rc)
			return rc;
		(*count)++;
	}
	capture_ctl_thread(&ctl);
	rc = iw_record(w, MTCP_REC_THREAD, &ctl, sizeof(ctl), NULL, 0);
	if (!rc)
		(*count)++;
	return rc;
}

/* The control thread, back from mtcp_ctx_save() in a restarted process. */
static struct mem_plan plan = { .copy_fd = -1 }; /* copy-on-write increments: run_copy */

static int after_restart(void)
{
	struct engine *e = &mtcp_engine;
	struct mtcp_restart_info *ri = &mtcp_restart_info;

	e->pid = (pid_t)raw_syscall0(SYS_getpid);
	e->ctl_tid = (pid_t)raw_syscall0(SYS_gettid);
	/* A new lineage: its own ids, names and kept images.  The images of
	 * the lineage it came from are not its to prune (another restart of
	 * the same image, or the original, may be running). */
	identity_new_lineage(ri->restored_from);
	e->seq = 0;
	e->nkept = 0;
	/* The library's fds and helpers of the checkpointed process do not
	 * exist here, and their numbers may now be the program's: forget,
	 * never close (ctl.c forgets its own list when it sees the restart). */
	owned_forget();
	ring_fd = image_fd = -1;
	suspend_reset_after_restart();
	degraded_forget_warnings();
	/* the helpers and the ring stayed in the checkpointed process */
	memset(&wk, 0, sizeof(wk));
	memset(&sink, 0, sizeof(sink));
	dfd_open = -1;
	/* the writer's fds stayed there too; the file system may be another */
	cf.fd = -1;
	cf.named = 0;
	e->cfg.dir_tmpfile = 1;
	if (util_reserve_again())
		util_log("cannot reserve memory after restart; checkpoints will fail");
	/* Once every thread has left the restorer's area, unmap it. */
	for (;;) {
		int left = __atomic_load_n(&ri->left, __ATOMIC_ACQUIRE);
		if (left >= ri->nthreads)
			break;
		raw_syscall4(SYS_futex, (long)&ri->left, RAW_FUTEX_WAIT | RAW_FUTEX_PRIVATE, left, 0);
	}
	if (ri->hole_len)
		munmap((void *)(uintptr_t)ri->hole_start, ri->hole_len);
	ri->hole_start = ri->hole_len = 0;
	/* a start, like a launch: temporaries of dead writers go (the
	 * process restored from may have died in a checkpoint) */
	commit_clean_stale(e->cfg.dir);
	if (wk_base) {
		wk_memory_carve(&wk_mem, wk_base);
		wk_memory_guard(&wk_mem);
	}
	if (cow_after_restart())
		util_log("cannot map the snapshot memory after restart; checkpoints stop the "
			 "program until their image is written");
	plan.copy_fd = -1; /* an fd and a mapping of the checkpointed process */
	plan.copy_map = NULL;
	/* the tracking of the checkpointed process stayed there: the first
	 * image of this lineage is full */
	if (track_after_restart())
		util_log("cannot map the lists of written pages after restart; every image "
			 "will be full");
	chain_reset();
	return MTCP_RESTARTED;
}

/*
 * MTCP_DIRECT=auto: O_DIRECT from this much resident memory up.  Measured
 * on the project's machine (docs/performance.md): at 64 and 128 MiB the
 * page cache plus fsync paused the program 20-25% less; from 256 MiB up
 * O_DIRECT was as fast or faster, and its images restart faster (their raw
 * extents are page-aligned in the file, so the restorer reads them with
 * O_DIRECT too).
 */
#define DIRECT_MIN_RESIDENT (256ull << 20)

static uint64_t resident_bytes(void)
{
	char statm[128];
	long n = util_read_file("/proc/self/statm", statm, sizeof(statm) - 1);
	const char *p = statm;
	uint64_t pages = 0;

	if (n <= 0)
		return 0;
	statm[n] = '\0';
	while (*p && *p != ' ')
		p++;
	while (*p == ' ')
		p++;
	while (*p >= '0' && *p <= '9')
		pages = pages * 10 + (uint64_t)(*p++ - '0');
	return pages * 4096;
}

/* This checkpoint's image is an increment (chain.h), and its scan ran. */
static int cur_incremental, cur_tracked;
static struct chain_prev cur_prev;
static struct trk_view trk;
static const char *full_why;
static uint8_t kept_full[1000]; /* beside engine.kept: 1 for a full image */

static uint64_t header_flags(const struct mtcp_config *c, int backend)
{
	uint64_t f = MTCP_IMGF_ZERO;

	f |= sink.uring ? MTCP_IMGF_URING : MTCP_IMGF_WRITE_PLAIN;
	if (sink.dfd >= 0)
		f |= MTCP_IMGF_DIRECT;
	if (c->compress)
		f |= MTCP_IMGF_LZ4;
	if (backend == PS_BACKEND_SCAN_IOCTL)
		f |= MTCP_IMGF_SCAN_IOCTL;
	else if (backend == PS_BACKEND_PAGEMAP)
		f |= MTCP_IMGF_PAGEMAP;
	if (c->file_pages)
		f |= MTCP_IMGF_FILE_PAGES;
	if (c->fsync_async)
		f |= MTCP_IMGF_FSYNC_ASYNC;
	if (cur_incremental)
		f |= MTCP_IMGF_INCREMENTAL;
	return f;
}

/* The header again, at offset 0, now that the scan back end is known:
 * before END, whose image_sum covers the final header's crc. */
static int rewrite_header(struct img_writer *w, const struct mtcp_config *c, uint64_t flags)
{
	struct iw_settings set = { (uint32_t)wk.nhelpers, CHUNK_MAX >> 10, (uint32_t)c->lz4_accel,
				   degraded_count() };

	return iw_rewrite_header(w, flags, &set);
}

static void stop_writer(void)
{
	int n = wk.nhelpers;

	sink_close(&sink);
	if (ring_fd >= 0)
		owned_fd_del(ring_fd);
	ring_fd = -1;
	wk_stop(&wk);
	for (int i = 0; i < n; i++)
		owned_tid_del(wk.tids[i]);
	if (dfd_open >= 0) {
		raw_syscall1(SYS_close, dfd_open);
		owned_fd_del(dfd_open);
	}
	dfd_open = -1;
}

/* The image's second descriptor (O_DIRECT) and the sink (io_uring or
 * pwrite) over the writer's slot buffers. */
static int open_sink(const struct mtcp_config *c, uint64_t resident, char *err, size_t errlen)
{
	/* raw extents go to the disk straight from memory where the file
	 * system allows O_DIRECT, and where there is enough of them: below
	 * DIRECT_MIN_RESIDENT the page cache plus fsync was faster here */
	dfd_open = -1;
	if (c->direct == CFG_DIRECT_ALWAYS ||
	    (c->direct == CFG_DIRECT_AUTO && resident >= DIRECT_MIN_RESIDENT)) {
		dfd_open = commit_reopen(&cf, O_WRONLY | O_DIRECT | O_CLOEXEC);
		if (dfd_open >= 0 && owned_fd_add(dfd_open)) {
			raw_syscall1(SYS_close, dfd_open);
			dfd_open = -1;
		}
		if (dfd_open < 0)
			dfd_open = -1;
	}
	for (int i = 0; i < WK_NSLOTS; i++) {
		wk_bufs[i].iov_base = wk_mem.out[i];
		wk_bufs[i].iov_len = CHUNK_OUT_CAP;
	}
	sink_open(&sink, cf.fd, dfd_open, c->write_mode != CFG_WRITE_PLAIN, wk_bufs, WK_NSLOTS,
		  NULL);
	if (sink.uring) {
		ring_fd = sink.ring.ring_fd;
		if (owned_fd_add(ring_fd)) {
			ring_fd = -1;
			snprintf(err, errlen, "the library holds too many fds");
			return -EMFILE;
		}
	}
	if (c->write_mode == CFG_WRITE_URING && !sink.uring) {
		snprintf(err, errlen, "MTCP_WRITE=uring, but io_uring is not available here "
			 "(kernel.io_uring_disabled, seccomp or an old kernel)");
		return -ENOSYS;
	}
	return 0;
}

/*
 * Everything after the state records: the memory, the PROC record, the
 * header again, END, the length; then the writer is stopped and the image
 * committed under final (rewritten if that name was taken).  Run by the
 * control thread (stop-the-world) or by the writer process.  rc < 0 with
 * err set; -EEXIST and commit failures leave the file gone.
 */
static int write_rest(struct img_writer *w, struct mem_ctx *m, struct mtcp_rec_proc *proc,
		      uint64_t proc_off, const char *cwd, const char *exe, char *final,
		      size_t flen, uint64_t *hflags, uint64_t t[6], char *err, size_t errlen)
{
	const struct mtcp_config *c = &mtcp_engine.cfg;
	static char wanted[MTCP_MAX_PATH];
	int rc;

	t[2] = util_now_ns();
	rc = mem_write_regions(m, err, errlen);
	t[3] = util_now_ns();
	if (!rc && (m->flags & MEM_F_NO_SWAP) && !m->plan && !track_no_swap()) {
		/* swapped pages would have been taken for markers */
		rc = -EAGAIN;
		snprintf(err, errlen, "pages of the program went to swap while its memory was "
			 "saved (a swapped page and a write-protect marker look alike): this "
			 "image is dropped; the next checkpoint reads the page map as it is");
	}
	if (rc && !err[0]) /* a write failed: memory.c leaves naming the image to us */
		snprintf(err, errlen, "cannot write %s: %s (while saving the memory map)", final,
			 strerror(-rc));
	if (!rc)
		rc = iw_seek(w, m->off, m->nrecords, m->sum);
	if (!rc) {
		static char both[2 * MTCP_MAX_PATH]; /* cwd, then the exe path */
		proc->nregions = m->nregions;
		memcpy(both, cwd, proc->cwd_len);
		memcpy(both + proc->cwd_len, exe, proc->exe_len);
		rc = iw_record_at(w, proc_off, MTCP_REC_PROC, proc, sizeof(*proc), both,
				  proc->cwd_len + proc->exe_len);
	}
	if (!rc) {
		*hflags = header_flags(c, m->st.backend) |
			  (degraded_count() ? MTCP_IMGF_DEGRADED : 0);
		rc = rewrite_header(w, c, *hflags);
	}
	if (!rc)
		rc = iw_finish(w);
	/* memory.c made the file larger than needed: cut it to its end */
	if (!rc && raw_syscall2(SYS_ftruncate, cf.fd, (long)w->off) < 0)
		rc = -EIO;
	if (rc) {
		stop_writer();
		if (!err[0])
			snprintf(err, errlen, "cannot write %s: %s", final, strerror(-rc));
		commit_abort(&cf);
		return rc;
	}
	stop_writer();
	t[4] = util_now_ns();
	memcpy(wanted, final, sizeof(wanted));
	if (c->fsync_async)
		rc = commit_link_first(&cf, final, flen);
	else
		rc = commit_finish(&cf, final, flen, c->dir);
	t[5] = util_now_ns();
	if (rc == -EEXIST) {
		snprintf(err, errlen, "cannot commit %s: a file of that name exists already, and "
			 "so did the random names tried after it (not ours: they were left as "
			 "they are, and this image was dropped)", wanted);
		return rc;
	}
	if (rc) {
		snprintf(err, errlen, "cannot commit %s: %s", final, strerror(-rc));
		return rc;
	}
	if (strcmp(wanted, final))
		util_log("warning: %s is someone else's file (left as it is); this image is %s",
			 wanted, final);
	return 0;
}

/* The newest image is final: remember it (the caller prunes what is
 * beyond keep), and make it the parent of the next increment. */
static void kept_add(const char *final, uint64_t image_sum, uint64_t size)
{
	struct engine *e = &mtcp_engine;

	snprintf(e->last_image, sizeof(e->last_image), "%s", final);
	/* this lineage's own images, the oldest first; full: the list holds
	 * whole chains, the oldest goes when it is full */
	if (e->nkept == 1000) {
		int fulls = 0;
		for (int i = 0; i < e->nkept; i++)
			fulls += kept_full[i];
		chain_prune(e->kept, kept_full, &e->nkept, fulls - 1); /* the oldest chain */
	}
	if (e->nkept == 1000) {
		commit_prune(e->kept, &e->nkept, 999);
		memmove(kept_full, kept_full + 1, 999);
	}
	kept_full[e->nkept] = !cur_incremental;
	snprintf(e->kept[e->nkept++], MTCP_MAX_PATH, "%s", final);
	chain_committed(final, ident.image_id, image_sum, size, cur_incremental, cur_tracked);
}

static void log_checkpoint(const char *final, const struct mem_stats *st, uint64_t hflags,
			   int nhelpers, const uint64_t t[6])
{
	struct engine *e = &mtcp_engine;

	util_log("checkpoint %s: %llu bytes of memory in %llu bytes (zero %llu, lz4 %llu->%llu), "
		 "%u extents, %d threads, %d helpers, %s%s; suspend %.3f ms, state %.3f ms, "
		 "memory %.3f ms, finish %.3f ms, %s %.3f ms",
		 final, (unsigned long long)st->mem_bytes, (unsigned long long)st->stored_bytes,
		 (unsigned long long)st->zero_bytes, (unsigned long long)st->lz4_in,
		 (unsigned long long)st->lz4_out, (unsigned)st->extents, e->nslots, nhelpers,
		 st->backend == PS_BACKEND_SCAN_IOCTL ? "PAGEMAP_SCAN" : "pagemap",
		 (hflags & MTCP_IMGF_URING) ? ", io_uring" : ", pwrite", (t[1] - t[0]) / 1e6,
		 (t[2] - t[1]) / 1e6, (t[3] - t[2]) / 1e6, (t[4] - t[3]) / 1e6,
		 e->cfg.fsync_async ? "link" : "fsync+link", (t[5] - t[4]) / 1e6);
}

/* Shared by the writer process and checkpoint_run: one checkpoint's
 * records and memory context (static: 256 KiB and more, never on a stack;
 * the writer inherits them). */
static struct mtcp_rec_proc proc;
static struct mtcp_rec_sigact sigact[MTCP_NSIG];
static char cwd[MTCP_MAX_PATH], exe[MTCP_MAX_PATH];
static char final[MTCP_MAX_PATH], stem[128];
static struct img_writer w;
static struct mem_ctx m;
static struct mem_range ex[MAX_EXCLUDED + 4];
static int nex;
static uint64_t proc_off, resident;
static struct cow_snapshot snap;

/*
 * Parked, last before the memory is saved (nothing the control thread
 * does from here writes the program's memory): which pages were written
 * since the last checkpoint, and tracking from now on (track.h).  An
 * increment gets the lists; a full image only starts the tracking.
 */
static void take_tracking(struct mem_ctx *mc, const struct mem_range *exr, int nexr)
{
	struct engine *e = &mtcp_engine;
	static int warned;
	const char *why = NULL;
	char *maps = e->scratch + SCRATCH_MAPS_OFF;
	long len = util_read_file("/proc/self/maps", maps, SCRATCH_MAPS_LEN);
	int rc;

	rc = len < 0 ? (int)len
		     : track_take(maps, (size_t)len, exr, nexr,
				  (const struct mem_range *)(const void *)e->volatile_r, e->nvolatile,
				  mc->flags, &trk, &why);
	if (rc) {
		if (e->verbose && !warned++)
			util_log("incremental images not used: %s; every image is full",
				 why ? why : strerror(-rc));
		return;
	}
	cur_tracked = 1;
	/* the tracking's markers look swapped in the page map: with nothing
	 * in swap they are known for what they are (checked again once the
	 * page map was read) */
	if (track_no_swap())
		mc->flags |= MEM_F_NO_SWAP;
	if (!cur_incremental)
		return;
	mc->tracked = trk.tracked;
	mc->ntracked = trk.ntracked;
	mc->written = trk.written;
	mc->nwritten = trk.nwritten;
	mc->inherit_buf = trk.spare;
	mc->inherit_max = trk.nspare;
	/* the file is preallocated for what it may hold */
	if (mc->resident > trk.written_bytes + (64ull << 20))
		mc->resident = trk.written_bytes + (64ull << 20);
}

static void log_tracking(const char *path, const struct mem_stats *st)
{
	if (cur_incremental)
		util_log("incremental %s: depth %u after %s; written %llu KiB in %u runs of %llu MiB "
			 "tracked, %llu KiB inherited; scan %.3f ms, protect %.3f ms (%u new "
			 "mappings, %llu MiB)", path, cur_prev.rec.depth, cur_prev.name,
			 (unsigned long long)(trk.written_bytes >> 10), trk.nwritten,
			 (unsigned long long)(trk.tracked_bytes >> 20),
			 (unsigned long long)(st->inherited_bytes >> 10), trk.scan_ns / 1e6,
			 trk.protect_ns / 1e6, trk.nadded, (unsigned long long)(trk.added_bytes >> 20));
	else if (cur_tracked)
		util_log("full %s%s%s; tracking %llu MiB from now on: scan %.3f ms, protect %.3f ms "
			 "(%u new mappings, %llu MiB)", path, full_why ? ": " : "",
			 full_why ? full_why : "", (unsigned long long)(trk.tracked_bytes >> 20),
			 trk.scan_ns / 1e6, trk.protect_ns / 1e6, trk.nadded,
			 (unsigned long long)(trk.added_bytes >> 20));
}

/*
 * The writer process of a copy-on-write checkpoint: its memory is the
 * program's at the pause (plus the copies it moves into place).  It
 * writes the rest of the image, commits it, says how it went in the
 * result page, and exits.  It never returns.
 */
static __attribute__((noreturn)) void writer_main(pid_t parent)
{
	struct engine *e = &mtcp_engine;
	struct cow_result *r = cow_result();
	static char err[512];
	uint64_t hflags = 0, t[6] = { 0 };
	int rc;

	err[0] = '\0';
	/* the clone has none of the tracking's markers: what its page map
	 * calls swapped is in swap */
	m.flags &= ~MEM_F_NO_SWAP;
	rc = cow_writer_enter(parent, cf.fd, e->cfg.writer_gate);
	if (rc)
		raw_syscall1(SYS_exit_group, 3); /* the program is gone: nobody waits */
	/* the library's memory is MADV_DONTFORK: the same addresses again */
	rc = util_reserve_in_child();
	if (rc) {
		snprintf(err, sizeof(err), "the writer process cannot map its memory: %s",
			 strerror(-rc));
		goto fail;
	}
	if (wk_base) {
		wk_memory_carve(&wk_mem, wk_base);
		wk_memory_guard(&wk_mem);
	}
	rc = cow_apply(&snap);
	if (!rc) {
		/* before the writer maps anything of its own: a new mapping could
		 * fill the hole of a region the clone did not carry */
		rc = cow_find_missed(&snap, ex, nex, m.flags, e->scratch + SCRATCH_MAPS_OFF,
				     SCRATCH_MAPS_LEN + SCRATCH_PAGEMAP_LEN, r);
		if (rc > 0) {
			commit_abort(&cf);
			r->state = COW_RETRY;
			raw_syscall1(SYS_exit_group, 0);
		}
	}
	if (rc) {
		snprintf(err, sizeof(err), "the writer process cannot set up the snapshot: %s",
			 strerror(-rc));
		goto fail;
	}
	/* its own helpers and ring: the program's process has neither now */
	memset(&wk, 0, sizeof(wk));
	r->nhelpers = wk_start(&wk, &wk_mem, e->cfg.helpers);
	rc = open_sink(&e->cfg, resident, err, sizeof(err));
	if (rc) {
		stop_writer();
		commit_abort(&cf);
		goto fail;
	}
	m.maps_text = snap.maps;
	m.maps_text_len = snap.maps_len;
	/* the memory is read through /proc/self/mem (workers.h, wk_stage) */
	m.stage_fd = (int)raw_syscall4(SYS_openat, AT_FDCWD, (long)"/proc/self/mem",
				       O_RDONLY | O_CLOEXEC, 0);
	if (m.stage_fd >= 0)
		m.flags |= MEM_F_STAGE;
	m.maps_buf = e->scratch + SCRATCH_MAPS_OFF;
	m.scan_buf = e->scratch + SCRATCH_PAGEMAP_OFF;
	m.wk = &wk;
	m.sink = &sink;
	rc = write_rest(&w, &m, &proc, proc_off, cwd, exe, final, sizeof(final), &hflags, t, err,
			sizeof(err));
	if (!rc && e->cfg.fsync_async) {
		rc = commit_settle(&cf, e->cfg.dir);
		if (rc)
			snprintf(err, sizeof(err), "fsync of %.400s failed: %s", final,
				 strerror(-rc));
	}
	if (rc)
		goto fail;
	r->write_ns = t[4] - t[2];
	r->commit_ns = util_now_ns() - t[4];
	r->hflags = hflags;
	r->image_sum = w.image_sum;
	r->image_size = w.off;
	r->st = m.st;
	if (e->verbose)
		r->extra_kib = cow_extra_kib(e->scratch + SCRATCH_MAPS_OFF, SCRATCH_MAPS_LEN);
	snprintf(r->final, sizeof(r->final), "%s", final);
	__atomic_store_n(&r->state, COW_DONE, __ATOMIC_RELEASE);
	raw_syscall1(SYS_exit_group, 0);
fail:
	r->rc = rc;
	snprintf(r->err, sizeof(r->err), "%s", err);
	__atomic_store_n(&r->state, COW_FAILED, __ATOMIC_RELEASE);
	raw_syscall1(SYS_exit_group, 1);
	__builtin_unreachable();
}

/*
 * A copy-on-write increment without a writer process: while the program
 * is parked, the plan of the image is taken and the bytes it will hold
 * (the pages written since the parent, and the untracked mappings) are
 * copied into a memfd; then the program runs and the control thread
 * writes the image from the copies.  A fork would copy the page tables
 * of all the memory (45-50 ms per GiB here); this copies only what the
 * increment holds.  1: not for this checkpoint (too much to copy, or no
 * room: the caller forks a writer, still parked); 0 or -errno: done,
 * threads released.
 */
#define PLAN_ENTRIES (1u << 21)
#define PLAN_REGIONS 65536u
#define COPY_MAX (4ull << 30) /* the copies' file, at most */
static char *plan_mem;

static int plan_ready(uint64_t rss)
{
	if (!plan_mem) {
		size_t len = PLAN_ENTRIES * sizeof(struct mem_plan_ent) +
			     PLAN_REGIONS * mem_plan_region_size();
		if (!util_reserve((void **)&plan_mem, len))
			return 0;
	}
	if (plan.copy_fd < 0) {
		long fd = raw_syscall2(SYS_memfd_create, (long)"mtcp-copies", MFD_CLOEXEC);
		void *map;
		if (fd < 0)
			return 0;
		if (owned_fd_add((int)fd)) {
			raw_syscall1(SYS_close, fd);
			return 0;
		}
		/* sparse: only the pages copies use are memory */
		map = raw_syscall2(SYS_ftruncate, fd, (long)COPY_MAX) ? MAP_FAILED :
			mmap(NULL, COPY_MAX, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE,
			     (int)fd, 0);
		if (map == MAP_FAILED ||
		    util_excluded_add((uint64_t)(uintptr_t)map, COPY_MAX)) {
			if (map != MAP_FAILED)
				munmap(map, COPY_MAX);
			owned_fd_del((int)fd);
			raw_syscall1(SYS_close, fd);
			return 0;
		}
		madvise(map, COPY_MAX, MADV_DONTFORK);
		plan.copy_fd = (int)fd;
		plan.copy_map = map;
	}
	plan.ent = (struct mem_plan_ent *)(void *)plan_mem;
	plan.max = PLAN_ENTRIES;
	plan.regions = plan_mem + PLAN_ENTRIES * sizeof(struct mem_plan_ent);
	plan.max_regions = PLAN_REGIONS;
	plan.limit = rss / 8 > (64ull << 20) ? rss / 8 : (64ull << 20);
	if (plan.limit > COPY_MAX)
		plan.limit = COPY_MAX;
	return 1;
}

/* The copies' file keeps its pages for the next checkpoint (a first write
 * into a new page costs far more than the copy on these machines), as
 * many as this one used; the rest are given back. */
static void plan_drop(void)
{
	if (plan.copy_fd >= 0 && plan.copied < COPY_MAX)
		raw_syscall4(SYS_fallocate, plan.copy_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			     (long)plan.copied, (long)(COPY_MAX - plan.copied));
	m.plan = NULL;
}

static int run_copy(uint64_t t[6], char *err, size_t errlen)
{
	struct engine *e = &mtcp_engine;
	uint64_t hflags = 0, tp = util_now_ns();
	int rc;

	if (!cur_incremental || !cur_tracked || !plan_ready(resident))
		return 1;
	plan.taking = 1;
	m.plan = &plan;
	rc = mem_write_regions(&m, err, errlen);
	if (!rc && (m.flags & MEM_F_NO_SWAP) && !track_no_swap())
		rc = -EAGAIN; /* swapped pages taken for markers: the writer process reads again */
	if (rc) {
		/* too much to copy, or a mapping that cannot be read: fork */
		err[0] = '\0';
		plan.copied = 0;
		plan_drop();
		return 1;
	}
	plan.taking = 0;
	t[2] = util_now_ns();
	suspend_release_all();
	e->last_pause_ns = t[2] - t[0];
	degraded_warn();
	/* the program runs; the image is written from the copies */
	cow_gate_wait(e->cfg.writer_gate);
	int nhelpers = start_helpers(e->cfg.helpers);
	m.resident = plan.copied;
	rc = open_sink(&e->cfg, m.resident, err, errlen);
	if (!rc) {
		m.flags |= MEM_F_STAGE;
		m.stage_fd = plan.copy_fd;
		m.wk = &wk;
		m.sink = &sink;
		rc = write_rest(&w, &m, &proc, proc_off, cwd, exe, final, sizeof(final), &hflags, t,
				err, errlen);
	} else {
		stop_writer();
		commit_abort(&cf);
	}
	plan_drop();
	m.stage_fd = -1;
	m.flags &= ~MEM_F_STAGE;
	if (rc) {
		chain_broken();
		forget_closed_image();
		return rc;
	}
	kept_add(final, w.image_sum, w.off);
	if (e->cfg.fsync_async) {
		rc = commit_settle(&cf, e->cfg.dir);
		if (rc)
			util_log("fsync of %s failed: %s", final, strerror(-rc));
	}
	forget_closed_image();
	chain_prune(e->kept, kept_full, &e->nkept, e->cfg.keep);
	if (e->verbose) {
		log_checkpoint(final, &m.st, hflags, nhelpers, t);
		log_tracking(final, &m.st);
		util_log("copy-on-write %s: pause %.3f ms, durable %.3f ms, copied %llu KiB while "
			 "parked (%.3f ms), no writer process", final, e->last_pause_ns / 1e6,
			 (util_now_ns() - t[0]) / 1e6, (unsigned long long)(plan.copied >> 10),
			 (t[2] - tp) / 1e6);
	}
	return 0;
}

/*
 * The copy-on-write half of a checkpoint, once the state records are
 * written and the control thread's context saved: snapshot, writer,
 * release, wait.  1: the writer could not be made (the caller goes on
 * stop-the-world, still parked); 0 or -errno: done (threads released).
 * *retry: the writer found regions the snapshot lacked: take another.
 */
static int run_cow(uint64_t t[6], char *err, size_t errlen, int *retry)
{
	struct engine *e = &mtcp_engine;
	struct cow_result *r = cow_result();
	char why[256];
	uint64_t ts;
	long pid;
	int rc;

	*retry = 0;
	ts = util_now_ns();
	rc = cow_snapshot(&snap, ex, nex, m.flags, e->scratch + SCRATCH_PAGEMAP_OFF,
			  SCRATCH_PAGEMAP_LEN, why, sizeof(why));
	if (rc) {
		cow_warn_once(COW_WHY_SNAPSHOT, why);
		return 1;
	}
	memset(r, 0, sizeof(*r));
	pid = cow_clone();
	if (pid == 0)
		writer_main(e->pid);
	if (pid < 0) {
		struct rlimit rl;
		cow_snapshot_drop(&snap);
		if ((pid == -EAGAIN) && !raw_syscall4(SYS_prlimit64, 0, RLIMIT_NPROC, 0, (long)&rl))
			snprintf(why, sizeof(why), "cannot create the writer process: the user's "
				 "process limit (RLIMIT_NPROC %llu) is reached",
				 (unsigned long long)rl.rlim_cur);
		else
			snprintf(why, sizeof(why), "cannot create the writer process: %s",
				 strerror((int)-pid));
		cow_warn_once(COW_WHY_CLONE, why);
		return 1;
	}
	/* the image is the writer's now: if it dies, the unnamed file goes */
	raw_syscall1(SYS_close, cf.fd);
	forget_closed_image_fd();
	t[2] = util_now_ns();
	suspend_release_all();
	e->last_pause_ns = t[2] - t[0];
	degraded_warn();
	cow_snapshot_drop(&snap);
	rc = cow_wait((pid_t)pid, err, errlen);
	t[5] = util_now_ns();
	if (!rc && r->state == COW_RETRY) {
		commit_forget(&cf); /* the writer removed it */
		cow_known_add(r);
		*retry = 1;
		return 0;
	}
	if (rc) {
		commit_abort(&cf); /* a named temporary the writer left */
		return rc;
	}
	commit_forget(&cf);
	/* the writer's stderr is closed: its warning is said here */
	if (strcmp(final, r->final))
		util_log("warning: %s is someone else's file (left as it is); this image is %s",
			 final, r->final);
	kept_add(r->final, r->image_sum, r->image_size);
	chain_prune(e->kept, kept_full, &e->nkept, e->cfg.keep);
	if (e->verbose) {
		/* the writer's memory time includes its finish */
		uint64_t tw[6] = { t[0], t[1], ts, ts + r->write_ns, ts + r->write_ns,
				   ts + r->write_ns + r->commit_ns };
		log_checkpoint(r->final, &r->st, r->hflags, r->nhelpers, tw);
		log_tracking(r->final, &r->st);
		util_log("copy-on-write %s: pause %.3f ms, durable %.3f ms, extra memory %llu KiB, "
			 "copied %llu KiB, writer %d", r->final, e->last_pause_ns / 1e6,
			 (t[5] - t[0]) / 1e6, (unsigned long long)r->extra_kib,
			 (unsigned long long)(snap.copied >> 10), (int)pid);
	}
	return 0;
}

int checkpoint_run(int last_before_term, char *err, size_t errlen)
{
	struct engine *e = &mtcp_engine;
	struct mtcp_config *c = &e->cfg;
	uint64_t ring_maps[3][2];
	uint64_t created, hflags = 0, t[6] = { 0 };
	int fd = -1, rc, nring, nhelpers = 0, use_cow, retries = 0;
	char why[256];

	err[0] = '\0';
	if (!prog_name[0])
		find_prog_name();
again:
	t[0] = util_now_ns();
	degraded_reset();
	resident = resident_bytes();
	/* the copies kept for copy-on-write increments are the library's
	 * (resident as shared memory), not the program's */
	if (plan.copy_map && resident > plan.copied)
		resident -= plan.copied;
	/* a final image on the termination signal: the program ends right
	 * after it, and stop-the-world makes the image durable sooner (no
	 * writer process, no copies; docs/performance.md, "Preemption"),
	 * unless MTCP_COW=1 asks for copy-on-write */
	use_cow = cow_wanted(last_before_term && c->cow == COW_AUTO ? COW_OFF : c->cow, resident,
			     why, sizeof(why));
	if (!use_cow && why[0])
		cow_warn_once(COW_WHY_MEMORY, why);
	/* the helpers exist before the program is parked (a copy-on-write
	 * writer starts its own) */
	if (!use_cow)
		nhelpers = start_helpers(c->helpers);
	for (;;) {
		rc = suspend_all(err, errlen);
		if (rc != -EAGAIN)
			break;
		/* a thread waits for a lock a parked one holds: let them all go
		 * for a moment, then try again, for at most 5 s */
		suspend_release_all();
		if (util_now_ns() - t[0] > 5000000000ull) {
			rc = -ETIMEDOUT;
			goto out_release;
		}
		struct timespec pause = { 0, 2 * 1000 * 1000 };
		raw_syscall2(SYS_nanosleep, (long)&pause, 0);
	}
	t[1] = util_now_ns();
	if (rc)
		goto out_release;

	{
		char lineage[9];
		uint64_t nonce;
		identity_lineage_hex(lineage);
		snprintf(stem, sizeof(stem), "%s.%d.%s", prog_name, (int)e->pid, lineage);
		rc = commit_name(final, sizeof(final), c->dir, stem, e->seq + 1);
		if (rc) {
			snprintf(err, errlen, "image path too long");
			goto out_release;
		}
		identity_random(&nonce, sizeof(nonce));
		fd = commit_open(&cf, c->dir, stem, nonce, c->dir_tmpfile);
	}
	if (fd < 0) {
		rc = fd;
		snprintf(err, errlen, "cannot create a file in %s for %s: %s", c->dir, final,
			 strerror(-rc));
		goto out_release;
	}
	/* the library's, never saved (the fd records skip it); room for it
	 * is left by ctl.c's bound on its own */
	image_fd = fd;
	if (owned_fd_add(fd)) {
		rc = -EMFILE;
		snprintf(err, errlen, "the library holds too many fds");
		goto out_abort;
	}
	if (cf.named)
		c->dir_tmpfile = 0; /* not on this file system: no need to ask again */
	/* a name is used once, whatever becomes of this checkpoint: a file
	 * planted under it blocks one checkpoint, not all that follow */
	e->seq++;
	identity_fill(&ident, e->seq);

	if (!use_cow) {
		rc = open_sink(c, resident, err, errlen);
		if (rc)
			goto out_abort;
	}

	{
		/* wall-clock ns: mtcp_launch --resume orders images by it */
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		created = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
	}
	iw_init(&w, fd, e->scratch + SCRATCH_WBUF_OFF, SCRATCH_WBUF_LEN);
	/* an increment names its parent right after GROUPS (docs/format.md);
	 * tracking that fails later only leaves it nothing to inherit */
	cur_tracked = 0;
	cur_incremental = chain_decide(track_active(), c->full_every, resident, &cur_prev,
				       &full_why);
	rc = iw_header(&w, (uint32_t)e->pid, 0, created, NULL, &ident);
	if (!rc && cur_incremental)
		rc = iw_record(&w, MTCP_REC_PREV, &cur_prev.rec, sizeof(cur_prev.rec), cur_prev.name,
			       cur_prev.rec.name_len);
	if (!rc)
		rc = procstate_capture(&proc, cwd, exe, sigact, err, errlen);
	if (!rc)
		rc = iw_reserve(&w, sizeof(proc) + proc.cwd_len + proc.exe_len, &proc_off);
	if (!rc)
		rc = iw_record(&w, MTCP_REC_SIGACT, sigact, sizeof(sigact), NULL, 0);
	if (!rc)
		rc = write_threads(&w, &proc.nthreads);
	if (!rc)
		rc = fds_write_all(&w, final, &proc.nfds, err, errlen);
	if (!rc) {
		note_process_state();
		rc = degraded_write(&w);
	}
	if (!rc)
		rc = iw_flush(&w);
	if (rc)
		goto out_abort;
	e->last_degraded = degraded_count();
	if (c->strict && e->last_degraded) {
		/* MTCP_STRICT: a degraded image is no image; the last one stays */
		rc = -ENOTRECOVERABLE;
		snprintf(err, errlen, "degraded, and MTCP_STRICT is set: %u object%s would not "
			 "come back as %s (%s%s); the previous image is kept", e->last_degraded,
			 e->last_degraded == 1 ? "" : "s", e->last_degraded == 1 ? "it was" : "they were",
			 degraded_first(), e->last_degraded > 1 ? "; ..." : "");
		goto out_abort;
	}

	nex = 0;
	for (int i = 0; i < e->nexcluded; i++) {
		ex[nex].start = e->excluded[i].start;
		ex[nex++].end = e->excluded[i].end;
	}
	if (mtcp_restart_info.hole_len) {
		ex[nex].start = mtcp_restart_info.hole_start;
		ex[nex++].end = mtcp_restart_info.hole_start + mtcp_restart_info.hole_len;
	}
	nring = sink_mappings(&sink, ring_maps);
	for (int i = 0; i < nring; i++) {
		ex[nex].start = ring_maps[i][0] & ~4095ull;
		ex[nex++].end = (ring_maps[i][1] + 4095) & ~4095ull;
	}
	memset(&m, 0, sizeof(m));
	m.volatile_ranges = (const struct mem_range *)(const void *)e->volatile_r;
	m.nvolatile = e->nvolatile;
	m.excluded = ex;
	m.nexcluded = nex;
	m.maps_buf = e->scratch + SCRATCH_MAPS_OFF;
	m.maps_len = SCRATCH_MAPS_LEN;
	m.scan_buf = e->scratch + SCRATCH_PAGEMAP_OFF;
	m.scan_len = SCRATCH_PAGEMAP_LEN;
	m.flags = MEM_F_ZERO | (c->compress ? MEM_F_LZ4 : 0) |
		  (c->file_pages ? MEM_F_FILE_PAGES : 0) | (c->scan_pagemap ? MEM_F_FORCE_PAGEMAP : 0);
	m.lz4_accel = c->lz4_accel;
	m.stage_fd = -1;
	m.resident = resident;
	m.wk = &wk;
	m.sink = &sink;
	m.off = w.off;

	if (c->full_every > 1)
		take_tracking(&m, ex, nex);

	/* Everything the restarted control thread needs is in memory now;
	 * from here the memory is saved.  A restarted process returns here
	 * with 1: it touches only globals from then on. */
	if (mtcp_ctx_save(&e->ctl_ctx))
		return after_restart();

	if (use_cow) {
		int retry;
		rc = run_copy(t, err, errlen);
		if (rc <= 0)
			return rc ? rc : MTCP_CHECKPOINTED;
		rc = run_cow(t, err, errlen, &retry);
		if (rc <= 0) {
			if (retry || rc)
				chain_broken(); /* the scan's writes went with the lost image */
			if (retry && retries++ < 2)
				goto again; /* a region the clone does not carry: copy it too */
			if (retry) {
				rc = -EAGAIN;
				snprintf(err, errlen, "the snapshot kept missing regions the writer "
					 "process cannot see (MADV_DONTFORK or MADV_WIPEONFORK)");
			}
			return rc ? rc : MTCP_CHECKPOINTED;
		}
		/* no writer process: on, stop-the-world, still parked */
		nhelpers = start_helpers(c->helpers);
		rc = open_sink(c, resident, err, errlen);
		if (rc)
			goto out_abort;
	}

	rc = write_rest(&w, &m, &proc, proc_off, cwd, exe, final, sizeof(final), &hflags, t, err,
			errlen);
	if (rc) {
		if (cur_tracked)
			chain_broken();
		goto out_release; /* write_rest stopped the writer and dropped the file */
	}
	kept_add(final, w.image_sum, w.off);
	e->last_pause_ns = util_now_ns() - t[0];
	suspend_release_all();
	degraded_warn();
	if (c->fsync_async) {
		/* the program runs; the image becomes durable now, and only then
		 * may older images go */
		rc = commit_settle(&cf, c->dir);
		if (rc)
			util_log("fsync of %s failed: %s", final, strerror(-rc));
	}
	forget_closed_image();
	chain_prune(e->kept, kept_full, &e->nkept, c->keep);
	if (e->verbose) {
		log_checkpoint(final, &m.st, hflags, nhelpers, t);
		log_tracking(final, &m.st);
		util_log("stop-the-world %s: pause %.3f ms, durable %.3f ms", final,
			 e->last_pause_ns / 1e6, (util_now_ns() - t[0]) / 1e6);
	}
	return MTCP_CHECKPOINTED;

out_abort:
	if (cur_tracked)
		chain_broken();
	stop_writer();
	if (!err[0])
		snprintf(err, errlen, "cannot write %s: %s", final, strerror(-rc));
	commit_abort(&cf);
out_release:
	stop_writer();
	forget_closed_image();
	suspend_release_all();
	degraded_warn();
	return rc < 0 ? rc : -EIO;
}
