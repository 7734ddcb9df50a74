// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cli.h"
#include "policy/compile.h"
#include "policy/model.h"

/* ---- parsing ------------------------------------------------------------------- */

/* The value getopt_long returns for flag k of a command (shared ones first). */
static int flag_val(const struct bh_cli_spec *spec, size_t k)
{
	char l = k < spec->n_shared ? bh_opts[spec->shared[k]].letter
				    : spec->local[k - spec->n_shared].letter;

	return l ? l : 0x100 + (int)k;
}

static int has_arg_of(enum bh_opt_kind kind)
{
	switch (kind) {
	case BH_OPT_STR:
	case BH_OPT_LIST:
	case BH_OPT_NUM:
	case BH_OPT_SWITCH:
		return required_argument;
	case BH_OPT_OPTSTR:
		return optional_argument;
	default:
		return no_argument;
	}
}

int bh_cli_usage_error(const struct bh_cli_spec *spec, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bulkhead %s: ", spec->cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(see 'bulkhead %s --help')\n", spec->cmd);
	return BH_EXIT_CANNOT;
}

/* One shared flag's value into out. 0, or BH_EXIT_CANNOT (printed). */
static int shared_set(const struct bh_cli_spec *spec, enum bh_opt_id id, const char *arg,
		      struct bh_cli *out)
{
	uint64_t v;

	switch (bh_opts[id].kind) {
	case BH_OPT_NUM:
		if (bh_opt_number(id, arg, &v) < 0) {
			bh_opt_bad_value(stderr, spec->cmd, id, arg);
			return BH_EXIT_CANNOT;
		}
		if (id == BH_O_LOG_GROUP)
			out->emit.log_group = (uint16_t)v;
		else if (id == BH_O_LOG_RATE)
			out->emit.log_rate = (uint32_t)v;
		else if (id == BH_O_LOG_BURST)
			out->emit.log_burst = (uint32_t)v;
		else if (id == BH_O_GENERATION) {
			out->emit.generation = v;
			out->have_generation = true;
		} else if (bh_opt_limit(&out->limits, id)) {
			*bh_opt_limit(&out->limits, id) = (uint32_t)v;
		}
		return 0;
	case BH_OPT_OPTSTR:
		out->docker = arg ? arg : bh_opts[id].def;
		return 0;
	case BH_OPT_BOOL:
		out->json = true;
		return 0;
	default:
		break;
	}
	if (id == BH_O_INVENTORY) {
		out->inventory = arg;
	} else if (id == BH_O_CONTROL) {
		out->control = arg;
	} else if (id == BH_O_TABLE_MODE) {
		out->table_mode = arg;
	} else if (id == BH_O_POLICIES) {
		if (out->n_policies == BH_CLI_MAX_POLICIES)
			return bh_cli_usage_error(spec, "more than %d --policies", BH_CLI_MAX_POLICIES);
		out->policies[out->n_policies++] = arg;
	}
	return 0;
}

