/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BH_AGENT_FDS_H
#define BH_AGENT_FDS_H

/*
 * The descriptor budget. Every enforced namespace holds three sockets for
 * as long as its workload lives: the nftables connection that owns its
 * table, the nftables event monitor and the NFLOG reader. 10,000
 * namespaces are 30,000 descriptors, past the usual soft limit of 1,024
 * and the 20,000 or so of many hard limits, so the agent raises
 * RLIMIT_NOFILE at start: the soft limit to BH_FDS_WANT (raising the hard
 * limit too when it is lower and the process may), else as far as the
 * hard limit allows. A namespace that finds no descriptor left fails to
 * be programmed like any other error (reported, retried).
 */

#include <stdint.h>

#define BH_FDS_PER_NS 3
#define BH_FDS_RESERVED 256	/* sinks, control connections, Docker, inotify, the loop */
#define BH_FDS_WANT (BH_FDS_PER_NS * 20000 + BH_FDS_RESERVED)

struct bh_fds {
	uint64_t soft_before;	/* the limits found at start */
	uint64_t hard_before;
	uint64_t soft;		/* in force now */
	uint64_t hard;
};

/* Raise the limit as described above; fills *st. 0 or a negative errno (limits unchanged). */
int bh_fds_raise(struct bh_fds *st);

/* Namespaces the soft limit leaves room for. */
uint64_t bh_fds_namespaces(const struct bh_fds *st);

/* Descriptors open in this process now (/proc/self/fd), or a negative errno. */
long bh_fds_open(void);

#endif
