/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BH_NL_CLOSE_H
#define BH_NL_CLOSE_H

/*
 * Closing NETLINK_NETFILTER sockets without stalling the caller.
 *
 * The kernel makes close() of such a socket (nftables and NFLOG alike)
 * wait until nf_tables has freed every object that an earlier transaction
 * deleted, in any namespace: one RCU grace period, measured at 11-25 ms on
 * a kernel built with CONFIG_RCU_LAZY. Only the first close after a
 * deletion waits; closes that follow it find nothing pending and take
 * microseconds. So:
 *  - a daemon starts the closer: bh_nl_close() then hands the descriptor
 *    to one worker thread, which pays the wait once for a whole burst
 *    (a hundred workloads leaving at once cost one grace period, off the
 *    event loop);
 *  - a one-shot command keeps its sockets until its end and closes them
 *    together, paying the wait once (bh_nl_close() closes at once when
 *    the closer is not running).
 * The thread exists for this one measured reason; nothing else runs on it.
 */

#include <stdint.h>

struct bh_nl_close_stats {
	uint64_t closed;	/* descriptors closed through bh_nl_close() */
	uint64_t deferred;	/* of which by the worker thread */
	uint64_t pending;	/* queued, not closed yet */
	uint64_t total_us;	/* time spent inside close() */
	uint64_t max_us;	/* the longest single close() */
};

/*
 * Start the worker (reference counted: every start needs a stop).
 * 0 or a negative errno (closes then stay synchronous).
 */
int bh_nl_closer_start(void);

/* Close what is queued, then stop the worker once the last user stops it. */
void bh_nl_closer_stop(void);

/*
 * Close fd: queued for the worker when it runs, else closed now (also
 * when the queue cannot grow). Negative fds are ignored.
 */
void bh_nl_close(int fd);

/* Counters since the process started. */
void bh_nl_close_stats_get(struct bh_nl_close_stats *st);

#endif
