/* SPDX-License-Identifier: MIT */
/*
 * degraded.c - the notes of one checkpoint on what will not come back as
 * it was (fd_save.h), and their warnings.
 *
 * The "already warned" set is keyed by what the note is about (fd, inode,
 * text), so a new object on the same fd number is warned about again; it
 * is emptied after a restart, where the warnings are news again.  The
 * warnings are printed once the program runs again (degraded_warn): not
 * during the pause, where a write to a full stderr pipe could block, and
 * where fd 2's offset has already been saved.
 */
#include "engine.h"
#include "fd_save.h"
#include "image_writer.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define MAX_NOTES 256
#define NOTE_LEN 240
#define WARNED_SLOTS 1024

static struct {
	int fd;
	int warn;            /* not warned about before */
	char text[NOTE_LEN];
} notes[MAX_NOTES];
static uint32_t nnotes, ntotal;
static uint64_t warned[WARNED_SLOTS]; /* hashes of warned notes, 0: free */

static uint64_t hash(int fd, uint64_t ino, const char *text)
{
	uint64_t h = 1469598103934665603ull ^ (uint64_t)(unsigned)fd ^ (ino << 20);
	for (const char *p = text; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	return h ? h : 1;
}

/* 1 if the note was new (and is now remembered). */
static int first_time(uint64_t h)
{
	for (unsigned i = 0; i < WARNED_SLOTS; i++) {
		unsigned k = (unsigned)((h + i) % WARNED_SLOTS);
		if (warned[k] == h)
			return 0;
		if (!warned[k]) {
			warned[k] = h;
			return 1;
		}
	}
	return 1; /* full: warn again rather than never */
}

void degraded_reset(void)
{
	nnotes = ntotal = 0;
}

void degraded_forget_warnings(void)
{
	memset(warned, 0, sizeof(warned));
}

void degraded_add(int fd, uint64_t ino, const char *fmt, ...)
{
	char text[NOTE_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	int warn = first_time(hash(fd, ino, text));
	ntotal++;
	if (nnotes < MAX_NOTES) {
		notes[nnotes].fd = fd;
		notes[nnotes].warn = warn;
		memcpy(notes[nnotes].text, text, sizeof(text));
		nnotes++;
	} else if (warn) {
		/* not listed (the last record counts the rest): said at once */
		util_log("warning: %s", text);
	}
}

void degraded_warn(void)
{
	for (uint32_t i = 0; i < nnotes; i++)
		if (notes[i].warn) {
			util_log("warning: %s", notes[i].text);
			notes[i].warn = 0;
		}
}

uint32_t degraded_count(void)
{
	return nnotes < ntotal ? nnotes : ntotal;
}

const char *degraded_first(void)
{
	return nnotes ? notes[0].text : "";
}

int degraded_write(struct img_writer *w)
{
	for (uint32_t i = 0; i < nnotes; i++) {
		struct mtcp_rec_degraded d = { notes[i].fd, 0 };
		char more[NOTE_LEN + 48];
		const char *text = notes[i].text;
		if (i == MAX_NOTES - 1 && ntotal > MAX_NOTES) {
			snprintf(more, sizeof(more), "%s (and %u more not listed)", text,
				 ntotal - MAX_NOTES);
			text = more;
		}
		d.text_len = (uint32_t)strlen(text);
		int rc = iw_record(w, MTCP_REC_DEGRADED, &d, sizeof(d), text, d.text_len);
		if (rc)
			return rc;
	}
	return 0;
}
