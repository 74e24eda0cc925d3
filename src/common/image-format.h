/* SPDX-License-Identifier: MIT */
/*
 * image-format.h - the on-disk image format, byte for byte (docs/format.md
 * is the same in words).  Shared by the engine, mtcp_restart and the
 * libc-free restorer: it includes only <stdint.h>.
 *
 * All integers are little-endian and fixed-width; every struct here has
 * its size and the offsets that matter checked by _Static_assert, so the
 * structs are the format (x86_64 only, which is little-endian).
 *
 *   file offset 0      +----------------------------+
 *                      | mtcp_img_header_v3 256 B   |  magic, version, arch, writer's
 *                      +----------------------------+  credentials, ids, crc
 *                      | rec GROUPS (v3)            |
 *                      | rec PROC                   |  each record:
 *                      | rec SIGACT                 |    struct mtcp_rec (24 B)
 *                      | rec THREAD  x nthreads     |    payload (len bytes)
 *                      | rec FD      x nfds         |
 *                      | rec REGION                 |  a region, then its extents:
 *                      |   rec EXTENT (RAW|LZ4) ... |    only pages holding data
 *                      | rec REGION ...             |
 *                      | rec END                    |  record count, file size, sum
 *                      +----------------------------+
 *
 *   memory of one region:  |----+++++---000--++----------+++|
 *                           '-' never touched: no bytes, mapped anonymous
 *                           '0' all-zero pages: no bytes either
 *                           '+' EXTENTs of at most 1 MiB of memory each,
 *                               RAW or LZ4, each with its crc32c
 */
#ifndef MTCP_IMAGE_FORMAT_H
#define MTCP_IMAGE_FORMAT_H

#include <stdint.h>

#define MTCP_IMG_MAGIC "MTCPFAST"   /* 8 bytes, no NUL stored */
#define MTCP_IMG_VERSION 5u         /* bumped on any incompatible change */
#define MTCP_IMG_VERSION_RESTART 3u /* oldest version mtcp_restart restarts (older:
                                       --verify and --list only) */
#define MTCP_IMG_VERSION_MIN 1u     /* oldest version still read (1: RAW only) */
#define MTCP_IMG_ARCH_X86_64 62u    /* ELF e_machine EM_X86_64 */

/* Header flags: how the image was written (informational: a reader needs
 * none of them). */
#define MTCP_IMGF_WRITE_PLAIN (1u << 0) /* plain pwrite() path */
#define MTCP_IMGF_DIRECT (1u << 1)      /* raw extents written with O_DIRECT */
#define MTCP_IMGF_URING (1u << 2)       /* written through io_uring */
#define MTCP_IMGF_LZ4 (1u << 3)         /* lz4 tried on every extent */
#define MTCP_IMGF_ZERO (1u << 4)        /* all-zero pages left out */
#define MTCP_IMGF_SCAN_IOCTL (1u << 5)  /* pages classified by PAGEMAP_SCAN */
#define MTCP_IMGF_PAGEMAP (1u << 6)     /* ... by /proc/self/pagemap */
#define MTCP_IMGF_FILE_PAGES (1u << 7)  /* private file pages saved, not referenced */
#define MTCP_IMGF_FSYNC_ASYNC (1u << 8) /* renamed before fsync completed */
#define MTCP_IMGF_DEGRADED (1u << 9)    /* v4: something will not come back as it
                                           was: header.ndegraded DEGRADED records
                                           say what */
#define MTCP_IMGF_INCREMENTAL (1u << 10) /* v5: an increment: a PREV record names its
                                            parent, and INHERIT records say which
                                            pages are the parent's (set exactly when
                                            the PREV record is there) */

/* The v1 and v2 header (64 bytes); every version starts with its first 56
 * bytes, so this is also how a reader looks at a header first. */
struct mtcp_img_header {
	char magic[8];        /* "MTCPFAST" */
	uint32_t version;     /* MTCP_IMG_VERSION */
	uint32_t arch;        /* MTCP_IMG_ARCH_X86_64 */
	uint32_t header_size; /* v1, v2: 64; v3: sizeof(struct mtcp_img_header_v3) */
	uint32_t page_size;   /* 4096 */
	uint64_t flags;       /* MTCP_IMGF_* */
	uint64_t created_ns;  /* CLOCK_REALTIME at checkpoint */
	uint32_t pid;         /* pid of the checkpointed process */
	uint32_t helpers;     /* v2: helper threads that encoded it (v1: zero) */
	uint32_t chunk_kib;   /* v2: memory per extent at most, KiB (v1: zero) */
	uint32_t lz4_accel;   /* v2: LZ4 acceleration (v1: zero) */
	uint32_t reserved2;   /* must be zero (v3: ngroups, see below) */
	uint32_t header_crc;  /* crc32c of bytes 0..59 (v3: dumpable, see below) */
};
_Static_assert(sizeof(struct mtcp_img_header) == 64, "header size");
_Static_assert(__builtin_offsetof(struct mtcp_img_header, header_crc) == 60, "header crc");

