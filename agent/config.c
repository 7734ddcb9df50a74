// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "agent/config.h"
#include "policy/compile.h"

#define STR_(x) #x
#define STR(x) STR_(x)

/*
 * NFLOG group 0 is an ordinary group: the kernel's nfnetlink_log keys its
 * instances by number with nothing reserved, nft writes `log group 0`, and
 * libnetfilter_log binds it like any other. So every group a 16-bit field
 * holds is legal. Generations stay below 2^53 so that JSON readers keep
 * them exact.
 */
const struct bh_opt bh_opts[BH_O_MAX] = {
	[BH_O_CONFIG] = { "config", 0, BH_OPT_STR, NULL, "FILE", 0, 0,
			  "YAML file whose keys are these option names; flags override it" },
	[BH_O_POLICIES] = { "policies", 'p', BH_OPT_STR, NULL, "PATH", 0, 0,
			    "policy file or directory of *.yaml/*.yml files" },
	[BH_O_INVENTORY] = { "inventory", 'i', BH_OPT_STR, NULL, "FILE", 0, 0,
			     "inventory of workloads in plain network namespaces" },
	[BH_O_DOCKER] = { "docker", 0, BH_OPT_OPTSTR, BH_DOCKER_DEFAULT, "[=SOCKET]", 0, 0,
			  "follow the containers of a Docker Engine" },
	[BH_O_LOG] = { "log", 0, BH_OPT_LIST, "-", "FILE|-", 0, 0,
		       "denied-connection log sink, repeatable (- is stdout; see sink specs)" },
	[BH_O_CONTROL] = { "control", 0, BH_OPT_STR, BH_CONTROL_DEFAULT, "SOCKET", 0, 0,
			   "the agent's control socket" },
	[BH_O_CONTROL_ALLOW_UID] = { "control-allow-uid", 0, BH_OPT_NUM, NULL, "UID", 0, UINT32_MAX - 1,
				     "a user besides root allowed on the control socket (which is chowned to it)" },
	[BH_O_JSON] = { "json", 0, BH_OPT_BOOL, NULL, NULL, 0, 0, "print JSON" },
	[BH_O_LOG_GROUP] = { "log-group", 0, BH_OPT_NUM, STR(BH_LOG_GROUP), "N", 0, 65535,
			     "NFLOG group of the log statements" },
	[BH_O_LOG_RATE] = { "log-rate", 0, BH_OPT_NUM, STR(BH_LOG_RATE), "N", 0, UINT32_MAX,
			    "log lines per second per workload and direction (0: no limit)" },
	[BH_O_LOG_BURST] = { "log-burst", 0, BH_OPT_NUM, STR(BH_LOG_BURST), "N", 0, UINT32_MAX,
			     "burst of the log limit (0 acts as 1)" },
	[BH_O_GENERATION] = { "generation", 0, BH_OPT_NUM, NULL, "N", 1, (1ull << 53) - 1,
			      "generation in the log prefixes bh/N/... (default: one more than "
			      "the highest in the namespaces' tables; 1 when there is none)" },
	[BH_O_RESYNC_INTERVAL] = { "resync-interval", 0, BH_OPT_NUM, "60", "SEC", 0, 86400,
				   "full resync period: re-create tables removed by hand (0: never)" },
	[BH_O_DEBOUNCE_MS] = { "debounce-ms", 0, BH_OPT_NUM, "200", "MS", 0, 60000,
			       "delay between a file change and the reconcile" },
	[BH_O_REMOVE_ON_EXIT] = { "remove-on-exit", 0, BH_OPT_BOOL, NULL, NULL, 0, 0,
				  "delete the tables on SIGTERM/SIGINT; rules stay in force otherwise" },
	[BH_O_TABLE_MODE] = { "table-mode", 0, BH_OPT_STR, "auto", "auto|owned|unowned", 0, 0,
			      "owned: tables only this process may change, kept in force when it "
			      "exits (Linux 6.9+); unowned: plain tables; auto: owned where the kernel "
			      "keeps owned tables" },
	[BH_O_HOSTNAME] = { "hostname", 0, BH_OPT_STR, NULL, "NAME", 0, 0,
			    "host.hostname in log lines (the system hostname when unset)" },
#define LIMIT_OPT(field, id, name, def, help) \
	[BH_O_LIMIT_##id] = { "limit-" name, 0, BH_OPT_NUM, #def, "N", 1, UINT32_MAX, help },
	BH_LIMITS(LIMIT_OPT)
#undef LIMIT_OPT
	[BH_O_METRICS] = { "metrics", 0, BH_OPT_STR, NULL, "ADDR:PORT", 0, 0,
			   "serve Prometheus metrics at http://ADDR:PORT/metrics (off when unset)" },
	[BH_O_COMMUNITY_ID] = { "community-id", 0, BH_OPT_SWITCH, "on", "on|off", 0, 0,
				"network.community_id (Community ID v1) in every connection line" },
	[BH_O_COMMUNITY_ID_SEED] = { "community-id-seed", 0, BH_OPT_NUM, "0", "N", 0, 65535,
				     "seed of the Community ID hash (the same on every sensor)" },
	[BH_O_HELP] = { "help", 'h', BH_OPT_HELP, NULL, NULL, 0, 0, "this text" },
};

uint32_t *bh_opt_limit(struct bh_limits *l, enum bh_opt_id id)
{
	static const size_t off[] = {
#define LIMIT_OFF(field, id, name, def, help) offsetof(struct bh_limits, field),
		BH_LIMITS(LIMIT_OFF)
#undef LIMIT_OFF
	};
	size_t i = (size_t)id - BH_O_LIMIT_FIRST;

	return i < sizeof(off) / sizeof(off[0]) ? (uint32_t *)((char *)l + off[i]) : NULL;
}

int bh_opt_number(enum bh_opt_id id, const char *v, uint64_t *out)
{
	const struct bh_opt *o = &bh_opts[id];
	unsigned long long x;
	char *end;

	if (o->kind != BH_OPT_NUM || *v < '0' || *v > '9')
		return -EINVAL;
	errno = 0;
	x = strtoull(v, &end, 10);
	if (errno || *end || x < o->min || x > o->max)
		return -EINVAL;
	*out = x;
	return 0;
}

void bh_opt_bad_value(FILE *err, const char *cmd, enum bh_opt_id id, const char *v)
{
	const struct bh_opt *o = &bh_opts[id];

	if (!err)
		return;
	if (o->kind == BH_OPT_NUM)
		fprintf(err, "bulkhead %s: invalid value '%s' for --%s (expected %" PRIu64 "..%" PRIu64
			")\n", cmd, v, o->name, o->min, o->max);
	else
		fprintf(err, "bulkhead %s: invalid value '%s' for --%s\n", cmd, v, o->name);
}

void bh_opt_usage(FILE *out, enum bh_opt_id id)
{
	const struct bh_opt *o = &bh_opts[id];
	char head[64], letter[8] = "    ";

	if (o->letter)
		snprintf(letter, sizeof(letter), "-%c, ", o->letter);
	snprintf(head, sizeof(head), "%s--%s%s%s", letter, o->name,
		 o->arg && o->arg[0] != '[' ? " " : "", o->arg ? o->arg : "");
	fprintf(out, "  %-28s %s", head, o->help);
	if (o->kind == BH_OPT_OPTSTR)
		fprintf(out, " (socket default: %s)", o->def);
	else if (o->def)
		fprintf(out, " (default: %s)", o->def);
	fputc('\n', out);
}

/* The agent's flags and where each goes in struct bh_agent_config. */
static const struct agent_opt {
	enum bh_opt_id id;
	size_t off;
} agent_opts[] = {
#define OFF(f) offsetof(struct bh_agent_config, f)
	{ BH_O_CONFIG, OFF(config_file) },
	{ BH_O_POLICIES, OFF(policies) },
	{ BH_O_INVENTORY, OFF(inventory) },
	{ BH_O_DOCKER, OFF(docker) },
	{ BH_O_LOG, OFF(logs) },
	{ BH_O_CONTROL, OFF(control) },
	{ BH_O_CONTROL_ALLOW_UID, OFF(control_allow_uid) },
	{ BH_O_LOG_GROUP, OFF(log_group) },
	{ BH_O_LOG_RATE, OFF(log_rate) },
	{ BH_O_LOG_BURST, OFF(log_burst) },
	{ BH_O_RESYNC_INTERVAL, OFF(resync_interval) },
	{ BH_O_DEBOUNCE_MS, OFF(debounce_ms) },
	{ BH_O_REMOVE_ON_EXIT, OFF(remove_on_exit) },
	{ BH_O_TABLE_MODE, OFF(table_mode) },
	{ BH_O_HOSTNAME, OFF(hostname) },
#define LIMIT_AGENT_OPT(field, id, name, def, help) { BH_O_LIMIT_##id, OFF(limits.field) },
	BH_LIMITS(LIMIT_AGENT_OPT)
#undef LIMIT_AGENT_OPT
	{ BH_O_METRICS, OFF(metrics) },
	{ BH_O_COMMUNITY_ID, OFF(community_id) },
	{ BH_O_COMMUNITY_ID_SEED, OFF(community_id_seed) },
	{ BH_O_HELP, OFF(help) },
#undef OFF
};

#define N_OPTS (sizeof(agent_opts) / sizeof(agent_opts[0]))

static const struct bh_opt *def_of(const struct agent_opt *a)
{
	return &bh_opts[a->id];
}

static char **str_at(struct bh_agent_config *c, const struct agent_opt *a)
{
	return (char **)((char *)c + a->off);
}

static int set_str(char **dst, const char *v)
{
	char *s = strdup(v);

	if (!s)
		return -ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

static void list_clear(struct bh_agent_config *c)
{
	for (size_t i = 0; i < c->n_logs; i++)
		free(c->logs[i]);
	free(c->logs);
	c->logs = NULL;
	c->n_logs = 0;
}

static int list_add(struct bh_agent_config *c, const char *v)
{
	char **n = realloc(c->logs, (c->n_logs + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	c->logs = n;
	c->logs[c->n_logs] = strdup(v);
	if (!c->logs[c->n_logs])
		return -ENOMEM;
	c->n_logs++;
	return 0;
}

static int parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };

	for (size_t i = 0; i < 4; i++) {
		if (!strcasecmp(v, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(v, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

/* Apply one value; v may be NULL for BH_OPT_BOOL / BH_OPT_OPTSTR / BH_OPT_HELP. */
static int opt_apply(struct bh_agent_config *c, const struct agent_opt *a, const char *v)
{
	const struct bh_opt *o = def_of(a);
	uint64_t n;

	switch (o->kind) {
	case BH_OPT_STR:
		return set_str(str_at(c, a), v);
	case BH_OPT_OPTSTR:
		return set_str(str_at(c, a), v ? v : o->def);
	case BH_OPT_LIST:
		return list_add(c, v);
	case BH_OPT_NUM:
		/* every number the agent takes fits 32 bits (the table's ranges) */
		if (bh_opt_number(a->id, v, &n) < 0)
			return -EINVAL;
		*(uint32_t *)((char *)c + a->off) = (uint32_t)n;
		return 0;
	case BH_OPT_BOOL:
		if (!v) {
			*(bool *)((char *)c + a->off) = true;
			return 0;
		}
		return parse_bool(v, (bool *)((char *)c + a->off));
	case BH_OPT_SWITCH:
		return parse_bool(v, (bool *)((char *)c + a->off));
	case BH_OPT_HELP:
		c->help = true;
		return 0;
	}
	return -EINVAL;
}

static const struct agent_opt *opt_find(const char *name, size_t len)
{
	for (size_t i = 0; i < N_OPTS; i++) {
		const char *n = def_of(&agent_opts[i])->name;

		if (strlen(n) == len && !strncmp(n, name, len))
			return &agent_opts[i];
	}
	return NULL;
}

static const struct agent_opt *opt_letter(char l)
{
	for (size_t i = 0; l && i < N_OPTS; i++)
		if (def_of(&agent_opts[i])->letter == l)
			return &agent_opts[i];
	return NULL;
}

int bh_agent_config_init(struct bh_agent_config *c)
{
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < N_OPTS; i++) {
		const struct bh_opt *o = def_of(&agent_opts[i]);
		int r;

		if (!o->def || o->kind == BH_OPT_OPTSTR || o->kind == BH_OPT_LIST ||
		    o->kind == BH_OPT_BOOL)
			continue;
		r = opt_apply(c, &agent_opts[i], o->def);
		if (r < 0) {
			bh_agent_config_deinit(c);
			return r;
		}
	}
	return 0;
}

void bh_agent_config_deinit(struct bh_agent_config *c)
{
	for (size_t i = 0; i < N_OPTS; i++) {
		enum bh_opt_kind k = def_of(&agent_opts[i])->kind;

		if (k == BH_OPT_STR || k == BH_OPT_OPTSTR)
			free(*str_at(c, &agent_opts[i]));
	}
	list_clear(c);
	memset(c, 0, sizeof(*c));
}

void bh_agent_config_usage(FILE *out)
{
	fprintf(out, "Usage: bulkhead agent [OPTIONS]\n\n"
		     "The node agent: watches workloads and policies, keeps every\n"
		     "namespace's nftables table in force and logs denied connections.\n"
		     "The policy directory and the inventory are watched; without --docker\n"
		     "the Docker source is off.\n\n");
	for (size_t i = 0; i < N_OPTS; i++)
		bh_opt_usage(out, agent_opts[i].id);
	fprintf(out, "\nSignals: SIGTERM/SIGINT stop (rules stay in force unless --remove-on-exit),\n"
		     "SIGHUP reloads everything and reopens file sinks, SIGUSR1 reopens file sinks.\n"
		     "Exit status: 0 stopped by a signal, 1 a failure while starting the loop\n"
		     "(a socket or a source), 2 usage error or invalid or unreadable input.\n");
}

int bh_agent_config_addr(const char *s, struct sockaddr_storage *ss, unsigned int *len)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	const char *colon = strrchr(s, ':');
	char host[INET6_ADDRSTRLEN + 2];
	size_t hl;
	uint64_t port;
	char *end;

	if (!colon || colon[1] < '0' || colon[1] > '9')
		return -EINVAL;
	errno = 0;
	port = strtoull(colon + 1, &end, 10);
	if (errno || *end || port < 1 || port > 65535)
		return -EINVAL;
	hl = (size_t)(colon - s);
	if (hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, hl);
	host[hl] = 0;
	memset(ss, 0, sizeof(*ss));
	if (host[0] == '[') {
		if (hl < 3 || host[hl - 1] != ']')
			return -EINVAL;
		host[hl - 1] = 0;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*in6);
		return inet_pton(AF_INET6, host + 1, &in6->sin6_addr) == 1 ? 0 : -EINVAL;
	}
	in->sin_family = AF_INET;
	in->sin_port = htons((uint16_t)port);
	*len = sizeof(*in);
	if (!hl) {
		/* ":PORT": every address, IPv6 and IPv4 */
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		in6->sin6_addr = in6addr_any;
		*len = sizeof(*in6);
		return 0;
	}
	return inet_pton(AF_INET, host, &in->sin_addr) == 1 ? 0 : -EINVAL;
}

/* ---- config file ------------------------------------------------------------ */

static void file_err(FILE *err, const char *path, const yaml_mark_t *m, const char *msg,
		     const char *what)
{
	if (err)
		fprintf(err, "%s:%zu:%zu: error: %s%s%s\n", path, m->line + 1, m->column + 1, msg,
			what ? ": " : "", what ? what : "");
}

/* `limits: {NAME: N, ...}`: each key is a limit-NAME setting. */
static int file_limits(struct bh_agent_config *c, yaml_document_t *doc, yaml_node_t *val,
		       const char *path, FILE *err)
{
	int r = 0;

	if (val->type != YAML_MAPPING_NODE) {
		file_err(err, path, &val->start_mark, "expected a mapping of limits", "limits");
		return -EINVAL;
	}
	for (yaml_node_pair_t *p = val->data.mapping.pairs.start; p < val->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);
		yaml_node_t *v = yaml_document_get_node(doc, p->value);
		const char *key = k && k->type == YAML_SCALAR_NODE ? (const char *)k->data.scalar.value : NULL;
		const struct agent_opt *o = NULL;
		char name[96];

		if (key && snprintf(name, sizeof(name), "limit-%s", key) < (int)sizeof(name))
			o = opt_find(name, strlen(name));
		if (!o || !v) {
			file_err(err, path, k ? &k->start_mark : &val->start_mark, "unknown limit", key);
			r = -EINVAL;
		} else if (v->type != YAML_SCALAR_NODE ||
			   opt_apply(c, o, (const char *)v->data.scalar.value)) {
			file_err(err, path, &v->start_mark, "invalid value for limit", key);
			r = -EINVAL;
		}
	}
	return r;
}

static int file_apply(struct bh_agent_config *c, yaml_document_t *doc, yaml_node_t *key,
		      yaml_node_t *val, const char *path, FILE *err)
{
	const char *name = (const char *)key->data.scalar.value;
	const struct agent_opt *o = opt_find(name, strlen(name));
	int r;

	if (!strcmp(name, "limits"))
		return file_limits(c, doc, val, path, err);
	if (!o || o->id == BH_O_HELP || o->id == BH_O_CONFIG) {
		file_err(err, path, &key->start_mark, "unknown setting", name);
		return -EINVAL;
	}
	if (def_of(o)->kind == BH_OPT_LIST) {
		list_clear(c);
		if (val->type == YAML_SCALAR_NODE)
			return list_add(c, (const char *)val->data.scalar.value);
		if (val->type != YAML_SEQUENCE_NODE) {
			file_err(err, path, &val->start_mark, "expected a list of sinks", name);
			return -EINVAL;
		}
		for (yaml_node_item_t *it = val->data.sequence.items.start;
		     it < val->data.sequence.items.top; it++) {
			yaml_node_t *n = yaml_document_get_node(doc, *it);

			if (!n || n->type != YAML_SCALAR_NODE) {
				file_err(err, path, n ? &n->start_mark : &val->start_mark,
					 "expected a sink spec", name);
				return -EINVAL;
			}
			r = list_add(c, (const char *)n->data.scalar.value);
			if (r < 0)
				return r;
		}
		return 0;
	}
	if (val->type != YAML_SCALAR_NODE) {
		file_err(err, path, &val->start_mark, "expected a single value", name);
		return -EINVAL;
	}
	if (def_of(o)->kind == BH_OPT_OPTSTR) {
		bool on;
		const char *v = (const char *)val->data.scalar.value;

		/* docker: true | false | /path/to/socket */
		if (!parse_bool(v, &on)) {
			free(*str_at(c, o));
			*str_at(c, o) = NULL;
			return on ? opt_apply(c, o, NULL) : 0;
		}
		return opt_apply(c, o, v);
	}
	r = opt_apply(c, o, (const char *)val->data.scalar.value);
	if (r == -EINVAL)
		file_err(err, path, &val->start_mark, "invalid value for", name);
	return r;
}

int bh_agent_config_load_file(struct bh_agent_config *c, const char *path, FILE *err)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	FILE *f;
	int r = 0;

	f = fopen(path, "r");
	if (!f) {
		r = -errno;
		if (err)
			fprintf(err, "%s: error: %s\n", path, strerror(-r));
		return r;
	}
	if (!yaml_parser_initialize(&parser)) {
		r = -ENOMEM;
		goto close_file;
	}
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		file_err(err, path, &parser.problem_mark, parser.problem ? parser.problem : "syntax error",
			 NULL);
		r = -EINVAL;
		goto free_parser;
	}
	root = yaml_document_get_root_node(&doc);
	if (!root)
		goto free_doc;	/* empty file: nothing to override */
	if (root->type != YAML_MAPPING_NODE) {
		file_err(err, path, &root->start_mark, "expected a mapping of settings", NULL);
		r = -EINVAL;
		goto free_doc;
	}
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
	     p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(&doc, p->key);
		yaml_node_t *v = yaml_document_get_node(&doc, p->value);
		int e;

		if (!k || !v || k->type != YAML_SCALAR_NODE) {
			file_err(err, path, k ? &k->start_mark : &root->start_mark,
				 "expected a setting name", NULL);
			r = -EINVAL;
			continue;
		}
		e = file_apply(c, &doc, k, v, path, err);
		if (e == -ENOMEM) {
			r = e;
			break;
		}
		if (e < 0)
			r = e;
	}
free_doc:
	yaml_document_delete(&doc);
free_parser:
	yaml_parser_delete(&parser);
close_file:
	fclose(f);
	return r;
}

