// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/http.h"
#include "agent/metrics.h"
#include "source/docker.h"
#include "log/logrx.h"
#include "netlink/netns.h"
#include "policy/diag.h"
#include "netlink/nft.h"

/* Namespaces that failed are retried this often until they succeed. */
#define RETRY_MS 1000
/* Docker events are coalesced this long: a compose "up" starts many at once. */
#define KICK_MS 5

static const int signals[4] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1 };

static void agent_reconcile(struct bh_agent *a, bool recompile, unsigned int flags);
static void retry_cb(uv_timer_t *t);

/* ---- inputs ---------------------------------------------------------------------- */

static int load_policies(struct bh_agent *a)
{
	const char *path = a->cfg->policies;
	struct bh_policy_set *set = NULL;
	struct bh_diag d;
	int r;

	if (!path)
		return bh_state_policies_set(&a->st, NULL);
	bh_diag_init(&d);
	r = bh_policy_set_load_limited(&path, 1, &a->cfg->limits, &d, &set);
	if (r < 0) {
		if (!d.n)
			bh_diag_add(&d, &(struct bh_loc){ .file = path }, "%s", strerror(-r));
		bh_agent__report_diag(a, "invalid-policy", &d);
		a->cnt.invalid_edits++;
		bh_diag_deinit(&d);
		return r;
	}
	bh_diag_deinit(&d);
	r = bh_state_policies_set(&a->st, set);
	if (r < 0)
		bh_policy_set_free(set);
	return r;
}

static int load_inventory(struct bh_agent *a)
{
	struct bh_inventory *inv = NULL;
	struct bh_diag d;
	int r;

	if (!a->cfg->inventory) {
		bh_state_inventory_set(&a->st, NULL);
		return 0;
	}
	bh_diag_init(&d);
	r = bh_inventory_load(a->cfg->inventory, &d, &inv);
	a->inventory_invalid = r < 0;
	if (r < 0) {
		if (!d.n)
			bh_diag_add(&d, &(struct bh_loc){ .file = a->cfg->inventory }, "%s",
				    strerror(-r));
		bh_agent__report_diag(a, "invalid-inventory", &d);
		a->cnt.invalid_edits++;
		bh_diag_deinit(&d);
		return r;
	}
	/* two paths to one namespace: refused like any invalid inventory */
	r = bh_netns_check_distinct(inv, &d);
	if (r != 0) {
		a->inventory_invalid = true;
		bh_agent__report_diag(a, "invalid-inventory", &d);
		a->cnt.invalid_edits++;
		bh_diag_deinit(&d);
		bh_inventory_free(inv);
		return r < 0 ? r : -EINVAL;
	}
	bh_diag_deinit(&d);
	r = bh_netns_resolve_ips(inv, NULL);
	if (r < 0) {
		bh_inventory_free(inv);
		return r;
	}
	bh_state_inventory_set(&a->st, inv);
	return 0;
}

/* ---- reconcile --------------------------------------------------------------------- */

/*
 * A new generation. A policy set that passes the element limit is refused
 * like an invalid one (invalid-policy): the last valid set is back, and is
 * compiled again only when the workloads changed meanwhile. -E2BIG when no
 * new generation is made: the current one stays in force.
 */
static int compile_gen(struct bh_agent *a)
{
	struct bh_diag d;
	int r;

	for (int tries = 0; tries < 2; tries++) {
		bh_diag_init(&d);
		r = bh_state_compile_limited(&a->st, &a->cfg->limits, &d);
		if (r == -E2BIG) {
			bh_agent__report_diag(a, "invalid-policy", &d);
			a->cnt.invalid_edits++;
		}
		bh_diag_deinit(&d);
		if (r != -E2BIG || !bh_state_policies_revert(&a->st) ||
		    !bh_state_workloads_changed(&a->st))
			break;
	}
	return r;
}

