// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "agent.h"
#include "logline.h"

static const char *action_of(char kind)
{
	switch (kind) {
	case 'w':
		return "would-deny";
	case 'a':
		return "allowed";
	default:
		return "denied";
	}
}

static void workload_obj(struct bh_jsonw *w, const char *key, const struct bh_workload *wl)
{
	if (!wl)
		return;
	bh_jsonw_kv_obj_begin(w, key);
	bh_jsonw_kv_str(w, "namespace", wl->namespace ? wl->namespace : "default");
	bh_jsonw_kv_str(w, "name", wl->name);
	bh_jsonw_kv_obj_begin(w, "labels");
	for (size_t i = 0; i < wl->labels.n; i++)
		bh_jsonw_kv_str(w, wl->labels.v[i].key, wl->labels.v[i].value);
	bh_jsonw_obj_end(w);
	bh_jsonw_obj_end(w);
}

static void endpoint(struct bh_jsonw *w, const char *key, const struct bh_addr *ip,
		     const struct bh_pkt *p, uint16_t port)
{
	bh_jsonw_kv_obj_begin(w, key);
	bh_jsonw_key(w, "ip");
	bh_jsonw_addr(w, ip);
	if (p->has_ports)
		bh_jsonw_kv_uint(w, "port", port);
	bh_jsonw_obj_end(w);
}

static void policy_name(char *buf, size_t len, const struct bh_policy_set *ps, uint32_t i)
{
	if (i < ps->n)
		snprintf(buf, len, "%s/%s", ps->v[i].namespace, ps->v[i].name);
	else
		snprintf(buf, len, "?");
}

void bh_logline_format(struct bh_jsonw *w, struct bh_agent *a, const char *ns, const char *name,
		       const struct bh_log_tag *tag, const struct bh_pkt *p,
		       const struct timeval *ts)
{
	const struct bh_gen *g = bh_state_gen_find(&a->st, tag->generation);
	const struct bh_workload *local = NULL, *peer = NULL;
	const struct bh_policy_set *ps;
	const struct bh_view *view = NULL;
	bool ingress = tag->dir == BH_INGRESS;
	const char *transport = bh_pkt_proto_name(p->proto);
	char pname[300], msg[1024];
	size_t off;

	if (!g)
		g = bh_state_current(&a->st);
	ps = bh_gen_policies(g);
	if (g) {
		local = bh_inventory_find(g->inv, ns, name);
		peer = bh_inventory_find_ip(g->inv, ingress ? &p->src : &p->dst);
		if (local) {
			size_t grp = g->comp->wl_group[local - g->inv->wl];
			const struct bh_dir_rules *dr = &g->comp->groups[grp].dir[tag->dir];

			view = tag->kind == 'w' && dr->has_audit ? &dr->audit : &dr->enforce;
		}
	}
	bh_jsonw_obj_begin(w);
	bh_jsonw_key(w, "@timestamp");
	bh_jsonw_time(w, ts->tv_sec, (uint32_t)ts->tv_usec);
	bh_jsonw_kv_obj_begin(w, "event");
	bh_jsonw_kv_str(w, "kind", "event");
	bh_jsonw_kv_arr_begin(w, "category");
	bh_jsonw_str(w, "network");
	bh_jsonw_arr_end(w);
	bh_jsonw_kv_arr_begin(w, "type");
	bh_jsonw_str(w, "connection");
	bh_jsonw_str(w, tag->kind == 'a' ? "allowed" : "denied");
	bh_jsonw_arr_end(w);
	bh_jsonw_kv_str(w, "action", action_of(tag->kind));
	bh_jsonw_kv_str(w, "outcome", tag->kind == 'd' ? "failure" : "success");
	bh_jsonw_obj_end(w);

	bh_jsonw_kv_obj_begin(w, "network");
	if (transport)
		bh_jsonw_kv_str(w, "transport", transport);
	else
		bh_jsonw_kv_uint(w, "iana_number", p->proto);
	bh_jsonw_kv_str(w, "type", p->family == AF_INET6 ? "ipv6" : "ipv4");
	bh_jsonw_kv_str(w, "direction", ingress ? "ingress" : "egress");
	bh_jsonw_obj_end(w);
	endpoint(w, "source", &p->src, p, p->sport);
	endpoint(w, "destination", &p->dst, p, p->dport);

	msg[0] = 0;
	off = 0;
	if (view && view->n_isolated_by) {
		policy_name(pname, sizeof(pname), ps, view->isolated_by[0]);
		bh_jsonw_kv_obj_begin(w, "rule");
		bh_jsonw_kv_str(w, "name", "default-deny");
		bh_jsonw_kv_str(w, "ruleset", pname);
		bh_jsonw_obj_end(w);
		off = snprintf(msg, sizeof(msg), "no policy allows; isolated by ");
		for (size_t i = 0; i < view->n_isolated_by && off < sizeof(msg); i++) {
			policy_name(pname, sizeof(pname), ps, view->isolated_by[i]);
			off += snprintf(msg + off, sizeof(msg) - off, "%s%s", i ? ", " : "", pname);
		}
		bh_jsonw_kv_str(w, "message", msg);
	}
	bh_jsonw_kv_obj_begin(w, "orchestrator");
	bh_jsonw_kv_str(w, "namespace", ns);
	bh_jsonw_obj_end(w);
	if (local && local->container_id) {
		bh_jsonw_kv_obj_begin(w, "container");
		bh_jsonw_kv_str(w, "id", local->container_id);
		bh_jsonw_kv_str(w, "name", local->container_name);
		if (local->image) {
			bh_jsonw_kv_obj_begin(w, "image");
			bh_jsonw_kv_str(w, "name", local->image);
			bh_jsonw_obj_end(w);
		}
		bh_jsonw_obj_end(w);
	}
	bh_jsonw_kv_obj_begin(w, "host");
	bh_jsonw_kv_str(w, "hostname", a->hostname);
	bh_jsonw_obj_end(w);

	bh_jsonw_kv_obj_begin(w, "bulkhead");
	workload_obj(w, "source_workload", ingress ? peer : local);
	workload_obj(w, "destination_workload", ingress ? local : peer);
	if (view) {
		bh_jsonw_kv_arr_begin(w, "isolated_by");
		for (size_t i = 0; i < view->n_isolated_by; i++) {
			policy_name(pname, sizeof(pname), ps, view->isolated_by[i]);
			bh_jsonw_str(w, pname);
		}
		bh_jsonw_arr_end(w);
	}
	bh_jsonw_kv_uint(w, "generation", tag->generation);
	bh_jsonw_obj_end(w);
	bh_jsonw_obj_end(w);
	bh_jsonw_line_end(w);
}
