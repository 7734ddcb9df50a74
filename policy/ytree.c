// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libyaml events -> bh_ynode tree.
 *
 * Containers are built on an explicit stack (bounded by BH_YAML_MAX_DEPTH)
 * and attached to their parent when they end, so hostile input can neither
 * recurse us off the stack nor leave half-linked nodes behind. A mapping key
 * seen twice is reported at the second occurrence and that pair is dropped,
 * so the decoder never sees duplicates. Duplicates are found when the
 * mapping ends, by sorting its keys: O(n log n) for n keys, where comparing
 * each new key with every earlier one made a large mapping quadratic.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "policy/diag.h"
#include "policy/ytree.h"

#define TAG_NULL "tag:yaml.org,2002:null"
#define TAG_INT "tag:yaml.org,2002:int"

struct frame {
	struct bh_ynode *node;
	struct bh_ynode *key;	/* mapping: key waiting for its value */
	size_t cap;
};

struct builder {
	const char *file;
	struct bh_diag *diag;
	struct frame stack[BH_YAML_MAX_DEPTH];
	size_t depth;
	struct bh_ystream *out;
	size_t docs_cap;
	int rc;			/* 0, -EINVAL (problem recorded) or -ENOMEM */
};

static void node_free(struct bh_ynode *n)
{
	if (!n)
		return;
	switch (n->kind) {
	case BH_Y_SCALAR:
		free(n->str);
		free(n->tag);
		break;
	case BH_Y_SEQ:
		for (size_t i = 0; i < n->n; i++)
			node_free(n->items[i]);
		free(n->items);
		break;
	case BH_Y_MAP:
		for (size_t i = 0; i < n->n; i++) {
			node_free(n->pairs[i].key);
			node_free(n->pairs[i].value);
		}
		free(n->pairs);
		break;
	}
	free(n);
}

void bh_ystream_deinit(struct bh_ystream *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		node_free(s->docs[i]);
	free(s->docs);
	s->docs = NULL;
	s->n = 0;
}

static void problem(struct builder *b, const yaml_mark_t *m, const char *msg)
{
	struct bh_loc loc = { b->file, 0, 0 };

	if (m) {
		loc.line = (unsigned int)m->line + 1;
		loc.col = (unsigned int)m->column + 1;
	}
	bh_diag_add(b->diag, &loc, "%s", msg);
	if (!b->rc)
		b->rc = -EINVAL;
}

static struct bh_ynode *node_new(enum bh_ykind kind, const yaml_mark_t *m)
{
	struct bh_ynode *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->kind = kind;
	n->line = (unsigned int)m->line + 1;
	n->col = (unsigned int)m->column + 1;
	return n;
}

static bool grow(void **v, size_t *cap, size_t n, size_t elem)
{
	void *nv;
	size_t ncap;

	if (n < *cap)
		return true;
	ncap = *cap ? *cap * 2 : 4;
	nv = realloc(*v, ncap * elem);
	if (!nv)
		return false;
	*v = nv;
	*cap = ncap;
	return true;
}

/* Orders pair indices by key text, then by position: the first of equal keys comes first. */
static int key_cmp(const void *a, const void *b, void *arg)
{
	const struct bh_ypair *pairs = arg;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	const struct bh_ynode *kx = pairs[x].key, *ky = pairs[y].key;
	int c;

	if (kx->len != ky->len)
		return kx->len < ky->len ? -1 : 1;
	c = memcmp(kx->str, ky->str, kx->len);
	if (c)
		return c;
	return x < y ? -1 : x > y;
}

/*
 * Reports every scalar key of mapping m that repeats an earlier one (at the
 * repeat, naming the first) and drops those pairs. 0 or -ENOMEM.
 */
