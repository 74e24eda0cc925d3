/* SPDX-License-Identifier: MIT */
/*
 * fds.c - the FD records: every open file descriptor of the program (not
 * the library's own).  A first pass lists them with their identity and
 * kind and finds the fds that share an open file description (kcmp), so
 * that a dup stays a dup; a second pass hands each description to the
 * save half of its kind (fd_save.h), and the DEGRADED notes follow.
 */
#include "engine.h"
#include "fd_save.h"
#include "image_writer.h"
#include "syscall.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <asm/termbits.h>
#include <asm/ioctls.h>
#include <linux/kcmp.h>

static int is_tty(int fd)
{
	char t[64]; /* struct termios of the kernel: 36 bytes */
	return raw_syscall3(SYS_ioctl, fd, TCGETS, (long)t) == 0;
}

static int starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The last fds_write_all saw an io_uring of the program's (track.c). */
static int saw_io_uring;

int fds_saw_io_uring(void)
{
	return saw_io_uring;
}

static uint32_t kind_of(int fd, const struct stat *st, const char *link)
{
	static const char del[] = " (deleted)";
	size_t pl = strlen(link);

	switch (st->st_mode & S_IFMT) {
	case S_IFREG:
		if (starts(link, "/memfd:"))
			return MTCP_FD_MEMFD;
		if (st->st_nlink == 0 ||
		    (pl > sizeof(del) - 1 && !strcmp(link + pl - (sizeof(del) - 1), del)))
			return MTCP_FD_DELETED;
		return MTCP_FD_REGULAR;
	case S_IFDIR:
		return MTCP_FD_DIR;
	case S_IFCHR:
		return is_tty(fd) ? MTCP_FD_TTY : MTCP_FD_DEVICE;
	case S_IFBLK:
		return MTCP_FD_DEVICE;
	case S_IFIFO:
		return starts(link, "pipe:[") ? MTCP_FD_PIPE : MTCP_FD_FIFO;
	case S_IFSOCK: {
		int dom = -1;
		socklen_t l = sizeof(dom);
		if (raw_syscall5(SYS_getsockopt, fd, SOL_SOCKET, SO_DOMAIN, (long)&dom, (long)&l))
			return MTCP_FD_OTHER;
		return dom == AF_UNIX ? MTCP_FD_UNIX : MTCP_FD_SOCKET;
	}
	}
	if (!strcmp(link, "anon_inode:[eventfd]"))
		return MTCP_FD_EVENTFD;
	if (!strcmp(link, "anon_inode:[eventpoll]"))
		return MTCP_FD_EPOLL;
	if (!strcmp(link, "anon_inode:[timerfd]"))
		return MTCP_FD_TIMERFD;
	if (!strcmp(link, "anon_inode:[signalfd]"))
		return MTCP_FD_SIGNALFD;
	if (!strcmp(link, "anon_inode:inotify"))
		return MTCP_FD_INOTIFY;
	if (!strcmp(link, "anon_inode:[io_uring]"))
		saw_io_uring = 1;
	return MTCP_FD_OTHER;
}

const struct fd_entry *fd_find(const struct fd_table *t, int fd)
{
	int lo = 0, hi = t->n;
	while (lo < hi) { /* the table is in fd order */
		int mid = (lo + hi) / 2;
		if (t->v[mid].fd == fd)
			return &t->v[mid];
		if (t->v[mid].fd < fd)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct fd_entry *fd_find_ino(const struct fd_table *t, uint64_t dev, uint64_t ino,
				   int not_fd)
{
	for (int i = 0; i < t->n; i++)
		if (t->v[i].ino == ino && t->v[i].dev == dev && t->v[i].fd != not_fd)
			return &t->v[i];
	return NULL;
}

long fd_read_fdinfo(int fd, char *buf, size_t len)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	return util_read_file(path, buf, len);
}

/* The number in base at p, up to end or the first character that is not
 * one of its digits; *n: how many digits there were. */
static uint64_t parse_digits(const char *p, const char *end, int base, int *n)
{
	uint64_t v = 0;

	*n = 0;
	for (; p < end; p++) {
		int d = *p >= '0' && *p <= '9' ? *p - '0'
			: *p >= 'a' && *p <= 'f' ? *p - 'a' + 10
			: *p >= 'A' && *p <= 'F' ? *p - 'A' + 10 : 99;
		if (d >= base)
			break;
		v = v * (uint64_t)base + (uint64_t)d;
		(*n)++;
	}
	return v;
}

static const char *line_end(const char *line)
{
	const char *end = strchr(line, '\n');
	return end ? end : line + strlen(line);
}

uint64_t fd_info_u64(const char *info, const char *key, int base, int *found)
{
	const char *p = info;
	size_t kl = strlen(key);
	int n;

	if (found)
		*found = 0;
	for (; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, key, kl))
			continue;
		p += kl;
		while (*p == ' ' || *p == '\t')
			p++;
		if (base == 0 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
			base = 16;
			p += 2;
		} else if (base == 0) {
			base = p[0] == '0' ? 8 : 10;
		}
		if (found)
			*found = 1;
		return parse_digits(p, line_end(p), base, &n);
	}
	return 0;
}

