/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BH_LINT_H
#define BH_LINT_H

/*
 * Warnings about a valid policy set: rules that can never apply. They are
 * recorded in the diagnostics collector as warnings (never errors), with
 * the location and YAML path of the rule or peer, ordered by file and line:
 *   - the rules of a direction that the policy's explicit policyTypes
 *     leaves out ("egress" without Egress, "ingress" without Ingress);
 *   - a rule identical to an earlier rule of the same policy and direction;
 *   - with an inventory: a peer whose namespaceSelector selects no
 *     namespace of it, or that selects no workload of it.
 */

struct bh_diag;
struct bh_inventory;
struct bh_policy_set;

/* inv may be NULL (no inventory checks). 0 or -ENOMEM (what was found is recorded). */
int bh_policy_set_lint(const struct bh_policy_set *s, const struct bh_inventory *inv,
		       struct bh_diag *diag);

#endif
