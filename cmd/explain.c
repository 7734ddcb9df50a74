// SPDX-License-Identifier: GPL-2.0-or-later
/* bulkhead explain: can A reach B? Answers from the compiled rulesets. */
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "policy/compile.h"
#include "policy/explain.h"
#include "policy/model.h"

static const enum bh_opt_id shared[] = { BH_O_INVENTORY, BH_O_POLICIES, BH_O_LIMITS BH_O_HELP };

enum { L_FROM, L_TO, L_PORT, L_MATRIX };

static const struct bh_cli_local local[] = {
	[L_FROM] = { "from", 'f', required_argument, "A", "the client" },
	[L_TO] = { "to", 't', required_argument, "B", "the server" },
	[L_PORT] = { "port", 'P', required_argument, "P", "PORT[/tcp|udp|sctp] (default 80/tcp)" },
	[L_MATRIX] = { "matrix", 'm', no_argument, NULL,
		       "every pair of workloads ('.' allowed, 'X' denied, '?' no address)" },
};

static const struct bh_cli_spec spec = {
	.cmd = "explain",
	.synopsis = "explain --inventory FILE --policies PATH --from A --to B [--port P]\n"
		    "       bulkhead explain --inventory FILE --policies PATH --matrix [--port P]",
	.about = "Answers whether A can open a connection to B, and why, from the same\n"
		 "compiled rules the kernel gets. A and B are NS/NAME (a workload of the\n"
		 "inventory; NAME alone means namespace default) or an IP address.",
	.shared = shared,
	.n_shared = sizeof(shared) / sizeof(shared[0]),
	.local = local,
	.n_local = sizeof(local) / sizeof(local[0]),
	.exit_status = "Exit status: 0 allowed (--matrix: printed), 1 denied, 2 usage error,\n"
		       "unreadable or invalid input, or an unknown workload.",
};

struct explain_args {
	const char *from, *to;
	bool matrix;
	uint16_t port;
	uint8_t proto;
};

static int on_local(void *ctx, size_t idx, const char *arg)
{
	struct explain_args *x = ctx;

	switch (idx) {
	case L_FROM:
		x->from = arg;
		break;
	case L_TO:
		x->to = arg;
		break;
	case L_MATRIX:
		x->matrix = true;
		break;
	case L_PORT:
		if (bh_port_spec_parse(arg, &x->proto, &x->port)) {
			bh_cli_usage_error(&spec, "invalid port '%s' (expected PORT[/tcp|udp|sctp])", arg);
			return -1;
		}
		break;
	}
	return 0;
}

/* Resolves "ns/name" or an address. 0, or -1 with a message printed. */
static int parse_endpoint(const struct bh_inventory *inv, const char *arg, struct bh_endpoint *ep)
{
	const char *ns, *name;
	char *copy;

	memset(ep, 0, sizeof(*ep));
	if (!bh_addr_parse(arg, &ep->addr)) {
		ep->wl = bh_inventory_find_ip(inv, &ep->addr);
		return 0;
	}
	copy = strdup(arg);
	if (!copy || bh_cli_split_workload(copy, &ns, &name)) {
		fprintf(stderr, "bulkhead explain: '%s' is neither NS/NAME nor an IP address\n", arg);
		free(copy);
		return -1;
	}
	ep->wl = bh_inventory_find(inv, ns, name);
	if (!ep->wl)
		fprintf(stderr, "bulkhead explain: no workload %s/%s in the inventory\n", ns, name);
	free(copy);
	return ep->wl ? 0 : -1;
}

/* Gives a workload endpoint an address of the wanted family (0: its first). */
static bool pick_addr(struct bh_endpoint *ep, int family)
{
	if (!ep->wl || ep->addr.family)
		return !family || ep->addr.family == family;
	for (size_t i = 0; i < ep->wl->n_ips; i++)
		if (!family || ep->wl->ips[i].family == family) {
			ep->addr = ep->wl->ips[i];
			return true;
		}
	return false;
}

