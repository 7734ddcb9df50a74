// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The agent's own modules without a kernel: configuration (flags over a
 * file), the workload state and its generation ring, the reconciler with
 * fake kernel operations (only changed namespaces are programmed, verify
 * re-creates a missing table, departed workloads lose theirs), the
 * debounced directory watch and the control socket on a real loop that
 * must close clean.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <uv.h>

#include "agent/config.h"
#include "agent/control.h"
#include "agent/reconcile.h"
#include "agent/state.h"
#include "agent/watch.h"
#include "netlink/nft.h"

/* ---- configuration ---------------------------------------------------------------- */

static int parse(struct bh_agent_config *c, const char *const *args)
{
	char *argv[32];
	int argc = 0;

	argv[argc++] = (char *)"agent";
	for (; *args; args++)
		argv[argc++] = (char *)*args;
	assert_int_equal(bh_agent_config_init(c), 0);
	return bh_agent_config_parse(c, argc, argv, NULL);
}

static void test_config_defaults(void **state)
{
	struct bh_agent_config c;

	assert_int_equal(parse(&c, (const char *const[]){ "--policies", "/p", NULL }), 0);
	assert_string_equal(c.policies, "/p");
	assert_null(c.inventory);
	assert_null(c.docker);
	assert_string_equal(c.control, BH_CONTROL_DEFAULT);
	assert_int_equal(c.log_group, 100);
	assert_int_equal(c.resync_interval, 60);
	assert_int_equal(c.debounce_ms, 200);
	assert_int_equal(c.n_logs, 1);
	assert_string_equal(c.logs[0], "-");
	assert_false(c.remove_on_exit);
	bh_agent_config_deinit(&c);
}

static void test_config_flags(void **state)
{
	struct bh_agent_config c;

	assert_int_equal(parse(&c, (const char *const[]){ "--docker", "--log", "/a", "--log=/b",
							  "--log-group=7", "--remove-on-exit",
							  "--debounce-ms", "0", NULL }), 0);
	assert_string_equal(c.docker, BH_DOCKER_DEFAULT);
	assert_int_equal(c.n_logs, 2);
	assert_string_equal(c.logs[1], "/b");
	assert_int_equal(c.log_group, 7);
	assert_int_equal(c.debounce_ms, 0);
	assert_true(c.remove_on_exit);
	bh_agent_config_deinit(&c);

	assert_int_equal(parse(&c, (const char *const[]){ "--docker=/s.sock", NULL }), 0);
	assert_string_equal(c.docker, "/s.sock");
	bh_agent_config_deinit(&c);

	assert_int_equal(parse(&c, (const char *const[]){ "--log-group", "70000", NULL }), -EINVAL);
	bh_agent_config_deinit(&c);
	assert_int_equal(parse(&c, (const char *const[]){ "--nope", NULL }), -EINVAL);
	bh_agent_config_deinit(&c);
	assert_int_equal(parse(&c, (const char *const[]){ "--policies", NULL }), -EINVAL);
	bh_agent_config_deinit(&c);
	assert_int_equal(parse(&c, (const char *const[]){ "--resync-interval", "-1", NULL }), -EINVAL);
	bh_agent_config_deinit(&c);
}

static void test_config_file_then_flags(void **state)
{
	char path[] = "/tmp/bh-test-cfg.XXXXXX";
	struct bh_agent_config c;
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");

	fprintf(f, "policies: /etc/p\ninventory: /etc/i.yaml\nlog: [/var/log/a, -]\n"
		   "log-group: 9\ndocker: true\nremove-on-exit: yes\n");
	fclose(f);
	assert_int_equal(parse(&c, (const char *const[]){ "--config", path, "--log-group", "11",
							  NULL }), 0);
	assert_string_equal(c.policies, "/etc/p");
	assert_string_equal(c.inventory, "/etc/i.yaml");
	assert_int_equal(c.n_logs, 2);
	assert_int_equal(c.log_group, 11);	/* the flag wins */
	assert_string_equal(c.docker, BH_DOCKER_DEFAULT);
	assert_true(c.remove_on_exit);
	bh_agent_config_deinit(&c);

	/* a --log flag replaces the file's list */
	assert_int_equal(parse(&c, (const char *const[]){ "--config", path, "--log", "/x", NULL }), 0);
	assert_int_equal(c.n_logs, 1);
	assert_string_equal(c.logs[0], "/x");
	bh_agent_config_deinit(&c);

	f = fopen(path, "w");
	fprintf(f, "policies: /p\nbogus: 1\n");
	fclose(f);
	assert_int_equal(parse(&c, (const char *const[]){ "--config", path, NULL }), -EINVAL);
	bh_agent_config_deinit(&c);
	unlink(path);
}

