// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/array.h"

int bh__array_reserve(void *vp, size_t *cap, size_t need, size_t size, size_t min)
{
	size_t ncap = *cap ? *cap : (min ? min : 1);
	void *v, *nv;

	if (need <= *cap)
		return 0;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2)
			return -ENOMEM;
		ncap *= 2;
	}
	if (ncap > SIZE_MAX / size)
		return -ENOMEM;
	/* vp points at a pointer of some object type: read and write it as bytes */
	memcpy(&v, vp, sizeof(v));
	nv = realloc(v, ncap * size);
	if (!nv)
		return -ENOMEM;
	memcpy(vp, &nv, sizeof(nv));
	*cap = ncap;
	return 0;
}

size_t bh_sorted_lower(const void *key, const void *base, size_t n, size_t size,
		       bh_key_cmp_fn cmp)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cmp(key, (const char *)base + mid * size) > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

size_t bh_sorted_upper(const void *key, const void *base, size_t n, size_t size,
		       bh_key_cmp_fn cmp)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cmp(key, (const char *)base + mid * size) >= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void *bh_sorted_find(const void *key, const void *base, size_t n, size_t size,
		     bh_key_cmp_fn cmp)
{
	size_t i = bh_sorted_lower(key, base, n, size, cmp);
	const char *e = (const char *)base + i * size;

	return i < n && !cmp(key, e) ? (void *)e : NULL;
}
