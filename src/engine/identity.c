/* SPDX-License-Identifier: MIT */
/* identity.c - the writer's credentials and the lineage's ids, per image. */
#include "identity.h"
#include "engine.h"
#include "image_writer.h"
#include "syscall.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

/* The inode numbers of the initial namespaces (include/linux/proc_ns.h). */
#define PROC_PID_INIT_INO 0xEFFFFFFCu

#define OVERFLOW_ID 65534u

/* In the library's data, so saved with every image: a restarted process
 * still knows its launch. */
static struct {
	uint8_t lineage[MTCP_ID_LEN], parent[MTCP_ID_LEN], launch[MTCP_ID_LEN];
} lin;

static uint64_t mix64(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ull;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static size_t read_random(long fd_or_neg, char *p, size_t len)
{
	size_t got = 0;

	while (got < len) {
		long n = fd_or_neg < 0
				 ? raw_syscall3(SYS_getrandom, (long)(p + got), (long)(len - got), 0)
				 : raw_syscall3(SYS_read, fd_or_neg, (long)(p + got), (long)(len - got));
		if (n == -EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return got;
}

void identity_random(void *buf, size_t len)
{
	char *p = buf;
	size_t got = read_random(-1, p, len);

	if (got < len) { /* getrandom refused (seccomp, an old kernel) */
		long fd = raw_syscall4(SYS_openat, AT_FDCWD, (long)"/dev/urandom",
				       O_RDONLY | O_CLOEXEC, 0);
		if (fd >= 0) {
			got += read_random(fd, p + got, len - got);
			raw_syscall1(SYS_close, fd);
		}
	}
	if (got < len) { /* still unique enough for names, not secret */
		uint64_t s = util_now_ns() ^ ((uint64_t)raw_syscall0(SYS_gettid) << 32) ^
			     (uint64_t)(uintptr_t)buf;
		for (; got < len; got++) {
			s = mix64(s);
			p[got] = (char)s;
		}
	}
}

void identity_init(void)
{
	identity_random(lin.lineage, sizeof(lin.lineage));
	memcpy(lin.launch, lin.lineage, sizeof(lin.launch));
	memset(lin.parent, 0, sizeof(lin.parent));
}

void identity_new_lineage(const uint8_t *parent)
{
	identity_random(lin.lineage, sizeof(lin.lineage));
	memcpy(lin.parent, parent, sizeof(lin.parent));
}

void identity_lineage_hex(char out[9])
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 0; i < 4; i++) {
		out[2 * i] = hex[lin.lineage[i] >> 4];
		out[2 * i + 1] = hex[lin.lineage[i] & 15];
	}
	out[8] = '\0';
}

static const char *parse_u64(const char *p, uint64_t *v)
{
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p < '0' || *p > '9')
		return NULL;
	for (*v = 0; *p >= '0' && *p <= '9'; p++)
		*v = *v * 10 + (uint64_t)(*p - '0');
	return p;
}

