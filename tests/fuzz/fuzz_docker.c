// SPDX-License-Identifier: GPL-2.0-or-later
// fuzz-sources: source/docker_parse.c
/*
 * Everything the Docker daemon sends that the source parses: the first byte
 * picks the parser (inspect, list, event line, ports label), the rest is the
 * input. A mapped workload is deep-copied, compared and freed, so ASan sees
 * any half-initialised or leaked field.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "source/docker.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data + 1;
	size_t len = size ? size - 1 : 0;
	struct bh_workload wl, cp;
	struct bh_docker_event ev;
	struct bh_named_port *p;
	char why[256], *s, **ids;
	size_t n;

	if (!size)
		return 0;
	switch (data[0] % 4) {
	case 0:
		if (bh_docker_inspect_parse_buf(buf, len, &wl, why, sizeof(why)) >= 0) {
			if (!bh_workload_copy(&cp, &wl)) {
				if (!bh_docker_workload_equal(&cp, &wl))
					abort();
				bh_workload_deinit(&cp);
			}
			bh_workload_deinit(&wl);
		}
		break;
	case 1:
		if (!bh_docker_list_parse_buf(buf, len, &ids, &n)) {
			for (size_t i = 0; i < n; i++)
				free(ids[i]);
			free(ids);
		}
		break;
	case 2:
		bh_docker_event_parse_buf(buf, len, &ev);
		break;
	default:
		s = strndup(buf, len);
		if (s && !bh_docker_ports_parse(s, &p, &n, why, sizeof(why)))
			bh_docker_ports_free(p, n);
		free(s);
	}
	return 0;
}
