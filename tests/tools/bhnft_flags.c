// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bhnft_flags: print the flags and owner of an nftables table in the
 * current network namespace, read over netlink (nft 1.0.6 does not print
 * the persist flag):
 *
 *   bhnft_flags [FAMILY NAME]     default: inet bulkhead
 *   -> "flags 0x6 owner persist portid 3271" (portid only while owned)
 *
 * Exit status: 0 printed, 1 no such table, 2 error. Raw netlink, no
 * libraries: it is built static like the other tools.
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

#define F_OWNER 0x2
#define F_PERSIST 0x4
#define ATTR_OWNER 7	/* NFTA_TABLE_OWNER */

static const struct {
	const char *name;
	int family;
} families[] = {
	{ "inet", NFPROTO_INET }, { "ip", NFPROTO_IPV4 }, { "ip6", NFPROTO_IPV6 },
	{ "arp", NFPROTO_ARP }, { "bridge", NFPROTO_BRIDGE }, { "netdev", NFPROTO_NETDEV },
};

int main(int argc, char **argv)
{
	struct sockaddr_nl snl = { .nl_family = AF_NETLINK };
	const char *fam = "inet", *name = "bulkhead";
	char req[512], buf[16384];
	struct nlmsghdr *nlh = (struct nlmsghdr *)req;
	struct nfgenmsg *g;
	struct nlattr *a;
	int family = -1, fd;
	ssize_t n;

	if (argc == 3) {
		fam = argv[1];
		name = argv[2];
	} else if (argc != 1) {
		fprintf(stderr, "usage: bhnft_flags [FAMILY NAME]\n");
		return 2;
	}
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++)
		if (!strcmp(families[i].name, fam))
			family = families[i].family;
	if (family < 0 || strlen(name) > 255) {
		fprintf(stderr, "bhnft_flags: bad family or name\n");
		return 2;
	}
	memset(req, 0, sizeof(req));
	nlh->nlmsg_type = NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_GETTABLE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = 1;
	g = NLMSG_DATA(nlh);
	g->nfgen_family = (uint8_t)family;
	g->version = NFNETLINK_V0;
	a = (struct nlattr *)((char *)nlh + NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(*g)));
	a->nla_type = NFTA_TABLE_NAME;
	a->nla_len = NLA_HDRLEN + strlen(name) + 1;
	memcpy((char *)a + NLA_HDRLEN, name, strlen(name) + 1);
	nlh->nlmsg_len = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(*g)) + NLA_ALIGN(a->nla_len);
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	if (fd < 0 || sendto(fd, req, nlh->nlmsg_len, 0, (struct sockaddr *)&snl, sizeof(snl)) < 0) {
		perror("bhnft_flags");
		return 2;
	}
	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			perror("bhnft_flags: recv");
			return 2;
		}
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, (size_t)n); nlh = NLMSG_NEXT(nlh, n)) {
			uint32_t flags = 0, owner = 0;
			int has_owner = 0, len;

			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(nlh);

				if (e->error == -ENOENT)
					return 1;
				if (e->error) {
					fprintf(stderr, "bhnft_flags: %s\n", strerror(-e->error));
					return 2;
				}
				continue;	/* the ack after the answer */
			}
			len = nlh->nlmsg_len - NLMSG_HDRLEN - NLMSG_ALIGN(sizeof(*g));
			a = (struct nlattr *)((char *)nlh + NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(*g)));
			for (; len >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= len;
			     len -= NLA_ALIGN(a->nla_len),
			     a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len))) {
				uint32_t v;

				if (a->nla_len != NLA_HDRLEN + 4)
					continue;
				memcpy(&v, (char *)a + NLA_HDRLEN, 4);
				if ((a->nla_type & NLA_TYPE_MASK) == NFTA_TABLE_FLAGS)
					flags = ntohl(v);
				else if ((a->nla_type & NLA_TYPE_MASK) == ATTR_OWNER) {
					owner = ntohl(v);
					has_owner = 1;
				}
			}
			printf("flags 0x%x%s%s", flags, flags & F_OWNER ? " owner" : "",
			       flags & F_PERSIST ? " persist" : "");
			if (has_owner)
				printf(" portid %u", owner);
			printf("\n");
			return 0;
		}
	}
}
