/* SPDX-License-Identifier: MIT */
/*
 * cow.h - copy-on-write checkpoints: the program is parked only while a
 * snapshot of its memory is taken; a writer process writes the image from
 * it while the program runs (docs/architecture.md, "Copy-on-write
 * checkpoints").
 *
 * The snapshot is a raw clone() with no exit signal and no flags: the
 * kernel copies the page tables, and the clone, "the writer", owns a
 * frozen copy of every private mapping.  What a clone does not freeze is
 * copied while the program is parked:
 *   - shared mappings whose data the image holds (shared anonymous,
 *     memfd, SysV shm, a deleted file): the program can still write them;
 *   - the program's MADV_DONTFORK regions (missing in a clone) and
 *     MADV_WIPEONFORK ones (zero in a clone).  Nothing cheap tells these
 *     while the program is parked (only smaps, which walks every page
 *     table), so the writer finds them in its own maps and smaps; if the
 *     snapshot missed one, it writes nothing and asks for a new snapshot
 *     that copies it ("retry"), and they are copied from then on.
 * Each copy holds exactly the pages the image would hold (memory.h's
 * rules), in a private mapping that the writer moves over the region.
 *
 * The program does not see the writer: no SIGCHLD (no exit signal),
 * nothing for wait() or waitpid(-1) (only __WCLONE/__WALL reap it), no
 * atfork handler (no fork()), no fd of its own used (the writer closes all
 * but the image's at once).  The writer dies with the program
 * (PR_SET_PDEATHSIG), and the OOM killer takes it first (oom_score_adj
 * 1000).  Raw system calls only on the parked path.
 */
#ifndef MTCP_COW_H
#define MTCP_COW_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "image-format.h"
#include "memory.h"

enum cow_mode { COW_AUTO = 0, COW_ON = 1, COW_OFF = 2 };

#define COW_MAX_COPIES 512
#define COW_MAX_KNOWN 64

struct cow_copy {
	uint64_t start, end; /* the region (a piece of one mapping) */
	char *buf;           /* its copy: a private mapping of end - start bytes */
};

struct cow_snapshot {
	char *maps;            /* /proc/self/maps at the pause, in the arena */
	size_t maps_len;
	struct cow_copy *copies; /* in the arena */
	int ncopies;
	uint64_t copied;       /* bytes copied */
};

/* What the writer tells the control thread, in a shared page. */
enum { COW_RUNNING = 0, COW_DONE = 1, COW_FAILED = 2, COW_RETRY = 3 };
struct cow_result {
	volatile int32_t state;
	int32_t rc;
	char err[512];
	char final[MTCP_MAX_PATH];
	uint64_t write_ns, commit_ns; /* memory + records; fsync + link */
	uint64_t extra_kib;           /* memory the writer held alone at its end */
	uint64_t hflags;
	uint64_t image_sum, image_size; /* the END record's image_sum; the file's size */
	int32_t nhelpers;
	uint32_t nmissed;             /* COW_RETRY: regions the snapshot lacked */
	struct mem_range missed[COW_MAX_KNOWN];
	struct mem_stats st;
};

/* Once, at start: the arena (snapshot bookkeeping, inherited by the
 * writer) and the result page, both excluded from images. */
int cow_init(void);
/* A restarted process: map them again (they were never saved). */
int cow_after_restart(void);
struct cow_result *cow_result(void);
/* 1 if both were mapped. */
int cow_ready(void);

/*
 * cow_memory.c. Whether this checkpoint is taken with copy-on-write.  MTCP_COW=auto:
 * yes unless memory is short (MemAvailable, or what the cgroup allows,
 * below the resident size).  0: no, with the reason in why ("" when the
 * user asked for stop-the-world).
 */
int cow_wanted(int mode, uint64_t resident, char *why, size_t len);
/* One stderr line per kind of reason per process. */
enum { COW_WHY_MEMORY = 0, COW_WHY_CLONE, COW_WHY_SNAPSHOT, COW_WHY_NKINDS };
void cow_warn_once(int kind, const char *why);

/* Parked: /proc/self/maps and the copies.  ex: ranges never saved. */
int cow_snapshot(struct cow_snapshot *s, const struct mem_range *ex, int nex,
		 uint32_t memflags, void *scan_buf, size_t scan_len, char *err, size_t errlen);
/* The control thread, once the writer exists (or failed): unmap its copies. */
void cow_snapshot_drop(struct cow_snapshot *s);
/* Remember the regions a writer found missing, for every later snapshot. */
void cow_known_add(const struct cow_result *r);

/* A raw clone() with no exit signal: 0 in the writer, its pid, or -errno. */
long cow_clone(void);
/* The writer's first steps: die with parent, be the OOM killer's first
 * choice, name itself, close every fd but keep_fd, wait at the test gate. */
int cow_writer_enter(pid_t parent, int keep_fd, const char *gate);
/* The test gate (MTCP_TEST_WRITER_GATE): open the FIFO, read one byte.
 * The writer process waits there before it writes any memory, and so
 * does the control thread writing a copy-on-write increment (run_copy). */
void cow_gate_wait(const char *gate);
/* The writer: copies over their regions; then the regions the clone did
 * not carry (0, or how many went into r->missed). */
int cow_apply(struct cow_snapshot *s);
int cow_find_missed(const struct cow_snapshot *s, const struct mem_range *ex, int nex,
		    uint32_t memflags, char *buf, size_t buflen, struct cow_result *r);
/* cow_memory.c. The writer: KiB of memory only it holds (pages the program rewrote
 * since the snapshot, the copies, its buffers). */
uint64_t cow_extra_kib(char *buf, size_t buflen);

/* The control thread: waits for the writer.  0 with r->state COW_DONE or
 * COW_RETRY, or -errno with err set. */
int cow_wait(pid_t pid, char *err, size_t errlen);

#endif
