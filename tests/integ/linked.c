/* SPDX-License-Identifier: MIT */
/*
 * linked.c - a program linked with libmtcp-fast: mtcp_init(),
 * mtcp_checkpoint() returning twice, mtcp_disable()/mtcp_enable().
 * Run with run_integ.sh --mode selfckpt --linked.
 *
 * `integ_linked init [DIR]` only starts the library and takes one
 * checkpoint: mtcp_init() with the image directory DIR as an option, or
 * with no options at all (everything from the environment).  It prints
 * "image PATH" and exits 0, or exits 1 after the library's message.  The
 * image-directory tests (tests/imgdir.sh) and a setuid copy (AT_SECURE:
 * MTCP_DIR must be ignored, so `init` without DIR must fail) use it.
 */
#include "mt_test.h"
#include "mtcp.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

const char *test_doc =
	"mtcp_checkpoint() returns MTCP_CHECKPOINTED, then MTCP_RESTARTED in the "
	"restored process; inside mtcp_disable() it returns -EDEADLK, and a "
	"checkpoint asked for while another thread is in a section completes "
	"only after the section ends.";

#define WAIT_S 15

static int stop, in_section, section_ended, a_saw_park;
static pid_t counter_tid;
static uint64_t counter;
static int b_rc;
static int b_saw_end;

static void *count_main(void *arg)
{
	(void)arg;
	__atomic_store_n(&counter_tid, mt_gettid(), __ATOMIC_RELEASE);
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE))
		__atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);
	return NULL;
}

/* 1 if thread tid sits in a futex wait: the counting thread makes no
 * system call of its own, so that is the checkpoint's park. */
