// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/agent.h"
#include "log/logrx.h"
#include "agent/tamper.h"
#include "netlink/nl_close.h"
#include "netlink/nft.h"

/*
 * What the agent reports: the latency windows, the status answer (what
 * is enforced where, counters) and the workload-isolated lines. It reads
 * the agent (and writes lines to its output) but never calls into agent.c,
 * which owns the control socket that asks for it.
 */

/* ---- latency window ----------------------------------------------------------- */

const uint64_t bh_lat_bounds_us[BH_LAT_BUCKETS] = {
	1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
	1000000, 2500000, 5000000, 10000000, UINT64_MAX,
};

void bh_lat_add(struct bh_lat *l, uint64_t us)
{
	size_t b = 0;

	while (us > bh_lat_bounds_us[b])
		b++;
	l->bucket[b]++;
	l->count++;
	l->sum_us += us;
	l->v[l->next] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
	l->next = (l->next + 1) % BH_LAT_WINDOW;
	if (l->n < BH_LAT_WINDOW)
		l->n++;
	l->last_us = us;
}

static int u32_cmp(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	return a < b ? -1 : a > b;
}

uint64_t bh_lat_pct(const struct bh_lat *l, unsigned int p)
{
	uint32_t tmp[BH_LAT_WINDOW];
	size_t k;

	if (!l->n)
		return 0;
	memcpy(tmp, l->v, l->n * sizeof(tmp[0]));
	qsort(tmp, l->n, sizeof(tmp[0]), u32_cmp);
	k = (l->n * p + 99) / 100;
	return tmp[k ? k - 1 : 0];
}

/* ---- fail closed ------------------------------------------------------------ */

/* One "workload-isolated" line for each workload newly isolated (fail closed). */
static void isolated_line(void *arg, const struct bh_workload *w, const struct bh_gen_iso *why)
{
	struct bh_agent *a = arg;
	const char *ns = w->namespace ? w->namespace : "default";
	const struct bh_rec_wl *r = bh_reconcile_find(&a->rec, ns, w->name);
	bool enforced = r && r->programmed && !r->last_error;
	char msg[1024], key[512];
	json_t *x;

	snprintf(msg, sizeof(msg), "%s/%s%s%s%s is isolated (%s)%s%s%s%s: %s", ns, w->name,
		 w->container_name ? " (container " : "", w->container_name ? w->container_name : "",
		 w->container_name ? ")" : "", w->isolated, why ? ": it claims " : "",
		 why ? why->claimed : "", why ? ", held by " : "", why ? why->held_by : "",
		 enforced ? "every connection in and out is denied"
			  : "its namespace is not programmed yet");
	snprintf(key, sizeof(key), "%s/%s", ns, w->name);
	x = json_pack("{s:s, s:s, s:s?, s:b}", "workload", key, "cause", w->isolated, "netns",
		      w->netns, "enforced", enforced);
	if (!x)
		return;
	if (why) {
		json_object_set_new(x, "claimed", json_string(why->claimed));
		json_object_set_new(x, "held_by", json_string(why->held_by));
	}
	if (w->container_id)
		json_object_set_new(x, "container", json_pack("{s:s, s:s?, s:s?}", "id",
							      w->container_id, "name",
							      w->container_name, "image", w->image));
	bh_out_lifecycle(&a->out, "workload-isolated", "failure", x, msg);
}

void bh_agent__isolated_report(struct bh_agent *a)
{
	const struct bh_gen *g = bh_state_current(&a->st);

	if (!g)
		return;
	bh_state_isolated_new(&a->st, a->iso_gen, isolated_line, a);
	a->iso_gen = g->id;
}

/* ---- status ---------------------------------------------------------------------- */

static json_t *labels_json(const struct bh_labels *l)
{
	json_t *o = json_object();

	for (size_t i = 0; o && i < l->n; i++)
		json_object_set_new(o, l->v[i].key, json_string(l->v[i].value));
	return o;
}

