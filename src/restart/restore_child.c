/* SPDX-License-Identifier: MIT */
/*
 * restore_child.c - the hosted half of a restore, run in the process that
 * becomes the restored program: restore fds, cwd and umask, find a hole no
 * image region uses, build struct rst_args there, copy the restorer blob,
 * and jump (the point of no return).  Every error before the jump prints
 * one line and exits 1.
 */
#include "restore_child.h"
#include "image_reader.h"
#include "chain.h"
#include "maps.h"
#include "rst-args.h"
#include "fd_restore.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define HOLE_ALIGN (2ull << 20)
#define MAIN_STACK (256u << 10)
#define THREAD_STACK (16u << 10) /* RSTR_STACK_SIZE in the restorer */

extern const unsigned char mtcp_restorer_blob[];
extern const unsigned long mtcp_restorer_blob_size;

static const char *image_path;
/* mtcp_restart's stderr: fd 2 becomes the program's before the end */
static int log_fd = 2;
/* the timerfds that the restorer arms last */
static const struct fdr_ctx *restored_timerfds;

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	dprintf(log_fd >= 0 ? log_fd : 2, "mtcp_restart: %s: %s\n", image_path, buf);
	_exit(1);
}

/* Moves fd to the lowest free number >= base, close-on-exec. */
static int move_up(int fd, int base)
{
	int n = fcntl(fd, F_DUPFD_CLOEXEC, base);
	if (n < 0)
		die("cannot move fd %d above %d: %s", fd, base, strerror(errno));
	close(fd);
	return n;
}

static void close_others(int keep_from)
{
	if (keep_from > 3)
		syscall(SYS_close_range, 3, keep_from - 1, 0);
}

#ifndef F_GET_SEALS
#define F_GET_SEALS 1034
#endif
#define SEALS_NO_WRITE 0x18 /* F_SEAL_WRITE | F_SEAL_FUTURE_WRITE */

/*
 * Shared memory objects (memfd, /dev/zero, SysV shm) that the image maps
 * more than once, or that an fd of the program holds too: one memfd each
 * (the restored fd's own object where there is one), mapped by every
 * region of it at its offset, so that they stay one object.  A region
 * alone keeps MAP_SHARED|MAP_ANONYMOUS.  A write-sealed memfd cannot be
 * mapped writable to be filled: its regions stay copies (as before v4).
 */
static void shared_objects(const struct image *img, int *region_fd, int base, int *helper_hi)
{
	for (uint32_t i = 0; i < img->nregions; i++) {
		const struct mtcp_rec_region *g = &img->regions[i].rec;
		uint64_t need = 0;
		int n = 0, held = -1, fd;

		if (g->kind != MTCP_RGN_SHARED_ANON || !g->ino || region_fd[i] >= 0)
			continue;
		for (uint32_t j = i; j < img->nregions; j++) {
			const struct mtcp_rec_region *h = &img->regions[j].rec;
			if (h->kind == MTCP_RGN_SHARED_ANON && h->ino == g->ino && h->dev == g->dev) {
				n++;
				if (h->file_offset + (h->end - h->start) > need)
					need = h->file_offset + (h->end - h->start);
			}
		}
		for (uint32_t k = 0; k < img->nfds; k++) {
			const struct img_fd *f = &img->fds[k];
			if ((f->rec.kind == MTCP_FD_MEMFD || f->rec.kind == MTCP_FD_DELETED) &&
			    !f->rec.same_as && f->rec.ino == g->ino && f->rec.dev == g->dev)
				held = (int)f->rec.fd;
		}
		if (n < 2 && held < 0)
			continue;
		if (held >= 0) {
			long seals = fcntl(held, F_GET_SEALS);
			if (seals > 0 && (seals & SEALS_NO_WRITE))
				continue;
			fd = fcntl(held, F_DUPFD_CLOEXEC, base);
		} else {
			fd = memfd_create("mtcp-shared", MFD_CLOEXEC);
			if (fd >= 0 && ftruncate(fd, (off_t)need)) {
				close(fd);
				fd = -1;
			}
		}
		if (fd < 0)
			die("cannot make the shared object of region %llx: %s",
			    (unsigned long long)g->start, strerror(errno));
		fd = move_up(fd, base);
		if (fd > *helper_hi)
			*helper_hi = fd;
		for (uint32_t j = i; j < img->nregions; j++) {
			const struct mtcp_rec_region *h = &img->regions[j].rec;
			if (h->kind == MTCP_RGN_SHARED_ANON && h->ino == g->ino && h->dev == g->dev)
				region_fd[j] = fd;
		}
	}
}