/* Addresses for both ends in one family. */
static bool pick_pair(struct bh_endpoint *from, struct bh_endpoint *to)
{
	static const int fams[] = { AF_INET, AF_INET6 };

	if (from->addr.family)
		return pick_addr(to, from->addr.family);
	if (to->addr.family)
		return pick_addr(from, to->addr.family);
	for (size_t i = 0; i < 2; i++) {
		struct bh_endpoint f = *from, t = *to;

		if (pick_addr(&f, fams[i]) && pick_addr(&t, fams[i])) {
			*from = f;
			*to = t;
			return true;
		}
	}
	return false;
}

static int matrix(const struct bh_compiled *c, uint8_t proto, uint16_t port)
{
	const struct bh_inventory *inv = c->inv;
	size_t width = 4;

	for (size_t i = 0; i < inv->n_wl; i++) {
		size_t l = strlen(inv->wl[i].namespace) + strlen(inv->wl[i].name) + 1;

		if (l > width)
			width = l;
	}
	printf("port %u/%s: rows are clients, columns servers ('.' allowed, 'X' denied)\n",
	       port, bh_proto_name(proto));
	printf("%-*s", (int)width + 2, "");
	for (size_t j = 0; j < inv->n_wl; j++)
		printf(" %zu", j + 1);
	putchar('\n');
	for (size_t i = 0; i < inv->n_wl; i++) {
		char name[600];

		snprintf(name, sizeof(name), "%s/%s", inv->wl[i].namespace, inv->wl[i].name);
		printf("%2zu %-*s", i + 1, (int)width - 1, name);
		for (size_t j = 0; j < inv->n_wl; j++) {
			struct bh_endpoint from = { .wl = &inv->wl[i] }, to = { .wl = &inv->wl[j] };
			struct bh_explain e;
			char mark = '?';

			if (i == j) {
				mark = '.';
			} else if (pick_pair(&from, &to)) {
				bh_explain_conn(c, &from, &to, proto, port, &e);
				mark = e.allowed ? '.' : 'X';
			}
			printf(" %*c", (int)(j + 1 >= 10 ? 2 : 1) + (j + 1 >= 100), mark);
		}
		putchar('\n');
	}
	return 0;
}

int bh_cmd_explain(int argc, char **argv)
{
	struct explain_args x = { .port = 80, .proto = IPPROTO_TCP };
	struct bh_endpoint from, to;
	struct bh_cli_inputs in;
	struct bh_explain e;
	struct bh_cli a;
	int ret;

	ret = bh_cli_parse(&spec, argc, argv, &a, on_local, &x);
	if (ret)
		return ret < 0 ? 0 : ret;
	if (!a.inventory || !a.n_policies || (!x.matrix && (!x.from || !x.to)) ||
	    (x.matrix && (x.from || x.to)))
		return bh_cli_usage_error(&spec, "need --inventory, --policies and either --from and "
					  "--to, or --matrix");
	if (bh_cli_load(a.inventory, a.policies, a.n_policies, true, &a.limits, &in))
		return BH_EXIT_CANNOT;
	ret = BH_EXIT_CANNOT;
	if (x.matrix) {
		ret = matrix(in.c, x.proto, x.port);
		goto out;
	}
	if (parse_endpoint(in.inv, x.from, &from) || parse_endpoint(in.inv, x.to, &to))
		goto out;
	if (!pick_pair(&from, &to)) {
		fprintf(stderr, "bulkhead explain: %s and %s have no addresses of one family to test\n",
			x.from, x.to);
		goto out;
	}
	bh_explain_conn(in.c, &from, &to, x.proto, x.port, &e);
	bh_explain_print(stdout, in.c, &from, &to, x.proto, x.port, &e);
	ret = e.allowed ? BH_EXIT_OK : BH_EXIT_NO;
out:
	bh_cli_inputs_free(&in);
	return ret;
}
