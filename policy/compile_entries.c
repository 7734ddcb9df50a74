// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Stage 4 of the compiler: one NetworkPolicy rule, as seen from one
 * selected workload, becomes entries: peer address intervals (selector
 * peers' addresses, ipBlock cidr minus except) times protocol times port
 * interval, with named ports resolved against the destination (the
 * workload itself for ingress, each peer for egress).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "policy/compile_int.h"

static int push_range(struct bh__cctx *x, int fam, bh_u128 lo, bh_u128 hi, uint8_t proto,
		      uint16_t plo, uint16_t phi, uint32_t rule)
{
	struct bh__ent e = { .lo = lo, .hi = hi, .rule = rule, .plo = plo, .phi = phi,
			     .proto = proto, .fam = (uint8_t)fam };

	if (x->ents[fam].n >= x->max_ents)
		return -E2BIG;
	return bh__ents_push(&x->ents[fam], &e);
}

static int push_addr(struct bh__cctx *x, const struct bh_addr *a, uint8_t proto,
		     uint16_t plo, uint16_t phi, uint32_t rule)
{
	int fam = bh__fam_of(a);
	bh_u128 v = bh__addr_to_u128(a->a, fam);

	return push_range(x, fam, v, v, proto, plo, phi, rule);
}

static void prefix_range(const struct bh_prefix *p, bh_u128 *lo, bh_u128 *hi)
{
	int fam = bh__fam_of(&p->addr);
	int bits = fam == BH_FAM_V4 ? 32 : 128;
	bh_u128 host = p->len >= bits ? 0 : (bh_u128)(bh__fam_max(fam) >> p->len);

	*lo = bh__addr_to_u128(p->addr.a, fam) & ~host;
	*hi = *lo | host;
}

/* Calls fn for every interval of cidr minus except (excepts lie inside cidr). */
static int ipblock_ranges(struct bh__cctx *x, const struct bh_ipblock *b,
			  int (*fn)(struct bh__cctx *, int, bh_u128, bh_u128, void *), void *arg)
{
	int fam = bh__fam_of(&b->cidr.addr);
	bh_u128 lo, hi, cur;
	bh_u128 (*ex)[2];
	int ret = 0;

	prefix_range(&b->cidr, &lo, &hi);
	if (!b->n_except)
		return fn(x, fam, lo, hi, arg);
	ex = malloc(b->n_except * sizeof(*ex));
	if (!ex)
		return -ENOMEM;
	for (size_t i = 0; i < b->n_except; i++)
		prefix_range(&b->except[i], &ex[i][0], &ex[i][1]);
	/* insertion sort: except lists are short */
	for (size_t i = 1; i < b->n_except; i++)
		for (size_t j = i; j > 0 && ex[j][0] < ex[j - 1][0]; j--) {
			bh_u128 t0 = ex[j][0], t1 = ex[j][1];

			ex[j][0] = ex[j - 1][0];
			ex[j][1] = ex[j - 1][1];
			ex[j - 1][0] = t0;
			ex[j - 1][1] = t1;
		}
	cur = lo;
	for (size_t i = 0; i < b->n_except && !ret; i++) {
		if (ex[i][1] < cur)
			continue;
		if (ex[i][0] > cur)
			ret = fn(x, fam, cur, ex[i][0] - 1, arg);
		if (ex[i][1] == hi) {
			cur = hi;
			goto done;
		}
		cur = ex[i][1] + 1;
	}
	if (!ret)
		ret = fn(x, fam, cur, hi, arg);
done:
	free(ex);
	return ret;
}

struct port_val {		/* one resolved port spec */
	uint8_t proto;
	uint16_t lo, hi;
};

/* Resolves port spec p against workload w (its named ports). false: no match. */
static bool port_resolve(const struct bh_port *p, const struct bh_workload *w, struct port_val *out)
{
	out->proto = p->proto;
	if (!p->has_port) {
		out->lo = 0;
		out->hi = 65535;
		return true;
	}
	if (!p->name) {
		out->lo = p->port;
		out->hi = p->end_port ? p->end_port : p->port;
		return true;
	}
	if (!w)
		return false;
	for (size_t i = 0; i < w->n_ports; i++)
		if (w->ports[i].proto == p->proto && !strcmp(w->ports[i].name, p->name)) {
			out->lo = out->hi = w->ports[i].port;
			return true;
		}
	return false;
}

struct range_arg {
	uint8_t proto;
	uint16_t lo, hi;
	uint32_t rule;
};

static int range_cb(struct bh__cctx *x, int fam, bh_u128 lo, bh_u128 hi, void *arg)
{
	const struct range_arg *a = arg;

	return push_range(x, fam, lo, hi, a->proto, a->lo, a->hi, a->rule);
}

/*
 * Entries of one rule for the target workload `self` in direction d.
 * A named port resolves against the destination: `self` for ingress, each
 * peer workload for egress (so a peer that is not a known workload never
 * matches a named port, and one rule may mean different numbers per peer).
 */
int bh__rule_entries(struct bh__cctx *x, const struct bh_rule *rule, uint32_t id, int d,
			const struct bh_workload *self)
{
	const struct bh_inventory *inv = x->inv;
	static const struct bh_port any_port = { .proto = 0 };
	const struct bh_port *ports = rule->has_ports ? rule->ports : &any_port;
	size_t n_ports = rule->has_ports ? rule->n_ports : 1;
	int ret;

	for (size_t pi = 0; pi < n_ports; pi++) {
		const struct bh_port *p = &ports[pi];
		bool named_egress = d == BH_EGRESS && p->name;
		struct port_val pv = { 0, 0, 65535 };

		if (p->proto && !named_egress && !port_resolve(p, self, &pv))
			continue;	/* ingress named port self lacks */

		if (!rule->has_peers) {
			if (!named_egress) {
				for (int fam = 0; fam < BH_FAM_MAX; fam++)
					if ((ret = push_range(x, fam, 0, bh__fam_max(fam), pv.proto,
							      pv.lo, pv.hi, id)))
						return ret;
				continue;
			}
			for (size_t w = 0; w < inv->n_wl; w++) {
				if (inv->wl[w].isolated || !port_resolve(p, &inv->wl[w], &pv))
					continue;
				for (size_t a = 0; a < inv->wl[w].n_ips; a++)
					if ((ret = push_addr(x, &inv->wl[w].ips[a], pv.proto, pv.lo, pv.hi, id)))
						return ret;
			}
			continue;
		}
		for (size_t k = 0; k < rule->n_peers; k++) {
			const struct bh_peer *peer = &rule->peers[k];

			if (peer->has_ipblock && !named_egress) {
				struct range_arg ra = { pv.proto, pv.lo, pv.hi, id };

				if ((ret = ipblock_ranges(x, &peer->ipblock, range_cb, &ra)))
					return ret;
				continue;
			}
			if (peer->has_ipblock) {	/* named port: workloads inside the block */
				for (size_t w = 0; w < inv->n_wl; w++) {
					if (inv->wl[w].isolated || !port_resolve(p, &inv->wl[w], &pv))
						continue;
					for (size_t a = 0; a < inv->wl[w].n_ips; a++)
						if (bh_ipblock_contains(&peer->ipblock, &inv->wl[w].ips[a]) &&
						    (ret = push_addr(x, &inv->wl[w].ips[a], pv.proto,
								     pv.lo, pv.hi, id)))
							return ret;
				}
				continue;
			}
			const struct bh__peer_res *res = &x->peers[id][k];

			for (size_t i = 0; i < res->n; i++) {
				const struct bh_workload *q = &inv->wl[res->wl[i]];

				if (named_egress && !port_resolve(p, q, &pv))
					continue;
				for (size_t a = 0; a < q->n_ips; a++)
					if ((ret = push_addr(x, &q->ips[a], pv.proto, pv.lo, pv.hi, id)))
						return ret;
			}
		}
	}
	return 0;
}
