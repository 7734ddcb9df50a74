// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The logger's hot path under load, as the agent runs it: NFLOG socket
 * under uv_poll -> prefix parse -> header decode -> repeat suppression ->
 * enrichment against a compiled model -> JSON line -> file sink.
 *   nflog_bench GROUP OUTFILE [MAX_SECONDS [IDLE_MS]]
 * Run it inside the namespace whose rules log to GROUP. Prints "ready",
 * then after the traffic stops (IDLE_MS without events) one line:
 *   events=N lines=N gaps=N overruns=N dropped=N cpu_us=N wall_s=S
 * (cpu_us is user+system time of the whole process from the first event on).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <uv.h>

#include "policy/compile.h"
#include "log/dedup.h"
#include "log/event.h"
#include "log/jsonw.h"
#include "policy/model.h"
#include "netlink/nflog.h"
#include "log/pkt.h"
#include "log/sink.h"

static const char inv_yaml[] =
	"namespaces:\n"
	"  - name: bench\n"
	"workloads:\n"
	"  - {name: client, namespace: bench, labels: {app: client}, ips: [10.99.0.1, fd99::1]}\n"
	"  - {name: target, namespace: bench, labels: {app: target, tier: db}, ips: [10.99.0.2, fd99::2]}\n";
static const char pol_yaml[] =
	"apiVersion: networking.k8s.io/v1\n"
	"kind: NetworkPolicy\n"
	"metadata: {name: target-from-api, namespace: bench}\n"
	"spec:\n"
	"  podSelector: {matchLabels: {app: target}}\n"
	"  ingress:\n"
	"    - from: [{podSelector: {matchLabels: {app: api}}}]\n"
	"      ports: [{port: 5432}]\n";

struct bench {
	uv_loop_t loop;
	uv_poll_t poll;
	uv_timer_t timer;
	struct bh_nflog *nl;
	struct bh_sink *sink;
	struct bh_jsonw w;
	struct bh_dedup dd;
	struct bh_event_ctx ctx;
	const struct bh_workload *wl;
	const struct bh_namespace *ns;
	struct bh_compiled *comp;
	uint64_t events, lines, malformed, suppressed;
	uint64_t first_ms, last_ms, max_ms, idle_ms, start_ms;
	struct rusage ru0;
	int closing;
	struct bh_sink_stats sst;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int on_event(const struct bh_nflog_event *ev, void *arg)
{
	struct bench *b = arg;
	struct bh_log_tag tag;
	struct bh_pkt p;
	struct bh_dedup_key k;
	struct bh_event e;