uint64_t fd_line_u64(const char *line, const char *key, int base, int *ok)
{
	const char *end = line_end(line);
	size_t kl = strlen(key);

	*ok = 0;
	for (const char *p = line; p + kl <= end; p++) {
		if (strncmp(p, key, kl))
			continue;
		p += kl;
		while (p < end && *p == ' ')
			p++;
		return parse_digits(p, end, base, ok);
	}
	return 0;
}

int fd_sockopt_int(int fd, int level, int opt, int *val)
{
	socklen_t l = sizeof(*val);
	return (int)raw_syscall5(SYS_getsockopt, fd, level, opt, (long)val, (long)&l);
}

int fd_record_start(struct fd_save *s, const char *path)
{
	int rc;

	s->rec.path_len = (uint32_t)strlen(path);
	rc = iw_begin(s->w, MTCP_REC_FD);
	if (!rc)
		rc = iw_append(s->w, &s->rec, sizeof(s->rec));
	if (!rc)
		rc = iw_append(s->w, path, s->rec.path_len);
	return rc;
}

int fd_emit(struct fd_save *s, const char *path, uint32_t obj_type, const void *obj,
	    size_t obj_len, const void *tail, size_t tail_len)
{
	int rc = fd_record_start(s, path);

	if (!rc)
		rc = iw_end(s->w);
	if (!rc && obj_type)
		rc = iw_record(s->w, obj_type, obj, obj_len, tail, tail_len);
	if (rc)
		snprintf(s->err, s->errlen, "cannot write %s: %s (while saving fd %d)", s->image,
			 strerror(-rc), s->e->fd);
	return rc;
}

int fd_save_unsupported(struct fd_save *s, const char *what)
{
	s->rec.kind = MTCP_FD_OTHER;
	degraded_add(s->e->fd, s->e->ino, "fd %d (%s%s%s) cannot be checkpointed; after a "
		     "restart it reads as /dev/null", s->e->fd, s->link, what[0] ? ", " : "",
		     what);
	return fd_emit(s, s->link, 0, NULL, 0, NULL, 0);
}