/* Ids of images and lineages: 16 random bytes (getrandom). */
#define MTCP_ID_LEN 16

/*
 * The version 3 header (256 bytes).  Its first 56 bytes are the v2
 * header's; then who wrote the image (the writer's credentials: a restart
 * never runs an image with more rights than these, docs/security.md) and
 * which lineage it belongs to (docs/format.md, "Lineages and names").
 * The supplementary groups are the GROUPS record, the first record after
 * the header.
 */
struct mtcp_img_header_v3 {
	char magic[8];
	uint32_t version;        /* 3 */
	uint32_t arch;
	uint32_t header_size;    /* 256 */
	uint32_t page_size;
	uint64_t flags;
	uint64_t created_ns;
	uint32_t pid;            /* 40: pid of the checkpointed process (its own view) */
	uint32_t helpers;
	uint32_t chunk_kib;
	uint32_t lz4_accel;
	uint32_t ngroups;        /* 56: supplementary groups in the GROUPS record */
	uint32_t dumpable;       /* 60: PR_GET_DUMPABLE at the checkpoint (0, 1 or 2) */
	uint32_t uid[3];         /* 64: real, effective, saved uid, as the kernel's
	                                 initial user namespace sees them */
	uint32_t gid[3];         /* 76: real, effective, saved gid, likewise */
	uint32_t fsuid, fsgid;   /* 88 */
	uint8_t image_id[MTCP_ID_LEN];    /* 96: this image */
	uint8_t lineage_id[MTCP_ID_LEN];  /* 112: the launch or restart that wrote it */
	uint8_t parent_id[MTCP_ID_LEN];   /* 128: image this lineage was restarted
	                                        from; zero for a launch */
	uint8_t launch_id[MTCP_ID_LEN];   /* 144: the original launch, carried on
	                                        through every restart */
	uint64_t seq;            /* 160: images written by this lineage, this one included */
	uint32_t outer_pid;      /* 168: the pid the writer had in the initial pid
	                                 namespace (0: unknown) */
	uint32_t caps_valid;     /* 172: 1: the capability fields were recorded */
	uint32_t cap_eff[2];     /* 176: effective set, low and high 32 bits */
	uint32_t cap_prm[2];     /* 184: permitted */
	uint32_t cap_inh[2];     /* 192: inheritable */
	uint32_t cap_bnd[2];     /* 200: bounding set */
	uint32_t cap_amb[2];     /* 208: ambient set */
	uint32_t no_new_privs;   /* 216: PR_GET_NO_NEW_PRIVS (0 or 1) */
	uint32_t ndegraded;      /* 220: v4: DEGRADED records (v3: zero) */
	uint32_t reserved[7];    /* 224: must be zero */
	uint32_t header_crc;     /* 252: crc32c of bytes 0..251 */
};
_Static_assert(sizeof(struct mtcp_img_header_v3) == 256, "v3 header size");
_Static_assert(__builtin_offsetof(struct mtcp_img_header_v3, ngroups) == 56, "v3 ngroups");
_Static_assert(__builtin_offsetof(struct mtcp_img_header_v3, image_id) == 96, "v3 ids");
_Static_assert(__builtin_offsetof(struct mtcp_img_header_v3, outer_pid) == 168, "v3 outer");
_Static_assert(__builtin_offsetof(struct mtcp_img_header_v3, cap_eff) == 176, "v3 caps");
_Static_assert(__builtin_offsetof(struct mtcp_img_header_v3, ndegraded) == 220, "v4 degraded");
_Static_assert(__builtin_offsetof(struct mtcp_img_header_v3, reserved) == 224, "v3 reserved");
_Static_assert(__builtin_offsetof(struct mtcp_img_header_v3, header_crc) == 252, "v3 crc");

