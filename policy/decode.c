// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Table-driven strict decoding of YAML trees, with YAML paths in every
 * message: field tables, the path stack, mappings, lists, scalars, labels
 * and the ordering of what was recorded. The name syntax it checks lives in
 * k8s_names.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/decode.h"

void bh__dctx_init(struct bh_dctx *c, struct bh_diag *diag, const char *file)
{
	static const struct bh_limits defaults = BH_LIMITS_DEFAULT;

	memset(c, 0, sizeof(*c));
	c->diag = diag;
	c->file = file;
	c->lim = &defaults;
}

static size_t path_append(struct bh_dctx *c, const char *pre, const char *s, const char *post)
{
	size_t old = c->plen;
	int n;

	if (c->plen >= sizeof(c->path) - 1)
		return old;
	n = snprintf(c->path + c->plen, sizeof(c->path) - c->plen, "%s%s%s", pre, s, post);
	if (n > 0)
		c->plen += (size_t)n;
	if (c->plen >= sizeof(c->path))
		c->plen = sizeof(c->path) - 1;
	return old;
}

size_t bh__path_key(struct bh_dctx *c, const char *key)
{
	return path_append(c, c->plen ? "." : "", key, "");
}

size_t bh__path_sub(struct bh_dctx *c, const char *key)
{
	return path_append(c, "[", key, "]");
}

size_t bh__path_index(struct bh_dctx *c, size_t i)
{
	char num[24];

	snprintf(num, sizeof(num), "%zu", i);
	return path_append(c, "[", num, "]");
}

void bh__path_pop(struct bh_dctx *c, size_t len)
{
	c->plen = len;
	c->path[len] = '\0';
}

/* "path: message" at node's location, with the given severity. */
__attribute__((format(printf, 4, 0)))
static void dmsg(struct bh_dctx *c, enum bh_severity sev, const struct bh_ynode *at,
		 const char *fmt, va_list ap)
{
	struct bh_loc loc = { c->file, at ? at->line : 0, at ? at->col : 0 };
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (sev == BH_SEV_WARNING)
		bh_diag_warn(c->diag, &loc, "%s%s%s", c->path, c->plen ? ": " : "", msg);
	else
		bh_diag_add(c->diag, &loc, "%s%s%s", c->path, c->plen ? ": " : "", msg);
}

void bh__derr(struct bh_dctx *c, const struct bh_ynode *at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	dmsg(c, BH_SEV_ERROR, at, fmt, ap);
	va_end(ap);
	c->errors++;
}

void bh__dwarn(struct bh_dctx *c, const struct bh_ynode *at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	dmsg(c, BH_SEV_WARNING, at, fmt, ap);
	va_end(ap);
}

