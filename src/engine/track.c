/* SPDX-License-Identifier: MIT */
/* track.c - written-page tracking for incremental images (track.h). */
#define MTCP_BUILDING_LIBRARY 1
#include "track.h"
#include "engine.h"
#include "maps.h"
#include "syscall.h"
#include "wp_track.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

/* The arena: tracked mappings first, then written runs.  NORESERVE: only
 * what a checkpoint fills costs memory. */
#define ARENA_LEN (256ull << 20)
#define MAX_TRACKED 65536u
#define TRACKED_LEN (MAX_TRACKED * sizeof(struct mem_range))
/* mappings registered now, tracked or added: what track_release may give up */
#define OURS_OFF MAX_TRACKED
#define MAX_WRITTEN ((ARENA_LEN - 2 * TRACKED_LEN) / sizeof(struct mem_range))

/* Registering protects every page-table entry of a mapping (WP_UNPOPULATED
 * fills page tables for empty ones: 2 MiB per GiB).  A large mapping is
 * registered only when enough of it holds data: JVM heaps and sanitizer
 * shadows reserve far more than they use. */
#define SPARSE_FREE_LEN (64ull << 20)
#define SPARSE_RATIO 8

#define MAX_RELEASED 64

static struct wp_track wt = { .uffd = -1, .pagemap_fd = -1 };
static int opened;        /* 1: wt is open; -errno: it cannot be (never tried again) */
static const char *off_why;
static struct mem_range *arena;
static struct mem_range released[MAX_RELEASED];
static uint32_t nreleased; /* entries published (atomic) */
static uint32_t released_lost; /* more than MAX_RELEASED: nothing is tracked */
static uint32_t nours;         /* entries at arena + OURS_OFF */

static int map_arena(void)
{
	void *a = mmap(NULL, ARENA_LEN, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (a == MAP_FAILED)
		return -ENOMEM;
	if (util_excluded_add((uint64_t)(uintptr_t)a, ARENA_LEN)) {
		munmap(a, ARENA_LEN);
		return -ENOSPC;
	}
	arena = a;
	return 0;
}

int track_init(void)
{
	return map_arena();
}

int track_after_restart(void)
{
	/* the userfaultfd and pagemap fds stayed in the checkpointed process:
	 * their numbers may be the program's now; forget, never close */
	wt.uffd = wt.pagemap_fd = -1;
	if (opened == 1)
		opened = 0;
	nours = 0;
	arena = NULL;
	return map_arena();
}

int track_no_swap(void)
{
	char buf[4096];
	long n = util_read_file("/proc/self/status", buf, sizeof(buf) - 1);
	const char *p;

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strstr(buf, "\nVmSwap:");
	if (!p)
		return 0;
	p += 8;
	while (*p == ' ' || *p == '\t')
		p++;
	return p[0] == '0' && (p[1] == ' ' || p[1] == '\n');
}

int track_active(void)
{
	return opened == 1;
}

/* Never tracked again: [start, end) is the program's. */
static void note_released(uint64_t start, uint64_t end)
{
	uint32_t i = __atomic_fetch_add(&nreleased, 1, __ATOMIC_ACQ_REL);

	if (i >= MAX_RELEASED) {
		__atomic_store_n(&released_lost, 1, __ATOMIC_RELEASE);
		return;
	}
	__atomic_store_n(&released[i].start, start, __ATOMIC_RELEASE);
	__atomic_store_n(&released[i].end, end, __ATOMIC_RELEASE);
}

void track_release(uint64_t start, uint64_t len)
{
	uint64_t end = (start + len + 4095) & ~4095ull;

	start &= ~4095ull;
	if (end <= start)
		return;
	note_released(start, end);
	if (opened != 1 || !arena)
		return;
	/* only what this library registered: unregistering another
	 * userfaultfd's range is not ours to do */
	uint32_t n = __atomic_load_n(&nours, __ATOMIC_ACQUIRE);
	for (uint32_t i = 0; i < n; i++) {
		const struct mem_range *r = &arena[OURS_OFF + i];
		uint64_t s = r->start > start ? r->start : start;
		uint64_t e = r->end < end ? r->end : end;
		if (s < e)
			wp_del(&wt, s, e);
	}
}

static int overlaps(const struct mem_range *r, int n, uint64_t s, uint64_t e)
{
	for (int i = 0; i < n; i++)
		if (s < r[i].end && e > r[i].start)
			return 1;
	return 0;
}

static int overlaps_released(uint64_t s, uint64_t e)
{
	uint32_t n = __atomic_load_n(&nreleased, __ATOMIC_ACQUIRE);

	if (n > MAX_RELEASED)
		n = MAX_RELEASED;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t rs = __atomic_load_n(&released[i].start, __ATOMIC_ACQUIRE);
		uint64_t re = __atomic_load_n(&released[i].end, __ATOMIC_ACQUIRE);
		if (re && s < re && e > rs)
			return 1;
	}
	return 0;
}

static int open_tracker(const char **why)
{
	int rc;

	if (opened == 1)
		return 0;
	if (opened < 0) {
		*why = off_why;
		return opened;
	}
	rc = wp_open(&wt);
	if (!rc && (owned_fd_add(wt.uffd) || owned_fd_add(wt.pagemap_fd))) {
		wp_close(&wt);
		wt.why = "the library holds too many fds";
		rc = -EMFILE;
	}
	if (rc) {
		opened = rc;
		off_why = wt.why ? wt.why : "userfaultfd cannot be used";
		*why = off_why;
		return rc;
	}
	opened = 1;
	return 0;
}

