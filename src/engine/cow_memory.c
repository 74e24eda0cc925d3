/* SPDX-License-Identifier: MIT */
/*
 * cow_memory.c - what a copy-on-write checkpoint may cost in memory, and
 * what it did: the check MTCP_COW=auto makes before each checkpoint
 * (MemAvailable, and the room the memory cgroups leave, v2 or v1, against
 * the resident size), and the memory the writer process held alone at its
 * end (cow.h).
 */
#include "cow.h"
#include "engine.h"

#include <stdio.h>
#include <string.h>

/* "Key:   123 kB" in a /proc file, in KiB; -1 if missing. */
static long long proc_kib(const char *text, const char *key)
{
	const char *p = strstr(text, key);
	long long v = 0;

	if (!p)
		return -1;
	p += strlen(key);
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p < '0' || *p > '9')
		return -1;
	while (*p >= '0' && *p <= '9')
		v = v * 10 + (*p++ - '0');
	return v;
}

static long long read_u64_file(const char *path)
{
	char buf[64];
	long n = util_read_file(path, buf, sizeof(buf) - 1);
	long long v = 0;

	if (n <= 0 || buf[0] < '0' || buf[0] > '9')
		return -1; /* missing, or "max" */
	for (const char *p = buf; *p >= '0' && *p <= '9'; p++)
		v = v * 10 + (*p - '0');
	return v;
}

/* The least room (limit - usage) the cgroup at path under root and its
 * ancestors leave, folded into room (-1: none limits). */
static void room_up(const char *root, char *path, const char *limit, const char *usage,
		    long long *room)
{
	char file[4096 + 128];

	for (;;) {
		long long max, cur;
		snprintf(file, sizeof(file), "%s%s/%s", root, path, limit);
		max = read_u64_file(file);
		snprintf(file, sizeof(file), "%s%s/%s", root, path, usage);
		cur = read_u64_file(file);
		/* v1 says "no limit" with a huge number, v2 with "max" */
		if (max >= 0 && max < (1ll << 60) && cur >= 0) {
			long long r = max > cur ? max - cur : 0;
			if (*room < 0 || r < *room)
				*room = r;
		}
		char *end = strrchr(path, '/');
		if (!end || end == path) {
			if (path[0] && path[1]) { /* then the root itself */
				path[1] = '\0';
				continue;
			}
			break;
		}
		*end = '\0';
	}
}

/*
 * The least room any memory cgroup ancestor of ours leaves, in bytes; -1
 * if none limits us.  cgroup v2 ("0::/path", memory.max - memory.current,
 * mounted at /sys/fs/cgroup or, on a hybrid hierarchy, /sys/fs/cgroup/
 * unified) and v1 ("N:...memory...:/path", memory.limit_in_bytes -
 * memory.usage_in_bytes under /sys/fs/cgroup/memory).
 */
static long long cgroup_room(void)
{
	char cg[4096], path[4096];
	long n = util_read_file("/proc/self/cgroup", cg, sizeof(cg) - 1);
	long long room = -1;

	if (n <= 0)
		return -1;
	for (char *line = cg; *line;) {
		char *nl = strchr(line, '\n'), *c1 = strchr(line, ':'), *c2;
		if (nl)
			*nl = '\0';
		c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (c2 && c2[1] == '/') {
			size_t klen = (size_t)(c2 - c1 - 1);
			int v2 = klen == 0 && !strncmp(line, "0:", 2);
			int v1 = 0;
			/* v1: the controller list holds "memory" */
			for (const char *k = c1 + 1; k < c2 && !v2;) {
				const char *e = memchr(k, ',', (size_t)(c2 - k));
				size_t l = (size_t)((e ? e : c2) - k);
				v1 |= l == 6 && !memcmp(k, "memory", 6);
				k += l + 1;
			}
			if (v2) {
				snprintf(path, sizeof(path), "%s", c2 + 1);
				room_up("/sys/fs/cgroup", path, "memory.max", "memory.current", &room);
				snprintf(path, sizeof(path), "%s", c2 + 1);
				room_up("/sys/fs/cgroup/unified", path, "memory.max", "memory.current",
					&room);
			} else if (v1) {
				snprintf(path, sizeof(path), "%s", c2 + 1);
				room_up("/sys/fs/cgroup/memory", path, "memory.limit_in_bytes",
					"memory.usage_in_bytes", &room);
			}
		}
		if (!nl)
			break;
		line = nl + 1;
	}
	return room;
}

int cow_wanted(int mode, uint64_t resident, char *why, size_t len)
{
	char mi[8192];
	long long avail = -1, room;

	why[0] = '\0';
	if (mode == COW_OFF)
		return 0;
	if (!cow_ready()) {
		snprintf(why, len, "its memory could not be reserved at start");
		return 0;
	}
	if (mode == COW_ON)
		return 1;
	if (util_read_file("/proc/meminfo", mi, sizeof(mi)) > 0)
		avail = proc_kib(mi, "MemAvailable:");
	if (avail >= 0 && (uint64_t)avail * 1024 < resident) {
		snprintf(why, len, "memory is short (MemAvailable %lld MiB, the program has "
			 "%llu MiB resident; MTCP_COW=1 forces it)", avail >> 10,
			 (unsigned long long)(resident >> 20));
		return 0;
	}
	room = cgroup_room();
	if (room >= 0 && (uint64_t)room < resident) {
		snprintf(why, len, "memory is short (its cgroup allows %lld MiB more, the program "
			 "has %llu MiB resident; MTCP_COW=1 forces it)", room >> 20,
			 (unsigned long long)(resident >> 20));
		return 0;
	}
	return 1;
}

uint64_t cow_extra_kib(char *buf, size_t buflen)
{
	long long c, d;

	if (util_read_file("/proc/self/smaps_rollup", buf, buflen) <= 0)
		return 0;
	c = proc_kib(buf, "Private_Clean:");
	d = proc_kib(buf, "Private_Dirty:");
	return (uint64_t)(c > 0 ? c : 0) + (uint64_t)(d > 0 ? d : 0);
}

