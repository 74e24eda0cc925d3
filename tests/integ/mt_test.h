/* SPDX-License-Identifier: MIT */
/*
 * mt_test.h - the harness linked into every integration test program
 * (tests/integ/NAME.c), driven by run_integ.sh.  It does not use libmtcp-fast.
 *
 * A test program has one shape (STYLE.md, guideline 23):
 *
 *   const char *test_doc = "what it checks";
 *   int main(int argc, char **argv)
 *   {
 *           mt_test_init(argc, argv);
 *           ... set up the state to check ...
 *           mt_test_ready();        <- checkpointed (and restarted) here
 *           ... verify: fail("...") on the first mismatch ...
 *           pass();
 *   }
 *
 * Synchronisation with the runner goes through the FIFO named by
 * MT_READY_FIFO (lines "ready PID PPID", "woke PID PPID", "pass PID",
 * "fail PID", or whatever mt_test_send() writes) and SIGUSR1 (go on).  The
 * FIFO is opened only for the write of one line: an open pipe would be
 * checkpointed as /dev/null.  Without MT_READY_FIFO the lines go to stdout.
 *
 * SIGUSR1 is blocked in every thread (mt_test_init() blocks it before any
 * thread exists); only mt_test_ready() lets it in.
 */
#ifndef MT_TEST_H
#define MT_TEST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Each test program defines it: one or two sentences. */
extern const char *test_doc;

/* pid and parent pid at mt_test_init(). */
extern pid_t mt_pid0, mt_ppid0;

/* Line-buffered stdout, records pid/ppid, blocks SIGUSR1 and installs its
 * handler. */
void mt_test_init(int argc, char **argv);

/* Writes "ready PID PPID" to the FIFO and waits for SIGUSR1; writes "woke
 * PID PPID" each time something else (a checkpoint) interrupts the wait. */
void mt_test_ready(void);

/* Called in the waiting thread after each such interruption, before the
 * "woke" line is written.  NULL: none. */
void mt_test_set_woke_hook(void (*fn)(void));

/* Number of times the wait in mt_test_ready() was interrupted. */
extern volatile int mt_wakeups;

/* Writes one line (a newline is added) to the FIFO. */
void mt_test_send(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* 1 if the runner said that the restart gave new pid and thread ids
 * (env MT_EXPECT_NEW_IDS=1, or the file named by MT_EXPECT_FILE starts
 * with '1': the runner writes it after seeing mtcp_restart's output). */
int mt_expect_new_ids(void);

/* The directory of the run (env MT_TMPDIR), or NULL. */
const char *mt_tmpdir(void);

/* "# ..." line on stdout. */
void mt_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void pass(void) __attribute__((noreturn));
void fail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void skip(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* CRC-32 (IEEE 802.3, reflected, as zlib) of a buffer; chain with crc. */
uint32_t mt_crc32(uint32_t crc, const void *buf, size_t len);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t mt_now_ns(void);

/* The kernel thread id (a system call: never a cached value). */
pid_t mt_gettid(void);

#endif /* MT_TEST_H */