static void rec_cb(void *arg, const struct bh_rec_wl *w, int err, bool removed)
{
	struct bh_agent *a = arg;
	char key[512];

	if (!err)
		return;
	snprintf(key, sizeof(key), "%s/%s", w->ns, w->name);
	if (removed && (err == -ENOENT || err == -EBADF))
		return;	/* the namespace left with its workload */
	if (!removed && w->repeated)
		return;	/* reported when it first happened; status shows it */
	bh_agent__err("%s (%s): %s", key, w->netns, w->last_error ? w->last_error : strerror(-err));
	bh_out_lifecycle(&a->out, removed ? "remove-failed" : "program-failed", "failure",
			 json_pack("{s:s, s:s, s:s?, s:s?}", "workload", key, "netns", w->netns,
				   "error", w->last_error, "errno", strerror(-err)),
			 w->last_error);
	bh_agent__set_last_error(a, w->last_error ? w->last_error : strerror(-err));
}

static json_t *ms_of(uint64_t us)
{
	return json_real((double)us / 1000.0);
}

static void agent_reconcile(struct bh_agent *a, bool recompile, unsigned int flags)
{
	const struct bh_gen *g;
	struct bh_rec_stats s;
	uint64_t ev_ns = a->pend_ns, done;
	int64_t dnano = a->pend_docker_nano;
	json_t *x;
	int r;

	a->pend_ns = 0;
	a->pend_docker_nano = 0;
	if (!a->enforcing) {	/* the operator's reset: nothing is programmed until reload */
		a->pend_first[0] = 0;
		return;
	}
	if (recompile || a->compile_pending || !bh_state_current(&a->st)) {
		r = compile_gen(a);
		if (r == -E2BIG) {
			a->pend_ns = 0;	/* nothing new is enforced */
			if (bh_state_current(&a->st))
				return;
			/* nothing valid to enforce: invalid input, as invalid policies at start (2) */
			a->exit_code = 2;
			bh_agent_stop(a);
			return;
		}
		if (r < 0) {
			bh_agent__set_last_error(a, "compile: out of memory");
			a->cnt.reconcile_errors++;
			a->compile_pending = true;	/* the retry compiles again */
			uv_timer_start(&a->retry, retry_cb, RETRY_MS, 0);
			return;
		}
		a->compile_pending = false;
		a->cnt.compiles++;
	}
	g = bh_state_current(&a->st);
	a->cnt.reconciles++;
	r = bh_reconcile_run(&a->rec, g, flags, a->pend_first[0] ? a->pend_first : NULL, &s);
	a->pend_first[0] = 0;
	done = uv_hrtime();
	a->cnt.ns_touched_last = s.touched;
	x = json_pack("{s:I, s:i, s:i, s:i, s:i, s:i, s:i}", "generation", (json_int_t)g->id,
		      "namespaces_touched", s.touched, "elements_only", s.deltas, "unchanged",
		      s.unchanged, "failed", s.failed, "removed", s.removed, "recreated",
		      s.recreated);
	if (ev_ns) {
		bh_lat_add(&a->lat, (done - ev_ns) / 1000);
		json_object_set_new(x, "event_to_enforced_ms", ms_of((done - ev_ns) / 1000));
	}
	if (dnano > 0) {
		struct timespec ts;
		int64_t now;

		clock_gettime(CLOCK_REALTIME, &ts);
		now = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
		if (now > dnano) {
			bh_lat_add(&a->docker_lat, (uint64_t)(now - dnano) / 1000);
			json_object_set_new(x, "container_start_to_enforced_ms",
					    ms_of((uint64_t)(now - dnano) / 1000));
			json_object_set_new(x, "container_event", json_string(a->pend_docker_action));
		}
	}
	/* A retry that changed nothing stays quiet: its failures were reported once. */
	if (s.touched || s.removed || s.recreated || recompile)
		bh_out_lifecycle(&a->out, s.recreated ? "resync" : "reconciled",
				 r ? "failure" : "success", x, NULL);
	else
		json_decref(x);
	bh_agent__logrx_sync(a);
	bh_agent__isolated_report(a);
	bh_agent__enforce_sync(a);
	if (r == -ENOMEM)
		bh_agent__set_last_error(a, "reconcile: out of memory");
	if (r < 0) {
		a->cnt.reconcile_errors++;
		uv_timer_start(&a->retry, retry_cb, RETRY_MS, 0);
		return;
	}
	if (!a->ready && (!a->cfg->docker || a->docker_synced))
		bh_agent__ready_report(a);
}

