/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BH_MODEL_H
#define BH_MODEL_H

/*
 * The validated policy and inventory model. Everything in here has passed
 * validation: the compiler and the netlink layer never see invalid input.
 * All strings and arrays are owned by the object that holds them and are
 * released by the matching *_free().
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/diag.h"

/* ---- labels and selectors ------------------------------------------------ */

struct bh_label {
	char *key;
	char *value;
};

struct bh_labels {
	struct bh_label *v;	/* sorted by key, keys unique */
	size_t n;
};

/* Returns the value for key, or NULL. Borrowed. */
const char *bh_labels_get(const struct bh_labels *l, const char *key);
/* Adds or replaces key=value (copies both). 0 or -ENOMEM. Keeps v sorted. */
int bh_labels_set(struct bh_labels *l, const char *key, const char *value);
void bh_labels_deinit(struct bh_labels *l);
/* Deep copy into dst (dst uninitialised). 0 or -ENOMEM. */
int bh_labels_copy(struct bh_labels *dst, const struct bh_labels *src);

enum bh_sel_op {
	BH_SEL_IN,
	BH_SEL_NOT_IN,
	BH_SEL_EXISTS,
	BH_SEL_DOES_NOT_EXIST,
};

struct bh_sel_expr {
	char *key;
	enum bh_sel_op op;
	char **values;
	size_t n_values;
};

struct bh_selector {
	struct bh_labels match;		/* matchLabels */
	struct bh_sel_expr *exprs;	/* matchExpressions */
	size_t n_exprs;
};

/* An empty selector ({}) matches everything. */
bool bh_selector_matches(const struct bh_selector *s, const struct bh_labels *labels);
void bh_selector_deinit(struct bh_selector *s);
/* Kubernetes' rendering, e.g. "app=web,tier in (a,b)" or "<all>" (malloc'd, NULL on OOM). */
char *bh_selector_format(const struct bh_selector *s);

/* ---- addresses ------------------------------------------------------------- */

struct bh_addr {
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint8_t a[16];		/* network byte order; IPv4 uses a[0..3] */
};

struct bh_prefix {
	struct bh_addr addr;	/* host bits are zero (validated) */
	uint8_t len;
};

/* Parse "10.0.0.0/8" / "fd00::/64"; rejects host bits set. 0 or -EINVAL. */
int bh_prefix_parse(const char *s, struct bh_prefix *out);
/*
 * Like bh_prefix_parse but tolerates host bits: they are cleared in *out and
 * *host_bits (may be NULL) says whether any was set. 0 or -EINVAL.
 */
int bh_prefix_parse_loose(const char *s, struct bh_prefix *out, bool *host_bits);
/* Parse "10.0.0.1" / "fd00::1". 0 or -EINVAL. */
int bh_addr_parse(const char *s, struct bh_addr *out);
/* Format into buf (at least 64 bytes); returns buf. */
char *bh_addr_format(const struct bh_addr *a, char *buf, size_t len);
char *bh_prefix_format(const struct bh_prefix *p, char *buf, size_t len);
bool bh_prefix_contains(const struct bh_prefix *p, const struct bh_addr *a);
int bh_addr_cmp(const struct bh_addr *x, const struct bh_addr *y);

/* ---- NetworkPolicy ----------------------------------------------------------- */

enum bh_dir {
	BH_INGRESS = 0,
	BH_EGRESS = 1,
};
#define BH_DIR_MAX 2

struct bh_ipblock {
	struct bh_prefix cidr;
	struct bh_prefix *except;
	size_t n_except;
};

/* True when a is inside cidr and inside none of the excepts. */
bool bh_ipblock_contains(const struct bh_ipblock *b, const struct bh_addr *a);

struct bh_peer {
	struct bh_loc loc;
	bool has_pod_sel;
	bool has_ns_sel;
	bool has_ipblock;
	struct bh_selector pod_sel;
	struct bh_selector ns_sel;
	struct bh_ipblock ipblock;
};

struct bh_port {
	struct bh_loc loc;
	uint8_t proto;		/* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP */
	bool has_port;		/* false: every port of proto */
	char *name;		/* named port (IANA_SVC_NAME), or NULL */
	uint16_t port;		/* numeric port when name == NULL */
	uint16_t end_port;	/* 0 or >= port (only with a numeric port) */
};

struct bh_rule {
	struct bh_loc loc;
	bool has_peers;		/* false: `from`/`to` absent or empty -> every peer */
	struct bh_peer *peers;
	size_t n_peers;
	bool has_ports;		/* false: `ports` absent or empty -> every port and protocol */
	struct bh_port *ports;
	size_t n_ports;
};

enum bh_log_mode {
	BH_LOG_DENIED = 0,	/* default */
	BH_LOG_ALL,
	BH_LOG_NONE,
};

enum bh_enforce_mode {
	BH_MODE_ENFORCE = 0,	/* default */
	BH_MODE_AUDIT,
};

struct bh_policy {
	struct bh_loc loc;	/* location of the document */
	char *name;
	char *namespace;	/* metadata.namespace, default "default" */
	struct bh_selector pod_sel;
	bool types[BH_DIR_MAX];	/* policyTypes after defaulting */
	struct bh_rule *rules[BH_DIR_MAX];	/* ingress / egress rules */
	size_t n_rules[BH_DIR_MAX];
	enum bh_log_mode log;		/* annotation bulkhead.io/log */
	enum bh_enforce_mode mode;	/* annotation bulkhead.io/mode */
};

