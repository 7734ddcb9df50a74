// SPDX-License-Identifier: GPL-2.0-or-later
/* The long-lived nftables connection of one namespace. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <libmnl/libmnl.h>

#include "netlink/netns.h"
#include "netlink/nl_close.h"
#include "netlink/nft.h"
#include "netlink/nft_conn.h"
#include "netlink/nft_int.h"

struct bh_nft_conn {
	int fd;
	uint32_t portid;
	uint32_t seq;
	dev_t ns_dev;
	ino_t ns_ino;
};

/* The namespace a path names (NULL: this thread's). */
static int netns_id(const char *path, dev_t *dev, ino_t *ino)
{
	struct stat st;

	if (stat(path && *path ? path : "/proc/thread-self/ns/net", &st) < 0)
		return -errno;
	*dev = st.st_dev;
	*ino = st.st_ino;
	return 0;
}

int bh_nft_conn_open(const char *netns, struct bh_nft_conn **out, char *err, size_t errlen)
{
	struct sockaddr_nl snl = { .nl_family = AF_NETLINK };
	socklen_t len = sizeof(snl);
	struct bh_nft_conn *c;
	int fd, ret;

	if (errlen)
		*err = 0;
	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	fd = bh_netns_socket(netns, AF_NETLINK, SOCK_RAW, NETLINK_NETFILTER);
	if (fd < 0) {
		snprintf(err, errlen, "%s %s: %s", fd == -EINVAL ? "not a network namespace:" :
			 "cannot enter namespace", netns ? netns : "(current)", strerror(-fd));
		free(c);
		return fd;
	}
	if (bind(fd, (struct sockaddr *)&snl, sizeof(snl)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&snl, &len) < 0) {
		ret = -errno;
		snprintf(err, errlen, "netlink socket: %s", strerror(-ret));
		goto fail;
	}
	/* a dump the kernel never finishes must not hang the caller */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &(struct timeval){ .tv_sec = 5 },
		       sizeof(struct timeval)) < 0) {
		ret = -errno;
		snprintf(err, errlen, "netlink socket: %s", strerror(-ret));
		goto fail;
	}
	/* stat after the socket: a namespace replaced in between shows as "not the same" */
	if ((ret = netns_id(netns, &c->ns_dev, &c->ns_ino)) < 0) {
		snprintf(err, errlen, "%s: %s", netns, strerror(-ret));
		goto fail;
	}
	c->fd = fd;
	c->portid = snl.nl_pid;
	c->seq = (uint32_t)time(NULL) << 8;
	*out = c;
	return 0;
fail:
	close(fd);	/* nothing was sent on it: no wait */
	free(c);
	return ret;
}

void bh_nft_conn_close(struct bh_nft_conn *c)
{
	if (!c)
		return;
	bh_nl_close(c->fd);
	free(c);
}

int bh_nft_conn_fd(const struct bh_nft_conn *c)
{
	return c->fd;
}

uint32_t bh_nft_conn_portid(const struct bh_nft_conn *c)
{
	return c->portid;
}

int bh_nft_conn_same_netns(const struct bh_nft_conn *c, const char *path)
{
	dev_t dev;
	ino_t ino;
	int ret = netns_id(path, &dev, &ino);

	if (ret < 0)
		return ret;
	return dev == c->ns_dev && ino == c->ns_ino;
}

/* Reads and drops whatever an earlier, abandoned exchange left behind. */
static void drain(int fd)
{
	char buf[4096];
	ssize_t n;

	do
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	while (n > 0 || (n < 0 && errno == EINTR));
}

uint32_t bh_nft__conn_seq(struct bh_nft_conn *c, uint32_t n)
{
	uint32_t s = c->seq;

	c->seq += n;
	return s;
}

int bh_nft_conn_send(struct bh_nft_conn *c, const struct bh_nft_batch *b, unsigned int flags,
		     char *err, size_t errlen)
{
	drain(c->fd);
	return bh_nft__batch_send(b, c->fd, flags, bh_nft__conn_seq(c, b->n + 2), err, errlen);
}

int bh_nft__conn_request(struct bh_nft_conn *c, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	struct sockaddr_nl snl = { .nl_family = AF_NETLINK };
	static const size_t buflen = 1 << 16;
	uint32_t seq = nlh->nlmsg_seq;
	char *buf;
	ssize_t n;
	int ret = 0;

	drain(c->fd);
	buf = malloc(buflen);
	if (!buf)
		return -ENOMEM;
	do
		n = sendto(c->fd, nlh, nlh->nlmsg_len, 0, (struct sockaddr *)&snl, sizeof(snl));
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		ret = -errno;
		goto out;
	}
	for (;;) {
		n = recv(c->fd, buf, buflen, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			break;
		}
		ret = mnl_cb_run(buf, n, seq, c->portid, cb, data);
		if (ret <= MNL_CB_STOP) {
			ret = ret < 0 ? -errno : 0;
			break;
		}
	}
out:
	free(buf);
	return ret;
}

static int gen_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
		if (mnl_attr_get_type(a) == NFTA_GEN_ID && mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			*(uint32_t *)data = ntohl(mnl_attr_get_u32(a));
	return MNL_CB_OK;
}

int bh_nft_conn_genid(struct bh_nft_conn *c, uint32_t *gen)
{
	char buf[256];
	struct nlmsghdr *nlh;
	struct nfgenmsg *g;

	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_GETGEN;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = bh_nft__conn_seq(c, 1);
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = AF_UNSPEC;
	g->version = NFNETLINK_V0;
	*gen = 0;
	return bh_nft__conn_request(c, nlh, gen_cb, gen);
}