/* ---- loop callbacks ------------------------------------------------------------------ */

static void retry_cb(uv_timer_t *t)
{
	struct bh_agent *a = t->data;

	if (!a->stopping)
		agent_reconcile(a, false, 0);
}

static void kick_cb(uv_timer_t *t)
{
	struct bh_agent *a = t->data;

	if (!a->stopping && (a->docker_synced || !a->cfg->docker))
		agent_reconcile(a, true, 0);
}

static void resync_cb(uv_timer_t *t)
{
	struct bh_agent *a = t->data;
	bool changed = bh_netns_resolve_ips(a->st.file_inv, NULL) != 0;

	if (changed)
		a->st.wl_version++;	/* addresses changed in place */
	if (a->stopping)
		return;
	if (a->watch_on)
		bh_watch_check(&a->watch);	/* inputs changed behind inotify's back: reloaded */
	agent_reconcile(a, changed, BH_REC_VERIFY);
}

static void note_event(struct bh_agent *a, uint64_t ns)
{
	a->cnt.events++;
	if (!a->pend_ns || ns < a->pend_ns)
		a->pend_ns = ns;
}

static void watch_cb(struct bh_watch *w, unsigned int what, uint64_t first_ns)
{
	struct bh_agent *a = w->data;
	bool ok = false;

	if (a->stopping)
		return;
	note_event(a, first_ns);
	if ((what & BH_WATCH_POLICIES) && !load_policies(a))
		ok = true;
	if ((what & BH_WATCH_INVENTORY) && !load_inventory(a))
		ok = true;
	if (ok)
		agent_reconcile(a, true, 0);
	else
		a->pend_ns = 0;	/* nothing new is enforced: the last valid set stays */
}

static void docker_cb(void *arg, enum bh_docker_ev ev, const struct bh_workload *wl,
		      const char *msg)
{
	struct bh_agent *a = arg;
	const struct bh_docker_stamp *ts = bh_docker_stamp_get(a->docker);
	char key[256] = "";
	bool fresh;

	if (a->stopping)
		return;
	if (wl)
		snprintf(key, sizeof(key), "%s/%s", wl->namespace ? wl->namespace : "default",
			 wl->name);
	/* A container that cannot be mapped but has a netns is isolated (fail closed). */
	if (ev == BH_DOCKER_ERROR && wl && wl->netns && wl->isolated) {
		bh_out_lifecycle(&a->out, "container-invalid", "failure",
				 json_pack("{s:s, s:s}", "workload", key, "isolated", wl->isolated), msg);
		ev = BH_DOCKER_UPSERT;
	}
	switch (ev) {
	case BH_DOCKER_UPSERT:
	case BH_DOCKER_REMOVE:
		/*
		 * A container new to us, reported from an event (not a listing):
		 * measure from that event's timeNano (its "start" when Docker
		 * sent one, else the first event seen) to enforcement, and
		 * program its namespace before the others.
		 */
		fresh = ev == BH_DOCKER_UPSERT && !bh_state_docker_known(&a->st, wl->container_id);
		if (ev == BH_DOCKER_UPSERT ? bh_state_docker_upsert(&a->st, wl) < 0
					   : bh_state_docker_remove(&a->st, wl) < 0)
			break;
		note_event(a, ts ? ts->recv_ns : uv_hrtime());
		if (fresh && ts && ts->time_nano > 0) {
			if (!a->pend_docker_nano || ts->time_nano < a->pend_docker_nano) {
				a->pend_docker_nano = ts->time_nano;
				snprintf(a->pend_docker_action, sizeof(a->pend_docker_action), "%s",
					 ts->action ? ts->action : "");
			}
			snprintf(a->pend_first, sizeof(a->pend_first), "%s", key);
		}
		if (a->docker_synced)
			uv_timer_start(&a->kick, kick_cb, KICK_MS, 0);
		break;
	case BH_DOCKER_SYNCED:
		if (a->docker_lost)
			bh_out_lifecycle(&a->out, "source-regained", "success",
					 json_pack("{s:s, s:s}", "source", "docker", "socket",
						   a->cfg->docker),
					 NULL);
		a->docker_lost = false;
		a->docker_synced = true;
		agent_reconcile(a, true, 0);
		break;
	case BH_DOCKER_LOST:
		bh_out_lifecycle(&a->out, "source-lost", "failure",
				 json_pack("{s:s, s:s}", "source", "docker", "socket", a->cfg->docker),
				 msg);
		bh_agent__set_last_error(a, msg);
		a->docker_lost = true;
		if (!a->ready) {
			/* Enforce what the other sources know; containers follow on reconnect. */
			a->docker_synced = true;
			agent_reconcile(a, true, 0);
			a->docker_synced = false;
		}
		break;
	case BH_DOCKER_ERROR:
	case BH_DOCKER_SKIP:
		bh_out_lifecycle(&a->out, ev == BH_DOCKER_ERROR ? "container-invalid"
							       : "container-skipped",
				 ev == BH_DOCKER_ERROR ? "failure" : NULL,
				 json_pack("{s:s}", "workload", key), msg);
		break;
	}
}