static int drop_duplicate_keys(struct builder *b, struct bh_ynode *m)
{
	size_t *idx, n = 0, w = 0;
	bool *drop;

	if (m->n < 2)
		return 0;
	idx = malloc(m->n * sizeof(*idx));
	drop = calloc(m->n, sizeof(*drop));
	if (!idx || !drop) {
		free(idx);
		free(drop);
		return -ENOMEM;
	}
	for (size_t i = 0; i < m->n; i++)
		if (m->pairs[i].key->kind == BH_Y_SCALAR)
			idx[n++] = i;
	qsort_r(idx, n, sizeof(*idx), key_cmp, m->pairs);
	for (size_t i = 1, first = 0; i < n; i++) {
		const struct bh_ynode *k = m->pairs[idx[first]].key, *dup = m->pairs[idx[i]].key;
		char msg[160];

		if (dup->len != k->len || memcmp(dup->str, k->str, k->len)) {
			first = i;
			continue;
		}
		snprintf(msg, sizeof(msg), "duplicate key \"%.80s\" (first defined at line %u, column %u)",
			 dup->str, k->line, k->col);
		problem(b, &(yaml_mark_t){ 0, dup->line - 1, dup->col - 1 }, msg);
		drop[idx[i]] = true;
	}
	for (size_t i = 0; i < m->n; i++) {
		if (drop[i]) {
			node_free(m->pairs[i].key);
			node_free(m->pairs[i].value);
		} else {
			m->pairs[w++] = m->pairs[i];
		}
	}
	m->n = w;
	free(idx);
	free(drop);
	return 0;
}

/* Attach a finished node to the innermost open container, or make it a document root. */
static int attach(struct builder *b, struct bh_ynode *n)
{
	struct frame *f;
	struct bh_ynode *p;

	if (!b->depth) {
		if (!grow((void **)&b->out->docs, &b->docs_cap, b->out->n, sizeof(*b->out->docs)))
			goto oom;
		b->out->docs[b->out->n++] = n;
		return 0;
	}
	f = &b->stack[b->depth - 1];
	p = f->node;
	if (p->kind == BH_Y_SEQ) {
		if (!grow((void **)&p->items, &f->cap, p->n, sizeof(*p->items)))
			goto oom;
		p->items[p->n++] = n;
		return 0;
	}
	if (!f->key) {
		f->key = n;
		return 0;
	}
	if (!grow((void **)&p->pairs, &f->cap, p->n, sizeof(*p->pairs))) {
		node_free(f->key);
		f->key = NULL;
		goto oom;
	}
	p->pairs[p->n].key = f->key;
	p->pairs[p->n].value = n;
	p->n++;
	f->key = NULL;
	return 0;
oom:
	node_free(n);
	return -ENOMEM;
}

static int on_scalar(struct builder *b, const yaml_event_t *ev)
{
	struct bh_ynode *n = node_new(BH_Y_SCALAR, &ev->start_mark);

	if (!n)
		return -ENOMEM;
	n->len = ev->data.scalar.length;
	n->str = malloc(n->len + 1);
	if (!n->str)
		goto oom;
	memcpy(n->str, ev->data.scalar.value, n->len);
	n->str[n->len] = '\0';
	/* a "\0" escape would silently cut every C string we make of it */
	if (memchr(n->str, '\0', n->len)) {
		problem(b, &ev->start_mark, "NUL characters are not allowed in strings");
		n->len = strlen(n->str);
	}
	n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	if (ev->data.scalar.tag) {
		n->tag = strdup((const char *)ev->data.scalar.tag);
		if (!n->tag)
			goto oom;
	}
	return attach(b, n);
oom:
	node_free(n);
	return -ENOMEM;
}

static int on_start(struct builder *b, const yaml_event_t *ev, enum bh_ykind kind)
{
	struct bh_ynode *n;

	if (b->depth == BH_YAML_MAX_DEPTH) {
		char msg[80];

		snprintf(msg, sizeof(msg), "nesting deeper than %d levels", BH_YAML_MAX_DEPTH);
		problem(b, &ev->start_mark, msg);
		return -E2BIG;
	}
	n = node_new(kind, &ev->start_mark);
	if (!n)
		return -ENOMEM;
	b->stack[b->depth++] = (struct frame){ .node = n };
	return 0;
}