static json_t *ips_json(const struct bh_workload *w)
{
	json_t *a = json_array();
	char buf[64];

	for (size_t i = 0; a && i < w->n_ips; i++)
		json_array_append_new(a, json_string(bh_addr_format(&w->ips[i], buf, sizeof(buf))));
	return a;
}

const char *const bh_wl_state_names[BH_WL_STATES] = {
	[BH_WL_ENFORCED] = "enforced",
	[BH_WL_PENDING] = "pending",
	[BH_WL_FAILED] = "failed",
	[BH_WL_STALE] = "stale",
	[BH_WL_NO_NETNS] = "no-netns",
	[BH_WL_ISOLATED] = "isolated",
};

enum bh_wl_state bh_agent_workload_state(const struct bh_agent *a, const struct bh_workload *w)
{
	const struct bh_rec_wl *r = bh_reconcile_find(&a->rec, w->namespace ? w->namespace : "default",
						      w->name);

	if (!w->netns)
		return BH_WL_NO_NETNS;
	if (!r || !r->programmed)
		return r && r->last_error ? BH_WL_FAILED : BH_WL_PENDING;
	if (r->last_error)
		return BH_WL_STALE;
	return w->isolated ? BH_WL_ISOLATED : BH_WL_ENFORCED;	/* fail closed: default-deny */
}

static json_t *workload_json(struct bh_agent *a, const struct bh_gen *g, const struct bh_workload *w)
{
	const char *ns = w->namespace ? w->namespace : "default";
	const struct bh_rec_wl *r = bh_reconcile_find(&a->rec, ns, w->name);
	const char *state = bh_wl_state_names[bh_agent_workload_state(a, w)];
	json_t *o;

	o = json_pack("{s:s, s:s, s:o, s:o, s:s?, s:s, s:s}", "namespace", ns, "name", w->name,
		      "labels", labels_json(&w->labels), "ips", ips_json(w), "netns", w->netns,
		      "source", w->container_id ? "docker" : "inventory", "state", state);
	if (!o)
		return NULL;
	if (r && r->programmed)
		json_object_set_new(o, "generation", json_integer((json_int_t)r->gen));
	json_object_set_new(o, "last_error", r && r->last_error ? json_string(r->last_error)
								: json_null());
	if (w->isolated) {
		const struct bh_gen_iso *why = bh_gen_iso_find(g, w->container_id);

		json_object_set_new(o, "isolated", json_pack("{s:s, s:s?, s:s?}", "cause", w->isolated,
							     "claimed", why ? why->claimed : NULL,
							     "held_by", why ? why->held_by : NULL));
	}
	if (w->container_id)
		json_object_set_new(o, "container", json_pack("{s:s, s:s?, s:s?}", "id",
							      w->container_id, "name",
							      w->container_name, "image",
							      w->image));
	return o;
}

static json_t *lat_json(const struct bh_lat *l)
{
	return json_pack("{s:f, s:f, s:f, s:I}", "p50", bh_lat_pct(l, 50) / 1000.0, "p99",
			 bh_lat_pct(l, 99) / 1000.0, "last", l->last_us / 1000.0, "samples",
			 (json_int_t)l->n);
}

/* Sockets, descriptors and closes: what enforcing costs the process. */
static json_t *resources_json(const struct bh_agent *a)
{
	struct bh_tamper_stats ts = { 0 };
	struct bh_nl_close_stats cs;

	if (a->tamper)
		bh_tamper_stats_get(a->tamper, &ts);
	bh_nl_close_stats_get(&cs);
	return json_pack("{s:I, s:I, s:i, s:I, s:I, s:I, s:I, s:I, s:f, s:f}",
			 "fds_open", (json_int_t)bh_fds_open(), "fd_limit", (json_int_t)a->fds.soft,
			 "fds_per_namespace", BH_FDS_PER_NS, "namespaces_max",
			 (json_int_t)bh_fds_namespaces(&a->fds), "tamper_monitors",
			 (json_int_t)ts.monitors, "tamper_events_lost", (json_int_t)ts.lost,
			 "sockets_closed", (json_int_t)cs.closed, "sockets_closing",
			 (json_int_t)cs.pending, "close_ms_total", cs.total_us / 1000.0,
			 "close_ms_max", cs.max_us / 1000.0);
}

