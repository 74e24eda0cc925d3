/* SPDX-License-Identifier: MIT */
/* privilege.c - see privilege.h. */
#include "privilege.h"
#include "image_reader.h"
#include "ctl_path.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <unistd.h>

static int dumpable_of(uint32_t recorded)
{
	/* PR_SET_DUMPABLE takes 0 or 1; 2 (suid_dumpable's "root only") is
	 * the kernel's to give, and is not more than 0 for us */
	return recorded == 1 ? 1 : 0;
}

/* 1 if this process has the image's real, effective and saved gids and
 * exactly its supplementary groups. */
static int same_gids_and_groups(const struct image *img)
{
	const struct mtcp_img_header_v3 *h = &img->hdr;
	gid_t mine[256];
	int n = getgroups(256, mine);
	gid_t r, e, s;
	int same = n >= 0 && (uint32_t)n == h->ngroups;

	for (int i = 0; same && i < n; i++) {
		int found = 0;
		for (uint32_t j = 0; j < h->ngroups && !found; j++)
			found = img->groups[j] == (uint32_t)mine[i];
		same = found;
	}
	if (getresgid(&r, &e, &s) || r != h->gid[0] || e != h->gid[1] || s != h->gid[2])
		same = 0;
	return same;
}

/* 1 if this process already has every id the image records: then no
 * thread has anything to change. */
static int same_ids(const struct image *img)
{
	const struct mtcp_img_header_v3 *h = &img->hdr;
	uid_t r, e, s;

	return !getresuid(&r, &e, &s) && r == h->uid[0] && e == h->uid[1] && s == h->uid[2] &&
	       (uint32_t)setfsuid((uid_t)-1) == h->fsuid &&
	       (uint32_t)setfsgid((gid_t)-1) == h->fsgid && same_gids_and_groups(img);
}

int priv_check(const struct image *img, struct rst_ids *ids, char *err, size_t errlen)
{
	const struct mtcp_img_header_v3 *h = &img->hdr;
	char a[96], b[96];
	struct stat st;
	uid_t me = geteuid();

	memset(ids, 0, sizeof(*ids));
	ids->dumpable = dumpable_of(h->dumpable);
	ids->caps_set = (int32_t)h->caps_valid;
	memcpy(ids->cap_eff, h->cap_eff, sizeof(ids->cap_eff));
	memcpy(ids->cap_prm, h->cap_prm, sizeof(ids->cap_prm));
	memcpy(ids->cap_inh, h->cap_inh, sizeof(ids->cap_inh));
	memcpy(ids->cap_bnd, h->cap_bnd, sizeof(ids->cap_bnd));
	memcpy(ids->cap_amb, h->cap_amb, sizeof(ids->cap_amb));
	ids->no_new_privs = (int32_t)h->no_new_privs;
	if (fstat(img->fd, &st)) {
		snprintf(err, errlen, "cannot stat the image: %s", strerror(errno));
		return -errno;
	}
	if (me != 0) {
		if (st.st_uid != me) {
			snprintf(err, errlen, "the image file belongs to %s; only its owner or "
				 "root may restart it", ctl_user_desc(st.st_uid, a, sizeof(a)));
			return -EACCES;
		}
		if (h->uid[0] != me || h->uid[1] != me || h->uid[2] != me || getuid() != me) {
			snprintf(err, errlen, "the image was written with user ids %u/%u/%u "
				 "(real/effective/saved); only root may restart it with ids "
				 "other than your own", h->uid[0], h->uid[1], h->uid[2]);
			return -EPERM;
		}
		if (!same_gids_and_groups(img))
			fprintf(stderr, "mtcp_restart: warning: the image was written with group "
				"ids %u/%u/%u and %u supplementary groups; it runs with yours (only "
				"root can restore other groups)\n", h->gid[0], h->gid[1], h->gid[2],
				h->ngroups);
		return 0;
	}
	/* root: the file must be the writer's own (an image is trusted only
	 * as far as its writer is), and the program gets the writer's ids */
	if ((uint32_t)st.st_uid != h->fsuid) {
		snprintf(err, errlen, "the image file belongs to %s, but the image says it "
			 "was written by %s: refused", ctl_user_desc(st.st_uid, a, sizeof(a)),
			 ctl_user_desc(h->fsuid, b, sizeof(b)));
		return -EPERM;
	}
	/* root restarting root's image with root's groups: nothing to change
	 * (and then no thread spends system calls on it) */
	ids->set = !same_ids(img);
	memcpy(ids->uid, h->uid, sizeof(ids->uid));
	memcpy(ids->gid, h->gid, sizeof(ids->gid));
	ids->fsuid = h->fsuid;
	ids->fsgid = h->fsgid;
	return 0;
}

