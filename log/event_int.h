/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BH_EVENT_INT_H
#define BH_EVENT_INT_H

/* Internals shared by the log line's files (event.c, event_tier.c). */

#include <stdbool.h>
#include <stddef.h>

#include "log/event.h"
#include "policy/compile.h"

/* The direction rules of w's group in c, or NULL when c does not know w. */
const struct bh_dir_rules *bh__event_dir_rules(const struct bh_compiled *c, const struct bh_workload *w,
					       unsigned int dir);

/* Who decided a logged attempt (all strings empty / NULL when unknown). */
struct bh__ev_decision {
	const char *tier;		/* "Admin", "NetworkPolicy", "Baseline" */
	char policy[320];		/* a cluster-wide policy, a NetworkPolicy "ns/name", or the isolators */
	char rule[400];			/* the rule reference, or "default-deny" for an isolation */
	const char *rule_name;		/* a cluster-wide rule's own name */
	int priority;
	bool cluster;			/* decided by a cluster-wide rule */
	char passed[2][400];		/* Pass rules on the way */
	size_t n_passed;
	bool peer_accepted;		/* the other end's direction was accepted by a cluster tier */
	const char *peer_dir, *peer_tier;
	char peer_rule[400];
	char peer_policy[320];
};

/*
 * Works out the decision for ev (dr: the logging workload's direction
 * rules, may be NULL; peer: the other end's workload, may be NULL).
 */
void bh__event_decide(const struct bh_event *ev, const struct bh_dir_rules *dr,
		      const struct bh_workload *peer, struct bh__ev_decision *out);

/* Writes the bulkhead.tier/policy/rule/rule_name/passed_by/accepted_by fields. */
struct bh_jsonw;
void bh__event_put_decision(struct bh_jsonw *w, const struct bh__ev_decision *d);

#endif
