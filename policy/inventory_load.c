// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Loading the inventory file (format: README.md, "The inventory"): namespaces
 * with labels and workloads with labels, network namespace, addresses and
 * named ports, decoded as strictly as policies, then cross-checked:
 * namespace/name unique, an address belongs to one workload, a network
 * namespace path to one workload, port names unique per workload.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/array.h"
#include "policy/decode.h"

/* Where things were written, for the cross-checks after decoding. */
struct inv_ip {
	struct bh_addr addr;
	size_t wl, order;
	size_t item;		/* position in the workload's `ips` list */
	struct bh_loc loc;
};

struct inv_state {
	struct bh_inventory *inv;
	size_t ns_cap, wl_cap;
	struct bh_loc *ns_at;		/* per namespace: its name */
	struct bh_loc *wl_at;		/* per workload: its name */
	struct bh_loc *netns_at;	/* per workload: its netns */
	struct inv_ip *ips;
	size_t n_ips, ips_cap;
	struct bh_workload *cur;	/* workload being decoded */
	size_t cur_idx;
};

/* ---- namespaces --------------------------------------------------------------- */

static int ns_name(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	struct inv_state *st = obj;

	st->ns_at[st->inv->n_ns] = (struct bh_loc){ c->file, v->line, v->col };
	return bh__dname(c, v, bh__dns_label_err, "namespace name", &st->inv->ns[st->inv->n_ns].name);
}

static int ns_labels(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	struct inv_state *st = obj;

	return bh__decode_labels(c, v, &st->inv->ns[st->inv->n_ns].labels);
}

static const struct bh_field ns_fields[] = {
	{ "name", ns_name, BH_F_REQUIRED },
	{ "labels", ns_labels, 0 },
};

static int ns_item(struct bh_dctx *c, const struct bh_ynode *item, size_t idx, void *obj)
{
	struct inv_state *st = obj;
	struct bh_inventory *inv = st->inv;
	int err;

	memset(&inv->ns[inv->n_ns], 0, sizeof(inv->ns[0]));
	st->ns_at[inv->n_ns] = (struct bh_loc){ c->file, item->line, item->col };
	err = bh__decode_map(c, item, ns_fields, 2, st, NULL);
	if (!inv->ns[inv->n_ns].name) {
		bh_labels_deinit(&inv->ns[inv->n_ns].labels);
		return err;
	}
	for (size_t i = 0; i < inv->n_ns; i++) {
		if (strcmp(inv->ns[i].name, inv->ns[inv->n_ns].name))
			continue;
		bh_diag_add(c->diag, &st->ns_at[inv->n_ns], "%s.name: namespace \"%s\" is already listed at %s:%u:%u",
			    c->path, inv->ns[i].name, st->ns_at[i].file, st->ns_at[i].line, st->ns_at[i].col);
		c->errors++;
		break;
	}
	inv->n_ns++;
	return err;
}

static int root_namespaces(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	struct inv_state *st = obj;

	if (v->kind == BH_Y_SEQ && v->n) {
		st->inv->ns = calloc(v->n, sizeof(*st->inv->ns));
		st->ns_at = calloc(v->n, sizeof(*st->ns_at));
		if (!st->inv->ns || !st->ns_at)
			return -ENOMEM;
	}
	return bh__decode_seq(c, v, ns_item, st);
}

/* ---- workloads ---------------------------------------------------------------- */

static int wl_name(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	struct inv_state *st = obj;

	st->wl_at[st->cur_idx] = (struct bh_loc){ c->file, v->line, v->col };
	return bh__dname(c, v, bh__dns_subdomain_err, "workload name", &st->cur->name);
}

static int wl_namespace(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	return bh__dname(c, v, bh__dns_label_err, "namespace", &((struct inv_state *)obj)->cur->namespace);
}

static int wl_labels(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	return bh__decode_labels(c, v, &((struct inv_state *)obj)->cur->labels);
}

static int wl_string(struct bh_dctx *c, const struct bh_ynode *v, char **dst)
{
	free(*dst);
	return bh__dstrdup(c, v, dst);
}

/*
 * An absolute path only: "" (or a relative path, resolved against whatever
 * directory the agent runs in) would name the agent's own namespace, and a
 * default-deny policy would then firewall the host itself.
 */
