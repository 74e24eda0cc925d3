/* SPDX-License-Identifier: MIT */
/*
 * fd_save.h - saving the program's fds: fds.c lists them and decides each
 * one's kind, then hands each fd to the save half of its kind, one file per
 * kind (fd_file.c, fd_pipe.c, fd_eventfd.c, fd_epoll.c, fd_timerfd.c,
 * fd_signalfd.c, fd_unix.c, fd_socket.c, fd_inotify.c).  Each writes the
 * fd's FD record, then its object record (docs/format.md, "Kernel
 * objects"), or names what it cannot save with fd_degraded().
 *
 * Everything here runs while the program is parked: raw system calls,
 * no malloc, no stdio locks; large buffers come from the engine's scratch
 * area (the SCRATCH_FD_* pieces below, used by nothing else meanwhile).
 */
#ifndef MTCP_FD_SAVE_H
#define MTCP_FD_SAVE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "image-format.h"

struct img_writer;

/* Pieces of the engine's scratch area (64 MiB) for the fd pass. */
#define SCRATCH_FD_TABLE_OFF (40u << 20)  /* struct fd_entry[MTCP_MAX_FDS] */
#define SCRATCH_FD_TABLE_LEN (4u << 20)
#define SCRATCH_FD_DATA_OFF (44u << 20)   /* an object record being built */
#define SCRATCH_FD_DATA_LEN (18u << 20)
#define SCRATCH_FD_INFO_OFF (62u << 20)   /* fdinfo text, sock_diag answers */
#define SCRATCH_FD_INFO_LEN (2u << 20)

/* One fd of the program, from the first pass over /proc/self/fd. */
struct fd_entry {
	int fd;
	int same_as;          /* -1, or an earlier fd on the same open file description */
	uint32_t kind;        /* enum mtcp_fd_kind */
	uint32_t mode;        /* st_mode */
	uint32_t open_flags;  /* F_GETFL */
	uint32_t pad;
	uint64_t dev, ino;
};

struct fd_table {
	struct fd_entry *v;   /* in fd order */
	int n;
};

/* The fd being saved. */
struct fd_save {
	struct img_writer *w;
	const char *image;          /* the image's name, for messages */
	const struct fd_table *all; /* every fd of the program */
	const struct fd_entry *e;   /* this one */
	const char *link;           /* its /proc/self/fd link text */
	const struct stat *st;
	struct mtcp_rec_fd rec;     /* filled in: fd, flags, offset, identity,
	                               kind; the kind's half may change kind,
	                               data_len */
	char *err;
	size_t errlen;
};

/*
 * Writes the FD record with `path`, then, if obj_type is not 0, the
 * object record: obj (obj_len bytes) followed by tail (tail_len bytes).
 * The write error is named in s->err.  0 or -errno.
 */
int fd_emit(struct fd_save *s, const char *path, uint32_t obj_type, const void *obj,
	    size_t obj_len, const void *tail, size_t tail_len);

/* The FD record begun, with `path`: what else its payload holds is
 * appended (iw_append), then iw_end.  0 or -errno. */
int fd_record_start(struct fd_save *s, const char *path);

/* The fd entry on (dev, ino) other than `not_fd`, or NULL. */
const struct fd_entry *fd_find_ino(const struct fd_table *t, uint64_t dev, uint64_t ino,
				   int not_fd);
/* The entry of fd number `fd`, or NULL. */
const struct fd_entry *fd_find(const struct fd_table *t, int fd);

/* /proc/self/fdinfo/N into buf (NUL-terminated): its length or -errno. */
long fd_read_fdinfo(int fd, char *buf, size_t len);
/* The value of "key" in fdinfo text (key includes the colon), parsed with
 * base (0: as strtoull would); 0 if absent, *found says. */
uint64_t fd_info_u64(const char *info, const char *key, int base, int *found);
/* The number after "key" anywhere within one line (up to its '\n'; the
 * epoll and inotify lines hold several fields), spaces skipped, in base;
 * *ok: digits were found (their count). */
uint64_t fd_line_u64(const char *line, const char *key, int base, int *ok);

/* getsockopt of an int: 0, or -errno with *val left as it was. */
int fd_sockopt_int(int fd, int level, int opt, int *val);

/* An fd whose kind cannot be saved: an OTHER record (it reads as /dev/null
 * after a restart) and a degraded note saying so. */
int fd_save_unsupported(struct fd_save *s, const char *what);

/* The save halves, one per kind (the files named above). */
int fdk_file_save(struct fd_save *s);     /* REGULAR DELETED MEMFD DIR DEVICE TTY */
int fdk_pipe_save(struct fd_save *s);     /* PIPE FIFO */
int fdk_eventfd_save(struct fd_save *s);
int fdk_epoll_save(struct fd_save *s);
int fdk_timerfd_save(struct fd_save *s);
int fdk_signalfd_save(struct fd_save *s);
int fdk_unix_save(struct fd_save *s);
int fdk_socket_save(struct fd_save *s);
int fdk_inotify_save(struct fd_save *s);
/* fd_socket.c: socket options no record keeps, named where they are not
 * at their defaults (SO_RCVTIMEO, SO_SNDTIMEO, SO_LINGER, SO_RCVLOWAT,
 * SO_PRIORITY). */
void fd_note_unsaved_sockopts(const struct fd_save *s);

/* fd_filedata.c: the FILEDATA records, after the FD records: contents of
 * the open files matching MTCP_SAVE_FILES, and of small shared file
 * mappings under /tmp and /dev/shm.  0 or -errno with err filled in. */
int fd_filedata_write_all(struct img_writer *w, const char *image, const struct fd_table *t,
			  char *err, size_t errlen);

/*
 * degraded.c: what this checkpoint cannot bring back as it was.  Each
 * note becomes a DEGRADED record and is counted in the header; its
 * warning is printed once per object (fd, inode and text), again in a
 * restarted process, and again for a new object on the same fd number.
 */
void degraded_reset(void);                 /* at the start of a checkpoint */
void degraded_add(int fd, uint64_t ino, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
uint32_t degraded_count(void);
int degraded_write(struct img_writer *w);  /* the DEGRADED records */
const char *degraded_first(void);          /* the first note's text, or "" */
void degraded_forget_warnings(void);       /* after a restart */
void degraded_warn(void);                  /* the new notes' warnings, once the
                                              program runs again */

#endif
