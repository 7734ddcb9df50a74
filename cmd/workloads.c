// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bulkhead workloads: print what the Docker workload source sees, one JSON
 * object per line, so operators (and tests) can check the identity, labels,
 * addresses and namespace bulkhead would enforce for each container.
 */
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <uv.h>

#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "source/docker.h"

struct wctx {
	uv_loop_t loop;
	uv_timer_t deadline;
	uv_signal_t sigint, sigterm;
	struct bh_docker *src;
	bool watch;
	bool synced_once;
	bool lost;		/* a LOST was printed and no SYNCED since */
	bool stopping;
	unsigned long max_events, n_events;
	int rc;
};

static const enum bh_opt_id shared[] = { BH_O_DOCKER, BH_O_HELP };

enum { L_WATCH, L_MAX_SECONDS, L_MAX_EVENTS };

static const struct bh_cli_local local[] = {
	[L_WATCH] = { "watch", 0, no_argument, NULL,
		      "keep following: upsert, remove, skip, error, lost, regained" },
	[L_MAX_SECONDS] = { "max-seconds", 0, required_argument, "N",
			    "stop after N seconds (exit 0)" },
	[L_MAX_EVENTS] = { "max-events", 0, required_argument, "N",
			   "stop after N printed lines (exit 0)" },
};

static const struct bh_cli_spec spec = {
	.cmd = "workloads",
	.synopsis = "workloads [--docker[=SOCKET]] [--watch] [--max-seconds N] [--max-events N]",
	.about = "Print the workloads the Docker source sees, one JSON object per line\n"
		 "(the Docker Engine at the default socket unless --docker names one).",
	.shared = shared,
	.n_shared = sizeof(shared) / sizeof(shared[0]),
	.local = local,
	.n_local = sizeof(local) / sizeof(local[0]),
	.exit_status = "Exit status: 0 listed (or followed until a limit or a signal), 2 usage\n"
		       "error or the daemon cannot be reached (without --watch).",
};

static const char *proto_name(uint8_t p)
{
	return p == IPPROTO_UDP ? "UDP" : p == IPPROTO_SCTP ? "SCTP" : "TCP";
}

static json_t *workload_json(const struct bh_workload *wl)
{
	json_t *o = json_object(), *labels = json_object(), *ips = json_array();
	json_t *ports = json_array();
	char buf[64];

	for (size_t i = 0; i < wl->labels.n; i++)
		json_object_set_new(labels, wl->labels.v[i].key, json_string(wl->labels.v[i].value));
	for (size_t i = 0; i < wl->n_ips; i++)
		json_array_append_new(ips, json_string(bh_addr_format(&wl->ips[i], buf, sizeof(buf))));
	for (size_t i = 0; i < wl->n_ports; i++)
		json_array_append_new(ports, json_pack("{s:s,s:i,s:s}", "name", wl->ports[i].name,
						       "port", (int)wl->ports[i].port, "protocol",
						       proto_name(wl->ports[i].proto)));
	json_object_set_new(o, "namespace", json_string(wl->namespace ? wl->namespace : ""));
	json_object_set_new(o, "name", json_string(wl->name ? wl->name : ""));
	json_object_set_new(o, "labels", labels);
	json_object_set_new(o, "ips", ips);
	json_object_set_new(o, "netns", wl->netns ? json_string(wl->netns) : json_null());
	json_object_set_new(o, "ports", ports);
	json_object_set_new(o, "container",
			    json_pack("{s:s?,s:s?,s:s?}", "id", wl->container_id, "name",
				      wl->container_name, "image", wl->image));
	return o;
}

static void on_closed(void *arg)
{
	struct wctx *c = arg;

	uv_close((uv_handle_t *)&c->deadline, NULL);
	uv_close((uv_handle_t *)&c->sigint, NULL);
	uv_close((uv_handle_t *)&c->sigterm, NULL);
}

static void stop(struct wctx *c)
{
	if (c->stopping)
		return;
	c->stopping = true;
	bh_docker_close(c->src, on_closed, c);
}

