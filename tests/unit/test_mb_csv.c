/* SPDX-License-Identifier: MIT */
/* test_mb_csv.c - the rows of mtcp-bench's CSV files (bench/mb/csv.c): the
 * headers, quoting, empty fields, and the per-run file's name. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../bench/mb/csv.h"

/* what fn wrote, as a string (free it) */
#define CAPTURE(text, call)                                   \
	do {                                                  \
		size_t len_ = 0;                              \
		FILE *f = open_memstream(&(text), &len_);     \
		assert_non_null(f);                           \
		call;                                         \
		fclose(f);                                    \
	} while (0)

static size_t fields(const char *line)
{
	size_t n = 1;
	int quoted = 0;

	for (; *line && *line != '\n'; line++) {
		if (*line == '"')
			quoted = !quoted;
		else if (*line == ',' && !quoted)
			n++;
	}
	return n;
}

static void test_headers(void **state)
{
	(void)state;
	assert_string_equal(mb_csv_point_header,
			    "mode,kind,point,unit,cow,runs,data_bytes,pause_med_s,"
			    "pause_min_s,pause_max_s,reported_pause_med_s,todisk_med_s,"
			    "todisk_min_s,todisk_max_s,image_bytes,restart_med_s,"
			    "restart_min_s,restart_max_s,write_base_med_s,read_base_med_s,"
			    "fork_base_med_s,base_bytes,pause_ratio,todisk_ratio,"
			    "restart_ratio,criu_pause_s,criu_todisk_s,criu_image_bytes,"
			    "criu_restart_s,extra_mem_med_bytes,extra_mem_min_bytes,"
			    "extra_mem_max_bytes,class,run_time_s,residual_ok,ok,interval_s,"
			    "ckpts_med,wall_med_s,wall_min_s,wall_max_s,slowdown_med,"
			    "slowdown_min,slowdown_max,mean_pause_s,max_pause_s");
	assert_int_equal(fields(mb_csv_point_header), 46);
	assert_string_equal(mb_csv_run_header,
			    "mode,kind,point,unit,cow,run,order,data_bytes,pause_s,"
			    "reported_pause_s,todisk_s,image_bytes,restart_s,write_base_s,"
			    "read_base_s,fork_base_s,base_bytes,criu_pause_s,criu_todisk_s,"
			    "criu_image_bytes,criu_restart_s,extra_mem_bytes,class,run_time_s,"
			    "residual_ok,ok,interval_s,ckpts,wall_s,slowdown,mean_pause_s,"
			    "max_pause_s");
	assert_int_equal(fields(mb_csv_run_header), 32);
}

static void test_quoting(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "plain", "plain" },
		{ "", "" },
		{ "a,b", "\"a,b\"" },
		{ "say \"hi\"", "\"say \"\"hi\"\"\"" },
		{ "two\nlines", "\"two\nlines\"" },
		{ "cr\r", "\"cr\r\"" },
		{ "\"", "\"\"\"\"" },
	};
	size_t bad = 0;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *text = NULL;

		CAPTURE(text, mb_csv_text(f, cases[i].in));
		if (strcmp(text, cases[i].out)) {
			print_error("mb_csv_text(\"%s\") wrote [%s]; want [%s]\n", cases[i].in, text,
				    cases[i].out);
			bad++;
		}
		free(text);
	}
	assert_int_equal(bad, 0);
}

static void test_numbers(void **state)
{
	char *text = NULL;

	(void)state;
	CAPTURE(text, (mb_csv_time(f, 0.0123456789), fputc('|', f), mb_csv_time(f, NAN),
		       fputc('|', f), mb_csv_time(f, INFINITY), fputc('|', f),
		       mb_csv_ratio(f, 2.0 / 3), fputc('|', f), mb_csv_ratio(f, NAN), fputc('|', f),
		       mb_csv_int(f, 0), fputc('|', f), mb_csv_int(f, 1LL << 40), fputc('|', f),
		       mb_csv_int(f, -1), fputc('|', f), mb_csv_text(f, NULL)));
	assert_string_equal(text, "0.012346|||0.6667||0|1099511627776||");
	free(text);
}

