// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bhsleep [SECONDS]: the smallest container payload. Sleeps (forever by
 * default) and exits at once on SIGTERM/SIGINT, which a process running as
 * PID 1 in a container would otherwise ignore.
 */
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

static void on_term(int sig)
{
	_exit(0);
}

int main(int argc, char **argv)
{
	long secs = argc > 1 ? atol(argv[1]) : 0;

	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	if (secs > 0) {
		sleep((unsigned int)secs);
		return 0;
	}
	for (;;)
		pause();
}
