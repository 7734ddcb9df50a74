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

struct bh_diag_entry {
	struct bh_loc loc;
	char *msg;
};

struct bh_diag {
	struct bh_diag_entry *v;
	size_t n, cap;
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

/* Print every entry as "file:line:col: error: message\n" in the order recorded. */
void bh_diag_print(const struct bh_diag *d, FILE *out);

static inline size_t bh_diag_count(const struct bh_diag *d) { return d->n + (d->oom ? 1 : 0); }

#endif