/* ---- state and reconcile ----------------------------------------------------------- */

static const char pol_db[] =
	"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
	"metadata: {name: db, namespace: x}\n"
	"spec:\n  podSelector: {matchLabels: {app: db}}\n"
	"  ingress: [{from: [{podSelector: {matchLabels: {app: api}}}]}]\n";

static const char inv3[] =
	"workloads:\n"
	"  - {name: web, namespace: x, labels: {app: web}, netns: /n/web, ips: [10.0.0.1]}\n"
	"  - {name: api, namespace: x, labels: {app: api}, netns: /n/api, ips: [10.0.0.2]}\n"
	"  - {name: db, namespace: x, labels: {app: db}, netns: /n/db, ips: [10.0.0.3]}\n";

static const char inv4[] =
	"workloads:\n"
	"  - {name: web, namespace: x, labels: {app: web}, netns: /n/web, ips: [10.0.0.1]}\n"
	"  - {name: api, namespace: x, labels: {app: api}, netns: /n/api, ips: [10.0.0.2]}\n"
	"  - {name: api2, namespace: x, labels: {app: api}, netns: /n/api2, ips: [10.0.0.4]}\n"
	"  - {name: db, namespace: x, labels: {app: db}, netns: /n/db, ips: [10.0.0.3]}\n";

static struct {
	char programmed[16][32];
	int n_prog, n_removed, n_exists;
	const char *missing;	/* stamp() says this netns has no table */
	/* what each namespace holds, as the kernel's stamp would say */
	struct {
		char netns[32];
		struct bh_nft_stamp st;
	} held[16];
	int n_held;
} fake;

static struct bh_nft_stamp *fake_held(const char *netns)
{
	for (int i = 0; i < fake.n_held; i++)
		if (!strcmp(fake.held[i].netns, netns))
			return &fake.held[i].st;
	if (fake.n_held == 16)
		return NULL;
	snprintf(fake.held[fake.n_held].netns, 32, "%s", netns);
	memset(&fake.held[fake.n_held].st, 0, sizeof(struct bh_nft_stamp));
	return &fake.held[fake.n_held++].st;
}

static int fake_program(struct bh_reconcile *r, struct bh_rec_wl *w, const struct bh_rec_prog *p,
			char *err, size_t errlen)
{
	const char *netns = w->netns;
	struct bh_nft_stamp *h;

	if (fake.n_prog < 16)
		snprintf(fake.programmed[fake.n_prog], 32, "%s", netns);
	fake.n_prog++;
	if (!strcmp(netns, "/n/broken"))
		return -ENOENT;
	h = fake_held(netns);
	if (h && !p->dry_run)
		*h = (struct bh_nft_stamp){ p->o->generation, bh_nft_digest(p->c, p->group, p->o) };
	return 0;
}

static int fake_remove(struct bh_reconcile *r, struct bh_rec_wl *w, char *err, size_t errlen)
{
	struct bh_nft_stamp *h = fake_held(w->netns);

	fake.n_removed++;
	if (h)
		memset(h, 0, sizeof(*h));
	return 0;
}

static int fake_stamp(struct bh_reconcile *r, struct bh_rec_wl *w, struct bh_nft_stamp *st)
{
	const char *netns = w->netns;
	const struct bh_nft_stamp *h = fake_held(netns);

	fake.n_exists++;
	memset(st, 0, sizeof(*st));
	if ((fake.missing && !strcmp(netns, fake.missing)) || !h || !h->digest)
		return 0;
	*st = *h;
	return 1;
}