struct bh_cnp;

struct bh_policy_set {
	struct bh_policy *v;	/* sorted by (namespace, name) */
	size_t n;
	struct bh_cnp *cnp;	/* cluster-wide tiers (policy/cnp.h), sorted by (tier, priority, name) */
	size_t n_cnp;
	char **files;		/* interned file names that bh_loc.file points into */
	size_t n_files;
};

void bh_policy_set_free(struct bh_policy_set *s);

/*
 * Load policies from files and/or directories (a directory means every
 * *.yaml / *.yml in it, sorted by name, not recursive; "-" is standard
 * input, named "<stdin>" in locations). Every problem is
 * added to diag with file:line:col. Returns 0 and *out on success (including
 * an empty set), -EINVAL when diag has errors (*out is NULL), -errno on I/O.
 * I/O errors are also recorded in diag.
 */
int bh_policy_set_load(const char *const *paths, size_t n_paths,
		       struct bh_diag *diag, struct bh_policy_set **out);

/* Same, from a memory buffer that stands for file `name` (for tests and fuzzers). */
int bh_policy_set_load_buf(const char *name, const char *buf, size_t len,
			   struct bh_diag *diag, struct bh_policy_set **out);

struct bh_limits;
/*
 * The two above check the default limits (policy/limits.h); these take
 * them from lim (NULL: the defaults). Input over a limit is an error in
 * diag naming where it is, like any other invalid input.
 */
int bh_policy_set_load_limited(const char *const *paths, size_t n_paths,
			       const struct bh_limits *lim, struct bh_diag *diag,
			       struct bh_policy_set **out);
int bh_policy_set_load_buf_limited(const char *name, const char *buf, size_t len,
				   const struct bh_limits *lim, struct bh_diag *diag,
				   struct bh_policy_set **out);

/* ---- inventory ----------------------------------------------------------------- */

struct bh_named_port {
	char *name;
	uint16_t port;
	uint8_t proto;
};

struct bh_namespace {
	char *name;
	struct bh_labels labels;	/* includes kubernetes.io/metadata.name */
};

struct bh_workload {
	struct bh_loc loc;
	char *name;
	char *namespace;	/* default "default" */
	struct bh_labels labels;
	char *netns;		/* path of the network namespace, may be NULL */
	struct bh_addr *ips;
	size_t n_ips;
	bool ips_from_netns;	/* `ips` absent: to be read from the namespace */
	struct bh_named_port *ports;
	size_t n_ports;
	/* optional container identity (Docker source) */
	char *container_id;
	char *container_name;
	char *image;
	int64_t created_ns;	/* container creation time (ns since the epoch), 0 unknown */
	/*
	 * Fail closed: NULL, or why this workload is isolated whatever the
	 * policies say, as a string with static storage ("identity-conflict",
	 * "inspect-failed", ...). The compiler gives it a table that denies
	 * everything in both directions (loopback and ICMPv6 ND/MLD stay
	 * allowed, as for every workload); no policy selects it and no peer
	 * selector matches it.
	 */
	const char *isolated;
};

/* One address of one workload, for bh_inventory_find_ip. */
struct bh_inv_ip {
	struct bh_addr addr;
	size_t wl;		/* index into bh_inventory.wl */
};

struct bh_inventory {
	struct bh_namespace *ns;	/* every namespace a workload is in is listed (implied ones added) */
	size_t n_ns;
	struct bh_workload *wl;		/* sorted by (namespace, name) */
	size_t n_wl;
	char **files;
	size_t n_files;
	struct bh_inv_ip *by_ip;	/* built by bh_inventory_finish: sorted by address */
	size_t n_by_ip;
};

/* Frees everything a workload owns and zeroes it (the struct itself is the caller's). */
void bh_workload_deinit(struct bh_workload *w);
/* Deep copy into dst (dst uninitialised). 0, or -ENOMEM with dst left empty. */
int bh_workload_copy(struct bh_workload *dst, const struct bh_workload *src);

void bh_inventory_free(struct bh_inventory *inv);
int bh_inventory_load(const char *path, struct bh_diag *diag, struct bh_inventory **out);
int bh_inventory_load_buf(const char *name, const char *buf, size_t len,
			  struct bh_diag *diag, struct bh_inventory **out);
/* Returns the namespace entry (implied ones are present), or NULL. Borrowed. */
const struct bh_namespace *bh_inventory_ns(const struct bh_inventory *inv, const char *name);
/* Finds "ns/name"; NULL when absent. Borrowed. */
const struct bh_workload *bh_inventory_find(const struct bh_inventory *inv,
					    const char *ns, const char *name);
/* Finds the workload that owns address a; NULL when none. Borrowed. */
const struct bh_workload *bh_inventory_find_ip(const struct bh_inventory *inv,
					       const struct bh_addr *a);
/* Sorts workloads and adds implied namespaces; call after editing wl[] by hand. 0 or -ENOMEM. */
int bh_inventory_finish(struct bh_inventory *inv);

#endif
