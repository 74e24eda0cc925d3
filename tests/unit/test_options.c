/* SPDX-License-Identifier: MIT */
/* test_options.c - table-driven unit tests of the option value parsers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <string.h>

#include "options.h"

/* Stored in *out before each call: a parser that fails must not touch it. */
#define SENTINEL_INT (-12345)
#define SENTINEL_DBL (-12345.0)

struct dbl_case {
	const char *in;
	int rc;
	double want;
};

struct int_case {
	const char *in;
	int rc;
	int want;
};

/* Runs every case and reports each mismatch, so one run shows them all. */
static void run_dbl_cases(const char *what, int (*fn)(const char *, double *),
			  const struct dbl_case *c, size_t n)
{
	size_t i, bad = 0;

	for (i = 0; i < n; i++) {
		double out = SENTINEL_DBL;
		int rc = fn(c[i].in, &out);
		double want = c[i].rc ? SENTINEL_DBL : c[i].want;
		/* Exact compare: the parser rounds once, like the literal. */
		if (rc != c[i].rc || out != want) {
			print_error("%s(\"%s\") = %d, out %.17g; want %d, out %.17g\n", what,
				    c[i].in ? c[i].in : "(null)", rc, out, c[i].rc, want);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

static void run_int_cases(const char *what, int (*fn)(const char *, int *),
			  const struct int_case *c, size_t n)
{
	size_t i, bad = 0;

	for (i = 0; i < n; i++) {
		int out = SENTINEL_INT;
		int rc = fn(c[i].in, &out);
		int want = c[i].rc ? SENTINEL_INT : c[i].want;
		if (rc != c[i].rc || out != want) {
			print_error("%s(\"%s\") = %d, out %d; want %d, out %d\n", what,
				    c[i].in ? c[i].in : "(null)", rc, out, c[i].rc, want);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define OK 0
#define BAD (-EINVAL)

/* "0." followed by `zeros` zeros and a 1: far below the smallest double. */
static const char *tiny_number(char *buf, size_t zeros)
{
	memcpy(buf, "0.", 2);
	memset(buf + 2, '0', zeros);
	buf[2 + zeros] = '1';
	buf[3 + zeros] = '\0';
	return buf;
}

static void test_interval(void **state)
{
	static char tiny[600];
	const struct dbl_case cases[] = {
		{ "0", OK, 0.0 },
		{ "00", OK, 0.0 },
		{ "0.0", OK, 0.0 },
		{ "0.1", OK, 0.1 },
		{ "2", OK, 2.0 },
		{ "007", OK, 7.0 },
		{ "2.5", OK, 2.5 },
		{ ".5", OK, 0.5 },
		{ "5.", OK, 5.0 },
		{ "0.000001", OK, 1e-6 },
		{ "0.333333333333333333333333", OK, 0.333333333333333333 },
		{ "1.000000000000000000000000001", OK, 1.0 },
		{ "31536000", OK, 31536000.0 },
		{ "31536000.000", OK, 31536000.0 },
		{ "0000000000000031536000", OK, 31536000.0 },
		{ "31536000.0000001", BAD, 0 },
		{ "31536001", BAD, 0 },
		{ "99999999999999999999999", BAD, 0 },
		{ "", BAD, 0 },
		{ ".", BAD, 0 },
		{ "..", BAD, 0 },
		{ "1.2.3", BAD, 0 },
		{ "-1", BAD, 0 },
		{ "-0", BAD, 0 },
		{ "+1", BAD, 0 },
		{ " 1", BAD, 0 },
		{ "1 ", BAD, 0 },
		{ "1\n", BAD, 0 },
		{ "1s", BAD, 0 },
		{ "1,5", BAD, 0 },
		{ "abc", BAD, 0 },
		{ "nan", BAD, 0 },
		{ "NaN", BAD, 0 },
		{ "inf", BAD, 0 },
		{ "infinity", BAD, 0 },
		{ "1e3", BAD, 0 },
		{ "1e999", BAD, 0 },
		{ "0x10", BAD, 0 },
		{ tiny_number(tiny, 400), BAD, 0 },
		{ NULL, BAD, 0 },
	};

	(void)state;
	run_dbl_cases("opt_parse_interval", opt_parse_interval, cases, N(cases));
	assert_int_equal(opt_parse_interval("1", NULL), -EINVAL);
}

static void test_timeout(void **state)
{
	const struct dbl_case cases[] = {
		{ "0.001", OK, 0.001 },
		{ "10", OK, 10.0 },
		{ "0.5", OK, 0.5 },
		{ "31536000", OK, 31536000.0 },
		{ "0", BAD, 0 },
		{ "0.0", BAD, 0 },
		{ "000", BAD, 0 },
		{ "31536001", BAD, 0 },
		{ "-5", BAD, 0 },
		{ "5s", BAD, 0 },
		{ "inf", BAD, 0 },
		{ "", BAD, 0 },
		{ NULL, BAD, 0 },
	};

	(void)state;
	run_dbl_cases("opt_parse_timeout", opt_parse_timeout, cases, N(cases));
	assert_int_equal(opt_parse_timeout("1", NULL), -EINVAL);
}

static void test_keep(void **state)
{
	const struct int_case cases[] = {
		{ "1", OK, 1 },
		{ "2", OK, 2 },
		{ "0001", OK, 1 },
		{ "999", OK, 999 },
		{ "1000", OK, 1000 },
		{ "1001", BAD, 0 },
		{ "0", BAD, 0 },
		{ "-1", BAD, 0 },
		{ "+1", BAD, 0 },
		{ " 1", BAD, 0 },
		{ "1 ", BAD, 0 },
		{ "1.0", BAD, 0 },
		{ "0x10", BAD, 0 },
		{ "ten", BAD, 0 },
		{ "99999999999999999999999999", BAD, 0 },
		{ "", BAD, 0 },
		{ NULL, BAD, 0 },
	};

	(void)state;
	run_int_cases("opt_parse_keep", opt_parse_keep, cases, N(cases));
	assert_int_equal(opt_parse_keep("1", NULL), -EINVAL);
}

static void test_pid(void **state)
{
	const struct int_case cases[] = {
		{ "1", OK, 1 },
		{ "12345", OK, 12345 },
		{ "4194304", OK, 4194304 },
		{ "4194305", BAD, 0 },
		{ "0", BAD, 0 },
		{ "-1", BAD, 0 },
		{ "+1", BAD, 0 },
		{ "12a", BAD, 0 },
		{ "1 ", BAD, 0 },
		{ "18446744073709551617", BAD, 0 },
		{ "", BAD, 0 },
		{ NULL, BAD, 0 },
	};

	(void)state;
	run_int_cases("opt_parse_pid", opt_parse_pid, cases, N(cases));
	assert_int_equal(opt_parse_pid("1", NULL), -EINVAL);
}

static void test_signal(void **state)
{
	/* Automatic, not static: SIGRTMIN and SIGRTMAX are run-time values. */
	const struct int_case cases[] = {
		{ "62", OK, 62 },
		{ "062", OK, 62 },
		{ "1", OK, SIGHUP },
		{ "10", OK, SIGUSR1 },
		{ "31", OK, SIGSYS },
		{ "34", OK, SIGRTMIN },
		{ "64", OK, SIGRTMAX },
		{ "SIGUSR1", OK, SIGUSR1 },
		{ "USR1", OK, SIGUSR1 },
		{ "usr1", OK, SIGUSR1 },
		{ "sigusr1", OK, SIGUSR1 },
		{ "SigUsr2", OK, SIGUSR2 },
		{ "SIGTERM", OK, SIGTERM },
		{ "HUP", OK, SIGHUP },
		{ "SYS", OK, SIGSYS },
		{ "PIPE", OK, SIGPIPE },
		{ "SIGWINCH", OK, SIGWINCH },
		{ "SIGPROF", OK, SIGPROF },
		{ "POLL", OK, SIGIO },
		{ "SIGRTMIN", OK, SIGRTMIN },
		{ "RTMIN", OK, SIGRTMIN },
		{ "RTMIN+0", OK, SIGRTMIN },
		{ "RTMIN+3", OK, SIGRTMIN + 3 },
		{ "sigrtmin+03", OK, SIGRTMIN + 3 },
		{ "SIGRTMIN+28", OK, SIGRTMIN + 28 },
		{ "RTMIN+30", OK, SIGRTMAX },
		{ "SIGRTMAX", OK, SIGRTMAX },
		{ "RTMAX", OK, SIGRTMAX },
		{ "RTMAX-0", OK, SIGRTMAX },
		{ "SIGRTMAX-2", OK, SIGRTMAX - 2 },
		{ "rtmax-30", OK, SIGRTMIN },
		{ "RTMIN+31", BAD, 0 },
		{ "RTMAX-31", BAD, 0 },
		{ "RTMIN-1", BAD, 0 },
		{ "RTMAX+1", BAD, 0 },
		{ "RTMIN+", BAD, 0 },
		{ "RTMAX-", BAD, 0 },
		{ "RTMIN++3", BAD, 0 },
		{ "RTMIN+ 1", BAD, 0 },
		{ "RTMIN+3x", BAD, 0 },
		{ "RTMIN+99999999999999999999", BAD, 0 },
		{ "0", BAD, 0 },
		{ "32", BAD, 0 },
		{ "33", BAD, 0 },
		{ "65", BAD, 0 },
		{ "99999999999999999999", BAD, 0 },
		{ "9", BAD, 0 },
		{ "KILL", BAD, 0 },
		{ "SIGSTOP", BAD, 0 },
		{ "SEGV", BAD, 0 },
		{ "BUS", BAD, 0 },
		{ "ILL", BAD, 0 },
		{ "FPE", BAD, 0 },
		{ "ABRT", BAD, 0 },
		{ "IOT", BAD, 0 },
		{ "TRAP", BAD, 0 },
		{ "CHLD", BAD, 0 },
		{ "CLD", BAD, 0 },
		{ "CONT", BAD, 0 },
		{ "18", BAD, 0 },
		{ "", BAD, 0 },
		{ "SIG", BAD, 0 },
		{ "SIGSIGUSR1", BAD, 0 },
		{ "USR", BAD, 0 },
		{ "USR11", BAD, 0 },
		{ " USR1", BAD, 0 },
		{ "USR1 ", BAD, 0 },
		{ "SIGUSR1x", BAD, 0 },
		{ "+10", BAD, 0 },
		{ "-10", BAD, 0 },
		{ "0x3e", BAD, 0 },
		{ "SIG62", BAD, 0 },
		{ "10 ", BAD, 0 },
		{ NULL, BAD, 0 },
	};

	(void)state;
	run_int_cases("opt_parse_signal", opt_parse_signal, cases, N(cases));
	assert_int_equal(opt_parse_signal("USR1", NULL), -EINVAL);
}

static void test_on_term(void **state)
{
	static const struct int_case cases[] = {
		{ "1", OK, SIGTERM },
		{ "0", OK, 0 },
		{ "", OK, 0 },
		{ "TERM", OK, SIGTERM },
		{ "SIGUSR1", OK, SIGUSR1 },
		{ "int", OK, SIGINT },
		{ "RTMIN+2", OK, 36 },
		{ "15", BAD, 0 },     /* numbers are not signals here */
		{ "2", BAD, 0 },
		{ "KILL", BAD, 0 },   /* opt_check_signal refuses */
		{ "CHLD", BAD, 0 },
		{ "TSTP", BAD, 0 },   /* default action stops */
		{ "TTIN", BAD, 0 },
		{ "TTOU", BAD, 0 },
		{ "URG", BAD, 0 },    /* default action ignores */
		{ "WINCH", BAD, 0 },
		{ "TERM ", BAD, 0 },
		{ NULL, BAD, 0 },
	};

	(void)state;
	run_int_cases("opt_parse_on_term", opt_parse_on_term, cases, N(cases));
	assert_int_equal(opt_parse_on_term("1", NULL), -EINVAL);
	assert_int_equal(opt_check_term_signal(SIGTERM), 0);
	assert_int_equal(opt_check_term_signal(SIGHUP), 0);
	assert_int_equal(opt_check_term_signal(SIGKILL), -EINVAL);
	assert_int_equal(opt_check_term_signal(SIGWINCH), -EINVAL);
}

static void test_check_signal(void **state)
{
	int sig, bad = 0;

	(void)state;
	for (sig = -1; sig <= 70; sig++) {
		int want_ok = (sig >= SIGRTMIN && sig <= SIGRTMAX) ||
			      (sig >= 1 && sig <= 31 && sig != SIGKILL && sig != SIGSTOP &&
			       sig != SIGSEGV && sig != SIGBUS && sig != SIGILL &&
			       sig != SIGFPE && sig != SIGABRT && sig != SIGTRAP &&
			       sig != SIGCHLD && sig != SIGCONT);
		if (opt_check_signal(sig) != (want_ok ? 0 : -EINVAL)) {
			print_error("opt_check_signal(%d) = %d\n", sig, opt_check_signal(sig));
			bad++;
		}
	}
	assert_int_equal(bad, 0);
	assert_int_equal(opt_check_signal(INT_MIN), -EINVAL);
	assert_int_equal(opt_check_signal(INT_MAX), -EINVAL);
}

static void test_signal_name(void **state)
{
	char buf[32];
	char small[5];

	(void)state;
	assert_string_equal(opt_signal_name(SIGUSR1, buf, sizeof(buf)), "SIGUSR1");
	assert_string_equal(opt_signal_name(SIGHUP, buf, sizeof(buf)), "SIGHUP");
	assert_string_equal(opt_signal_name(SIGSYS, buf, sizeof(buf)), "SIGSYS");
	assert_string_equal(opt_signal_name(SIGABRT, buf, sizeof(buf)), "SIGABRT");
	assert_string_equal(opt_signal_name(SIGIO, buf, sizeof(buf)), "SIGIO");
	assert_string_equal(opt_signal_name(SIGRTMIN, buf, sizeof(buf)), "SIGRTMIN");
	assert_string_equal(opt_signal_name(SIGRTMIN + 1, buf, sizeof(buf)), "SIGRTMIN+1");
	assert_string_equal(opt_signal_name(62, buf, sizeof(buf)), "SIGRTMIN+28");
	assert_string_equal(opt_signal_name(SIGRTMAX, buf, sizeof(buf)), "SIGRTMIN+30");
	assert_string_equal(opt_signal_name(32, buf, sizeof(buf)), "SIG32");
	assert_string_equal(opt_signal_name(0, buf, sizeof(buf)), "SIG0");
	assert_string_equal(opt_signal_name(65, buf, sizeof(buf)), "SIG65");
	assert_string_equal(opt_signal_name(-5, buf, sizeof(buf)), "SIG-5");
	assert_string_equal(opt_signal_name(INT_MIN, buf, sizeof(buf)), "SIG-2147483648");

	/* Truncated, always terminated, never past len. */
	memset(small, 'x', sizeof(small));
	assert_string_equal(opt_signal_name(SIGUSR1, small, sizeof(small)), "SIGU");
	assert_string_equal(opt_signal_name(62, small, sizeof(small)), "SIGR");
	assert_string_equal(opt_signal_name(SIGUSR1, small, 1), "");
	memset(small, 'x', sizeof(small));
	assert_string_equal(opt_signal_name(SIGUSR1, small, 0), "");
	assert_int_equal(small[0], 'x');
	assert_string_equal(opt_signal_name(SIGUSR1, NULL, 10), "");
}

/* Every valid signal's name reads back as the same signal. */
static void test_signal_round_trip(void **state)
{
	char buf[32];
	int sig, out;

	(void)state;
	for (sig = 1; sig <= SIGRTMAX; sig++) {
		if (opt_check_signal(sig))
			continue;
		opt_signal_name(sig, buf, sizeof(buf));
		out = 0;
		assert_int_equal(opt_parse_signal(buf, &out), 0);
		assert_int_equal(out, sig);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_interval),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_keep),
		cmocka_unit_test(test_pid),
		cmocka_unit_test(test_signal),
		cmocka_unit_test(test_check_signal),
		cmocka_unit_test(test_on_term),
		cmocka_unit_test(test_signal_name),
		cmocka_unit_test(test_signal_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
