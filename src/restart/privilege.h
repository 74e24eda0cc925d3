/* SPDX-License-Identifier: MIT */
/*
 * privilege.h - who may restart an image, and with which ids it runs
 * (docs/security.md, "Restarting an image").
 *
 *   a user restarts:  only an image file the user owns, written with the
 *                     user's own real, effective and saved uid; the
 *                     restored program has the user's ids
 *   root restarts:    any image whose file is owned by the uid that wrote
 *                     it (its fsuid at the checkpoint); the restored
 *                     program has exactly the writer's ids and groups, and
 *                     every path the image names is opened with them
 *   either way:       each restored thread keeps only the capabilities the
 *                     writer had (restorer.c, limit_caps)
 */
#ifndef MTCP_PRIVILEGE_H
#define MTCP_PRIVILEGE_H

#include <stddef.h>
#include "rst-args.h"

struct image;

/*
 * Decides whether the caller may restart img, and fills ids with what the
 * restored threads must become (ids->set = 0 when they keep the caller's).
 * 0, or -EPERM/-EACCES with a one-line reason.  Warnings (a non-root
 * restart that cannot restore the writer's groups) go to stderr.
 */
int priv_check(const struct image *img, struct rst_ids *ids, char *err, size_t errlen);

/*
 * Root only, before any path from the image is looked at: the writer's
 * supplementary groups, fsgid and fsuid for this (single-threaded)
 * process.  File access is then the writer's (setfsuid away from 0 drops
 * the file capabilities: CAP_DAC_OVERRIDE, CAP_FOWNER, ...); the other
 * privileges stay for clone3 set_tid and PR_SET_MM, until the restorer's
 * threads take the full ids.  No-op when ids->set is 0.
 */
int priv_enter_fs(const struct image *img, const struct rst_ids *ids, char *err, size_t errlen);

/*
 * 1 if this process holds some capability the image's writer did not
 * have, so that the restored threads must cut theirs (restorer.c,
 * limit_caps); 0 if it holds none of them (or the image recorded none):
 * the threads, which start with ours and only lose some, then skip it.
 * Not for a restore into a new user namespace, whose first process has
 * every capability there.
 */
int priv_caps_to_cut(const struct rst_ids *ids);

/* mtcp_restart itself, once the restored program exists: the same ids,
 * so that it holds no more right than the program it supervises. */
int priv_drop_all(const struct rst_ids *ids, char *err, size_t errlen);

#endif