/* Record types. */
enum mtcp_rec_type {
	MTCP_REC_PROC = 1,    /* struct mtcp_rec_proc + cwd + exe path */
	MTCP_REC_SIGACT = 2,  /* struct mtcp_rec_sigact[64] */
	MTCP_REC_THREAD = 3,  /* struct mtcp_rec_thread */
	MTCP_REC_FD = 4,      /* struct mtcp_rec_fd + path + file data */
	MTCP_REC_REGION = 5,  /* struct mtcp_rec_region + path */
	MTCP_REC_EXTENT = 6,  /* struct mtcp_rec_extent + data */
	MTCP_REC_GROUPS = 7,  /* v3: uint32_t gid[header.ngroups], right after the header */
	/* v4: kernel objects.  Each follows, at once, the FD record of the
	 * first fd that refers to it (docs/format.md, "Kernel objects"). */
	MTCP_REC_PIPE = 8,     /* struct mtcp_rec_pipe + bytes in flight */
	MTCP_REC_EVENTFD = 9,  /* struct mtcp_rec_eventfd */
	MTCP_REC_EPOLL = 10,   /* struct mtcp_rec_epoll + mtcp_epoll_entry[n] */
	MTCP_REC_TIMERFD = 11, /* struct mtcp_rec_timerfd */
	MTCP_REC_SIGNALFD = 12,/* struct mtcp_rec_signalfd */
	MTCP_REC_UNIX = 13,    /* struct mtcp_rec_unix + name + queued messages */
	MTCP_REC_SOCKET = 14,  /* struct mtcp_rec_socket + address (other families) */
	MTCP_REC_INOTIFY = 15, /* struct mtcp_rec_inotify + watches */
	MTCP_REC_MEMFD = 16,   /* struct mtcp_rec_memfd + name */
	/* v4: standalone, anywhere between the THREAD and the REGION records */
	MTCP_REC_FILEDATA = 17,/* struct mtcp_rec_filedata + path + contents */
	MTCP_REC_DEGRADED = 18,/* struct mtcp_rec_degraded + text */
	/* v5: incremental images (docs/format.md, "Incremental images") */
	MTCP_REC_PREV = 19,    /* struct mtcp_rec_prev + the parent's file name;
	                          right after GROUPS, only in an increment */
	MTCP_REC_INHERIT = 20, /* struct mtcp_rec_inherit + runs: after its
	                          REGION's EXTENT records */
	MTCP_REC_END = 0x7fffffff, /* struct mtcp_rec_end */
};

/*
 * Every record starts with this header.  header_crc covers bytes 0..19.
 * payload_crc is the crc32c of the whole payload, except for EXTENT
 * records, where it covers only the data after struct mtcp_rec_extent
 * (the extent descriptor has its own crc, so the descriptor can be checked
 * before the point of no return and the data while it is read into place).
 */
struct mtcp_rec {
	uint32_t type;        /* enum mtcp_rec_type */
	uint32_t flags;       /* none defined yet: must be zero */
	uint64_t len;         /* payload bytes that follow this header */
	uint32_t payload_crc;
	uint32_t header_crc;
};
_Static_assert(sizeof(struct mtcp_rec) == 24, "record header size");

/* Limits that make a corrupt length harmless. */
#define MTCP_MAX_META_PAYLOAD (1u << 20)       /* any non-data record */
#define MTCP_MAX_PATH 4096
#define MTCP_MAX_THREADS 16384
#define MTCP_MAX_FDS 65536
#define MTCP_MAX_REGIONS 65536
#define MTCP_EXTENT_MAX (4u << 20)             /* bytes of memory per extent */
#define MTCP_MAX_FILEDATA (1ull << 32)         /* deleted-file contents */
#define MTCP_MAX_OBJ_PAYLOAD (17u << 20)       /* v4 object records (PIPE..MEMFD) */

struct mtcp_rlimit {
	uint64_t cur, max;
};

struct mtcp_itimer {
	uint64_t interval_us; /* it_interval in microseconds */
	uint64_t value_us;    /* it_value (remaining) in microseconds; 0: disarmed */
};

#define MTCP_NRLIMITS 16
#define MTCP_AUXV_WORDS 128 /* u64 words of /proc/self/auxv kept */