static int parked(pid_t tid)
{
	char path[64], buf[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return atol(buf) == SYS_futex && buf[0] != 'r';
}

/* Inside a section until the checkpoint has suspended the counting thread. */
static void *section_main(void *arg)
{
	uint64_t dl = mt_now_ns() + (uint64_t)WAIT_S * 1000000000ull;

	(void)arg;
	mtcp_disable();
	__atomic_store_n(&in_section, 1, __ATOMIC_RELEASE);
	while (!parked(__atomic_load_n(&counter_tid, __ATOMIC_ACQUIRE))) {
		struct timespec pace = { 0, 1000000 };
		if (mt_now_ns() > dl)
			break;
		nanosleep(&pace, NULL); /* paces a bounded poll of /proc */
	}
	__atomic_store_n(&a_saw_park, mt_now_ns() <= dl, __ATOMIC_RELEASE);
	__atomic_store_n(&section_ended, 1, __ATOMIC_RELEASE);
	mtcp_enable(); /* the deferred checkpoint suspends us here */
	return NULL;
}

static void *request_main(void *arg)
{
	(void)arg;
	b_rc = mtcp_checkpoint();
	b_saw_end = __atomic_load_n(&section_ended, __ATOMIC_ACQUIRE);
	return NULL;
}

static void join_bounded(pthread_t t, const char *what)
{
	struct timespec dl;
	int rc;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += WAIT_S + 5;
	if ((rc = pthread_timedjoin_np(t, NULL, &dl)))
		fail("joining %s: %s", what, strerror(rc));
}

static void check_image(const char *when)
{
	char path[4096];
	struct stat st;
	int n = mtcp_last_image(path, sizeof(path));

	if (n <= 0 || (size_t)n >= sizeof(path))
		fail("%s: mtcp_last_image() returned %d", when, n);
	if (stat(path, &st) || !S_ISREG(st.st_mode) || (st.st_mode & 0777) != 0600)
		fail("%s: image %s missing or not mode 0600", when, path);
}

static int init_only(const char *dir)
{
	struct mtcp_options opts = MTCP_OPTIONS_INIT;
	char image[4096];
	int rc;

	if (dir) {
		opts.set = MTCP_OPT_DIR;
		opts.dir = dir;
	}
	if ((rc = mtcp_init(dir ? &opts : NULL)))
		return 1; /* the library said why */
	if ((rc = mtcp_checkpoint()) != MTCP_CHECKPOINTED) {
		fprintf(stderr, "integ_linked: mtcp_checkpoint() returned %d\n", rc);
		return 1;
	}
	mtcp_last_image(image, sizeof(image));
	printf("image %s\n", image);
	return 0;
}

int main(int argc, char **argv)
{
	struct mtcp_options opts = MTCP_OPTIONS_INIT;
	pthread_t counter_th, a, b;
	char image[4096];
	uint64_t before;
	int rc;

	if (argc > 1 && !strcmp(argv[1], "init"))
		return init_only(argc > 2 ? argv[2] : NULL);
	mt_test_init(argc, argv);

	/* setup: before mtcp_init() nothing works */
	if ((rc = mtcp_checkpoint()) != -ENOTCONN)
		fail("mtcp_checkpoint() before mtcp_init() returned %d, not -ENOTCONN", rc);
	if (mtcp_version_number() != MTCP_VERSION_NUMBER)
		fail("library version %d, header %d", mtcp_version_number(), MTCP_VERSION_NUMBER);
	opts.set = MTCP_OPT_DIR | MTCP_OPT_INTERVAL;
	opts.dir = getenv("MTCP_DIR");
	opts.interval = 0;
	if (!opts.dir)
		skip("MTCP_DIR is not set");
	if ((rc = mtcp_init(&opts)))
		fail("mtcp_init: %s", strerror(-rc));
	if ((rc = pthread_create(&counter_th, NULL, count_main, NULL)))
		fail("pthread_create: %s", strerror(rc));

	/* a checkpoint from inside a section would wait for itself */
	mtcp_disable();
	mtcp_disable();
	rc = mtcp_checkpoint();
	if (rc != -EDEADLK)
		fail("mtcp_checkpoint() in a section returned %d, not -EDEADLK", rc);
	mtcp_enable();
	rc = mtcp_checkpoint();
	if (rc != -EDEADLK)
		fail("mtcp_checkpoint() in a nested section returned %d, not -EDEADLK", rc);
	mtcp_enable();

	/* another thread's section delays a checkpoint until it ends */
	if ((rc = pthread_create(&a, NULL, section_main, NULL)))
		fail("pthread_create: %s", strerror(rc));
	{
		uint64_t dl = mt_now_ns() + (uint64_t)WAIT_S * 1000000000ull;
		while (!__atomic_load_n(&in_section, __ATOMIC_ACQUIRE)) {
			struct timespec pace = { 0, 1000000 };
			if (mt_now_ns() > dl)
				fail("the section thread did not start");
			nanosleep(&pace, NULL); /* paces a bounded poll of a flag */
		}
	}
	if ((rc = pthread_create(&b, NULL, request_main, NULL)))
		fail("pthread_create: %s", strerror(rc));
	join_bounded(b, "the requesting thread");
	join_bounded(a, "the section thread");
	if (!a_saw_park)
		fail("no checkpoint suspended the other threads while a section was open");
	if (b_rc != MTCP_CHECKPOINTED)
		fail("the checkpoint requested during a section returned %d", b_rc);
	if (!b_saw_end)
		fail("the checkpoint completed while the section was still open");
	check_image("after the checkpoint delayed by a section");
	mt_note("a checkpoint waited for an mtcp_disable() section");

	/* the checkpoint to restart from */
	before = __atomic_load_n(&counter, __ATOMIC_RELAXED);
	rc = mtcp_checkpoint();
	if (rc == MTCP_CHECKPOINTED) {
		check_image("after mtcp_checkpoint()");
		mtcp_last_image(image, sizeof(image));
		mt_note("checkpointed: %s", image);
		mt_test_send("image %s", image);
		mt_test_ready(); /* the runner kills us here */
		fail("expected to be killed after the checkpoint, got SIGUSR1");
	}
	if (rc != MTCP_RESTARTED)
		fail("mtcp_checkpoint() returned %d", rc);

	/* verify: the restored process */
	mt_test_send("restored %d %d", (int)getpid(), (int)getppid());
	mt_note("restored: pid %d (was %d), parent %d", (int)getpid(), (int)mt_pid0,
		(int)getppid());
	if (getppid() == mt_ppid0)
		fail("MTCP_RESTARTED, but the parent is the original one");
	{
		uint64_t dl = mt_now_ns() + (uint64_t)WAIT_S * 1000000000ull;
		while (__atomic_load_n(&counter, __ATOMIC_RELAXED) < before + 1000000) {
			struct timespec pace = { 0, 1000000 };
			if (mt_now_ns() > dl)
				fail("the counting thread does not run after the restart");
			nanosleep(&pace, NULL);
		}
	}
	/* a restored process checkpoints itself again */
	rc = mtcp_checkpoint();
	if (rc != MTCP_CHECKPOINTED)
		fail("mtcp_checkpoint() in the restored process returned %d", rc);
	check_image("after the restart");
	mtcp_disable();
	rc = mtcp_checkpoint();
	mtcp_enable();
	if (rc != -EDEADLK)
		fail("after the restart, mtcp_checkpoint() in a section returned %d", rc);
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	join_bounded(counter_th, "the counting thread");
	pass();
}