/* The content check: what the namespace holds is what p builds, generation included. */
static int fake_verify(struct bh_reconcile *r, struct bh_rec_wl *w, const struct bh_rec_prog *p,
		       bool deep)
{
	struct bh_nft_stamp st;

	if (fake_stamp(r, w, &st) != 1)
		return 0;
	return st.digest == bh_nft_digest(p->c, p->group, p->o) &&
	       st.generation == p->o->generation;
}

static const struct bh_rec_ops fake_ops = { fake_program, fake_remove, fake_stamp, fake_verify,
					    NULL };

static void load(struct bh_state *st, const char *pol, const char *inv)
{
	struct bh_policy_set *ps = NULL;
	struct bh_inventory *in = NULL;
	struct bh_diag d;

	bh_diag_init(&d);
	if (pol) {
		assert_int_equal(bh_policy_set_load_buf("p.yaml", pol, strlen(pol), &d, &ps), 0);
		assert_int_equal(bh_state_policies_set(st, ps), 0);
	}
	if (inv) {
		assert_int_equal(bh_inventory_load_buf("i.yaml", inv, strlen(inv), &d, &in), 0);
		bh_state_inventory_set(st, in);
	}
	bh_diag_deinit(&d);
}

static void test_reconcile_only_changed(void **state)
{
	struct bh_state st;
	struct bh_reconcile r;
	struct bh_emit_opts o;
	struct bh_rec_stats s;
	const struct bh_gen *g1;
	uint64_t id1;

	memset(&fake, 0, sizeof(fake));
	bh_state_init(&st);
	bh_emit_opts_default(&o);
	bh_reconcile_init(&r, &o, &fake_ops);
	load(&st, NULL, inv3);
	assert_int_equal(bh_state_compile(&st), 0);
	assert_int_equal(bh_reconcile_run(&r, bh_state_current(&st), BH_REC_FORCE, NULL, &s), 0);
	assert_int_equal(s.touched, 3);

	/* a policy isolating db: only db's namespace changes */
	load(&st, pol_db, NULL);
	assert_int_equal(bh_state_compile(&st), 0);
	fake.n_prog = 0;
	assert_int_equal(bh_reconcile_run(&r, bh_state_current(&st), 0, NULL, &s), 0);
	assert_int_equal(s.touched, 1);
	assert_int_equal(s.unchanged, 2);
	assert_string_equal(fake.programmed[0], "/n/db");
	g1 = bh_state_current(&st);
	id1 = g1->id;

	/* a new api: its own namespace and db's peer set; programmed first when asked */
	load(&st, NULL, inv4);
	assert_int_equal(bh_state_compile(&st), 0);
	fake.n_prog = 0;
	assert_int_equal(bh_reconcile_run(&r, bh_state_current(&st), 0, "x/api2", &s), 0);
	assert_int_equal(s.touched, 2);
	assert_string_equal(fake.programmed[0], "/n/api2");
	assert_string_equal(fake.programmed[1], "/n/db");
	assert_non_null(bh_state_gen_find(&st, id1));
	assert_int_equal(bh_reconcile_find(&r, "x", "db")->gen, bh_state_current(&st)->id);
	assert_int_equal(bh_reconcile_find(&r, "x", "web")->gen, 1);

	/* nothing changed: a run touches nothing; verify re-creates a missing table */
	fake.n_prog = 0;
	assert_int_equal(bh_reconcile_run(&r, bh_state_current(&st), 0, NULL, &s), 0);
	assert_int_equal(s.touched, 0);
	fake.missing = "/n/web";
	assert_int_equal(bh_reconcile_run(&r, bh_state_current(&st), BH_REC_VERIFY, NULL, &s), 0);
	assert_int_equal(s.touched, 1);
	assert_int_equal(s.recreated, 1);
	assert_string_equal(fake.programmed[0], "/n/web");
	fake.missing = NULL;

	/* api2 leaves: its table is removed, db's set shrinks */
	load(&st, NULL, inv3);
	assert_int_equal(bh_state_compile(&st), 0);
	assert_int_equal(bh_reconcile_run(&r, bh_state_current(&st), 0, NULL, &s), 0);
	assert_int_equal(s.removed, 1);
	assert_int_equal(s.touched, 1);
	assert_null(bh_reconcile_find(&r, "x", "api2"));

	/* the ring keeps the last BH_STATE_GENS generations */
	for (int i = 0; i < BH_STATE_GENS; i++)
		assert_int_equal(bh_state_compile(&st), 0);
	assert_null(bh_state_gen_find(&st, id1));
	assert_non_null(bh_state_gen_find(&st, bh_state_current(&st)->id));

	assert_int_equal(bh_reconcile_remove_all(&r), 3);	/* tables removed */
	assert_int_equal(fake.n_removed, 1 + 3);
	bh_reconcile_deinit(&r);
	bh_state_deinit(&st);
}

