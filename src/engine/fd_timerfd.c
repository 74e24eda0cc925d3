/* SPDX-License-Identifier: MIT */
/*
 * fd_timerfd.c - save half of timerfds: clock, settime flags, interval,
 * time left and the expirations not yet read, from /proc/self/fdinfo
 * ("clockid:", "ticks:", "settime flags:" (octal), "it_value: (s, ns)",
 * "it_interval: (s, ns)").
 *
 * A periodic timer that expired is brought up to date by the kernel only
 * when it is read or asked (timerfd_gettime): until then fdinfo shows one
 * tick and no time left.  So timerfd_gettime comes first; the fdinfo that
 * follows is consistent (the kernel prints it under the timer's lock), and
 * is read again if the timer expired in between.
 */
#include "engine.h"
#include "fd_save.h"
#include "syscall.h"

#include <string.h>
#include <sys/syscall.h>
#include <time.h>

#ifndef TFD_TIMER_ABSTIME
#define TFD_TIMER_ABSTIME 1
#endif

/* "key (S, NS)" in fdinfo text: S * 1e9 + NS; 0 if absent, *found says. */
static uint64_t info_timespec(const char *info, const char *key, int *found)
{
	const char *p = strstr(info, key);
	uint64_t sec = 0, nsec = 0;

	*found = 0;
	if (!p || (p != info && p[-1] != '\n'))
		return 0;
	p += strlen(key);
	while (*p == ' ' || *p == '(')
		p++;
	if (*p < '0' || *p > '9')
		return 0;
	for (; *p >= '0' && *p <= '9'; p++)
		sec = sec * 10 + (uint64_t)(*p - '0');
	while (*p == ',' || *p == ' ')
		p++;
	for (; *p >= '0' && *p <= '9'; p++)
		nsec = nsec * 10 + (uint64_t)(*p - '0');
	if (*p != ')')
		return 0;
	*found = 1;
	return sec * 1000000000ull + nsec;
}

/* now on clockid, in ns; the alarm clocks read as their base clocks
 * where there is no RTC to read them by. */
static uint64_t clock_now(int clockid)
{
	struct timespec ts = { 0, 0 };

	if (raw_syscall2(SYS_clock_gettime, clockid, (long)&ts) < 0)
		raw_syscall2(SYS_clock_gettime, clockid == CLOCK_BOOTTIME_ALARM ? CLOCK_BOOTTIME
					       : CLOCK_REALTIME, (long)&ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int fdk_timerfd_save(struct fd_save *s)
{
	struct engine *e = &mtcp_engine;
	char *info = e->scratch + SCRATCH_FD_INFO_OFF;
	struct mtcp_rec_timerfd r;
	int ok = 0;

	memset(&r, 0, sizeof(r));
	for (int tries = 0; tries < 3 && !ok; tries++) {
		struct { long is, ins, vs, vns; } its;
		int f1 = 0, f2 = 0, f3 = 0, f4 = 0, f5 = 0;
		raw_syscall2(SYS_timerfd_gettime, s->e->fd, (long)&its);
		if (fd_read_fdinfo(s->e->fd, info, SCRATCH_FD_INFO_LEN) < 0)
			break;
		r.clockid = (int32_t)fd_info_u64(info, "clockid:", 10, &f1);
		r.ticks = fd_info_u64(info, "ticks:", 10, &f2);
		r.settime_flags = (uint32_t)fd_info_u64(info, "settime flags:", 8, &f3);
		r.value_ns = info_timespec(info, "it_value:", &f4);
		r.interval_ns = info_timespec(info, "it_interval:", &f5);
		if (!(f1 && f2 && f3 && f4 && f5))
			break;
		/* expired again since timerfd_gettime: not up to date */
		ok = !(r.interval_ns && !r.value_ns) ? 1 : 0;
		if (!ok && tries == 2)
			ok = 1; /* keeps expiring faster than we look: as it is */
	}
	if (!ok)
		return fd_save_unsupported(s, "its settings cannot be read");
	if ((r.settime_flags & TFD_TIMER_ABSTIME) && r.value_ns)
		r.abs_ns = clock_now(r.clockid) + r.value_ns;
	return fd_emit(s, s->link, MTCP_REC_TIMERFD, &r, sizeof(r), NULL, 0);
}
