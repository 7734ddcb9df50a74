// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/array.h"
#include "agent/reconcile.h"
#include "agent/tamper.h"

/* Datagrams read per wake-up per namespace: a storm in one cannot starve the loop. */
#define RX_BATCH 16

struct mon {
	struct bh_tamper *x;
	uv_poll_t poll;
	struct bh_nft_mon *m;
	char *ns, *name, *netns;
	bool keep;
};

struct bh_tamper {
	uv_loop_t *loop;
	bh_tamper_cb cb;
	void *arg;
	uint32_t self;		/* our pid: our own transactions */
	struct mon **v;
	size_t n, cap;
	struct bh_tamper_stats st;
	bool closed;
};

static void mon_closed(uv_handle_t *h)
{
	struct mon *m = h->data;

	bh_nft_mon_close(m->m);
	free(m->ns);
	free(m->name);
	free(m->netns);
	free(m);
}

static void mon_close(struct mon *m)
{
	uv_poll_stop(&m->poll);	/* before the socket is closed */
	uv_close((uv_handle_t *)&m->poll, mon_closed);
}

static void on_txn(const struct bh_nft_txn *t, void *arg)
{
	struct mon *m = arg;
	struct bh_tamper *x = m->x;

	if (t->pid == x->self) {
		x->st.own++;
		return;
	}
	x->st.foreign++;
	x->cb(x->arg, m->ns, m->name, t);
}

static void poll_cb(uv_poll_t *p, int status, int events)
{
	struct mon *m = p->data;
	struct bh_tamper *x = m->x;
	int r;

	if (status < 0 || x->closed)
		return;
	r = bh_nft_mon_read(m->m, on_txn, m, RX_BATCH);
	if (r == -ENOBUFS) {
		x->st.lost++;
		x->cb(x->arg, m->ns, m->name, NULL);
	}
}

static int mon_open(struct bh_tamper *x, const struct bh_rec_wl *w)
{
	struct mon *m = calloc(1, sizeof(*m));
	int rc = -ENOMEM;

	if (!m)
		return rc;
	m->x = x;
	m->ns = strdup(w->ns);
	m->name = strdup(w->name);
	m->netns = strdup(w->netns);
	if (!m->ns || !m->name || !m->netns)
		goto fail;
	if (bh_array_reserve(x->v, x->cap, x->n + 1, 32))
		goto fail;
	rc = bh_nft_mon_open(w->netns, &m->m);
	if (rc < 0)
		goto fail;
	rc = uv_poll_init(x->loop, &m->poll, bh_nft_mon_fd(m->m));
	if (rc < 0)
		goto fail;
	m->poll.data = m;
	m->keep = true;
	x->v[x->n++] = m;
	rc = uv_poll_start(&m->poll, UV_READABLE, poll_cb);
	if (rc < 0) {
		x->n--;
		mon_close(m);
	}
	return rc;
fail:
	bh_nft_mon_close(m->m);
	free(m->ns);
	free(m->name);
	free(m->netns);
	free(m);
	return rc;
}

static int mon_cmp(const struct mon *m, const char *ns, const char *name)
{
	int c = strcmp(m->ns, ns);

	return c ? c : strcmp(m->name, name);
}

static int mon_sort_cmp(const void *a, const void *b)
{
	const struct mon *y = *(struct mon *const *)b;

	return mon_cmp(*(struct mon *const *)a, y->ns, y->name);
}

struct mon_key {
	const char *ns, *name;
};

static int mon_key_cmp(const void *key, const void *elem)
{
	const struct mon_key *k = key;

	return -mon_cmp(*(struct mon *const *)elem, k->ns, k->name);
}

/* The monitor of ns/name among the first n (sorted), or NULL. */
static struct mon *mon_find(struct bh_tamper *x, size_t n, const char *ns, const char *name)
{
	const struct mon_key k = { ns, name };
	struct mon **hit = bh_sorted_find(&k, x->v, n, sizeof(*x->v), mon_key_cmp);

	return hit ? *hit : NULL;
}

void bh_tamper_sync(struct bh_tamper *x, const struct bh_reconcile *rec)
{
	size_t k = 0, n0;

	if (x->closed)
		return;
	if (x->n > 1)
		qsort(x->v, x->n, sizeof(*x->v), mon_sort_cmp);
	n0 = x->n;
	for (size_t i = 0; i < x->n; i++)
		x->v[i]->keep = false;
	for (size_t i = 0; i < rec->n; i++) {
		const struct bh_rec_wl *w = &rec->v[i];
		struct mon *m;

		if (!w->programmed || !w->netns)
			continue;
		m = mon_find(x, n0, w->ns, w->name);
		if (m && !strcmp(m->netns, w->netns)) {
			m->keep = true;
			continue;
		}
		if (mon_open(x, w) < 0)
			x->st.open_errors++;
	}
	for (size_t i = 0; i < x->n; i++) {
		if (x->v[i]->keep)
			x->v[k++] = x->v[i];
		else
			mon_close(x->v[i]);
	}
	x->n = k;
	x->st.monitors = k;
}

int bh_tamper_alloc(uv_loop_t *loop, bh_tamper_cb cb, void *arg, struct bh_tamper **out)
{
	struct bh_tamper *x = calloc(1, sizeof(*x));

	if (!x)
		return -ENOMEM;
	x->loop = loop;
	x->cb = cb;
	x->arg = arg;
	x->self = (uint32_t)getpid();
	*out = x;
	return 0;
}

void bh_tamper_stats_get(const struct bh_tamper *x, struct bh_tamper_stats *st)
{
	*st = x->st;
}

void bh_tamper_close(struct bh_tamper *x)
{
	if (x->closed)
		return;
	x->closed = true;
	for (size_t i = 0; i < x->n; i++)
		mon_close(x->v[i]);
	x->n = 0;
	x->st.monitors = 0;
}

void bh_tamper_free(struct bh_tamper *x)
{
	if (!x)
		return;
	free(x->v);
	free(x);
}
