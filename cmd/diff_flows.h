/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BH_CMD_DIFF_FLOWS_H
#define BH_CMD_DIFF_FLOWS_H

/*
 * `diff --flows`: the agent's own JSON lines replayed against a compiled
 * set. Connection lines (event.action denied, allowed or would-deny) are
 * folded into flows (source, destination, protocol, destination port and
 * the recorded verdict: allowed unless denied) with their count and the
 * last time seen; each flow's ends are the workloads the line names when
 * the inventory has them, else whatever owns the address.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "log/jsonw.h"
#include "policy/compile.h"
#include "policy/eval.h"

struct bh_flow {
	struct bh_endpoint from, to;	/* wl borrowed from the compiled set's inventory */
	uint8_t proto;
	uint16_t port;			/* 0: none recorded */
	bool recorded_allowed;
	bool now_allowed;		/* under the compiled set */
	uint64_t count;
	char last[40];			/* @timestamp of the last line */
};

struct bh_flows {
	struct bh_flow *v;
	size_t n, cap;
};

/*
 * Reads FILE ("-": stdin) into fl, ends resolved in c's inventory.
 * Returns 0, or -1 after printing FILE:LINE: why (unreadable, not JSON).
 */
int bh_flows_read(const char *path, const struct bh_compiled *c, struct bh_flows *fl);

/* Decides every flow under c and keeps those whose verdict changes: breaks first, then by count. */
void bh_flows_replay(const struct bh_compiled *c, struct bh_flows *fl);
void bh_flows_free(struct bh_flows *fl);

/* Output of the kept flows. */
void bh_flows_print_text(const struct bh_flows *fl, bool first_section);
void bh_flows_print_md(const struct bh_flows *fl);
void bh_flows_json(struct bh_jsonw *w, const struct bh_flows *fl);

#endif
