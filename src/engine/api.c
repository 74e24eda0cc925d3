/* SPDX-License-Identifier: MIT */
/*
 * api.c - the public API (mtcp.h) and the library's start: a preloaded
 * library initialises itself from the environment in its constructor; a
 * linked one waits for mtcp_init().
 */
#define MTCP_BUILDING_LIBRARY 1
#include "mtcp.h"
#include "engine.h"
#include "commit.h"
#include "identity.h"
#include "syscall.h"
#include "crc32c.h"
#include "glibc-facts.h"
#include "options.h"

#include <dlfcn.h>
#include <link.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <unistd.h>

struct engine mtcp_engine = { .tid_offset = -1 };
/* broker_fd -1: no broker until a restart says otherwise (0 is stdin) */
struct mtcp_restart_info mtcp_restart_info = { .broker_fd = -1 };

/* mtcp_disable() nesting depth, and the slot index + 1 of a checkpoint
 * that arrived inside the section (suspend.c reads both). */
__thread int mtcp_disable_depth;
__thread int mtcp_deferred_slot;

static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;

/* The names of the images this lineage keeps (a restart empties the list:
 * the images before it belong to another lineage). */
static char kept_images[1000][MTCP_MAX_PATH];

static int own_data_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct engine *e = arg;
	Dl_info self;

	(void)size;
	if (!dladdr((void *)own_data_cb, &self) ||
	    (uintptr_t)self.dli_fbase != (uintptr_t)info->dlpi_addr)
		return 0;
	for (int i = 0; i < info->dlpi_phnum && e->nvolatile < 7; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_W))
			continue;
		uint64_t s = (info->dlpi_addr + ph->p_vaddr) & ~4095ull;
		uint64_t end = (info->dlpi_addr + ph->p_vaddr + ph->p_memsz + 4095) & ~4095ull;
		e->volatile_r[e->nvolatile].start = s;
		e->volatile_r[e->nvolatile++].end = end;
	}
	return 1;
}

/* The library's own writable data changes while it is written out. */
static void find_own_data(struct engine *e)
{
	dl_iterate_phdr(own_data_cb, e);
}

MTCP_API int mtcp_version_number(void)
{
	return MTCP_VERSION_NUMBER;
}

static void atfork_child(void)
{
	/* The child has only the forking thread: no control thread, and the
	 * program's children are not checkpointed (docs/architecture.md). */
	mtcp_engine.inert = 1;
	for (int i = 0; i < mtcp_engine.nlisten; i++) {
		owned_fd_del(mtcp_engine.listen_fd[i]);
		close(mtcp_engine.listen_fd[i]);
	}
	mtcp_engine.nlisten = 0;
}

/* A second mtcp_init(), or one after the preloaded library started. */
static int reinit(struct engine *e, const void *opts, char *err, size_t errlen)
{
	struct mtcp_config old = e->cfg;
	int rc = config_apply_options(&e->cfg, opts, err, errlen);

	if (!rc && strcmp(old.dir, e->cfg.dir))
		rc = config_check_dir(&e->cfg, err, errlen);
	if (!rc && e->cfg.signal != old.signal) {
		rc = suspend_install_handler(e->cfg.signal);
		if (rc)
			snprintf(err, errlen, "cannot install the checkpoint signal handler: %s",
				 strerror(-rc));
	}
	if (!rc && e->cfg.on_term != old.on_term) {
		rc = on_term_switch(old.on_term, e->cfg.on_term);
		if (rc)
			snprintf(err, errlen, "cannot install the on_term handler: %s",
				 strerror(-rc));
	}
	if (rc)
		e->cfg = old;
	else if (strcmp(old.dir, e->cfg.dir))
		commit_clean_stale(e->cfg.dir);
	return rc;
}

