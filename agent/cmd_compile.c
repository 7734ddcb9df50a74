// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdio.h>

#include "cmd.h"

int bh_cmd_compile(int argc, char **argv)
{
	fprintf(stderr, "bulkhead compile: not available in this build\n");
	return 2;
}