static void test_reconcile_failure_and_docker(void **state)
{
	struct bh_workload w = { 0 };
	struct bh_state st;
	struct bh_reconcile r;
	struct bh_emit_opts o;
	struct bh_rec_stats s;

	memset(&fake, 0, sizeof(fake));
	bh_state_init(&st);
	bh_emit_opts_default(&o);
	bh_reconcile_init(&r, &o, &fake_ops);
	load(&st, pol_db, inv3);
	w.name = (char *)"broken";
	w.namespace = (char *)"x";
	w.netns = (char *)"/n/broken";
	w.container_id = (char *)"c1";
	assert_int_equal(bh_state_docker_upsert(&st, &w), 0);
	assert_true(bh_state_docker_known(&st, "c1"));
	/*
	 * A container claiming the name of an inventory workload loses it: it
	 * is kept, isolated (fail closed) under db/<container id>, and programmed.
	 */
	w.name = (char *)"db";
	w.container_id = (char *)"c2";
	w.netns = (char *)"/n/c2";
	assert_int_equal(bh_state_docker_upsert(&st, &w), 0);
	assert_int_equal(bh_state_compile(&st), 0);
	assert_int_equal(st.identity_conflicts, 1);
	assert_int_equal(bh_state_current(&st)->inv->n_wl, 5);
	assert_null(bh_inventory_find(bh_state_current(&st)->inv, "x", "db")->isolated);
	assert_string_equal(bh_inventory_find(bh_state_current(&st)->inv, "x", "db/c2")->isolated,
			    "identity-conflict");
	assert_string_equal(bh_gen_iso_find(bh_state_current(&st), "c2")->held_by, "inventory");
	assert_int_equal(bh_reconcile_run(&r, bh_state_current(&st), 0, NULL, &s), -EIO);
	assert_int_equal(s.failed, 1);
	assert_int_equal(s.touched, 4);
	assert_non_null(bh_reconcile_find(&r, "x", "broken")->last_error);
	assert_false(bh_reconcile_find(&r, "x", "broken")->programmed);
	assert_int_equal(bh_state_docker_remove(&st, &w), 0);
	w.container_id = (char *)"c1";
	assert_int_equal(bh_state_docker_remove(&st, &w), 0);
	assert_int_equal(bh_state_docker_remove(&st, &w), -ENOENT);
	assert_int_equal(bh_state_compile(&st), 0);
	assert_int_equal(bh_reconcile_run(&r, bh_state_current(&st), 0, NULL, &s), 0);
	bh_reconcile_deinit(&r);
	bh_state_deinit(&st);
}

/*
 * The one-shot apply's path: a fresh reconciler learns from the kernel's
 * stamps what is up to date, numbers what it programs after the highest
 * generation found, keeps the number of an unchanged table even when
 * forced, removes (never creates) the table of unisolated workloads, and
 * a dry run changes nothing.
 */