struct mtcp_rec_proc {
	uint32_t pid;
	uint32_t nthreads;       /* THREAD records that follow */
	uint32_t nfds;           /* FD records that follow */
	uint32_t nregions;       /* REGION records that follow */
	uint32_t umask;
	uint32_t ckpt_signal;    /* the library's checkpoint signal */
	uint64_t restart_info;   /* address of the library's struct mtcp_restart_info */
	uint64_t resume_stub;    /* address of the library's thread resume stub */
	/* mm bookkeeping, as PR_SET_MM_MAP takes it */
	uint64_t start_code, end_code, start_data, end_data;
	uint64_t start_brk, brk, start_stack;
	uint64_t arg_start, arg_end, env_start, env_end;
	uint64_t auxv_words;     /* used words of auxv[] */
	uint64_t auxv[MTCP_AUXV_WORDS];
	uint64_t pending_shared; /* process-directed pending signals, bit (n-1) */
	struct mtcp_rlimit rlimits[MTCP_NRLIMITS];
	struct mtcp_itimer itimers[3]; /* ITIMER_REAL, _VIRTUAL, _PROF */
	uint32_t cwd_len;        /* bytes of cwd after this struct (no NUL) */
	uint32_t exe_len;        /* bytes of exe path after cwd (no NUL) */
	char comm[16];           /* program name (main thread's name at start) */
};
_Static_assert(sizeof(struct mtcp_rec_proc) == 1496, "proc record size");

struct mtcp_rec_sigact {
	uint64_t handler;  /* SIG_DFL 0, SIG_IGN 1, or an address */
	uint64_t flags;    /* SA_* as the kernel has them */
	uint64_t restorer; /* sa_restorer */
	uint64_t mask;     /* sa_mask, bit (n-1) for signal n */
};
_Static_assert(sizeof(struct mtcp_rec_sigact) == 32, "sigact size");
#define MTCP_NSIG 64

/* Thread flags. */
#define MTCP_THREADF_MAIN (1u << 0) /* the thread group leader */
#define MTCP_THREADF_CTL (1u << 1)  /* the library's control thread */

struct mtcp_rec_thread {
	uint32_t tid;
	uint32_t flags;          /* MTCP_THREADF_* */
	uint64_t resume_addr;    /* app thread: address of its signal frame's ucontext;
	                            control thread: address of its struct mtcp_ctx */
	uint64_t fs_base;
	uint64_t clear_tid;      /* clear_child_tid address (set_tid_address) */
	uint64_t robust_head;    /* set_robust_list head, 0: none */
	uint64_t robust_len;
	uint64_t rseq_addr;      /* rseq area, 0: none registered */
	uint32_t rseq_len;
	uint32_t rseq_sig;
	uint64_t altstack_sp;    /* sigaltstack; flags SS_DISABLE when none */
	uint64_t altstack_size;
	uint32_t altstack_flags;
	uint32_t pending_count;  /* unused, zero */
	uint64_t sigmask;        /* blocked signals (informational for app threads:
	                            their frame holds the mask sigreturn restores) */
	uint64_t pending;        /* thread-directed pending signals */
	uint64_t affinity[16];   /* CPU affinity, 1024 CPUs */
	char name[16];           /* PR_GET_NAME */
};
_Static_assert(sizeof(struct mtcp_rec_thread) == 248, "thread record size");

/* FD kinds. */
enum mtcp_fd_kind {
	MTCP_FD_REGULAR = 1, /* a regular file reopened by path, offset restored */
	MTCP_FD_DELETED = 2, /* a deleted-but-open file: contents in the record */
	MTCP_FD_TTY = 3,     /* a terminal: reopens the controlling terminal */
	MTCP_FD_DIR = 4,     /* a directory reopened by path */
	MTCP_FD_DEVICE = 5,  /* a character device reopened by path (e.g. /dev/null) */
	MTCP_FD_OTHER = 6,   /* anything not below (io_uring, pidfd, perf...): becomes
	                        /dev/null, and the image is degraded */
	/* v4: each is followed by its object record (type in the comment),
	 * unless same_as names an earlier fd with the same description. */
	MTCP_FD_PIPE = 7,     /* an anonymous pipe's end (PIPE) */
	MTCP_FD_FIFO = 8,     /* a named pipe's end, path = the FIFO (PIPE) */
	MTCP_FD_EVENTFD = 9,  /* (EVENTFD) */
	MTCP_FD_EPOLL = 10,   /* (EPOLL) */
	MTCP_FD_TIMERFD = 11, /* (TIMERFD) */
	MTCP_FD_SIGNALFD = 12,/* (SIGNALFD) */
	MTCP_FD_UNIX = 13,    /* an AF_UNIX socket (UNIX) */
	MTCP_FD_SOCKET = 14,  /* a socket of another family (SOCKET) */
	MTCP_FD_INOTIFY = 15, /* (INOTIFY) */
	MTCP_FD_MEMFD = 16,   /* a memfd: contents in this record, as DELETED (MEMFD) */
	MTCP_FD_KIND_MAX = 16,
};

