/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BH_AGENT_METRICS_H
#define BH_AGENT_METRICS_H

/*
 * The agent's Prometheus endpoint: GET /metrics at --metrics ADDR:PORT in
 * the text exposition format 0.0.4, rendered on the loop from the same
 * state `status` reads. Every label has a fixed, small set of values (no
 * per-address or per-flow label); the names are listed in the README.
 */

#include <stddef.h>
#include <stdio.h>

struct bh_agent;
struct bh_http;

#define BH_METRICS_PATH "/metrics"
#define BH_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/*
 * When a->cfg->metrics is set (checked by the config parser), listen there
 * and serve: a->metrics (closed with bh_http_close). 0 (also when off), or
 * a negative errno with the reason written to err.
 */
int bh_metrics_start(struct bh_agent *a, FILE *err);

/* The exposition text now: *body malloc'd (the caller frees it). 0 or -ENOMEM. */
int bh_metrics_render(struct bh_agent *a, char **body, size_t *len);

#endif
