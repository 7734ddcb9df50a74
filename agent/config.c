// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "agent/config.h"

enum opt_kind {
	OPT_STR,	/* --x VALUE */
	OPT_OPTSTR,	/* --x or --x=VALUE (value defaults to opt->def) */
	OPT_LIST,	/* repeatable --x VALUE */
	OPT_U32,
	OPT_BOOL,	/* --x (file: true/false) */
	OPT_HELP,
};

struct opt {
	const char *name;
	enum opt_kind kind;
	size_t off;
	const char *def;	/* default, as text ("" means none) */
	const char *arg;	/* metavariable in --help */
	uint32_t min, max;
	const char *help;
};

#define OFF(f) offsetof(struct bh_agent_config, f)

static const struct opt opts[] = {
	{ "config", OPT_STR, OFF(config_file), NULL, "FILE", 0, 0,
	  "YAML file whose keys are these option names; flags override it" },
	{ "policies", OPT_STR, OFF(policies), NULL, "DIR", 0, 0,
	  "directory of NetworkPolicy YAML files (watched)" },
	{ "inventory", OPT_STR, OFF(inventory), NULL, "FILE", 0, 0,
	  "inventory of workloads in plain network namespaces (watched)" },
	{ "docker", OPT_OPTSTR, OFF(docker), BH_DOCKER_DEFAULT, "[=SOCKET]", 0, 0,
	  "follow the containers of a Docker Engine (off unless given)" },
	{ "log", OPT_LIST, OFF(logs), "-", "FILE|-", 0, 0,
	  "denied-connection log sink, repeatable (- is stdout; see sink specs)" },
	{ "control", OPT_STR, OFF(control), BH_CONTROL_DEFAULT, "SOCKET", 0, 0,
	  "control socket for `bulkhead status` and `bulkhead reload`" },
	{ "log-group", OPT_U32, OFF(log_group), "100", "N", 1, 65535, "NFLOG group" },
	{ "log-rate", OPT_U32, OFF(log_rate), "100", "N", 0, UINT32_MAX,
	  "log messages per second per workload and direction (0: no limit)" },
	{ "log-burst", OPT_U32, OFF(log_burst), "200", "N", 0, UINT32_MAX, "log burst" },
	{ "resync-interval", OPT_U32, OFF(resync_interval), "60", "SEC", 0, 86400,
	  "full resync period: re-create tables removed by hand (0: never)" },
	{ "debounce-ms", OPT_U32, OFF(debounce_ms), "200", "MS", 0, 60000,
	  "delay between a file change and the reconcile" },
	{ "remove-on-exit", OPT_BOOL, OFF(remove_on_exit), "off", NULL, 0, 0,
	  "delete the tables on SIGTERM/SIGINT; rules stay in force otherwise" },
	{ "hostname", OPT_STR, OFF(hostname), NULL, "NAME", 0, 0,
	  "host.hostname in log lines (the system hostname when unset)" },
	{ "help", OPT_HELP, OFF(help), NULL, NULL, 0, 0, "this text" },
};

#define N_OPTS (sizeof(opts) / sizeof(opts[0]))

