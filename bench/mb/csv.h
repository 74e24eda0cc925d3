/* SPDX-License-Identifier: MIT */
/*
 * csv.h: the two CSV files of mtcp-bench (columns: bench/mb/README.md).
 * Fields are quoted only when they hold a comma, a quote or a line break
 * (RFC 4180, a quote doubled inside); NAN times and negative sizes or flags
 * are empty fields.
 */
#ifndef MB_CSV_H
#define MB_CSV_H

#include "result.h"

#include <stddef.h>
#include <stdio.h>

extern const char mb_csv_point_header[]; /* FILE.csv's first line, without '\n' */
extern const char mb_csv_run_header[];	 /* FILE-runs.csv's */

/* One field, no separator: text, a time (%.6f), a ratio (%.4f), a size or flag. */
void mb_csv_text(FILE *f, const char *s);
void mb_csv_time(FILE *f, double v);
void mb_csv_ratio(FILE *f, double v);
void mb_csv_int(FILE *f, long long v);

/*
 * A separator (','), then one field as above: for the rows of every mode,
 * written column by column after their key. mb_csv_next_size writes a
 * size's statistic rounded (NAN: an empty field).
 */
void mb_csv_next_text(FILE *f, const char *s);
void mb_csv_next_time(FILE *f, double v);
void mb_csv_next_ratio(FILE *f, double v);
void mb_csv_next_int(FILE *f, long long v);
void mb_csv_next_size(FILE *f, double v);

/*
 * A statistic's three columns (median, minimum, maximum), each written by
 * next: mb_csv_next_time, mb_csv_next_ratio or mb_csv_next_size.
 */
void mb_csv_next_stat(FILE *f, const struct mb_stat *s, void (*next)(FILE *, double));

/* The end of a row: its '\n'. @return 0, or -EIO if f has an error. */
int mb_csv_end_row(FILE *f);

/* One row with its '\n'. @return 0, or -EIO if f has an error. */
int mb_csv_point_row(FILE *f, const struct mb_key *k, const struct mb_point *p);
int mb_csv_run_row(FILE *f, const struct mb_key *k, const struct mb_run *r);

/*
 * The per-run file next to out: "x.csv" -> "x-runs.csv", "x" -> "x-runs.csv".
 * @return 0; -ENAMETOOLONG if it does not fit in n bytes.
 */
int mb_csv_runs_path(const char *out, char *buf, size_t n);

#endif
