/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BH_AGENT_LOGLINE_H
#define BH_AGENT_LOGLINE_H

/*
 * One denied-connection line (ECS field names) for a packet logged in the
 * namespace of workload ns/name, explained with the generation named in
 * the NFLOG prefix (the current one when that generation is no longer
 * kept). Appends one line ending in '\n' to w; errors are w's sticky error.
 */

#include <sys/time.h>

#include "compile.h"
#include "jsonw.h"
#include "pkt.h"

struct bh_agent;

void bh_logline_format(struct bh_jsonw *w, struct bh_agent *a, const char *ns, const char *name,
		       const struct bh_log_tag *tag, const struct bh_pkt *p,
		       const struct timeval *ts);

#endif
