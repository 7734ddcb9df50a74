// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cli.h"
#include "policy/compile.h"
#include "policy/model.h"

void bh_cli_inputs_free(struct bh_cli_inputs *in)
{
	bh_compiled_free(in->c);
	bh_policy_set_free(in->pols);
	bh_inventory_free(in->inv);
	memset(in, 0, sizeof(*in));
}

int bh_cli_load(const char *inventory, const char *policies, bool compile,
		struct bh_cli_inputs *in)
{
	struct bh_diag diag;
	int ret = 0;

	memset(in, 0, sizeof(*in));
	bh_diag_init(&diag);
	if (inventory)
		ret = bh_inventory_load(inventory, &diag, &in->inv);
	else
		ret = bh_inventory_load_buf("<empty inventory>", "", 0, &diag, &in->inv);
	if (policies) {
		const char *paths[1] = { policies };

		if (bh_policy_set_load(paths, 1, &diag, &in->pols))
			ret = -EINVAL;
	} else if (bh_policy_set_load_buf("<no policies>", "", 0, &diag, &in->pols)) {
		ret = -EINVAL;
	}
	if (ret || bh_diag_count(&diag)) {
		bh_diag_print(&diag, stderr);
		if (!bh_diag_count(&diag))
			fprintf(stderr, "bulkhead: loading failed: %s\n", strerror(-ret));
		goto fail;
	}
	if (compile && (ret = bh_compile(in->pols, in->inv, &in->c))) {
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

int bh_cli_number(const char *s, unsigned long long max, unsigned long long *out)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}
