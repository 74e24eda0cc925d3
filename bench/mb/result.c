/* SPDX-License-Identifier: MIT */
/*
 * result.c: a point summed up from its runs.
 */
#include "result.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void mb_run_init(struct mb_run *r, unsigned run)
{
	memset(r, 0, sizeof *r);
	r->run = run;
	snprintf(r->order, sizeof r->order, "ckpt-base");
	r->data_bytes = r->image_bytes = r->base_bytes = r->criu_image_bytes = r->extra_bytes = -1;
	r->pause_s = r->reported_pause_s = r->todisk_s = r->restart_s = NAN;
	r->write_base_s = r->read_base_s = r->fork_base_s = NAN;
	r->criu_pause_s = r->criu_todisk_s = r->criu_restart_s = NAN;
	r->run_time_s = NAN;
	r->residual_ok = -1;
	r->ok = 1;
	r->interval_s = r->wall_s = r->slowdown = r->mean_pause_s = r->max_pause_s = NAN;
	r->ckpts = r->npauses = -1;
}

/* the mean pause over every checkpoint of the runs, and the longest */
static void pauses(const struct mb_run *runs, size_t n, struct mb_point *p)
{
	double sum = 0, max = NAN;
	long long count = 0;

	for (size_t i = 0; i < n; i++) {
		const struct mb_run *r = &runs[i];

		if (r->npauses > 0 && isfinite(r->mean_pause_s)) {
			sum += r->mean_pause_s * (double)r->npauses;
			count += r->npauses;
		}
		if (isfinite(r->max_pause_s) && !(max >= r->max_pause_s))
			max = r->max_pause_s;
	}
	p->mean_pause_s = count ? sum / (double)count : NAN;
	p->max_pause_s = max;
}

#define STAT(f, s) MB_STAT_FIELD(runs, n, f, s)
#define MED(f) (STAT(f, &tmp), tmp.med)
#define SIZE(f) MB_STAT_SIZE(runs, n, f, NULL)

void mb_point_of(const struct mb_run *runs, size_t n, struct mb_point *p)
{
	struct mb_stat tmp;

	memset(p, 0, sizeof *p);
	p->runs = (unsigned)n;
	p->data_bytes = n ? runs[n - 1].data_bytes : -1;
	p->base_bytes = n ? runs[n - 1].base_bytes : -1;
	STAT(pause_s, &p->pause);
	STAT(reported_pause_s, &p->reported_pause);
	STAT(todisk_s, &p->todisk);
	STAT(restart_s, &p->restart);
	p->image_bytes = MB_STAT_SIZE(runs, n, image_bytes, &p->image);
	p->write_base_med_s = MED(write_base_s);
	p->read_base_med_s = MED(read_base_s);
	p->fork_base_med_s = MED(fork_base_s);
	p->pause_ratio = mb_ratio(p->pause.med, p->write_base_med_s);
	p->todisk_ratio = mb_ratio(p->todisk.med, p->write_base_med_s);
	p->restart_ratio = mb_ratio(p->restart.med, p->read_base_med_s);
	p->criu_pause_s = MED(criu_pause_s);
	p->criu_todisk_s = MED(criu_todisk_s);
	p->criu_image_bytes = SIZE(criu_image_bytes);
	p->criu_restart_s = MED(criu_restart_s);
	MB_STAT_SIZE(runs, n, extra_bytes, &p->extra);
	p->run_time_s = MED(run_time_s);
	p->interval_s = n ? runs[n - 1].interval_s : NAN;
	p->ckpts_med = MB_STAT_SIZE(runs, n, ckpts, &p->ckpts);
	STAT(wall_s, &p->wall);
	STAT(slowdown, &p->slowdown);
	pauses(runs, n, p);
	p->residual_ok = -1;
	p->ok = n > 0;
	for (size_t i = 0; i < n; i++) {
		if (runs[i].residual_ok >= 0)
			p->residual_ok = (p->residual_ok != 0) && runs[i].residual_ok;
		p->ok = p->ok && runs[i].ok;
	}
}