static void print_event(struct wctx *c, const char *what, const struct bh_workload *wl,
			const char *msg)
{
	const struct bh_docker_stamp *st = bh_docker_stamp_get(c->src);
	json_t *o = wl ? workload_json(wl) : json_object();
	struct timespec now;
	char *line;

	clock_gettime(CLOCK_REALTIME, &now);
	json_object_set_new(o, "event", json_string(what));
	if (msg)
		json_object_set_new(o, "message", json_string(msg));
	if (st->action && *st->action)
		json_object_set_new(o, "action", json_string(st->action));
	if (st->time_nano)
		json_object_set_new(o, "docker_time_nano", json_integer((json_int_t)st->time_nano));
	json_object_set_new(o, "seen_time_nano",
			    json_integer((json_int_t)now.tv_sec * 1000000000 + now.tv_nsec));
	/* from the moment the daemon's bytes arrived to this line */
	json_object_set_new(o, "handling_us",
			    json_integer((json_int_t)((uv_hrtime() - st->recv_ns) / 1000)));
	line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (line) {
		puts(line);
		fflush(stdout);
		free(line);
	}
	json_decref(o);
	c->n_events++;
	if (c->max_events && c->n_events >= c->max_events)
		stop(c);
}

static void on_event(void *arg, enum bh_docker_ev ev, const struct bh_workload *wl, const char *msg)
{
	struct wctx *c = arg;

	switch (ev) {
	case BH_DOCKER_LOST:
		c->lost = true;
		print_event(c, "lost", NULL, msg);
		if (!c->watch) {
			c->rc = BH_EXIT_CANNOT;	/* no listing: could not answer */
			stop(c);
		}
		return;
	case BH_DOCKER_SYNCED:
		print_event(c, c->lost && c->synced_once ? "regained" : "synced", NULL, NULL);
		c->lost = false;
		c->synced_once = true;
		if (!c->watch)
			stop(c);
		return;
	default:
		print_event(c, bh_docker_ev_name(ev), wl, msg);
	}
}

static void on_deadline(uv_timer_t *t)
{
	stop(t->data);
}

static void on_signal(uv_signal_t *s, int signum)
{
	stop(s->data);
}

static int parse_count(const char *s, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	return (*s < '0' || *s > '9' || *end || errno) ? -EINVAL : 0;
}

struct wargs {
	struct wctx *c;
	unsigned long secs;
};

static int on_local(void *ctx, size_t idx, const char *arg)
{
	struct wargs *w = ctx;
	struct wctx *c = w->c;

	if (idx == L_WATCH) {
		c->watch = true;
		return 0;
	}
	if (parse_count(arg, idx == L_MAX_SECONDS ? &w->secs : &c->max_events)) {
		bh_cli_usage_error(&spec, "--%s: '%s' is not a number", local[idx].name, arg);
		return -1;
	}
	return 0;
}

int bh_cmd_workloads(int argc, char **argv)
{
	struct bh_docker_opts o = { 0 };
	struct wctx c = { 0 };
	struct wargs w = { &c, 0 };
	struct bh_cli a;
	int err;

	err = bh_cli_parse(&spec, argc, argv, &a, on_local, &w);
	if (err)
		return err < 0 ? 0 : err;
	o.socket_path = a.docker;
	err = uv_loop_init(&c.loop);
	if (err) {
		fprintf(stderr, "bulkhead workloads: %s\n", uv_strerror(err));
		return BH_EXIT_CANNOT;
	}
	uv_timer_init(&c.loop, &c.deadline);
	c.deadline.data = &c;
	uv_signal_init(&c.loop, &c.sigint);
	c.sigint.data = &c;
	uv_signal_init(&c.loop, &c.sigterm);
	c.sigterm.data = &c;
	uv_signal_start(&c.sigint, on_signal, SIGINT);
	uv_signal_start(&c.sigterm, on_signal, SIGTERM);
	if (w.secs)
		uv_timer_start(&c.deadline, on_deadline, w.secs * 1000, 0);
	err = bh_docker_start(&c.loop, &o, on_event, &c, &c.src);
	if (err) {
		fprintf(stderr, "bulkhead workloads: %s\n", strerror(-err));
		c.rc = BH_EXIT_CANNOT;
		on_closed(&c);
	}
	uv_run(&c.loop, UV_RUN_DEFAULT);
	err = uv_loop_close(&c.loop);
	if (err) {
		fprintf(stderr, "bulkhead workloads: loop not clean at exit: %s\n", uv_strerror(err));
		return BH_EXIT_CANNOT;
	}
	return c.rc;
}
