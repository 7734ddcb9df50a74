// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The inventory model: namespaces and workloads, with lookups by name and
 * by address. Workloads are kept sorted by (namespace, name) and an address
 * index sorted by address, so every lookup is a binary search (the agent
 * resolves an address per logged packet; thousands of workloads are normal).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/array.h"
#include "policy/model.h"

#define NS_NAME_LABEL "kubernetes.io/metadata.name"

void bh_workload_deinit(struct bh_workload *w)
{
	if (!w)
		return;
	free(w->name);
	free(w->namespace);
	bh_labels_deinit(&w->labels);
	free(w->netns);
	free(w->ips);
	for (size_t i = 0; i < w->n_ports; i++)
		free(w->ports[i].name);
	free(w->ports);
	free(w->container_id);
	free(w->container_name);
	free(w->image);
	memset(w, 0, sizeof(*w));
}

static int dup_opt(char **dst, const char *src)
{
	*dst = NULL;
	if (!src)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : -ENOMEM;
}

int bh_workload_copy(struct bh_workload *dst, const struct bh_workload *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->loc = src->loc;
	dst->ips_from_netns = src->ips_from_netns;
	dst->created_ns = src->created_ns;
	dst->isolated = src->isolated;
	if (dup_opt(&dst->name, src->name) || dup_opt(&dst->namespace, src->namespace) ||
	    dup_opt(&dst->netns, src->netns) || dup_opt(&dst->container_id, src->container_id) ||
	    dup_opt(&dst->container_name, src->container_name) ||
	    dup_opt(&dst->image, src->image))
		goto fail;
	if (src->labels.n && bh_labels_copy(&dst->labels, &src->labels))
		goto fail;
	if (src->n_ips) {
		dst->ips = malloc(src->n_ips * sizeof(*dst->ips));
		if (!dst->ips)
			goto fail;
		memcpy(dst->ips, src->ips, src->n_ips * sizeof(*dst->ips));
		dst->n_ips = src->n_ips;
	}
	if (src->n_ports) {
		dst->ports = calloc(src->n_ports, sizeof(*dst->ports));
		if (!dst->ports)
			goto fail;
		dst->n_ports = src->n_ports;
		for (size_t i = 0; i < src->n_ports; i++) {
			dst->ports[i] = src->ports[i];
			if (dup_opt(&dst->ports[i].name, src->ports[i].name))
				goto fail;
		}
	}
	return 0;

fail:
	bh_workload_deinit(dst);
	return -ENOMEM;
}

void bh_inventory_free(struct bh_inventory *inv)
{
	if (!inv)
		return;
	for (size_t i = 0; i < inv->n_ns; i++) {
		free(inv->ns[i].name);
		bh_labels_deinit(&inv->ns[i].labels);
	}
	free(inv->ns);
	for (size_t i = 0; i < inv->n_wl; i++)
		bh_workload_deinit(&inv->wl[i]);
	free(inv->wl);
	for (size_t i = 0; i < inv->n_files; i++)
		free(inv->files[i]);
	free(inv->files);
	free(inv->by_ip);
	free(inv);
}

static int wl_key_cmp(const char *ns1, const char *n1, const char *ns2, const char *n2)
{
	int c = strcmp(ns1 ? ns1 : "default", ns2 ? ns2 : "default");

	return c ? c : strcmp(n1, n2);
}

static int wl_cmp(const void *a, const void *b)
{
	const struct bh_workload *x = a, *y = b;

	return wl_key_cmp(x->namespace, x->name, y->namespace, y->name);
}

static int ns_cmp(const void *a, const void *b)
{
	return strcmp(((const struct bh_namespace *)a)->name, ((const struct bh_namespace *)b)->name);
}

static int ip_cmp(const void *a, const void *b)
{
	const struct bh_inv_ip *x = a, *y = b;
	int c = bh_addr_cmp(&x->addr, &y->addr);

	if (c)
		return c;
	return x->wl < y->wl ? -1 : x->wl > y->wl;
}

static int ip_key_cmp(const void *key, const void *elem)
{
	return bh_addr_cmp(key, &((const struct bh_inv_ip *)elem)->addr);
}

static int ns_key_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct bh_namespace *)elem)->name);
}

