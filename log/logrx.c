// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/array.h"
#include "log/dedup.h"
#include "log/event.h"
#include "log/jsonw.h"
#include "log/logrx.h"
#include "log/out.h"
#include "netlink/netns.h"
#include "netlink/nflog.h"
#include "netlink/nft.h"
#include "log/pkt.h"
#include "policy/compile.h"
#include "policy/model.h"

/* Datagrams read per wake-up per socket: a flood in one namespace cannot starve the loop. */
#define RX_BATCH 8
/* How often suppressed duplicates and attempts over the log limit are summarised. */
#define SUMMARY_MS 10000

struct reader {
	struct bh_logrx *x;
	uv_poll_t poll;
	struct bh_nflog *nl;
	char *ns, *name, *netns;
	char *new_ns, *new_name;	/* a rename taking effect at the end of the sync */
	uint32_t id;		/* dedup workload id */
	uint64_t overruns_seen, gaps_seen;
	uint64_t events_tick;	/* events since the last summary */
	bool active_prev;	/* events in the summary period before */
	uint64_t unlogged_seen[BH_DIR_MAX];	/* the table's "limit over" counters, last read */
	bool keep, closing;
};

struct bh_logrx {
	uv_loop_t *loop;
	struct bh_logrx_deps d;
	struct reader **v;
	size_t n, cap;
	size_t sync_n;		/* readers before the sync began (sorted) */
	uint32_t next_id;
	struct bh_dedup dd;
	uv_timer_t summary;
	struct bh_jsonw w;
	struct bh_logrx_stats st;
	unsigned int closing;	/* handles still closing */
	bool closed;
};

static void reader_closed(uv_handle_t *h)
{
	struct reader *r = h->data;
	struct bh_logrx *x = r->x;

	bh_nflog_close(r->nl);
	free(r->ns);
	free(r->name);
	free(r->new_ns);
	free(r->new_name);
	free(r->netns);
	free(r);
	x->closing--;
}

static void reader_close(struct reader *r)
{
	r->closing = true;
	r->x->closing++;
	uv_poll_stop(&r->poll);	/* before the socket is closed */
	uv_close((uv_handle_t *)&r->poll, reader_closed);
}

static void report_loss(struct reader *r)
{
	const struct bh_nflog_stats *s = bh_nflog_stats(r->nl);
	struct bh_logrx *x = r->x;
	char key[512];

	if (s->overruns == r->overruns_seen && s->seq_gaps == r->gaps_seen)
		return;
	x->st.overruns += s->overruns - r->overruns_seen;
	x->st.gaps += s->seq_gaps - r->gaps_seen;
	snprintf(key, sizeof(key), "%s/%s", r->ns, r->name);
	bh_out_lifecycle(x->d.out, "log-overrun", "failure",
			 json_pack("{s:s, s:I, s:I}", "workload", key, "overruns",
				   (json_int_t)(s->overruns - r->overruns_seen), "events_lost",
				   (json_int_t)(s->seq_gaps - r->gaps_seen)),
			 "denied-connection events were lost: the log socket overflowed");
	r->overruns_seen = s->overruns;
	r->gaps_seen = s->seq_gaps;
}

/*
 * Explain the packet with the generation named in its prefix: the table
 * that logged it was programmed from that generation. When it is no longer
 * kept, this workload's ruleset has not changed since (it would have been
 * reprogrammed with a newer generation), so the current one explains it.
 * The same holds when that generation does not know the workload by its
 * reader's name: it was renamed in place and its table, unchanged, kept
 * its number.
 */
