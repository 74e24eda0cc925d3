/* SPDX-License-Identifier: MIT */
/* options.c - parse option values without allocation, stdio or locale. */
#include "options.h"

#include <errno.h>
#include <string.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

/* Digits kept of a seconds value: more than a double holds, so dropping
 * the rest changes nothing, and 10^18 still fits a uint64_t. */
#define SECONDS_DIGITS_MAX 18
/* An integer part this big is surely over a year; stopping there keeps
 * every integer digit within SECONDS_DIGITS_MAX. */
#define SECONDS_INT_LIMIT 1000000000u
/* Fraction digits counted: beyond ~342 any mantissa underflows to 0 anyway;
 * the cap only keeps the counter from overflowing on absurd input. */
#define SECONDS_FRAC_MAX 1000

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* ASCII only: toupper() would follow the program's locale. */
static char ascii_upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

/* Reads the decimal digits at *p (at least one) and advances *p past them.
 * -EINVAL if there are none or the value exceeds `max`. */
static int scan_decimal(const char **p, unsigned long max, unsigned long *out)
{
	const char *s = *p;
	unsigned long v = 0;

	if (!is_digit(*s))
		return -EINVAL;
	for (; is_digit(*s); s++) {
		unsigned long d = (unsigned long)(*s - '0');
		if (v > (max - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*p = s;
	*out = v;
	return 0;
}

/* The whole string is a decimal number in [min, max]. */
static int parse_ranged(const char *s, unsigned long min, unsigned long max,
			unsigned long *out)
{
	unsigned long v;

	if (!s || scan_decimal(&s, max, &v) || *s || v < min)
		return -EINVAL;
	*out = v;
	return 0;
}

/* Builds the value as mantissa / 10^frac: both exact in a double for usual
 * inputs ("0.1" is 1 / 10), so the one division rounds correctly. */
static int parse_seconds(const char *s, double *out)
{
	uint64_t m = 0;
	unsigned sig_digits = 0, frac = 0, i;
	int digits = 0, dot = 0;
	double scale = 1.0, v;

	if (!s || !out)
		return -EINVAL;
	for (; *s; s++) {
		if (*s == '.') {
			if (dot)
				return -EINVAL;
			dot = 1;
			continue;
		}
		if (!is_digit(*s))
			return -EINVAL;
		digits = 1;
		if (!dot && m >= SECONDS_INT_LIMIT)
			return -EINVAL;
		if (sig_digits >= SECONDS_DIGITS_MAX)
			continue; /* a fraction digit below a double's precision */
		m = m * 10 + (uint64_t)(*s - '0');
		if (m)
			sig_digits++;
		if (dot && frac < SECONDS_FRAC_MAX)
			frac++;
	}
	if (!digits)
		return -EINVAL;
	for (i = 0; i < frac; i++)
		scale *= 10.0; /* exact up to 10^22; becomes inf past 10^308 */
	v = (double)m / scale;
	if (m && v == 0.0)
		return -EINVAL; /* underflow: not the 0 the user did not write */
	if (v > OPT_SECONDS_MAX)
		return -EINVAL;
	*out = v;
	return 0;
}

int opt_parse_interval(const char *s, double *out)
{
	return parse_seconds(s, out);
}

int opt_parse_timeout(const char *s, double *out)
{
	double v;
	int rc = parse_seconds(s, &v);

	if (rc)
		return rc;
	if (!out || !(v > 0.0))
		return -EINVAL;
	*out = v;
	return 0;
}

int opt_parse_keep(const char *s, int *out)
{
	unsigned long v;

	if (!out || parse_ranged(s, 1, OPT_KEEP_MAX, &v))
		return -EINVAL;
	*out = (int)v;
	return 0;
}

int opt_parse_int(const char *s, int lo, int hi, int *out)
{
	unsigned long v;

	if (!out || lo < 0 || hi < lo || parse_ranged(s, (unsigned long)lo, (unsigned long)hi, &v))
		return -EINVAL;
	*out = (int)v;
	return 0;
}

int opt_parse_word(const char *s, const char *const *words, int *out)
{
	if (!s || !words || !out)
		return -EINVAL;
	for (int i = 0; words[i]; i++) {
		if (!strcmp(s, words[i])) {
			*out = i;
			return 0;
		}
	}
	return -EINVAL;
}

int opt_parse_pid(const char *s, int *out)
{
	unsigned long v;

	if (!out || parse_ranged(s, 1, OPT_PID_MAX, &v))
		return -EINVAL;
	*out = (int)v;
	return 0;
}

struct signal_name {
	int sig;
	const char *name; /* without "SIG" */
};

/* Canonical names first: opt_signal_name() prints the first match.  The
 * aliases after them are only read. */
static const struct signal_name signal_names[] = {
	{ SIGHUP, "HUP" },       { SIGINT, "INT" },       { SIGQUIT, "QUIT" },
	{ SIGILL, "ILL" },       { SIGTRAP, "TRAP" },     { SIGABRT, "ABRT" },
	{ SIGBUS, "BUS" },       { SIGFPE, "FPE" },       { SIGKILL, "KILL" },
	{ SIGUSR1, "USR1" },     { SIGSEGV, "SEGV" },     { SIGUSR2, "USR2" },
	{ SIGPIPE, "PIPE" },     { SIGALRM, "ALRM" },     { SIGTERM, "TERM" },
	{ SIGSTKFLT, "STKFLT" }, { SIGCHLD, "CHLD" },     { SIGCONT, "CONT" },
	{ SIGSTOP, "STOP" },     { SIGTSTP, "TSTP" },     { SIGTTIN, "TTIN" },
	{ SIGTTOU, "TTOU" },     { SIGURG, "URG" },       { SIGXCPU, "XCPU" },
	{ SIGXFSZ, "XFSZ" },     { SIGVTALRM, "VTALRM" }, { SIGPROF, "PROF" },
	{ SIGWINCH, "WINCH" },   { SIGIO, "IO" },         { SIGPWR, "PWR" },
	{ SIGSYS, "SYS" },
	{ SIGABRT, "IOT" },      { SIGIO, "POLL" },       { SIGCHLD, "CLD" },
};

#define N_SIGNAL_NAMES (sizeof(signal_names) / sizeof(signal_names[0]))

/* If s starts with `word` (ASCII case-insensitive), returns the rest. */
static const char *skip_word(const char *s, const char *word)
{
	for (; *word; s++, word++)
		if (ascii_upper(*s) != *word)
			return NULL;
	return s;
}

/* Same letters as `word`, and nothing after them. */
static int is_word(const char *s, const char *word)
{
	const char *rest = skip_word(s, word);
	return rest && !*rest;
}

/* "RTMIN", "RTMIN+n", "RTMAX", "RTMAX-n" (without "SIG"); -EINVAL if not
 * one of them or outside SIGRTMIN..SIGRTMAX. */
static int parse_rt_name(const char *s, int *out)
{
	const char *rest;
	unsigned long n = 0;
	int span = SIGRTMAX - SIGRTMIN;

	if ((rest = skip_word(s, "RTMIN"))) {
		if (*rest == '+') {
			rest++;
			if (scan_decimal(&rest, (unsigned long)span, &n))
				return -EINVAL;
		}
		if (*rest)
			return -EINVAL;
		*out = SIGRTMIN + (int)n;
		return 0;
	}
	if ((rest = skip_word(s, "RTMAX"))) {
		if (*rest == '-') {
			rest++;
			if (scan_decimal(&rest, (unsigned long)span, &n))
				return -EINVAL;
		}
		if (*rest)
			return -EINVAL;
		*out = SIGRTMAX - (int)n;
		return 0;
	}
	return -EINVAL;
}

int opt_check_signal(int sig)
{
	if (sig >= SIGRTMIN && sig <= SIGRTMAX)
		return 0;
	if (sig < 1 || sig > 31)
		return -EINVAL;
	switch (sig) {
	case SIGKILL:
	case SIGSTOP:
	case SIGSEGV:
	case SIGBUS:
	case SIGILL:
	case SIGFPE:
	case SIGABRT:
	case SIGTRAP:
	case SIGCHLD:
	case SIGCONT:
		return -EINVAL;
	default:
		return 0;
	}
}

int opt_parse_signal(const char *s, int *out)
{
	int sig = 0;
	size_t i;

	if (!s || !out)
		return -EINVAL;
	if (is_digit(*s)) {
		unsigned long v;
		/* 64 bounds the digits; opt_check_signal() decides. */
		if (parse_ranged(s, 0, 64, &v))
			return -EINVAL;
		sig = (int)v;
	} else {
		const char *name = skip_word(s, "SIG");
		if (!name)
			name = s;
		for (i = 0; i < N_SIGNAL_NAMES && !sig; i++)
			if (is_word(name, signal_names[i].name))
				sig = signal_names[i].sig;
		if (!sig && parse_rt_name(name, &sig))
			return -EINVAL;
	}
	if (opt_check_signal(sig))
		return -EINVAL;
	*out = sig;
	return 0;
}

int opt_check_term_signal(int sig)
{
	if (opt_check_signal(sig))
		return -EINVAL;
	switch (sig) {
	case SIGTSTP:
	case SIGTTIN:
	case SIGTTOU:
	case SIGURG:
	case SIGWINCH:
		return -EINVAL;
	default:
		return 0;
	}
}

int opt_parse_on_term(const char *s, int *out)
{
	int sig;

	if (!s || !out)
		return -EINVAL;
	if (!*s || !strcmp(s, "0")) {
		*out = 0;
		return 0;
	}
	if (!strcmp(s, "1")) {
		*out = SIGTERM;
		return 0;
	}
	if (is_digit(*s) || opt_parse_signal(s, &sig) || opt_check_term_signal(sig))
		return -EINVAL;
	*out = sig;
	return 0;
}

/* Appends text to buf at *pos, keeping room for the NUL. */
static void put_str(char *buf, unsigned len, unsigned *pos, const char *text)
{
	for (; *text && *pos + 1 < len; text++)
		buf[(*pos)++] = *text;
	buf[*pos] = '\0';
}

static void put_int(char *buf, unsigned len, unsigned *pos, int v)
{
	char tmp[16];
	unsigned i = sizeof(tmp) - 1;
	/* Negate in unsigned arithmetic so INT_MIN does not overflow. */
	unsigned u = v < 0 ? 0u - (unsigned)v : (unsigned)v;

	tmp[i] = '\0';
	do {
		tmp[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		tmp[--i] = '-';
	put_str(buf, len, pos, tmp + i);
}

const char *opt_signal_name(int sig, char *buf, unsigned len)
{
	unsigned pos = 0;
	size_t i;

	if (!buf || !len)
		return "";
	buf[0] = '\0';
	put_str(buf, len, &pos, "SIG");
	for (i = 0; i < N_SIGNAL_NAMES; i++) {
		if (signal_names[i].sig == sig) {
			put_str(buf, len, &pos, signal_names[i].name);
			return buf;
		}
	}
	if (sig >= SIGRTMIN && sig <= SIGRTMAX) {
		put_str(buf, len, &pos, "RTMIN");
		if (sig > SIGRTMIN) {
			put_str(buf, len, &pos, "+");
			put_int(buf, len, &pos, sig - SIGRTMIN);
		}
		return buf;
	}
	put_int(buf, len, &pos, sig);
	return buf;
}