static void signal_cb(uv_signal_t *s, int signum)
{
	struct bh_agent *a = s->data;

	switch (signum) {
	case SIGHUP:
		bh_agent_reload(a);
		break;
	case SIGUSR1:
		bh_out_reopen(&a->out);
		break;
	default:
		bh_agent_stop(a);
		break;
	}
}

int bh_agent_reload(struct bh_agent *a)
{
	int rp, ri;
	bool resume = !a->enforcing;

	note_event(a, uv_hrtime());
	bh_out_reopen(&a->out);
	bh_out_lifecycle(&a->out, "reload", NULL,
			 resume ? json_pack("{s:b}", "enforcing_again", 1) : NULL, NULL);
	rp = load_policies(a);
	ri = load_inventory(a);
	a->enforcing = true;
	agent_reconcile(a, true, resume ? BH_REC_FORCE : BH_REC_VERIFY);
	return rp < 0 ? rp : ri;
}

int bh_agent_reconcile_workload_now(struct bh_agent *a, const char *key, uint64_t event_ns,
				    int64_t docker_time_nano)
{
	const struct bh_rec_wl *w;
	const char *slash = key ? strchr(key, '/') : NULL;
	char ns[256];

	note_event(a, event_ns ? event_ns : uv_hrtime());
	a->pend_docker_nano = docker_time_nano;
	snprintf(a->pend_first, sizeof(a->pend_first), "%s", key ? key : "");
	agent_reconcile(a, true, 0);
	if (!slash || (size_t)(slash - key) >= sizeof(ns))
		return -EINVAL;
	memcpy(ns, key, slash - key);
	ns[slash - key] = 0;
	w = bh_reconcile_find(&a->rec, ns, slash + 1);
	if (!w)
		return -ENOENT;
	return w->programmed && !w->last_error ? 0 : -EIO;
}

/* ---- control socket -------------------------------------------------------------------- */

