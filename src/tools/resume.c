/* SPDX-License-Identifier: MIT */
/* resume.c - mtcp_launch --resume: find the images of a program, try them. */
#include "resume.h"
#include "image_reader.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define PROG "mtcp_launch"

extern char **environ;

/* One file of the directory that has a readable v3+ header. */
struct entry {
	char *name;
	char *why;      /* image_load's refusal (the header itself is sound) */
	int of_prog;    /* image_load read it and its executable is the program */
	uint64_t created_ns, seq;
	uint64_t mtime_ns; /* the file's: when it was written */
	uint8_t launch_id[RESUME_ID_LEN], lineage_id[RESUME_ID_LEN];
};

struct scan {
	struct entry *e;
	unsigned n, cap;
};

const char *resume_id_hex(const uint8_t id[RESUME_ID_LEN], char out[9])
{
	snprintf(out, 9, "%02x%02x%02x%02x", id[0], id[1], id[2], id[3]);
	return out;
}

int resume_exe_matches(const char *recorded, const char *exe)
{
	static const char deleted[] = " (deleted)";
	size_t len = strlen(recorded), dl = sizeof(deleted) - 1;

	if (len > dl && !strcmp(recorded + len - dl, deleted))
		len -= dl;
	return len == strlen(exe) && !memcmp(recorded, exe, len);
}

/* Names the library's writer leaves only when killed on a file system
 * without O_TMPFILE: ".PROG.PID.LINEAGE.RANDOM.mtcp.tmp" (never whole). */
static int is_temporary(const char *name)
{
	size_t len = strlen(name);

	return name[0] == '.' && len > 9 && !strcmp(name + len - 9, ".mtcp.tmp");
}

static int add_entry(struct scan *s, const char *name, const struct stat *st,
		     const struct mtcp_img_header_v3 *h, const char *why, int of_prog)
{
	struct entry *e;

	if (s->n == s->cap) {
		unsigned cap = s->cap ? 2 * s->cap : 32;
		struct entry *ne = realloc(s->e, cap * sizeof(*ne));
		if (!ne)
			return -ENOMEM;
		s->e = ne;
		s->cap = cap;
	}
	e = &s->e[s->n];
	memset(e, 0, sizeof(*e));
	e->name = strdup(name);
	e->why = why ? strdup(why) : NULL;
	if (!e->name || (why && !e->why)) {
		free(e->name);
		free(e->why);
		return -ENOMEM;
	}
	e->of_prog = of_prog;
	e->created_ns = h->created_ns;
	e->seq = h->seq;
	e->mtime_ns = (uint64_t)st->st_mtim.tv_sec * 1000000000ull + (uint64_t)st->st_mtim.tv_nsec;
	memcpy(e->launch_id, h->launch_id, RESUME_ID_LEN);
	memcpy(e->lineage_id, h->lineage_id, RESUME_ID_LEN);
	s->n++;
	return 0;
}

static void unknown_image(const char *dir, const char *name, const char *why)
{
	fprintf(stderr, PROG ": %s/%s: %s; cannot tell which program it is an image of; "
		"ignored\n", dir, name, why);
}

/* One file: an entry if it is an image with a sound v3+ header; a note on
 * stderr for an image that cannot be placed; nothing for other files. */
static int scan_file(struct scan *s, const char *dir, const char *name, const struct stat *st,
		     const char *exe)
{
	char path[PATH_MAX], err[512], err2[512];
	struct image img;
	int rc, of_prog;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return 0;
	rc = image_load(path, &img, err, sizeof(err));
	if (rc == -ENOMSG)
		return 0; /* not an image */
	if (!rc) {
		of_prog = resume_exe_matches(img.exe, exe);
		if (!img.restartable) {
			if (of_prog)
				fprintf(stderr, PROG ": %s: an image of %s in format version %u, "
					"which cannot be restarted; ignored\n", path, exe,
					img.hdr.version);
			image_free(&img);
			return 0;
		}
		rc = add_entry(s, name, st, &img.hdr, NULL, of_prog);
		image_free(&img);
		return rc;
	}
	/* The reader refused it: the header may still say whose launch it is. */
	rc = image_load_header(path, &img, err2, sizeof(err2));
	if (rc) {
		unknown_image(dir, name, err2);
		return 0;
	}
	if (!img.restartable) {
		unknown_image(dir, name, err);
		image_free(&img);
		return 0;
	}
	rc = add_entry(s, name, st, &img.hdr, err, 0);
	image_free(&img);
	return rc;
}

