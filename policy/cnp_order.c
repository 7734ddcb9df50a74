// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The order of the cluster-wide policies: tier, then priority, then name.
 * Upstream leaves the result of two policies with one priority undefined
 * when both could match a connection; bulkhead orders them by name (a
 * documented, deterministic choice) and `check` warns where two policies
 * of one tier share a priority, have rules in a common direction and have
 * subjects that may select the same workload. "May" is decided on the
 * selectors alone, so the warning does not depend on today's workloads:
 * two subjects are apart only when some label key proves it (one needs it
 * absent and the other present, or the values they allow do not meet).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy/cnp_int.h"

/* ---- duplicates ------------------------------------------------------------------ */

static int name_cmp(const void *a, const void *b, void *arg)
{
	const struct bh_cnp *v = arg;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = strcmp(v[x].name, v[y].name);

	return c ? c : (x < y ? -1 : x > y);
}

/*
 * A name defined twice: an error at each later definition, in load order.
 * *dups counts them. 0 or -ENOMEM.
 */
static int check_duplicates(const struct bh_policy_set *s, const struct bh_loc *name_at,
			    struct bh_diag *diag, size_t *dups)
{
	size_t *idx, *first, n = s->n_cnp;

	*dups = 0;
	if (n < 2)
		return 0;
	idx = malloc(n * sizeof(*idx));
	first = malloc(n * sizeof(*first));
	if (!idx || !first) {
		free(idx);
		free(first);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		idx[i] = first[i] = i;
	qsort_r(idx, n, sizeof(*idx), name_cmp, s->cnp);
	for (size_t i = 1, f = 0; i < n; i++) {
		if (strcmp(s->cnp[idx[f]].name, s->cnp[idx[i]].name))
			f = i;
		else
			first[idx[i]] = idx[f];
	}
	for (size_t i = 0; i < n; i++) {
		const struct bh_loc *o = &name_at[first[i]];

		if (first[i] != i && ++*dups)
			bh_diag_add(diag, &name_at[i], "metadata.name: cluster-wide policy \"%s\" (%s) is "
				    "already defined at %s:%u:%u (%s)", s->cnp[i].name,
				    bh_cnp_kind_name(&s->cnp[i]), o->file, o->line, o->col,
				    bh_cnp_kind_name(&s->cnp[first[i]]));
	}
	free(idx);
	free(first);
	return 0;
}

/* ---- may two selectors select the same labels? -------------------------------------- */

/* What sel says about key: it must be present / absent; values it allows (NULL: any) and refuses. */
struct key_req {
	bool present, absent;
	const char *one;		/* matchLabels value */
	const struct bh_sel_expr *in[8];	/* In expressions (each must hold) */
	size_t n_in;
	const struct bh_sel_expr *out[8];	/* NotIn expressions */
	size_t n_out;
};

static void key_req(const struct bh_selector *s, const char *key, struct key_req *r)
{
	memset(r, 0, sizeof(*r));
	r->one = bh_labels_get(&s->match, key);
	r->present = r->one != NULL;
	for (size_t i = 0; i < s->n_exprs; i++) {
		const struct bh_sel_expr *e = &s->exprs[i];

		if (strcmp(e->key, key))
			continue;
		switch (e->op) {
		case BH_SEL_IN:
			r->present = true;
			if (r->n_in < 8)
				r->in[r->n_in++] = e;
			break;
		case BH_SEL_NOT_IN:
			if (r->n_out < 8)
				r->out[r->n_out++] = e;
			break;
		case BH_SEL_EXISTS:
			r->present = true;
			break;
		case BH_SEL_DOES_NOT_EXIST:
			r->absent = true;
			break;
		}
	}
}

static bool in_expr(const struct bh_sel_expr *e, const char *v)
{
	for (size_t i = 0; i < e->n_values; i++)
		if (!strcmp(e->values[i], v))
			return true;
	return false;
}

/* Does value v satisfy every value condition of r? */
static bool value_ok(const struct key_req *r, const char *v)
{
	if (r->one && strcmp(r->one, v))
		return false;
	for (size_t i = 0; i < r->n_in; i++)
		if (!in_expr(r->in[i], v))
			return false;
	for (size_t i = 0; i < r->n_out; i++)
		if (in_expr(r->out[i], v))
			return false;
	return true;
}

/* Some value both a and b allow? Only asked when one of them names its values. */
static bool values_meet(const struct key_req *a, const struct key_req *b)
{
	const struct key_req *named = a->one || a->n_in ? a : b;

	if (named->one)
		return value_ok(a, named->one) && value_ok(b, named->one);
	for (size_t i = 0; i < named->in[0]->n_values; i++)
		if (value_ok(a, named->in[0]->values[i]) && value_ok(b, named->in[0]->values[i]))
			return true;
	return false;
}

static bool key_apart(const struct bh_selector *a, const struct bh_selector *b, const char *key)
{
	struct key_req ra, rb;

	key_req(a, key, &ra);
	key_req(b, key, &rb);
	if ((ra.present && rb.absent) || (ra.absent && rb.present))
		return true;
	if (!ra.present || !rb.present || (!ra.one && !ra.n_in && !rb.one && !rb.n_in))
		return false;	/* absence, or any value but a few, can always meet */
	return !values_meet(&ra, &rb);
}

static bool selectors_apart(const struct bh_selector *a, const struct bh_selector *b)
{
	const struct bh_selector *s[2] = { a, b };

	for (int k = 0; k < 2; k++) {
		for (size_t i = 0; i < s[k]->match.n; i++)
			if (key_apart(a, b, s[k]->match.v[i].key))
				return true;
		for (size_t i = 0; i < s[k]->n_exprs; i++)
			if (key_apart(a, b, s[k]->exprs[i].key))
				return true;
	}
	return false;
}

static bool subjects_may_overlap(const struct bh_cnp *a, const struct bh_cnp *b)
{
	static const struct bh_selector all;

	if (selectors_apart(&a->subject_ns, &b->subject_ns))
		return false;
	return !selectors_apart(a->subject_pods ? &a->subject_pod : &all,
				b->subject_pods ? &b->subject_pod : &all);
}

/* ---- order --------------------------------------------------------------------------- */

static int order_cmp(const void *a, const void *b, void *arg)
{
	const struct bh_cnp *v = arg;
	const struct bh_cnp *x = &v[*(const size_t *)a], *y = &v[*(const size_t *)b];

	if (x->tier != y->tier)
		return x->tier < y->tier ? -1 : 1;
	if (x->priority != y->priority)
		return x->priority < y->priority ? -1 : 1;
	return strcmp(x->name, y->name);
}

static void warn_same_priority(const struct bh_policy_set *s, const size_t *idx,
			       const struct bh_loc *name_at, struct bh_diag *diag)
{
	for (size_t i = 1; i < s->n_cnp; i++) {
		const struct bh_cnp *b = &s->cnp[idx[i]];

		for (size_t j = i; j-- > 0;) {
			const struct bh_cnp *a = &s->cnp[idx[j]];
			const struct bh_loc *at = &name_at[idx[j]];
			bool both = false;

			if (a->tier != b->tier || a->priority != b->priority)
				break;
			for (int d = 0; d < BH_DIR_MAX; d++)
				both |= a->n_rules[d] && b->n_rules[d];
			if (!both || !subjects_may_overlap(a, b))
				continue;
			bh_diag_warn(diag, &name_at[idx[i]], "%s tier priority %d is also the priority of "
				     "\"%s\" (%s:%u:%u) and their subjects may select the same workloads: "
				     "upstream leaves the order undefined, bulkhead takes \"%s\" first "
				     "(by name); give them distinct priorities", bh_tier_name(b->tier),
				     (int)b->priority, a->name, at->file, at->line, at->col, a->name);
		}
	}
}

int bh__cnp_finish(struct bh_policy_set *s, const struct bh_loc *name_at, struct bh_diag *diag)
{
	struct bh_cnp *sorted;
	size_t *idx, n = s->n_cnp, dups;
	int err;

	if (!n)
		return 0;
	if ((err = check_duplicates(s, name_at, diag, &dups)))
		return err;
	if (dups)
		return 0;	/* the set is invalid: no order to speak of */
	idx = malloc(n * sizeof(*idx));
	sorted = malloc(n * sizeof(*sorted));
	if (!idx || !sorted) {
		free(idx);
		free(sorted);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	qsort_r(idx, n, sizeof(*idx), order_cmp, s->cnp);
	warn_same_priority(s, idx, name_at, diag);
	for (size_t i = 0; i < n; i++)
		sorted[i] = s->cnp[idx[i]];
	memcpy(s->cnp, sorted, n * sizeof(*sorted));
	free(sorted);
	free(idx);
	return 0;
}
