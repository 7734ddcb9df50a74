// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "policy/diag.h"

void bh_diag_init(struct bh_diag *d)
{
	memset(d, 0, sizeof(*d));
}

void bh_diag_deinit(struct bh_diag *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].msg);
		free((char *)d->v[i].loc.file);
	}
	free(d->v);
	memset(d, 0, sizeof(*d));
}

void bh_diag_add(struct bh_diag *d, const struct bh_loc *loc, const char *fmt, ...)
{
	struct bh_diag_entry *e;
	va_list ap;
	char *msg;

	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 8;
		struct bh_diag_entry *v = realloc(d->v, cap * sizeof(*v));

		if (!v) {
			d->oom = 1;
			return;
		}
		d->v = v;
		d->cap = cap;
	}
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0) {
		va_end(ap);
		d->oom = 1;
		return;
	}
	va_end(ap);
	e = &d->v[d->n];
	memset(&e->loc, 0, sizeof(e->loc));
	if (loc) {
		e->loc = *loc;
		/* entries own their file name: the loader's copy may be freed first */
		if (loc->file && !(e->loc.file = strdup(loc->file))) {
			free(msg);
			d->oom = 1;
			return;
		}
	}
	e->msg = msg;
	d->n++;
}

void bh_diag_print(const struct bh_diag *d, FILE *out)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct bh_loc *l = &d->v[i].loc;

		if (l->file && l->line)
			fprintf(out, "%s:%u:%u: error: %s\n", l->file, l->line, l->col, d->v[i].msg);
		else if (l->file)
			fprintf(out, "%s: error: %s\n", l->file, d->v[i].msg);
		else
			fprintf(out, "error: %s\n", d->v[i].msg);
	}
	if (d->oom)
		fprintf(out, "error: out of memory while recording diagnostics\n");
}