/* Newest first by time: created_ns (whole seconds in images written before
 * 2026-12-07, ns since),
 * then when the file was written, then the name. */
static int cmp_newest(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->created_ns != y->created_ns)
		return x->created_ns < y->created_ns ? 1 : -1;
	if (x->mtime_ns != y->mtime_ns)
		return x->mtime_ns < y->mtime_ns ? 1 : -1;
	return strcmp(x->name, y->name);
}

static int cmp_seq(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	return x->seq < y->seq ? 1 : x->seq > y->seq ? -1 : 0;
}

static int same_id(const uint8_t *a, const uint8_t *b)
{
	return !memcmp(a, b, RESUME_ID_LEN);
}

/*
 * Sorts newest first.  Times order images of different lineages; within
 * one lineage seq is the truth (a copy may have changed the files' times
 * in the same second): each lineage's images keep the places the times
 * gave them, and fill them in seq order.
 */
static int sort_newest(struct scan *s)
{
	struct entry *tmp;
	unsigned *pos;
	char *done;
	int rc = 0;

	if (s->n < 2)
		return 0;
	qsort(s->e, s->n, sizeof(*s->e), cmp_newest);
	tmp = malloc(s->n * sizeof(*tmp));
	pos = malloc(s->n * sizeof(*pos));
	done = calloc(s->n, 1);
	if (!tmp || !pos || !done) {
		rc = -ENOMEM;
		goto out;
	}
	for (unsigned i = 0; i < s->n; i++) {
		unsigned k = 0;
		if (done[i])
			continue;
		for (unsigned j = i; j < s->n; j++)
			if (!done[j] && same_id(s->e[j].lineage_id, s->e[i].lineage_id)) {
				done[j] = 1;
				pos[k] = j;
				tmp[k++] = s->e[j];
			}
		qsort(tmp, k, sizeof(*tmp), cmp_seq);
		for (unsigned j = 0; j < k; j++)
			s->e[pos[j]] = tmp[j];
	}
out:
	free(tmp);
	free(pos);
	free(done);
	return rc;
}

/* Has an image of this launch been read whole (so its program is known)? */
static int launch_known(const struct scan *s, const uint8_t *id)
{
	for (unsigned i = 0; i < s->n; i++)
		if (!s->e[i].why && same_id(s->e[i].launch_id, id))
			return 1;
	return 0;
}

static void free_scan(struct scan *s)
{
	for (unsigned i = 0; i < s->n; i++) {
		free(s->e[i].name);
		free(s->e[i].why);
	}
	free(s->e);
}

int resume_scan(const char *dir, const char *exe, struct resume_set *set, char *err,
		size_t errlen)
{
	struct scan s = { NULL, 0, 0 };
	const struct entry *newest = NULL;
	struct dirent *d;
	DIR *dp;
	uid_t me = geteuid();
	unsigned ncand = 0;
	int rc = 0;

	memset(set, 0, sizeof(*set));
	dp = opendir(dir);
	if (!dp) {
		rc = -errno;
		snprintf(err, errlen, "cannot read image directory %s: %s", dir, strerror(errno));
		return rc;
	}
	for (;;) {
		struct stat st;

		errno = 0;
		d = readdir(dp);
		if (!d) {
			rc = -errno;
			if (rc)
				snprintf(err, errlen, "cannot read image directory %s: %s", dir,
					 strerror(-rc));
			break;
		}
		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, "..") || is_temporary(d->d_name))
			continue;
		/* Only the caller's own regular files: no symbolic link, and
		 * nothing another user put there. */
		if (fstatat(dirfd(dp), d->d_name, &st, AT_SYMLINK_NOFOLLOW) ||
		    !S_ISREG(st.st_mode) || st.st_uid != me)
			continue;
		rc = scan_file(&s, dir, d->d_name, &st, exe);
		if (rc) {
			snprintf(err, errlen, "%s", strerror(-rc));
			break;
		}
	}
	closedir(dp);
	if (rc)
		goto out;

	rc = sort_newest(&s);
	if (rc) {
		snprintf(err, errlen, "%s", strerror(-rc));
		goto out;
	}
	for (unsigned i = 0; i < s.n && !newest; i++)
		if (s.e[i].of_prog)
			newest = &s.e[i];
	for (unsigned i = 0; i < s.n; i++) {
		const struct entry *e = &s.e[i];
		if (newest && same_id(e->launch_id, newest->launch_id))
			ncand++;
		else if (e->of_prog)
			set->older_launches++;
		else if (e->why && !launch_known(&s, e->launch_id))
			unknown_image(dir, e->name, e->why);
	}
	if (!ncand)
		goto out;
	set->c = calloc(ncand, sizeof(*set->c));
	if (!set->c) {
		rc = -ENOMEM;
		snprintf(err, errlen, "%s", strerror(ENOMEM));
		goto out;
	}
	for (unsigned i = 0; i < s.n; i++) {
		struct entry *e = &s.e[i];
		struct resume_cand *c;
		if (!same_id(e->launch_id, newest->launch_id))
			continue;
		c = &set->c[set->n++];
		/* moved over: free_scan() no longer owns them */
		c->name = e->name;
		c->why = e->why;
		e->name = e->why = NULL;
		c->created_ns = e->created_ns;
		c->seq = e->seq;
		memcpy(c->launch_id, e->launch_id, RESUME_ID_LEN);
	}
