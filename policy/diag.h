/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BH_DIAG_H
#define BH_DIAG_H

#include <stddef.h>
#include <stdio.h>

/*
 * Diagnostics collector: every problem found while loading policies or an
 * inventory is recorded with its source location and loading carries on, so
 * one run reports everything (pfctl/nftables style). Lower layers never
 * print; the command line front end prints the collector once.
 */

struct bh_loc {
	const char *file;	/* borrowed: interned by the loader, lives as long as the set */
	unsigned int line;	/* 1-based; 0 when unknown */
	unsigned int col;	/* 1-based; 0 when unknown */
};

enum bh_severity {
	BH_SEV_ERROR = 0,	/* the input is invalid */
	BH_SEV_WARNING,		/* valid, but probably not what was meant */
};

struct bh_diag_entry {
	struct bh_loc loc;
	enum bh_severity sev;
	char *msg;
};

struct bh_diag {
	struct bh_diag_entry *v;
	size_t n, cap;
	size_t warnings;	/* how many of the n entries are warnings */
	int oom;		/* an entry could not be recorded */
};

void bh_diag_init(struct bh_diag *d);
void bh_diag_deinit(struct bh_diag *d);

/*
 * Record "file:line:col: message" (loc may be NULL; loc->file is copied, so
 * it need not outlive d). Never fails loudly: on OOM sets d->oom.
 */
void bh_diag_add(struct bh_diag *d, const struct bh_loc *loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The same, recorded as a warning: printed and counted, never an error. */
void bh_diag_warn(struct bh_diag *d, const struct bh_loc *loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Print every entry as "file:line:col: error: message\n" (or "warning:")
 * in the order recorded. File names and messages (which quote YAML keys and values) are
 * escaped with bh_diag_escape(): no input can move the cursor, clear a line
 * or recolour the terminal.
 */
void bh_diag_print(const struct bh_diag *d, FILE *out);

/*
 * Escaping of text that came from input (YAML keys and values, file names,
 * container and workload names, kernel or daemon messages quoting them)
 * before it reaches a terminal or a text log line. The one place that
 * decides what is safe:
 *   - C0 controls and DEL: \t, \n, \r, else \xNN (ESC is \x1b);
 *   - a backslash is doubled, so escaped text reads back unambiguously;
 *   - valid UTF-8 passes through, except the C1 controls U+0080..U+009F
 *     (CSI is U+009B), the line and paragraph separators U+2028/U+2029 and
 *     the bidirectional controls U+200E/U+200F, U+202A..U+202E and
 *     U+2066..U+2069 (they reorder what a line appears to say): \uNNNN;
 *   - bytes that are not valid UTF-8 (stray continuation bytes, overlong
 *     forms, surrogates, truncated sequences, and so the raw 8-bit C1
 *     controls 0x80..0x9F) are written one by one as \xNN.
 * JSON output does not need this: its writers escape control characters.
 *
 * bh_diag_escape() writes the escaped src (NULL reads as "") into dst,
 * at most cap bytes including the terminating NUL, truncating between two
 * characters or escapes, never inside one; returns the length the whole
 * escaped text needs without the NUL (as snprintf does: >= cap means it
 * was truncated).
 */
size_t bh_diag_escape(char *dst, size_t cap, const char *src);

/* The escaped text of src in a new string (caller frees); NULL on OOM or when src is NULL. */
char *bh_diag_escape_dup(const char *src);

/* Write src escaped to out (no newline added). */
void bh_diag_fputs(const char *src, FILE *out);

/* Errors recorded (an unrecorded one, out of memory, counts too); warnings are not counted. */
static inline size_t bh_diag_count(const struct bh_diag *d)
{
	return d->n - d->warnings + (d->oom ? 1 : 0);
}

static inline size_t bh_diag_warnings(const struct bh_diag *d) { return d->warnings; }

#endif
