/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BH_POLICY_INT_H
#define BH_POLICY_INT_H

/* Internals shared by the policy loader's files. */

#include "policy/decode.h"

/*
 * Decodes one NetworkPolicy object (apiVersion and kind already checked by
 * the caller) into *p, which must be zeroed. Problems go to c. *name_at
 * receives the location of metadata.name (the object's when absent).
 * 0 or -ENOMEM; *p must be released with bh__policy_deinit() either way.
 */
int bh__policy_decode(struct bh_dctx *c, const struct bh_ynode *obj, struct bh_policy *p,
		      struct bh_loc *name_at);
void bh__policy_deinit(struct bh_policy *p);

/* Decodes a LabelSelector into *s (zeroed). 0 or -ENOMEM. */
int bh__selector_decode(struct bh_dctx *c, const struct bh_ynode *v, struct bh_selector *s);
/* Decodes a NetworkPolicyPeer. 0 or -ENOMEM. */
int bh__peer_decode(struct bh_dctx *c, const struct bh_ynode *v, struct bh_peer *peer);
/* A CIDR without host bits into *out; false after a recorded error. */
bool bh__cidr_decode(struct bh_dctx *c, const struct bh_ynode *v, struct bh_prefix *out);
/*
 * Decodes ObjectMeta v as a NetworkPolicy's (name, namespace, labels, the
 * bulkhead.io/ annotations, server-populated fields) into p's name,
 * namespace, log and mode; *name_at gets metadata.name's location. For
 * cluster-wide objects, which share it. 0 or -ENOMEM.
 */
int bh__meta_decode(struct bh_dctx *c, const struct bh_ynode *v, struct bh_policy *p,
		    struct bh_loc *name_at);
/* Decodes a NetworkPolicyPort. 0 or -ENOMEM. */
int bh__port_decode(struct bh_dctx *c, const struct bh_ynode *v, struct bh_port *port);

#endif