out:
	free_scan(&s);
	if (rc)
		resume_free(set);
	return rc;
}

/* The last line of text in buf (its end cut off), without its newline. */
static char *last_line(char *buf, size_t len)
{
	char *p;

	buf[len] = '\0';
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		buf[--len] = '\0';
	p = strrchr(buf, '\n');
	return p ? p + 1 : buf;
}

/*
 * `restart --verify path`, its stdout thrown away: 0 if it exits 0, else
 * -1 with the reason in why: its last line on stderr, less the
 * "mtcp_restart: PATH: " it starts with; -2 if it cannot be run at all.
 */
static int verify(const char *restart, const char *path, char *why, size_t whylen)
{
	char *argv[] = { (char *)restart, (char *)"--verify", (char *)path, NULL };
	posix_spawn_file_actions_t fa;
	char buf[4096], *line;
	size_t len = 0;
	int pfd[2], status, rc;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC)) {
		snprintf(why, whylen, "cannot run %s --verify: %s", restart, strerror(errno));
		return -2;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 2);
	rc = posix_spawn(&pid, restart, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	if (rc) {
		close(pfd[0]);
		snprintf(why, whylen, "cannot run %s --verify: %s", restart, strerror(rc));
		return -2;
	}
	/* Keep the end of what it says: its reason is the last line. */
	for (;;) {
		ssize_t n;
		if (len == sizeof(buf) - 1) {
			memmove(buf, buf + len / 2, len - len / 2);
			len -= len / 2;
		}
		n = read(pfd[0], buf + len, sizeof(buf) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			snprintf(why, whylen, "waiting for %s --verify: %s", restart,
				 strerror(errno));
			return -2;
		}
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	line = last_line(buf, len);
	if (!strncmp(line, "mtcp_restart: ", 14))
		line += 14;
	if (!strncmp(line, path, strlen(path)) && !strncmp(line + strlen(path), ": ", 2))
		line += strlen(path) + 2;
	if (*line)
		snprintf(why, whylen, "%s", line);
	else if (WIFSIGNALED(status))
		snprintf(why, whylen, "mtcp_restart --verify was killed by signal %d",
			 WTERMSIG(status));
	else
		snprintf(why, whylen, "mtcp_restart --verify exited with status %d",
			 WEXITSTATUS(status));
	return -1;
}

int resume_try(const char *dir, const struct resume_set *set, const char *restart)
{
	char path[PATH_MAX], why[4096];

	for (unsigned i = 0; i < set->n; i++) {
		const struct resume_cand *c = &set->c[i];
		int rc = -1;
		snprintf(path, sizeof(path), "%s/%s", dir, c->name);
		if (c->why)
			snprintf(why, sizeof(why), "%s", c->why);
		else
			rc = verify(restart, path, why, sizeof(why));
		if (!rc)
			return (int)i;
		if (rc == -2) {
			fprintf(stderr, PROG ": %s\n", why);
			return -2;
		}
		fprintf(stderr, PROG ": skipping %s: %s\n", path, why);
	}
	return -1;
}

void resume_free(struct resume_set *set)
{
	for (unsigned i = 0; i < set->n; i++) {
		free(set->c[i].name);
		free(set->c[i].why);
	}
	free(set->c);
	memset(set, 0, sizeof(*set));
}
