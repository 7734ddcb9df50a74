// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The kernel side of the reconciler (bh_rec_ops_nft): each workload's
 * namespace gets one long-lived nftables connection, opened when it is
 * first programmed and closed (through the closer thread, when it runs)
 * when the workload leaves; every transaction and check for that
 * namespace goes over it. What was programmed is remembered as a snapshot
 * so that a change of peer sets is sent as element differences; anything
 * else replaces the table in one transaction, with the reconciler's table
 * flags (owner+persist in owned mode).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netlink/nft.h"
#include "netlink/nft_conn.h"
#include "agent/reconcile.h"

static void conn_drop(struct bh_rec_wl *w)
{
	bh_nft_conn_close(w->conn);
	w->conn = NULL;
	bh_nft_snap_free(w->snap);
	w->snap = NULL;
	w->kgen_valid = false;
}

/* The entry's connection, opened when missing or when the path names another namespace now. */
static int conn_get(struct bh_rec_wl *w, char *err, size_t errlen)
{
	int same;

	if (w->conn) {
		same = bh_nft_conn_same_netns(w->conn, w->netns);
		if (same == 1)
			return 0;
		conn_drop(w);
		if (same < 0) {
			snprintf(err, errlen, "%s: %s", w->netns, strerror(-same));
			return same;
		}
	}
	return bh_nft_conn_open(w->netns, &w->conn, err, errlen);
}

/* After a refusal: who owns the table, in the error text. */
static void explain_eperm(const struct bh_rec_wl *w, int rc, char *err, size_t errlen)
{
	char who[160];

	if (rc == -EPERM && bh_nft_owner_describe(w->netns, who, sizeof(who)) == 1)
		snprintf(err, errlen, "%s: %s (only it may change the table; an agent lets go "
			 "with `bulkhead reset --all`)", who, strerror(EPERM));
}

/* Remembers the ruleset generation after our own transaction. */
static void note_kgen(struct bh_rec_wl *w)
{
	w->kgen_valid = bh_nft_conn_genid(w->conn, &w->kgen) == 0;
}

static int send(struct bh_rec_wl *w, const struct bh_rec_prog *p, struct bh_nft_batch *b,
		unsigned int flags, char *err, size_t errlen)
{
	int rc;

	if (p && p->dump) {
		fprintf(p->dump, "# batch for %s: %zu messages\n", w->netns, bh_nft_batch_msgs(b));
		bh_nft_batch_fprint(b, p->dump);
	}
	rc = bh_nft_conn_send(w->conn, b, flags, err, errlen);

	if (rc)
		explain_eperm(w, rc, err, errlen);
	return rc;
}

static int build_full(struct bh_reconcile *r, const struct bh_rec_prog *p,
		      const struct bh_emit_opts *o, struct bh_nft_batch **out)
{
	struct bh_nft_batch *b;
	int rc;

	if ((rc = bh_nft_batch_alloc(&b)))
		return rc;
	bh_nft_batch_set_table_flags(b, r->table_flags);
	rc = bh_nft_build_table(b, p->c, p->group, o);
	if (rc) {
		bh_nft_batch_free(b);
		return rc;
	}
	*out = b;
	return 0;
}

/* Element differences against the snapshot: 1 sent (or nothing to send), 0 not possible, <0. */
static int try_delta(struct bh_rec_wl *w, const struct bh_rec_prog *p, char *err, size_t errlen)
{
	struct bh_emit_opts o = *p->o;
	struct bh_nft_snap *snap = NULL;
	struct bh_nft_batch *b;
	int rc;

	if ((rc = bh_nft_batch_alloc(&b)))
		return rc;
	rc = bh_nft_build_delta(b, w->snap, p->c, p->group, p->o);
	if (rc != 1)
		goto out;
	/* the rules, and the generation in their log prefixes, stay */
	o.generation = bh_nft_snap_generation(w->snap);
	if ((rc = bh_nft_snap_alloc(p->c, p->group, &o, &snap)))
		goto out;
	if (bh_nft_batch_msgs(b) && (rc = send(w, p, b, 0, err, errlen)))
		goto out;
	bh_nft_snap_free(w->snap);
	w->snap = snap;
	snap = NULL;
	note_kgen(w);
	rc = 1;
out:
	bh_nft_snap_free(snap);
	bh_nft_batch_free(b);
	return rc;
}

