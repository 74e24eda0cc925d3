/* SPDX-License-Identifier: MIT */
/*
 * mtcp.h - public API of libmtcp-fast, a transparent user-level
 * checkpoint/restart library for multithreaded Linux processes.
 *
 * Introduction
 *
 *   A program either links libmtcp-fast and calls mtcp_init(), or runs
 *   unchanged under `mtcp_launch`, which preloads the library.  A control
 *   thread then takes checkpoints periodically (an interval) and on demand
 *   (mtcp_checkpoint(), or `mtcp_checkpoint PID` from outside):
 *
 *     suspend  -> every thread gets the checkpoint signal and parks itself
 *     capture  -> threads, registers, TLS, fds, signal state, memory map
 *     write    -> only pages that were ever touched, with checksums
 *     commit   -> fsync, rename over a temporary name, keep the last N
 *     resume   -> threads are released and go on
 *
 *   `mtcp_restart IMAGE` rebuilds the process at the same addresses with all
 *   its threads.
 *
 * Errors follow the -errno convention: a negative return value is a
 * negated errno code, and errno itself is never relied upon.
 */
#ifndef MTCP_H
#define MTCP_H

#ifdef __cplusplus
extern "C" {
#endif

#if defined(MTCP_BUILDING_LIBRARY)
#define MTCP_API __attribute__((visibility("default")))
#else
#define MTCP_API
#endif

/*-************************************
 *  Version
 **************************************/
#define MTCP_VERSION_MAJOR 0   /* for breaking interface changes */
#define MTCP_VERSION_MINOR 1   /* for new (non-breaking) interface capabilities */
#define MTCP_VERSION_RELEASE 0 /* for tweaks, bug fixes, or development */
#define MTCP_VERSION_NUMBER \
	(MTCP_VERSION_MAJOR * 10000 + MTCP_VERSION_MINOR * 100 + MTCP_VERSION_RELEASE)

/*! mtcp_version_number() :
 *  @return : MTCP_VERSION_NUMBER of the library actually loaded. */
MTCP_API int mtcp_version_number(void);

/*-************************************
 *  Options
 **************************************/

/* Bits of mtcp_options.set: which fields of the struct are meant.  A field
 * whose bit is clear is taken from the environment (MTCP_DIR,
 * MTCP_INTERVAL, MTCP_SIGNAL, MTCP_KEEP), or else from the default.  A
 * setuid or setgid program (AT_SECURE) ignores the environment, and has no
 * default image directory: mtcp_init() fails unless MTCP_OPT_DIR is set. */
#define MTCP_OPT_DIR (1u << 0)
#define MTCP_OPT_INTERVAL (1u << 1)
#define MTCP_OPT_SIGNAL (1u << 2)
#define MTCP_OPT_KEEP (1u << 3)
#define MTCP_OPT_STRICT (1u << 4)
#define MTCP_OPT_ON_TERM (1u << 5)

/* The default checkpoint signal: SIGRTMAX - 2 as the program sees it
 * (kernel signal 62 with glibc).  The JVM uses SIGUSR2, glibc keeps kernel
 * signals 32 and 33 for itself, and applications that use real-time
 * signals usually count up from SIGRTMIN. */
#define MTCP_DEFAULT_SIGNAL 62
#define MTCP_DEFAULT_KEEP 2

struct mtcp_options {
	unsigned set;         /* MTCP_OPT_* bits: which of the fields below are given */
	const char *dir;      /* image directory; default "." (the current directory at init);
	                         required in a setuid or setgid program, which ignores MTCP_* */
	double interval;      /* seconds between checkpoints, may be fractional; 0: on demand only */
	int signal;           /* checkpoint signal number: SIGRTMIN..SIGRTMAX (34..64), or
	                         1..31 except SIGKILL, SIGSTOP, SIGSEGV, SIGBUS, SIGILL,
	                         SIGFPE, SIGABRT, SIGTRAP, SIGCHLD, SIGCONT */
	int keep;             /* how many images of this lineage to keep, >= 1; default 2 */
	int strict;           /* 1: a checkpoint that would be degraded (something in the
	                         process would not come back as it was: mtcp_restart
	                         --verify lists what) fails, and the previous image is
	                         kept; 0 (default): it is written and said to be degraded.
	                         MTCP_STRICT=1 in the environment does the same. */
	int on_term;          /* a signal number (SIGTERM, say): when it comes from outside
	                         the process, a final checkpoint is taken and made durable,
	                         and only then does the program's own disposition of the
	                         signal act (its handler runs, or the default ends it);
	                         0: off (default).  As MTCP_ON_TERM in the environment.
	                         Not the checkpoint signal, nor SIGTSTP, SIGTTIN, SIGTTOU,
	                         SIGURG, SIGWINCH or a signal `signal` may not be. */
	unsigned reserved[6]; /* must be zero for forward compatibility */
};

#define MTCP_OPTIONS_INIT {0, 0, 0.0, 0, 0, 0, 0, {0}}

/*-************************************
 *  Initialisation
 **************************************/

/*! mtcp_init() :
 *  Starts the checkpointer in this process: installs the checkpoint signal
 *  handler and starts the control thread.  `opts` may be NULL (everything
 *  from the environment and the defaults).  Options given here win over
 *  the environment, which wins over the defaults.
 *  @return : 0 on success; -EINVAL for an option out of range (nothing
 *            changed) or no image directory in a setuid program; -EPERM for
 *            an image directory other users can write (not sticky), or the
 *            error of creating a file in it; or another -errno if the
 *            control thread could not be started.  The library prints why,
 *            in one line; a first call that fails starts no control thread.
 *  Note 1 : calling it again (or after the preloaded library initialised
 *           itself) applies the options given and returns 0: a library both
 *           linked and preloaded initialises once.
 *  Note 2 : call it from an ordinary thread, not from a signal handler.
 *  Note 3 : children made by fork() are not checkpointed; in them the
 *           library stays inert. */
MTCP_API int mtcp_init(const struct mtcp_options *opts);

/*-************************************
 *  Checkpoints
 **************************************/

#define MTCP_CHECKPOINTED 1 /* the image was written; the program goes on */
#define MTCP_RESTARTED 2    /* the program was just restarted from an image */

/*! mtcp_checkpoint() :
 *  Takes a checkpoint now and waits for it.  Like fork(), it "returns
 *  twice": once in the running program when the image is complete and
 *  durable, and once more in every process restarted from that image.
 *  With copy-on-write (MTCP_COW=auto, the default, or 1) the program's
 *  threads are parked only while a snapshot is taken; then they run on
 *  while a writer process writes the image, and only the calling thread
 *  waits for it.  With MTCP_COW=0 every thread stays parked until the
 *  image is on disk.
 *  @return : MTCP_CHECKPOINTED after the image was written and committed;
 *            MTCP_RESTARTED when the process was just restarted from the
 *            image this call produced;
 *            -ENOTCONN if mtcp_init() was never called (and the library is
 *            not preloaded); -EDEADLK if called while this thread is inside
 *            an mtcp_disable() section (the checkpoint would wait for the
 *            section to end forever); -errno of the failure otherwise (the
 *            previous images are left whole).
 *  Note 1 : it uses only system calls and futexes, so it may be called from
 *           a signal handler; the handler's thread is suspended with the
 *           others as usual.
 *  Note 2 : one checkpoint at a time.  A request made while another
 *           checkpoint's image is still being written is served by a new
 *           checkpoint whose snapshot is taken once that image is done:
 *           its answer never comes from a snapshot taken before it asked. */
MTCP_API int mtcp_checkpoint(void);

/*! mtcp_restart_count() :
 *  @return : how many restarts the running process has been through: 0 in
 *  a process that was launched, 1 after one restart from an image, and so
 *  on along a chain of images.  The restorer counts a restart before any
 *  thread of the program runs again, so a thread that was running when
 *  the image was taken sees the new count at its next instruction. */
MTCP_API unsigned long mtcp_restart_count(void);

/*! mtcp_last_image() :
 *  Copies the path of the most recent image written by this process into
 *  `buf` (NUL-terminated, truncated to `len`).
 *  @return : the length of the path, 0 if none was written yet. */
MTCP_API int mtcp_last_image(char *buf, unsigned long len);

/*! mtcp_last_degraded() :
 *  @return : 0 if the most recent image is complete (everything in it
 *  comes back as it was), else the number of objects that will not
 *  (`mtcp_restart --verify IMAGE` lists them). */
MTCP_API int mtcp_last_degraded(void);

/*-************************************
 *  Critical sections (the paper's RUNDISABLED state)
 **************************************/

/*! mtcp_disable() :
 *  Keeps checkpoints out of the calling thread until the matching
 *  mtcp_enable().  Sections nest (a counter per thread).  A checkpoint
 *  that starts meanwhile suspends every other thread, then waits until
 *  this thread leaves its outermost section; so keep sections short.
 *  Async-signal-safe: it only touches a thread-local counter. */
MTCP_API void mtcp_disable(void);

/*! mtcp_enable() :
 *  Ends a section begun by mtcp_disable().  When the outermost section
 *  ends and a checkpoint is waiting for this thread, the thread is
 *  suspended right here.  Async-signal-safe.  Unbalanced calls are
 *  ignored. */
MTCP_API void mtcp_enable(void);

#ifdef __cplusplus
}
#endif

#endif /* MTCP_H */
