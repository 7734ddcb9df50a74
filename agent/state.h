/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BH_AGENT_STATE_H
#define BH_AGENT_STATE_H

/*
 * The agent's desired state: the workload table merged from every source
 * (the inventory file and the Docker source), the last valid policy set,
 * and the compiled generations.
 *
 * One namespace/name, one owner. When several workloads claim the same
 * identity, the first in this order owns it:
 *   1. the inventory file before any container;
 *   2. a container not isolated for another cause before one that is;
 *   3. the earliest created container (Created; unknown last);
 *   4. the smallest container id.
 * Every other claimant is kept, fail closed: isolated ("identity-conflict",
 * or the cause it already had) and listed as "ns/<claimed name>/<container
 * id>", a name no source can claim (identities have no '/'). Each successful compile is a generation
 * with a number that goes into the NFLOG prefix of the tables it programs;
 * the last BH_STATE_GENS generations are kept so that a logged packet is
 * explained with the policies that were in force when the kernel logged it.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/compile.h"
#include "policy/model.h"

#define BH_STATE_GENS 8

struct bh_state_pols;	/* a reference-counted policy set */

/* A container that lost its claimed identity in a generation's merge. */
struct bh_gen_iso {
	char *container_id;		/* the losing container */
	char *claimed;			/* "ns/name" it claimed */
	char *held_by;			/* the owner: "inventory" or "container <id>" */
};

struct bh_gen {
	uint64_t id;			/* 0: empty slot */
	struct bh_state_pols *pols;	/* reference */
	struct bh_inventory *inv;	/* the merged workload table (owned) */
	struct bh_compiled *comp;	/* compiled from pols and inv (owned) */
	uint64_t wl_version;		/* bh_state.wl_version it was compiled at */
	struct bh_gen_iso *iso;		/* identity conflicts of this merge (owned) */
	size_t n_iso;
};

struct bh_state {
	struct bh_inventory *file_inv;	/* last valid inventory file, or NULL */
	struct bh_workload *dock;	/* Docker workloads, keyed by container_id */
	size_t n_dock, cap_dock;
	struct bh_state_pols *pols;	/* last valid policy set, or NULL (none loaded) */
	struct bh_gen gens[BH_STATE_GENS];	/* ring; gens[cur] is the current one */
	size_t cur;
	uint64_t next_id;
	uint64_t identity_conflicts;	/* claimants isolated by the last merge */
	uint64_t wl_version;		/* bumped by every change of the workloads */
};

void bh_state_init(struct bh_state *st);
/* Frees every generation and input. */
void bh_state_deinit(struct bh_state *st);

/* Replace the policy set (takes ownership of set, which may be NULL = no policies). 0 or -ENOMEM. */
int bh_state_policies_set(struct bh_state *st, struct bh_policy_set *set);
/* Replace the inventory file's workloads (takes ownership; NULL = no file). */
void bh_state_inventory_set(struct bh_state *st, struct bh_inventory *inv);

/* Add or replace a Docker workload keyed by container_id (copied). 0, -EINVAL, -ENOMEM. */
int bh_state_docker_upsert(struct bh_state *st, const struct bh_workload *wl);
/* Remove the Docker workload with wl's container_id. 0 or -ENOENT. */
int bh_state_docker_remove(struct bh_state *st, const struct bh_workload *wl);
/* Is a Docker workload with this container id known? */
bool bh_state_docker_known(const struct bh_state *st, const char *id);
/* Forget every Docker workload (the source is off or resynchronising). */
void bh_state_docker_clear(struct bh_state *st);

/*
 * Build the merged workload table and compile it as a new generation, which
 * becomes the current one (the oldest is dropped). Claimants of an identity
 * that is taken are isolated (see the top of this file) and counted.
 * Returns 0, or -ENOMEM (the current generation is unchanged).
 */
int bh_state_compile(struct bh_state *st);
/*
 * The same within lim (NULL: the defaults): -E2BIG when a set would pass
 * the element limit, recorded in diag (may be NULL); the current
 * generation is unchanged then.
 */
int bh_state_compile_limited(struct bh_state *st, const struct bh_limits *lim,
			     struct bh_diag *diag);
/*
 * Makes the current generation's policy set the last valid one again, when
 * a newer set was refused at compile time. True when that changed the set.
 */
bool bh_state_policies_revert(struct bh_state *st);
/* True when the workloads changed since the current generation (or there is none). */
bool bh_state_workloads_changed(const struct bh_state *st);

/* Why a container of generation g lost its identity, or NULL. Borrowed. */
const struct bh_gen_iso *bh_gen_iso_find(const struct bh_gen *g, const char *container_id);

/*
 * Calls fn for every workload isolated in the current generation that was
 * not isolated for the same cause in generation `since` (every one when
 * that generation is 0 or no longer kept). w and why (NULL unless an
 * identity conflict) are borrowed for the call.
 */
void bh_state_isolated_new(const struct bh_state *st, uint64_t since,
			   void (*fn)(void *arg, const struct bh_workload *w,
				      const struct bh_gen_iso *why),
			   void *arg);

/* The current generation, or NULL before the first compile. Borrowed. */
const struct bh_gen *bh_state_current(const struct bh_state *st);
/* The generation with this id if still kept, else NULL. Borrowed. */
const struct bh_gen *bh_state_gen_find(const struct bh_state *st, uint64_t id);
/* The policy set of a generation (NULL when none). Borrowed. */
const struct bh_policy_set *bh_gen_policies(const struct bh_gen *g);


#endif
