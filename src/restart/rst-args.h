/* SPDX-License-Identifier: MIT */
/*
 * rst-args.h - everything the libc-free restorer gets, in one struct that
 * mtcp_restart builds inside the restorer's area (the "hole") before the
 * point of no return.  Pointers point into the hole.  Shared by the hosted
 * mtcp_restart and the freestanding restorer: <stdint.h> only.
 */
#ifndef MTCP_RST_ARGS_H
#define MTCP_RST_ARGS_H

#include <stdint.h>
#include "image-format.h"

struct rst_range {
	uint64_t start, end;
};

struct rst_region {
	uint64_t start, end;
	uint64_t file_offset;
	uint32_t prot;      /* final protection */
	uint32_t kind;      /* enum mtcp_region_kind */
	int32_t fd;         /* file to map (file kinds), else -1 */
	uint32_t flags;     /* MTCP_RGNF_* */
};

/*
 * One read of the restorer: an extent of one image of the chain.  A v5
 * chain (src/restart/chain.c) adds, to the newest image's own extents,
 * its ancestors' extents that hold inherited pages: whole, or only a part
 * [part_start, part_end) when some of the extent's pages are not
 * inherited (the restorer then reads and decodes the whole extent into
 * rst_args.scratch, checks its crc, and copies only the part).
 */
struct rst_extent {
	uint64_t addr, len;
	uint64_t file_off;  /* offset of the data in the image */
	uint32_t crc;       /* crc32c of the stored data */
	uint32_t enc;       /* MTCP_EXT_RAW or MTCP_EXT_LZ4 */
	uint32_t data_len;  /* stored bytes (RAW: == len) */
	uint32_t pad;       /* the restorer's: 1 once read (uring_read.c) */
	uint64_t part_start, part_end; /* both 0: the whole extent; else the memory
	                                  copied into place, page aligned, inside
	                                  [addr, addr + len) */
	uint32_t img;       /* which image: rst_args.image_fds[img], 0 = the newest */
	uint32_t pad2;
};

struct rst_thread {
	struct mtcp_rec_thread rec;
	uint64_t stack_top; /* the restorer's stack for this thread */
	struct rst_args *args;
	int32_t new_tid;
	int32_t pad;
};

/* The kernel's vdso block: [vvar][vvar_vclock][vdso], moved as one. */
struct rst_vdso {
	uint64_t cur_start, cur_end;   /* where it is in this process */
	uint64_t img_start, img_end;   /* where the image had it */
	uint64_t stage;                /* a free spot in the hole for the move */
};

/*
 * The ids the restored threads take (root restarting an image: the
 * writer's ids, see src/restart/privilege.c).  Credentials are per thread
 * in the kernel, and the restorer has no glibc to broadcast a change: each
 * thread sets them itself, after the main thread has created every thread
 * (clone3 set_tid needs the privilege that the change gives up).
 */
struct rst_ids {
	int32_t set;            /* 1: every thread sets the ids below */
	uint32_t uid[3];        /* real, effective, saved */
	uint32_t gid[3];
	uint32_t fsuid, fsgid;
	int32_t dumpable;       /* PR_SET_DUMPABLE afterwards: 0 or 1; -1: leave */
	/* Capabilities: every thread keeps only those of its own that the
	 * writer had (a restart as root, or in a user namespace, starts with
	 * more); caps_set 0: the image recorded none (left as they are). */
	int32_t caps_set;
	uint32_t cap_eff[2], cap_prm[2], cap_inh[2], cap_bnd[2], cap_amb[2];
	int32_t no_new_privs;
};

/* A timerfd the restorer arms last, just before the program resumes
 * (fdr_timerfd.c): its time left was frozen while the program was down. */
struct rst_timerfd {
	int32_t fd;
	uint32_t flags;       /* TFD_TIMER_ABSTIME, TFD_TIMER_CANCEL_ON_SET */
	uint64_t value_ns;    /* relative, or absolute with TFD_TIMER_ABSTIME; 0: disarmed */
	uint64_t interval_ns;
	uint64_t ticks;       /* put back with TFD_IOC_SET_TICKS when not 0 */
};

struct rst_args {
	uint64_t hole_start, hole_len;
	/* the images of the chain, newest first (one: a full image) */
	uint32_t nimages;
	int32_t image_fds[MTCP_MAX_CHAIN];
	int32_t image_dfds[MTCP_MAX_CHAIN]; /* each opened O_DIRECT, or -1 */
	int32_t log_fd;      /* mtcp_restart's own stderr (fd 2 may be the program's
	                        by now): messages go there */
	int32_t status_fd;   /* write end of the pipe to mtcp_restart, or -1 */
	int32_t exe_fd;      /* the program's executable for PR_SET_MM, or -1 */
	int32_t same_tids;   /* 1: create threads with their old tids (clone3 set_tid) */
	int32_t tid_offset;  /* fallback: offset of the tid in struct pthread */
	int32_t close_from;  /* helper fds [close_from, close_to] are closed */
	int32_t close_to;    /*   before the program resumes */
	uint32_t nunmap, nregions, nextents, nthreads;
	uint32_t lz4_max;    /* largest LZ4 extent's data_len: lz4_buf holds it */
	uint32_t pad0;
	uint8_t *lz4_buf;    /* compressed bytes are read here, then decoded into place */
	uint64_t scratch_len;/* largest extent read in part (its len): scratch holds it */
	uint8_t *scratch;    /* an extent read in part is decoded here first */
	struct rst_range *unmap;
	struct rst_region *regions;
	struct rst_extent *extents;
	struct rst_thread *threads;
	struct rst_vdso vdso;
	struct rst_range vdso_piece[3]; /* the pieces of the block, current addresses */
	struct mtcp_rec_proc proc;
	struct mtcp_rec_sigact sigact[MTCP_NSIG];
	int32_t aliases[MTCP_MAX_ALIASES];
	int32_t in_pidns;    /* restored in a new pid namespace */
	int32_t broker_fd;   /* the program's end of mtcp_restart's broker, or -1 */
	uint8_t restored_from[MTCP_ID_LEN];    /* the image's image_id */
	uint8_t restored_lineage[MTCP_ID_LEN]; /* its lineage_id */
	struct rst_ids ids;
	uint32_t ntimerfds;
	uint32_t pad2;
	struct rst_timerfd *timerfds;
	char image_path[512];      /* for messages, NUL-terminated */
	/* synchronisation between the restorer's threads */
	volatile int32_t ready;    /* threads done with their own state */
	volatile int32_t go;       /* set by the main thread: resume */
	volatile int32_t failed;
	int32_t pad;
};

#endif