json_t *bh_agent_control_handler(struct bh_control *c, json_t *req)
{
	struct bh_agent *a = c->data;
	const char *cmd = json_string_value(json_object_get(req, "cmd"));
	int r;

	if (!cmd)
		return json_pack("{s:s}", "error", "missing \"cmd\"");
	if (!strcmp(cmd, "status"))
		return bh_agent_status(a);
	if (!strcmp(cmd, "reload")) {
		r = bh_agent_reload(a);
		return json_pack("{s:b, s:I, s:s?}", "ok", r == 0,
				 "generation", (json_int_t)a->st.next_id - 1, "error",
				 r ? a->last_error : NULL);
	}
	if (!strcmp(cmd, "reconcile")) {
		const char *wl = json_string_value(json_object_get(req, "workload"));

		r = bh_agent_reconcile_workload_now(a, wl, 0, 0);
		return json_pack("{s:b, s:s?}", "ok", r == 0, "error", r ? strerror(-r) : NULL);
	}
	if (!strcmp(cmd, "reset"))
		return bh_agent__reset_answer(a);
	return json_pack("{s:s}", "error", "unknown command");
}

/* ---- lifecycle ------------------------------------------------------------------------- */

int bh_agent_init(struct bh_agent *a, uv_loop_t *loop, const struct bh_agent_config *cfg,
		  FILE *err)
{
	struct bh_emit_opts o;
	const char *bad = NULL;
	int r;

	memset(a, 0, sizeof(*a));
	a->loop = loop;
	a->cfg = cfg;
	a->start_ns = uv_hrtime();
	a->enforcing = true;
	if (cfg->hostname)
		snprintf(a->hostname, sizeof(a->hostname), "%s", cfg->hostname);
	else if (gethostname(a->hostname, sizeof(a->hostname) - 1))
		snprintf(a->hostname, sizeof(a->hostname), "localhost");
	r = bh_out_open(&a->out, loop, cfg->logs, cfg->n_logs, a->hostname, &bad);
	if (r < 0) {
		fprintf(err, "bulkhead agent: --log %s: %s\n", bad ? bad : "?", strerror(-r));
		return r;
	}
	bh_state_init(&a->st);
	bh_emit_opts_default(&o);
	o.log_group = (uint16_t)cfg->log_group;
	o.log_rate = cfg->log_rate;
	o.log_burst = cfg->log_burst;
	bh_reconcile_init(&a->rec, &o, NULL);
	a->rec.cb = rec_cb;
	a->rec.cb_arg = a;
	bh_out_lifecycle(&a->out, "start", NULL,
			 json_pack("{s:s?, s:s?, s:s?, s:i, s:i}", "policies", cfg->policies,
				   "inventory", cfg->inventory, "docker", cfg->docker, "log_group",
				   (int)cfg->log_group, "pid", (int)getpid()),
			 NULL);
	r = load_policies(a);
	if (!r)
		r = load_inventory(a);
	if (r < 0) {
		bh_agent_deinit(a);
		return r;
	}
	return 0;
}

static int start_handles(struct bh_agent *a, FILE *err)
{
	int r;

	for (size_t i = 0; i < 4; i++) {
		uv_signal_init(a->loop, &a->sig[i]);
		a->sig[i].data = a;
		a->handles++;
		r = uv_signal_start(&a->sig[i], signal_cb, signals[i]);
		if (r < 0)
			return r;
	}
	uv_timer_init(a->loop, &a->resync);
	uv_timer_init(a->loop, &a->retry);
	uv_timer_init(a->loop, &a->kick);
	a->resync.data = a->retry.data = a->kick.data = a;
	a->handles += 3;
	if (a->cfg->resync_interval)
		uv_timer_start(&a->resync, resync_cb, a->cfg->resync_interval * 1000ULL,
			       a->cfg->resync_interval * 1000ULL);
	if (a->cfg->policies || a->cfg->inventory) {
		a->watch.data = a;
		r = bh_watch_start(a->loop, &a->watch, a->cfg->policies, a->cfg->inventory,
				   a->cfg->debounce_ms, watch_cb);
		if (r < 0) {
			fprintf(err, "bulkhead agent: watching %s: %s\n", a->cfg->policies,
				strerror(-r));
			return r;
		}
		a->watch_on = true;
	}
	if (a->cfg->control && a->cfg->control[0]) {
		a->ctl.data = a;
		a->ctl.allow_uid = a->cfg->control_allow_uid;
		r = bh_control_start(a->loop, &a->ctl, a->cfg->control, bh_agent_control_handler);
		if (r < 0) {
			fprintf(err, "bulkhead agent: control socket %s: %s\n", a->cfg->control,
				a->ctl.why[0] ? a->ctl.why : strerror(-r));
			return r;
		}
		a->ctl_on = true;
	}
	r = bh_agent__logrx_alloc(a);
	if (r < 0)
		return r;
	r = bh_metrics_start(a, err);
	if (r < 0)
		return r;
	if (a->cfg->docker) {
		struct bh_docker_opts o = { .socket_path = a->cfg->docker };

		r = bh_docker_start(a->loop, &o, docker_cb, a, &a->docker);
		if (r < 0) {
			fprintf(err, "bulkhead agent: docker %s: %s\n", a->cfg->docker, strerror(-r));
			return r;
		}
	}
	return 0;
}