json_t *bh_agent_status(struct bh_agent *a)
{
	const struct bh_gen *g = bh_state_current(&a->st);
	struct bh_logrx_stats ls = { 0 };
	json_t *o, *wls, *cnt;

	if (a->logrx)
		bh_logrx_stats_get(a->logrx, &ls);
	wls = json_array();
	for (size_t i = 0; g && wls && i < g->inv->n_wl; i++)
		json_array_append_new(wls, workload_json(a, g, &g->inv->wl[i]));
	o = json_pack("{s:b, s:I, s:b, s:f, s:s, s:o}", "ok", 1, "generation",
		      (json_int_t)(g ? g->id : 0), "ready", a->ready,
		      "uptime_s", (uv_hrtime() - a->start_ns) / 1e9, "hostname", a->hostname,
		      "workloads", wls);
	if (!o)
		return NULL;
	json_object_set_new(o, "policies",
			    json_integer((json_int_t)(g ? bh_gen_policies(g)->n + bh_gen_policies(g)->n_cnp : 0)));
	json_object_set_new(o, "last_error", a->last_error ? json_string(a->last_error)
							   : json_null());
	json_object_set_new(o, "counters", json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
		"events", (json_int_t)a->cnt.events,
		"reconciles", (json_int_t)a->cnt.reconciles,
		"compiles", (json_int_t)a->cnt.compiles,
		"invalid_edits", (json_int_t)a->cnt.invalid_edits,
		"namespaces_programmed", (json_int_t)a->rec.ns_programmed,
		"namespaces_failed", (json_int_t)a->rec.ns_failed,
		"namespaces_recreated", (json_int_t)a->rec.ns_recreated,
		"namespaces_touched_last", (json_int_t)a->cnt.ns_touched_last,
		"log_lines", (json_int_t)ls.lines,
		"log_suppressed_duplicates", (json_int_t)ls.suppressed,
		"log_over_limit", (json_int_t)ls.unlogged,
		"drops", (json_int_t)(ls.gaps + ls.write_errors + bh_out_dropped(&a->out)),
		"overruns", (json_int_t)ls.overruns,
		"log_readers", (json_int_t)ls.readers));
	json_object_set_new(json_object_get(o, "counters"), "log_reopen_errors",
			    json_integer((json_int_t)bh_out_reopen_errors(&a->out)));
	json_object_set_new(json_object_get(o, "counters"), "log_reader_errors",
			    json_integer((json_int_t)ls.open_errors));
	json_object_set_new(json_object_get(o, "counters"), "identity_conflicts",
			    json_integer((json_int_t)a->st.identity_conflicts));
	cnt = json_object_get(o, "counters");
	json_object_set_new(cnt, "tamper_events", json_integer((json_int_t)a->cnt.tamper));
	json_object_set_new(cnt, "repairs", json_integer((json_int_t)a->cnt.repairs));
	json_object_set_new(cnt, "namespaces_elements_only",
			    json_integer((json_int_t)a->rec.ns_deltas));
	json_object_set_new(o, "table_mode", json_string(bh_nft_mode_name(a->table_flags)));
	json_object_set_new(o, "table_mode_reason", json_string(a->table_mode_why));
	json_object_set_new(o, "enforcing", json_boolean(a->enforcing));
	json_object_set_new(o, "resources", resources_json(a));
	json_object_set_new(o, "latency_ms", lat_json(&a->lat));
	json_object_set_new(o, "docker_start_to_enforced_ms", lat_json(&a->docker_lat));
	return o;
}