uint32_t identity_map_id(const char *map, uint32_t id)
{
	const char *p = map;

	while (p && *p) {
		uint64_t inside, outside, count;
		const char *q = parse_u64(p, &inside);
		if (q)
			q = parse_u64(q, &outside);
		if (q)
			q = parse_u64(q, &count);
		if (q && id >= inside && id - inside < count)
			return (uint32_t)(outside + (id - inside));
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return OVERFLOW_ID;
}

/*
 * A map file relates our user namespace to its parent.  In the initial
 * namespace it is the identity; in one made by an unprivileged
 * mtcp_restart its parent is the initial one.  (Deeper nesting cannot be
 * seen from inside: its ids are those of the parent namespace.)  Without
 * /proc, the ids are taken as they are.
 */
static uint32_t map_id(const char *map, uint32_t id)
{
	return map ? identity_map_id(map, id) : id;
}

static const char *read_map(const char *path, char *buf, size_t len)
{
	return util_read_file(path, buf, len) > 0 ? buf : NULL;
}

/* Our pid as the initial pid namespace sees it, 0 if unknown. */
static uint32_t outer_pid(void)
{
	struct mtcp_restart_info *ri = &mtcp_restart_info;
	struct stat st;

	if (!raw_syscall4(SYS_newfstatat, AT_FDCWD, (long)"/proc/self/ns/pid", (long)&st, 0) &&
	    st.st_ino == PROC_PID_INIT_INO)
		return (uint32_t)raw_syscall0(SYS_getpid);
	/* Restored by mtcp_restart into a pid namespace: aliases[0] is
	 * mtcp_restart's pid, aliases[1] the program's outside it (both in
	 * mtcp_restart's namespace, the initial one when it ran on the host). */
	if (ri->generation && ri->aliases[1] > 0)
		return (uint32_t)ri->aliases[1];
	return 0;
}

/*
 * The capability sets of the calling thread (the control thread: the
 * program's threads have the same unless the program changed one thread's
 * alone).  A restart gives the program no capability outside these.
 */
static void capture_caps(struct iw_identity *id)
{
	struct { uint32_t version; int pid; } hdr = { 0x20080522 /* _LINUX_CAPABILITY_VERSION_3 */, 0 };
	struct { uint32_t eff, prm, inh; } d[2];
	long n;

	memset(d, 0, sizeof(d));
	id->caps_valid = raw_syscall2(SYS_capget, (long)&hdr, (long)d) == 0;
	for (int w = 0; w < 2; w++) {
		id->cap_eff[w] = d[w].eff;
		id->cap_prm[w] = d[w].prm;
		id->cap_inh[w] = d[w].inh;
		id->cap_bnd[w] = id->cap_amb[w] = 0;
	}
	for (int c = 0; c < 64; c++) {
		if (raw_syscall5(SYS_prctl, PR_CAPBSET_READ, c, 0, 0, 0) == 1)
			id->cap_bnd[c / 32] |= 1u << (c % 32);
		if (raw_syscall5(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, c, 0, 0) == 1)
			id->cap_amb[c / 32] |= 1u << (c % 32);
	}
	n = raw_syscall5(SYS_prctl, PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
	id->no_new_privs = n == 1;
}

void identity_fill(struct iw_identity *id, uint64_t seq)
{
	static char uid_map[16384], gid_map[16384];
	const char *um = read_map("/proc/self/uid_map", uid_map, sizeof(uid_map));
	const char *gm = read_map("/proc/self/gid_map", gid_map, sizeof(gid_map));
	uint32_t r[3] = { OVERFLOW_ID, OVERFLOW_ID, OVERFLOW_ID };
	uint32_t g[3] = { OVERFLOW_ID, OVERFLOW_ID, OVERFLOW_ID };
	long n;

	/* one thread's view: glibc keeps every thread's ids equal */
	raw_syscall3(SYS_getresuid, (long)&r[0], (long)&r[1], (long)&r[2]);
	raw_syscall3(SYS_getresgid, (long)&g[0], (long)&g[1], (long)&g[2]);
	for (int i = 0; i < 3; i++) {
		id->uid[i] = map_id(um, r[i]);
		id->gid[i] = map_id(gm, g[i]);
	}
	/* an invalid id changes nothing and returns the current one */
	id->fsuid = map_id(um, (uint32_t)raw_syscall1(SYS_setfsuid, -1));
	id->fsgid = map_id(gm, (uint32_t)raw_syscall1(SYS_setfsgid, -1));
	n = raw_syscall5(SYS_prctl, PR_GET_DUMPABLE, 0, 0, 0, 0);
	id->dumpable = n > 0 ? (uint32_t)n : 0;
	n = raw_syscall2(SYS_getgroups, IW_MAX_GROUPS, (long)id->groups);
	id->ngroups = n > 0 ? (uint32_t)n : 0;
	for (uint32_t i = 0; i < id->ngroups; i++)
		id->groups[i] = map_id(gm, id->groups[i]);

	capture_caps(id);

	identity_random(id->image_id, sizeof(id->image_id));
	memcpy(id->lineage_id, lin.lineage, sizeof(id->lineage_id));
	memcpy(id->parent_id, lin.parent, sizeof(id->parent_id));
	memcpy(id->launch_id, lin.launch, sizeof(id->launch_id));
	id->seq = seq;
	id->outer_pid = outer_pid();
}
