/* SPDX-License-Identifier: MIT */
/*
 * engine.h - state shared by the parts of the in-process runtime: the
 * configuration, the control thread, the suspension protocol and the
 * capture of process state.
 */
#ifndef MTCP_ENGINE_H
#define MTCP_ENGINE_H

#include <stdint.h>
#include <signal.h>
#include <sys/types.h>

#include "image-format.h"
#include "owned.h"

#define LOG_PREFIX_ENGINE "mtcp: "

#define MTCP_DEFAULT_FULL_EVERY 8

struct mtcp_config {
	char dir[MTCP_MAX_PATH]; /* absolute image directory ("" until given, under AT_SECURE) */
	int dir_tmpfile;         /* 1: O_TMPFILE works in dir (probed by config_check_dir) */
	double interval;         /* seconds, 0: on demand only */
	int signal;              /* checkpoint signal */
	int on_term;             /* MTCP_ON_TERM: a final checkpoint on this signal
	                            (0: off), on_term.c */
	int keep;                /* images kept */
	/* the writer */
	int write_mode;          /* CFG_WRITE_*: MTCP_WRITE */
	int scan_pagemap;        /* 1: /proc/self/pagemap even if PAGEMAP_SCAN exists */
	int compress;            /* 1: lz4 where it pays */
	int lz4_accel;           /* LZ4 acceleration, 1 = best ratio */
	int helpers;             /* helper threads, 0..8 */
	int file_pages;          /* 1: private file pages saved, not referenced */
	int fsync_async;         /* 1: rename first, fsync after the program resumed */
	int direct;              /* CFG_DIRECT_*: MTCP_DIRECT */
	int strict;              /* 1: a degraded checkpoint fails (MTCP_STRICT) */
	int cow;                 /* enum cow_mode (cow.h): MTCP_COW */
	int full_every;          /* MTCP_FULL_EVERY: a full image at least every N
	                            checkpoints (1: never incremental) */
	char writer_gate[256];   /* MTCP_TEST_WRITER_GATE (a test hook, cow.h) */
	char save_files[MTCP_MAX_PATH]; /* MTCP_SAVE_FILES: patterns separated by ':'
	                                   ("": none), fd_filedata.c */
};
enum { CFG_DIRECT_AUTO = 0, CFG_DIRECT_ALWAYS = 1, CFG_DIRECT_NEVER = 2 };
enum { CFG_WRITE_AUTO = 0, CFG_WRITE_URING = 1, CFG_WRITE_PLAIN = 2 };

/* Per-thread slot of one checkpoint.  States move FREE -> SIGNALLED ->
 * PARKED (or DEFERRED -> PARKED, or GONE when the thread exited). */
enum slot_state { SLOT_FREE = 0, SLOT_SIGNALLED, SLOT_DEFERRED, SLOT_PARKED, SLOT_GONE };

struct thread_slot {
	volatile int state;
	pid_t tid;
	uint64_t signalled_ns;
	struct mtcp_rec_thread rec;
};

/* Address ranges that belong to the library and are never saved. */
#define MAX_EXCLUDED 16
struct excluded_range {
	uint64_t start, end;
};

struct engine {
	int initialised;
	int verbose;               /* MTCP_VERBOSE=1: timings of each checkpoint on stderr */
	int inert;                 /* in a fork()ed child: do nothing */
	struct mtcp_config cfg;
	pid_t pid;
	pid_t ctl_tid;
	uint64_t seq;              /* images written by this lineage (identity.h) */

	/* suspension */
	volatile uint32_t parked;      /* futex: threads parked */
	volatile uint32_t release_gen; /* futex: bumped to release parked threads */
	volatile int in_checkpoint;
	struct thread_slot *slots; /* MTCP_MAX_THREADS, reserved memory */
	int nslots;

	/* requests: mtcp_checkpoint() callers and the socket */
	volatile uint32_t req_gen;     /* futex: bumped by requesters */
	volatile uint32_t done_gen;    /* futex: bumped when a checkpoint ends */
	volatile int last_result;      /* MTCP_CHECKPOINTED or -errno */
	int listen_fd[1 + MTCP_MAX_ALIASES];
	int nlisten;

	/* kept images: a ring of this lineage's last `keep` paths (emptied
	 * by a restart: a new lineage prunes only its own images) */
	char (*kept)[MTCP_MAX_PATH];   /* 1000 entries */
	int nkept;
	char last_image[MTCP_MAX_PATH];
	uint32_t last_degraded;        /* DEGRADED notes of last_image */
	uint64_t last_pause_ns;        /* how long the program was parked for it */
	volatile uint32_t served_req;  /* req_gen as read before the last finished
	                                  checkpoint's snapshot: requests up to it
	                                  are answered by it */

