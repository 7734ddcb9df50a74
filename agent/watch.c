// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/watch.h"

#define WATCH_MASK (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | \
		    IN_DELETE_SELF | IN_MOVE_SELF | IN_ATTRIB)
/* Events drained per wake-up: bounded so a flood cannot starve the loop. */
#define WATCH_BATCH 16

static bool has_suffix(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a >= b && !strcmp(s + a - b, suf);
}

static bool is_policy_name(const char *n)
{
	if (n[0] == '.')
		return false;	/* .x.yaml.swp, .#x.yaml, hidden temporaries */
	return has_suffix(n, ".yaml") || has_suffix(n, ".yml");
}

/* Split path into its directory and, when it is not a directory, its base name. */
static int split_path(const char *path, bool want_dir, char **dir, char **name)
{
	struct stat st;
	char *a, *b;

	*dir = *name = NULL;
	if (want_dir && !stat(path, &st) && S_ISDIR(st.st_mode)) {
		*dir = strdup(path);
		return *dir ? 0 : -ENOMEM;
	}
	a = strdup(path);
	b = strdup(path);
	if (!a || !b) {
		free(a);
		free(b);
		return -ENOMEM;
	}
	*dir = strdup(dirname(a));
	*name = strdup(basename(b));
	free(a);
	free(b);
	if (!*dir || !*name) {
		free(*dir);
		free(*name);
		*dir = *name = NULL;
		return -ENOMEM;
	}
	return 0;
}

static void timer_cb(uv_timer_t *t)
{
	struct bh_watch *w = t->data;
	unsigned int what = w->pending;

	w->pending = 0;
	bh_watch_rearm(w);	/* a replaced directory is watched again */
	if (what && !w->closing)
		w->cb(w, what, w->first_ns);
}

static void note(struct bh_watch *w, unsigned int what)
{
	if (!w->pending)
		w->first_ns = uv_hrtime();
	w->pending |= what;
	/* Each event pushes the deadline: one reconcile per burst of writes. */
	uv_timer_start(&w->timer, timer_cb, w->debounce_ms, 0);
}

static void handle_event(struct bh_watch *w, const struct inotify_event *ev)
{
	unsigned int what = 0;

	w->events++;
	if (ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) {
		/* The directory itself went away or moved: re-arm on the next change. */
		if (ev->wd == w->wd_pol)
			w->wd_pol = -1, what |= BH_WATCH_POLICIES;
		if (ev->wd == w->wd_inv)
			w->wd_inv = -1, what |= BH_WATCH_INVENTORY;
		if (what)
			note(w, what);
		return;
	}
	if (!ev->len)
		return;
	if (ev->wd == w->wd_pol &&
	    (w->pol_name ? !strcmp(ev->name, w->pol_name) : is_policy_name(ev->name)))
		what |= BH_WATCH_POLICIES;
	if (ev->wd == w->wd_inv && w->inv_name && !strcmp(ev->name, w->inv_name))
		what |= BH_WATCH_INVENTORY;
	if (what)
		note(w, what);
	else
		w->events--;
}

static void poll_cb(uv_poll_t *p, int status, int events)
{
	struct bh_watch *w = p->data;
	char buf[WATCH_BATCH * (sizeof(struct inotify_event) + 256)]
		__attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	if (status < 0 || !(events & UV_READABLE))
		return;
	n = read(w->fd, buf, sizeof(buf));
	if (n <= 0)
		return;	/* EAGAIN: spurious wake-up */
	for (char *q = buf; q < buf + n;) {
		const struct inotify_event *ev = (const struct inotify_event *)q;

		handle_event(w, ev);
		q += sizeof(*ev) + ev->len;
	}
}

static int add_watch(int fd, const char *dir)
{
	int wd = inotify_add_watch(fd, dir, WATCH_MASK | IN_ONLYDIR);

	return wd < 0 ? -errno : wd;
}

int bh_watch_rearm(struct bh_watch *w)
{
	int r = 0, wd;

	if (w->pol_dir && w->wd_pol < 0) {
		wd = add_watch(w->fd, w->pol_dir);
		if (wd < 0)
			r = wd;
		else
			w->wd_pol = wd;
	}
	if (w->inv_dir && w->wd_inv < 0) {
		wd = add_watch(w->fd, w->inv_dir);
		if (wd < 0)
			r = wd;
		else
			w->wd_inv = wd;
	}
	return r;
}

static void free_paths(struct bh_watch *w)
{
	free(w->pol_dir);
	free(w->pol_name);
	free(w->inv_dir);
	free(w->inv_name);
	w->pol_dir = w->pol_name = w->inv_dir = w->inv_name = NULL;
}

int bh_watch_start(uv_loop_t *loop, struct bh_watch *w, const char *policies,
		   const char *inventory, unsigned int debounce_ms, bh_watch_cb cb)
{
	void *data = w->data;
	int r;

	memset(w, 0, sizeof(*w));
	w->data = data;
	w->cb = cb;
	w->debounce_ms = debounce_ms;
	w->wd_pol = w->wd_inv = -1;
	if (policies && (r = split_path(policies, true, &w->pol_dir, &w->pol_name)) < 0)
		goto fail_paths;
	if (inventory && (r = split_path(inventory, false, &w->inv_dir, &w->inv_name)) < 0)
		goto fail_paths;
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->fd < 0) {
		r = -errno;
		goto fail_paths;
	}
	r = bh_watch_rearm(w);
	if (r < 0)
		goto fail_fd;
	r = uv_timer_init(loop, &w->timer);
	if (r < 0)
		goto fail_fd;
	w->timer.data = w;
	r = uv_poll_init(loop, &w->poll, w->fd);
	if (r < 0)
		goto fail_timer;
	w->poll.data = w;
	r = uv_poll_start(&w->poll, UV_READABLE, poll_cb);
	if (r < 0)
		goto fail_poll;
	return 0;

fail_poll:
	/* Handles are initialised: they must go through uv_close. */
	w->closing = 1;
	uv_close((uv_handle_t *)&w->poll, NULL);
fail_timer:
	uv_close((uv_handle_t *)&w->timer, NULL);
fail_fd:
	close(w->fd);
	w->fd = -1;
fail_paths:
	free_paths(w);
	return r;
}

static void handle_closed(uv_handle_t *h)
{
	struct bh_watch *w = h->data;

	if (--w->closing)
		return;
	close(w->fd);
	w->fd = -1;
	free_paths(w);
	if (w->close_cb)
		w->close_cb(w);
}

void bh_watch_close(struct bh_watch *w, bh_watch_close_cb close_cb)
{
	w->close_cb = close_cb;
	w->closing = 2;
	uv_poll_stop(&w->poll);	/* before the fd is closed */
	uv_timer_stop(&w->timer);
	uv_close((uv_handle_t *)&w->poll, handle_closed);
	uv_close((uv_handle_t *)&w->timer, handle_closed);
}
