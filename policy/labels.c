// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Label sets and Kubernetes label selectors.
 *
 * A label set is a sorted array of key/value pairs with unique keys, so
 * lookups are a binary search. Selector semantics follow the Kubernetes
 * API (apimachinery labels.Requirement.Matches): every matchLabels entry
 * and every matchExpressions entry must hold; an empty selector holds for
 * everything.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/array.h"
#include "policy/model.h"

/* Index of key in l, or the insertion point encoded as -(pos + 1). */
static int label_key_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct bh_label *)elem)->key);
}

static long labels_find(const struct bh_labels *l, const char *key)
{
	size_t i = bh_sorted_lower(key, l->v, l->n, sizeof(*l->v), label_key_cmp);

	return i < l->n && !strcmp(l->v[i].key, key) ? (long)i : -(long)i - 1;
}

const char *bh_labels_get(const struct bh_labels *l, const char *key)
{
	long i;

	if (!l || !l->n)
		return NULL;
	i = labels_find(l, key);
	return i >= 0 ? l->v[i].value : NULL;
}

int bh_labels_set(struct bh_labels *l, const char *key, const char *value)
{
	struct bh_label *v;
	char *k, *val;
	long i = labels_find(l, key);
	size_t pos;

	val = strdup(value);
	if (!val)
		return -ENOMEM;
	if (i >= 0) {
		free(l->v[i].value);
		l->v[i].value = val;
		return 0;
	}
	k = strdup(key);
	if (!k)
		goto fail_val;
	v = realloc(l->v, (l->n + 1) * sizeof(*v));
	if (!v)
		goto fail_key;
	l->v = v;
	pos = (size_t)(-i - 1);
	memmove(&v[pos + 1], &v[pos], (l->n - pos) * sizeof(*v));
	v[pos].key = k;
	v[pos].value = val;
	l->n++;
	return 0;

fail_key:
	free(k);
fail_val:
	free(val);
	return -ENOMEM;
}

void bh_labels_deinit(struct bh_labels *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].key);
		free(l->v[i].value);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int bh_labels_copy(struct bh_labels *dst, const struct bh_labels *src)
{
	dst->v = NULL;
	dst->n = 0;
	if (!src->n)
		return 0;
	dst->v = calloc(src->n, sizeof(*dst->v));
	if (!dst->v)
		return -ENOMEM;
	for (size_t i = 0; i < src->n; i++) {
		dst->v[i].key = strdup(src->v[i].key);
		dst->v[i].value = strdup(src->v[i].value);
		dst->n = i + 1;
		if (!dst->v[i].key || !dst->v[i].value) {
			bh_labels_deinit(dst);
			return -ENOMEM;
		}
	}
	return 0;
}

static bool values_contain(const struct bh_sel_expr *e, const char *v)
{
	for (size_t i = 0; i < e->n_values; i++)
		if (!strcmp(e->values[i], v))
			return true;
	return false;
}

static bool expr_matches(const struct bh_sel_expr *e, const struct bh_labels *labels)
{
	const char *v = bh_labels_get(labels, e->key);

	switch (e->op) {
	case BH_SEL_IN:
		return v && values_contain(e, v);
	case BH_SEL_NOT_IN:
		return !v || !values_contain(e, v);
	case BH_SEL_EXISTS:
		return v != NULL;
	case BH_SEL_DOES_NOT_EXIST:
		return v == NULL;
	}
	return false;
}

bool bh_selector_matches(const struct bh_selector *s, const struct bh_labels *labels)
{
	for (size_t i = 0; i < s->match.n; i++) {
		const char *v = bh_labels_get(labels, s->match.v[i].key);

		if (!v || strcmp(v, s->match.v[i].value))
			return false;
	}
	for (size_t i = 0; i < s->n_exprs; i++)
		if (!expr_matches(&s->exprs[i], labels))
			return false;
	return true;
}

void bh_selector_deinit(struct bh_selector *s)
{
	if (!s)
		return;
	bh_labels_deinit(&s->match);
	for (size_t i = 0; i < s->n_exprs; i++) {
		struct bh_sel_expr *e = &s->exprs[i];

		free(e->key);
		for (size_t j = 0; j < e->n_values; j++)
			free(e->values[j]);
		free(e->values);
	}
	free(s->exprs);
	s->exprs = NULL;
	s->n_exprs = 0;
}

/*
 * Rendering follows apimachinery's Requirement.String(): requirements
 * sorted by key (stable), set values sorted, joined with ",".
 */
struct sel_req {
	const char *key;
	const struct bh_sel_expr *e;	/* NULL: a matchLabels entry */
	const char *value;
	size_t idx;
};

static int req_cmp(const void *a, const void *b)
{
	const struct sel_req *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	if (c)
		return c;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int fmt_expr(FILE *f, const struct bh_sel_expr *e)
{
	static const char *const opname[] = {
		[BH_SEL_IN] = " in (",
		[BH_SEL_NOT_IN] = " notin (",
	};
	const char **vals;

	switch (e->op) {
	case BH_SEL_EXISTS:
		return fputs(e->key, f) < 0 ? -1 : 0;
	case BH_SEL_DOES_NOT_EXIST:
		return fprintf(f, "!%s", e->key) < 0 ? -1 : 0;
	case BH_SEL_IN:
	case BH_SEL_NOT_IN:
		break;
	}
	vals = malloc((e->n_values ? e->n_values : 1) * sizeof(*vals));
	if (!vals)
		return -1;
	for (size_t i = 0; i < e->n_values; i++)
		vals[i] = e->values[i];
	qsort(vals, e->n_values, sizeof(*vals), str_cmp);
	fprintf(f, "%s%s", e->key, opname[e->op]);
	for (size_t i = 0; i < e->n_values; i++)
		fprintf(f, "%s%s", i ? "," : "", vals[i]);
	fputc(')', f);
	free(vals);
	return 0;
}

char *bh_selector_format(const struct bh_selector *s)
{
	struct sel_req *reqs;
	size_t n = s->match.n + s->n_exprs, sz = 0;
	bool failed = false;
	char *buf = NULL;
	FILE *f;

	if (!n)
		return strdup("<all>");
	reqs = calloc(n, sizeof(*reqs));
	if (!reqs)
		return NULL;
	for (size_t i = 0; i < s->match.n; i++)
		reqs[i] = (struct sel_req){ s->match.v[i].key, NULL, s->match.v[i].value, i };
	for (size_t i = 0; i < s->n_exprs; i++)
		reqs[s->match.n + i] = (struct sel_req){ s->exprs[i].key, &s->exprs[i], NULL,
							 s->match.n + i };
	qsort(reqs, n, sizeof(*reqs), req_cmp);

	f = open_memstream(&buf, &sz);
	if (!f)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputc(',', f);
		if (reqs[i].e) {
			if (fmt_expr(f, reqs[i].e) < 0) {
				failed = true;
				break;
			}
		} else
			fprintf(f, "%s=%s", reqs[i].key, reqs[i].value);
	}
	if (failed || ferror(f)) {
		fclose(f);
		free(buf);
		buf = NULL;
		goto out;
	}
	if (fclose(f)) {
		free(buf);
		buf = NULL;
	}
out:
	free(reqs);
	return buf;
}