	/* library-owned memory */
	struct excluded_range excluded[MAX_EXCLUDED];
	int nexcluded;
	struct excluded_range volatile_r[8]; /* saved, but change while saved */
	int nvolatile;
	char *scratch;             /* large scratch buffer for /proc files */
	size_t scratch_len;

	/* glibc facts, found at init */
	long rseq_offset;          /* __rseq_offset, or 0 */
	unsigned rseq_size;        /* registered size, 0: not registered */
	int tid_offset;            /* offset of the tid in struct pthread, -1 unknown */

	struct mtcp_ctx ctl_ctx;   /* the control thread's context at the checkpoint */
};

extern struct engine mtcp_engine;
extern struct mtcp_restart_info mtcp_restart_info;

/* api.c */
int engine_init(const void *opts, int from_constructor);

/* config.c */
int config_from_env(struct mtcp_config *cfg, char *err, size_t errlen);
/* The termination signal is not the checkpoint signal. */
int config_check_on_term(const struct mtcp_config *cfg, char *err, size_t errlen);
int config_apply_options(struct mtcp_config *cfg, const void *opts, char *err, size_t errlen);
/* The image directory is usable: given (AT_SECURE), not writable by
 * others unless sticky, a file can be created in it.  Sets dir_tmpfile. */
int config_check_dir(struct mtcp_config *cfg, char *err, size_t errlen);

/* interpose.c */
int interpose_init(void);
int real_sigaction(int sig, const struct sigaction *act, struct sigaction *old);

/* fd_inotify.c: the paths of inotify watches, recorded by the interposed
 * inotify_add_watch/inotify_rm_watch */
void inotify_note_add(int fd, int wd, const char *path, uint32_t mask);
void inotify_note_rm(int fd, int wd);

/* on_term.c: the final checkpoint on the termination signal */
int on_term_signal(void);             /* the signal, 0 when off */
uint64_t on_term_pending_mask(void);  /* its bit: never pending in an image */
int on_term_install(int sig);
/* mtcp_init() again with another signal (0: off): the old one gets the
 * program's disposition back, the new one the library's handler */
int on_term_switch(int old_sig, int new_sig);
/* sigaction() on the signal: the program's disposition, kept aside */
int on_term_sigaction(int sig, const struct sigaction *act, struct sigaction *old);
/* A signal taken by a handler or a sigwait: 1 if the program gets it now
 * (*si is then what it sees), 0 if it is (part of) a request. */
int on_term_take(siginfo_t *si);
int on_term_requested(void);          /* a request waits for the control thread */
int on_term_ctl_may_take(void);       /* the control thread may unblock it */
void on_term_deliver(int result, const char *err); /* after the checkpoint */
void on_term_after_restart(void);

/* suspend.c */
int suspend_install_handler(int sig);
int suspend_all(char *err, size_t errlen);
void suspend_release_all(void);
void suspend_reset_after_restart(void);
void suspend_redeliver(int idx);
void suspend_capture_self(struct mtcp_rec_thread *r, pid_t tid, uint32_t flags,
			  uint64_t resume_addr);

/* ctl.c */
int ctl_start(void);
int ctl_listen(void);
void ctl_wake(void);
void ctl_serve_until(int fd);

/* checkpoint.c */
/* last_before_term: the image is the last before the termination signal acts
 * (MTCP_ON_TERM, on_term.c) */
int checkpoint_run(int last_before_term, char *err, size_t errlen);
int checkpoint_init(void);              /* the writer's memory, once */

/* procstate.c */
int procstate_capture(struct mtcp_rec_proc *proc, char *cwd, char *exe,
		      struct mtcp_rec_sigact *sigact, char *err, size_t errlen);

uint64_t procstate_sigset_from_status(const char *status, const char *key);

/* fds.c */
struct img_writer;
/* image: the image's name, for messages */
/* The program held an io_uring at the last fds_write_all (incremental
 * images need a program without one: track.h). */
int fds_saw_io_uring(void);
int fds_write_all(struct img_writer *w, const char *image, uint32_t *nfds, char *err,
		  size_t errlen);
/* The library's own fds are never saved: owned_fd_is() (owned.h). */

/* util.c: raw-syscall helpers safe on the parked path */
uint64_t util_now_ns(void);
/* A timeout until monotonic time at (0: none) in *ts; NULL if none. */
struct timespec *util_timeout_until(uint64_t at, uint64_t now, struct timespec *ts);
long util_read_file(const char *path, char *buf, size_t len);
void util_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int util_excluded_add(uint64_t start, uint64_t len);
void *util_reserve(void **where, size_t len);
int util_reserve_again(void);
int util_reserve_in_child(void);

/* ctx.S */
int mtcp_ctx_save(struct mtcp_ctx *ctx) __attribute__((returns_twice));
void mtcp_resume_stub(void);

#endif
