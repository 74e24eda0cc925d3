/* SPDX-License-Identifier: MIT */
/*
 * workers.h - the writer's helper threads: they encode chunks (zero check,
 * lz4, crc32c) on every core while the control thread streams the results
 * to the file.
 *
 * They are started for each checkpoint before the program is parked and
 * stopped before it resumes.  Each is a raw clone() thread sharing the
 * control thread's TLS pointer, which it never writes: it runs only
 * chunk_encode (lz4, which reads the stack canary, and our own code), waits
 * on futexes and takes no lock, so a parked thread holding a glibc or
 * loader lock cannot stop it.  All signals are blocked in it.  Its stack
 * is library memory, excluded from images; suspend skips its tid.
 */
#ifndef MTCP_WORKERS_H
#define MTCP_WORKERS_H

#include <stdint.h>
#include "chunk.h"

#define WK_MAX_HELPERS 8
#define WK_NSLOTS 6                 /* chunks in flight (encoding or writing) */
#define WK_STACK (256u << 10)

enum wk_slot_state { WK_FREE = 0, WK_QUEUED, WK_RUNNING, WK_DONE, WK_WRITING };

struct wk_slot {
	volatile int32_t state;     /* enum wk_slot_state */
	int32_t inflight;           /* writes of this slot not yet completed */
	uint64_t seq;               /* order of queuing */
	struct chunk_job *job;
};

/* Memory the engine reserves once (excluded from images). */
struct wk_memory {
	char *out[WK_NSLOTS];       /* CHUNK_OUT_CAP each */
	char *bounce[WK_NSLOTS];    /* CHUNK_MAX each (CHUNK_F_STAGED) */
	struct chunk_job *jobs;     /* WK_NSLOTS */
	char *lz4_states;           /* (WK_MAX_HELPERS + 1) * CHUNK_LZ4_STATE */
	char *stacks;               /* WK_MAX_HELPERS * WK_STACK */
};
size_t wk_memory_size(void);
void wk_memory_carve(struct wk_memory *m, char *base);
/* Makes the lowest page of each helper stack a guard page. */
void wk_memory_guard(const struct wk_memory *m);

struct workers;
struct wk_arg {
	struct workers *w;
	int idx;
};

struct workers {
	int nhelpers;
	int32_t tids[WK_MAX_HELPERS];
	volatile int32_t alive[WK_MAX_HELPERS]; /* tid, cleared by the kernel at exit */
	volatile uint32_t work_gen;  /* futex: bumped when a job is queued */
	volatile uint32_t done_gen;  /* futex: bumped when a job is done */
	volatile int32_t quit;
	uint64_t next_seq;
	struct wk_slot slots[WK_NSLOTS];
	struct wk_memory mem;
	struct wk_arg args[WK_MAX_HELPERS];
};

/* Starts up to `want` helpers (0: none, everything runs on the caller).
 * Returns how many started. */
int wk_start(struct workers *w, const struct wk_memory *mem, int want);
/* Stops and waits for them. */
void wk_stop(struct workers *w);
/* 1 if tid is one of the running helpers. */
int wk_is_helper(const struct workers *w, int tid);

/* Reads a CHUNK_F_STAGED job's memory into its bounce buffer (run by
 * whoever encodes it, before chunk_encode). */
void wk_stage(struct chunk_job *j);

/* Queues the job of a free slot (state WK_FREE -> WK_QUEUED). */
void wk_queue(struct workers *w, int slot);
/* Runs one queued job on the calling thread, the oldest first;
 * returns 0 if there was none. */
int wk_help(struct workers *w);
/* Waits until slot is WK_DONE, helping meanwhile. */
void wk_wait_done(struct workers *w, int slot);

#endif
