/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BH_NFLOG_H
#define BH_NFLOG_H

/*
 * NFLOG reader: one netlink socket bound to one log group in one network
 * namespace. NFLOG is per namespace, so bh_nflog_open() must run while the
 * calling thread is inside the target namespace (enter it with setns, open,
 * go back: the socket stays bound to the namespace it was created in).
 *
 * The socket is non-blocking; put bh_nflog_fd() under uv_poll and call
 * bh_nflog_read() on readability. Loss is never silent: ENOBUFS on the
 * socket counts an overrun, and the per-instance sequence numbers the
 * kernel stamps on every event (NFULNL_CFG_F_SEQ) count exactly how many
 * events were lost.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

struct nlmsghdr;
struct bh_nflog;

#define BH_NFLOG_PREFIX_MAX 64

struct bh_nflog_opts {
	uint32_t copy_range;	/* bytes of each packet copied (headers only), default 256 */
	uint32_t nlbufsiz;	/* kernel batch buffer per netlink message, 4096..131072 */
	uint32_t qthreshold;	/* events per netlink message before a flush */
	uint32_t timeout_cs;	/* flush a partial batch after this many 1/100 s */
	int rcvbuf;		/* socket receive buffer in bytes (SO_RCVBUFFORCE) */
};

/* Fills the defaults (see nflog.c for the measurements behind them). */
void bh_nflog_opts_default(struct bh_nflog_opts *o);

/*
 * One logged packet. Everything is copied out of the netlink buffer except
 * payload, which points into the receive buffer and is valid only during
 * the callback.
 */
struct bh_nflog_event {
	char prefix[BH_NFLOG_PREFIX_MAX];	/* NUL-terminated, "" when absent */
	struct timeval ts;	/* NFULA_TIMESTAMP, else the time of reception */
	bool ts_kernel;		/* ts came from the kernel */
	bool has_seq;
	bool has_seq_global;
	uint8_t family;		/* nfgen_family: NFPROTO_IPV4 / NFPROTO_IPV6 / ... */
	uint8_t hook;		/* netfilter hook number */
	uint16_t hw_proto;	/* host byte order (ETH_P_IP, ETH_P_IPV6), 0 when absent */
	uint32_t indev;		/* ifindex, 0 when absent */
	uint32_t outdev;
	uint32_t mark;
	uint32_t seq;		/* instance-local sequence number */
	uint32_t seq_global;	/* namespace-wide sequence number */
	uint16_t group;		/* log group (res_id) */
	const uint8_t *payload;	/* network header onward, cut to the copy range */
	uint32_t payload_len;
};

struct bh_nflog_stats {
	uint64_t events;	/* delivered to the callback */
	uint64_t datagrams;	/* netlink datagrams read */
	uint64_t overruns;	/* ENOBUFS seen: the socket buffer overflowed */
	uint64_t seq_gaps;	/* events lost, counted from NFULA_SEQ gaps */
	uint64_t malformed;	/* messages or attributes that did not parse */
};

/* Return 0 to go on, a negative errno to stop the batch (bh_nflog_read returns it). */
typedef int (*bh_nflog_cb)(const struct bh_nflog_event *ev, void *arg);

/*
 * Opens a NETLINK_NETFILTER socket in the caller's current network
 * namespace, binds log group `group` and configures it (copy mode, batch
 * sizes, sequence numbers) in one acknowledged message. o may be NULL for
 * the defaults. Returns 0 and *out (free with bh_nflog_close), -EPERM when
 * another socket in this namespace has the group (or without
 * CAP_NET_ADMIN), or another -errno.
 */
int bh_nflog_open(uint16_t group, const struct bh_nflog_opts *o, struct bh_nflog **out);

/* The socket, for uv_poll (readable). Stop the poll before bh_nflog_close. */
int bh_nflog_fd(const struct bh_nflog *nl);

/*
 * Reads up to max_msgs datagrams without blocking and calls cb for each
 * logged packet. Returns the number of events delivered (>= 0) when the
 * socket is drained or the batch bound is reached; EAGAIN and ENOBUFS are
 * not errors (ENOBUFS is counted in stats). Returns a negative errno on a
 * socket error, or what cb returned when it stopped the batch.
 */
int bh_nflog_read(struct bh_nflog *nl, bh_nflog_cb cb, void *arg, unsigned int max_msgs);

/* Counters since open (borrowed pointer, valid until close). */
const struct bh_nflog_stats *bh_nflog_stats(const struct bh_nflog *nl);

/* Unbinds the group, closes the socket, frees nl. Accepts NULL. */
void bh_nflog_close(struct bh_nflog *nl);

/*
 * Parses one netlink message as an NFLOG packet event (stateless; the
 * reader and the fuzzer use it). ev->payload points into nlh. Returns 0,
 * -ENOENT when the message is not an NFLOG packet (NLMSG_DONE, an ack...),
 * or -EINVAL when it is malformed.
 */
int bh_nflog_msg_parse(const struct nlmsghdr *nlh, struct bh_nflog_event *ev);

/*
 * Iterates over the netlink messages of one datagram buf[0..len): returns
 * the message at *off and advances *off past it, or NULL at the end or at
 * a header that does not fit (*off is then < len when bytes were left).
 * Unlike mnl_nlmsg_ok() it never trusts a length that would wrap.
 */
const struct nlmsghdr *bh_nflog_msg_next(const void *buf, size_t len, size_t *off);

#endif