static int wl_netns(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	struct inv_state *st = obj;
	char **dst = &st->cur->netns;
	int err;

	st->netns_at[st->cur_idx] = (struct bh_loc){ c->file, v->line, v->col };
	err = wl_string(c, v, dst);
	if (err || !*dst || (*dst)[0] == '/')
		return err;
	if (!(*dst)[0])
		bh__derr(c, v, "empty path: give the absolute path of the workload's network "
			 "namespace, or leave netns out");
	else
		bh__derr(c, v, "\"%s\" is not an absolute path (e.g. /run/netns/NAME)", *dst);
	free(*dst);
	*dst = NULL;
	return 0;
}

static int wl_container_id(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	return wl_string(c, v, &((struct inv_state *)obj)->cur->container_id);
}

static int wl_container_name(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	return wl_string(c, v, &((struct inv_state *)obj)->cur->container_name);
}

static int wl_image(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	return wl_string(c, v, &((struct inv_state *)obj)->cur->image);
}

static int wl_ip(struct bh_dctx *c, const struct bh_ynode *item, size_t idx, void *obj)
{
	struct inv_state *st = obj;
	struct bh_workload *w = st->cur;
	const char *s = bh__dstr(c, item);
	struct bh_addr a;

	if (!s)
		return 0;
	if (bh_addr_parse(s, &a) < 0) {
		bh__derr(c, item, "invalid IP address \"%s\"", s);
		return 0;
	}
	if (bh_array_reserve(st->ips, st->ips_cap, st->n_ips + 1, 64))
		return -ENOMEM;
	st->ips[st->n_ips] = (struct inv_ip){ a, st->cur_idx, st->n_ips, idx,
					      { c->file, item->line, item->col } };
	st->n_ips++;
	w->ips[w->n_ips++] = a;
	return 0;
}

static int wl_ips(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	struct inv_state *st = obj;

	st->cur->ips_from_netns = false;
	if (v->kind == BH_Y_SEQ && v->n) {
		st->cur->ips = calloc(v->n, sizeof(*st->cur->ips));
		if (!st->cur->ips)
			return -ENOMEM;
	}
	return bh__decode_seq(c, v, wl_ip, st);
}

static int port_name(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	return bh__dname(c, v, bh__svc_name_err, "port name", &((struct bh_named_port *)obj)->name);
}

static int port_port(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	long long n;

	if (bh__dint(c, v, 1, 65535, &n))
		((struct bh_named_port *)obj)->port = (uint16_t)n;
	return 0;
}

static int port_protocol(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	return bh__dproto(c, v, &((struct bh_named_port *)obj)->proto);
}

static const struct bh_field port_fields[] = {
	{ "name", port_name, BH_F_REQUIRED },
	{ "port", port_port, BH_F_REQUIRED },
	{ "protocol", port_protocol, 0 },
};

static int wl_port(struct bh_dctx *c, const struct bh_ynode *item, size_t idx, void *obj)
{
	struct bh_workload *w = ((struct inv_state *)obj)->cur;
	struct bh_named_port *p = &w->ports[w->n_ports++];
	int err;

	p->proto = IPPROTO_TCP;
	err = bh__decode_map(c, item, port_fields, 3, p, NULL);
	if (err || !p->name)
		return err;
	for (size_t i = 0; i + 1 < w->n_ports; i++) {
		if (w->ports[i].name && !strcmp(w->ports[i].name, p->name)) {
			size_t old = bh__path_key(c, "name");

			bh__derr(c, bh_ynode_get(item, "name"), "duplicate port name \"%s\"", p->name);
			bh__path_pop(c, old);
			break;
		}
	}
	return 0;
}

static int wl_ports(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	struct inv_state *st = obj;

	if (v->kind == BH_Y_SEQ && v->n) {
		st->cur->ports = calloc(v->n, sizeof(*st->cur->ports));
		if (!st->cur->ports)
			return -ENOMEM;
	}
	return bh__decode_seq(c, v, wl_port, st);
}

static const struct bh_field wl_fields[] = {
	{ "name", wl_name, BH_F_REQUIRED },
	{ "namespace", wl_namespace, 0 },
	{ "labels", wl_labels, 0 },
	{ "netns", wl_netns, 0 },
	{ "ips", wl_ips, 0 },
	{ "ports", wl_ports, 0 },
	{ "containerId", wl_container_id, 0 },
	{ "containerName", wl_container_name, 0 },
	{ "image", wl_image, 0 },
};