/* ---- command line ----------------------------------------------------------- */

static int argv_config_file(int argc, char **argv, const char **path)
{
	*path = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--config")) {
			if (i + 1 >= argc)
				return -EINVAL;
			*path = argv[i + 1];
		} else if (!strncmp(argv[i], "--config=", 9)) {
			*path = argv[i] + 9;
		}
	}
	return 0;
}

int bh_agent_config_parse(struct bh_agent_config *c, int argc, char **argv, FILE *err)
{
	const char *cfg;
	bool logs_from_argv = false;
	int r;

	if (argv_config_file(argc, argv, &cfg) < 0) {
		if (err)
			fprintf(err, "bulkhead agent: --config needs a FILE\n");
		return -EINVAL;
	}
	if (cfg) {
		r = bh_agent_config_load_file(c, cfg, err);
		if (r < 0)
			return r == -ENOMEM ? r : -EINVAL;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = NULL, *eq = NULL;
		const struct agent_opt *o;
		enum bh_opt_kind k;

		if (a[0] == '-' && a[1] && a[1] != '-') {
			/* -X VALUE or -XVALUE, X a short letter of the table */
			o = opt_letter(a[1]);
			if (o && a[2])
				eq = a + 1;	/* the value follows the letter */
		} else if (!strncmp(a, "--", 2)) {
			eq = strchr(a + 2, '=');
			o = opt_find(a + 2, eq ? (size_t)(eq - a - 2) : strlen(a + 2));
		} else {
			if (err)
				fprintf(err, "bulkhead agent: unexpected argument '%s'\n", a);
			return -EINVAL;
		}
		if (!o) {
			if (err)
				fprintf(err, "bulkhead agent: unknown option '%s'\n", a);
			return -EINVAL;
		}
		k = def_of(o)->kind;
		if (eq) {
			v = eq + 1;
			if (k == BH_OPT_HELP || (k == BH_OPT_BOOL && a[1] != '-')) {
				if (err)
					fprintf(err, "bulkhead agent: '%s' takes no value\n", a);
				return -EINVAL;
			}
		} else if (k == BH_OPT_STR || k == BH_OPT_LIST || k == BH_OPT_NUM ||
			   k == BH_OPT_SWITCH) {
			if (i + 1 >= argc) {
				if (err)
					fprintf(err, "bulkhead agent: %s needs a value\n", a);
				return -EINVAL;
			}
			v = argv[++i];
		}
		if (k == BH_OPT_LIST && !logs_from_argv) {
			list_clear(c);	/* flags replace the file's list */
			logs_from_argv = true;
		}
		r = opt_apply(c, o, v);
		if (r == -ENOMEM)
			return r;
		if (r < 0) {
			bh_opt_bad_value(err, "agent", o->id, v ? v : "");
			return -EINVAL;
		}
	}
	if (c->metrics && bh_agent_config_addr(c->metrics, &(struct sockaddr_storage){ 0 },
					       &(unsigned int){ 0 }) < 0) {
		bh_opt_bad_value(err, "agent", BH_O_METRICS, c->metrics);
		return -EINVAL;
	}
	if (!c->n_logs) {
		r = list_add(c, "-");
		if (r < 0)
			return r;
	}
	if (strcmp(c->table_mode, "auto") && strcmp(c->table_mode, "owned") &&
	    strcmp(c->table_mode, "unowned")) {
		if (err)
			fprintf(err, "bulkhead agent: invalid value '%s' for --table-mode "
				"(auto, owned or unowned)\n", c->table_mode);
		return -EINVAL;
	}
	return 0;
}
