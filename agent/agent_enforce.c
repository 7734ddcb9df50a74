// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Enforcement under pressure: the operator's reset (break-glass), and
 * changes by other processes in enforced namespaces: a `tamper` lifecycle
 * line per table and way a transaction changed (the workload, what, which
 * table, and the process the kernel names), and, when the table was ours,
 * an immediate check of its content and a replacement when it differs
 * (possible in unowned mode; in owned mode the kernel refuses such
 * changes, and a foreign table is reported and left alone).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent/agent.h"
#include "netlink/nft.h"
#include "netlink/nft_mon.h"
#include "agent/tamper.h"
#include "netlink/nl_close.h"

static bool is_ours(const struct bh_nft_change *c)
{
	return !strcmp(bh_nft_family_name(c->family), "inet") && !strcmp(c->table, BH_TABLE);
}

static void report(struct bh_agent *a, const char *key, const struct bh_nft_txn *t,
		   const struct bh_nft_change *c, bool last)
{
	const char *obj = bh_nft_obj_name(c->object), *op = bh_nft_op_name(c->op);
	char msg[1024], who[64];
	json_t *extra, *ecs = NULL;

	if (t->pid)
		snprintf(who, sizeof(who), "%s (pid %u)", t->comm[0] ? t->comm : "?", t->pid);
	else
		snprintf(who, sizeof(who), "an unknown process");
	snprintf(msg, sizeof(msg), "%s: %s %s in table %s %s by %s%s", key, obj, op,
		 bh_nft_family_name(c->family), c->table, who,
		 !is_ours(c) ? ", not bulkhead's table: left alone" :
		 a->table_flags & BH_NFT_F_OWNER ? "" : ": checking and repairing");
	extra = json_pack("{s:s, s:{s:s, s:s, s:s, s:s, s:I}, s:I}", "workload", key, "tamper",
			  "object", obj, "op", op, "table", c->table, "family",
			  bh_nft_family_name(c->family), "count", (json_int_t)c->count, "ruleset_generation",
			  (json_int_t)t->gen);
	if (extra && last && t->more)
		json_object_set_new(extra, "more_tables", json_integer(t->more));
	if (t->pid)
		ecs = json_pack("{s:{s:I, s:s}}", "process", "pid", (json_int_t)t->pid, "name",
				t->comm);
	bh_out_lifecycle_ecs(&a->out, "tamper", NULL, extra, ecs, msg);
	fprintf(stderr, "bulkhead agent: tamper: %s\n", msg);
}

static void repair(struct bh_agent *a, const char *ns, const char *name, uint64_t t0)
{
	const struct bh_gen *g = bh_state_current(&a->st);
	char key[512], msg[600];
	double ms;
	int rc;

	if (!g || !a->enforcing)
		return;
	rc = bh_reconcile_check(&a->rec, g, ns, name);
	if (rc <= 0)
		return;	/* intact, not ours to check now, or a failure reported as program-failed */
	a->cnt.repairs++;
	ms = (uv_hrtime() - t0) / 1e6;
	snprintf(key, sizeof(key), "%s/%s", ns, name);
	snprintf(msg, sizeof(msg), "%s: table inet %s replaced %.1f ms after the change was seen",
		 key, BH_TABLE, ms);
	/* a resync of one namespace, started by the event instead of the timer */
	bh_out_lifecycle(&a->out, "resync", "success",
			 json_pack("{s:s, s:s, s:i, s:f, s:I}", "workload", key, "cause", "tamper",
				   "recreated", 1, "repair_ms", ms, "generation", (json_int_t)g->id),
			 msg);
}

void bh_agent_tamper_cb(void *arg, const char *ns, const char *name, const struct bh_nft_txn *t)
{
	struct bh_agent *a = arg;
	uint64_t t0 = uv_hrtime();
	bool ours = !t;	/* events lost: whatever happened, check */
	char key[512];

	if (a->stopping)
		return;
	snprintf(key, sizeof(key), "%s/%s", ns, name);
	for (size_t i = 0; t && i < t->n; i++) {
		a->cnt.tamper++;
		ours |= is_ours(&t->v[i]);
		report(a, key, t, &t->v[i], i + 1 == t->n);
	}
	if (t && t->more)
		a->cnt.tamper += t->more;
	if (ours)
		repair(a, ns, name, t0);
}

