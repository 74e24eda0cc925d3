/* SPDX-License-Identifier: MIT */
/*
 * options.h - parsers for option values, shared by the library (MTCP_*
 * environment variables, read inside a preloaded program) and the tools
 * (command-line options).
 *
 * They allocate nothing, use no stdio and no locale: the library may parse
 * after the program called setlocale(), where strtod() would want a decimal
 * comma.  Every parser takes the whole string: no sign, no spaces, no base
 * prefix, no trailing characters.  Each returns 0 and stores the value, or
 * -EINVAL and leaves *out untouched.  A NULL string or NULL out is -EINVAL.
 */
#ifndef MTCP_OPTIONS_H
#define MTCP_OPTIONS_H

/* Longest interval or timeout accepted: a year of seconds. */
#define OPT_SECONDS_MAX 31536000.0
#define OPT_KEEP_MAX 1000
/* The kernel's PID_MAX_LIMIT on 64-bit. */
#define OPT_PID_MAX 4194304

/* The pid mtcp_launch ran the program as (its own: it executes the program
 * in its place).  The preloaded library starts in that process, also after
 * it executes another program, and nowhere else unless MTCP_INHERIT=1. */
#define MTCP_LAUNCH_PID_ENV "MTCP_LAUNCH_PID"

/* Seconds between checkpoints: digits with at most one '.', at least one
 * digit ("2", "0.1", ".5", "5." and "0" are fine); no exponent, no "inf" or
 * "nan".  0 <= value <= OPT_SECONDS_MAX.  A non-zero string too small for a
 * double (0.000...1 with hundreds of zeros) is -EINVAL rather than 0, since
 * 0 means "on demand only". */
int opt_parse_interval(const char *s, double *out);

/* The same syntax as an interval, but the value must be > 0. */
int opt_parse_timeout(const char *s, double *out);

/* A checkpoint signal, as a decimal number ("62") or a name, ASCII
 * case-insensitive, with or without "SIG": "SIGUSR1", "usr1", "RTMIN",
 * "SIGRTMIN+3", "RTMAX-2".  RTMIN and RTMAX are the glibc-visible bounds
 * SIGRTMIN and SIGRTMAX (34 and 64): RTMIN+n and RTMAX-n must stay within
 * them.  The result must pass opt_check_signal(). */
int opt_parse_signal(const char *s, int *out);

/* 0 if `sig` may be the checkpoint signal, -EINVAL if not.  Accepted:
 * SIGRTMIN..SIGRTMAX, and 1..31 except SIGKILL and SIGSTOP (cannot be
 * caught), SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT and SIGTRAP (programs
 * and debuggers need them for faults and aborts), SIGCHLD and SIGCONT
 * (raised by the kernel for job control and child state, so a checkpoint
 * would start by itself).  32 and 33 are glibc's own, 0 is no signal. */
int opt_check_signal(int sig);

/* 0 if `sig` may be the termination signal of MTCP_ON_TERM / --on-term:
 * what opt_check_signal() accepts, less the signals whose default action
 * is to stop the process or to do nothing (SIGTSTP, SIGTTIN, SIGTTOU,
 * SIGURG, SIGWINCH): "take a final checkpoint, then let the signal act"
 * means a signal that ends the program. */
int opt_check_term_signal(int sig);

/* MTCP_ON_TERM's value: "" or "0" is off (*out = 0), "1" is SIGTERM, and
 * otherwise a signal name as opt_parse_signal() reads it ("USR1",
 * "SIGRTMIN+2"), never a number ("1" is not SIGHUP here).  The signal
 * must pass opt_check_term_signal(). */
int opt_parse_on_term(const char *s, int *out);

/* How many images to keep: decimal 1..OPT_KEEP_MAX. */
int opt_parse_keep(const char *s, int *out);

/* A decimal integer lo..hi (0 <= lo <= hi). */
int opt_parse_int(const char *s, int lo, int hi, int *out);

/* One of the words of the NULL-terminated list, exactly; *out = its index. */
int opt_parse_word(const char *s, const char *const *words, int *out);

/* A process id: decimal 1..OPT_PID_MAX. */
int opt_parse_pid(const char *s, int *out);

/* Writes the name of `sig` for messages into buf (always NUL-terminated,
 * truncated to len) and returns buf: "SIGUSR1", "SIGRTMIN", "SIGRTMIN+28";
 * "SIG32" for a number without a name.  Returns "" if buf is NULL or len
 * is 0.  opt_parse_signal() reads back every name it writes. */
const char *opt_signal_name(int sig, char *buf, unsigned len);

#endif