const struct bh_namespace *bh_inventory_ns(const struct bh_inventory *inv, const char *name)
{
	if (!inv)
		return NULL;
	return bh_sorted_find(name, inv->ns, inv->n_ns, sizeof(*inv->ns), ns_key_cmp);
}

const struct bh_workload *bh_inventory_find(const struct bh_inventory *inv,
					    const char *ns, const char *name)
{
	const struct bh_workload key = { .namespace = (char *)ns, .name = (char *)name };

	if (!inv)
		return NULL;
	return bh_sorted_find(&key, inv->wl, inv->n_wl, sizeof(*inv->wl), wl_cmp);
}

const struct bh_workload *bh_inventory_find_ip(const struct bh_inventory *inv,
					       const struct bh_addr *a)
{
	const struct bh_inv_ip *hit;

	if (!inv)
		return NULL;
	/* the first equal entry: with duplicate addresses the first workload wins */
	hit = bh_sorted_find(a, inv->by_ip, inv->n_by_ip, sizeof(*inv->by_ip), ip_key_cmp);
	return hit ? &inv->wl[hit->wl] : NULL;
}

/* Appends namespace `name` with no labels yet. */
static int ns_append(struct bh_inventory *inv, const char *name, size_t *cap)
{
	struct bh_namespace *ns;

	if (bh_array_reserve(inv->ns, *cap, inv->n_ns + 1, 8))
		return -ENOMEM;
	ns = &inv->ns[inv->n_ns];
	memset(ns, 0, sizeof(*ns));
	ns->name = strdup(name);
	if (!ns->name)
		return -ENOMEM;
	inv->n_ns++;
	return 0;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static const char *wl_ns(const struct bh_workload *w)
{
	return w->namespace ? w->namespace : "default";
}

/* Adds every namespace a workload is in but the inventory does not list. */
static int ns_imply(struct bh_inventory *inv)
{
	size_t listed = inv->n_ns, cap = inv->n_ns;
	const char **names;
	int err = 0;

	if (!inv->n_wl)
		return 0;
	names = malloc(inv->n_wl * sizeof(*names));
	if (!names)
		return -ENOMEM;
	for (size_t i = 0; i < inv->n_wl; i++)
		names[i] = wl_ns(&inv->wl[i]);
	qsort(names, inv->n_wl, sizeof(*names), str_cmp);
	for (size_t i = 0; i < inv->n_wl && !err; i++) {
		struct bh_namespace key = { .name = (char *)names[i] };

		if (i && !strcmp(names[i], names[i - 1]))
			continue;
		if (listed && bsearch(&key, inv->ns, listed, sizeof(*inv->ns), ns_cmp))
			continue;
		err = ns_append(inv, names[i], &cap);
	}
	free(names);
	return err;
}

int bh_inventory_finish(struct bh_inventory *inv)
{
	size_t n_ip = 0, k = 0;
	struct bh_inv_ip *idx;
	int err;

	if (inv->n_ns > 1)
		qsort(inv->ns, inv->n_ns, sizeof(*inv->ns), ns_cmp);
	err = ns_imply(inv);
	if (err)
		return err;
	if (inv->n_ns > 1)
		qsort(inv->ns, inv->n_ns, sizeof(*inv->ns), ns_cmp);
	for (size_t i = 0; i < inv->n_ns; i++) {
		err = bh_labels_set(&inv->ns[i].labels, NS_NAME_LABEL, inv->ns[i].name);
		if (err)
			return err;
	}

	if (inv->n_wl > 1)
		qsort(inv->wl, inv->n_wl, sizeof(*inv->wl), wl_cmp);

	for (size_t i = 0; i < inv->n_wl; i++)
		n_ip += inv->wl[i].n_ips;
	idx = calloc(n_ip ? n_ip : 1, sizeof(*idx));
	if (!idx)
		return -ENOMEM;
	for (size_t i = 0; i < inv->n_wl; i++)
		for (size_t j = 0; j < inv->wl[i].n_ips; j++)
			idx[k++] = (struct bh_inv_ip){ inv->wl[i].ips[j], i };
	if (n_ip > 1)
		qsort(idx, n_ip, sizeof(*idx), ip_cmp);
	free(inv->by_ip);
	inv->by_ip = idx;
	inv->n_by_ip = n_ip;
	return 0;
}