struct mtcp_rec_fd {
	uint32_t fd;
	uint32_t kind;        /* enum mtcp_fd_kind */
	uint32_t open_flags;  /* F_GETFL: access mode, O_APPEND, O_NONBLOCK... */
	uint32_t fd_flags;    /* F_GETFD: FD_CLOEXEC */
	uint64_t offset;      /* file position */
	uint64_t dev, ino;    /* identity of the file at checkpoint */
	uint64_t size;
	uint64_t mtime_ns;
	uint32_t path_len;    /* bytes of path after this struct (no NUL); for
	                         OTHER the /proc/self/fd link text, e.g. "pipe:[1]" */
	uint32_t same_as;     /* v4: 1 + the number of an earlier fd that shares this
	                         fd's open file description (a dup: one offset, one
	                         set of status flags, one object), 0: none (v3: zero) */
	uint64_t data_len;    /* bytes of file contents after the path (DELETED, MEMFD) */
};
_Static_assert(sizeof(struct mtcp_rec_fd) == 72, "fd record size");

/*
 * v4 kernel object records.  docs/format.md says how each is read at a
 * checkpoint and rebuilt at a restart.
 */

/* PIPE: one per open file description of a pipe's end. */
#define MTCP_PIPEF_NO_READER (1u << 0) /* no read end in the process */
#define MTCP_PIPEF_NO_WRITER (1u << 1) /* no write end in the process */
#define MTCP_PIPEF_DATA_LOST (1u << 2) /* bytes were in flight but are not saved */
#define MTCP_PIPEF_PACKETS (1u << 3)   /* the bytes were in packets (O_DIRECT writer): they
                                          go back in packets of 4096 (PIPE_BUF) bytes */
#define MTCP_PIPEF_PEER_GONE (1u << 4) /* the ends this description lacks (NO_READER or
                                          NO_WRITER) were held by no process at all:
                                          restored without them, it is as it was */
struct mtcp_rec_pipe {
	uint64_t pipe_ino;    /* the pipe's inode: every end of one pipe has it */
	uint32_t pipe_size;   /* F_GETPIPE_SZ */
	uint32_t flags;       /* MTCP_PIPEF_* */
	uint64_t data_len;    /* bytes in flight that follow (the first read end's
	                         record only; zero in the others) */
};
_Static_assert(sizeof(struct mtcp_rec_pipe) == 24, "pipe record size");

/* EVENTFD */
#define MTCP_EVENTFD_SEMAPHORE 1u
struct mtcp_rec_eventfd {
	uint64_t count;       /* eventfd-count */
	uint32_t flags;       /* MTCP_EVENTFD_SEMAPHORE */
	uint32_t reserved;
};
_Static_assert(sizeof(struct mtcp_rec_eventfd) == 16, "eventfd record size");

/* EPOLL: one entry per registration (fdinfo's tfd lines). */
struct mtcp_rec_epoll {
	uint32_t nentries;
	uint32_t reserved;
};
struct mtcp_epoll_entry {
	int32_t tfd;          /* the fd number it was registered with (its key) */
	int32_t target_fd;    /* an fd of the image on the same file: tfd itself, or,
	                         when tfd was closed or reused, another (kcmp) */
	uint32_t events;
	uint32_t reserved;
	uint64_t data;
};
_Static_assert(sizeof(struct mtcp_epoll_entry) == 24, "epoll entry size");

/* TIMERFD */
struct mtcp_rec_timerfd {
	int32_t clockid;
	uint32_t settime_flags; /* TFD_TIMER_ABSTIME, TFD_TIMER_CANCEL_ON_SET */
	uint64_t ticks;         /* expirations not yet read */
	uint64_t value_ns;      /* time left to the next expiration, 0: disarmed */
	uint64_t interval_ns;
	uint64_t abs_ns;        /* TFD_TIMER_ABSTIME: the expiration, on clockid */
};
_Static_assert(sizeof(struct mtcp_rec_timerfd) == 40, "timerfd record size");

/* SIGNALFD */
struct mtcp_rec_signalfd {
	uint64_t mask;        /* bit (n-1) for signal n */
};