static int first_init(struct engine *e, const void *opts, char *err, size_t errlen)
{
	int rc;

	if (!crc32c_supported()) {
		snprintf(err, errlen, "this CPU lacks SSE4.2 (crc32); checkpointing disabled");
		return -ENOTSUP;
	}
	rc = config_from_env(&e->cfg, err, errlen);
	if (!rc)
		rc = config_apply_options(&e->cfg, opts, err, errlen);
	if (!rc)
		rc = config_check_dir(&e->cfg, err, errlen);
	if (rc)
		return rc;
	e->pid = getpid();
	e->verbose = secure_getenv("MTCP_VERBOSE") && *secure_getenv("MTCP_VERBOSE") == '1';
	glibc_rseq(&e->rseq_offset, &e->rseq_size);
	e->tid_offset = glibc_tid_offset();
	util_reserve((void **)&e->slots, sizeof(struct thread_slot) * MTCP_MAX_THREADS);
	e->scratch_len = 64u << 20;
	util_reserve((void **)&e->scratch, e->scratch_len);
	e->kept = kept_images;
	find_own_data(e);
	if (!e->slots || !e->scratch || checkpoint_init()) {
		snprintf(err, errlen, "cannot reserve memory for the checkpointer");
		return -ENOMEM;
	}
	rc = interpose_init();
	if (!rc)
		rc = suspend_install_handler(e->cfg.signal);
	if (rc) {
		snprintf(err, errlen, "cannot install the checkpoint signal handler: %s",
			 strerror(-rc));
		return rc;
	}
	if (e->cfg.on_term && (rc = on_term_install(e->cfg.on_term))) {
		snprintf(err, errlen, "cannot install the MTCP_ON_TERM handler: %s", strerror(-rc));
		return rc;
	}
	/* a new launch: a new lineage; temporaries of dead writers go */
	identity_init();
	commit_clean_stale(e->cfg.dir);
	pthread_atfork(NULL, NULL, atfork_child);
	rc = ctl_start();
	if (rc)
		snprintf(err, errlen, "cannot start the control thread: %s", strerror(-rc));
	return rc;
}

/* Errors are one line: "mtcp: mtcp_init: why", or from the constructor
 * "mtcp: why; the program was not run". */
int engine_init(const void *opts, int from_constructor)
{
	struct engine *e = &mtcp_engine;
	char err[512];
	int rc, again;

	pthread_mutex_lock(&init_lock);
	again = e->initialised;
	if (!again && e->inert) {
		pthread_mutex_unlock(&init_lock);
		return -ECHILD;
	}
	err[0] = '\0';
	rc = again ? reinit(e, opts, err, sizeof(err)) : first_init(e, opts, err, sizeof(err));
	if (!rc)
		e->initialised = 1;
	pthread_mutex_unlock(&init_lock);
	if (rc)
		util_log("%s%s%s", from_constructor ? "" : "mtcp_init: ", err,
			 from_constructor ? "; the program was not run" : "");
	else if (again)
		ctl_wake(); /* a new interval takes effect now */
	return rc;
}

MTCP_API int mtcp_init(const struct mtcp_options *opts)
{
	return engine_init(opts, 0);
}

/* 1 if this library was loaded through LD_PRELOAD. */
static int loaded_by_preload(char *self, size_t len)
{
	Dl_info info;
	const char *pre = getenv("LD_PRELOAD");
	const char *base;

	if (!dladdr((void *)loaded_by_preload, &info) || !info.dli_fname)
		return 0;
	snprintf(self, len, "%s", info.dli_fname);
	base = strrchr(self, '/');
	base = base ? base + 1 : self;
	return pre && strstr(pre, base) != NULL;
}

/* Processes other than the launched one are not checkpointed unless asked
 * (MTCP_INHERIT=1): the library takes itself out of their LD_PRELOAD, so
 * that what they execute runs without it. */
static void strip_preload(const char *self)
{
	const char *pre = getenv("LD_PRELOAD");
	const char *base = strrchr(self, '/');
	char out[4096];
	size_t o = 0;

	base = base ? base + 1 : self;
	if (!pre)
		return;
	for (const char *p = pre; *p;) {
		size_t n = strcspn(p, ": ");
		int ours = n >= strlen(base) && !memcmp(p + n - strlen(base), base, strlen(base));
		if (!ours && n && o + n + 2 < sizeof(out)) {
			if (o)
				out[o++] = ':';
			memcpy(out + o, p, n);
			o += n;
		}
		p += n;
		while (*p == ':' || *p == ' ')
			p++;
	}
	out[o] = '\0';
	if (o)
		setenv("LD_PRELOAD", out, 1);
	else
		unsetenv("LD_PRELOAD");
}

/*
 * Whether this process is the one that was launched (MTCP_LAUNCH_PID, set
 * by mtcp_launch to its own pid right before it executes the program):
 * 1 if it is, 0 if it is another process (a child the program started),
 * -1 if the variable is missing or not a pid.  exec keeps the pid, so a
 * wrapper script that execs the real program stays "launched"; a child
 * has another pid.  A restarted process never asks: it is initialised
 * already, and no constructor runs in it.
 */
