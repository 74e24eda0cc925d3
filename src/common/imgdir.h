/* SPDX-License-Identifier: MIT */
/*
 * imgdir.h - is a directory fit to hold images?  Shared by the library
 * (at init) and mtcp_launch (before it runs the program), so that both
 * refuse the same directories with the same words (docs/tools.md, "The
 * image directory").  Hosted code: not for the parked path.
 */
#ifndef MTCP_IMGDIR_H
#define MTCP_IMGDIR_H

#include <stddef.h>

/*
 * dir (an absolute path) must be a directory that no other user can
 * write, unless it has the sticky bit (mode & (S_IWGRP | S_IWOTH) without
 * S_ISVTX is refused), and a file must be creatable in it: an O_TMPFILE
 * probe, closed at once, or where the file system has no O_TMPFILE a named
 * probe ".mtcp-probe.*.mtcp.tmp", removed at once.  *tmpfile_ok says which
 * worked.  0, or -errno with one line (no newline) in err.
 */
int imgdir_check(const char *dir, int *tmpfile_ok, char *err, size_t errlen);

#endif
