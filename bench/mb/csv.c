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

/* a separator, then a field */
static void next_text(FILE *f, const char *s)
{
	fputc(',', f);
	mb_csv_text(f, s);
}

static void next_time(FILE *f, double v)
{
	fputc(',', f);
	mb_csv_time(f, v);
}

static void next_ratio(FILE *f, double v)
{
	fputc(',', f);
	mb_csv_ratio(f, v);
}

static void next_int(FILE *f, long long v)
{
	fputc(',', f);
	mb_csv_int(f, v);
}

int mb_csv_point_row(FILE *f, const struct mb_key *k, const struct mb_point *p)
{
	key(f, k);
	fprintf(f, "%u", p->runs);
	next_int(f, p->data_bytes);
	next_time(f, p->pause.med);
	next_time(f, p->pause.min);
	next_time(f, p->pause.max);
	next_time(f, p->reported_pause.med);
	next_time(f, p->todisk.med);
	next_time(f, p->todisk.min);
	next_time(f, p->todisk.max);
	next_int(f, p->image_bytes);
	next_time(f, p->restart.med);
	next_time(f, p->restart.min);
	next_time(f, p->restart.max);
	next_time(f, p->write_base_med_s);
	next_time(f, p->read_base_med_s);
	next_time(f, p->fork_base_med_s);
	next_int(f, p->base_bytes);
	next_ratio(f, p->pause_ratio);
	next_ratio(f, p->todisk_ratio);
	next_ratio(f, p->restart_ratio);
	next_time(f, p->criu_pause_s);
	next_time(f, p->criu_todisk_s);
	next_int(f, p->criu_image_bytes);
	next_time(f, p->criu_restart_s);
	next_int(f, p->extra.n ? llround(p->extra.med) : -1);
	next_int(f, p->extra.n ? llround(p->extra.min) : -1);
	next_int(f, p->extra.n ? llround(p->extra.max) : -1);
	next_text(f, k->cls);
	next_time(f, p->run_time_s);
	next_int(f, p->residual_ok);
	next_int(f, p->ok);
	next_time(f, p->interval_s);
	next_int(f, p->ckpts_med);
	next_time(f, p->wall.med);
	next_time(f, p->wall.min);
	next_time(f, p->wall.max);
	next_ratio(f, p->slowdown.med);
	next_ratio(f, p->slowdown.min);
	next_ratio(f, p->slowdown.max);
	next_time(f, p->mean_pause_s);
	next_time(f, p->max_pause_s);
	fputc('\n', f);
	return ferror(f) ? -EIO : 0;
}

int mb_csv_run_row(FILE *f, const struct mb_key *k, const struct mb_run *r)
{
	key(f, k);
	fprintf(f, "%u", r->run);
	next_text(f, r->order);
	next_int(f, r->data_bytes);
	next_time(f, r->pause_s);
	next_time(f, r->reported_pause_s);
	next_time(f, r->todisk_s);
	next_int(f, r->image_bytes);
	next_time(f, r->restart_s);
	next_time(f, r->write_base_s);
	next_time(f, r->read_base_s);
	next_time(f, r->fork_base_s);
	next_int(f, r->base_bytes);
	next_time(f, r->criu_pause_s);
	next_time(f, r->criu_todisk_s);
	next_int(f, r->criu_image_bytes);
	next_time(f, r->criu_restart_s);
	next_int(f, r->extra_bytes);
	next_text(f, k->cls);
	next_time(f, r->run_time_s);
	next_int(f, r->residual_ok);
	next_int(f, r->ok);
	next_time(f, r->interval_s);
	next_int(f, r->ckpts);
	next_time(f, r->wall_s);
	next_ratio(f, r->slowdown);
	next_time(f, r->mean_pause_s);
	next_time(f, r->max_pause_s);
	fputc('\n', f);
	return ferror(f) ? -EIO : 0;
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