/* Edit distance, for did-you-mean; short strings only. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[64];

	if (la >= 63 || lb >= 63)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t prev = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t cur = row[j];
			size_t best = prev + ((a[i - 1] | 0x20) != (b[j - 1] | 0x20));

			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = cur;
		}
	}
	return row[lb];
}

static const char *suggest(const char *key, const struct bh_field *fields, size_t n)
{
	const char *best = NULL;
	size_t best_d = 3;

	for (size_t i = 0; i < n; i++) {
		size_t d = distance(key, fields[i].key);

		if (d < best_d && d < strlen(fields[i].key)) {
			best = fields[i].key;
			best_d = d;
		}
	}
	return best;
}

bool bh__expect_map(struct bh_dctx *c, const struct bh_ynode *v)
{
	if (v->kind != BH_Y_MAP) {
		bh__derr(c, v, "expected a mapping, got %s", bh_ynode_kind_name(v));
		return false;
	}
	if (v->n > c->lim->keys_per_mapping) {
		bh__derr(c, v, "%zu keys in one mapping, more than the limit of %u (--limit-keys-per-mapping)",
			 v->n, c->lim->keys_per_mapping);
		return false;
	}
	return true;
}

int bh__decode_map(struct bh_dctx *c, const struct bh_ynode *map, const struct bh_field *fields,
		   size_t n_fields, void *obj, bool *seen_out)
{
	bool seen[32] = { false };

	if (n_fields > sizeof(seen) / sizeof(seen[0]))
		return -EINVAL;
	if (!bh__expect_map(c, map)) {
		/* not decoded: nothing counts as present */
		for (size_t j = 0; seen_out && j < n_fields; j++)
			seen_out[j] = false;
		return 0;
	}
	for (size_t i = 0; i < map->n; i++) {
		const struct bh_ynode *k = map->pairs[i].key, *v = map->pairs[i].value;
		const struct bh_field *f = NULL;
		size_t old;
		int err;

		if (k->kind != BH_Y_SCALAR) {
			bh__derr(c, k, "mapping keys must be strings, got %s", bh_ynode_kind_name(k));
			continue;
		}
		for (size_t j = 0; j < n_fields; j++) {
			if (!strcmp(fields[j].key, k->str)) {
				f = &fields[j];
				break;
			}
		}
		old = bh__path_key(c, k->str);
		if (!f) {
			const char *s = suggest(k->str, fields, n_fields);

			if (s)
				bh__derr(c, k, "unknown field (did you mean \"%s\"?)", s);
			else
				bh__derr(c, k, "unknown field");
			bh__path_pop(c, old);
			continue;
		}
		if (bh_ynode_is_null(v)) {
			if (f->flags & BH_F_REQUIRED)
				bh__derr(c, v, "required field has no value");
			seen[f - fields] = true;	/* reported here, not again below */
			bh__path_pop(c, old);
			continue;
		}
		seen[f - fields] = true;
		err = (f->flags & BH_F_IGNORE) || !f->fn ? 0 : f->fn(c, v, obj);
		bh__path_pop(c, old);
		if (err)
			return err;
	}
	for (size_t j = 0; j < n_fields; j++) {
		if ((fields[j].flags & BH_F_REQUIRED) && !seen[j]) {
			size_t old = bh__path_key(c, fields[j].key);

			bh__derr(c, map, "required field is missing");
			bh__path_pop(c, old);
		}
	}
	if (seen_out) {
		for (size_t j = 0; j < n_fields; j++) {
			const struct bh_ynode *v = bh_ynode_get(map, fields[j].key);

			seen_out[j] = v && !bh_ynode_is_null(v);
		}
	}
	return 0;
}

bool bh__dlist_within(struct bh_dctx *c, const struct bh_ynode *v, uint32_t max, const char *what,
		      const char *limit)
{
	if (v->kind != BH_Y_SEQ || v->n <= max)
		return true;
	bh__derr(c, v, "%zu %s, more than the limit of %u (--limit-%s)", v->n, what, max, limit);
	return false;
}

int bh__decode_seq(struct bh_dctx *c, const struct bh_ynode *v, bh_item_fn fn, void *obj)
{
	if (v->kind != BH_Y_SEQ) {
		bh__derr(c, v, "expected a list, got %s", bh_ynode_kind_name(v));
		return 0;
	}
	for (size_t i = 0; i < v->n; i++) {
		size_t old = bh__path_index(c, i);
		int err = fn(c, v->items[i], i, obj);

		bh__path_pop(c, old);
		if (err)
			return err;
	}
	return 0;
}

const char *bh__dstr(struct bh_dctx *c, const struct bh_ynode *v)
{
	/*
	 * Like sigs.k8s.io/yaml, a scalar that YAML would read as a number or
	 * a boolean still decodes into a string field with its literal text.
	 */
	if (v->kind == BH_Y_SCALAR && !bh_ynode_is_null(v))
		return v->str;
	bh__derr(c, v, "expected a string, got %s", bh_ynode_kind_name(v));
	return NULL;
}

int bh__dstrdup(struct bh_dctx *c, const struct bh_ynode *v, char **out)
{
	const char *s = bh__dstr(c, v);

	*out = NULL;
	if (!s)
		return 0;
	*out = strdup(s);
	return *out ? 0 : -ENOMEM;
}

int bh__dname(struct bh_dctx *c, const struct bh_ynode *v, const char *(*check)(const char *),
	      const char *what, char **out)
{
	const char *s = bh__dstr(c, v), *why;
	char *copy;

	if (!s)
		return 0;
	why = check(s);
	if (why) {
		bh__derr(c, v, "invalid %s \"%s\": %s", what, s, why);
		return 0;
	}
	copy = strdup(s);
	if (!copy)
		return -ENOMEM;
	free(*out);
	*out = copy;
	return 0;
}