static char **str_at(struct bh_agent_config *c, const struct opt *o)
{
	return (char **)((char *)c + o->off);
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

static int parse_u32(const struct opt *o, const char *v, uint32_t *out)
{
	unsigned long long x;
	char *end;

	if (!*v || *v == '-')
		return -EINVAL;
	errno = 0;
	x = strtoull(v, &end, 10);
	if (errno || *end || x < o->min || x > o->max)
		return -EINVAL;
	*out = (uint32_t)x;
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

/* Apply one value; v may be NULL for OPT_BOOL / OPT_OPTSTR / OPT_HELP. */
static int opt_apply(struct bh_agent_config *c, const struct opt *o, const char *v)
{
	switch (o->kind) {
	case OPT_STR:
		return set_str(str_at(c, o), v);
	case OPT_OPTSTR:
		return set_str(str_at(c, o), v ? v : o->def);
	case OPT_LIST:
		return list_add(c, v);
	case OPT_U32:
		return parse_u32(o, v, (uint32_t *)((char *)c + o->off));
	case OPT_BOOL:
		if (!v) {
			*(bool *)((char *)c + o->off) = true;
			return 0;
		}
		return parse_bool(v, (bool *)((char *)c + o->off));
	case OPT_HELP:
		c->help = true;
		return 0;
	}
	return -EINVAL;
}

static const struct opt *opt_find(const char *name, size_t len)
{
	for (size_t i = 0; i < N_OPTS; i++)
		if (strlen(opts[i].name) == len && !strncmp(opts[i].name, name, len))
			return &opts[i];
	return NULL;
}

int bh_agent_config_init(struct bh_agent_config *c)
{
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < N_OPTS; i++) {
		const struct opt *o = &opts[i];
		int r;

		if (!o->def || o->kind == OPT_OPTSTR || o->kind == OPT_LIST || o->kind == OPT_BOOL)
			continue;
		r = opt_apply(c, o, o->def);
		if (r < 0) {
			bh_agent_config_deinit(c);
			return r;
		}
	}
	return 0;
}

void bh_agent_config_deinit(struct bh_agent_config *c)
{
	for (size_t i = 0; i < N_OPTS; i++)
		if (opts[i].kind == OPT_STR || opts[i].kind == OPT_OPTSTR)
			free(*str_at(c, &opts[i]));
	list_clear(c);
	memset(c, 0, sizeof(*c));
}

void bh_agent_config_usage(FILE *out)
{
	fprintf(out, "Usage: bulkhead agent [OPTIONS]\n\n"
		     "The node agent: watches workloads and policies, keeps every\n"
		     "namespace's nftables table in force and logs denied connections.\n\n");
	for (size_t i = 0; i < N_OPTS; i++) {
		const struct opt *o = &opts[i];
		char head[64];

		snprintf(head, sizeof(head), "--%s%s%s", o->name,
			 o->arg && o->arg[0] != '[' ? " " : "", o->arg ? o->arg : "");
		fprintf(out, "  %-26s %s", head, o->help);
		if (o->kind == OPT_OPTSTR)
			fprintf(out, " (socket default: %s)", o->def);
		else if (o->def)
			fprintf(out, " (default: %s)", o->def);
		else if (o->kind != OPT_HELP)
			fprintf(out, " (default: none)");
		fputc('\n', out);
	}
	fprintf(out, "\nSignals: SIGTERM/SIGINT stop (rules stay in force unless --remove-on-exit),\n"
		     "SIGHUP reloads everything and reopens file sinks, SIGUSR1 reopens file sinks.\n");
}

/* ---- config file ------------------------------------------------------------ */

static void file_err(FILE *err, const char *path, const yaml_mark_t *m, const char *msg,
		     const char *what)
{
	if (err)
		fprintf(err, "%s:%zu:%zu: error: %s%s%s\n", path, m->line + 1, m->column + 1, msg,
			what ? ": " : "", what ? what : "");
}

static int file_apply(struct bh_agent_config *c, yaml_document_t *doc, yaml_node_t *key,
		      yaml_node_t *val, const char *path, FILE *err)
{
	const char *name = (const char *)key->data.scalar.value;
	const struct opt *o = opt_find(name, strlen(name));
	int r;

	if (!o || o->kind == OPT_HELP || o->off == OFF(config_file)) {
		file_err(err, path, &key->start_mark, "unknown setting", name);
		return -EINVAL;
	}
	if (o->kind == OPT_LIST) {
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
	if (o->kind == OPT_OPTSTR) {
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
		const char *a = argv[i], *v = NULL, *eq;
		const struct opt *o;

		if (strncmp(a, "--", 2)) {
			if (!strcmp(a, "-h")) {
				c->help = true;
				continue;
			}
			if (err)
				fprintf(err, "bulkhead agent: unexpected argument '%s'\n", a);
			return -EINVAL;
		}
		eq = strchr(a + 2, '=');
		o = opt_find(a + 2, eq ? (size_t)(eq - a - 2) : strlen(a + 2));
		if (!o) {
			if (err)
				fprintf(err, "bulkhead agent: unknown option '%s'\n", a);
			return -EINVAL;
		}
		if (eq) {
			v = eq + 1;
			if (o->kind == OPT_HELP) {
				if (err)
					fprintf(err, "bulkhead agent: '%s' takes no value\n", a);
				return -EINVAL;
			}
		} else if (o->kind == OPT_STR || o->kind == OPT_LIST || o->kind == OPT_U32) {
			if (i + 1 >= argc) {
				if (err)
					fprintf(err, "bulkhead agent: %s needs a value\n", a);
				return -EINVAL;
			}
			v = argv[++i];
		}
		if (o->kind == OPT_LIST && !logs_from_argv) {
			list_clear(c);	/* flags replace the file's list */
			logs_from_argv = true;
		}
		r = opt_apply(c, o, v);
		if (r == -ENOMEM)
			return r;
		if (r < 0) {
			if (err)
				fprintf(err, "bulkhead agent: invalid value '%s' for --%s\n", v ? v : "",
					o->name);
			return -EINVAL;
		}
	}
	if (!c->n_logs) {
		r = list_add(c, "-");
		if (r < 0)
			return r;
	}
	return 0;
}
