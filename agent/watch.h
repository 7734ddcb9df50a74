/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BH_AGENT_WATCH_H
#define BH_AGENT_WATCH_H

/*
 * Watch of the policy directory and the inventory file: one inotify fd under
 * a uv_poll, debounced with a uv_timer. Directories are watched, not files,
 * and events are filtered by name, so editors' atomic renames (write a
 * temporary, rename over) and delete-and-recreate are seen like in-place
 * writes. Temporary names (.swp, ~, .#x) never trigger anything.
 *
 * inotify can lose events: when its queue overflows (a burst larger than
 * fs.inotify.max_queued_events while the loop is busy) the kernel drops
 * them and queues one IN_Q_OVERFLOW. The watch then reports every input
 * as changed, so the agent reloads all of them. bh_watch_check() is the
 * second net, for changes inotify never reports (a policy file written
 * through a hard link elsewhere, a network file system): it compares each
 * input's identity, size and mtime with those seen when the callback last
 * reported it.
 */

#include <stdint.h>
#include <uv.h>

enum {
	BH_WATCH_POLICIES = 1 << 0,
	BH_WATCH_INVENTORY = 1 << 1,
};

struct bh_watch;

/*
 * Called once per quiet period after changes: what is a mask of BH_WATCH_*,
 * first_ns the uv_hrtime() of the first event of the burst.
 */
typedef void (*bh_watch_cb)(struct bh_watch *w, unsigned int what, uint64_t first_ns);
typedef void (*bh_watch_close_cb)(struct bh_watch *w);

struct bh_watch {
	void *data;		/* the owner's */
	uv_poll_t poll;
	uv_timer_t timer;
	int fd;
	int wd_pol;		/* watch on the policy directory (or the parent of a policy file) */
	int wd_inv;		/* watch on the inventory file's directory */
	char *pol_dir;		/* the directory watched for policies */
	char *pol_name;		/* policies is a single file: its base name; else NULL */
	char *inv_dir;
	char *inv_name;
	unsigned int debounce_ms;
	unsigned int pending;
	uint64_t first_ns;
	bh_watch_cb cb;
	bh_watch_close_cb close_cb;
	int closing;
	uint64_t events;	/* inotify events that passed the name filter */
	uint64_t overflows;	/* IN_Q_OVERFLOW seen: every input was reloaded */
	uint64_t stamp_pol;	/* fingerprints of the inputs when last reported */
	uint64_t stamp_inv;
};

/*
 * Start watching. policies and/or inventory may be NULL. Returns 0 or a
 * negative errno (nothing to close then). On success the watch must be
 * closed with bh_watch_close().
 */
int bh_watch_start(uv_loop_t *loop, struct bh_watch *w, const char *policies,
		   const char *inventory, unsigned int debounce_ms, bh_watch_cb cb);

/*
 * Compare the inputs with their fingerprints (inode, size and mtime of the
 * inventory file, of a single policy file, or of every *.yaml / *.yml file
 * in the policy directory) taken when the callback last reported them, or
 * at start. Inputs that differ are reported through the callback as if
 * inotify had seen them (after the debounce). Returns the BH_WATCH_* mask
 * found changed. Costs a stat() per policy file: meant for a periodic resync.
 */
unsigned int bh_watch_check(struct bh_watch *w);

/* Re-arm the directory watches (after a directory was replaced). 0 or -errno. */
int bh_watch_rearm(struct bh_watch *w);

/* Close both handles; close_cb (may be NULL) runs when both are closed. */
void bh_watch_close(struct bh_watch *w, bh_watch_close_cb close_cb);

#endif
