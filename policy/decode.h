/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BH_DECODE_H
#define BH_DECODE_H

/*
 * Strict decoding of a bh_ynode tree into our model, shared by the policy
 * and inventory loaders. Mappings are decoded through static field tables;
 * every problem is recorded in the diagnostics collector as
 * "file:line:col: <yaml path>: message" and decoding carries on, so one run
 * reports everything. Handlers return 0 or -ENOMEM only: a validation
 * problem is recorded, counted in bh_dctx.errors, and is not a failure code.
 */

#include <stdbool.h>
#include <stddef.h>

#include "policy/diag.h"
#include "policy/k8s_names.h"
#include "policy/limits.h"
#include "policy/model.h"
#include "policy/ytree.h"

struct bh_dctx {
	struct bh_diag *diag;
	const char *file;	/* interned name the locations point into */
	char path[768];		/* YAML path of the node being decoded, e.g. spec.ingress[0] */
	size_t plen;
	size_t errors;		/* problems recorded through this context */
	const struct bh_limits *lim;	/* borrowed; the defaults after bh__dctx_init */
};

typedef int (*bh_field_fn)(struct bh_dctx *c, const struct bh_ynode *v, void *obj);

#define BH_F_REQUIRED	0x1	/* missing (or null) is an error */
#define BH_F_IGNORE	0x2	/* known field, value not examined (server-populated) */

struct bh_field {
	const char *key;
	bh_field_fn fn;
	unsigned int flags;
};

void bh__dctx_init(struct bh_dctx *c, struct bh_diag *diag, const char *file);

/* Path stack: push returns the length to restore with bh__path_pop. */
size_t bh__path_key(struct bh_dctx *c, const char *key);
size_t bh__path_sub(struct bh_dctx *c, const char *key);	/* appends [key] */
size_t bh__path_index(struct bh_dctx *c, size_t i);
void bh__path_pop(struct bh_dctx *c, size_t len);

/* Records "path: message" at node's location (at the file when node is NULL). */
void bh__derr(struct bh_dctx *c, const struct bh_ynode *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The same as a warning: printed, never an error (bh_dctx.errors is left alone). */
void bh__dwarn(struct bh_dctx *c, const struct bh_ynode *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Decodes mapping `map` with a field table: unknown keys are reported (with
 * a did-you-mean), null values count as absent, required fields are
 * checked. `seen` (may be NULL) receives, per table entry, whether the key
 * was present with a non-null value. 0 or -ENOMEM.
 */
int bh__decode_map(struct bh_dctx *c, const struct bh_ynode *map, const struct bh_field *fields,
		   size_t n_fields, void *obj, bool *seen);

typedef int (*bh_item_fn)(struct bh_dctx *c, const struct bh_ynode *item, size_t idx, void *obj);
/* Calls fn for each item of a list (error when v is not a list). 0 or -ENOMEM. */
int bh__decode_seq(struct bh_dctx *c, const struct bh_ynode *v, bh_item_fn fn, void *obj);

/*
 * True when v is a mapping of at most lim->keys_per_mapping keys (or
 * records "expected a mapping, got ..." or the limit, and the caller skips it).
 */
bool bh__expect_map(struct bh_dctx *c, const struct bh_ynode *v);
/*
 * False, after recording "N <what>, more than the limit of max
 * (--limit-<limit>)", when v is a list of more than max items; the caller
 * then skips it. True otherwise (a non-list is for the decoder to report).
 */
bool bh__dlist_within(struct bh_dctx *c, const struct bh_ynode *v, uint32_t max, const char *what,
		      const char *limit);
/* The string value of a scalar (records an error and returns NULL otherwise). Borrowed. */
const char *bh__dstr(struct bh_dctx *c, const struct bh_ynode *v);
/* Copy of the string value into *out (NULL after a recorded error). 0 or -ENOMEM. */
int bh__dstrdup(struct bh_dctx *c, const struct bh_ynode *v, char **out);
/*
 * A name checked by `check` (one of the *_err functions of k8s_names.h); replaces
 * *out with a copy when valid, records "invalid WHAT "x": why" otherwise.
 * 0 or -ENOMEM.
 */
int bh__dname(struct bh_dctx *c, const struct bh_ynode *v, const char *(*check)(const char *),
	      const char *what, char **out);
/* An integer within [min, max] (a quoted "80" is not an integer). */
bool bh__dint(struct bh_dctx *c, const struct bh_ynode *v, long long min, long long max,
	      long long *out);

/* A map of label key -> value with Kubernetes syntax checks; adds to *out. 0 or -ENOMEM. */
int bh__decode_labels(struct bh_dctx *c, const struct bh_ynode *v, struct bh_labels *out);

/* Interns name into a growing files[] array; returns the stored copy or NULL on OOM. */
const char *bh__intern_file(char ***files, size_t *n_files, const char *name);

/* Reads a whole file into a malloc'd buffer (not NUL-terminated). 0 or -errno. */
int bh__read_file(const char *path, char **out, size_t *len);

/* Orders the entries recorded since index `from` (one file's) by line and column. */
void bh__diag_sort_from(struct bh_diag *d, size_t from);

/*
 * A port protocol (TCP, UDP, SCTP; case-sensitive as in Kubernetes) into
 * *out as IPPROTO_*; records an error and leaves *out otherwise. Returns 0.
 */
int bh__dproto(struct bh_dctx *c, const struct bh_ynode *v, uint8_t *out);

#endif
