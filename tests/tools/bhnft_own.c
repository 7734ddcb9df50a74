// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bhnft_own: create `table inet bulkhead` with the kernel's owner flag in
 * the current network namespace and hold it. While this process lives,
 * the kernel refuses every other process's change to the table (EPERM):
 * the tests use it to make a namespace reject bulkhead's transaction.
 * The table holds one chain, "keep", so a test can see it was left alone.
 *
 *   bhnft_own [--max-seconds N]     prints "ready" once the table exists
 *
 * Raw netlink, no libraries: it is built static like the other tools.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>

#ifndef NFT_TABLE_F_OWNER
#define NFT_TABLE_F_OWNER 0x2
#endif

struct msgbuf {
	char buf[4096];
	size_t len;
};

static struct nlmsghdr *msg_start(struct msgbuf *m, uint16_t type, uint16_t flags, uint32_t seq,
				  uint8_t family, uint16_t res_id)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)(m->buf + m->len);
	struct nfgenmsg *g;

	memset(nlh, 0, NLMSG_HDRLEN + sizeof(*g));
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_len = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(*g));
	g = (struct nfgenmsg *)NLMSG_DATA(nlh);
	g->nfgen_family = family;
	g->version = NFNETLINK_V0;
	g->res_id = htons(res_id);
	return nlh;
}

static void attr_put(struct nlmsghdr *nlh, uint16_t type, const void *data, uint16_t len)
{
	struct nlattr *a = (struct nlattr *)((char *)nlh + NLMSG_ALIGN(nlh->nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy((char *)a + NLA_HDRLEN, data, len);
	memset((char *)a + NLA_HDRLEN + len, 0, NLA_ALIGN(len) - len);
	nlh->nlmsg_len = NLMSG_ALIGN(nlh->nlmsg_len) + NLA_ALIGN(a->nla_len);
}

static void msg_end(struct msgbuf *m, struct nlmsghdr *nlh)
{
	m->len += NLMSG_ALIGN(nlh->nlmsg_len);
}

int main(int argc, char **argv)
{
	struct sockaddr_nl snl = { .nl_family = AF_NETLINK };
	struct msgbuf m = { .len = 0 };
	struct nlmsghdr *nlh;
	uint32_t flags = htonl(NFT_TABLE_F_OWNER);
	long max_seconds = 600;
	char rbuf[8192];
	int fd, acks = 0;

	if (argc == 3 && !strcmp(argv[1], "--max-seconds"))
		max_seconds = atol(argv[2]);
	else if (argc != 1) {
		fprintf(stderr, "usage: bhnft_own [--max-seconds N]\n");
		return 2;
	}
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	if (fd < 0 || bind(fd, (struct sockaddr *)&snl, sizeof(snl)) < 0) {
		perror("bhnft_own: socket");
		return 1;
	}
	nlh = msg_start(&m, NFNL_MSG_BATCH_BEGIN, 0, 1, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);
	msg_end(&m, nlh);
	nlh = msg_start(&m, NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWTABLE, NLM_F_CREATE | NLM_F_ACK, 2,
			NFPROTO_INET, 0);
	attr_put(nlh, NFTA_TABLE_NAME, "bulkhead", sizeof("bulkhead"));
	attr_put(nlh, NFTA_TABLE_FLAGS, &flags, sizeof(flags));
	msg_end(&m, nlh);
	nlh = msg_start(&m, NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWCHAIN, NLM_F_CREATE | NLM_F_ACK, 3,
			NFPROTO_INET, 0);
	attr_put(nlh, NFTA_CHAIN_TABLE, "bulkhead", sizeof("bulkhead"));
	attr_put(nlh, NFTA_CHAIN_NAME, "keep", sizeof("keep"));
	msg_end(&m, nlh);
	nlh = msg_start(&m, NFNL_MSG_BATCH_END, 0, 4, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);
	msg_end(&m, nlh);
	if (sendto(fd, m.buf, m.len, 0, (struct sockaddr *)&snl, sizeof(snl)) < 0) {
		perror("bhnft_own: send");
		return 1;
	}
	while (acks < 2) {
		ssize_t n = recv(fd, rbuf, sizeof(rbuf), 0);
		int left = (int)n;

		if (n < 0) {
			perror("bhnft_own: recv");
			return 1;
		}
		for (nlh = (struct nlmsghdr *)rbuf; NLMSG_OK(nlh, left); nlh = NLMSG_NEXT(nlh, left)) {
			const struct nlmsgerr *e = NLMSG_DATA(nlh);

			if (nlh->nlmsg_type != NLMSG_ERROR)
				continue;
			if (e->error) {
				fprintf(stderr, "bhnft_own: %s\n", strerror(-e->error));
				return 1;
			}
			acks++;
		}
	}
	printf("ready\n");
	fflush(stdout);
	/* the table lives exactly as long as this socket */
	sleep(max_seconds);
	close(fd);
	return 0;
}