static int format_line(struct bh_logrx *x, struct reader *r, const struct bh_log_tag *tag,
		       const struct bh_pkt *p, const struct timeval *ts)
{
	struct bh_event_ctx ctx = { .hostname = x->d.hostname, .community_id = x->d.community_id,
				    .community_id_seed = x->d.community_id_seed };
	struct bh_event ev = { .ts = *ts, .tag = tag, .pkt = p };
	struct bh_logrx_gen g;

	bool found = x->d.gen_find(x->d.arg, tag->generation, &g);

	if (found && !bh_inventory_find(g.inv, r->ns, r->name))
		found = false;
	if (found || x->d.gen_current(x->d.arg, &g)) {
		ctx.inv = g.inv;
		ev.wl = bh_inventory_find(g.inv, r->ns, r->name);
		ev.ns = bh_inventory_ns(g.inv, r->ns);
		ev.comp = g.comp;
	}
	return bh_event_format(&x->w, &ctx, &ev);
}

static int on_event(const struct bh_nflog_event *ev, void *arg)
{
	struct reader *r = arg;
	struct bh_logrx *x = r->x;
	struct bh_log_tag tag;
	struct bh_dedup_key k;
	struct bh_pkt p;

	x->st.events++;
	r->events_tick++;
	if (bh_log_tag_parse(ev->prefix, &tag) < 0 ||
	    bh_pkt_decode(ev->payload, ev->payload_len, ev->hw_proto, &p) < 0) {
		x->st.malformed++;
		return 0;
	}
	bh_dedup_key_from_pkt(&k, r->id, (uint8_t)(tag.dir << 2 | (tag.kind & 3)), &p);
	if (!bh_dedup_check(&x->dd, &k, uv_now(x->loop)))
		return 0;
	bh_jsonw_reset(&x->w);
	if (format_line(x, r, &tag, &p, &ev->ts) < 0) {
		x->st.write_errors++;
		return 0;
	}
	bh_out_line(x->d.out, x->w.buf, x->w.len);
	x->st.lines++;
	x->st.lines_by[tag.kind == 'a' ? BH_LOGRX_ALLOWED : tag.kind == 'w' ? BH_LOGRX_WOULD_DENY
									 : BH_LOGRX_DENIED][tag.dir & 1]++;
	return 0;
}

static void poll_cb(uv_poll_t *p, int status, int events)
{
	struct reader *r = p->data;

	if (status < 0 || r->closing)
		return;
	bh_nflog_read(r->nl, on_event, r, RX_BATCH);
	report_loss(r);
}

struct open_arg {
	uint16_t group;
	struct bh_nflog *nl;
};

static int open_in_ns(void *arg)
{
	struct open_arg *o = arg;

	return bh_nflog_open(o->group, NULL, &o->nl);
}

static int reader_open(struct bh_logrx *x, const char *ns, const char *name, const char *netns)
{
	struct open_arg oa = { .group = x->d.log_group };
	struct reader *r;
	int rc;

	rc = bh_netns_run(netns, open_in_ns, &oa);
	if (rc < 0)
		return rc;
	r = calloc(1, sizeof(*r));
	if (!r)
		goto fail_nl;
	r->x = x;
	r->nl = oa.nl;
	r->ns = strdup(ns);
	r->name = strdup(name);
	r->netns = strdup(netns);
	r->id = x->next_id++;
	r->keep = true;
	if (!r->ns || !r->name || !r->netns)
		goto fail_r;
	if (bh_array_reserve(x->v, x->cap, x->n + 1, 32))
		goto fail_r;
	rc = uv_poll_init(x->loop, &r->poll, bh_nflog_fd(r->nl));
	if (rc < 0)
		goto fail_r;
	r->poll.data = r;
	x->v[x->n++] = r;
	rc = uv_poll_start(&r->poll, UV_READABLE, poll_cb);
	if (rc < 0) {
		x->n--;
		reader_close(r);
		return rc;
	}
	return 0;
fail_r:
	free(r->ns);
	free(r->name);
	free(r->netns);
	free(r);
fail_nl:
	bh_nflog_close(oa.nl);
	return -ENOMEM;
}

