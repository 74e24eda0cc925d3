/* SPDX-License-Identifier: MIT */
/* uring_read.h - raw extents read through io_uring with O_DIRECT (uring_read.c). */
#ifndef MTCP_RST_URING_READ_H
#define MTCP_RST_URING_READ_H

#include "rst-args.h"

/*
 * Reads every raw, page-aligned extent with O_DIRECT, QD at a time, and
 * checks each checksum (a mismatch ends the restore).  Marks those done
 * with pad = 1.  Returns 0, or -1 if io_uring or O_DIRECT is not there
 * (nothing marked then); either way fill_extents() does the rest.
 */
int rst_uring_fill(struct rst_args *a);

#endif