static int wl_item(struct bh_dctx *c, const struct bh_ynode *item, size_t idx, void *obj)
{
	struct inv_state *st = obj;
	struct bh_workload *w;

	/* counted at once so that bh_inventory_free releases whatever is decoded */
	st->cur_idx = st->inv->n_wl++;
	w = st->cur = &st->inv->wl[st->cur_idx];
	memset(w, 0, sizeof(*w));
	w->loc = (struct bh_loc){ c->file, item->line, item->col };
	st->wl_at[st->cur_idx] = w->loc;
	w->ips_from_netns = true;
	w->namespace = strdup("default");
	if (!w->namespace)
		return -ENOMEM;
	return bh__decode_map(c, item, wl_fields, sizeof(wl_fields) / sizeof(wl_fields[0]), st, NULL);
}

static int root_workloads(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	struct inv_state *st = obj;

	if (v->kind == BH_Y_SEQ && v->n) {
		st->inv->wl = calloc(v->n, sizeof(*st->inv->wl));
		st->wl_at = calloc(v->n, sizeof(*st->wl_at));
		st->netns_at = calloc(v->n, sizeof(*st->netns_at));
		if (!st->inv->wl || !st->wl_at || !st->netns_at)
			return -ENOMEM;
	}
	return bh__decode_seq(c, v, wl_item, st);
}

static const struct bh_field root_fields[] = {
	{ "namespaces", root_namespaces, 0 },
	{ "workloads", root_workloads, 0 },
};

/* ---- cross-checks ----------------------------------------------------------------- */

static int ip_cmp(const void *a, const void *b)
{
	const struct inv_ip *x = a, *y = b;
	int c = bh_addr_cmp(&x->addr, &y->addr);

	return c ? c : (x->order < y->order ? -1 : x->order > y->order);
}

static void check_ips(struct bh_dctx *c, struct inv_state *st)
{
	size_t first = 0;

	if (st->n_ips > 1)
		qsort(st->ips, st->n_ips, sizeof(*st->ips), ip_cmp);
	for (size_t i = 1; i < st->n_ips; i++) {
		const struct inv_ip *orig, *dup = &st->ips[i];
		const struct bh_workload *w;
		char buf[64];

		if (bh_addr_cmp(&st->ips[first].addr, &dup->addr)) {
			first = i;
			continue;
		}
		orig = &st->ips[first];
		w = &st->inv->wl[orig->wl];
		bh_diag_add(c->diag, &dup->loc,
			    "workloads[%zu].ips[%zu]: address %s already belongs to workload %s/%s (%s:%u:%u)",
			    dup->wl, dup->item, bh_addr_format(&dup->addr, buf, sizeof(buf)), w->namespace,
			    w->name ? w->name : "?",
			    orig->loc.file, orig->loc.line, orig->loc.col);
		c->errors++;
	}
}

static int wl_idx_cmp(const void *a, const void *b, void *arg)
{
	const struct bh_workload *wl = arg;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = strcmp(wl[x].namespace, wl[y].namespace);

	if (!c)
		c = strcmp(wl[x].name, wl[y].name);
	return c ? c : (x < y ? -1 : x > y);
}

static bool same_workload(const struct bh_workload *a, const struct bh_workload *b)
{
	return !strcmp(a->namespace, b->namespace) && !strcmp(a->name, b->name);
}

/* Sorted by (namespace, name, position): each run's first entry is the original. */
static int check_names(struct bh_dctx *c, struct inv_state *st)
{
	struct bh_inventory *inv = st->inv;
	size_t *idx = calloc(inv->n_wl ? inv->n_wl : 1, sizeof(*idx)), first = 0, n = 0;

	if (!idx)
		return -ENOMEM;
	for (size_t i = 0; i < inv->n_wl; i++)
		if (inv->wl[i].name)
			idx[n++] = i;
	qsort_r(idx, n, sizeof(*idx), wl_idx_cmp, inv->wl);
	for (size_t i = 1; i < n; i++) {
		size_t a, b = idx[i];

		if (!same_workload(&inv->wl[idx[first]], &inv->wl[b])) {
			first = i;
			continue;
		}
		a = idx[first];
		bh_diag_add(c->diag, &st->wl_at[b],
			    "workloads[%zu].name: workload \"%s/%s\" is already defined at %s:%u:%u",
			    b, inv->wl[b].namespace, inv->wl[b].name, st->wl_at[a].file, st->wl_at[a].line,
			    st->wl_at[a].col);
		c->errors++;
	}
	free(idx);
	return 0;
}