int priv_enter_fs(const struct image *img, const struct rst_ids *ids, char *err, size_t errlen)
{
	gid_t *g;

	if (!ids->set)
		return 0;
	g = malloc((img->hdr.ngroups ? img->hdr.ngroups : 1) * sizeof(*g));
	if (!g) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < img->hdr.ngroups; i++)
		g[i] = (gid_t)img->groups[i];
	if (setgroups(img->hdr.ngroups, g)) {
		int e = errno;
		free(g);
		snprintf(err, errlen, "cannot take the image's %u supplementary groups: %s",
			 img->hdr.ngroups, strerror(e));
		return -e;
	}
	free(g);
	setfsgid((gid_t)ids->fsgid);
	setfsuid((uid_t)ids->fsuid);
	/* setfsuid reports the id it had, never an error: read it back */
	if ((uint32_t)setfsgid((gid_t)-1) != ids->fsgid ||
	    (uint32_t)setfsuid((uid_t)-1) != ids->fsuid) {
		snprintf(err, errlen, "cannot take the image's file system ids %u/%u", ids->fsuid,
			 ids->fsgid);
		return -EPERM;
	}
	return 0;
}

int priv_drop_all(const struct rst_ids *ids, char *err, size_t errlen)
{
	uid_t r, e, s;
	gid_t gr, ge, gs;

	if (!ids->set)
		return 0;
	/* glibc broadcasts these to every thread of mtcp_restart */
	if (setresgid(ids->gid[0], ids->gid[1], ids->gid[2]) ||
	    setresuid(ids->uid[0], ids->uid[1], ids->uid[2]) || getresuid(&r, &e, &s) ||
	    getresgid(&gr, &ge, &gs) || r != ids->uid[0] || e != ids->uid[1] ||
	    s != ids->uid[2] || gr != ids->gid[0] || ge != ids->gid[1] || gs != ids->gid[2]) {
		snprintf(err, errlen, "cannot take the image's ids: %s", strerror(errno));
		return -EPERM;
	}
	return 0;
}

/* Our capabilities, as the restorer's threads will start with them
 * (outside a new user namespace they only lose some later). */
struct cap_sets {
	uint32_t eff[2], prm[2], inh[2], bnd[2], amb[2];
};

static int read_caps(struct cap_sets *c)
{
	struct { uint32_t version; int pid; } hdr = { 0x20080522 /* _LINUX_CAPABILITY_VERSION_3 */, 0 };
	struct { uint32_t eff, prm, inh; } d[2];

	memset(c, 0, sizeof(*c));
	if (syscall(SYS_capget, &hdr, d))
		return -errno;
	for (int w = 0; w < 2; w++) {
		c->eff[w] = d[w].eff;
		c->prm[w] = d[w].prm;
		c->inh[w] = d[w].inh;
	}
	for (int i = 0; i < 64; i++) {
		if (prctl(PR_CAPBSET_READ, i, 0, 0, 0) == 1)
			c->bnd[i / 32] |= 1u << (i % 32);
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, i, 0, 0) == 1)
			c->amb[i / 32] |= 1u << (i % 32);
	}
	return 0;
}

int priv_caps_to_cut(const struct rst_ids *ids)
{
	struct cap_sets c;

	if (!ids->caps_set)
		return 0;
	if (read_caps(&c))
		return 1; /* cannot tell: let every thread cut them */
	for (int w = 0; w < 2; w++)
		if ((c.eff[w] & ~ids->cap_eff[w]) || (c.prm[w] & ~ids->cap_prm[w]) ||
		    (c.inh[w] & ~ids->cap_inh[w]) || (c.bnd[w] & ~ids->cap_bnd[w]) ||
		    (c.amb[w] & ~ids->cap_amb[w]))
			return 1;
	return 0;
}
