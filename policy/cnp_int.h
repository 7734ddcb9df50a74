/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BH_CNP_INT_H
#define BH_CNP_INT_H

/* Internals shared by the cluster-wide policy loader's files (cnp_*.c). */

#include "policy/cnp.h"
#include "policy/policy_int.h"

/* The CRDs' list bounds. */
#define BH_CNP_MAX_NETWORKS 25	/* networks and domainNames of one peer */

/*
 * Decodes one ClusterNetworkPolicy (api BH_CNP_V1ALPHA2), AdminNetworkPolicy
 * or BaselineAdminNetworkPolicy object (apiVersion and kind checked by the
 * caller) into *p, which must be zeroed. *name_at gets metadata.name's
 * location. 0 or -ENOMEM; release *p with bh__cnp_deinit() either way.
 */
int bh__cnp_decode(struct bh_dctx *c, const struct bh_ynode *obj, unsigned int api,
		   struct bh_cnp *p, struct bh_loc *name_at);
void bh__cnp_deinit(struct bh_cnp *p);

/* cnp_peer.c: spec.subject, one peer of direction dir, one protocols/ports entry. 0 or -ENOMEM. */
int bh__cnp_subject_decode(struct bh_dctx *c, const struct bh_ynode *v, struct bh_cnp *p);
int bh__cnp_peer_decode(struct bh_dctx *c, const struct bh_ynode *v, unsigned int api,
			unsigned int dir, struct bh_cnp_peer *peer);
int bh__cnp_port_decode(struct bh_dctx *c, const struct bh_ynode *v, unsigned int api,
			struct bh_cnp_port *port);

/*
 * cnp_order.c: once every file is loaded: a name used twice is an error at
 * the later one (name_at[i] is where cnp[i]'s name is), the set is sorted
 * into precedence order (tier, priority, name), and two policies of one
 * tier and priority whose subjects may overlap get a warning. 0 or -ENOMEM.
 */
int bh__cnp_finish(struct bh_policy_set *s, const struct bh_loc *name_at, struct bh_diag *diag);

#endif
