// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * NFLOG reader on libmnl, with the attribute walk done here. Measured with
 * bench/nflog_parse_bench (one 64-event datagram parsed over and over):
 * libnetfilter_log's nflog_handle_packet() + nflog_get_*() ~25-30 ns per
 * event, bh_nflog_msg_parse() ~40 ns (it copies the prefix and checks
 * every length). Either is ~2% of the ~2 us the whole per-event pipeline
 * costs, so speed does not decide; libmnl does because it lets the reader
 * reject attributes that run past their message and lengths that would
 * wrap (libmnl's own mnl_nlmsg_ok() trusts a negative int), keep one
 * receive buffer allocated at open, and account sequence gaps and ENOBUFS
 * in the same pass, with no handle/group callback layers in between.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>

#include "netlink/nflog.h"
#include "netlink/nl_close.h"

/*
 * Defaults, measured with bench/nflog.sh (UDP flood over veth, 2 cores):
 * - copy_range 256: IPv6 with a few extension headers plus a TCP header
 *   fit; the rest of the packet is of no use to the log and costs copies.
 * - qthreshold 64: one recv per 64 events under load. The whole pipeline
 *   (read, decode, enrich, JSON, file) then costs ~2 us of CPU per event.
 * - nlbufsiz 16 KiB: what the socket buffer is charged is the size of the
 *   kernel's message buffer, not what is in it. 64 small-packet events are
 *   ~10 KiB, so 16 KiB messages hold four times as many events per byte of
 *   receive buffer as 64 KiB ones. With 64 KiB the reader lost 20-45% of a
 *   ~220k/s flood whenever the (shared) machine delayed it; with 16 KiB it
 *   lost nothing at 50k, 100k and ~165k events/s offered.
 * - timeout 1 (10 ms): a lone denied SYN reaches the log within 10 ms
 *   instead of the kernel's 1 s default; at low rates this costs one
 *   wake-up per event, which is cheap at those rates.
 * - rcvbuf 8 MiB: ~480 messages of 64 events, ~0.3 s of 100k events/s
 *   while the loop is busy elsewhere; memory is only used during a backlog.
 */
#define BH_NFLOG_COPY_RANGE 256
#define BH_NFLOG_NLBUFSIZ 16384
#define BH_NFLOG_QTHRESH 64
#define BH_NFLOG_TIMEOUT_CS 1
#define BH_NFLOG_RCVBUF (8 << 20)
/* The kernel never builds a message larger than its 128 KiB nlbufsiz cap. */
#define BH_NFLOG_RXBUF (131072 + 4096)

struct bh_nflog {
	struct mnl_socket *nl;
	uint16_t group;
	bool seq_started;
	uint32_t next_seq;
	struct bh_nflog_stats st;
	size_t rxlen;
	uint8_t *rx;
};

void bh_nflog_opts_default(struct bh_nflog_opts *o)
{
	o->copy_range = BH_NFLOG_COPY_RANGE;
	o->nlbufsiz = BH_NFLOG_NLBUFSIZ;
	o->qthreshold = BH_NFLOG_QTHRESH;
	o->timeout_cs = BH_NFLOG_TIMEOUT_CS;
	o->rcvbuf = BH_NFLOG_RCVBUF;
}

/* Minimum payload length of each attribute we read; 0 = not checked. */
static const uint16_t attr_min[NFULA_MAX + 1] = {
	[NFULA_PACKET_HDR] = sizeof(struct nfulnl_msg_packet_hdr),
	[NFULA_MARK] = 4,
	[NFULA_TIMESTAMP] = sizeof(struct nfulnl_msg_packet_timestamp),
	[NFULA_IFINDEX_INDEV] = 4,
	[NFULA_IFINDEX_OUTDEV] = 4,
	[NFULA_SEQ] = 4,
	[NFULA_SEQ_GLOBAL] = 4,
};

/*
 * Attribute access without a library call per attribute: this runs once
 * per attribute per logged packet, and libmnl's accessors are not inline.
 */
static inline uint16_t a_type(const struct nlattr *a)
{
	return a->nla_type & NLA_TYPE_MASK;
}

static inline const void *a_data(const struct nlattr *a)
{
	return (const char *)a + NLA_HDRLEN;
}

static inline size_t a_len(const struct nlattr *a)
{
	return (size_t)a->nla_len - NLA_HDRLEN;
}

static inline uint32_t be32_at(const struct nlattr *a)
{
	uint32_t v;

	memcpy(&v, a_data(a), 4);
	return ntohl(v);
}

/*
 * Fills tb from the attributes after the nfgenmsg. Unlike mnl_attr_parse()
 * this also rejects an attribute that runs past the end of the message
 * instead of silently stopping there. 0 or -EINVAL.
 */
static int attrs_parse(const struct nlmsghdr *nlh, size_t off, const struct nlattr **tb)
{
	const char *p = (const char *)nlh + MNL_NLMSG_HDRLEN + MNL_ALIGN(off);
	const char *end = (const char *)nlh + nlh->nlmsg_len;

	while (end - p >= (ptrdiff_t)NLA_HDRLEN) {
		const struct nlattr *a = (const struct nlattr *)p;
		uint16_t type = a_type(a);

		if (a->nla_len < NLA_HDRLEN || a->nla_len > end - p)
			return -EINVAL;
		/* Newer kernels may add attributes: skip what we do not know. */
		if (type <= NFULA_MAX) {
			if (a_len(a) < attr_min[type])
				return -EINVAL;
			tb[type] = a;
		}
		p += NLA_ALIGN(a->nla_len);
	}
	return p < end ? -EINVAL : 0;
}

int bh_nflog_msg_parse(const struct nlmsghdr *nlh, struct bh_nflog_event *ev)
{
	const struct nlattr *tb[NFULA_MAX + 1] = { 0 };
	const struct nfgenmsg *nfg;

	if (nlh->nlmsg_len < sizeof(*nlh))
		return -EINVAL;
	if (nlh->nlmsg_type != ((NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET))
		return -ENOENT;
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*nfg)))
		return -EINVAL;
	nfg = mnl_nlmsg_get_payload(nlh);
	if (attrs_parse(nlh, sizeof(*nfg), tb) < 0)
		return -EINVAL;

	/* prefix[] is written below: clearing the rest is enough */
	_Static_assert(offsetof(struct bh_nflog_event, prefix) == 0, "prefix comes first");
	memset((char *)ev + sizeof(ev->prefix), 0, sizeof(*ev) - sizeof(ev->prefix));
	ev->prefix[0] = '\0';
	ev->family = nfg->nfgen_family;
	ev->group = ntohs(nfg->res_id);
	if (tb[NFULA_PACKET_HDR]) {
		const struct nfulnl_msg_packet_hdr *ph = a_data(tb[NFULA_PACKET_HDR]);

		ev->hw_proto = ntohs(ph->hw_protocol);
		ev->hook = ph->hook;
	}
	if (tb[NFULA_PREFIX]) {
		/* The kernel sends it NUL-terminated; do not rely on that. */
		size_t n = a_len(tb[NFULA_PREFIX]);
		const char *s = a_data(tb[NFULA_PREFIX]);
		const char *z = memchr(s, '\0', n);

		if (z)
			n = (size_t)(z - s);
		if (n >= sizeof(ev->prefix))
			n = sizeof(ev->prefix) - 1;
		memcpy(ev->prefix, s, n);
		ev->prefix[n] = '\0';
	}
	if (tb[NFULA_TIMESTAMP]) {
		struct nfulnl_msg_packet_timestamp t;

		memcpy(&t, a_data(tb[NFULA_TIMESTAMP]), sizeof(t));
		ev->ts.tv_sec = (time_t)be64toh(t.sec);
		ev->ts.tv_usec = (suseconds_t)(be64toh(t.usec) % 1000000);
		ev->ts_kernel = true;
	}
	if (tb[NFULA_IFINDEX_INDEV])
		ev->indev = be32_at(tb[NFULA_IFINDEX_INDEV]);
	if (tb[NFULA_IFINDEX_OUTDEV])
		ev->outdev = be32_at(tb[NFULA_IFINDEX_OUTDEV]);
	if (tb[NFULA_MARK])
		ev->mark = be32_at(tb[NFULA_MARK]);
	if (tb[NFULA_SEQ]) {
		ev->seq = be32_at(tb[NFULA_SEQ]);
		ev->has_seq = true;
	}
	if (tb[NFULA_SEQ_GLOBAL]) {
		ev->seq_global = be32_at(tb[NFULA_SEQ_GLOBAL]);
		ev->has_seq_global = true;
	}
	if (tb[NFULA_PAYLOAD]) {
		ev->payload = a_data(tb[NFULA_PAYLOAD]);
		ev->payload_len = (uint32_t)a_len(tb[NFULA_PAYLOAD]);
	}
	return 0;
}

