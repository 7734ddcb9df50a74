// SPDX-License-Identifier: GPL-2.0-or-later
/* diff --flows: recorded connections replayed against the new side. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/diff_flows.h"
#include "lib/array.h"
#include "policy/explain.h"
#include "source/jscan.h"

enum {
	P_TS, P_ACTION, P_SRC, P_DST, P_PORT, P_PROTO, P_SNS, P_SNAME, P_DNS, P_DNAME, P_MAX
};

static const struct bh_jscan_path paths[P_MAX] = {
	[P_TS] = { { "@timestamp" } },
	[P_ACTION] = { { "event", "action" } },
	[P_SRC] = { { "source", "ip" } },
	[P_DST] = { { "destination", "ip" } },
	[P_PORT] = { { "destination", "port" } },
	[P_PROTO] = { { "network", "iana_number" } },
	[P_SNS] = { { "bulkhead", "source_workload", "namespace" } },
	[P_SNAME] = { { "bulkhead", "source_workload", "name" } },
	[P_DNS] = { { "bulkhead", "destination_workload", "namespace" } },
	[P_DNAME] = { { "bulkhead", "destination_workload", "name" } },
};

struct line {
	char v[P_MAX][256];
	bool have[P_MAX];
};

static void on_value(void *arg, size_t slot, const char *val, size_t len, bool is_string,
		     bool truncated)
{
	struct line *l = arg;

	(void)is_string;
	if (slot >= P_MAX || truncated || len >= sizeof(l->v[slot]))
		return;
	memcpy(l->v[slot], val, len);
	l->v[slot][len] = '\0';
	l->have[slot] = true;
}

/* The workload the line names (when the inventory has it), else the address's owner. */
static void resolve(const struct bh_inventory *inv, const struct line *l, int ns, int name,
		    struct bh_endpoint *ep)
{
	ep->wl = NULL;
	if (l->have[ns] && l->have[name])
		ep->wl = bh_inventory_find(inv, l->v[ns], l->v[name]);
	if (!ep->wl)
		ep->wl = bh_inventory_find_ip(inv, &ep->addr);
}

static int flow_cmp(const struct bh_flow *a, const struct bh_flow *b)
{
	int r;

	if ((r = bh_addr_cmp(&a->from.addr, &b->from.addr)) || (r = bh_addr_cmp(&a->to.addr, &b->to.addr)))
		return r;
	if (a->from.wl != b->from.wl)
		return a->from.wl < b->from.wl ? -1 : 1;
	if (a->to.wl != b->to.wl)
		return a->to.wl < b->to.wl ? -1 : 1;
	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	return (int)a->recorded_allowed - (int)b->recorded_allowed;
}

static int flow_key_cmp(const void *key, const void *elem)
{
	return flow_cmp(key, elem);
}

static int add_flow(struct bh_flows *fl, const struct bh_flow *f)
{
	size_t i = bh_sorted_lower(f, fl->v, fl->n, sizeof(*fl->v), flow_key_cmp);

	if (i < fl->n && !flow_cmp(f, &fl->v[i])) {
		fl->v[i].count++;
		/* RFC 3339 UTC timestamps order as text */
		if (strcmp(f->last, fl->v[i].last) > 0)
			memcpy(fl->v[i].last, f->last, sizeof(f->last));
		return 0;
	}
	if (bh_array_reserve(fl->v, fl->cap, fl->n + 1, 64))
		return -ENOMEM;
	memmove(&fl->v[i + 1], &fl->v[i], (fl->n - i) * sizeof(*fl->v));
	fl->v[i] = *f;
	fl->n++;
	return 0;
}

/* One line: 1 a connection (in *f), 0 another kind of line, -1 not usable. */
static int parse_line(const char *buf, size_t len, const struct bh_inventory *inv, struct bh_flow *f)
{
	struct line l;
	struct bh_jscan s;
	unsigned long v;
	char *end;

	memset(&l, 0, sizeof(l));
	bh_jscan_init(&s, paths, P_MAX, on_value, &l);
	if (bh_jscan_feed(&s, buf, len) || bh_jscan_end(&s))
		return -1;
	if (!l.have[P_ACTION] || (strcmp(l.v[P_ACTION], "denied") && strcmp(l.v[P_ACTION], "allowed") &&
				  strcmp(l.v[P_ACTION], "would-deny")))
		return 0;
	memset(f, 0, sizeof(*f));
	if (!l.have[P_SRC] || !l.have[P_DST] || !l.have[P_PROTO] ||
	    bh_addr_parse(l.v[P_SRC], &f->from.addr) || bh_addr_parse(l.v[P_DST], &f->to.addr))
		return -1;
	errno = 0;
	v = strtoul(l.v[P_PROTO], &end, 10);
	if (errno || *end || v > 255)
		return -1;
	f->proto = (uint8_t)v;
	if (l.have[P_PORT]) {
		v = strtoul(l.v[P_PORT], &end, 10);
		if (*end || v > 65535)
			return -1;
		f->port = (uint16_t)v;
	}
	f->recorded_allowed = strcmp(l.v[P_ACTION], "denied") != 0;
	f->count = 1;
	if (l.have[P_TS] && strlen(l.v[P_TS]) < sizeof(f->last))
		memcpy(f->last, l.v[P_TS], strlen(l.v[P_TS]) + 1);
	resolve(inv, &l, P_SNS, P_SNAME, &f->from);
	resolve(inv, &l, P_DNS, P_DNAME, &f->to);
	return 1;
}

