// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdio.h>

#include "cmd.h"

int bh_cmd_reset(int argc, char **argv)
{
	fprintf(stderr, "bulkhead reset: not available in this build\n");
	return 2;
}