/* Pass 1: the program's fds, in order, with kind and identity. */
static int list_fds(struct fd_table *t, char *err, size_t errlen)
{
	struct engine *e = &mtcp_engine;
	char buf[4096];
	long dfd = raw_syscall4(SYS_openat, AT_FDCWD, (long)"/proc/self/fd",
				O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	const int max = (int)(SCRATCH_FD_TABLE_LEN / sizeof(struct fd_entry));
	int rc = 0;

	t->v = (struct fd_entry *)(e->scratch + SCRATCH_FD_TABLE_OFF);
	t->n = 0;
	if (dfd < 0) {
		snprintf(err, errlen, "cannot list /proc/self/fd: %s", strerror((int)-dfd));
		return (int)dfd;
	}
	for (;;) {
		long got = raw_syscall3(SYS_getdents64, dfd, (long)buf, sizeof(buf));
		if (got <= 0) {
			if (got < 0)
				rc = (int)got;
			break;
		}
		for (long off = 0; off < got;) {
			const char *name = buf + off + 19;
			unsigned short reclen;
			int fd = 0;
			memcpy(&reclen, buf + off + 16, sizeof(reclen));
			off += reclen;
			if (name[0] < '0' || name[0] > '9')
				continue;
			for (const char *c = name; *c; c++)
				fd = fd * 10 + (*c - '0');
			/* the library's own (owned.h: the image among them) */
			if (fd == (int)dfd || owned_fd_is(fd))
				continue;
			if (t->n == max) {
				snprintf(err, errlen, "more than %d open fds", max);
				rc = -EMFILE;
				break;
			}
			t->v[t->n].fd = fd;
			t->n++;
		}
		if (rc)
			break;
	}
	raw_syscall1(SYS_close, dfd);
	if (rc)
		return rc;
	/* getdents order is the kernel's: sort by fd (insertion, nearly sorted) */
	for (int i = 1; i < t->n; i++) {
		struct fd_entry x = t->v[i];
		int j = i;
		for (; j > 0 && t->v[j - 1].fd > x.fd; j--)
			t->v[j] = t->v[j - 1];
		t->v[j] = x;
	}
	return 0;
}

/* Fills an entry (again: only link and st, in pass 2); 0, or 1 if the fd
 * was closed meanwhile (by us). */
static int describe(struct fd_entry *x, struct stat *st, char *link, size_t linklen, int again)
{
	char proc[64];
	long n;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", x->fd);
	n = raw_syscall4(SYS_readlinkat, AT_FDCWD, (long)proc, (long)link, (long)linklen - 1);
	if (n < 0 || raw_syscall2(SYS_fstat, x->fd, (long)st))
		return 1;
	link[n] = '\0';
	if (again) /* pass 2: the link and the stat; the rest is known */
		return 0;
	x->mode = st->st_mode;
	x->dev = st->st_dev;
	x->ino = st->st_ino;
	x->open_flags = (uint32_t)raw_syscall2(SYS_fcntl, x->fd, F_GETFL);
	x->kind = kind_of(x->fd, st, link);
	x->same_as = -1;
	return 0;
}

/*
 * Earlier fds on the same open file description.  kcmp(KCMP_FILE) says
 * whether two fds share one, and otherwise orders them (by the kernel's
 * obfuscated pointers): the fds are sorted by (device, inode, that order)
 * and equal neighbours are dups.  Sorting matters: every eventfd, timerfd,
 * signalfd and epoll set of a process shares one anonymous inode, and
 * comparing each with all the others took 0.2 s for 500 of them.
 */
struct dup_sort {
	const struct fd_table *t;
	long me;
};

static int cmp_desc(const struct dup_sort *d, int a, int b)
{
	const struct fd_entry *x = &d->t->v[a], *y = &d->t->v[b];
	long k;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	k = raw_syscall5(SYS_kcmp, d->me, d->me, KCMP_FILE, x->fd, y->fd);
	if (k == 0)
		return 0;
	if (k == 1)
		return -1;
	if (k == 2)
		return 1;
	return x->fd < y->fd ? -1 : 1; /* no kcmp here: no dups found */
}

/* Merge sort of idx[0..n) (tmp: n more), stable. */
static void sort_desc(const struct dup_sort *d, int *idx, int *tmp, int n)
{
	for (int w = 1; w < n; w *= 2) {
		for (int lo = 0; lo < n; lo += 2 * w) {
			int mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
			int i = lo, j = mid, k = lo;
			while (i < mid && j < hi)
				tmp[k++] = cmp_desc(d, idx[i], idx[j]) <= 0 ? idx[i++] : idx[j++];
			while (i < mid)
				tmp[k++] = idx[i++];
			while (j < hi)
				tmp[k++] = idx[j++];
		}
		memcpy(idx, tmp, (size_t)n * sizeof(*idx));
	}
}

static void find_dups(struct fd_table *t)
{
	struct engine *e = &mtcp_engine;
	int *idx = (int *)(e->scratch + SCRATCH_FD_INFO_OFF), *tmp = idx + t->n;
	struct dup_sort d = { t, raw_syscall0(SYS_getpid) };

	if ((size_t)t->n * 2 * sizeof(int) > SCRATCH_FD_INFO_LEN)
		return; /* cannot happen: MTCP_MAX_FDS fit */
	for (int i = 0; i < t->n; i++)
		idx[i] = i;
	sort_desc(&d, idx, tmp, t->n);
	/* a run of one description: every fd of it is a dup of its lowest
	 * (the table is in fd order, and the sort is stable) */
	for (int i = 1; i < t->n; i++) {
		const struct fd_entry *prev = &t->v[idx[i - 1]];
		struct fd_entry *x = &t->v[idx[i]];
		if (prev->ino == x->ino && prev->dev == x->dev && cmp_desc(&d, idx[i - 1], idx[i]) == 0)
			x->same_as = prev->same_as >= 0 ? prev->same_as : prev->fd;
	}
}

/* A lock held through this description (fdinfo's "lock:" lines): the
 * restarted program would believe it still holds it. */
static void note_locks(const struct fd_save *s)
{
	struct engine *e = &mtcp_engine;
	char *info = e->scratch + SCRATCH_FD_INFO_OFF;

	if (s->rec.kind != MTCP_FD_REGULAR && s->rec.kind != MTCP_FD_DIR &&
	    s->rec.kind != MTCP_FD_DELETED && s->rec.kind != MTCP_FD_MEMFD &&
	    s->rec.kind != MTCP_FD_DEVICE)
		return;
	if (fd_read_fdinfo(s->e->fd, info, SCRATCH_FD_INFO_LEN) > 0 && strstr(info, "\nlock:"))
		degraded_add(s->e->fd, s->e->ino, "fd %d (%s) holds a file lock (flock or fcntl); "
			     "after a restart it is not held", s->e->fd, s->link);
}

static int save_one(struct fd_save *s)
{
	switch (s->rec.kind) {
	case MTCP_FD_REGULAR:
	case MTCP_FD_DELETED:
	case MTCP_FD_MEMFD:
	case MTCP_FD_DIR:
	case MTCP_FD_DEVICE:
	case MTCP_FD_TTY:
		return fdk_file_save(s);
	case MTCP_FD_PIPE:
	case MTCP_FD_FIFO:
		return fdk_pipe_save(s);
	case MTCP_FD_EVENTFD:
		return fdk_eventfd_save(s);
	case MTCP_FD_EPOLL:
		return fdk_epoll_save(s);
	case MTCP_FD_TIMERFD:
		return fdk_timerfd_save(s);
	case MTCP_FD_SIGNALFD:
		return fdk_signalfd_save(s);
	case MTCP_FD_UNIX:
		return fdk_unix_save(s);
	case MTCP_FD_SOCKET:
		return fdk_socket_save(s);
	case MTCP_FD_INOTIFY:
		return fdk_inotify_save(s);
	default:
		return fd_save_unsupported(s, "");
	}
}

int fds_write_all(struct img_writer *w, const char *image, uint32_t *nfds, char *err,
		  size_t errlen)
{
	static char links[2][MTCP_MAX_PATH];
	struct fd_table t;
	struct stat st;
	int rc;

	*nfds = 0;
	saw_io_uring = 0;
	rc = list_fds(&t, err, errlen);
	if (rc)
		return rc;
	/* closed meanwhile (by the library): dropped */
	int n = 0;
	for (int i = 0; i < t.n; i++)
		if (!describe(&t.v[i], &st, links[0], sizeof(links[0]), 0))
			t.v[n++] = t.v[i];
	t.n = n;
	find_dups(&t);

	for (int i = 0; i < t.n && !rc; i++) {
		struct fd_save s;
		struct fd_entry *x = &t.v[i];
		if (describe(x, &st, links[1], sizeof(links[1]), 1))
			continue;
		memset(&s, 0, sizeof(s));
		s.w = w;
		s.image = image;
		s.all = &t;
		s.e = x;
		s.link = links[1];
		s.st = &st;
		s.err = err;
		s.errlen = errlen;
		s.rec.fd = (uint32_t)x->fd;
		s.rec.kind = x->kind;
		s.rec.open_flags = x->open_flags;
		s.rec.fd_flags = (uint32_t)raw_syscall2(SYS_fcntl, x->fd, F_GETFD);
		s.rec.dev = st.st_dev;
		s.rec.ino = st.st_ino;
		s.rec.size = (uint64_t)st.st_size;
		s.rec.mtime_ns = (uint64_t)st.st_mtim.tv_sec * 1000000000ull +
				 (uint64_t)st.st_mtim.tv_nsec;
		if (x->same_as >= 0) {
			/* a dup: the record of the first fd says it all */
			const struct fd_entry *first = fd_find(&t, x->same_as);
			s.rec.kind = first ? first->kind : x->kind;
			s.rec.same_as = (uint32_t)x->same_as + 1;
			rc = fd_emit(&s, links[1], 0, NULL, 0, NULL, 0);
		} else {
			note_locks(&s);
			rc = save_one(&s);
			x->kind = s.rec.kind; /* what its dups say they are */
		}
		if (!rc)
			(*nfds)++;
	}
	if (!rc)
		rc = fd_filedata_write_all(w, image, &t, err, errlen);
	return rc;
}
