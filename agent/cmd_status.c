// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdio.h>

#include "cmd.h"

int bh_cmd_status(int argc, char **argv)
{
	fprintf(stderr, "bulkhead status: not available in this build\n");
	return 2;
}