static int on_end(struct builder *b)
{
	struct frame f = b->stack[--b->depth];

	/* a mapping always ends after a value, so f.key is NULL here */
	node_free(f.key);
	if (f.node->kind == BH_Y_MAP && drop_duplicate_keys(b, f.node)) {
		node_free(f.node);
		return -ENOMEM;
	}
	return attach(b, f.node);
}

static void alias_problem(struct builder *b, const yaml_event_t *ev)
{
	const yaml_char_t *anchor = NULL;

	if (ev->type == YAML_SCALAR_EVENT)
		anchor = ev->data.scalar.anchor;
	else if (ev->type == YAML_SEQUENCE_START_EVENT)
		anchor = ev->data.sequence_start.anchor;
	else if (ev->type == YAML_MAPPING_START_EVENT)
		anchor = ev->data.mapping_start.anchor;
	if (anchor)
		problem(b, &ev->start_mark, "YAML anchors and aliases are not supported");
}

/*
 * libyaml notices an unclosed flow collection or quoted string only where
 * the file (or the document) ends, and reports it there, often many lines
 * below the mistake. The place to fix is where it was opened, which libyaml
 * keeps as the context mark: report that, and name where the input ended.
 */
static const struct {
	const char *context;	/* libyaml's context for the construct */
	char open;		/* the character that opens it */
	const char *opener, *closer;	/* both as the message shows them */
} unclosed_kinds[] = {
	{ "while parsing a flow mapping", '{', "'{'", "'}'" },
	{ "while parsing a flow sequence", '[', "'['", "']'" },
	{ "while scanning a quoted scalar", '"', "'\"'", "'\"'" },
	{ "while scanning a quoted scalar", '\'', "\"'\"", "\"'\"" },
};

/* True when m is the end of the input or a document marker ("---", "...") in column 1. */
static bool input_ends_at(const char *buf, size_t len, const yaml_mark_t *m)
{
	const char *s = buf + m->index;
	size_t left;

	if (m->index >= len)
		return true;
	left = len - m->index;
	if (m->column || left < 3 || (memcmp(s, "---", 3) && memcmp(s, "...", 3)))
		return false;
	return left == 3 || strchr(" \t\r\n", s[3]);
}

/* Reports an unclosed '{', '[' or quote at its opening; false when p's error is another one. */
static bool unclosed_problem(struct builder *b, const yaml_parser_t *p, const char *buf, size_t len)
{
	const yaml_mark_t *open = &p->context_mark, *end = &p->problem_mark;
	char msg[160];

	if (!p->context || open->index >= len || !input_ends_at(buf, len, end))
		return false;
	for (size_t i = 0; i < sizeof(unclosed_kinds) / sizeof(unclosed_kinds[0]); i++) {
		if (buf[open->index] != unclosed_kinds[i].open || strcmp(p->context, unclosed_kinds[i].context))
			continue;
		snprintf(msg, sizeof(msg), "unclosed %s: the %s ends at line %zu, column %zu without a closing %s",
			 unclosed_kinds[i].opener, end->index >= len ? "file" : "document", end->line + 1,
			 end->column + 1, unclosed_kinds[i].closer);
		problem(b, open, msg);
		return true;
	}
	return false;
}

static void syntax_problem(struct builder *b, const yaml_parser_t *p, const char *buf, size_t len)
{
	char msg[256];

	if (p->error == YAML_MEMORY_ERROR) {
		b->rc = -ENOMEM;
		return;
	}
	if (p->error == YAML_READER_ERROR) {
		snprintf(msg, sizeof(msg), "invalid YAML: %s (at byte %zu)",
			 p->problem ? p->problem : "unreadable input", p->problem_offset);
		problem(b, NULL, msg);
		return;
	}
	if (unclosed_problem(b, p, buf, len))
		return;
	if (p->context)
		snprintf(msg, sizeof(msg), "invalid YAML: %s (%s at line %zu, column %zu)",
			 p->problem ? p->problem : "syntax error", p->context,
			 p->context_mark.line + 1, p->context_mark.column + 1);
	else
		snprintf(msg, sizeof(msg), "invalid YAML: %s", p->problem ? p->problem : "syntax error");
	problem(b, &p->problem_mark, msg);
}

