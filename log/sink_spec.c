// SPDX-License-Identifier: GPL-2.0-or-later
/* A sink spec (log/sink.h) names its kind: the table of kinds and bh_sink_open_from_spec. */
#include <errno.h>
#include <string.h>

#include "log/sink_int.h"

struct kind {
	const char *prefix;
	bool exact;			/* the whole spec, not a prefix */
	const struct bh__sink_ops *ops;	/* NULL: invalid */
};

/* The first entry that matches names the kind; ops->open gets the rest of the spec. */
static const struct kind kinds[] = {
	{ "-", true, &bh__sink_stdout_ops },
	{ "stdout", true, &bh__sink_stdout_ops },
	{ "syslog", true, &bh__sink_unix_ops },		/* /dev/log */
	{ "syslog+unix:", false, &bh__sink_unix_ops },
	{ "syslog+udp:", false, &bh__sink_udp_ops },
	{ "syslog+tcp:", false, &bh__sink_tcp_ops },
	{ "syslog", false, NULL },			/* any other syslog scheme */
	{ "file:", false, &bh__sink_file_ops },
	{ "", false, &bh__sink_file_ops },		/* a path */
};

/* A syslog spec's options ("?facility=...") are not part of its kind. */
static const struct kind *kind_of(const char *spec)
{
	size_t n = strlen(spec);

	if (!strncmp(spec, "syslog", 6) && strchr(spec, '?'))
		n = (size_t)(strchr(spec, '?') - spec);
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		const struct kind *k = &kinds[i];
		size_t l = strlen(k->prefix);

		if (k->exact ? n == l && !strncmp(spec, k->prefix, l) : n >= l && !strncmp(spec, k->prefix, l))
			return k;
	}
	return NULL;
}

int bh_sink_open_from_spec(uv_loop_t *loop, const char *spec, struct bh_sink **out)
{
	const struct kind *k;
	struct bh_sink *s;
	int err;

	if (!spec || !*spec)
		return -EINVAL;
	k = kind_of(spec);
	if (!k || !k->ops)
		return -EINVAL;
	if (!*k->prefix && strchr(spec, ':'))
		return -EINVAL;	/* "foo:bar" is a typo for a scheme, not a file name */
	err = bh__sink_alloc(loop, spec, k->ops, &s);
	if (err)
		return err;
	err = k->ops->open(s, spec + strlen(k->prefix));
	if (err) {
		bh__sink_free(s);
		return err;
	}
	bh__sink_start(s);
	*out = s;
	return 0;
}
