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

static void usage(FILE *f)
{
	fputs("Usage: bulkhead explain --inventory FILE --policies PATH --from A --to B [--port P]\n"
	      "       bulkhead explain --inventory FILE --policies PATH --matrix [--port P]\n\n"
	      "Answers whether A can open a connection to B, and why, from the same\n"
	      "compiled rules the kernel gets. A and B are NS/NAME (a workload of the\n"
	      "inventory; NAME alone means namespace default) or an IP address.\n"
	      "Exit status: 0 allowed, 1 denied, 2 usage or input error.\n\n"
	      "  -i, --inventory FILE   workloads and namespaces (required)\n"
	      "  -p, --policies PATH    policy file or directory (required)\n"
	      "  -f, --from A           the client\n"
	      "  -t, --to B             the server\n"
	      "  -P, --port P           PORT[/tcp|udp|sctp] (default 80/tcp)\n"
	      "  -m, --matrix           print the truth table of every pair of workloads\n"
	      "                         ('.' allowed, 'X' denied, '?' no address to test)\n"
	      "  -h, --help             this text\n", f);
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
	static const struct option opts[] = {
		{ "inventory", required_argument, NULL, 'i' },
		{ "policies", required_argument, NULL, 'p' },
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "port", required_argument, NULL, 'P' },
		{ "matrix", no_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *inv_path = NULL, *pol_path = NULL, *from_arg = NULL, *to_arg = NULL;
	struct bh_endpoint from, to;
	struct bh_cli_inputs in;
	struct bh_explain e;
	bool want_matrix = false;
	uint16_t port = 80;
	uint8_t proto = IPPROTO_TCP;
	int c, ret = 2;

	optind = 1;
	while ((c = getopt_long(argc, argv, "i:p:f:t:P:mh", opts, NULL)) != -1) {
		switch (c) {
		case 'i': inv_path = optarg; break;
		case 'p': pol_path = optarg; break;
		case 'f': from_arg = optarg; break;
		case 't': to_arg = optarg; break;
		case 'm': want_matrix = true; break;
		case 'P':
			if (bh_port_spec_parse(optarg, &proto, &port)) {
				fprintf(stderr, "bulkhead explain: invalid port '%s' (expected PORT[/tcp|udp|sctp])\n",
					optarg);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!inv_path || !pol_path || optind != argc ||
	    (!want_matrix && (!from_arg || !to_arg)) || (want_matrix && (from_arg || to_arg))) {
		fprintf(stderr, "bulkhead explain: need --inventory, --policies and either --from and --to, or --matrix\n");
		usage(stderr);
		return 2;
	}
	if (bh_cli_load(inv_path, pol_path, true, &in))
		return 2;
	if (want_matrix) {
		ret = matrix(in.c, proto, port);
		goto out;
	}
	if (parse_endpoint(in.inv, from_arg, &from) || parse_endpoint(in.inv, to_arg, &to))
		goto out;
	if (!pick_pair(&from, &to)) {
		fprintf(stderr, "bulkhead explain: %s and %s have no addresses of one family to test\n",
			from_arg, to_arg);
		goto out;
	}
	bh_explain_conn(in.c, &from, &to, proto, port, &e);
	bh_explain_print(stdout, in.c, &from, &to, proto, port, &e);
	ret = e.allowed ? 0 : 1;
out:
	bh_cli_inputs_free(&in);
	return ret;
}