const struct nlmsghdr *bh_nflog_msg_next(const void *buf, size_t len, size_t *off)
{
	const struct nlmsghdr *nlh;

	if (*off > len || len - *off < sizeof(*nlh))
		return NULL;
	nlh = (const struct nlmsghdr *)((const char *)buf + *off);
	if (nlh->nlmsg_len < sizeof(*nlh) || nlh->nlmsg_len > len - *off)
		return NULL;
	*off += MNL_ALIGN((size_t)nlh->nlmsg_len);
	return nlh;
}

/* Builds one NFULNL_MSG_CONFIG message; cmd 0 means no command attribute. */
static struct nlmsghdr *cfg_msg(char *buf, uint16_t group, uint8_t cmd, uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(group);
	if (cmd) {
		struct nfulnl_msg_config_cmd c = { .command = cmd };

		mnl_attr_put(nlh, NFULA_CFG_CMD, sizeof(c), &c);
	}
	return nlh;
}

/*
 * Sends nlh and waits (bounded, 1 s) for its ack, skipping log messages that
 * may already be arriving. Returns 0 or the kernel's -errno.
 */
static int cfg_send(struct bh_nflog *nl, struct nlmsghdr *nlh)
{
	uint32_t portid = mnl_socket_get_portid(nl->nl);
	struct pollfd pfd = { .fd = mnl_socket_get_fd(nl->nl), .events = POLLIN };
	int tries;

	if (mnl_socket_sendto(nl->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (tries = 0; tries < 64; tries++) {
		ssize_t n = mnl_socket_recvfrom(nl->nl, nl->rx, nl->rxlen);
		const struct nlmsghdr *r;
		size_t off = 0;

		if (n < 0) {
			if (errno == EINTR || errno == ENOBUFS)
				continue;
			if (errno != EAGAIN)
				return -errno;
			if (poll(&pfd, 1, 1000) <= 0)
				return -ETIMEDOUT;
			continue;
		}
		while ((r = bh_nflog_msg_next(nl->rx, (size_t)n, &off))) {
			if (r->nlmsg_type != NLMSG_ERROR || r->nlmsg_seq != nlh->nlmsg_seq)
				continue;
			if (r->nlmsg_len < mnl_nlmsg_size(sizeof(struct nlmsgerr)))
				return -EPROTO;
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(r);

			if (r->nlmsg_pid && r->nlmsg_pid != portid)
				continue;
			return e->error;
		}
	}
	return -ETIMEDOUT;
}

int bh_nflog_open(uint16_t group, const struct bh_nflog_opts *o, struct bh_nflog **out)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct bh_nflog_opts def;
	struct nfulnl_msg_config_mode mode = { 0 };
	struct nlmsghdr *nlh;
	struct bh_nflog *nl;
	int fd, err;

	if (!o) {
		bh_nflog_opts_default(&def);
		o = &def;
	}
	memset(buf, 0, sizeof(buf));	/* no uninitialised padding reaches the kernel */
	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return -ENOMEM;
	nl->group = group;
	nl->rxlen = BH_NFLOG_RXBUF;
	nl->rx = malloc(nl->rxlen);
	if (!nl->rx) {
		err = -ENOMEM;
		goto fail_free;
	}
	nl->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!nl->nl) {
		err = -errno;
		goto fail_rx;
	}
	if (mnl_socket_bind(nl->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		goto fail_sock;
	}
	fd = mnl_socket_get_fd(nl->nl);
	/* FORCE needs CAP_NET_ADMIN and ignores rmem_max; fall back without it. */
	if (o->rcvbuf > 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &o->rcvbuf, sizeof(o->rcvbuf)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &o->rcvbuf, sizeof(o->rcvbuf));

	/* One message: bind, then mode, batch sizes and flags applied to the new instance. */
	nlh = cfg_msg(buf, group, NFULNL_CFG_CMD_BIND, 1);
	mode.copy_range = htonl(o->copy_range);
	mode.copy_mode = NFULNL_COPY_PACKET;
	mode._pad = 0;
	mnl_attr_put(nlh, NFULA_CFG_MODE, sizeof(mode), &mode);
	mnl_attr_put_u32(nlh, NFULA_CFG_NLBUFSIZ, htonl(o->nlbufsiz));
	mnl_attr_put_u32(nlh, NFULA_CFG_QTHRESH, htonl(o->qthreshold));
	mnl_attr_put_u32(nlh, NFULA_CFG_TIMEOUT, htonl(o->timeout_cs));
	mnl_attr_put_u16(nlh, NFULA_CFG_FLAGS, htons(NFULNL_CFG_F_SEQ | NFULNL_CFG_F_SEQ_GLOBAL));
	err = cfg_send(nl, nlh);
	if (err)
		goto fail_sock;
	*out = nl;
	return 0;

fail_sock:
	mnl_socket_close(nl->nl);
fail_rx:
	free(nl->rx);
fail_free:
	free(nl);
	return err;
}

int bh_nflog_fd(const struct bh_nflog *nl)
{
	return mnl_socket_get_fd(nl->nl);
}

const struct bh_nflog_stats *bh_nflog_stats(const struct bh_nflog *nl)
{
	return &nl->st;
}

/* Sequence bookkeeping: a jump forward of the instance seq is lost events. */
static void seq_account(struct bh_nflog *nl, const struct bh_nflog_event *ev)
{
	uint32_t d;

	if (!ev->has_seq)
		return;
	/* The instance is ours from its creation, so its first seq is 0. */
	d = ev->seq - nl->next_seq;
	if (d && d < 0x80000000u)
		nl->st.seq_gaps += d;
	nl->next_seq = ev->seq + 1;
	nl->seq_started = true;
}

int bh_nflog_read(struct bh_nflog *nl, bh_nflog_cb cb, void *arg, unsigned int max_msgs)
{
	int fd = mnl_socket_get_fd(nl->nl);
	struct bh_nflog_event ev;
	int delivered = 0;
	unsigned int i;

	for (i = 0; i < max_msgs; i++) {
		ssize_t n = recv(fd, nl->rx, nl->rxlen, MSG_DONTWAIT | MSG_TRUNC);
		const struct nlmsghdr *nlh;
		struct timeval now;
		bool have_now = false;
		size_t len, off = 0;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				/* Messages were dropped; the seq gap tells how many events. */
				nl->st.overruns++;
				continue;
			}
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return -errno;
		}
		nl->st.datagrams++;
		if ((size_t)n > nl->rxlen) {
			/* Cannot happen with nlbufsiz <= 128 KiB; count it if it does. */
			nl->st.malformed++;
			n = (ssize_t)nl->rxlen;
		}
		len = (size_t)n;
		while ((nlh = bh_nflog_msg_next(nl->rx, len, &off))) {
			int err = bh_nflog_msg_parse(nlh, &ev);

			if (err == -ENOENT)
				continue;
			if (err) {
				nl->st.malformed++;
				continue;
			}
			if (!ev.ts_kernel) {
				if (!have_now) {
					gettimeofday(&now, NULL);
					have_now = true;
				}
				ev.ts = now;
			}
			seq_account(nl, &ev);
			nl->st.events++;
			delivered++;
			err = cb(&ev, arg);
			if (err < 0)
				return err;
		}
		if (off < len)
			nl->st.malformed++;	/* trailing bytes that are no message */
	}
	return delivered;
}

void bh_nflog_close(struct bh_nflog *nl)
{
	int dup_fd;

	if (!nl)
		return;
	/*
	 * Releasing the socket destroys the instance and frees the group.
	 * The release can wait for an RCU grace period (netlink/nl_close.h):
	 * a duplicate keeps the socket alive while libmnl's close returns at
	 * once, and the last close goes through the closer.
	 */
	dup_fd = fcntl(mnl_socket_get_fd(nl->nl), F_DUPFD_CLOEXEC, 0);
	mnl_socket_close(nl->nl);
	bh_nl_close(dup_fd);
	free(nl->rx);
	free(nl);
}