static int netns_idx_cmp(const void *a, const void *b, void *arg)
{
	const struct bh_workload *wl = arg;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = strcmp(wl[x].netns, wl[y].netns);

	return c ? c : (x < y ? -1 : x > y);
}

/*
 * Two workloads in one network namespace would replace each other's table:
 * the same path twice is an error at the later entry. (Two paths to one
 * namespace are found at run time: netlink/netns.h, bh_netns_check_distinct.)
 */
static int check_netns(struct bh_dctx *c, struct inv_state *st)
{
	struct bh_inventory *inv = st->inv;
	size_t *idx = calloc(inv->n_wl ? inv->n_wl : 1, sizeof(*idx)), first = 0, n = 0;

	if (!idx)
		return -ENOMEM;
	for (size_t i = 0; i < inv->n_wl; i++)
		if (inv->wl[i].netns && inv->wl[i].name)
			idx[n++] = i;
	qsort_r(idx, n, sizeof(*idx), netns_idx_cmp, inv->wl);
	for (size_t i = 1; i < n; i++) {
		const struct bh_workload *wa, *wb;
		const struct bh_loc *at;

		if (strcmp(inv->wl[idx[first]].netns, inv->wl[idx[i]].netns)) {
			first = i;
			continue;
		}
		wa = &inv->wl[idx[first]];
		wb = &inv->wl[idx[i]];
		at = &st->netns_at[idx[first]];
		bh_diag_add(c->diag, &st->netns_at[idx[i]],
			    "workloads[%zu].netns: workloads %s/%s and %s/%s share the network namespace %s "
			    "(the first is at %s:%u:%u)", idx[i], wa->namespace, wa->name, wb->namespace,
			    wb->name, wb->netns, at->file, at->line, at->col);
		c->errors++;
	}
	free(idx);
	return 0;
}

static int inventory_decode(struct bh_inventory *inv, const char *name, const char *buf, size_t len,
			    struct bh_diag *diag)
{
	struct inv_state st = { .inv = inv };
	const char *file = bh__intern_file(&inv->files, &inv->n_files, name);
	struct bh_ystream ys;
	struct bh_dctx c;
	int err;

	if (!file)
		return -ENOMEM;
	size_t from = diag->n;

	bh__dctx_init(&c, diag, file);
	err = bh_yaml_parse(file, buf, len, diag, &ys);
	if (err == -ENOMEM)
		goto out;
	err = 0;
	for (size_t i = 0, docs = 0; i < ys.n && !err; i++) {
		if (bh_ynode_is_null(ys.docs[i]))
			continue;
		if (docs++) {
			bh__derr(&c, ys.docs[i], "an inventory file holds a single YAML document");
			break;
		}
		err = bh__decode_map(&c, ys.docs[i], root_fields, 2, &st, NULL);
	}
	/* cross-checks run even after other problems, over what could be decoded */
	if (!err) {
		check_ips(&c, &st);
		err = check_names(&c, &st);
		if (!err)
			err = check_netns(&c, &st);
	}
	bh__diag_sort_from(diag, from);
out:
	bh_ystream_deinit(&ys);
	free(st.ns_at);
	free(st.wl_at);
	free(st.netns_at);
	free(st.ips);
	return err;
}

int bh_inventory_load_buf(const char *name, const char *buf, size_t len,
			  struct bh_diag *diag, struct bh_inventory **out)
{
	size_t before = bh_diag_count(diag);
	struct bh_inventory *inv;
	int err;

	*out = NULL;
	inv = calloc(1, sizeof(*inv));
	if (!inv)
		return -ENOMEM;
	err = inventory_decode(inv, name, buf, len, diag);
	if (!err && bh_diag_count(diag) != before)
		err = -EINVAL;
	if (!err)
		err = bh_inventory_finish(inv);
	if (err) {
		bh_inventory_free(inv);
		return err;
	}
	*out = inv;
	return 0;
}

int bh_inventory_load(const char *path, struct bh_diag *diag, struct bh_inventory **out)
{
	struct bh_loc loc = { path, 0, 0 };	/* copied by bh_diag_add */
	char *buf = NULL;
	size_t len = 0;
	int err;

	*out = NULL;
	err = bh__read_file(path, &buf, &len);
	if (err) {
		bh_diag_add(diag, &loc, "cannot read: %s", strerror(-err));
		return err;
	}
	err = bh_inventory_load_buf(path, buf, len, diag, out);
	free(buf);
	return err;
}