int bh_agent_start(struct bh_agent *a, FILE *err)
{
	int r;

	a->started = true;
	r = bh_agent__enforce_start(a, err);
	if (r < 0)
		return r;
	r = start_handles(a, err);
	if (r < 0)
		return r;
	/*
	 * Adopt: every namespace gets our table, replacing what is there in
	 * one batch. Sources never wait for each other: the inventory's
	 * workloads are enforced now, whatever the Docker daemon does;
	 * containers follow as the Docker source reports them, and "ready"
	 * waits for its first listing (or for it to be reported lost).
	 */
	agent_reconcile(a, true, BH_REC_FORCE);
	return 0;
}

static void handle_closed(uv_handle_t *h)
{
	struct bh_agent *a = h->data;

	a->handles--;
}

static void watch_closed(struct bh_watch *w)
{
	((struct bh_agent *)w->data)->watch_on = false;
}

static void control_closed(struct bh_control *c)
{
	((struct bh_agent *)c->data)->ctl_on = false;
}

static void docker_closed(void *arg)
{
	((struct bh_agent *)arg)->docker = NULL;
}

void bh_agent_stop(struct bh_agent *a)
{
	int r = 0;

	if (a->stopping)
		return;
	a->stopping = true;
	if (a->cfg->remove_on_exit)
		r = bh_reconcile_remove_all(&a->rec);
	bh_out_lifecycle(&a->out, "stop", r < 0 ? "failure" : "success",
			 json_pack("{s:b}", "rules_left_in_force", !a->cfg->remove_on_exit), NULL);
	if (a->docker)
		bh_docker_close(a->docker, docker_closed, a);
	if (a->logrx)
		bh_logrx_close(a->logrx);
	bh_agent__enforce_close(a);
	if (a->watch_on)
		bh_watch_close(&a->watch, watch_closed);
	if (a->ctl_on)
		bh_control_close(&a->ctl, control_closed);
	if (a->metrics)
		bh_http_close(a->metrics, NULL, NULL);
	a->metrics = NULL;
	bh_out_close(&a->out);	/* after the stop line: queued lines are flushed first */
	for (size_t i = 0; i < 4; i++)
		if (a->sig[i].loop && !uv_is_closing((uv_handle_t *)&a->sig[i]))
			uv_close((uv_handle_t *)&a->sig[i], handle_closed);
	if (a->resync.loop) {
		uv_close((uv_handle_t *)&a->resync, handle_closed);
		uv_close((uv_handle_t *)&a->retry, handle_closed);
		uv_close((uv_handle_t *)&a->kick, handle_closed);
	}
}

void bh_agent_deinit(struct bh_agent *a)
{
	if (a->logrx)
		bh_logrx_free(a->logrx);
	a->logrx = NULL;
	bh_reconcile_deinit(&a->rec);	/* closes the namespaces' connections */
	bh_agent__enforce_free(a);
	bh_state_deinit(&a->st);
	bh_out_close(&a->out);
	free(a->last_error);
	a->last_error = NULL;
}