/* UNIX: an AF_UNIX socket. */
enum mtcp_unix_state {
	MTCP_UNIX_UNCONNECTED = 1, /* bound or not, not connected (datagram) */
	MTCP_UNIX_CONNECTED = 2,   /* peer_ino names its peer */
	MTCP_UNIX_LISTEN = 3,
	MTCP_UNIX_CLOSED = 4,      /* was connected, the peer is gone or outside */
};
#define MTCP_UNIXF_QUEUE_LOST (1u << 0) /* the queue could not be read: not saved */
#define MTCP_UNIXF_FDS_LOST (1u << 1)   /* queued SCM_RIGHTS fds are not saved */
#define MTCP_UNIXF_PASSCRED (1u << 2)   /* SO_PASSCRED was on */
struct mtcp_rec_unix {
	uint32_t type;        /* SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET */
	uint32_t state;       /* enum mtcp_unix_state */
	uint64_t ino;         /* this socket's inode */
	uint64_t peer_ino;    /* its peer's, 0: none */
	int32_t peer_fd;      /* an fd of the image holding the peer, -1: none */
	uint32_t backlog;     /* LISTEN: the listen() backlog */
	uint32_t shutdown;    /* 1: SHUT_RD done, 2: SHUT_WR done (bits) */
	uint32_t flags;       /* MTCP_UNIXF_* */
	uint32_t name_len;    /* bytes of the bound sun_path after this struct (a
	                         leading NUL: abstract), 0: unbound */
	uint32_t nqueued;     /* messages of the receive queue after the name */
	uint64_t queue_len;   /* their bytes, struct mtcp_unix_msg headers included */
	int32_t sndbuf, rcvbuf; /* SO_SNDBUF, SO_RCVBUF */
	uint32_t mode;        /* a path name: its socket file's permission bits
	                         (07777), 0: unknown */
	uint32_t reserved;
};
_Static_assert(sizeof(struct mtcp_rec_unix) == 72, "unix record size");
struct mtcp_unix_msg {
	uint32_t len;         /* bytes that follow */
	uint32_t reserved;
};

/* SOCKET: another family (inet, inet6, netlink...). */
enum mtcp_socket_state {
	MTCP_SOCKET_LISTEN = 1,    /* bound again and listening at restart */
	MTCP_SOCKET_CLOSED = 2,    /* a connection: comes back closed */
	MTCP_SOCKET_OTHER = 3,     /* unconnected: a fresh socket, bound if it was */
};
/* SOCKET options kept (MTCP_SOCKOPT_*: set again before bind). */
#define MTCP_SOCKOPT_REUSEADDR (1u << 0)
#define MTCP_SOCKOPT_REUSEPORT (1u << 1)
#define MTCP_SOCKOPT_V6ONLY (1u << 2)
#define MTCP_SOCKOPT_KEEPALIVE (1u << 3)
#define MTCP_SOCKOPT_NODELAY (1u << 4)
#define MTCP_SOCKOPT_BROADCAST (1u << 5)
#define MTCP_SOCKOPT_ALL 0x3fu
struct mtcp_rec_socket {
	uint32_t family, type, protocol;
	uint32_t state;       /* enum mtcp_socket_state */
	uint32_t backlog;
	uint32_t name_len;    /* bytes of the bound address (struct sockaddr_*) after this */
	uint32_t options;     /* MTCP_SOCKOPT_* that were on */
	uint32_t reserved;
};
_Static_assert(sizeof(struct mtcp_rec_socket) == 32, "socket record size");

/* INOTIFY: one entry per watch, each followed by its path. */
struct mtcp_rec_inotify {
	uint32_t nwatches;
	uint32_t reserved;
};
struct mtcp_inotify_watch {
	int32_t wd;           /* the watch descriptor, kept */
	uint32_t mask;
	uint64_t ino, dev;    /* the watched inode at the checkpoint */
	uint32_t path_len;    /* bytes of its path after this struct (recorded at
	                         inotify_add_watch) */
	uint32_t reserved;
};
_Static_assert(sizeof(struct mtcp_inotify_watch) == 32, "inotify watch size");

/* MEMFD */
struct mtcp_rec_memfd {
	uint32_t seals;       /* F_GET_SEALS */
	uint32_t name_len;    /* bytes of the memfd_create name after this struct */
};

/* FILEDATA: a file's contents, put back at restart before anything opens it. */
enum mtcp_filedata_why {
	MTCP_FILEDATA_SAVE_FILES = 1,  /* its path matched MTCP_SAVE_FILES */
	MTCP_FILEDATA_SHARED_MAP = 2,  /* a small shared mapping's file under /tmp or
	                                  /dev/shm: recreated if gone */
	MTCP_FILEDATA_SAVE_DIR = 3,    /* a directory of SAVE_FILES records (path: the
	                                  directory): the contents are the
	                                  MTCP_SAVE_FILES patterns and a NUL, then the
	                                  name of each regular file in it that matched
	                                  at the checkpoint, each followed by a NUL
	                                  (at most MTCP_MAX_META_PAYLOAD bytes in all).
	                                  A matching file in it that is not named was
	                                  made after the checkpoint: removed at restart
	                                  (a stale SQLite journal would be replayed) */
};
struct mtcp_rec_filedata {
	uint64_t dev, ino, size, mtime_ns; /* the file at the checkpoint */
	uint32_t mode;        /* st_mode's permission bits */
	uint32_t why;         /* enum mtcp_filedata_why */
	uint32_t path_len;
	uint32_t reserved;
	uint64_t data_len;    /* == size */
};
_Static_assert(sizeof(struct mtcp_rec_filedata) == 56, "filedata record size");