int bh_yaml_parse(const char *file, const char *buf, size_t len, struct bh_diag *diag,
		  struct bh_ystream *out)
{
	struct builder b = { .file = file, .diag = diag, .out = out };
	yaml_parser_t parser;
	bool done = false;
	int err = 0;

	out->docs = NULL;
	out->n = 0;
	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	while (!done && !err) {
		yaml_event_t ev;

		if (!yaml_parser_parse(&parser, &ev)) {
			syntax_problem(&b, &parser, buf, len);
			break;
		}
		alias_problem(&b, &ev);
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_SCALAR_EVENT:
			err = on_scalar(&b, &ev);
			break;
		case YAML_ALIAS_EVENT: {
			/* stand-in null keeps the tree's shape after the error */
			yaml_event_t null_ev = { .type = YAML_SCALAR_EVENT, .start_mark = ev.start_mark };

			problem(&b, &ev.start_mark, "YAML anchors and aliases are not supported");
			null_ev.data.scalar.value = (yaml_char_t *)"";
			null_ev.data.scalar.style = YAML_PLAIN_SCALAR_STYLE;
			err = on_scalar(&b, &null_ev);
			break;
		}
		case YAML_SEQUENCE_START_EVENT:
			err = on_start(&b, &ev, BH_Y_SEQ);
			break;
		case YAML_MAPPING_START_EVENT:
			err = on_start(&b, &ev, BH_Y_MAP);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			err = on_end(&b);
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	/* an error stopped us inside a document: drop its unfinished containers */
	while (b.depth) {
		struct frame *f = &b.stack[--b.depth];

		node_free(f->key);
		node_free(f->node);
	}
	yaml_parser_delete(&parser);
	if (err == -ENOMEM || b.rc == -ENOMEM)
		return -ENOMEM;
	return b.rc;
}

bool bh_ynode_is_null(const struct bh_ynode *n)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };

	if (!n)
		return true;
	if (n->kind != BH_Y_SCALAR)
		return false;
	if (n->tag)
		return !strcmp(n->tag, TAG_NULL);
	if (!n->plain)
		return false;
	for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
		if (!strcmp(n->str, nulls[i]))
			return true;
	return false;
}

bool bh_ynode_int(const struct bh_ynode *n, long long *v)
{
	const char *s;
	long long acc = 0;
	bool neg = false;

	if (!n || n->kind != BH_Y_SCALAR)
		return false;
	if (n->tag ? strcmp(n->tag, TAG_INT) : !n->plain)
		return false;
	s = n->str;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (!*s)
		return false;
	for (; *s; s++) {
		int d = *s - '0';

		if (d < 0 || d > 9)
			return false;
		if (acc > (LLONG_MAX - d) / 10)
			return false;
		acc = acc * 10 + d;
	}
	*v = neg ? -acc : acc;
	return true;
}

static bool plain_is(const struct bh_ynode *n, const char *const *words)
{
	for (; *words; words++)
		if (!strcmp(n->str, *words))
			return true;
	return false;
}

const char *bh_ynode_kind_name(const struct bh_ynode *n)
{
	static const char *const bools[] = { "true", "True", "TRUE", "false", "False", "FALSE", NULL };
	long long v;

	if (!n || bh_ynode_is_null(n))
		return "null";
	if (n->kind == BH_Y_MAP)
		return "a mapping";
	if (n->kind == BH_Y_SEQ)
		return "a list";
	if (bh_ynode_int(n, &v))
		return "an integer";
	if (n->plain && !n->tag && plain_is(n, bools))
		return "a boolean";
	return "a string";
}

const struct bh_ynode *bh_ynode_get(const struct bh_ynode *n, const char *key)
{
	if (!n || n->kind != BH_Y_MAP)
		return NULL;
	for (size_t i = 0; i < n->n; i++) {
		const struct bh_ynode *k = n->pairs[i].key;

		if (k->kind == BH_Y_SCALAR && !strcmp(k->str, key))
			return n->pairs[i].value;
	}
	return NULL;
}