int bh_cli_parse(const struct bh_cli_spec *spec, int argc, char **argv, struct bh_cli *out,
		 int (*on_local)(void *ctx, size_t idx, const char *arg), void *ctx)
{
	size_t n = spec->n_shared + spec->n_local, k;
	struct option *lo = calloc(n + 1, sizeof(*lo));
	char *so = malloc(3 * n + 3), *p;
	int rc = 0, opt;

	memset(out, 0, sizeof(*out));
	out->control = BH_CONTROL_DEFAULT;
	out->table_mode = bh_opts[BH_O_TABLE_MODE].def;
	bh_emit_opts_default(&out->emit);
	bh_limits_default(&out->limits);
	if (!lo || !so) {
		fprintf(stderr, "bulkhead %s: out of memory\n", spec->cmd);
		rc = BH_EXIT_CANNOT;
		goto out;
	}
	/* ':' first: a missing value comes back as ':'; flags may follow operands */
	p = so + sprintf(so, ":");
	for (k = 0; k < n; k++) {
		const char *name;
		int has;

		if (k < spec->n_shared) {
			name = bh_opts[spec->shared[k]].name;
			has = has_arg_of(bh_opts[spec->shared[k]].kind);
		} else {
			name = spec->local[k - spec->n_shared].name;
			has = spec->local[k - spec->n_shared].has_arg;
		}
		lo[k] = (struct option){ name, has, NULL, flag_val(spec, k) };
		if (flag_val(spec, k) < 0x100)
			p += sprintf(p, "%c%s", flag_val(spec, k),
				     has == required_argument ? ":" : has == optional_argument ? "::" : "");
	}
	optind = 1;
	opterr = 0;
	while (!rc && (opt = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		if (opt == '?' || opt == ':') {
			rc = bh_cli_usage_error(spec, opt == ':' ? "'%s' needs a value" :
						"unknown option '%s'", argv[optind - 1]);
			break;
		}
		for (k = 0; k < n && flag_val(spec, k) != opt; k++)
			;
		if (k < spec->n_shared && spec->shared[k] == BH_O_HELP) {
			bh_cli_usage(spec, stdout);
			rc = -1;
		} else if (k < spec->n_shared) {
			rc = shared_set(spec, spec->shared[k], optarg, out);
		} else if (k < n && on_local(ctx, k - spec->n_shared, optarg) < 0) {
			rc = BH_EXIT_CANNOT;
		}
	}
	out->first_operand = optind;
	if (!rc && !spec->operands && optind < argc)
		rc = bh_cli_usage_error(spec, "unexpected argument '%s'", argv[optind]);
out:
	free(lo);
	free(so);
	return rc;
}

void bh_cli_usage(const struct bh_cli_spec *spec, FILE *f)
{
	fprintf(f, "Usage: bulkhead %s\n\n%s\n\n", spec->synopsis, spec->about);
	for (size_t k = 0; k < spec->n_shared; k++)
		if (spec->shared[k] != BH_O_HELP)
			bh_opt_usage(f, spec->shared[k]);
	for (size_t k = 0; k < spec->n_local; k++) {
		const struct bh_cli_local *l = &spec->local[k];
		char head[64], letter[8] = "    ";

		if (l->letter)
			snprintf(letter, sizeof(letter), "-%c, ", l->letter);
		snprintf(head, sizeof(head), "%s--%s%s%s", letter, l->name,
			 l->arg && l->arg[0] != '[' ? " " : "", l->arg ? l->arg : "");
		fprintf(f, "  %-28s %s\n", head, l->help);
	}
	bh_opt_usage(f, BH_O_HELP);
	if (spec->exit_status)
		fprintf(f, "\n%s\n", spec->exit_status);
}

/* ---- inputs -------------------------------------------------------------------- */

void bh_cli_inputs_free(struct bh_cli_inputs *in)
{
	bh_compiled_free(in->c);
	bh_policy_set_free(in->pols);
	bh_inventory_free(in->inv);
	memset(in, 0, sizeof(*in));
}

int bh_cli_load(const char *inventory, const char *const *policies, size_t n_policies,
		bool compile, const struct bh_limits *lim, struct bh_cli_inputs *in)
{
	struct bh_diag diag;
	int ret = 0;

	memset(in, 0, sizeof(*in));
	bh_diag_init(&diag);
	if (inventory)
		ret = bh_inventory_load(inventory, &diag, &in->inv);
	else
		ret = bh_inventory_load_buf("<empty inventory>", "", 0, &diag, &in->inv);
	if (n_policies) {
		if (bh_policy_set_load_limited(policies, n_policies, lim, &diag, &in->pols))
			ret = -EINVAL;
	} else if (bh_policy_set_load_buf_limited("<no policies>", "", 0, lim, &diag, &in->pols)) {
		ret = -EINVAL;
	}
	if (ret || bh_diag_count(&diag)) {
		bh_diag_print(&diag, stderr);
		if (!bh_diag_count(&diag))
			fprintf(stderr, "bulkhead: loading failed: %s\n", strerror(-ret));
		goto fail;
	}
	if (compile && (ret = bh_compile_limited(in->pols, in->inv, lim, &diag, &in->c))) {
		if (bh_diag_count(&diag))
			bh_diag_print(&diag, stderr);
		else
			fprintf(stderr, "bulkhead: compiling failed: %s\n", strerror(-ret));
		goto fail;
	}
	bh_diag_deinit(&diag);
	return 0;
fail:
	bh_diag_deinit(&diag);
	bh_cli_inputs_free(in);
	return -1;
}

int bh_cli_split_workload(char *s, const char **ns, const char **name)
{
	char *slash = strchr(s, '/');

	if (!slash) {
		*ns = "default";
		*name = s;
		return *s ? 0 : -1;
	}
	*slash = '\0';
	*ns = s;
	*name = slash + 1;
	return **ns && **name && !strchr(*name, '/') ? 0 : -1;
}
