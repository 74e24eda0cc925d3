/* SPDX-License-Identifier: MIT */
/*
 * ckpt_at_start.c DIR: links the library, calls mtcp_init() with DIR as its
 * image directory and at once mtcp_checkpoint(), from the main thread,
 * while the control thread may still be setting up its socket (slowed by
 * ckpt_at_start.sh: a control directory full of stale names to sweep).
 * Prints "checkpoint RC" and exits 0 when RC is MTCP_CHECKPOINTED; a
 * request lost at start-up would wait forever: an alarm ends the wait
 * after 20 s with "FAIL: ... lost" and exit 1.
 */
#include <mtcp.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void on_alarm(int sig)
{
	static const char msg[] = "FAIL: mtcp_checkpoint() right after mtcp_init() never "
				  "returned: the request was lost\n";
	(void)sig;
	(void)!write(2, msg, sizeof(msg) - 1);
	_exit(1);
}

int main(int argc, char **argv)
{
	struct mtcp_options o = MTCP_OPTIONS_INIT;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: ckpt_at_start DIR\n");
		return 2;
	}
	signal(SIGALRM, on_alarm);
	o.set = MTCP_OPT_DIR;
	o.dir = argv[1];
	rc = mtcp_init(&o);
	if (rc) {
		fprintf(stderr, "FAIL: mtcp_init: %s\n", strerror(-rc));
		return 1;
	}
	alarm(20);
	rc = mtcp_checkpoint();
	alarm(0);
	printf("checkpoint %d\n", rc);
	return rc == MTCP_CHECKPOINTED ? 0 : 1;
}