static int nft_program(struct bh_reconcile *r, struct bh_rec_wl *w, const struct bh_rec_prog *p,
		       char *err, size_t errlen)
{
	struct bh_nft_snap *snap = NULL;
	struct bh_nft_batch *b;
	int rc;

	if ((rc = conn_get(w, err, errlen)))
		return rc;
	if (w->snap && !p->full && !p->dry_run) {
		rc = try_delta(w, p, err, errlen);
		if (rc == 1 || rc == -ENOMEM)
			return rc;
		/* a refused delta falls back to the full replacement */
	}
	if ((rc = build_full(r, p, p->o, &b))) {
		snprintf(err, errlen, "building the table: %s", strerror(-rc));
		return rc;
	}
	if (!p->dry_run && (rc = bh_nft_snap_alloc(p->c, p->group, p->o, &snap)))
		goto out;
	if ((rc = send(w, p, b, p->dry_run ? BH_NFT_DRY_RUN : 0, err, errlen)))
		goto out;
	if (!p->dry_run) {
		bh_nft_snap_free(w->snap);
		w->snap = snap;
		snap = NULL;
		note_kgen(w);
	}
out:
	bh_nft_snap_free(snap);
	bh_nft_batch_free(b);
	return rc;
}

static int nft_remove(struct bh_reconcile *r, struct bh_rec_wl *w, char *err, size_t errlen)
{
	struct bh_nft_batch *b;
	int rc;

	if (!w->conn)	/* never programmed by this process */
		return bh_nft_delete(w->netns, err, errlen);
	if ((rc = bh_nft_batch_alloc(&b)))
		return rc;
	rc = bh_nft_build_delete(b);
	if (!rc)
		rc = send(w, NULL, b, 0, err, errlen);
	bh_nft_batch_free(b);
	bh_nft_snap_free(w->snap);
	w->snap = NULL;
	if (!rc)
		note_kgen(w);
	return rc;
}

/*
 * Does the namespace hold exactly what p builds? Cheap first: when the
 * namespace's ruleset generation has not moved since our last transaction
 * nobody committed anything there. Else (or when deep) the content digest
 * of what the kernel holds is compared with that of the table p builds.
 */
static int nft_verify(struct bh_reconcile *r, struct bh_rec_wl *w, const struct bh_rec_prog *p,
		      bool deep)
{
	uint64_t want, held;
	struct bh_nft_batch *b;
	uint32_t kgen;
	int rc;

	if (!w->conn || bh_nft_conn_same_netns(w->conn, w->netns) != 1)
		return 0;
	rc = bh_nft_conn_genid(w->conn, &kgen);
	if (rc)
		return rc;
	if (!deep && w->kgen_valid && kgen == w->kgen)
		return 1;
	if ((rc = build_full(r, p, p->o, &b)))
		return rc;
	rc = bh_nft_batch_digest(b, &want, NULL, NULL);
	bh_nft_batch_free(b);
	if (rc)
		return rc;
	rc = bh_nft_conn_digest(w->conn, &held, NULL, NULL);
	if (rc <= 0)
		return rc;
	if (held != want)
		return 0;
	/* whatever moved the generation left our table alone */
	w->kgen = kgen;
	w->kgen_valid = true;
	return 1;
}

static int nft_stamp(struct bh_reconcile *r, struct bh_rec_wl *w, struct bh_nft_stamp *st)
{
	char err[160];
	int rc;

	memset(st, 0, sizeof(*st));
	if ((rc = conn_get(w, err, sizeof(err))))
		return rc;
	return bh_nft_conn_table_stamp(w->conn, st);
}

static void nft_release(struct bh_reconcile *r, struct bh_rec_wl *w)
{
	conn_drop(w);
}

const struct bh_rec_ops bh_rec_ops_nft = {
	.program = nft_program,
	.remove = nft_remove,
	.stamp = nft_stamp,
	.verify = nft_verify,
	.release = nft_release,
};