int bh_agent_reset(struct bh_agent *a)
{
	int r = bh_reconcile_remove_all(&a->rec);

	a->enforcing = false;
	a->ready = false;
	uv_timer_stop(&a->retry);
	bh_agent__logrx_sync(a);
	bh_agent__enforce_sync(a);
	bh_out_lifecycle(&a->out, "reset", r < 0 ? "failure" : "success",
			 json_pack("{s:i, s:s?}", "tables_removed", r < 0 ? 0 : r, "error",
				   r < 0 ? strerror(-r) : NULL),
			 "the operator's reset: tables removed, nothing enforced until reload");
	return r;
}

json_t *bh_agent__reset_answer(struct bh_agent *a)
{
	int r = bh_agent_reset(a);

	return json_pack("{s:b, s:i, s:i, s:s?}", "ok", r >= 0, "tables_removed", r < 0 ? 0 : r,
			 "pid", (int)getpid(), "error", r < 0 ? strerror(-r) : NULL);
}

int bh_agent__enforce_start(struct bh_agent *a, FILE *err)
{
	enum bh_nft_mode m = BH_NFT_MODE_AUTO;
	int r;

	/* the table mode in force: --table-mode, and for auto what the kernel supports */
	if (a->cfg->table_mode && bh_nft_mode_parse(a->cfg->table_mode, &m) < 0)
		return -EINVAL;
	r = bh_nft_mode_resolve(m, &a->table_flags, a->table_mode_why,
				sizeof(a->table_mode_why));
	if (r < 0) {
		fprintf(err, "bulkhead agent: --table-mode owned: %s\n", a->table_mode_why);
		return r;
	}
	a->rec.table_flags = a->table_flags;
	/* three sockets per namespace: see agent/fds.h */
	bh_fds_raise(&a->fds);
	/* closing a netfilter socket can wait for an RCU grace period: off the loop */
	a->closer = bh_nl_closer_start() == 0;
	return bh_tamper_alloc(a->loop, bh_agent_tamper_cb, a, &a->tamper);
}

void bh_agent__enforce_sync(struct bh_agent *a)
{
	if (a->tamper)
		bh_tamper_sync(a->tamper, &a->rec);
}

void bh_agent__enforce_close(struct bh_agent *a)
{
	if (a->tamper)
		bh_tamper_close(a->tamper);
}

void bh_agent__enforce_free(struct bh_agent *a)
{
	bh_tamper_free(a->tamper);
	a->tamper = NULL;
	if (a->closer)
		bh_nl_closer_stop();	/* every queued close done */
	a->closer = false;
}

void bh_agent__ready_report(struct bh_agent *a)
{
	const struct bh_gen *g = bh_state_current(&a->st);
	size_t enforced = 0;

	for (size_t i = 0; i < a->rec.n; i++)
		enforced += a->rec.v[i].programmed;
	a->ready = true;
	bh_out_lifecycle(&a->out, "ready", "success",
			 json_pack("{s:I, s:I, s:I, s:f, s:s, s:s, s:I, s:I}", "generation",
				   (json_int_t)(g ? g->id : 0), "workloads",
				   (json_int_t)(g ? g->inv->n_wl : 0), "namespaces_enforced",
				   (json_int_t)enforced, "startup_ms",
				   (uv_hrtime() - a->start_ns) / 1e6, "table_mode",
				   bh_nft_mode_name(a->table_flags), "table_mode_reason",
				   a->table_mode_why, "fd_limit", (json_int_t)a->fds.soft,
				   "namespaces_max", (json_int_t)bh_fds_namespaces(&a->fds)),
			 "every namespace is enforced");
}