static int launched_here(void)
{
	const char *v = secure_getenv(MTCP_LAUNCH_PID_ENV);
	int pid;

	if (!v || opt_parse_pid(v, &pid))
		return -1;
	return pid == (int)getpid();
}

/*
 * The library preloaded (by mtcp_launch, or by hand) starts in the process
 * that was launched, and stays in LD_PRELOAD so that it starts again after
 * that process execs another program (a #! wrapper, a pyenv shim, Rscript).
 * In any other process it does nothing at all (no control thread, no
 * handler; the interposed calls pass straight through, api.c and
 * interpose.c check `initialised`) and takes itself out of LD_PRELOAD, so
 * that what this process executes does not get it; MTCP_INHERIT=1 makes it
 * start in every process instead.  A program
 * that also links the library may still call mtcp_init() there.
 */
__attribute__((constructor)) static void mtcp_constructor(void)
{
	char self[4096], pid[16];
	const char *inherit = secure_getenv("MTCP_INHERIT");

	if (!loaded_by_preload(self, sizeof(self)))
		return;
	/* A setuid program preloaded (a trusted library): its environment is
	 * not its own, so nothing starts from it, and the program is not
	 * stopped for that; it may still call mtcp_init() with a directory.
	 * (secure_getenv gives NULL here: no MTCP_* is read.) */
	if (getauxval(AT_SECURE)) {
		strip_preload(self);
		util_log("not started in a setuid or setgid program: it must call mtcp_init() "
			 "with an image directory");
		return;
	}
	if (!(inherit && *inherit == '1')) {
		switch (launched_here()) {
		case 0:
			strip_preload(self);
			return;
		case -1:
			/* preloaded by hand: this process is the launched one */
			snprintf(pid, sizeof(pid), "%d", (int)getpid());
			setenv(MTCP_LAUNCH_PID_ENV, pid, 1);
			break;
		}
	}
	if (engine_init(NULL, 1))
		_exit(2);
}

MTCP_API int mtcp_checkpoint(void)
{
	struct engine *e = &mtcp_engine;
	uint32_t ticket;
	uint64_t restarts = __atomic_load_n(&mtcp_restart_info.generation, __ATOMIC_ACQUIRE);

	if (!e->initialised || e->inert)
		return -ENOTCONN;
	if (mtcp_disable_depth > 0 || raw_syscall0(SYS_gettid) == e->ctl_tid)
		return -EDEADLK;
	/* answered by the first checkpoint whose snapshot comes after this
	 * request (ctl.c publishes served_req before each done_gen bump),
	 * never by one being written when it was made */
	ticket = __atomic_add_fetch(&e->req_gen, 1, __ATOMIC_ACQ_REL);
	ctl_wake();
	for (;;) {
		uint32_t done = __atomic_load_n(&e->done_gen, __ATOMIC_ACQUIRE);
		if (__atomic_load_n(&mtcp_restart_info.generation, __ATOMIC_ACQUIRE) != restarts)
			return MTCP_RESTARTED;
		if ((int32_t)(__atomic_load_n(&e->served_req, __ATOMIC_ACQUIRE) - ticket) >= 0)
			return e->last_result;
		raw_syscall4(SYS_futex, (long)&e->done_gen, RAW_FUTEX_WAIT | RAW_FUTEX_PRIVATE,
			     done, 0);
	}
}

MTCP_API unsigned long mtcp_restart_count(void)
{
	return (unsigned long)__atomic_load_n(&mtcp_restart_info.generation, __ATOMIC_ACQUIRE);
}

MTCP_API int mtcp_last_image(char *buf, unsigned long len)
{
	size_t n = strlen(mtcp_engine.last_image);

	if (len) {
		size_t c = n < len - 1 ? n : len - 1;
		memcpy(buf, mtcp_engine.last_image, c);
		buf[c] = '\0';
	}
	return (int)n;
}

MTCP_API int mtcp_last_degraded(void)
{
	return (int)mtcp_engine.last_degraded;
}

MTCP_API void mtcp_disable(void)
{
	mtcp_disable_depth++;
}

MTCP_API void mtcp_enable(void)
{
	int slot;

	if (mtcp_disable_depth <= 0)
		return;
	if (--mtcp_disable_depth > 0)
		return;
	slot = mtcp_deferred_slot;
	if (slot) {
		mtcp_deferred_slot = 0;
		suspend_redeliver(slot - 1);
	}
}