bool bh__dint(struct bh_dctx *c, const struct bh_ynode *v, long long min, long long max,
	      long long *out)
{
	long long x;

	if (!bh_ynode_int(v, &x)) {
		if (v->kind == BH_Y_SCALAR && !bh_ynode_is_null(v))
			bh__derr(c, v, "expected an integer, got %s \"%s\"", bh_ynode_kind_name(v), v->str);
		else
			bh__derr(c, v, "expected an integer, got %s", bh_ynode_kind_name(v));
		return false;
	}
	if (x < min || x > max) {
		bh__derr(c, v, "must be between %lld and %lld, got %lld", min, max, x);
		return false;
	}
	*out = x;
	return true;
}

int bh__decode_labels(struct bh_dctx *c, const struct bh_ynode *v, struct bh_labels *out)
{
	if (!bh__expect_map(c, v))
		return 0;
	for (size_t i = 0; i < v->n; i++) {
		const struct bh_ynode *k = v->pairs[i].key, *val = v->pairs[i].value;
		const char *why, *s;
		size_t old;
		int err;

		if (k->kind != BH_Y_SCALAR || bh_ynode_is_null(k)) {
			bh__derr(c, k, "label keys must be strings, got %s", bh_ynode_kind_name(k));
			continue;
		}
		why = bh__qualified_name_err(k->str);
		if (why) {
			bh__derr(c, k, "invalid label key \"%s\": %s", k->str, why);
			continue;
		}
		old = bh__path_sub(c, k->str);
		/* a null label value is the empty string, as in Kubernetes */
		s = bh_ynode_is_null(val) ? "" : bh__dstr(c, val);
		if (s && (why = bh__label_value_err(s)))
			bh__derr(c, val, "invalid label value \"%s\": %s", s, why);
		bh__path_pop(c, old);
		if (!s || why)
			continue;
		err = bh_labels_set(out, k->str, s);
		if (err)
			return err;
	}
	return 0;
}

const char *bh__intern_file(char ***files, size_t *n_files, const char *name)
{
	char **v, *copy;

	for (size_t i = 0; i < *n_files; i++)
		if (!strcmp((*files)[i], name))
			return (*files)[i];
	copy = strdup(name);
	if (!copy)
		return NULL;
	v = realloc(*files, (*n_files + 1) * sizeof(*v));
	if (!v) {
		free(copy);
		return NULL;
	}
	v[(*n_files)++] = copy;
	*files = v;
	return copy;
}

struct diag_order {
	struct bh_diag_entry e;
	size_t idx;
};

static int diag_order_cmp(const void *a, const void *b)
{
	const struct diag_order *x = a, *y = b;

	if (x->e.loc.line != y->e.loc.line)
		return x->e.loc.line < y->e.loc.line ? -1 : 1;
	if (x->e.loc.col != y->e.loc.col)
		return x->e.loc.col < y->e.loc.col ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

void bh__diag_sort_from(struct bh_diag *d, size_t from)
{
	size_t n = d->n > from ? d->n - from : 0;
	struct diag_order *tmp;

	if (n < 2)
		return;
	tmp = malloc(n * sizeof(*tmp));
	if (!tmp)
		return;		/* unsorted is still correct */
	for (size_t i = 0; i < n; i++)
		tmp[i] = (struct diag_order){ d->v[from + i], i };
	qsort(tmp, n, sizeof(*tmp), diag_order_cmp);
	for (size_t i = 0; i < n; i++)
		d->v[from + i] = tmp[i].e;
	free(tmp);
}

int bh__dproto(struct bh_dctx *c, const struct bh_ynode *v, uint8_t *out)
{
	const char *s = bh__dstr(c, v);
	uint8_t proto;

	if (!s)
		return 0;
	proto = bh__proto_parse(s);
	if (!proto)
		bh__derr(c, v, "unsupported protocol \"%s\" (expected TCP, UDP or SCTP)", s);
	else
		*out = proto;
	return 0;
}