/* DEGRADED: something that will not come back as it was, in words. */
struct mtcp_rec_degraded {
	int32_t fd;           /* the fd concerned, -1: none */
	uint32_t text_len;    /* bytes of text after this struct (no NUL) */
};

/* Region kinds. */
enum mtcp_region_kind {
	MTCP_RGN_ANON = 1,        /* private anonymous (heap, stacks, mmap) */
	MTCP_RGN_FILE_PRIVATE = 2,/* private file mapping: file + touched pages */
	MTCP_RGN_FILE_SHARED = 3, /* shared file mapping: the file holds the data */
	MTCP_RGN_SHARED_ANON = 4, /* shared anonymous: all touched pages */
	MTCP_RGN_VDSO = 5,        /* [vdso]: never saved, moved back at restart */
	MTCP_RGN_VVAR = 6,        /* [vvar]: idem */
	MTCP_RGN_VVAR_VCLOCK = 7, /* [vvar_vclock]: idem */
};

/* Region flags. */
#define MTCP_RGNF_STACK (1u << 0)     /* [stack] (grows down) */
#define MTCP_RGNF_HEAP (1u << 1)      /* [heap] */
#define MTCP_RGNF_DELETED (1u << 2)   /* backing file was deleted: saved as anonymous */
#define MTCP_RGNF_FILE_COPY (1u << 3) /* private file mapping saved whole as anonymous
                                         (MTCP_FILE_PAGES=1); path kept for information */

struct mtcp_rec_region {
	uint64_t start, end;  /* page aligned, end exclusive */
	uint32_t prot;        /* PROT_READ|PROT_WRITE|PROT_EXEC */
	uint32_t kind;        /* enum mtcp_region_kind */
	uint32_t flags;       /* MTCP_RGNF_* */
	uint32_t nextents;    /* EXTENT records that follow */
	uint64_t file_offset; /* offset of start in the file */
	uint64_t dev, ino;    /* identity of the file (file kinds) */
	uint64_t file_size;
	uint64_t mtime_ns;
	uint32_t path_len;    /* bytes of the path after this struct (no NUL) */
	uint32_t ninherit;    /* v5: INHERIT records after the EXTENT records (0 in a
	                         full image; before v5 reserved, 0) */
};
_Static_assert(sizeof(struct mtcp_rec_region) == 80, "region record size");

/*
 * v5 PREV: the image an increment builds on, "its parent".  The parent
 * is looked up by name in the directory of the increment, and must have
 * this image_id, this END image_sum and this size: the stored values are
 * compared, the parent is not read again to compute them.
 */
#define MTCP_MAX_CHAIN 64          /* images in a chain, the full one included */
#define MTCP_MAX_PREV_NAME 255
struct mtcp_rec_prev {
	uint8_t image_id[MTCP_ID_LEN]; /* the parent's header image_id */
	uint64_t image_sum;   /* the parent's END image_sum */
	uint64_t file_size;   /* the parent's size in bytes */
	uint32_t depth;       /* this image's place: 1 for the child of a full image,
	                         n + 1 for the child of depth n; < MTCP_MAX_CHAIN */
	uint32_t name_len;    /* bytes of the parent's file name that follow: 1 to
	                         MTCP_MAX_PREV_NAME, no '/', no NUL, not "." or ".." */
	uint64_t reserved;    /* must be zero */
};
_Static_assert(sizeof(struct mtcp_rec_prev) == 48, "prev record size");

/*
 * v5 INHERIT: pages of its region that were present (or swapped out) at
 * the checkpoint and not written since the parent's: their contents are
 * the parent's at the same address (which may itself inherit them).
 * Every other page of the region is what the extents of this image hold,
 * or, without one, zero (the file's contents in a private file mapping),
 * as in a full image: a page the parent held but that was dropped since
 * (MADV_DONTNEED, munmap and mmap) is in no INHERIT run and so reads as
 * zero.  Runs are page aligned, ascending, disjoint, inside the region,
 * and overlap no extent of this image; only in regions of kind ANON or
 * FILE_PRIVATE.  A region may have several INHERIT records (each at most
 * MTCP_MAX_META_PAYLOAD): the runs ascend across them.
 */
