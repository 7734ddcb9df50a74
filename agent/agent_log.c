// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The agent's side of the denied-connection log: what the reader is given
 * (the output, the hostname, the NFLOG group, the generations that explain
 * a line) and which namespaces it reads. log/ never sees struct bh_agent.
 */
#include "agent/agent.h"
#include "log/logrx.h"

static bool logrx_gen(const struct bh_gen *g, struct bh_logrx_gen *out)
{
	if (!g)
		return false;
	out->inv = g->inv;
	out->comp = g->comp;
	return true;
}

static bool logrx_gen_find(void *arg, uint64_t id, struct bh_logrx_gen *out)
{
	return logrx_gen(bh_state_gen_find(&((struct bh_agent *)arg)->st, id), out);
}

static bool logrx_gen_current(void *arg, struct bh_logrx_gen *out)
{
	return logrx_gen(bh_state_current(&((struct bh_agent *)arg)->st), out);
}

int bh_agent__logrx_alloc(struct bh_agent *a)
{
	const struct bh_logrx_deps d = {
		.out = &a->out,
		.hostname = a->hostname,
		.log_group = (uint16_t)a->cfg->log_group,
		.community_id = a->cfg->community_id,
		.community_id_seed = (uint16_t)a->cfg->community_id_seed,
		.gen_find = logrx_gen_find,
		.gen_current = logrx_gen_current,
		.arg = a,
	};

	return bh_logrx_alloc(a->loop, &d, &a->logrx);
}

void bh_agent__logrx_sync(struct bh_agent *a)
{
	if (!a->logrx)
		return;
	bh_logrx_sync_begin(a->logrx);
	for (size_t i = 0; i < a->rec.n; i++) {
		const struct bh_rec_wl *w = &a->rec.v[i];

		if (w->programmed && w->netns)
			bh_logrx_sync_want(a->logrx, w->ns, w->name, w->netns);
	}
	bh_logrx_sync_end(a->logrx);
}
