/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BH_OOM_INJECT_H
#define BH_OOM_INJECT_H

/*
 * Allocation-failure injection for a test binary (include it once, from
 * the test's only source file): malloc, calloc and realloc are interposed;
 * set `countdown` to N to make the allocation after the next N fail
 * (`failed` records that it happened), -1 never fails. dlsym's own
 * allocations during the lookup of the real functions come from a static
 * bootstrap buffer.
 */
#include <dlfcn.h>
#include <stdbool.h>
#include <stddef.h>

static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static long countdown = -1;	/* allocations left before the failure; -1: never fail */
static bool failed;
static bool resolving;
static char boot[8192];		/* for dlsym's own allocations while we resolve */
static size_t boot_used;

static void resolve(void)
{
	resolving = true;
	real_malloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
	real_calloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "calloc");
	real_realloc = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
	resolving = false;
}

static bool inject(void)
{
	if (countdown < 0)
		return false;
	if (countdown-- > 0)
		return false;
	failed = true;
	return true;
}

void *malloc(size_t n)
{
	if (!real_malloc)
		resolve();
	if (inject())
		return NULL;
	return real_malloc(n);
}

void *calloc(size_t a, size_t b)
{
	if (!real_calloc) {
		if (resolving) {
			void *p = boot + boot_used;

			boot_used += (a * b + 15) & ~(size_t)15;
			return boot_used <= sizeof(boot) ? p : NULL;
		}
		resolve();
	}
	if (inject())
		return NULL;
	return real_calloc(a, b);
}

void *realloc(void *p, size_t n)
{
	if (!real_realloc)
		resolve();
	if (inject())
		return NULL;
	return real_realloc(p, n);
}

#endif