struct mtcp_inherit_run {
	uint64_t start, end;
};
struct mtcp_rec_inherit {
	uint64_t region_start; /* the REGION's start */
	uint32_t nruns;        /* struct mtcp_inherit_run that follow, at least 1 */
	uint32_t reserved;     /* must be zero */
};
_Static_assert(sizeof(struct mtcp_rec_inherit) == 16, "inherit record size");

/* Extent encodings. */
enum mtcp_extent_enc {
	MTCP_EXT_RAW = 1,  /* the bytes as they are */
	MTCP_EXT_ZERO = 2, /* reserved, never written: zero pages have no extent */
	MTCP_EXT_LZ4 = 3,  /* v2: one lz4 block that decodes to exactly len bytes */
};

struct mtcp_rec_extent {
	uint64_t addr;       /* where the bytes go, page aligned */
	uint64_t len;        /* bytes of memory covered */
	uint32_t encoding;   /* enum mtcp_extent_enc */
	uint32_t pad;        /* zero bytes between this descriptor and the data,
	                        so that the data starts page-aligned in the file
	                        (for O_DIRECT); < 4096 */
	uint32_t data_len;   /* bytes of data that follow (RAW: == len; LZ4: < len) */
	uint32_t desc_crc;   /* crc32c of bytes 0..27 of this descriptor */
};
_Static_assert(sizeof(struct mtcp_rec_extent) == 32, "extent descriptor size");

struct mtcp_rec_end {
	uint64_t nrecords;   /* records before END, PROC included */
	uint64_t file_size;  /* total bytes of the image, END included */
};
_Static_assert(sizeof(struct mtcp_rec_end) == 16, "end record size");

/*
 * v3 END: also a checksum of the whole image, combined from the header's
 * crc and every record's header_crc (which covers its payload_crc) at its
 * file offset.  The combination is a sum, so the records may be written
 * in any order by any thread; the offset in each term makes moving a
 * record change it.  With extent padding required to be zero, no byte of
 * an image can change without some check failing.
 */
struct mtcp_rec_end_v3 {
	uint64_t nrecords;
	uint64_t file_size;
	uint64_t image_sum;  /* mtcp_sum_term(0, header_crc) + sum of
	                        mtcp_sum_term(record offset, header_crc) */
};
_Static_assert(sizeof(struct mtcp_rec_end_v3) == 24, "v3 end record size");

/* One term of image_sum: a 64-bit mix (splitmix64's finaliser) of the
 * record's file offset and its header_crc. */
static inline uint64_t mtcp_sum_term(uint64_t off, uint32_t header_crc)
{
	uint64_t z = (off << 32 | off >> 32) ^ header_crc ^ 0x9e3779b97f4a7c15ull;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/*
 * Shared with the library at run time (not on disk): the restorer fills
 * this struct, which lives in the library's memory at the address given
 * in PROC.restart_info, before any thread resumes.
 */
#define MTCP_MAX_ALIASES 4
struct mtcp_restart_info {
	uint64_t generation;          /* incremented by every restart */
	uint64_t hole_start, hole_len;/* restorer area to unmap once unused */
	volatile int32_t left;        /* threads that left the restorer area */
	int32_t nthreads;             /* threads that must leave it */
	int32_t aliases[MTCP_MAX_ALIASES]; /* other pids the control socket is named
	                                      by: mtcp_restart's, the program's pid
	                                      outside its pid namespace */
	int32_t same_tids;            /* 1: TIDs kept; 0: TIDs changed (patched) */
	int32_t in_pidns;             /* 1: restored in a new pid namespace: its own
	                                 pid means nothing outside it */
	int32_t broker_fd;            /* -1, or a unix socket on which mtcp_restart
	                                 passes clients it has authenticated
	                                 outside the namespace (SCM_RIGHTS) */
	int32_t reserved;
	uint8_t restored_from[MTCP_ID_LEN]; /* image_id of the image restarted from */
	uint8_t restored_lineage[MTCP_ID_LEN]; /* its lineage_id */
};

/*
 * The control thread's saved context (callee-saved registers, stack and
 * resume address): it is not in a signal handler when it saves itself.
 */
struct mtcp_ctx {
	uint64_t rbx, rbp, r12, r13, r14, r15, rsp, rip;
	uint32_t mxcsr;
	uint16_t fpucw;
	uint16_t pad;
};
_Static_assert(sizeof(struct mtcp_ctx) == 72, "ctx size");

#endif /* MTCP_IMAGE_FORMAT_H */
