/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BH_JSCAN_H
#define BH_JSCAN_H

/*
 * A streaming JSON scanner that keeps a few scalar values and nothing else:
 * fed a document in chunks of any size, it reports each string, number or
 * literal found at one of the caller's paths, in bounded memory whatever
 * the document's size. The Docker source uses it when an answer is too big
 * to hold (a container with megabytes of labels or environment): the few
 * fields that place and name the container still come through, so that
 * container alone is isolated and the rest of the source goes on.
 *
 * A path is up to BH_JSCAN_DEPTH keys from the root, NULL-terminated;
 * "*" matches any key of an object and any element of an array, e.g.
 * { "NetworkSettings", "SandboxKey" } or { "*", "Id" } (every element's Id
 * in a top-level array). Keys are compared after unescaping. Values of
 * objects and arrays at a path are not reported.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BH_JSCAN_DEPTH 4	/* keys in a path */
#define BH_JSCAN_NEST 256	/* deeper documents are refused */
#define BH_JSCAN_KEY 256	/* longer keys match no path */
#define BH_JSCAN_VALUE 4096	/* longer values are reported cut (truncated) */

struct bh_jscan_path {
	const char *k[BH_JSCAN_DEPTH + 1];
};

/*
 * A value at paths[slot]: its text (strings unescaped, UTF-8; numbers and
 * literals as written) and length, borrowed for the call. is_string tells
 * "true" (literal) from "\"true\"" (string).
 */
typedef void (*bh_jscan_cb)(void *arg, size_t slot, const char *val, size_t len,
			    bool is_string, bool truncated);

struct bh_jscan {
	const struct bh_jscan_path *paths;
	size_t n_paths;
	bh_jscan_cb cb;
	void *arg;
	/* private */
	int state, ret_state;
	unsigned int depth;
	uint8_t kind[BH_JSCAN_NEST];	/* '{' or '[' per level */
	char key[BH_JSCAN_DEPTH][BH_JSCAN_KEY + 1];	/* key (or "") per level */
	bool key_bad[BH_JSCAN_DEPTH];	/* that key can match no path */
	size_t key_len;
	bool key_long;
	bool in_key;			/* the string being read is a key */
	long slot;			/* the value being read is reported as this; -1: not */
	char val[BH_JSCAN_VALUE + 1];
	size_t val_len;
	bool val_cut;
	uint32_t u, hi_surrogate;
	int u_digits;
	uint64_t bytes;
};

/* Ready to scan one document. */
void bh_jscan_init(struct bh_jscan *s, const struct bh_jscan_path *paths, size_t n_paths,
		   bh_jscan_cb cb, void *arg);

/* Scan the next len bytes. 0, or -EINVAL once the text is not JSON (then always). */
int bh_jscan_feed(struct bh_jscan *s, const char *buf, size_t len);

/*
 * After the last chunk: 0 when one complete JSON value was scanned, else
 * -EINVAL. Structure and strings are checked; literals only as far as their
 * characters go (the scanner is not a validator).
 */
int bh_jscan_end(const struct bh_jscan *s);

#endif
