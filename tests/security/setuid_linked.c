/* SPDX-License-Identifier: MIT */
/*
 * setuid_linked.c [--dir DIR]: a program linked with libmtcp-fast that
 * multiuser.sh installs setuid-root. It calls mtcp_init() with DIR as its
 * image directory (or with no directory at all), prints "init RC", takes
 * one checkpoint with mtcp_checkpoint() and prints "checkpoint RC PATH"
 * (PATH: mtcp_last_image(), or "-"), then "ready PID" and sleeps until it
 * is killed. It sets no interval, signal or keep: whatever the library
 * takes from the environment shows in what it does.
 * multiuser.sh compiles it itself (the setuid copy needs an absolute
 * run path: the loader ignores $ORIGIN in a setuid program).
 */
#include <mtcp.h>

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct mtcp_options o = MTCP_OPTIONS_INIT;
	char path[4096];
	int rc;

	if (argc == 3 && !strcmp(argv[1], "--dir")) {
		o.set = MTCP_OPT_DIR;
		o.dir = argv[2];
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	rc = mtcp_init(&o);
	printf("init %d\n", rc);
	rc = mtcp_checkpoint();
	if (mtcp_last_image(path, sizeof(path)) <= 0)
		strcpy(path, "-");
	printf("checkpoint %d %s\n", rc, path);
	printf("ready %d\n", (int)getpid());
	for (;;) {
		struct timespec ts = { 1, 0 };
		nanosleep(&ts, NULL);
	}
}
