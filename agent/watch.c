// SPDX-License-Identifier: GPL-2.0-or-later
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
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

/* ---- fingerprints of the inputs ---------------------------------------------------- */

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

/* One file: its name, identity, size and modification time; a fixed value when missing. */
static uint64_t stamp_file(int dirfd, const char *dir, const char *name)
{
	uint64_t h = fnv(0xcbf29ce484222325ULL, name, strlen(name) + 1);
	struct stat st;
	int r;

	if (dirfd >= 0) {
		r = fstatat(dirfd, name, &st, 0);
	} else {
		char *p;

		if (asprintf(&p, "%s/%s", dir, name) < 0)
			return 0;	/* no memory: "changed" on the next check, harmless */
		r = stat(p, &st);
		free(p);
	}
	if (r)
		return fnv(h, "-", 1);
	h = fnv(h, &st.st_dev, sizeof(st.st_dev));
	h = fnv(h, &st.st_ino, sizeof(st.st_ino));
	h = fnv(h, &st.st_size, sizeof(st.st_size));
	h = fnv(h, &st.st_mtim.tv_sec, sizeof(st.st_mtim.tv_sec));
	return fnv(h, &st.st_mtim.tv_nsec, sizeof(st.st_mtim.tv_nsec));
}

/* Every policy file of the directory, in any readdir() order (a sum of per-file hashes). */
static uint64_t stamp_dir(const char *dir)
{
	uint64_t sum = 0, n = 0;
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return 1;
	while ((de = readdir(d))) {
		if (!is_policy_name(de->d_name))
			continue;
		sum += stamp_file(dirfd(d), dir, de->d_name);
		n++;
	}
	closedir(d);
	return fnv(sum, &n, sizeof(n));
}

static uint64_t stamp_of(const struct bh_watch *w, unsigned int what)
{
	if (what == BH_WATCH_POLICIES)
		return w->pol_name ? stamp_file(-1, w->pol_dir, w->pol_name) : stamp_dir(w->pol_dir);
	return stamp_file(-1, w->inv_dir, w->inv_name);
}

/* The inputs this watch has. */
static unsigned int watched(const struct bh_watch *w)
{
	return (w->pol_dir ? BH_WATCH_POLICIES : 0) | (w->inv_name ? BH_WATCH_INVENTORY : 0);
}

/* Remember what the inputs in what look like now: the callback is about to load them. */
static void stamp(struct bh_watch *w, unsigned int what)
{
	what &= watched(w);
	if (what & BH_WATCH_POLICIES)
		w->stamp_pol = stamp_of(w, BH_WATCH_POLICIES);
	if (what & BH_WATCH_INVENTORY)
		w->stamp_inv = stamp_of(w, BH_WATCH_INVENTORY);
}

/* ---- events ------------------------------------------------------------------------- */

static void timer_cb(uv_timer_t *t)
{
	struct bh_watch *w = t->data;
	unsigned int what = w->pending;

	w->pending = 0;
	bh_watch_rearm(w);	/* a replaced directory is watched again */
	if (what && !w->closing) {
		stamp(w, what);
		w->cb(w, what, w->first_ns);
	}
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
	if (ev->mask & IN_Q_OVERFLOW) {
		/* Events were dropped (wd is -1, len 0): any input may have changed. */
		w->overflows++;
		note(w, watched(w));
		return;
	}
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

unsigned int bh_watch_check(struct bh_watch *w)
{
	unsigned int what = 0;

	if (w->closing)
		return 0;
	if ((watched(w) & BH_WATCH_POLICIES) && stamp_of(w, BH_WATCH_POLICIES) != w->stamp_pol)
		what |= BH_WATCH_POLICIES;
	if ((watched(w) & BH_WATCH_INVENTORY) && stamp_of(w, BH_WATCH_INVENTORY) != w->stamp_inv)
		what |= BH_WATCH_INVENTORY;
	if (what)
		note(w, what);
	return what;
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
	/* The owner loaded its inputs just before: this is what it has. */
	stamp(w, watched(w));
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
