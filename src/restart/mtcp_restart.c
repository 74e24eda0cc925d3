/* SPDX-License-Identifier: MIT */
/*
 * mtcp_restart.c - `mtcp_restart IMAGE`: validates the image, creates the
 * process that becomes the restored program (with its old pid where the
 * kernel allows it), forwards signals to it and exits with its status.
 *
 *   mtcp_restart (this process, stays)        the restored program
 *     validate image, files, vdso        clone3(set_tid = old pid)
 *     block signals                 ---> restore_child(): fds, cwd, hole,
 *     wait: forward signals,                  restorer: memory, threads
 *           read "R" from status pipe         ... the program runs
 *     exit with its status  <---------------  exit / killed
 */
#include "image_reader.h"
#include "chain.h"
#include "flatten.h"
#include "restore_child.h"
#include "fd_restore.h"
#include "crc32c.h"
#include "userns.h"
#include "glibc-facts.h"
#include "privilege.h"
#include "broker.h"
#include "fd_restore.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/sched.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef MTCP_VERSION_STRING
#define MTCP_VERSION_STRING "unknown"
#endif

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mtcp_restart [--verify | --list] [--no-same-pid] [--fd N=PATH]...\n"
		"                    [--refuse-changed] IMAGE\n"
		"       mtcp_restart --flatten IMAGE OUT\n"
		"Restarts a program from a libmtcp-fast checkpoint image, in the foreground.\n"
		"The restored program's fds 0-2 are this process's where they were a\n"
		"terminal, or a pipe or socket to outside; files stay files.  Signals\n"
		"sent to mtcp_restart are passed on to it; the exit status is the program's\n"
		"(128+N if it was killed by signal N).\n\n"
		"  --verify       check the whole image (every checksum, the files it needs)\n"
		"                 and print a summary; do not restart\n"
		"  --list         print the image's fds, saved files, degraded objects,\n"
		"                 regions and extents, one per line:\n"
		"                 fd N KIND [=DUP_OF] PATH\n"
		"                 filedata PATH SIZE\n"
		"                 filedir PATH NFILES\n"
		"                 degraded FD TEXT\n"
		"                 region START END KIND FLAGS PROT [PATH]\n"
		"                 extent ADDR LEN raw|lz4 STORED_BYTES\n"
		"                 and for an increment (v5) also:\n"
		"                 chain K NAME depth D id ID size BYTES data BYTES [inherits BYTES]\n"
		"                 inherit START END (after its region's extents)\n"
		"                 read NAME ADDR LEN [part START END] (an ancestor's extent\n"
		"                 that an inherited page is read from); do not restart\n"
		"  --flatten IMAGE OUT  write IMAGE and the images it builds on (an\n"
		"                 increment's chain) as one full image OUT (new, mode 0600)\n"
		"  --no-same-pid  do not try to keep the pid and thread ids\n"
		"  --fd N=PATH    the program's fd N (an end of a pipe whose other end was\n"
		"                 outside it) becomes PATH: read ends read it, write ends\n"
		"                 append to it (created 0600); repeatable\n"
		"  --refuse-changed  do not restart if a file the program had open for\n"
		"                 writing changed since the checkpoint (default: a warning)\n"
		"  -h, --help     this text\n"
		"  --version      print the version\n"
		"Exit status: the program's; 1 if the image cannot be restarted; 2 on a usage error.\n");
}

static pid_t clone_child(pid_t want)
{
	return userns_clone3(want, 0);
}

/* pid is this process or one of its ancestors: no waiting frees it. */
static int pid_is_ours(pid_t pid)
{
	pid_t p = getpid();

	for (int depth = 0; p > 1 && depth < 64; depth++) {
		char path[64], line[256];
		FILE *f;
		pid_t parent = 0;

		if (p == pid)
			return 1;
		snprintf(path, sizeof(path), "/proc/%d/status", (int)p);
		f = fopen(path, "re");
		if (!f)
			return 0;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "PPid: %d", &parent) == 1)
				break;
		fclose(f);
		p = parent;
	}
	return p == pid;
}