static void test_reconcile_adopt(void **state)
{
	struct bh_state st;
	struct bh_reconcile r;
	struct bh_emit_opts o;
	struct bh_rec_stats s;
	struct bh_gen g;
	uint64_t max;

	memset(&fake, 0, sizeof(fake));
	bh_state_init(&st);
	bh_emit_opts_default(&o);
	load(&st, pol_db, inv3);
	assert_int_equal(bh_state_compile(&st), 0);
	g = *bh_state_current(&st);

	/* nothing in the kernel yet */
	bh_reconcile_init(&r, &o, &fake_ops);
	r.no_empty_table = true;
	assert_int_equal(bh_reconcile_adopt(&r, &g, &max), 0);
	assert_int_equal(max, 0);
	g.id = max + 1;
	assert_int_equal(bh_reconcile_run(&r, &g, 0, NULL, &s), 0);
	assert_int_equal(fake.n_prog, 1);
	assert_string_equal(fake.programmed[0], "/n/db");
	assert_int_equal(fake.n_removed, 0);	/* no table there, none to remove */
	assert_int_equal(bh_reconcile_find(&r, "x", "db")->did, BH_REC_PROGRAMMED);
	assert_int_equal(bh_reconcile_find(&r, "x", "web")->did, BH_REC_UNCHANGED);
	assert_int_equal(fake_held("/n/db")->generation, 1);
	bh_reconcile_deinit(&r);

	/* a second process with the same inputs: everything is up to date */
	bh_reconcile_init(&r, &o, &fake_ops);
	r.no_empty_table = true;
	fake.n_prog = 0;
	assert_int_equal(bh_reconcile_adopt(&r, &g, &max), 0);
	assert_int_equal(max, 1);
	g.id = max + 1;
	assert_int_equal(bh_reconcile_run(&r, &g, 0, NULL, &s), 0);
	assert_int_equal(fake.n_prog, 0);
	assert_int_equal(s.unchanged, 3);
	assert_int_equal(bh_reconcile_find(&r, "x", "db")->gen, 1);

	/* forced: programmed again under the number it has; unisolated tables removed */
	assert_int_equal(bh_reconcile_run(&r, &g, BH_REC_FORCE, NULL, &s), 0);
	assert_int_equal(fake.n_prog, 1);
	assert_int_equal(fake_held("/n/db")->generation, 1);
	assert_int_equal(s.removed, 2);
	assert_int_equal(bh_reconcile_find(&r, "x", "api")->did, BH_REC_REMOVED);
	bh_reconcile_deinit(&r);

	/* a log option changes the table: reprogrammed under the next number */
	o.log_rate = 5;
	bh_reconcile_init(&r, &o, &fake_ops);
	r.no_empty_table = true;
	fake.n_prog = 0;
	assert_int_equal(bh_reconcile_adopt(&r, &g, &max), 0);
	g.id = max + 1;
	assert_int_equal(bh_reconcile_run(&r, &g, 0, NULL, &s), 0);
	assert_int_equal(fake.n_prog, 1);
	assert_int_equal(fake_held("/n/db")->generation, 2);
	bh_reconcile_deinit(&r);

	/* a dry run validates and changes nothing */
	o.log_rate = 6;
	bh_reconcile_init(&r, &o, &fake_ops);
	r.no_empty_table = true;
	fake.n_prog = fake.n_removed = 0;
	assert_int_equal(bh_reconcile_adopt(&r, &g, &max), 0);
	g.id = max + 1;
	assert_int_equal(bh_reconcile_run(&r, &g, BH_REC_FORCE | BH_REC_DRY_RUN, NULL, &s), 0);
	assert_int_equal(fake.n_prog, 1);
	assert_int_equal(fake.n_removed, 0);
	assert_int_equal(s.removed, 2);
	assert_int_equal(bh_reconcile_find(&r, "x", "db")->did, BH_REC_PROGRAMMED);
	assert_false(bh_reconcile_find(&r, "x", "db")->programmed);
	assert_int_equal(fake_held("/n/db")->generation, 2);
	bh_reconcile_deinit(&r);
	bh_state_deinit(&st);
}

/* ---- watch and control on a loop ------------------------------------------------- */

static int watch_calls;
static unsigned int watch_what;

static void on_watch(struct bh_watch *w, unsigned int what, uint64_t first_ns)
{
	watch_calls++;
	watch_what |= what;
	bh_watch_close(w, NULL);
}