static void test_point_row(void **state)
{
	struct mb_key k = { .mode = "memory", .kind = "random", .unit = "MiB", .cow = "stw" };
	struct mb_run r[2];
	struct mb_point p;
	char *text = NULL;

	(void)state;
	strcpy(k.point, "64");
	for (unsigned i = 0; i < 2; i++) {
		mb_run_init(&r[i], i + 1);
		r[i].data_bytes = 67108864;
		r[i].pause_s = 0.1 + 0.1 * i;
		r[i].todisk_s = 0.2;
		r[i].image_bytes = 67200000;
		r[i].restart_s = 0.05;
		r[i].write_base_s = 0.1;
		r[i].read_base_s = 0.05;
		r[i].base_bytes = 67108864;
	}
	r[0].reported_pause_s = 0.01; /* the other run's tool printed none */
	mb_point_of(r, 2, &p);
	CAPTURE(text, assert_int_equal(mb_csv_point_row(f, &k, &p), 0));
	assert_string_equal(text, "memory,random,64,MiB,stw,2,67108864,0.150000,0.100000,"
				  "0.200000,0.010000,0.200000,0.200000,0.200000,67200000,"
				  "0.050000,0.050000,0.050000,0.100000,0.050000,,67108864,1.5000,"
				  "2.0000,1.0000,,,,,,,,,,,1,,,,,,,,,,\n");
	assert_int_equal(fields(text), 46);
	free(text);

	snprintf(r[1].order, sizeof r[1].order, "base-ckpt");
	CAPTURE(text, assert_int_equal(mb_csv_run_row(f, &k, &r[1]), 0));
	assert_string_equal(text, "memory,random,64,MiB,stw,2,base-ckpt,67108864,0.200000,,"
				  "0.200000,67200000,0.050000,0.100000,0.050000,,67108864,,,,,,,,,"
				  "1,,,,,,\n");
	assert_int_equal(fields(text), 32);
	free(text);

	/* copy-on-write with MTCP_VERBOSE=1: the extra memory, in bytes (one run without) */
	k.cow = "cow";
	r[0].extra_bytes = 12582912;
	r[1].extra_bytes = 80740352;
	mb_point_of(r, 2, &p);
	CAPTURE(text, assert_int_equal(mb_csv_point_row(f, &k, &p), 0));
	assert_string_equal(text, "memory,random,64,MiB,cow,2,67108864,0.150000,0.100000,"
				  "0.200000,0.010000,0.200000,0.200000,0.200000,67200000,"
				  "0.050000,0.050000,0.050000,0.100000,0.050000,,67108864,1.5000,"
				  "2.0000,1.0000,,,,,46661632,12582912,80740352,,,,1,,,,,,,,,,\n");
	assert_int_equal(fields(text), 46);
	free(text);
	r[0].extra_bytes = -1;
	mb_point_of(r, 2, &p);
	CAPTURE(text, assert_int_equal(mb_csv_point_row(f, &k, &p), 0));
	assert_non_null(strstr(text, ",,,,,80740352,80740352,80740352,,,,1,,,,,,,,,,\n"));
	free(text);
	CAPTURE(text, assert_int_equal(mb_csv_run_row(f, &k, &r[1]), 0));
	assert_string_equal(text, "memory,random,64,MiB,cow,2,base-ckpt,67108864,0.200000,,"
				  "0.200000,67200000,0.050000,0.100000,0.050000,,67108864,,,,,"
				  "80740352,,,,1,,,,,,\n");
	assert_int_equal(fields(text), 32);
	free(text);
}

static void test_npb_row(void **state)
{
	struct mb_key k = { .mode = "npb", .kind = "binary", .unit = "program" };
	struct mb_run r;
	struct mb_point p;
	char *text = NULL;

	(void)state;
	strcpy(k.point, "my,prog");
	mb_run_init(&r, 1);
	r.todisk_s = 1;
	r.run_time_s = 10;
	r.residual_ok = 0;
	r.ok = 0;
	mb_point_of(&r, 1, &p);
	CAPTURE(text, assert_int_equal(mb_csv_point_row(f, &k, &p), 0));
	/* the pause, restart, baselines and criu are empty; class too (no class) */
	assert_string_equal(text, "npb,binary,\"my,prog\",program,,1,,,,,,1.000000,1.000000,"
				  "1.000000,,,,,,,,,,,,,,,,,,,,10.000000,0,0,,,,,,,,,,\n");
	assert_int_equal(fields(text), 46);
	free(text);

	k.kind = "lu";
	k.unit = "class";
	strcpy(k.point, "A");
	strcpy(k.cls, "A");
	r.residual_ok = 1;
	r.ok = 1;
	CAPTURE(text, assert_int_equal(mb_csv_run_row(f, &k, &r), 0));
	assert_string_equal(text, "npb,lu,A,class,,1,ckpt-base,,,,1.000000,,,,,,,,,,,,A,10.000000,"
				  "1,1,,,,,,\n");
	assert_int_equal(fields(text), 32);
	free(text);
}

