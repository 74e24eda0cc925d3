/* SPDX-License-Identifier: MIT */
/*
 * csv.c: writing the rows of FILE.csv and FILE-runs.csv.
 */
#include "csv.h"

#include <errno.h>
#include <math.h>
#include <string.h>

const char mb_csv_point_header[] =
	"mode,kind,point,unit,cow,runs,data_bytes,pause_med_s,pause_min_s,pause_max_s,"
	"reported_pause_med_s,todisk_med_s,todisk_min_s,todisk_max_s,image_bytes,"
	"restart_med_s,restart_min_s,restart_max_s,write_base_med_s,read_base_med_s,"
	"fork_base_med_s,base_bytes,pause_ratio,todisk_ratio,restart_ratio,criu_pause_s,"
	"criu_todisk_s,criu_image_bytes,criu_restart_s,extra_mem_med_bytes,extra_mem_min_bytes,"
	"extra_mem_max_bytes,class,run_time_s,residual_ok,ok,interval_s,ckpts_med,wall_med_s,"
	"wall_min_s,wall_max_s,slowdown_med,slowdown_min,slowdown_max,mean_pause_s,max_pause_s";

const char mb_csv_run_header[] =
	"mode,kind,point,unit,cow,run,order,data_bytes,pause_s,reported_pause_s,todisk_s,"
	"image_bytes,restart_s,write_base_s,read_base_s,fork_base_s,base_bytes,criu_pause_s,"
	"criu_todisk_s,criu_image_bytes,criu_restart_s,extra_mem_bytes,class,run_time_s,"
	"residual_ok,ok,interval_s,ckpts,wall_s,slowdown,mean_pause_s,max_pause_s";

void mb_csv_text(FILE *f, const char *s)
{
	if (!s)
		return;
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

void mb_csv_time(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, "%.6f", v);
}

void mb_csv_ratio(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, "%.4f", v);
}

void mb_csv_int(FILE *f, long long v)
{
	if (v >= 0)
		fprintf(f, "%lld", v);
}

static void key(FILE *f, const struct mb_key *k)
{
	mb_csv_text(f, k->mode);
	fputc(',', f);
	mb_csv_text(f, k->kind);
	fputc(',', f);
	mb_csv_text(f, k->point);
	fputc(',', f);
	mb_csv_text(f, k->unit);
	fputc(',', f);
	mb_csv_text(f, k->cow);
	fputc(',', f);
}

void mb_csv_next_text(FILE *f, const char *s)
{
	fputc(',', f);
	mb_csv_text(f, s);
}

void mb_csv_next_time(FILE *f, double v)
{
	fputc(',', f);
	mb_csv_time(f, v);
}

void mb_csv_next_ratio(FILE *f, double v)
{
	fputc(',', f);
	mb_csv_ratio(f, v);
}

void mb_csv_next_int(FILE *f, long long v)
{
	fputc(',', f);
	mb_csv_int(f, v);
}

void mb_csv_next_size(FILE *f, double v)
{
	mb_csv_next_int(f, isnan(v) ? -1 : llround(v));
}

void mb_csv_next_stat(FILE *f, const struct mb_stat *s, void (*next)(FILE *, double))
{
	next(f, s->med);
	next(f, s->min);
	next(f, s->max);
}

int mb_csv_end_row(FILE *f)
{
	fputc('\n', f);
	return ferror(f) ? -EIO : 0;
}

int mb_csv_point_row(FILE *f, const struct mb_key *k, const struct mb_point *p)
{
	key(f, k);
	fprintf(f, "%u", p->runs);
	mb_csv_next_int(f, p->data_bytes);
	mb_csv_next_stat(f, &p->pause, mb_csv_next_time);
	mb_csv_next_time(f, p->reported_pause.med);
	mb_csv_next_stat(f, &p->todisk, mb_csv_next_time);
	mb_csv_next_int(f, p->image_bytes);
	mb_csv_next_stat(f, &p->restart, mb_csv_next_time);
	mb_csv_next_time(f, p->write_base_med_s);
	mb_csv_next_time(f, p->read_base_med_s);
	mb_csv_next_time(f, p->fork_base_med_s);
	mb_csv_next_int(f, p->base_bytes);
	mb_csv_next_ratio(f, p->pause_ratio);
	mb_csv_next_ratio(f, p->todisk_ratio);
	mb_csv_next_ratio(f, p->restart_ratio);
	mb_csv_next_time(f, p->criu_pause_s);
	mb_csv_next_time(f, p->criu_todisk_s);
	mb_csv_next_int(f, p->criu_image_bytes);
	mb_csv_next_time(f, p->criu_restart_s);
	mb_csv_next_int(f, p->extra.n ? llround(p->extra.med) : -1);
	mb_csv_next_int(f, p->extra.n ? llround(p->extra.min) : -1);
	mb_csv_next_int(f, p->extra.n ? llround(p->extra.max) : -1);
	mb_csv_next_text(f, k->cls);
	mb_csv_next_time(f, p->run_time_s);
	mb_csv_next_int(f, p->residual_ok);
	mb_csv_next_int(f, p->ok);
	mb_csv_next_time(f, p->interval_s);
	mb_csv_next_int(f, p->ckpts_med);
	mb_csv_next_stat(f, &p->wall, mb_csv_next_time);
	mb_csv_next_stat(f, &p->slowdown, mb_csv_next_ratio);
	mb_csv_next_time(f, p->mean_pause_s);
	mb_csv_next_time(f, p->max_pause_s);
	return mb_csv_end_row(f);
}

int mb_csv_run_row(FILE *f, const struct mb_key *k, const struct mb_run *r)
{
	key(f, k);
	fprintf(f, "%u", r->run);
	mb_csv_next_text(f, r->order);
	mb_csv_next_int(f, r->data_bytes);
	mb_csv_next_time(f, r->pause_s);
	mb_csv_next_time(f, r->reported_pause_s);
	mb_csv_next_time(f, r->todisk_s);
	mb_csv_next_int(f, r->image_bytes);
	mb_csv_next_time(f, r->restart_s);
	mb_csv_next_time(f, r->write_base_s);
	mb_csv_next_time(f, r->read_base_s);
	mb_csv_next_time(f, r->fork_base_s);
	mb_csv_next_int(f, r->base_bytes);
	mb_csv_next_time(f, r->criu_pause_s);
	mb_csv_next_time(f, r->criu_todisk_s);
	mb_csv_next_int(f, r->criu_image_bytes);
	mb_csv_next_time(f, r->criu_restart_s);
	mb_csv_next_int(f, r->extra_bytes);
	mb_csv_next_text(f, k->cls);
	mb_csv_next_time(f, r->run_time_s);
	mb_csv_next_int(f, r->residual_ok);
	mb_csv_next_int(f, r->ok);
	mb_csv_next_time(f, r->interval_s);
	mb_csv_next_int(f, r->ckpts);
	mb_csv_next_time(f, r->wall_s);
	mb_csv_next_ratio(f, r->slowdown);
	mb_csv_next_time(f, r->mean_pause_s);
	mb_csv_next_time(f, r->max_pause_s);
	return mb_csv_end_row(f);
}

int mb_csv_runs_path(const char *out, char *buf, size_t n)
{
	size_t len = strlen(out);
	int w;

	if (len >= 4 && !strcmp(out + len - 4, ".csv"))
		len -= 4;
	w = snprintf(buf, n, "%.*s-runs.csv", (int)len, out);
	return w < 0 || (size_t)w >= n ? -ENAMETOOLONG : 0;
}
