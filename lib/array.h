/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BH_LIB_ARRAY_H
#define BH_LIB_ARRAY_H

/*
 * The two small things every layer repeats: a heap array that grows by
 * doubling, and a binary search over a sorted array. lib/ is the lowest
 * layer: it includes nothing of ours and any folder may use it.
 */

#include <stddef.h>

/*
 * Makes room for at least `need` elements in the heap array `v` (any object
 * pointer lvalue, may be NULL) whose capacity in elements is `cap` (a size_t
 * lvalue), doubling from `min`. Returns 0 with v and cap updated, or -ENOMEM
 * with both unchanged (also when the size in bytes would overflow). `cap`
 * and `need` are evaluated twice: the check for room is inline.
 *
 *	if ((ret = bh_array_reserve(l->v, l->cap, l->n + 1, 16)))
 *		return ret;
 *	l->v[l->n++] = x;
 */
#define bh_array_reserve(v, cap, need, min) \
	((need) <= (cap) ? 0 : bh__array_reserve(&(v), &(cap), (need), sizeof(*(v)), (min)))

int bh__array_reserve(void *vp, size_t *cap, size_t need, size_t size, size_t min);

/* Compares the search key with an element: <0, 0, >0 as key sorts before, with, after it. */
typedef int (*bh_key_cmp_fn)(const void *key, const void *elem);

/*
 * In base[0..n) (elements of `size` bytes, sorted by cmp), the index of the
 * first element not before key: n when every element sorts before it.
 */
size_t bh_sorted_lower(const void *key, const void *base, size_t n, size_t size,
		       bh_key_cmp_fn cmp);

/* The index of the first element not after key (the upper bound): n when none. */
size_t bh_sorted_upper(const void *key, const void *base, size_t n, size_t size,
		       bh_key_cmp_fn cmp);

/* The first element equal to key, or NULL. Borrowed from base. */
void *bh_sorted_find(const void *key, const void *base, size_t n, size_t size,
		     bh_key_cmp_fn cmp);

#endif
