// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The exposition text. A scrape costs one pass over the workloads (their
 * states) and a few counters: no allocation per workload, one buffer
 * grown by doubling. Families are written in a fixed order with HELP and
 * TYPE, every labelled series of a family always present (zeros included),
 * so a rate() never starts from a missing series.
 */
#include <errno.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "agent/agent.h"
#include "agent/http.h"
#include "agent/metrics.h"
#include "log/logrx.h"

#ifndef BH_VERSION
#define BH_VERSION "0.1.0"
#endif

struct mbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

__attribute__((format(printf, 2, 3)))
static void put(struct mbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if ((size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		char *np = realloc(b->p, b->cap * 2 + (size_t)n);

		if (!np) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = b->cap * 2 + (size_t)n;
	}
}

static void family(struct mbuf *b, const char *name, const char *type, const char *help)
{
	put(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void one(struct mbuf *b, const char *name, const char *type, const char *help, double v)
{
	family(b, name, type, help);
	put(b, "%s %.17g\n", name, v);
}

static void histogram(struct mbuf *b, const char *name, const char *help, const struct bh_lat *l)
{
	uint64_t cum = 0;

	family(b, name, "histogram", help);
	for (size_t i = 0; i < BH_LAT_BUCKETS; i++) {
		cum += l->bucket[i];
		if (bh_lat_bounds_us[i] == UINT64_MAX)
			put(b, "%s_bucket{le=\"+Inf\"} %llu\n", name, (unsigned long long)cum);
		else
			put(b, "%s_bucket{le=\"%g\"} %llu\n", name, bh_lat_bounds_us[i] / 1e6,
			    (unsigned long long)cum);
	}
	put(b, "%s_sum %.6f\n%s_count %llu\n", name, l->sum_us / 1e6, name,
	    (unsigned long long)l->count);
}

static const char *const dirs[2] = { "ingress", "egress" };
static const char *const actions[BH_LOGRX_ACTIONS] = {
	[BH_LOGRX_DENIED] = "denied",
	[BH_LOGRX_WOULD_DENY] = "would-deny",
	[BH_LOGRX_ALLOWED] = "allowed",
};

static void workloads(struct mbuf *b, struct bh_agent *a)
{
	const struct bh_gen *g = bh_state_current(&a->st);
	uint64_t n[BH_WL_STATES] = { 0 };

	for (size_t i = 0; g && i < g->inv->n_wl; i++)
		n[bh_agent_workload_state(a, &g->inv->wl[i])]++;
	family(b, "bulkhead_workloads", "gauge",
	       "Workloads by state, as status reports them (the states sum to the workload count).");
	for (size_t s = 0; s < BH_WL_STATES; s++)
		put(b, "bulkhead_workloads{state=\"%s\"} %llu\n", bh_wl_state_names[s],
		    (unsigned long long)n[s]);
	family(b, "bulkhead_policies", "gauge", "Policies in force by kind.");
	put(b, "bulkhead_policies{kind=\"NetworkPolicy\"} %zu\n", g ? bh_gen_policies(g)->n : 0);
	one(b, "bulkhead_generation", "gauge", "The policy generation compiled last.",
	    (double)(g ? g->id : 0));
}

static void log_counters(struct mbuf *b, struct bh_agent *a)
{
	struct bh_logrx_stats ls = { 0 };

	if (a->logrx)
		bh_logrx_stats_get(a->logrx, &ls);
	family(b, "bulkhead_denied_total", "counter", "Denied-connection lines written.");
	for (int d = 0; d < 2; d++)
		put(b, "bulkhead_denied_total{direction=\"%s\"} %llu\n", dirs[d],
		    (unsigned long long)ls.lines_by[BH_LOGRX_DENIED][d]);
	family(b, "bulkhead_log_lines_total", "counter",
	       "Connection lines written by action (denied, would-deny in audit mode, allowed).");
	for (int k = 0; k < BH_LOGRX_ACTIONS; k++)
		for (int d = 0; d < 2; d++)
			put(b, "bulkhead_log_lines_total{action=\"%s\",direction=\"%s\"} %llu\n",
			    actions[k], dirs[d], (unsigned long long)ls.lines_by[k][d]);
	family(b, "bulkhead_log_suppressed_total", "counter",
	       "Attempts not written on purpose: over the kernel-side log limit, or a duplicate of a logged flow.");
	put(b, "bulkhead_log_suppressed_total{cause=\"log-limit\"} %llu\n",
	    (unsigned long long)ls.unlogged);
	put(b, "bulkhead_log_suppressed_total{cause=\"duplicate\"} %llu\n",
	    (unsigned long long)ls.suppressed);
	family(b, "bulkhead_log_lost_total", "counter",
	       "Log loss: socket overruns (ENOBUFS), events missing from NFLOG sequence numbers, lines no sink took.");
	put(b, "bulkhead_log_lost_total{cause=\"overrun\"} %llu\n", (unsigned long long)ls.overruns);
	put(b, "bulkhead_log_lost_total{cause=\"seq-gap\"} %llu\n", (unsigned long long)ls.gaps);
	put(b, "bulkhead_log_lost_total{cause=\"sink\"} %llu\n",
	    (unsigned long long)(ls.write_errors + bh_out_dropped(&a->out)));
	one(b, "bulkhead_nflog_events_total", "counter", "NFLOG events received.", (double)ls.events);
	one(b, "bulkhead_log_malformed_total", "counter", "NFLOG events that did not decode.",
	    (double)ls.malformed);
	one(b, "bulkhead_log_readers", "gauge", "NFLOG readers open (one per enforced namespace).",
	    (double)ls.readers);
}

static void sources(struct mbuf *b, struct bh_agent *a)
{
	family(b, "bulkhead_source_up", "gauge",
	       "1 when a workload source is in sync (docker: listed and following events; inventory: its last read was valid).");
	if (a->cfg->inventory)
		put(b, "bulkhead_source_up{source=\"inventory\"} %d\n", !a->inventory_invalid);
	if (a->cfg->docker)
		put(b, "bulkhead_source_up{source=\"docker\"} %d\n",
		    a->docker && a->docker_synced && !a->docker_lost);
}

/* process_* as the Prometheus client libraries name them. */
static void process(struct mbuf *b, struct bh_agent *a)
{
	struct rusage ru;
	struct rlimit rl;
	struct timespec now;
	unsigned long size = 0, rss = 0;
	long page = sysconf(_SC_PAGESIZE);
	size_t fds = 0;
	FILE *f;
	DIR *d;

	getrusage(RUSAGE_SELF, &ru);
	one(b, "process_cpu_seconds_total", "counter", "User and system CPU time spent in seconds.",
	    ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	f = fopen("/proc/self/statm", "re");
	if (f) {
		if (fscanf(f, "%lu %lu", &size, &rss) != 2)
			rss = 0;
		fclose(f);
	}
	one(b, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
	    (double)rss * (double)page);
	d = opendir("/proc/self/fd");
	if (d) {
		while (readdir(d))
			fds++;
		closedir(d);
		fds = fds > 3 ? fds - 3 : 0;	/* ".", ".." and the directory's own fd */
	}
	one(b, "process_open_fds", "gauge", "Number of open file descriptors.", (double)fds);
	if (!getrlimit(RLIMIT_NOFILE, &rl))
		one(b, "process_max_fds", "gauge", "Maximum number of open file descriptors.",
		    (double)rl.rlim_cur);
	clock_gettime(CLOCK_REALTIME, &now);
	one(b, "process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.",
	    (double)now.tv_sec - (double)(uv_hrtime() - a->start_ns) / 1e9);
}

int bh_metrics_render(struct bh_agent *a, char **body, size_t *len)
{
	struct mbuf b = { .cap = 8192 };

	b.p = malloc(b.cap);
	if (!b.p)
		return -ENOMEM;
	b.p[0] = 0;
	family(&b, "bulkhead_build_info", "gauge", "The running version (always 1).");
	put(&b, "bulkhead_build_info{version=\"%s\"} 1\n", BH_VERSION);
	one(&b, "bulkhead_ready", "gauge", "1 once every namespace was enforced at start.", a->ready);
	workloads(&b, a);
	one(&b, "bulkhead_reconcile_total", "counter", "Reconcile runs.", (double)a->cnt.reconciles);
	one(&b, "bulkhead_reconcile_errors_total", "counter",
	    "Reconcile runs that left a namespace unprogrammed or could not compile.",
	    (double)a->cnt.reconcile_errors);
	one(&b, "bulkhead_invalid_inputs_total", "counter",
	    "Policy or inventory reads refused as invalid (the last valid set stays in force).",
	    (double)a->cnt.invalid_edits);
	one(&b, "bulkhead_tamper_events_total", "counter",
	    "Changes by other processes seen in enforced namespaces (tamper lines).",
	    (double)a->cnt.tamper);
	one(&b, "bulkhead_tamper_repairs_total", "counter",
	    "Tables found changed by another process and replaced at once.", (double)a->cnt.repairs);
	one(&b, "bulkhead_tables_owned", "gauge",
	    "1 when the tables are owned and persistent (--table-mode), 0 when unowned.",
	    a->table_flags ? 1 : 0);
	histogram(&b, "bulkhead_enforce_latency_seconds",
		  "From a change (file, container event, reload) to its namespaces enforced.", &a->lat);
	histogram(&b, "bulkhead_container_start_to_enforced_seconds",
		  "From a container's Docker event time to its namespace enforced.", &a->docker_lat);
	log_counters(&b, a);
	sources(&b, a);
	process(&b, a);
	if (b.oom) {
		free(b.p);
		return -ENOMEM;
	}
	*body = b.p;
	*len = b.len;
	return 0;
}

static int render_cb(void *arg, char **body, size_t *len)
{
	return bh_metrics_render(arg, body, len);
}

int bh_metrics_start(struct bh_agent *a, FILE *err)
{
	struct sockaddr_storage ss;
	unsigned int sl;
	struct bh_http_cfg c = {
		.path = BH_METRICS_PATH,
		.content_type = BH_METRICS_CONTENT_TYPE,
		.render = render_cb,
		.arg = a,
	};
	int r;

	if (!a->cfg->metrics)
		return 0;
	r = bh_agent_config_addr(a->cfg->metrics, &ss, &sl);
	if (!r) {
		c.addr = (const struct sockaddr *)&ss;
		c.addrlen = sl;
		r = bh_http_start(a->loop, &c, &a->metrics);
	}
	if (r < 0)
		fprintf(err, "bulkhead agent: --metrics %s: %s\n", a->cfg->metrics, strerror(-r));
	return r;
}
