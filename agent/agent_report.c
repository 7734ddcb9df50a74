// SPDX-License-Identifier: GPL-2.0-or-later
/* The agent's error lines: stderr (escaped), the last error, and invalid-input lifecycle lines. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"
#include "policy/diag.h"

/* One line on stderr, escaped as a whole: it quotes input (policy/diag.h). */
void bh_agent__err(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	fputs("bulkhead agent: ", stderr);
	bh_diag_fputs(s, stderr);
	fputc('\n', stderr);
	free(s);
}

void bh_agent__set_last_error(struct bh_agent *a, const char *msg)
{
	free(a->last_error);
	a->last_error = msg ? strdup(msg) : NULL;
}

void bh_agent__report_diag(struct bh_agent *a, const char *action, const struct bh_diag *d)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct bh_loc *l = &d->v[i].loc;
		char *msg;

		int n = l->line ? asprintf(&msg, "%s:%u:%u: %s", l->file ? l->file : "?", l->line,
					   l->col, d->v[i].msg)
				: asprintf(&msg, "%s: %s", l->file ? l->file : "?", d->v[i].msg);

		if (n < 0)
			continue;
		bh_agent__err("%s: error: %s", action, msg);
		bh_out_lifecycle(&a->out, action, "failure",
				 json_pack("{s:s?, s:i, s:i, s:s, s:s}", "file", l->file, "line",
					   (int)l->line, "column", (int)l->col, "error", d->v[i].msg,
					   "kept", bh_state_current(&a->st) ? "last valid set stays in force"
									    : "nothing valid loaded yet"),
				 msg);
		if (i == 0)
			bh_agent__set_last_error(a, msg);
		free(msg);
	}
	if (d->oom)
		fprintf(stderr, "bulkhead agent: %s: out of memory recording errors\n", action);
}
