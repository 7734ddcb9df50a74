// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What an inventory's namespaces say at run time: the addresses of
 * workloads listed without `ips`, and whether two workloads name one
 * namespace by two paths (the loader, which never touches the system,
 * only sees equal paths).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "policy/diag.h"
#include "policy/model.h"
#include "netlink/netns.h"

int bh_netns_resolve_ips(struct bh_inventory *inv, int *errs)
{
	int changed = 0;

	for (size_t i = 0; inv && i < inv->n_wl; i++) {
		struct bh_workload *w = &inv->wl[i];
		struct bh_addr *ips = NULL;
		size_t n = 0;
		int r;

		if (errs)
			errs[i] = 0;
		if (!w->ips_from_netns || !w->netns)
			continue;
		r = bh_netns_addrs(w->netns, &ips, &n);
		if (r < 0) {
			if (errs)
				errs[i] = r;
			continue;	/* not there (yet): keep what we had */
		}
		if (n == w->n_ips && (!n || !memcmp(ips, w->ips, n * sizeof(*ips)))) {
			free(ips);
			continue;
		}
		free(w->ips);
		w->ips = ips;
		w->n_ips = n;
		changed++;
	}
	/* the address index must follow the addresses */
	if (changed && bh_inventory_finish(inv) < 0)
		return -ENOMEM;
	return changed;
}

struct ns_id {
	dev_t dev;
	ino_t ino;
	const struct bh_workload *w;
};

/* by namespace, then by position in the file: each run's first entry is the original */
static int ns_id_cmp(const void *a, const void *b)
{
	const struct ns_id *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	if (x->w->loc.line != y->w->loc.line)
		return x->w->loc.line < y->w->loc.line ? -1 : 1;
	return (x->w->loc.col > y->w->loc.col) - (x->w->loc.col < y->w->loc.col);
}

int bh_netns_check_distinct(const struct bh_inventory *inv, struct bh_diag *d)
{
	struct ns_id *v;
	size_t n = 0, first = 0;
	int found = 0;

	if (!inv || inv->n_wl < 2)
		return 0;
	v = calloc(inv->n_wl, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < inv->n_wl; i++) {
		struct stat s;

		/* a namespace that does not exist (yet) shares nothing */
		if (!inv->wl[i].netns || stat(inv->wl[i].netns, &s) < 0)
			continue;
		v[n++] = (struct ns_id){ s.st_dev, s.st_ino, &inv->wl[i] };
	}
	qsort(v, n, sizeof(*v), ns_id_cmp);
	for (size_t i = 1; i < n; i++) {
		const struct bh_workload *a = v[first].w, *b = v[i].w;

		if (v[i].dev != v[first].dev || v[i].ino != v[first].ino) {
			first = i;
			continue;
		}
		bh_diag_add(d, &b->loc,
			    "workloads %s/%s and %s/%s share the network namespace %s (as %s; the first "
			    "is at %s:%u:%u): each would replace the other's table",
			    a->namespace, a->name, b->namespace, b->name, a->netns, b->netns,
			    a->loc.file ? a->loc.file : "?", a->loc.line, a->loc.col);
		found++;
	}
	free(v);
	return found;
}
