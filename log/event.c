// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Enrichment of a logged packet: which workloads are at both ends (by the
 * logging namespace and by address), which policies isolate the logging
 * workload in that direction (from the compiled model of the generation
 * named in the NFLOG prefix, so a line logged just before a reload still
 * names the policies that were in force), which tier, policy and rule
 * decided (event_tier.c), and for allowed lines the rule that let the
 * packet through.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "policy/compile.h"
#include "log/community_id.h"
#include "log/event_int.h"
#include "log/jsonw.h"
#include "policy/model.h"
#include "log/pkt.h"

static const char *const dir_name[BH_DIR_MAX] = { "ingress", "egress" };

/* What each NFLOG prefix kind means for the line. */
static const struct kind_info {
	char kind;
	const char *action;
	const char *type;
	const char *outcome;
	const char *verdict;	/* in the reason sentence */
	const char *event;	/* the whole "event" value, spelled once */
} kinds[] = {
#define EVENT_OBJ(type, action, outcome) \
	"{\"kind\":\"event\",\"category\":[\"network\"],\"type\":[\"connection\",\"" type "\"]," \
	"\"action\":\"" action "\",\"outcome\":\"" outcome "\"}"
	{ 'd', "denied", "denied", "failure", "denied", EVENT_OBJ("denied", "denied", "failure") },
	{ 'w', "would-deny", "allowed", "success", "would be denied (audit mode)",
	  EVENT_OBJ("allowed", "would-deny", "success") },
	{ 'a', "allowed", "allowed", "success", "allowed", EVENT_OBJ("allowed", "allowed", "success") },
#undef EVENT_OBJ
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

/* Appends n bytes, cutting at the end of the buffer (one byte kept for NUL). */
static inline void sb_mem(struct sbuf *b, const char *s, size_t n)
{
	if (b->len + n >= b->cap)
		n = b->cap - 1 - b->len;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

static inline void sb_str(struct sbuf *b, const char *s)
{
	sb_mem(b, s, strlen(s));
}

#define SB_LIT(b, lit) sb_mem((b), lit, sizeof(lit) - 1)

static void sb_u64(struct sbuf *b, uint64_t v)
{
	char tmp[20];
	size_t n = sizeof(tmp);

	do {
		tmp[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	sb_mem(b, tmp + n, sizeof(tmp) - n);
}

static void sb_nsname(struct sbuf *b, const char *ns, const char *name)
{
	sb_str(b, ns);
	SB_LIT(b, "/");
	sb_str(b, name);
}

/* "ns/name (k=v,k2=v2)" or the bare address when the end is unknown. */
static void sb_end(struct sbuf *b, const struct bh_workload *w, const struct bh_addr *a)
{
	char ip[64];

	if (!w) {
		sb_str(b, bh_addr_format(a, ip, sizeof(ip)));
		return;
	}
	sb_nsname(b, w->namespace, w->name);
	if (w->labels.n) {
		SB_LIT(b, " (");
		for (size_t i = 0; i < w->labels.n && i < 8; i++) {
			if (i)
				SB_LIT(b, ",");
			sb_str(b, w->labels.v[i].key);
			SB_LIT(b, "=");
			sb_str(b, w->labels.v[i].value);
		}
		if (w->labels.n > 8)
			SB_LIT(b, ",...");
		SB_LIT(b, ")");
	}
}

/* ---- the compiled model ------------------------------------------------------ */

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
	if (!array && v->cause) {	/* fail closed: the cause isolates, not a policy */
		SB_LIT(&b, "isolated:");
		sb_str(&b, v->cause);
	}
	if (array)
		bh_jsonw_arr_begin(w);
	for (size_t i = 0; i < v->n_isolated_by; i++) {
		const struct bh_policy *p = policy_at(c, v->isolated_by[i]);

		if (!p)
			continue;
		if (array) {
			b.len = 0;
			sb_nsname(&b, p->namespace, p->name);
			bh_jsonw_strn(w, buf, b.len);
		} else {
			if (b.len)
				SB_LIT(&b, ",");
			sb_nsname(&b, p->namespace, p->name);
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

		if (!p)
			continue;
		if (i)
			SB_LIT(b, ", ");
		sb_nsname(b, p->namespace, p->name);
	}
}

/* ---- pieces of the line --------------------------------------------------------- */

static void put_workload(struct bh_jsonw *w, const char *key, const struct bh_workload *wl)
{
	if (!wl)
		return;
	bh_jsonw_kv_obj_begin(w, key);
	BH_JSONW_KEY(w, "namespace");
	bh_jsonw_str(w, wl->namespace);
	BH_JSONW_KEY(w, "name");
	bh_jsonw_str(w, wl->name);
	BH_JSONW_KEY(w, "labels");
	bh_jsonw_obj_begin(w);
	for (size_t i = 0; i < wl->labels.n; i++)
		bh_jsonw_kv_str(w, wl->labels.v[i].key, wl->labels.v[i].value);
	bh_jsonw_obj_end(w);
	bh_jsonw_obj_end(w);
}

static void put_endpoint(struct bh_jsonw *w, const char *key, const struct bh_addr *a,
			 bool has_port, uint16_t port)
{
	bh_jsonw_kv_obj_begin(w, key);
	BH_JSONW_KEY(w, "ip");
	bh_jsonw_addr(w, a);
	if (has_port) {
		BH_JSONW_KEY(w, "port");
		bh_jsonw_uint(w, port);
	}
	bh_jsonw_obj_end(w);
}

static void put_kind_event(struct bh_jsonw *w, const struct kind_info *k)
{
	BH_JSONW_KEY(w, "event");
	bh_jsonw_val_raw(w, k->event, strlen(k->event));
}

static void put_network(struct bh_jsonw *w, const struct bh_event_ctx *ctx, const struct bh_pkt *p,
			unsigned int dir)
{
	char num[8];
	struct sbuf b = { num, 0, sizeof(num) };
	const char *t = bh_pkt_proto_name(p->proto);

	BH_JSONW_KEY(w, "network");
	bh_jsonw_obj_begin(w);
	if (t) {
		BH_JSONW_KEY(w, "transport");
		bh_jsonw_str(w, t);
	}
	BH_JSONW_KEY(w, "type");
	if (p->family == AF_INET6)
		BH_JSONW_LIT(w, "ipv6");
	else
		BH_JSONW_LIT(w, "ipv4");
	BH_JSONW_KEY(w, "direction");
	if (dir == BH_EGRESS)
		BH_JSONW_LIT(w, "egress");
	else
		BH_JSONW_LIT(w, "ingress");
	sb_u64(&b, p->proto);
	BH_JSONW_KEY(w, "iana_number");
	bh_jsonw_strn(w, num, b.len);
	if (ctx->community_id) {
		char cid[BH_COMMUNITY_ID_SIZE];
		int n = bh_community_id_pkt(ctx->community_id_seed, p, cid);

		BH_JSONW_KEY(w, "community_id");
		bh_jsonw_strn(w, cid, (size_t)n);
	}
	bh_jsonw_obj_end(w);
}

/* "5432/tcp", "icmp type 8 code 0", or the protocol name / number. */
static void sb_service(struct sbuf *b, const struct bh_pkt *p)
{
	const char *t = bh_pkt_proto_name(p->proto);

	if (p->has_ports) {
		sb_u64(b, p->dport);
		SB_LIT(b, "/");
		sb_str(b, t ? t : "?");
	} else if (p->has_icmp) {
		sb_str(b, t);
		SB_LIT(b, " type ");
		sb_u64(b, p->icmp_type);
		SB_LIT(b, " code ");
		sb_u64(b, p->icmp_code);
	} else if (t) {
		sb_str(b, t);
	} else {
		SB_LIT(b, "protocol ");
		sb_u64(b, p->proto);
	}
}

int bh_event_format(struct bh_jsonw *w, const struct bh_event_ctx *ctx, const struct bh_event *ev)
{
	const struct bh_pkt *p = ev->pkt;
	unsigned int dir = ev->tag->dir < BH_DIR_MAX ? ev->tag->dir : BH_INGRESS;
	const struct kind_info *k = kind_of(ev->tag->kind);
	const struct bh_workload *src_wl, *dst_wl, *peer;
	const struct bh_addr *peer_addr = dir == BH_INGRESS ? &p->src : &p->dst;
	const struct bh_dir_rules *dr = bh__event_dir_rules(ev->comp, ev->wl, dir);
	const struct bh_view *iso = NULL;
	struct bh__ev_decision dec;
	char reason[1536];
	struct sbuf rs = { reason, 0, sizeof(reason) };

	reason[0] = 0;
	peer = ctx->inv ? bh_inventory_find_ip(ctx->inv, peer_addr) : NULL;
	/* The logging workload is the local end even when the inventory is stale. */
	src_wl = dir == BH_INGRESS ? peer : ev->wl;
	dst_wl = dir == BH_INGRESS ? ev->wl : peer;

	/* a tier's deny names its rule; an isolation names the policies that isolate */
	if (dr && !ev->tag->tier) {
		if (k->kind == 'd')
			iso = &dr->enforce;
		else if (k->kind == 'w')
			iso = dr->has_audit ? &dr->audit : &dr->enforce;
	}
	bh__event_decide(ev, ev->comp ? dr : NULL,
			 ev->comp && peer ? bh_inventory_find(ev->comp->inv, peer->namespace, peer->name) : NULL,
			 &dec);

	bh_jsonw_obj_begin(w);
	BH_JSONW_KEY(w, "@timestamp");
	bh_jsonw_time(w, ev->ts.tv_sec, (uint32_t)ev->ts.tv_usec);
	BH_JSONW_KEY(w, "ecs");
	bh_jsonw_val_raw(w, "{\"version\":\"" BH_ECS_VERSION "\"}",
			 sizeof("{\"version\":\"" BH_ECS_VERSION "\"}") - 1);
	put_kind_event(w, k);
	put_network(w, ctx, p, dir);
	put_endpoint(w, "source", &p->src, p->has_ports, p->sport);
	put_endpoint(w, "destination", &p->dst, p->has_ports, p->dport);

	/* rule: which policy said no (or yes) */
	BH_JSONW_KEY(w, "rule");
	bh_jsonw_obj_begin(w);
	if (k->kind == 'a' || ev->tag->tier) {
		/* the deciding rule, in the reference syntax; "allowed" when none decided */
		BH_JSONW_KEY(w, "name");
		bh_jsonw_str(w, dec.rule[0] ? dec.rule : k->kind == 'a' ? "allowed" : "default-deny");
		if (dec.policy[0]) {
			bh_jsonw_key(w, "ruleset");
			bh_jsonw_str(w, dec.policy);
		}
		if (dec.rule_name)
			bh_jsonw_kv_str(w, "description", dec.rule_name);
	} else {
		BH_JSONW_KEY(w, "name");
		BH_JSONW_LIT(w, "default-deny");
		if (iso) {
			BH_JSONW_KEY(w, "ruleset");
			put_isolators(w, ev->comp, iso, false);
		}
	}
	bh_jsonw_obj_end(w);

	if (ev->wl) {
		BH_JSONW_KEY(w, "orchestrator");
		bh_jsonw_obj_begin(w);
		BH_JSONW_KEY(w, "namespace");
		bh_jsonw_str(w, ev->wl->namespace);
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
		BH_JSONW_KEY(w, "host");
		bh_jsonw_obj_begin(w);
		BH_JSONW_KEY(w, "hostname");
		bh_jsonw_str(w, ctx->hostname);
		bh_jsonw_obj_end(w);
	}

	/* bulkhead: identities, isolation, and the sentence */
	BH_JSONW_KEY(w, "bulkhead");
	bh_jsonw_obj_begin(w);
	BH_JSONW_KEY(w, "schema_version");
	BH_JSONW_LIT(w, BH_LOG_SCHEMA_VERSION);
	put_workload(w, "source_workload", src_wl);
	put_workload(w, "destination_workload", dst_wl);
	if (iso) {
		BH_JSONW_KEY(w, "isolated_by");
		put_isolators(w, ev->comp, iso, true);
		if (iso->cause)
			bh_jsonw_kv_str(w, "isolated", iso->cause);
	}
	bh__event_put_decision(w, &dec);
	BH_JSONW_KEY(w, "generation");
	bh_jsonw_uint(w, ev->tag->generation);
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
	SB_LIT(&rs, " tried ");
	sb_end(&rs, dst_wl, &p->dst);
	SB_LIT(&rs, " on ");
	sb_service(&rs, p);
	SB_LIT(&rs, ": ");
	sb_str(&rs, k->verdict);
	if (k->kind == 'a' || (ev->comp && ev->tag->tier)) {
		if (dec.rule[0]) {
			SB_LIT(&rs, " by ");
			if (dec.cluster) {
				SB_LIT(&rs, "the ");
				sb_str(&rs, dec.tier);
				SB_LIT(&rs, " tier, rule ");
			}
			sb_str(&rs, dec.rule);
			if (dec.rule_name) {
				SB_LIT(&rs, " \"");
				sb_str(&rs, dec.rule_name);
				SB_LIT(&rs, "\"");
			}
			if (dec.cluster) {
				SB_LIT(&rs, " (priority ");
				sb_u64(&rs, (uint64_t)dec.priority);
				SB_LIT(&rs, ")");
			}
		}
	} else if (!ev->comp) {
		SB_LIT(&rs, " (policy generation ");
		sb_u64(&rs, ev->tag->generation);
		SB_LIT(&rs, " is no longer known)");
	} else if (iso && iso->cause) {
		SB_LIT(&rs, ", ");
		if (ev->wl)
			sb_nsname(&rs, ev->wl->namespace, ev->wl->name);
		SB_LIT(&rs, " is isolated (");
		sb_str(&rs, iso->cause);
		SB_LIT(&rs, "): nothing is allowed in or out");
	} else if (iso && iso->n_isolated_by) {
		SB_LIT(&rs, ", ");
		if (ev->wl)
			sb_nsname(&rs, ev->wl->namespace, ev->wl->name);
		SB_LIT(&rs, " is isolated for ");
		sb_str(&rs, dir_name[dir]);
		SB_LIT(&rs, " by ");
		sb_isolators(&rs, ev->comp, iso);
		if (iso->n_isolated_by > 1)
			SB_LIT(&rs, ", none of which allows this peer and port");
		else
			SB_LIT(&rs, ", which allows no such peer");
	}
	for (size_t i = 0; i < dec.n_passed; i++) {
		sb_str(&rs, i ? ", " : "; passed on by ");
		sb_str(&rs, dec.passed[i]);
	}
	if (dec.peer_accepted) {
		SB_LIT(&rs, "; its ");
		sb_str(&rs, dec.peer_dir);
		SB_LIT(&rs, " was accepted by the ");
		sb_str(&rs, dec.peer_tier);
		SB_LIT(&rs, " tier, rule ");
		sb_str(&rs, dec.peer_rule);
	}
	BH_JSONW_KEY(w, "reason");
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
	bh_jsonw_kv_obj_begin(w, "ecs");
	bh_jsonw_kv_str(w, "version", BH_ECS_VERSION);
	bh_jsonw_obj_end(w);
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
		bh_jsonw_kv_str(w, "schema_version", BH_LOG_SCHEMA_VERSION);
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