static int reader_cmp(const struct reader *r, const char *ns, const char *name)
{
	int c = strcmp(r->ns, ns);

	return c ? c : strcmp(r->name, name);
}

static int reader_sort_cmp(const void *a, const void *b)
{
	const struct reader *y = *(struct reader *const *)b;

	return reader_cmp(*(struct reader *const *)a, y->ns, y->name);
}

struct reader_key {
	const char *ns, *name;
};

static int reader_key_cmp(const void *key, const void *elem)
{
	const struct reader_key *k = key;

	return -reader_cmp(*(struct reader *const *)elem, k->ns, k->name);
}

/* The reader of ns/name among the first n (sorted), or NULL. */
static struct reader *reader_find(struct bh_logrx *x, size_t n, const char *ns, const char *name)
{
	const struct reader_key k = { ns, name };
	struct reader **hit = bh_sorted_find(&k, x->v, n, sizeof(*x->v), reader_key_cmp);

	return hit ? *hit : NULL;
}

void bh_logrx_sync_begin(struct bh_logrx *x)
{
	if (x->closed)
		return;
	/* Sorted by workload, so each lookup is a bisection (thousands of readers). */
	if (x->n > 1)
		qsort(x->v, x->n, sizeof(*x->v), reader_sort_cmp);
	x->sync_n = x->n;
	for (size_t i = 0; i < x->n; i++)
		x->v[i]->keep = false;
}

void bh_logrx_sync_want(struct bh_logrx *x, const char *ns, const char *name, const char *netns)
{
	struct reader *r;

	if (x->closed)
		return;
	r = reader_find(x, x->sync_n, ns, name);
	if (r && !strcmp(r->netns, netns)) {
		r->keep = true;
		return;
	}
	/*
	 * A renamed workload (docker rename, an inventory edit) keeps its
	 * namespace: its reader follows the new name. A second reader could
	 * not bind the NFLOG group there while the first holds it.
	 */
	for (size_t i = 0; i < x->sync_n; i++) {
		r = x->v[i];
		if (r->keep || r->new_ns || strcmp(r->netns, netns))
			continue;
		r->new_ns = strdup(ns);
		r->new_name = strdup(name);
		if (!r->new_ns || !r->new_name) {
			free(r->new_ns);
			free(r->new_name);
			r->new_ns = r->new_name = NULL;
			break;	/* no memory: the reader is replaced instead */
		}
		r->keep = true;
		return;
	}
	/* new, or its namespace changed (a restarted container): a new reader */
	if (reader_open(x, ns, name, netns) < 0)
		x->st.open_errors++;
}

void bh_logrx_sync_end(struct bh_logrx *x)
{
	size_t k = 0;

	if (x->closed)
		return;
	for (size_t i = 0; i < x->n; i++) {
		struct reader *r = x->v[i];

		if (!r->keep) {
			reader_close(r);
			continue;
		}
		if (r->new_ns) {
			free(r->ns);
			free(r->name);
			r->ns = r->new_ns;
			r->name = r->new_name;
			r->new_ns = r->new_name = NULL;
		}
		x->v[k++] = r;
	}
	x->n = k;
	x->sync_n = 0;
	x->st.readers = k;
}

struct summary_ctx {
	struct bh_logrx *x;
};

static void summary_one(uint32_t wl, uint64_t suppressed, uint64_t first_ms, void *arg)
{
	struct bh_logrx *x = arg;
	const char *ns = "?", *name = "?";
	double secs = (uv_now(x->loop) - first_ms) / 1000.0;
	char key[512], msg[600];

	for (size_t i = 0; i < x->n; i++)
		if (x->v[i]->id == wl) {
			ns = x->v[i]->ns;
			name = x->v[i]->name;
		}
	x->st.suppressed += suppressed;
	snprintf(key, sizeof(key), "%s/%s", ns, name);
	snprintf(msg, sizeof(msg), "suppressed %llu similar in %.0fs", (unsigned long long)suppressed,
		 secs);
	bh_out_lifecycle(x->d.out, "suppressed", NULL,
			 json_pack("{s:s, s:s, s:I, s:f}", "workload", key, "cause", "duplicate",
				   "suppressed", (json_int_t)suppressed, "seconds", secs),
			 msg);
}

