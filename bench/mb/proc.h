/* SPDX-License-Identifier: MIT */
/*
 * proc.h: the processes mtcp-bench starts, waits for, talks to and kills.
 *
 * Every child gets its own process group, the default signal dispositions,
 * an empty mask and no fd but 0, 1 and 2; its stderr goes to the error log
 * (proc_setup). We are
 * a child subreaper, so whatever our children leave behind (a program
 * criu restored, a restored program whose mtcp_restart died) is ours to
 * reap and to kill: proc_kill_all() kills every descendant, and runs on
 * every exit path (main's atexit handler; SIGINT, SIGTERM, SIGHUP and
 * SIGQUIT only set a flag that every wait here checks, so they end in an
 * ordinary exit).
 */
#ifndef MB_PROC_H
#define MB_PROC_H

#include <stddef.h>
#include <sys/types.h>

/* CLOCK_MONOTONIC, in seconds */
double mb_now(void);

/* Signal handlers, SIGPIPE ignored, subreaper; children's stderr to errfd. */
int proc_setup(int errfd);

/* The signal that asked us to stop (then every wait returns -EINTR), or 0. */
int proc_signal(void);

/* Sleeps secs, less if a stop signal comes. */
void proc_nap(double secs);

/*
 * Starts argv[0] (a path) with stdin in (-1: /dev/null) and stdout out
 * (-1: /dev/null).
 * @return 0 and *pid; -errno.
 */
int proc_spawn(char *const argv[], int in, int out, pid_t *pid);

/* The same with the environment envp (NULL: ours). */
int proc_spawn_env(char *const argv[], char *const envp[], int in, int out, pid_t *pid);

/*
 * Waits up to timeout seconds for our child pid to end; its wait status in
 * *status. The child is not killed on a timeout.
 * @return 0; -ETIMEDOUT; -EINTR (a stop signal came); -errno of waitpid.
 */
int proc_wait(pid_t pid, double timeout, int *status);

/* 1 if our child pid has ended (it is left to be reaped), else 0. */
int proc_ended(pid_t pid);

/* An exit status as a shell shows it: the code, or 128 + the signal. */
int proc_code(int status);

/* SIGKILL our child pid and everything under it, and reap it (pid > 0). */
void proc_kill(pid_t pid);

/* Every descendant gets SIGKILL and is reaped (at most a few seconds). */
void proc_kill_all(void);

/*
 * Runs argv to its end (at most timeout s; then it is killed): its stdout
 * in out (n bytes, NUL-terminated, the rest dropped), its wait status,
 * the wall time from start to exit in *secs.
 * @return 0; -ETIMEDOUT; -EINTR; -errno.
 */
int proc_capture(char *const argv[], double timeout, char *out, size_t n, int *status,
		 double *secs);

/*
 * The same, with its stderr also kept in err (errn bytes, NUL-terminated,
 * the rest dropped; err NULL: none kept) as well as copied to the error log.
 */
int proc_capture_err(char *const argv[], double timeout, char *out, size_t n, char *err,
		     size_t errn, int *status, double *secs);

/* The last lines of the error log, '|'-separated, for a message. */
void proc_errtail(char *buf, size_t n);

/* The error log's size now (a mark for proc_errlog_since), or -1. */
long long proc_errlog_size(void);

/*
 * What the error log gained since mark, NUL-terminated in buf (at most n - 1
 * bytes: the last ones if there are more); "" if nothing or no log.
 */
void proc_errlog_since(long long mark, char *buf, size_t n);

/*
 * A channel to a child: its stdin (a pipe we write; or /dev/null) and its
 * stdout (a pipe we read by lines or whole). chan_open makes the pipes;
 * cin/cout are the child's ends, given to proc_spawn() and closed here by
 * chan_spawned().
 */
struct mb_chan {
	int wfd, rfd;	/* our ends (wfd -1: no stdin pipe) */
	int cin, cout;	/* the child's ends until chan_spawned() */
	int eof;
	size_t len;
	char buf[8192];
};

/* A growing byte buffer that keeps at most max bytes (then truncated = 1). */
struct mb_buf {
	char *p;
	size_t len, cap, max;
	int truncated;
};

int chan_open(struct mb_chan *c, int with_stdin);
void chan_spawned(struct mb_chan *c);
void chan_close(struct mb_chan *c);

/* One line to the child's stdin ('\n' added). 0 or -errno. */
int chan_send(struct mb_chan *c, const char *line);

/*
 * The child's next line (without '\n') in line, within timeout seconds.
 * @return 0; -EPIPE at the end of its output; -ETIMEDOUT; -EINTR.
 */
int chan_line(struct mb_chan *c, double timeout, char *line, size_t n);

/*
 * Everything the child writes, appended to b, until the end of its
 * output (0) or until the clock passes deadline (mb_now(); -ETIMEDOUT);
 * -EINTR on a stop signal.
 */
int chan_collect(struct mb_chan *c, struct mb_buf *b, double deadline);

/* Bytes waiting in the stdout pipe (FIONREAD), or -errno. */
int chan_pending(const struct mb_chan *c);

void buf_free(struct mb_buf *b);

#endif
