// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The agent's command line and config file: the first byte picks the
 * surface, the rest is either NUL-separated argv words or a YAML config file
 * (read through a memfd). Every input must give 0 or -EINVAL, never a crash
 * or a leak.
 */
// fuzz-sources: agent/config.c
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "agent/config.h"

#define MAX_ARGS 64

static void fuzz_argv(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *argv[MAX_ARGS + 1];
	struct bh_agent_config c;
	int argc = 0;

	if (!buf)
		return;
	memcpy(buf, data, size);
	buf[size] = 0;
	argv[argc++] = (char *)"agent";
	for (char *p = buf; p < buf + size + 1 && argc < MAX_ARGS; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;
	if (bh_agent_config_init(&c) == 0) {
		int r = bh_agent_config_parse(&c, argc, argv, NULL);

		if (r != 0 && r != -EINVAL && r != -ENOMEM)
			abort();
		bh_agent_config_deinit(&c);
	}
	free(buf);
}

static void fuzz_file(const uint8_t *data, size_t size)
{
	struct bh_agent_config c;
	char path[64];
	int fd = memfd_create("cfg", 0);

	if (fd < 0)
		return;
	if (write(fd, data, size) == (ssize_t)size) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		if (bh_agent_config_init(&c) == 0) {
			bh_agent_config_load_file(&c, path, NULL);
			bh_agent_config_deinit(&c);
		}
	}
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	if (data[0] & 1)
		fuzz_file(data + 1, size - 1);
	else
		fuzz_argv(data + 1, size - 1);
	return 0;
}