/*
 * Attempts the kernel did not log because the workload's log limit was
 * exhausted: their verdict was taken and counted by the table's
 * "limit rate over" rules, so a flood is summarised, never silent. Only
 * namespaces that logged anything in this period or the one before are
 * read: the limit can only have cut the log where the burst was spent.
 */
static void unlogged_one(struct bh_logrx *x, struct reader *r)
{
	static const char *const dirs[BH_DIR_MAX] = { "ingress", "egress" };
	struct bh_nft_state st;
	bool active = r->events_tick > 0;

	if (!active && !r->active_prev)
		return;
	r->active_prev = active;
	r->events_tick = 0;
	if (bh_nft_table_read(r->netns, &st) <= 0)
		return;
	for (int d = 0; d < BH_DIR_MAX; d++) {
		uint64_t cur = st.unlogged[d], prev = r->unlogged_seen[d];
		/* a replaced table starts its counters again */
		uint64_t n = cur >= prev ? cur - prev : cur;
		char key[512], msg[600];

		r->unlogged_seen[d] = cur;
		if (!n)
			continue;
		x->st.unlogged += n;
		snprintf(key, sizeof(key), "%s/%s", r->ns, r->name);
		snprintf(msg, sizeof(msg), "%llu %s attempts over the log limit in %us: verdict taken, not logged",
			 (unsigned long long)n, dirs[d], SUMMARY_MS / 1000);
		bh_out_lifecycle(x->d.out, "suppressed", NULL,
				 json_pack("{s:s, s:s, s:s, s:I, s:i}", "workload", key, "cause",
					   "log-limit", "direction", dirs[d], "suppressed", (json_int_t)n,
					   "seconds", SUMMARY_MS / 1000),
				 msg);
	}
}

static void summary_cb(uv_timer_t *t)
{
	struct bh_logrx *x = t->data;

	bh_dedup_summary(&x->dd, summary_one, x);
	for (size_t i = 0; i < x->n; i++)
		unlogged_one(x, x->v[i]);
}

int bh_logrx_alloc(uv_loop_t *loop, const struct bh_logrx_deps *deps, struct bh_logrx **out)
{
	struct bh_logrx *x = calloc(1, sizeof(*x));
	int r;

	if (!x)
		return -ENOMEM;
	x->loop = loop;
	x->d = *deps;
	r = bh_dedup_init(&x->dd, 0, 0, 0);
	if (r < 0) {
		free(x);
		return r;
	}
	bh_jsonw_init(&x->w);
	uv_timer_init(loop, &x->summary);
	x->summary.data = x;
	uv_timer_start(&x->summary, summary_cb, SUMMARY_MS, SUMMARY_MS);
	*out = x;
	return 0;
}

void bh_logrx_stats_get(const struct bh_logrx *x, struct bh_logrx_stats *st)
{
	*st = x->st;
}

static void summary_closed(uv_handle_t *h)
{
	((struct bh_logrx *)h->data)->closing--;
}

void bh_logrx_close(struct bh_logrx *x)
{
	if (x->closed)
		return;
	x->closed = true;
	bh_dedup_summary(&x->dd, summary_one, x);
	for (size_t i = 0; i < x->n; i++)
		reader_close(x->v[i]);
	x->n = 0;
	x->closing++;
	uv_close((uv_handle_t *)&x->summary, summary_closed);
}

void bh_logrx_free(struct bh_logrx *x)
{
	if (!x)
		return;
	free(x->v);
	bh_dedup_deinit(&x->dd);
	bh_jsonw_deinit(&x->w);
	free(x);
}
