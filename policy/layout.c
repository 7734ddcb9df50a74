// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The table layout of one direction (compile.h's contract) worked out
 * once, for the text renderer and the netlink builder alike: which chains
 * exist, where each stage falls through, what an Accept, Deny or Pass
 * element leads to, and the comment of the base chain's jump.
 */
#include <stdio.h>
#include <string.h>

#include "policy/compile_int.h"

static const char *const ch_name[BH_DIR_MAX] = { "ingress", "egress" };
static const char *const tier_suffix[BH_TIER_MAX] = { "", "_admin", "_baseline" };

static void verdict_go(struct bh_verdict *v, const char *chain)
{
	v->go = true;
	snprintf(v->chain, sizeof(v->chain), "%s", chain);
}

static void view_layout(const struct bh_view *v, int d, bool audit, struct bh_layout_view *out)
{
	const char *mid = audit ? "_audit" : "";

	out->stage[BH_TIER_ADMIN] = v->admin.present;
	out->stage[BH_TIER_NP] = v->isolated;
	out->stage[BH_TIER_BASELINE] = v->baseline.present;
	for (int t = 0; t < BH_TIER_MAX; t++) {
		snprintf(out->chain[t], sizeof(out->chain[t]), "%s%s%s", ch_name[d], mid, tier_suffix[t]);
		snprintf(out->deny[t], sizeof(out->deny[t]), "%s%s%s_deny", ch_name[d], mid, tier_suffix[t]);
	}
	/* stages run admin, np, baseline */
	out->entry = out->stage[BH_TIER_ADMIN] ? out->chain[BH_TIER_ADMIN] :
		     out->stage[BH_TIER_NP] ? out->chain[BH_TIER_NP] :
		     out->stage[BH_TIER_BASELINE] ? out->chain[BH_TIER_BASELINE] : NULL;
}

/* NEXT(T) and OK(V) once OK(V) is known. */
static void view_next(struct bh_layout_view *out)
{
	out->next[BH_TIER_BASELINE] = out->ok;
	out->next[BH_TIER_NP] = out->ok;
	if (out->stage[BH_TIER_NP])
		verdict_go(&out->next[BH_TIER_ADMIN], out->chain[BH_TIER_NP]);
	else if (out->stage[BH_TIER_BASELINE])
		verdict_go(&out->next[BH_TIER_ADMIN], out->chain[BH_TIER_BASELINE]);
	else
		out->next[BH_TIER_ADMIN] = out->ok;
}

void bh_layout_dir(const struct bh_dir_rules *dr, int d, struct bh_layout_dir *out)
{
	char allow[32];

	memset(out, 0, sizeof(*out));
	out->set_prefix[0] = "";
	out->set_prefix[1] = "a";
	out->active = bh_dir_active(dr);
	view_layout(&dr->enforce, d, false, &out->view[0]);
	if (dr->has_audit)
		view_layout(&dr->audit, d, true, &out->view[1]);
	out->has_audit = dr->has_audit && out->view[1].entry;
	out->allow = dr->log == BH_LOG_ALL;
	if (out->allow) {
		snprintf(allow, sizeof(allow), "%s_allow", ch_name[d]);
		verdict_go(&out->ok2, allow);
	}
	out->view[1].ok = out->ok2;
	out->view[0].ok = out->ok2;
	if (out->has_audit)
		verdict_go(&out->view[0].ok, out->view[1].entry);
	view_next(&out->view[0]);
	view_next(&out->view[1]);
	/* an audit view always has a stage when has_audit; never jump to nothing */
	out->active = out->active && (out->view[0].entry || out->has_audit);
	out->trampoline = out->active && !out->view[0].entry;
	out->entry = out->view[0].entry ? out->view[0].entry : out->view[0].chain[BH_TIER_NP];
}

struct bh_verdict bh_layout_verdict(const struct bh_layout_dir *l, int view, unsigned int tier,
				   unsigned int action)
{
	const struct bh_layout_view *v = &l->view[view];
	struct bh_verdict r;

	if (action == BH_ACT_DENY) {
		verdict_go(&r, v->deny[tier]);
		return r;
	}
	return action == BH_ACT_ACCEPT ? v->ok : v->next[tier];
}

/* ---- the jump comment ------------------------------------------------------------ */

struct cbuf {
	char *p;
	size_t n, len;
};

/* Appends a then b (either may be ""), cut at the end of the buffer; n keeps counting. */
static void cput(struct cbuf *c, const char *a, const char *b)
{
	if (c->n < c->len)
		c->n += (size_t)snprintf(c->p + c->n, c->len - c->n, "%s%s", a, b);
	else
		c->n += strlen(a) + strlen(b);
}

/* "; " between the parts of the comment */
static const char *sep(const struct cbuf *c)
{
	return c->n && c->n < c->len && c->p[c->n - 1] != ' ' ? "; " : "";
}

static void put_stage(struct cbuf *b, const struct bh_compiled *c, const struct bh_stage *s,
		      const char *what)
{
	cput(b, sep(b), what);
	for (size_t i = 0; i < s->n_selected_by; i++)
		cput(b, i ? ", " : ": ", c->pols->cnp[s->selected_by[i]].name);
}

static void put_view(struct cbuf *b, const struct bh_compiled *c, const struct bh_view *v)
{
	if (v->admin.present)
		put_stage(b, c, &v->admin, "admin");
	if (v->isolated) {
		cput(b, sep(b), "isolated by ");
		for (size_t i = 0; i < v->n_isolated_by; i++) {
			const struct bh_policy *p = &c->pols->v[v->isolated_by[i]];

			cput(b, i ? ", " : "", p->namespace);
			cput(b, "/", p->name);
		}
	}
	if (v->baseline.present)
		put_stage(b, c, &v->baseline, "baseline");
}

char *bh_jump_comment(const struct bh_compiled *c, const struct bh_dir_rules *dr, char *buf,
		      size_t len)
{
	const struct bh_view *e = &dr->enforce;
	struct cbuf b = { buf, 0, len };
	bool enforce = e->isolated || e->admin.present || e->baseline.present;

	if (!len)
		return buf;
	buf[0] = '\0';
	if (e->cause) {		/* fail closed: no policy decides */
		snprintf(buf, len, "isolated: %s", e->cause);
		return buf;
	}
	if (!enforce)
		cput(&b, "audit: ", "");
	put_view(&b, c, enforce ? e : &dr->audit);
	if (b.n >= len && len > 4)
		memcpy(buf + len - 4, "...", 4);
	return buf;
}