static void writer_cb(uv_timer_t *t)
{
	const char *dir = t->data;
	char a[256], b[256];
	FILE *f;

	/* an editor's save: temporary file, then rename over the real name */
	snprintf(a, sizeof(a), "%s/.pol.yaml.swp", dir);
	snprintf(b, sizeof(b), "%s/pol.yaml", dir);
	f = fopen(a, "w");
	fputs("x: 1\n", f);
	fclose(f);
	rename(a, b);
	snprintf(a, sizeof(a), "%s/notes.txt", dir);	/* ignored */
	f = fopen(a, "w");
	fclose(f);
	uv_close((uv_handle_t *)t, NULL);
}

static void test_watch_debounced(void **state)
{
	char dir[] = "/tmp/bh-test-watch.XXXXXX";
	uv_loop_t loop;
	uv_timer_t t;
	struct bh_watch w = { 0 };
	char p[300];

	assert_non_null(mkdtemp(dir));
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(bh_watch_start(&loop, &w, dir, NULL, 30, on_watch), 0);
	uv_timer_init(&loop, &t);
	t.data = dir;
	uv_timer_start(&t, writer_cb, 10, 0);
	watch_calls = 0;
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(watch_calls, 1);
	assert_int_equal(watch_what, BH_WATCH_POLICIES);
	assert_int_equal(uv_loop_close(&loop), 0);
	snprintf(p, sizeof(p), "rm -rf %s", dir);
	assert_int_equal(system(p), 0);
}

static json_t *handler(struct bh_control *c, json_t *req)
{
	const char *cmd = json_string_value(json_object_get(req, "cmd"));

	return json_pack("{s:s, s:b}", "echo", cmd ? cmd : "", "ok", 1);
}

struct client {
	char path[128];
	char *resp;
	int rc;
	struct bh_control *ctl;
	uv_async_t done;
};

static void client_thread(void *arg)
{
	struct client *k = arg;

	k->rc = bh_control_request(k->path, "{\"cmd\":\"status\"}\n", &k->resp, 5000);
	uv_async_send(&k->done);
}

static void client_done(uv_async_t *a)
{
	struct client *k = a->data;

	bh_control_close(k->ctl, NULL);
	uv_close((uv_handle_t *)a, NULL);
}

static void test_control_roundtrip(void **state)
{
	struct client k = { 0 };
	struct bh_control c = { 0 };
	uv_loop_t loop;
	uv_thread_t th;
	struct stat sb;

	signal(SIGPIPE, SIG_IGN);	/* as the agent does: a client may go away */
	snprintf(k.path, sizeof(k.path), "/tmp/bh-test-ctl.%d/ctl.sock", (int)getpid());
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(bh_control_start(&loop, &c, k.path, handler), 0);
	assert_int_equal(stat(k.path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	/* a second server on the same live socket is refused */
	{
		struct bh_control c2 = { 0 };

		assert_int_equal(bh_control_start(&loop, &c2, k.path, handler), -EADDRINUSE);
	}
	k.ctl = &c;
	uv_async_init(&loop, &k.done, client_done);
	k.done.data = &k;
	assert_int_equal(uv_thread_create(&th, client_thread, &k), 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_thread_join(&th);
	assert_int_equal(k.rc, 0);
	assert_non_null(strstr(k.resp, "\"echo\":\"status\""));
	free(k.resp);
	assert_int_equal(uv_loop_close(&loop), 0);
	assert_int_not_equal(stat(k.path, &sb), 0);	/* unlinked on close */
	*strrchr(k.path, '/') = 0;
	rmdir(k.path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_defaults),
		cmocka_unit_test(test_config_flags),
		cmocka_unit_test(test_config_file_then_flags),
		cmocka_unit_test(test_reconcile_only_changed),
		cmocka_unit_test(test_reconcile_failure_and_docker),
		cmocka_unit_test(test_reconcile_adopt),
		cmocka_unit_test(test_watch_debounced),
		cmocka_unit_test(test_control_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
