// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdio.h>

#include "cmd.h"

int bh_cmd_apply(int argc, char **argv)
{
	fprintf(stderr, "bulkhead apply: not available in this build\n");
	return 2;
}