struct hole_plan {
	uint64_t blob_off, args_off, arrays_off, stack_off, tstacks_off, stage_off, lz4_off;
	uint64_t scratch_off, size;
};

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* Tries MAP_FIXED_NOREPLACE at aligned spots inside every gap between the
 * image's regions: the hole then clashes neither with the image nor with
 * anything mapped here. */
static uint64_t find_hole(const struct image *img, uint64_t size)
{
	uint64_t lo = 1ull << 32, hi = 0x7ffffffff000ull;
	uint64_t prev_end = lo;

	for (uint32_t i = 0; i <= img->nregions; i++) {
		uint64_t gs = prev_end, ge = i < img->nregions ? img->regions[i].rec.start : hi;
		if (i < img->nregions && img->regions[i].rec.end > prev_end)
			prev_end = img->regions[i].rec.end;
		if (ge <= gs || ge - gs < size + 2 * HOLE_ALIGN)
			continue;
		uint64_t cand[3] = { align_up(gs + HOLE_ALIGN, HOLE_ALIGN),
				     ((ge - size - HOLE_ALIGN) & ~(HOLE_ALIGN - 1)),
				     align_up(gs + (ge - gs) / 2, HOLE_ALIGN) };
		for (int c = 0; c < 3; c++) {
			if (cand[c] < gs || cand[c] + size > ge)
				continue;
			void *p = mmap((void *)cand[c], size, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
			if (p == (void *)cand[c])
				return cand[c];
			if (p != MAP_FAILED)
				munmap(p, size);
		}
	}
	return 0;
}

struct vdso_cur {
	struct rst_range piece[3]; /* vvar, vvar_vclock, vdso as found here */
	uint64_t start, end;
};

static void find_own_vdso(struct vdso_cur *v)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512];

	memset(v, 0, sizeof(*v));
	if (!f)
		die("cannot read /proc/self/maps: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		struct maps_entry e;
		int k = -1;
		if (maps_parse_line(line, strlen(line), &e))
			continue;
		if (maps_path_is(&e, "[vvar]"))
			k = 0;
		else if (maps_path_is(&e, "[vvar_vclock]"))
			k = 1;
		else if (maps_path_is(&e, "[vdso]"))
			k = 2;
		if (k >= 0) {
			v->piece[k].start = e.start;
			v->piece[k].end = e.end;
		}
	}
	fclose(f);
	for (int k = 0; k < 3; k++) {
		if (!v->piece[k].start)
			continue;
		if (!v->start || v->piece[k].start < v->start)
			v->start = v->piece[k].start;
		if (v->piece[k].end > v->end)
			v->end = v->piece[k].end;
	}
}

int restore_check_vdso(const struct image *img, char *err, size_t errlen)
{
	struct vdso_cur v;
	uint64_t img_len[3] = { 0, 0, 0 }, img_start[3] = { 0, 0, 0 };
	static const uint32_t kinds[3] = { MTCP_RGN_VVAR, MTCP_RGN_VVAR_VCLOCK, MTCP_RGN_VDSO };

	find_own_vdso(&v);
	for (uint32_t i = 0; i < img->nregions; i++)
		for (int k = 0; k < 3; k++)
			if (img->regions[i].rec.kind == kinds[k]) {
				img_start[k] = img->regions[i].rec.start;
				img_len[k] = img->regions[i].rec.end - img->regions[i].rec.start;
			}
	for (int k = 0; k < 3; k++) {
		uint64_t cur_len = v.piece[k].end - v.piece[k].start;
		if (cur_len != img_len[k] ||
		    (img_len[k] && img_start[k] - img_start[2] != v.piece[k].start - v.piece[2].start)) {
			snprintf(err, errlen, "the image's vdso layout differs from this kernel's "
				 "(restart needs the same kernel)");
			return -ENOEXEC;
		}
	}
	return 0;
}

/* fd, and the same file opened O_DIRECT (or -1), both moved above base. */
static int open_direct(int fd, int base)
{
	/* through our fd, not the path: as another user (root restarting
	 * a user's image) the path may not be ours to walk */
	char self_fd[64];
	int d;

	snprintf(self_fd, sizeof(self_fd), "/proc/self/fd/%d", fd);
	d = open(self_fd, O_RDONLY | O_DIRECT | O_CLOEXEC);
	return d >= 0 ? move_up(d, base) : -1;
}