int bh_flows_read(const char *path, const struct bh_compiled *c, struct bh_flows *fl)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	char *buf = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t len;
	int ret = -1;

	if (!f) {
		fprintf(stderr, "bulkhead diff: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((len = getline(&buf, &cap, f)) >= 0) {
		struct bh_flow fw;
		int r;

		lineno++;
		if (len <= 1)
			continue;
		r = parse_line(buf, (size_t)len, c->inv, &fw);
		if (r < 0) {
			fprintf(stderr, "bulkhead diff: %s:%zu: not a connection line of the agent's log\n",
				path, lineno);
			goto out;
		}
		if (r && add_flow(fl, &fw)) {
			fprintf(stderr, "bulkhead diff: out of memory\n");
			goto out;
		}
	}
	if (ferror(f)) {
		fprintf(stderr, "bulkhead diff: %s: %s\n", path, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	free(buf);
	if (f != stdin)
		fclose(f);
	return ret;
}

static int rank_cmp(const void *x, const void *y)
{
	const struct bh_flow *a = x, *b = y;

	/* allowed before and denied now first: what the change breaks */
	if (a->recorded_allowed != b->recorded_allowed)
		return a->recorded_allowed ? -1 : 1;
	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	return flow_cmp(a, b);
}

void bh_flows_replay(const struct bh_compiled *c, struct bh_flows *fl)
{
	size_t n = 0;

	for (size_t i = 0; i < fl->n; i++) {
		struct bh_flow *f = &fl->v[i];
		struct bh_explain e;

		bh_explain_conn(c, &f->from, &f->to, f->proto, f->port, &e);
		f->now_allowed = e.allowed;
		if (f->now_allowed != f->recorded_allowed)
			fl->v[n++] = *f;
	}
	fl->n = n;
	if (n)
		qsort(fl->v, n, sizeof(*fl->v), rank_cmp);
}

void bh_flows_free(struct bh_flows *fl)
{
	free(fl->v);
	memset(fl, 0, sizeof(*fl));
}

/* The strings of one flow. */
struct frow {
	char from[600], to[600], port[16];
	const char *proto, *was, *now;
};

static void end_str(const struct bh_endpoint *ep, char *buf, size_t len)
{
	char a[64];

	if (ep->wl)
		snprintf(buf, len, "%s/%s", ep->wl->namespace, ep->wl->name);
	else
		snprintf(buf, len, "%s", bh_addr_format(&ep->addr, a, sizeof(a)));
}

static void frow_of(const struct bh_flow *f, struct frow *r)
{
	end_str(&f->from, r->from, sizeof(r->from));
	end_str(&f->to, r->to, sizeof(r->to));
	snprintf(r->port, sizeof(r->port), "%u", f->port);
	if (!f->port)
		r->port[0] = '\0';
	r->proto = bh_proto_name(f->proto);
	r->was = f->recorded_allowed ? "allowed" : "denied";
	r->now = f->now_allowed ? "allowed" : "denied";
}

void bh_flows_print_text(const struct bh_flows *fl, bool first_section)
{
	if (!fl->n)
		return;
	printf("%sflows (recorded verdict -> new verdict):\n", first_section ? "" : "\n");
	for (size_t i = 0; i < fl->n; i++) {
		struct frow r;

		frow_of(&fl->v[i], &r);
		printf("  %s -> %s: %s -> %s %s%s%s (%llu time%s, last %s)\n", r.was, r.now, r.from, r.to,
		       r.proto, r.port[0] ? " " : "", r.port, (unsigned long long)fl->v[i].count,
		       fl->v[i].count == 1 ? "" : "s", fl->v[i].last);
	}
}

void bh_flows_print_md(const struct bh_flows *fl)
{
	if (!fl->n)
		return;
	puts("#### recorded flows whose verdict changes\n\n"
	     "| recorded | new | from | to | protocol | port | count | last seen |\n"
	     "|---|---|---|---|---|---|---|---|");
	for (size_t i = 0; i < fl->n; i++) {
		struct frow r;

		frow_of(&fl->v[i], &r);
		printf("| %s | **%s** | `%s` | `%s` | %s | %s | %llu | %s |\n", r.was, r.now, r.from, r.to,
		       r.proto, r.port, (unsigned long long)fl->v[i].count, fl->v[i].last);
	}
	putchar('\n');
}

void bh_flows_json(struct bh_jsonw *w, const struct bh_flows *fl)
{
	bh_jsonw_key(w, "flows");
	bh_jsonw_arr_begin(w);
	for (size_t i = 0; i < fl->n; i++) {
		struct frow r;

		frow_of(&fl->v[i], &r);
		bh_jsonw_obj_begin(w);
		bh_jsonw_key(w, "from");
		bh_jsonw_str(w, r.from);
		bh_jsonw_key(w, "to");
		bh_jsonw_str(w, r.to);
		bh_jsonw_key(w, "protocol");
		bh_jsonw_str(w, r.proto);
		bh_jsonw_key(w, "port");
		bh_jsonw_str(w, r.port);
		bh_jsonw_key(w, "recorded");
		bh_jsonw_str(w, r.was);
		bh_jsonw_key(w, "new");
		bh_jsonw_str(w, r.now);
		bh_jsonw_key(w, "count");
		bh_jsonw_uint(w, fl->v[i].count);
		bh_jsonw_key(w, "last_seen");
		bh_jsonw_str(w, fl->v[i].last);
		bh_jsonw_obj_end(w);
	}
	bh_jsonw_arr_end(w);
}