/*
 * In a pid namespace the restored program is the child of the namespace's
 * init (our child).  Its pid out here is what users see in ps: wait for it
 * to appear (init creates it at once; bounded), and send it to the program
 * through outer_fd, for its images' headers.  0 if it does not appear.
 */
static pid_t pass_outer_pid(pid_t init, int outer_fd)
{
	char path[64];
	int32_t prog = 0;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", init, init);
	for (int i = 0; i < 5000 && prog <= 0; i++) {
		FILE *f = fopen(path, "re");
		if (!f)
			break; /* init is gone */
		if (fscanf(f, "%d", &prog) != 1)
			prog = 0;
		fclose(f);
		if (prog <= 0) {
			struct timespec ts = { 0, 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
	}
	if (write(outer_fd, &prog, sizeof(prog)) != (ssize_t)sizeof(prog))
		prog = 0;
	close(outer_fd);
	return prog > 0 ? prog : 0;
}

/* Waits for the child, passing signals on.  Returns its wait status. */
/* The restored program is in a session of its own (root restarting
 * another user's image): the terminal's signals reach only us. */
static int child_own_session;

static int supervise(pid_t child, const sigset_t *fwd)
{
	int status = 0;

	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(fwd, &si);
		if (sig < 0)
			continue;
		if (sig == SIGCHLD) {
			pid_t p;
			while ((p = waitpid(-1, &status, WNOHANG)) > 0)
				if (p == child)
					return status;
			continue;
		}
		/* the terminal already sent its signals to the whole group */
		if (si.si_code == SI_KERNEL && !child_own_session &&
		    (sig == SIGINT || sig == SIGQUIT || sig == SIGTSTP || sig == SIGWINCH))
			continue;
		kill(child, sig);
	}
}

/* The memory map of an image, for people and tests (--list).  A region's
 * extents are the ones up to the next region's first (image_load checked
 * that their number is the region's nextents). */
static void print_list(const struct chain *c)
{
	const struct image *img = &c->img[0];
	for (uint32_t i = 0; i < img->nfds; i++) {
		const struct img_fd *f = &img->fds[i];
		printf("fd %u %s", f->rec.fd, image_fd_kind_name(f->rec.kind));
		if (f->rec.same_as)
			printf(" =%u", f->rec.same_as - 1);
		printf(" %s\n", f->path);
	}
	for (uint32_t i = 0; i < img->nfiles; i++)
		if (img->files[i].rec.why == MTCP_FILEDATA_SAVE_DIR)
			printf("filedir %s %u\n", img->files[i].path, img->files[i].nnames);
		else
			printf("filedata %s %llu\n", img->files[i].path,
			       (unsigned long long)img->files[i].rec.size);
	for (uint32_t i = 0; i < img->nnotes; i++)
		printf("degraded %d %s\n", img->notes[i].fd, img->notes[i].text);
	static const char *const kinds[] = { "?", "anon", "file-private", "file-shared",
					     "shared-anon", "vdso", "vvar", "vvar_vclock" };

	for (uint32_t i = 0; i < img->nregions; i++) {
		const struct img_region *g = &img->regions[i];
		uint32_t k = g->rec.kind < 8 ? g->rec.kind : 0;
		uint32_t last = i + 1 < img->nregions ? img->regions[i + 1].first_extent
						      : img->nextents;

		printf("region %llx %llx %s %x %x%s%s\n", (unsigned long long)g->rec.start,
		       (unsigned long long)g->rec.end, kinds[k], g->rec.flags, g->rec.prot,
		       g->path[0] ? " " : "", g->path);
		for (uint32_t x = g->first_extent; x < last && x < img->nextents; x++) {
			const struct rst_extent *e = &img->extents[x];
			printf("extent %llx %llu %s %u\n", (unsigned long long)e->addr,
			       (unsigned long long)e->len, e->enc == MTCP_EXT_LZ4 ? "lz4" : "raw",
			       e->data_len);
		}
		/* v5: pages of the parent's, and where each read comes from */
		for (uint32_t x = g->first_run; x < g->first_run + g->nruns; x++)
			printf("inherit %llx %llx\n", (unsigned long long)img->runs[x].start,
			       (unsigned long long)img->runs[x].end);
	}
	for (uint32_t i = 0; c->n > 1 && i < c->nreads; i++) {
		const struct rst_extent *e = &c->reads[i];
		if (!e->img)
			continue;
		printf("read %s %llx %llu", chain_name(c, e->img), (unsigned long long)e->addr,
		       (unsigned long long)e->len);
		if (e->part_end)
			printf(" part %llx %llx", (unsigned long long)e->part_start,
			       (unsigned long long)e->part_end);
		printf("\n");
	}
}

static void hex_id(char out[2 * MTCP_ID_LEN + 1], const uint8_t id[MTCP_ID_LEN])
{
	for (int i = 0; i < MTCP_ID_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", id[i]);
}

/* An increment's chain, newest first, one line per image (nothing for a
 * full image, whose output stays as it was):
 *   chain K NAME depth D id ID8 size BYTES data BYTES [inherits BYTES] */
static void print_chain(const struct chain *c)
{
	char id[2 * MTCP_ID_LEN + 1];

	for (uint32_t k = 0; c->n > 1 && k < c->n; k++) {
		const struct image *m = &c->img[k];
		hex_id(id, m->hdr.image_id);
		id[16] = '\0';
		printf("chain %u %s depth %u id %s size %llu data %llu", k, chain_name(c, k),
		       chain_depth(c, k), id, (unsigned long long)m->size,
		       (unsigned long long)m->data_bytes);
		if (m->incremental)
			printf(" inherits %llu", (unsigned long long)m->inherit_bytes);
		printf("\n");
	}
}

/* One line a script can parse: what the image holds and how it was
 * written; for v3 then who wrote it and where it comes from. */
static void print_verified(const char *path, const struct image *img)
{
	uint64_t f = img->hdr.flags;
	const struct mtcp_img_header_v3 *h = &img->hdr;

	printf("%s: ok: pid %u, %u threads, %u fds, %u regions, %u extents (%u lz4), "
	       "%llu bytes of memory in %llu bytes of data, program %s; format %u, written with "
	       "%s%s%s%s%s%s, %u helper threads, fsync %s",
	       path, img->proc.pid, img->nthreads, img->nfds, img->nregions, img->nextents,
	       img->lz4_extents, (unsigned long long)img->mem_bytes,
	       (unsigned long long)img->data_bytes, img->exe, img->hdr.version,
	       (f & MTCP_IMGF_URING) ? "io_uring" : "pwrite",
	       (f & MTCP_IMGF_DIRECT) ? "+O_DIRECT" : "",
	       (f & MTCP_IMGF_LZ4) ? ", lz4" : "",
	       (f & MTCP_IMGF_ZERO) ? ", zero-check" : "",
	       (f & MTCP_IMGF_SCAN_IOCTL) ? ", PAGEMAP_SCAN" :
	       (f & MTCP_IMGF_PAGEMAP) ? ", pagemap" : "",
	       (f & MTCP_IMGF_FILE_PAGES) ? ", file pages" : "",
	       img->hdr.helpers, (f & MTCP_IMGF_FSYNC_ASYNC) ? "async" : "sync");
	if (!img->restartable) {
		printf("; not restartable by this version (format %u and later)\n",
		       MTCP_IMG_VERSION_RESTART);
		return;
	}
	char image[2 * MTCP_ID_LEN + 1], lineage[2 * MTCP_ID_LEN + 1];
	char parent[2 * MTCP_ID_LEN + 1], launch[2 * MTCP_ID_LEN + 1];
	hex_id(image, h->image_id);
	hex_id(lineage, h->lineage_id);
	hex_id(parent, h->parent_id);
	hex_id(launch, h->launch_id);
	printf("; writer uid %u/%u/%u gid %u/%u/%u fsuid %u fsgid %u, %u groups, dumpable %u, "
	       "outer pid %u; image %s, lineage %s, parent %s, launch %s, seq %llu",
	       h->uid[0], h->uid[1], h->uid[2], h->gid[0], h->gid[1], h->gid[2], h->fsuid,
	       h->fsgid, h->ngroups, h->dumpable, h->outer_pid, image, lineage, parent, launch,
	       (unsigned long long)h->seq);
	if (img->hdr.version < 4) {
		printf("\n");
		return;
	}
	/* v4: complete, or what will not come back as it was, one per line */
	if (!img->nnotes)
		printf("; complete\n");
	else
		printf("; degraded: %u object%s\n", img->nnotes, img->nnotes == 1 ? "" : "s");
	for (uint32_t i = 0; i < img->nnotes; i++)
		printf("degraded: %s\n", img->notes[i].text);
}

/* --fd N=PATH into o (PATH made absolute: the restore opens it after
 * other directory changes).  0, or -1 after a one-line message. */
static int parse_fd_option(struct fdr_options *o, const char *arg)
{
	const char *eq = strchr(arg, '=');
	char *end, *path;
	long n;

	errno = 0;
	n = eq && eq != arg && arg[0] >= '0' && arg[0] <= '9' ? strtol(arg, &end, 10) : -1;
	if (n < 0 || errno || end != eq || n > 1048575 || !eq[1]) {
		fprintf(stderr, "mtcp_restart: --fd '%s': expected N=PATH, with N a number from 0 "
			"to 1048575 and PATH not empty\n", arg);
		return -1;
	}
	for (int i = 0; i < o->nredirect; i++)
		if (o->redirect[i].fd == (int)n) {
			fprintf(stderr, "mtcp_restart: --fd %ld is given twice\n", n);
			return -1;
		}
	if (o->nredirect == FDR_MAX_REDIRECT) {
		fprintf(stderr, "mtcp_restart: more than %d --fd options\n", FDR_MAX_REDIRECT);
		return -1;
	}
	if (eq[1] == '/') {
		path = strdup(eq + 1);
	} else {
		char *cwd = getcwd(NULL, 0);
		path = NULL;
		if (cwd && asprintf(&path, "%s/%s", cwd, eq + 1) < 0)
			path = NULL;
		free(cwd);
	}
	if (!path) {
		fprintf(stderr, "mtcp_restart: --fd %ld: %s\n", n, strerror(errno ? errno : ENOMEM));
		return -1;
	}
	o->redirect[o->nredirect].fd = (int)n;
	o->redirect[o->nredirect].path = path;
	o->nredirect++;
	return 0;
}

/* Every --fd N names an fd the image has. */
static int check_fd_options(const struct fdr_options *o, const struct image *img)
{
	for (int i = 0; i < o->nredirect; i++)
		if (!fdr_find_fd(img, o->redirect[i].fd)) {
			fprintf(stderr, "mtcp_restart: --fd %d: the image has no fd %d\n",
				o->redirect[i].fd, o->redirect[i].fd);
			return -1;
		}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "verify", no_argument, NULL, 'V' },
		{ "list", no_argument, NULL, 'L' },
		{ "flatten", no_argument, NULL, 'T' },
		{ "no-same-pid", no_argument, NULL, 'P' },
		{ "fd", required_argument, NULL, 'F' },
		{ "refuse-changed", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	static struct fdr_options fdo;
	struct restore_opts ro;
	struct chain ch;
	struct image *img = NULL;
	char err[1024];
	int verify = 0, list = 0, flatten = 0, same_pid = 1, in_userns = 0, pid_ours = 0, restored, c, rc, pipefd[2], status;
	int outer[2] = { -1, -1 }, mapped[2] = { -1, -1 }, foreign = 0;
	pid_t prog_outer = 0;
	struct broker broker;
	const char *path;
	sigset_t fwd, old;
	pid_t child;
	char r = 0;

	opterr = 0; /* our own one-line message */
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'V':
			verify = 1;
			break;
		case 'P':
			same_pid = 0;
			break;
		case 'L':
			list = 1;
			break;
		case 'T':
			flatten = 1;
			break;
		case 'F':
			if (parse_fd_option(&fdo, optarg))
				return 2;
			break;
		case 'C':
			fdo.refuse_changed = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'v':
			printf("mtcp_restart %s\n", MTCP_VERSION_STRING);
			return 0;
		case ':':
			fprintf(stderr, "mtcp_restart: option '%s' needs a value (see --help)\n",
				argv[optind - 1]);
			return 2;
		default:
			fprintf(stderr, "mtcp_restart: invalid option '%s' (see --help)\n",
				argv[optind - 1]);
			return 2;
		}
	}
	if (flatten && (verify || list || optind != argc - 2)) {
		fprintf(stderr, "mtcp_restart: --flatten takes IMAGE and OUT, and no --verify or "
			"--list (see --help)\n");
		return 2;
	}
	if (!flatten && optind != argc - 1) {
		fprintf(stderr, "mtcp_restart: expected one IMAGE (see --help)\n");
		return 2;
	}
	path = argv[optind];
	if (!crc32c_supported()) {
		fprintf(stderr, "mtcp_restart: this CPU lacks SSE4.2 (crc32)\n");
		return 1;
	}
	rc = chain_load_newest(path, &ch, err, sizeof(err));
	if (!rc)
		img = &ch.img[0];
	/* --list and --flatten read the chain as the caller: they run
	 * nothing of it */
	if (!rc && (list || flatten))
		rc = chain_load_parents(&ch, err, sizeof(err));
	if (!rc && (list || flatten))
		rc = chain_resolve(&ch, err, sizeof(err));
	if (!rc && flatten)
		rc = chain_flatten(&ch, argv[optind + 1], err, sizeof(err));
	if (!rc && list) {
		print_chain(&ch);
		print_list(&ch);
	}
	if (rc && (list || flatten))
		fprintf(stderr, "mtcp_restart: %s: %s\n", path, err);
	if (list || flatten) {
		chain_free(&ch);
		return rc ? 1 : 0;
	}
	memset(&ro, 0, sizeof(ro));
	ro.fdo = &fdo;
	if (!rc && !verify && check_fd_options(&fdo, img)) {
		chain_free(&ch);
		return 2;
	}
	if (!rc && !img->restartable && !verify) {
		snprintf(err, sizeof(err), "image format version %u can be checked (--verify, "
			 "--list) but not restarted by this mtcp_restart: restarting needs "
			 "version %u (written by libmtcp-fast %s)", img->hdr.version,
			 MTCP_IMG_VERSION_RESTART, MTCP_VERSION_STRING);
		rc = -EPROTO;
	}
	/* who may restart it, and as whom: decided before any path the image
	 * names is looked at, and from then on looked at with the writer's ids */
	if (!rc && img->restartable)
		rc = priv_check(img, &ro.ids, err, sizeof(err));
	/* Root restarting another user's program must not hand it root's
	 * terminal: it could type into it (TIOCSTI) or read from it. */
	foreign = ro.ids.set && (ro.ids.uid[0] || ro.ids.uid[1] || ro.ids.uid[2]);
	for (int fd = 0; !rc && !verify && foreign && fd <= 2; fd++)
		if (isatty(fd)) {
			snprintf(err, sizeof(err), "refused: fd %d is a terminal, and the image is "
				 "uid %u's: its program would get root's terminal; redirect stdin, "
				 "stdout and stderr away from it, or restart as that user "
				 "(runuser -u USER -- mtcp_restart IMAGE)", fd, ro.ids.uid[1]);
			rc = -EPERM;
		}
	if (!rc)
		rc = priv_enter_fs(img, &ro.ids, err, sizeof(err));
	/* the parents are opened with the writer's file system ids, as the
	 * files the image names */
	if (!rc)
		rc = chain_load_parents(&ch, err, sizeof(err));
	if (!rc)
		rc = chain_resolve(&ch, err, sizeof(err));
	if (!rc)
		rc = image_check_files(img, err, sizeof(err));
	if (!rc)
		rc = restore_check_vdso(img, err, sizeof(err));
	if (!rc && verify)
		rc = chain_verify_data(&ch, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "mtcp_restart: %s: %s\n", path, err);
		chain_free(&ch);
		return 1;
	}
	if (verify) {
		print_verified(path, img);
		print_chain(&ch);
		chain_free(&ch);
		return 0;
	}
	if (img->nnotes)
		fprintf(stderr, "mtcp_restart: %s: warning: degraded image: %u object%s will not "
			"come back as %s (mtcp_restart --verify lists them)\n", path, img->nnotes,
			img->nnotes == 1 ? "" : "s", img->nnotes == 1 ? "it was" : "they were");

	ro.tid_offset = glibc_tid_offset();
	glibc_rseq(&ro.rseq_offset, &ro.rseq_size);
	ro.aliases[0] = getpid();
	ro.broker_fd = -1;
	ro.outer_pid_fd = -1;

	/* Every signal that can be caught waits for the child. */
	sigfillset(&fwd);
	sigdelset(&fwd, SIGSEGV);
	sigdelset(&fwd, SIGBUS);
	sigdelset(&fwd, SIGILL);
	sigdelset(&fwd, SIGFPE);
	sigdelset(&fwd, SIGTTIN);
	sigdelset(&fwd, SIGTTOU);
	sigprocmask(SIG_BLOCK, &fwd, &old);
	if (pipe2(pipefd, O_CLOEXEC)) {
		fprintf(stderr, "mtcp_restart: pipe: %s\n", strerror(errno));
		return 1;
	}
	fflush(NULL);

	/* not allowed to choose pids here: a user + pid namespace (made by
	 * the clone below, so that we stay outside it).  Root whose own pid
	 * (or an ancestor's) is the old one, as after `mtcp_launch --resume`
	 * in a container whose pids start alike each time: a pid namespace
	 * alone, where that pid is free (in_userns covers both) */
	pid_ours = same_pid && !userns_needed() && pid_is_ours((pid_t)img->proc.pid);
	in_userns = same_pid && (userns_needed() || pid_ours);
	/* the threads cut their capabilities to the writer's only where ours
	 * exceed them (a new user namespace grants all of its own) */
	if ((!in_userns || pid_ours) && !priv_caps_to_cut(&ro.ids))
		ro.ids.caps_set = 0;
	ro.same_tids = same_pid;
	if (in_userns) {
		/* The namespace's pid 1 reaps and passes signals on; the
		 * restored program is its child with the old pid. */
		ro.in_pidns = 1;
		if (pipe2(outer, O_CLOEXEC)) {
			fprintf(stderr, "mtcp_restart: pipe: %s\n", strerror(errno));
			return 1;
		}
		/* its control socket is ours to serve, from out here */
		if (broker_prepare(&broker, err, sizeof(err))) {
			fprintf(stderr, "mtcp_restart: %s\n", err);
			return 1;
		}
		ro.broker_fd = broker.program_fd;
		if (pipe2(mapped, O_CLOEXEC)) {
			fprintf(stderr, "mtcp_restart: pipe: %s\n", strerror(errno));
			return 1;
		}
		err[0] = '\0';
		child = userns_clone3(0, pid_ours ? CLONE_NEWPID : CLONE_NEWUSER | CLONE_NEWPID);
		if (child == 0) {
			char go = 0;
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			close(outer[1]);
			close(mapped[1]);
			broker_child_side(&broker);
			/* nothing is allowed in here until the parent mapped our ids */
			if (read(mapped[0], &go, 1) != 1 || go != 'M')
				_exit(1);
			close(mapped[0]);
			if (userns_mount_proc(err, sizeof(err))) {
				fprintf(stderr, "mtcp_restart: %s\n", err);
				_exit(1);
			}
			pid_t prog = clone_child((pid_t)img->proc.pid);
			if (prog < 0) {
				fprintf(stderr, "mtcp_restart: cannot create pid %u in the new "
					"namespace: %s\n", img->proc.pid, strerror(errno));
				_exit(1);
			}
			if (prog == 0) {
				close(pipefd[0]);
				ro.status_fd = pipefd[1];
				ro.outer_pid_fd = outer[0];
				restore_child(path, &ch, &ro);
			}
			close(outer[0]);
			close(pipefd[0]);
			close(pipefd[1]);
			/* only the program holds its end: its death closes it */
			close(ro.broker_fd);
			chain_free(&ch);
			status = supervise(prog, &fwd);
			_exit(WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status));
		}
		close(mapped[0]);
		if (child > 0 && !pid_ours && userns_map(child, err, sizeof(err))) {
			kill(child, SIGKILL);
			waitpid(child, NULL, 0);
			child = -1;
			errno = EPERM;
		}
		if (child < 0) {
			/* no user namespaces here: new pid and tids, said once */
			fprintf(stderr, "mtcp_restart: warning: cannot create a user and pid "
				"namespace (%s); the restored program gets new pid and thread "
				"ids\n", err[0] ? err : strerror(errno));
			close(outer[0]);
			close(outer[1]);
			close(mapped[1]);
			broker_stop(&broker);
			in_userns = 0;
			same_pid = 0;
			ro.same_tids = 0;
			ro.in_pidns = 0;
			ro.broker_fd = -1;
			child = clone_child(0);
		} else {
			(void)!write(mapped[1], "M", 1);
			close(mapped[1]);
			close(outer[0]);
			broker_parent_side(&broker);
			prog_outer = pass_outer_pid(child, outer[1]);
		}
	} else {
		child = clone_child(same_pid ? (pid_t)img->proc.pid : 0);
	}
	/* the checkpointed process may still be exiting (kill -9 just sent):
	 * give its pid up to 2 s to become free */
	for (int i = 0; i < 200 && child < 0 && errno == EEXIST && same_pid && !in_userns; i++) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
		child = clone_child((pid_t)img->proc.pid);
	}
	if (child < 0 && same_pid && !in_userns) {
		fprintf(stderr, "mtcp_restart: warning: cannot get pid %u back (%s); the "
			"restored program gets new pid and thread ids\n", img->proc.pid,
			strerror(errno));
		ro.same_tids = 0;
		child = clone_child(0);
	}
	if (child < 0) {
		fprintf(stderr, "mtcp_restart: cannot create a process: %s\n", strerror(errno));
		return 1;
	}
	if (child == 0) {
		/* the restored program is mtcp_restart's foreground job: if
		 * mtcp_restart is killed outright, so is it */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		/* another user's program: without root's controlling terminal
		 * (its fds that were terminals become /dev/null, with a warning) */
		if (foreign)
			setsid();
		close(pipefd[0]);
		ro.status_fd = pipefd[1];
		restore_child(path, &ch, &ro);
	}
	close(pipefd[1]);
	chain_free(&ch);
	child_own_session = foreign;
	/* root restarting a user's image: from here on mtcp_restart is that
	 * user too (the program exists; nothing of ours needs more) */
	if (priv_drop_all(&ro.ids, err, sizeof(err))) {
		fprintf(stderr, "mtcp_restart: %s: %s\n", path, err);
		kill(child, SIGKILL);
		_exit(1);
	}
	/* until the program runs (the restorer writes "R"), signals wait */
	restored = read(pipefd[0], &r, 1) == 1 && r == 'R';
	if (restored && in_userns) {
		pid_t pids[2] = { prog_outer, getpid() };
		rc = broker_start(&broker, geteuid(), pids, 2, err, sizeof(err));
		if (rc)
			fprintf(stderr, "mtcp_restart: warning: %s: %s\n",
				rc < 0 ? "checkpoint requests cannot reach the restored program"
				       : "some names of the restored program's control socket are taken",
				err);
	}
	status = supervise(child, &fwd);
	if (in_userns)
		broker_stop(&broker);
	/* _exit: nothing of ours is left to clean up, and in a user
	 * namespace LeakSanitizer's exit-time scan cannot run (no ptrace) */
	fflush(NULL);
	if (!restored) {
		/* a failing restore said why itself; a crash did not */
		if (WIFSIGNALED(status))
			fprintf(stderr, "mtcp_restart: %s: the restore failed (signal %d)\n", path,
				WTERMSIG(status));
		_exit(1);
	}
	if (WIFSIGNALED(status))
		_exit(128 + WTERMSIG(status));
	_exit(WEXITSTATUS(status));
}