void __attribute__((noreturn)) restore_child(const char *path, struct chain *c,
					     const struct restore_opts *o)
{
	struct image *img = &c->img[0];
	int direct_fds[MTCP_MAX_CHAIN];
	struct hole_plan hp;
	struct rst_args *a;
	struct vdso_cur v;
	struct rlimit nofile;
	int max_img_fd = 2, base, exe_fd;
	uint64_t hole, nunmap_max = 0;
	sigset_t all;
	char *hbase;

	image_path = path;
	if (!o->same_tids && o->tid_offset > 0) {
		char err[512];
		if (image_check_tid_patch(img, o->tid_offset, err, sizeof(err)))
			die("%s", err);
	}
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);

	/* helper fds live above every fd of the image */
	for (uint32_t i = 0; i < img->nfds; i++)
		if ((int)img->fds[i].rec.fd > max_img_fd)
			max_img_fd = (int)img->fds[i].rec.fd;
	base = max_img_fd + 1;
	getrlimit(RLIMIT_NOFILE, &nofile);
	if (nofile.rlim_cur < (rlim_t)base + 4096 && nofile.rlim_cur < nofile.rlim_max) {
		nofile.rlim_cur = nofile.rlim_max;
		setrlimit(RLIMIT_NOFILE, &nofile);
	}
	img->fd = move_up(img->fd, base);
	int status_fd = o->status_fd >= 0 ? move_up(o->status_fd, base) : -1;
	int broker_fd = o->broker_fd >= 0 ? move_up(o->broker_fd, base) : -1;
	int outer_fd = o->outer_pid_fd >= 0 ? move_up(o->outer_pid_fd, base) : -1;
	{
		int e2 = dup(2);
		log_fd = e2 >= 0 ? move_up(e2, base) : -1;
	}
	int helper_hi = img->fd;
	/* the parents' fds too: the restorer reads from every image of the
	 * chain, and closes them all (close_from..close_to) at the end */
	for (uint32_t k = 1; k < c->n; k++) {
		c->img[k].fd = move_up(c->img[k].fd, base);
		if (c->img[k].fd > helper_hi)
			helper_hi = c->img[k].fd;
	}
	if (log_fd > helper_hi)
		helper_hi = log_fd;
	if (status_fd > helper_hi)
		helper_hi = status_fd;
	if (broker_fd > helper_hi)
		helper_hi = broker_fd;
	if (outer_fd > helper_hi)
		helper_hi = outer_fd;
	/* everything but stdio and our helpers (all >= base) */
	close_others(base);
	/* and whatever mtcp_restart inherited above them */
	syscall(SYS_close_range, helper_hi + 1, ~0u, 0);
	/* in a pid namespace: mtcp_restart outside says what our pid is there
	 * (it sees us appear as its namespace's init's child) */
	int32_t outer_pid = 0;
	if (outer_fd >= 0) {
		if (read(outer_fd, &outer_pid, sizeof(outer_pid)) != (ssize_t)sizeof(outer_pid))
			outer_pid = 0;
		close(outer_fd);
	}
	{
		static struct fdr_ctx fc;
		char err[1024];
		fc.img = img;
		fc.opt = o->fdo;
		fc.stash_base = base;
		fc.log_fd = log_fd;
		fc.image_path = path;
		fc.err = err;
		fc.errlen = sizeof(err);
		if (fdr_restore_all(&fc))
			die("%s", err);
		restored_timerfds = &fc;
	}
	if (img->cwd[0] && chdir(img->cwd))
		die("cannot enter %s: %s", img->cwd, strerror(errno));
	umask((mode_t)img->proc.umask);

	exe_fd = img->exe[0] ? open(img->exe, O_RDONLY | O_CLOEXEC) : -1;
	if (exe_fd >= 0)
		exe_fd = move_up(exe_fd, base);
	if (exe_fd > helper_hi)
		helper_hi = exe_fd;
	/* raw extents written with O_DIRECT are page-aligned in the file: they
	 * are read back the same way, straight into place, without a copy
	 * through the page cache (where the file system refuses, plainly) */
	for (uint32_t k = 0; k < c->n; k++) {
		direct_fds[k] = open_direct(c->img[k].fd, base);
		if (direct_fds[k] > helper_hi)
			helper_hi = direct_fds[k];
	}

	/* one fd per mapped file, all above the image's fds */
	int *region_fd = calloc(img->nregions + 1, sizeof(int));
	if (!region_fd)
		die("out of memory");
	for (uint32_t i = 0; i < img->nregions; i++) {
		const struct img_region *g = &img->regions[i];
		region_fd[i] = -1;
		if (g->rec.kind != MTCP_RGN_FILE_PRIVATE && g->rec.kind != MTCP_RGN_FILE_SHARED)
			continue;
		for (uint32_t j = 0; j < i; j++)
			if (region_fd[j] >= 0 && !strcmp(img->regions[j].path, g->path) &&
			    (g->rec.kind != MTCP_RGN_FILE_SHARED || !(g->rec.prot & PROT_WRITE))) {
				region_fd[i] = region_fd[j];
				break;
			}
		if (region_fd[i] >= 0)
			continue;
		int fl = g->rec.kind == MTCP_RGN_FILE_SHARED && (g->rec.prot & PROT_WRITE) ? O_RDWR
											  : O_RDONLY;
		int fd = open(g->path, fl | O_CLOEXEC);
		if (fd < 0)
			die("cannot open %s: %s", g->path, strerror(errno));
		region_fd[i] = move_up(fd, base);
		if (region_fd[i] > helper_hi)
			helper_hi = region_fd[i];
	}

	shared_objects(img, region_fd, base, &helper_hi);

	/* size the hole */
	{
		FILE *f = fopen("/proc/self/maps", "re");
		char line[512];
		if (!f)
			die("cannot read /proc/self/maps");
		while (fgets(line, sizeof(line), f))
			nunmap_max++;
		fclose(f);
		nunmap_max += 64; /* the hole, stdio buffers... appear meanwhile */
	}
	hp.blob_off = 0;
	hp.args_off = align_up(mtcp_restorer_blob_size, 4096);
	hp.arrays_off = align_up(hp.args_off + sizeof(struct rst_args), 64);
	hp.stack_off = align_up(hp.arrays_off + nunmap_max * sizeof(struct rst_range) +
					img->nregions * sizeof(struct rst_region) +
					c->nreads * sizeof(struct rst_extent) +
					img->nthreads * sizeof(struct rst_thread) +
					FDR_MAX_TIMERFDS * sizeof(struct rst_timerfd) + 256,
				4096);
	hp.tstacks_off = hp.stack_off + MAIN_STACK;
	hp.stage_off = align_up(hp.tstacks_off + (uint64_t)img->nthreads * THREAD_STACK, 4096);
	find_own_vdso(&v);
	hp.lz4_off = align_up(hp.stage_off + (v.end - v.start) + 4096, 4096);
	/* lz4_buf holds the largest LZ4 extent read, of any image; scratch the
	 * largest extent read only in part (at most MTCP_EXTENT_MAX) */
	hp.scratch_off = align_up(hp.lz4_off + c->lz4_max, 4096);
	hp.size = align_up(hp.scratch_off + c->scratch_len, 4096);
	hole = find_hole(img, hp.size);
	if (!hole)
		die("no free address range of %llu KiB outside the image's regions",
		    (unsigned long long)(hp.size >> 10));
	hbase = (char *)hole;

	memcpy(hbase, mtcp_restorer_blob, mtcp_restorer_blob_size);
	if (mprotect(hbase, hp.args_off, PROT_READ | PROT_EXEC))
		die("cannot protect the restorer: %s", strerror(errno));
	a = (struct rst_args *)(hbase + hp.args_off);
	memset(a, 0, sizeof(*a));
	a->hole_start = hole;
	a->hole_len = hp.size;
	a->nimages = c->n;
	for (uint32_t k = 0; k < c->n; k++) {
		a->image_fds[k] = c->img[k].fd;
		a->image_dfds[k] = direct_fds[k];
		/* the restorer reads each image in file order: a larger readahead */
		posix_fadvise(c->img[k].fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	}
	a->status_fd = status_fd;
	a->exe_fd = exe_fd;
	a->same_tids = o->same_tids;
	a->tid_offset = o->tid_offset;
	a->log_fd = log_fd;
	a->close_from = base;
	a->close_to = helper_hi;
	a->proc = img->proc;
	memcpy(a->sigact, img->sigact, sizeof(a->sigact));
	for (int i = 0; i < MTCP_MAX_ALIASES; i++)
		a->aliases[i] = o->aliases[i];
	if (outer_pid > 0)
		a->aliases[1] = outer_pid;
	a->in_pidns = o->in_pidns;
	a->broker_fd = broker_fd;
	memcpy(a->restored_from, img->hdr.image_id, MTCP_ID_LEN);
	memcpy(a->restored_lineage, img->hdr.lineage_id, MTCP_ID_LEN);
	a->ids = o->ids;
	snprintf(a->image_path, sizeof(a->image_path), "%s", path);

	char *arr = hbase + hp.arrays_off;
	a->regions = (struct rst_region *)arr;
	arr += img->nregions * sizeof(struct rst_region);
	a->extents = (struct rst_extent *)arr;
	arr += c->nreads * sizeof(struct rst_extent);
	a->threads = (struct rst_thread *)arr;
	arr += img->nthreads * sizeof(struct rst_thread);
	a->timerfds = (struct rst_timerfd *)align_up((uint64_t)arr, 16);
	a->ntimerfds = restored_timerfds->ntimerfds;
	memcpy(a->timerfds, restored_timerfds->timerfds,
	       a->ntimerfds * sizeof(struct rst_timerfd));
	arr = (char *)(a->timerfds + a->ntimerfds);
	a->unmap = (struct rst_range *)align_up((uint64_t)arr, 16);

	a->nregions = img->nregions;
	for (uint32_t i = 0; i < img->nregions; i++) {
		const struct img_region *g = &img->regions[i];
		a->regions[i].start = g->rec.start;
		a->regions[i].end = g->rec.end;
		a->regions[i].file_offset = g->rec.file_offset;
		a->regions[i].prot = g->rec.prot;
		a->regions[i].kind = g->rec.kind;
		a->regions[i].fd = region_fd[i];
		a->regions[i].flags = g->rec.flags;
	}
	a->nextents = c->nreads;
	a->lz4_max = c->lz4_max;
	a->lz4_buf = (uint8_t *)(hbase + hp.lz4_off);
	a->scratch_len = c->scratch_len;
	a->scratch = (uint8_t *)(hbase + hp.scratch_off);
	memcpy(a->extents, c->reads, c->nreads * sizeof(struct rst_extent));
	a->nthreads = img->nthreads;
	for (uint32_t i = 0; i < img->nthreads; i++) {
		a->threads[i].rec = img->threads[i];
		a->threads[i].stack_top = hole + hp.tstacks_off + (uint64_t)(i + 1) * THREAD_STACK;
	}
	a->vdso.cur_start = v.start;
	a->vdso.cur_end = v.end;
	a->vdso.stage = hole + hp.stage_off;
	for (int k = 0; k < 3; k++)
		a->vdso_piece[k] = v.piece[k];
	for (uint32_t i = 0; i < img->nregions; i++) {
		uint32_t k = img->regions[i].rec.kind;
		if ((k == MTCP_RGN_VVAR || k == MTCP_RGN_VVAR_VCLOCK || k == MTCP_RGN_VDSO) &&
		    (!a->vdso.img_start || img->regions[i].rec.start < a->vdso.img_start))
			a->vdso.img_start = img->regions[i].rec.start;
	}
	a->vdso.img_end = a->vdso.img_start + (v.end - v.start);

	/* Everything mapped here now, less the hole and the kernel's own:
	 * no allocation may happen after this list is made. */
	{
		int mfd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
		static char mbuf[1 << 20];
		ssize_t len = 0, n;
		if (mfd < 0)
			die("cannot read /proc/self/maps");
		while ((n = read(mfd, mbuf + len, sizeof(mbuf) - 1 - (size_t)len)) > 0)
			len += n;
		close(mfd);
		mbuf[len] = '\0';
		for (char *line = mbuf; *line;) {
			char *nl = strchr(line, '\n');
			size_t ll = nl ? (size_t)(nl - line) : strlen(line);
			struct maps_entry e;
			if (!maps_parse_line(line, ll, &e) && !maps_path_is(&e, "[vdso]") &&
			    !maps_path_is(&e, "[vvar]") && !maps_path_is(&e, "[vvar_vclock]") &&
			    !maps_path_is(&e, "[vsyscall]") &&
			    !(e.start >= hole && e.end <= hole + hp.size)) {
				if (a->nunmap == nunmap_max)
					die("too many mappings");
				a->unmap[a->nunmap].start = e.start;
				a->unmap[a->nunmap].end = e.end;
				a->nunmap++;
			}
			line += ll + (nl ? 1 : 0);
		}
	}

	/* The kernel writes into a registered rseq area; ours is about to be
	 * unmapped (DESIGN.md). */
	if (o->rseq_size)
		syscall(SYS_rseq, (char *)__builtin_thread_pointer() + o->rseq_offset, o->rseq_size,
			1 /* RSEQ_FLAG_UNREGISTER */, 0x53053053);

	/* the point of no return */
	uint64_t stack_top = hole + hp.stack_off + MAIN_STACK - 64;
	/* a goes in %rdi by constraint: with "r" the compiler may give the
	 * jump target %rdi too, which a move into %rdi would overwrite */
	__asm__ volatile("movq %0, %%rsp\n\t"
			 "jmpq *%1\n\t"
			 :
			 : "r"(stack_top), "r"(hole + hp.blob_off), "D"(a)
			 : "memory");
	__builtin_unreachable();
}
