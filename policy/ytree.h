/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BH_YTREE_H
#define BH_YTREE_H

/*
 * A small generic YAML document tree built from libyaml's event stream:
 * mappings, sequences and scalars, each with the 1-based line and column
 * where it starts. Scalars keep their style so the decoder can tell the
 * string "80" from the integer 80 and a null from the string "null".
 * Anchors and aliases are rejected; nesting is limited (BH_YAML_MAX_DEPTH).
 */

#include <stdbool.h>
#include <stddef.h>

struct bh_diag;

#define BH_YAML_MAX_DEPTH 64

enum bh_ykind {
	BH_Y_SCALAR,
	BH_Y_SEQ,
	BH_Y_MAP,
};

struct bh_ynode;

struct bh_ypair {
	struct bh_ynode *key;
	struct bh_ynode *value;
};

struct bh_ynode {
	enum bh_ykind kind;
	unsigned int line;	/* 1-based */
	unsigned int col;	/* 1-based */
	/* BH_Y_SCALAR */
	char *str;		/* NUL-terminated value */
	size_t len;
	bool plain;		/* plain (unquoted, not block) style */
	char *tag;		/* explicit tag, expanded ("tag:yaml.org,2002:str"), or NULL */
	/* BH_Y_SEQ */
	struct bh_ynode **items;
	/* BH_Y_MAP */
	struct bh_ypair *pairs;
	size_t n;		/* number of items or pairs */
};

struct bh_ystream {
	struct bh_ynode **docs;	/* document roots, in order; empty documents are kept as null scalars */
	size_t n;
};

/*
 * Parse buf as a YAML stream. Problems (syntax errors, duplicate mapping
 * keys, aliases, excessive nesting) are recorded in diag against `file`
 * (borrowed: must outlive diag). Documents completed before a syntax error
 * are returned too. Returns 0 when no problem was found, -EINVAL when diag
 * got an entry, -ENOMEM on allocation failure; *out is always filled and
 * must be released with bh_ystream_deinit().
 */
int bh_yaml_parse(const char *file, const char *buf, size_t len, struct bh_diag *diag,
		  struct bh_ystream *out);
void bh_ystream_deinit(struct bh_ystream *s);

/* Plain "", "~", "null", "Null", "NULL" or an explicit !!null tag. */
bool bh_ynode_is_null(const struct bh_ynode *n);
/*
 * True when n is a plain (or !!int tagged) decimal integer that fits a long
 * long; stores it in *v. A quoted "80" is a string, not an integer.
 */
bool bh_ynode_int(const struct bh_ynode *n, long long *v);
/* Describes n's type for messages: "a mapping", "a list", "null", "an integer", "a string"... */
const char *bh_ynode_kind_name(const struct bh_ynode *n);
/* Looks up key in a mapping; NULL when absent or n is not a mapping. Borrowed. */
const struct bh_ynode *bh_ynode_get(const struct bh_ynode *n, const char *key);

#endif
