/* SPDX-License-Identifier: MIT */
/*
 * glibc-facts.h - what glibc keeps about a thread that a checkpointer must
 * know, found at run time rather than assumed.  Hosted code only (the
 * library and mtcp_restart); the restorer gets the values in its args.
 */
#ifndef MTCP_GLIBC_FACTS_H
#define MTCP_GLIBC_FACTS_H

#include <dlfcn.h>
#include <pthread.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The tid glibc caches in struct pthread (720 on glibc 2.11..2.42): found
 * by looking for the caller's tid near the thread pointer; -1 if not. */
static inline int glibc_tid_offset(void)
{
	const char *self = (const char *)pthread_self();
	pid_t tid = (pid_t)syscall(SYS_gettid);

	for (int off = 0x100; off < 0x800; off += 4) {
		pid_t v;
		memcpy(&v, self + off, sizeof(v));
		if (v == tid)
			return off;
	}
	return -1;
}

/* glibc's rseq registration: the area at thread pointer + *offset, of
 * *size bytes (0: none).  Debian 12's glibc reports 20 but registered 32,
 * and the kernel wants the registered length back (DESIGN.md). */
static inline void glibc_rseq(long *offset, unsigned *size)
{
	const long *off = dlsym(RTLD_DEFAULT, "__rseq_offset");
	const unsigned *sz = dlsym(RTLD_DEFAULT, "__rseq_size");

	*offset = off ? *off : 0;
	*size = sz ? *sz : 0;
	if (*size && *size < 32)
		*size = 32;
}

#endif