/* Stop tracking everything (the program now holds an io_uring): every
 * registration goes with the fd. */
static void close_tracker(void)
{
	if (opened != 1)
		return;
	owned_fd_del(wt.uffd);
	owned_fd_del(wt.pagemap_fd);
	wp_close(&wt);
	opened = 0;
}

static void add_ours(uint64_t s, uint64_t e)
{
	uint32_t n = nours;

	if (n == MAX_TRACKED)
		return;
	arena[OURS_OFF + n].start = s;
	arena[OURS_OFF + n].end = e;
	__atomic_store_n(&nours, n + 1, __ATOMIC_RELEASE);
}

struct scan_out {
	struct trk_view *v;
	struct mem_range *w;
	uint32_t max;
	int overflow;
};

static int on_written(void *arg, uint64_t s, uint64_t e)
{
	struct scan_out *o = arg;

	if (o->v->nwritten == o->max) {
		o->overflow = 1;
		return 1;
	}
	o->w[o->v->nwritten].start = s;
	o->w[o->v->nwritten++].end = e;
	o->v->written_bytes += e - s;
	return 0;
}

/* A mapping the library may track: private memory whose pages the image
 * holds when touched, none of it the library's, changing while saved, or
 * the program's own userfaultfd's. */
static int trackable(const struct maps_entry *e, const struct mem_range *ex, int nex,
		     const struct mem_range *vol, int nvol, uint32_t memflags)
{
	uint64_t all_end;
	int rule;

	if (e->shared || e->prot == 0 || maps_path_is(e, "[vsyscall]"))
		return 0;
	rule = mem_save_rule(e, memflags, &all_end);
	if (rule != MEM_SAVE_TOUCHED && rule != MEM_SAVE_COW)
		return 0;
	if (overlaps(ex, nex, e->start, e->end) || overlaps(vol, nvol, e->start, e->end))
		return 0;
	return !overlaps_released(e->start, e->end);
}

int track_take(const char *maps, size_t len, const struct mem_range *ex, int nex,
	       const struct mem_range *vol, int nvol, uint32_t memflags, struct trk_view *v,
	       const char **why)
{
	struct mem_range *tracked = arena;
	struct scan_out o;
	const char *pos = maps, *line;
	size_t ll;
	int rc;

	memset(v, 0, sizeof(*v));
	*why = NULL;
	if (!arena)
		return *why = "no memory for the lists of written pages", -ENOMEM;
	if (__atomic_load_n(&released_lost, __ATOMIC_ACQUIRE)) {
		close_tracker();
		return *why = "the program registered more than 64 ranges with userfaultfd", -EBUSY;
	}
	/* its registered buffers are pinned: the kernel writes them with no
	 * fault the tracking could see (fds.c saw the fds just before) */
	if (fds_saw_io_uring()) {
		close_tracker();
		return *why = "the program holds an io_uring, whose registered buffers the kernel "
			      "writes without a fault the tracking sees", -EOPNOTSUPP;
	}
	rc = open_tracker(why);
	if (rc)
		return rc;
	__atomic_store_n(&nours, 0, __ATOMIC_RELEASE);
	o.v = v;
	o.w = arena + 2 * MAX_TRACKED;
	o.max = (uint32_t)MAX_WRITTEN;
	v->tracked = tracked;
	v->written = o.w;
	while ((line = maps_next_line(&pos, maps + len, &ll))) {
		struct maps_entry e;
		uint64_t t0 = util_now_ns();
		uint32_t w0 = v->nwritten;
		uint64_t wb0 = v->written_bytes;

		if (maps_parse_line(line, ll, &e) || !trackable(&e, ex, nex, vol, nvol, memflags))
			continue;
		o.overflow = 0;
		rc = wp_scan(&wt, e.start, e.end, on_written, &o);
		v->scan_ns += util_now_ns() - t0;
		if (rc == 0 || o.overflow) {
			if (v->ntracked == MAX_TRACKED)
				continue; /* untracked this time: saved whole */
			if (o.overflow) {
				/* no room for its runs: the whole mapping counts as
				 * written (its protection is back on, as after a scan) */
				v->nwritten = w0;
				v->written_bytes = wb0;
				if (w0 == o.max)
					continue;
				o.w[v->nwritten].start = e.start;
				o.w[v->nwritten++].end = e.end;
				v->written_bytes += e.end - e.start;
			}
			tracked[v->ntracked].start = e.start;
			tracked[v->ntracked++].end = e.end;
			v->tracked_bytes += e.end - e.start;
			add_ours(e.start, e.end);
			continue;
		}
		if (rc != -EPERM)
			continue; /* not scannable: saved whole */
		/* not tracked (yet, or no longer: new, moved, remapped) */
		t0 = util_now_ns();
		if (e.end - e.start > SPARSE_FREE_LEN) {
			long present = wp_present_bytes(&wt, e.start, e.end);
			if (present < 0 ||
			    (uint64_t)present * SPARSE_RATIO < e.end - e.start - SPARSE_FREE_LEN) {
				v->protect_ns += util_now_ns() - t0;
				continue;
			}
		}
		rc = wp_add(&wt, e.start, e.end);
		v->protect_ns += util_now_ns() - t0;
		if (rc == -EBUSY) {
			/* the program's own userfaultfd has it: leave it alone */
			note_released(e.start, e.end);
			continue;
		}
		if (!rc) {
			add_ours(e.start, e.end);
			v->nadded++;
			v->added_bytes += e.end - e.start;
		}
	}
	v->spare = o.w + v->nwritten;
	v->nspare = o.max - v->nwritten;
	return 0;
}