/* npb --interval: the slowdown columns at the end, the others as for npb (no extra memory) */
static void test_interval_row(void **state)
{
	struct mb_key k = { .mode = "npb", .kind = "lu-interval", .unit = "class", .cow = "cow" };
	struct mb_run r[3];
	struct mb_point p;
	char *text = NULL;

	(void)state;
	strcpy(k.point, "B");
	strcpy(k.cls, "B");
	for (unsigned i = 0; i < 3; i++) {
		mb_run_init(&r[i], i + 1);
		snprintf(r[i].order, sizeof r[i].order, i % 2 ? "plain-cow-stw" : "stw-cow-plain");
		r[i].data_bytes = 143360000;
		r[i].image_bytes = 140000000;
		r[i].run_time_s = 300 + i;   /* plain: 300, 301, 302 */
		r[i].interval_s = 10;
		r[i].ckpts = r[i].npauses = 29 + i; /* 29, 30, 31 */
		r[i].wall_s = 303 + 2 * i;   /* 303, 305, 307 */
		r[i].slowdown = r[i].wall_s / r[i].run_time_s;
		r[i].mean_pause_s = 0.01 * (i + 1);
		r[i].max_pause_s = 0.02 * (i + 1);
		r[i].residual_ok = 1;
	}
	mb_point_of(r, 3, &p);
	CAPTURE(text, assert_int_equal(mb_csv_point_row(f, &k, &p), 0));
	/* mean pause: (29 x 0.01 + 30 x 0.02 + 31 x 0.03) / 90 = 1.82 / 90 */
	assert_string_equal(text, "npb,lu-interval,B,class,cow,3,143360000,,,,,,,,140000000,,,,,,,"
				  ",,,,,,,,,,,B,301.000000,1,1,10.000000,30,305.000000,303.000000,"
				  "307.000000,1.0133,1.0100,1.0166,0.020222,0.060000\n");
	assert_int_equal(fields(text), 46);
	free(text);

	CAPTURE(text, assert_int_equal(mb_csv_run_row(f, &k, &r[1]), 0));
	assert_string_equal(text, "npb,lu-interval,B,class,cow,2,plain-cow-stw,143360000,,,,"
				  "140000000,,,,,,,,,,,B,301.000000,1,1,10.000000,30,305.000000,"
				  "1.0133,0.020000,0.040000\n");
	assert_int_equal(fields(text), 32);
	free(text);
}

static void test_runs_path(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(mb_csv_runs_path("out.csv", buf, sizeof buf), 0);
	assert_string_equal(buf, "out-runs.csv");
	assert_int_equal(mb_csv_runs_path("/d/r", buf, sizeof buf), 0);
	assert_string_equal(buf, "/d/r-runs.csv");
	assert_int_equal(mb_csv_runs_path("a.CSV", buf, sizeof buf), 0);
	assert_string_equal(buf, "a.CSV-runs.csv");
	assert_int_equal(mb_csv_runs_path(".csv", buf, sizeof buf), 0);
	assert_string_equal(buf, "-runs.csv");
	assert_int_equal(mb_csv_runs_path("0123456789.csv", buf, 15), -ENAMETOOLONG);
	assert_int_equal(mb_csv_runs_path("0123456789.csv", buf, 20), 0);
}

static void test_write_error(void **state)
{
	struct mb_key k = { .mode = "threads", .kind = "idle", .unit = "threads" };
	struct mb_run r;
	FILE *f = fopen("/dev/full", "w");

	(void)state;
	if (!f)
		skip();
	setvbuf(f, NULL, _IONBF, 0);
	mb_run_init(&r, 1);
	assert_int_equal(mb_csv_run_row(f, &k, &r), -EIO);
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_headers),	  cmocka_unit_test(test_quoting),
		cmocka_unit_test(test_numbers),	  cmocka_unit_test(test_point_row),
		cmocka_unit_test(test_npb_row),	  cmocka_unit_test(test_interval_row),
		cmocka_unit_test(test_runs_path),
		cmocka_unit_test(test_write_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
