// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Enrichment of a logged packet: which workloads are at both ends (by the
 * logging namespace and by address), which policies isolate the logging
 * workload in that direction (from the compiled model of the generation
 * named in the NFLOG prefix, so a line logged just before a reload still
 * names the policies that were in force), and for allowed lines the rule
 * that let the packet through.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "compile.h"
#include "event.h"
#include "jsonw.h"
#include "model.h"
#include "pkt.h"

static const char *const dir_name[BH_DIR_MAX] = { "ingress", "egress" };

/* What each NFLOG prefix kind means for the line. */
static const struct kind_info {
	char kind;
	const char *action;
	const char *type;
	const char *outcome;
	const char *verdict;	/* in the reason sentence */
} kinds[] = {
	{ 'd', "denied", "denied", "failure", "denied" },
	{ 'w', "would-deny", "allowed", "success", "would be denied (audit mode)" },
	{ 'a', "allowed", "allowed", "success", "allowed" },
};

static const struct kind_info *kind_of(char k)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kinds[i].kind == k)
			return &kinds[i];
	return &kinds[0];
}

/* ---- a bounded sentence builder (stack buffer, cut at the end) ------------ */

struct sbuf {
	char *p;
	size_t len, cap;
};

static void sb_add(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_add(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->len + 1 >= b->cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->len = b->len + (size_t)n < b->cap ? b->len + (size_t)n : b->cap - 1;
}

/* "ns/name (k=v,k2=v2)" or the bare address when the end is unknown. */
static void sb_end(struct sbuf *b, const struct bh_workload *w, const struct bh_addr *a)
{
	char ip[64];

	if (!w) {
		sb_add(b, "%s", bh_addr_format(a, ip, sizeof(ip)));
		return;
	}
	sb_add(b, "%s/%s", w->namespace, w->name);
	if (w->labels.n) {
		sb_add(b, " (");
		for (size_t i = 0; i < w->labels.n && i < 8; i++)
			sb_add(b, "%s%s=%s", i ? "," : "", w->labels.v[i].key, w->labels.v[i].value);
		sb_add(b, "%s)", w->labels.n > 8 ? ",..." : "");
	}
}

/* ---- the compiled model ------------------------------------------------------ */

/* The direction rules of w's group in c, or NULL when c does not know w. */
static const struct bh_dir_rules *dir_rules(const struct bh_compiled *c, const struct bh_workload *w,
					    unsigned int dir)
{
	const struct bh_inventory *inv;
	size_t idx;

	if (!c || !w || !c->inv || dir >= BH_DIR_MAX)
		return NULL;
	inv = c->inv;
	if (w >= inv->wl && w < inv->wl + inv->n_wl) {
		idx = (size_t)(w - inv->wl);
	} else {
		const struct bh_workload *x = bh_inventory_find(inv, w->namespace, w->name);

		if (!x)
			return NULL;
		idx = (size_t)(x - inv->wl);
	}
	if (!c->wl_group || c->wl_group[idx] >= c->n_groups)
		return NULL;
	return &c->groups[c->wl_group[idx]].dir[dir];
}

static const struct bh_policy *policy_at(const struct bh_compiled *c, uint32_t i)
{
	return c->pols && i < c->pols->n ? &c->pols->v[i] : NULL;
}

/* Writes "ns/p1,ns/p2" (ruleset) or the same as a JSON array. */
static void put_isolators(struct bh_jsonw *w, const struct bh_compiled *c, const struct bh_view *v,
			  bool array)
{
	char buf[512];
	struct sbuf b = { buf, 0, sizeof(buf) };

	buf[0] = 0;
	if (array)
		bh_jsonw_arr_begin(w);
	for (size_t i = 0; i < v->n_isolated_by; i++) {
		const struct bh_policy *p = policy_at(c, v->isolated_by[i]);

		if (!p)
			continue;
		if (array) {
			b.len = 0;
			sb_add(&b, "%s/%s", p->namespace, p->name);
			bh_jsonw_strn(w, buf, b.len);
		} else {
			sb_add(&b, "%s%s/%s", b.len ? "," : "", p->namespace, p->name);
		}
	}
	if (array)
		bh_jsonw_arr_end(w);
	else
		bh_jsonw_strn(w, buf, b.len);
}

static void sb_isolators(struct sbuf *b, const struct bh_compiled *c, const struct bh_view *v)
{
	for (size_t i = 0; i < v->n_isolated_by; i++) {
		const struct bh_policy *p = policy_at(c, v->isolated_by[i]);

		if (p)
			sb_add(b, "%s%s/%s", i ? ", " : "", p->namespace, p->name);
	}
}

/* ---- pieces of the line --------------------------------------------------------- */

static void put_workload(struct bh_jsonw *w, const char *key, const struct bh_workload *wl)
{
	if (!wl)
		return;
	bh_jsonw_kv_obj_begin(w, key);
	bh_jsonw_kv_str(w, "namespace", wl->namespace);
	bh_jsonw_kv_str(w, "name", wl->name);
	bh_jsonw_kv_obj_begin(w, "labels");
	for (size_t i = 0; i < wl->labels.n; i++)
		bh_jsonw_kv_str(w, wl->labels.v[i].key, wl->labels.v[i].value);
	bh_jsonw_obj_end(w);
	bh_jsonw_obj_end(w);
}

static void put_endpoint(struct bh_jsonw *w, const char *key, const struct bh_addr *a,
			 bool has_port, uint16_t port)
{
	bh_jsonw_kv_obj_begin(w, key);
	bh_jsonw_key(w, "ip");
	bh_jsonw_addr(w, a);
	if (has_port)
		bh_jsonw_kv_uint(w, "port", port);
	bh_jsonw_obj_end(w);
}

static void put_kind_event(struct bh_jsonw *w, const struct kind_info *k)
{
	bh_jsonw_kv_obj_begin(w, "event");
	bh_jsonw_kv_str(w, "kind", "event");
	bh_jsonw_kv_arr_begin(w, "category");
	bh_jsonw_str(w, "network");
	bh_jsonw_arr_end(w);
	bh_jsonw_kv_arr_begin(w, "type");
	bh_jsonw_str(w, "connection");
	bh_jsonw_str(w, k->type);
	bh_jsonw_arr_end(w);
	bh_jsonw_kv_str(w, "action", k->action);
	bh_jsonw_kv_str(w, "outcome", k->outcome);
	bh_jsonw_obj_end(w);
}

static void put_network(struct bh_jsonw *w, const struct bh_pkt *p, unsigned int dir)
{
	char num[4];
	const char *t = bh_pkt_proto_name(p->proto);

	bh_jsonw_kv_obj_begin(w, "network");
	if (t)
		bh_jsonw_kv_str(w, "transport", t);
	bh_jsonw_kv_str(w, "type", p->family == AF_INET6 ? "ipv6" : "ipv4");
	bh_jsonw_kv_str(w, "direction", dir_name[dir]);
	snprintf(num, sizeof(num), "%u", p->proto);
	bh_jsonw_kv_str(w, "iana_number", num);
	bh_jsonw_obj_end(w);
}

/* "5432/tcp", "icmp type 8 code 0", or the protocol name / number. */
static void sb_service(struct sbuf *b, const struct bh_pkt *p)
{
	const char *t = bh_pkt_proto_name(p->proto);

	if (p->has_ports)
		sb_add(b, "%u/%s", p->dport, t ? t : "?");
	else if (p->has_icmp)
		sb_add(b, "%s type %u code %u", t, p->icmp_type, p->icmp_code);
	else if (t)
		sb_add(b, "%s", t);
	else
		sb_add(b, "protocol %u", p->proto);
}

int bh_event_format(struct bh_jsonw *w, const struct bh_event_ctx *ctx, const struct bh_event *ev)
{
	const struct bh_pkt *p = ev->pkt;
	unsigned int dir = ev->tag->dir < BH_DIR_MAX ? ev->tag->dir : BH_INGRESS;
	const struct kind_info *k = kind_of(ev->tag->kind);
	const struct bh_workload *src_wl, *dst_wl, *peer;
	const struct bh_addr *peer_addr = dir == BH_INGRESS ? &p->src : &p->dst;
	const struct bh_dir_rules *dr = dir_rules(ev->comp, ev->wl, dir);
	const struct bh_view *iso = NULL;
	uint32_t rule = BH_RULE_NONE;
	char reason[1024], rname[512];
	struct sbuf rs = { reason, 0, sizeof(reason) }, rn = { rname, 0, sizeof(rname) };

	reason[0] = rname[0] = 0;
	peer = ctx->inv ? bh_inventory_find_ip(ctx->inv, peer_addr) : NULL;
	/* The logging workload is the local end even when the inventory is stale. */
	src_wl = dir == BH_INGRESS ? peer : ev->wl;
	dst_wl = dir == BH_INGRESS ? ev->wl : peer;

	if (dr) {
		if (k->kind == 'd')
			iso = &dr->enforce;
		else if (k->kind == 'w')
			iso = dr->has_audit ? &dr->audit : &dr->enforce;
		else if (!bh_view_allows(&dr->enforce, peer_addr, p->proto,
					 p->has_ports ? p->dport : 0, &rule))
			rule = BH_RULE_NONE;
	}

	bh_jsonw_obj_begin(w);
	bh_jsonw_key(w, "@timestamp");
	bh_jsonw_time(w, ev->ts.tv_sec, (uint32_t)ev->ts.tv_usec);
	put_kind_event(w, k);
	put_network(w, p, dir);
	put_endpoint(w, "source", &p->src, p->has_ports, p->sport);
	put_endpoint(w, "destination", &p->dst, p->has_ports, p->dport);

	/* rule: which policy said no (or yes) */
	bh_jsonw_kv_obj_begin(w, "rule");
	if (k->kind == 'a') {
		const struct bh_policy *pol = NULL;

		if (rule != BH_RULE_NONE && ev->comp && rule < ev->comp->n_rules) {
			const struct bh_rule_ref *r = &ev->comp->rules[rule];

			pol = policy_at(ev->comp, r->policy);
			if (pol)
				sb_add(&rn, "%s/%s#%s[%" PRIu32 "]", pol->namespace, pol->name,
				       dir_name[r->dir < BH_DIR_MAX ? r->dir : 0], r->rule);
		}
		bh_jsonw_kv_str(w, "name", rn.len ? rname : "allowed");
		if (pol) {
			char rset[300];
			struct sbuf b = { rset, 0, sizeof(rset) };

			sb_add(&b, "%s/%s", pol->namespace, pol->name);
			bh_jsonw_key(w, "ruleset");
			bh_jsonw_strn(w, rset, b.len);
		}
	} else {
		bh_jsonw_kv_str(w, "name", "default-deny");
		if (iso) {
			bh_jsonw_key(w, "ruleset");
			put_isolators(w, ev->comp, iso, false);
		}
	}
	bh_jsonw_obj_end(w);

	if (ev->wl) {
		bh_jsonw_kv_obj_begin(w, "orchestrator");
		bh_jsonw_kv_str(w, "namespace", ev->wl->namespace);
		bh_jsonw_obj_end(w);
		if (ev->wl->container_id || ev->wl->container_name || ev->wl->image) {
			bh_jsonw_kv_obj_begin(w, "container");
			if (ev->wl->container_id)
				bh_jsonw_kv_str(w, "id", ev->wl->container_id);
			if (ev->wl->container_name)
				bh_jsonw_kv_str(w, "name", ev->wl->container_name);
			if (ev->wl->image) {
				bh_jsonw_kv_obj_begin(w, "image");
				bh_jsonw_kv_str(w, "name", ev->wl->image);
				bh_jsonw_obj_end(w);
			}
			bh_jsonw_obj_end(w);
		}
	}
	if (ctx->hostname) {
		bh_jsonw_kv_obj_begin(w, "host");
		bh_jsonw_kv_str(w, "hostname", ctx->hostname);
		bh_jsonw_obj_end(w);
	}

	/* bulkhead: identities, isolation, and the sentence */
	bh_jsonw_kv_obj_begin(w, "bulkhead");
	put_workload(w, "source_workload", src_wl);
	put_workload(w, "destination_workload", dst_wl);
	if (ev->ns && ev->ns->labels.n) {
		bh_jsonw_kv_obj_begin(w, "namespace_labels");
		for (size_t i = 0; i < ev->ns->labels.n; i++)
			bh_jsonw_kv_str(w, ev->ns->labels.v[i].key, ev->ns->labels.v[i].value);
		bh_jsonw_obj_end(w);
	}
	if (iso) {
		bh_jsonw_key(w, "isolated_by");
		put_isolators(w, ev->comp, iso, true);
	}
	bh_jsonw_kv_uint(w, "generation", ev->tag->generation);
	if (p->has_icmp) {
		bh_jsonw_kv_obj_begin(w, "icmp");
		bh_jsonw_kv_uint(w, "type", p->icmp_type);
		bh_jsonw_kv_uint(w, "code", p->icmp_code);
		bh_jsonw_obj_end(w);
	}
	if (p->fragment)
		bh_jsonw_kv_bool(w, "fragment", true);
	if (p->tcp_flags)
		bh_jsonw_kv_uint(w, "tcp_flags", p->tcp_flags);

	sb_end(&rs, src_wl, &p->src);
	sb_add(&rs, " tried ");
	sb_end(&rs, dst_wl, &p->dst);
	sb_add(&rs, " on ");
	sb_service(&rs, p);
	sb_add(&rs, ": %s", k->verdict);
	if (k->kind == 'a') {
		if (rule != BH_RULE_NONE && rn.len)
			sb_add(&rs, " by %s", rname);
	} else if (!ev->comp) {
		sb_add(&rs, " (policy generation %" PRIu64 " is no longer known)", ev->tag->generation);
	} else if (iso && iso->n_isolated_by) {
		sb_add(&rs, ", ");
		if (ev->wl)
			sb_add(&rs, "%s/%s", ev->wl->namespace, ev->wl->name);
		sb_add(&rs, " is isolated for %s by ", dir_name[dir]);
		sb_isolators(&rs, ev->comp, iso);
		sb_add(&rs, iso->n_isolated_by > 1 ? ", none of which allows this peer and port" :
			      ", which allows no such peer");
	}
	bh_jsonw_key(w, "reason");
	bh_jsonw_strn(w, reason, rs.len);
	bh_jsonw_obj_end(w);
	bh_jsonw_obj_end(w);
	return bh_jsonw_line_end(w);
}

int bh_event_format_lifecycle(struct bh_jsonw *w, const char *hostname, const struct timeval *ts,
			      const char *action, const char *outcome, const char *message,
			      const struct bh_event_field *fields, size_t n_fields)
{
	struct timeval now;

	if (!ts) {
		gettimeofday(&now, NULL);
		ts = &now;
	}
	bh_jsonw_obj_begin(w);
	bh_jsonw_key(w, "@timestamp");
	bh_jsonw_time(w, ts->tv_sec, (uint32_t)ts->tv_usec);
	bh_jsonw_kv_obj_begin(w, "event");
	bh_jsonw_kv_str(w, "kind", "state");
	bh_jsonw_kv_arr_begin(w, "category");
	bh_jsonw_str(w, "configuration");
	bh_jsonw_arr_end(w);
	bh_jsonw_kv_str(w, "action", action);
	if (outcome)
		bh_jsonw_kv_str(w, "outcome", outcome);
	bh_jsonw_obj_end(w);
	if (hostname) {
		bh_jsonw_kv_obj_begin(w, "host");
		bh_jsonw_kv_str(w, "hostname", hostname);
		bh_jsonw_obj_end(w);
	}
	if (message)
		bh_jsonw_kv_str(w, "message", message);
	if (n_fields) {
		bh_jsonw_kv_obj_begin(w, "bulkhead");
		for (size_t i = 0; i < n_fields; i++) {
			const struct bh_event_field *f = &fields[i];

			switch (f->type) {
			case BH_EF_STR:
				bh_jsonw_kv_str(w, f->key, f->s);
				break;
			case BH_EF_INT:
				bh_jsonw_kv_int(w, f->key, f->i);
				break;
			case BH_EF_UINT:
				bh_jsonw_kv_uint(w, f->key, f->u);
				break;
			case BH_EF_BOOL:
				bh_jsonw_kv_bool(w, f->key, f->b);
				break;
			}
		}
		bh_jsonw_obj_end(w);
	}
	bh_jsonw_obj_end(w);
	return bh_jsonw_line_end(w);
}