	if (!b->events++)
		getrusage(RUSAGE_SELF, &b->ru0);
	if (bh_log_tag_parse(ev->prefix, &tag) < 0 ||
	    bh_pkt_decode(ev->payload, ev->payload_len, ev->hw_proto, &p) < 0) {
		b->malformed++;
		return 0;
	}
	bh_dedup_key_from_pkt(&k, 0, tag.dir, &p);
	if (!bh_dedup_check(&b->dd, &k, b->last_ms)) {
		b->suppressed++;
		return 0;
	}
	e = (struct bh_event){ .ts = ev->ts, .wl = b->wl, .ns = b->ns, .comp = b->comp,
			       .tag = &tag, .pkt = &p };
	if (bh_event_format(&b->w, &b->ctx, &e) == 0)
		b->lines++;
	return 0;
}

static void on_readable(uv_poll_t *h, int status, int events)
{
	struct bench *b = h->data;
	int n;

	b->last_ms = now_ms();
	if (!b->first_ms)
		b->first_ms = b->last_ms;
	bh_jsonw_reset(&b->w);
	n = bh_nflog_read(b->nl, on_event, b, 16);
	if (n < 0)
		fprintf(stderr, "nflog_bench: read: %s\n", strerror(-n));
	/* One batch of lines, one queue record: the sink writes it with the next flush. */
	if (b->w.len)
		bh_sink_write(b->sink, b->w.buf, b->w.len);
}

static void on_sink_closed(void *arg)
{
	(void)arg;
}

static void on_tick(uv_timer_t *t)
{
	struct bench *b = t->data;
	uint64_t now = now_ms();

	if (b->closing)
		return;
	if ((b->events && now - b->last_ms > b->idle_ms) || now - b->start_ms > b->max_ms) {
		b->closing = 1;
		bh_sink_flush(b->sink);
		bh_sink_stats(b->sink, &b->sst);
		uv_poll_stop(&b->poll);
		uv_close((uv_handle_t *)&b->poll, NULL);
		uv_close((uv_handle_t *)&b->timer, NULL);
		bh_sink_close(b->sink, on_sink_closed, NULL);
	}
}

int main(int argc, char **argv)
{
	static struct bench b;
	struct bh_inventory *inv = NULL;
	struct bh_policy_set *pols = NULL;
	struct bh_diag d;
	const struct bh_nflog_stats *ns;
	struct rusage ru1;
	int err;

	if (argc < 3) {
		fprintf(stderr, "usage: nflog_bench GROUP OUTFILE [MAX_SECONDS [IDLE_MS]]\n");
		return 2;
	}
	b.max_ms = argc > 3 ? (uint64_t)atol(argv[3]) * 1000 : 60000;
	b.idle_ms = argc > 4 ? (uint64_t)atol(argv[4]) : 1000;
	bh_diag_init(&d);
	if (bh_inventory_load_buf("bench-inv", inv_yaml, sizeof(inv_yaml) - 1, &d, &inv) ||
	    bh_policy_set_load_buf("bench-pol", pol_yaml, sizeof(pol_yaml) - 1, &d, &pols) ||
	    bh_compile(pols, inv, &b.comp)) {
		bh_diag_print(&d, stderr);
		return 1;
	}
	bh_diag_deinit(&d);
	b.wl = bh_inventory_find(inv, "bench", "target");
	b.ns = bh_inventory_ns(inv, "bench");
	b.ctx.hostname = "bench-node";
	b.ctx.inv = inv;
	bh_jsonw_init(&b.w);
	if (bh_dedup_init(&b.dd, 0, 0, 0))
		return 1;
	uv_loop_init(&b.loop);
	/* BH_NLBUFSIZ / BH_QTHRESH / BH_TIMEOUT_CS / BH_RCVBUF override the defaults (tuning runs). */
	struct bh_nflog_opts o;
	const char *e;

	bh_nflog_opts_default(&o);
	if ((e = getenv("BH_NLBUFSIZ")))
		o.nlbufsiz = (uint32_t)atol(e);
	if ((e = getenv("BH_QTHRESH")))
		o.qthreshold = (uint32_t)atol(e);
	if ((e = getenv("BH_TIMEOUT_CS")))
		o.timeout_cs = (uint32_t)atol(e);
	if ((e = getenv("BH_RCVBUF")))
		o.rcvbuf = atoi(e);
	err = bh_nflog_open((uint16_t)atoi(argv[1]), &o, &b.nl);
	if (err) {
		fprintf(stderr, "nflog_bench: open group %s: %s\n", argv[1], strerror(-err));
		return 1;
	}
	err = bh_sink_open_from_spec(&b.loop, argv[2], &b.sink);
	if (err) {
		fprintf(stderr, "nflog_bench: sink %s: %s\n", argv[2], strerror(-err));
		return 1;
	}
	bh_sink_set_queue_max(b.sink, 16u << 20);
	uv_poll_init(&b.loop, &b.poll, bh_nflog_fd(b.nl));
	b.poll.data = &b;
	uv_poll_start(&b.poll, UV_READABLE, on_readable);
	uv_timer_init(&b.loop, &b.timer);
	b.timer.data = &b;
	uv_timer_start(&b.timer, on_tick, 100, 100);
	b.start_ms = now_ms();
	printf("ready\n");
	fflush(stdout);
	uv_run(&b.loop, UV_RUN_DEFAULT);
	getrusage(RUSAGE_SELF, &ru1);
	ns = bh_nflog_stats(b.nl);
	long long cpu = (ru1.ru_utime.tv_sec - b.ru0.ru_utime.tv_sec) * 1000000LL +
			(ru1.ru_utime.tv_usec - b.ru0.ru_utime.tv_usec) +
			(ru1.ru_stime.tv_sec - b.ru0.ru_stime.tv_sec) * 1000000LL +
			(ru1.ru_stime.tv_usec - b.ru0.ru_stime.tv_usec);
	printf("events=%llu lines=%llu records=%llu dropped=%llu gaps=%llu overruns=%llu malformed=%llu"
	       " cpu_us=%lld wall_s=%.3f\n",
	       (unsigned long long)ns->events, (unsigned long long)b.lines,
	       (unsigned long long)b.sst.written, (unsigned long long)b.sst.dropped,
	       (unsigned long long)ns->seq_gaps, (unsigned long long)ns->overruns,
	       (unsigned long long)(ns->malformed + b.malformed), b.events ? cpu : 0,
	       b.last_ms > b.first_ms ? (double)(b.last_ms - b.first_ms) / 1000.0 : 0.0);
	bh_nflog_close(b.nl);
	bh_dedup_deinit(&b.dd);
	bh_jsonw_deinit(&b.w);
	bh_compiled_free(b.comp);
	bh_policy_set_free(pols);
	bh_inventory_free(inv);
	return uv_loop_close(&b.loop) ? 1 : 0;
}
