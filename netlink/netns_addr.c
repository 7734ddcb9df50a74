// SPDX-License-Identifier: GPL-2.0-or-later
/* Reading a namespace's own addresses over rtnetlink. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <libmnl/libmnl.h>

#include "lib/array.h"
#include "policy/model.h"
#include "netlink/netns.h"

struct addr_list {
	struct bh_addr *v;
	size_t n, cap;
	int err;
};

static int addr_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	/* newer kernels add attributes: skip what we do not know */
	if (mnl_attr_type_valid(attr, IFA_MAX) < 0)
		return MNL_CB_OK;
	tb[type] = attr;
	return MNL_CB_OK;
}

static int addr_cb(const struct nlmsghdr *nlh, void *data)
{
	struct addr_list *l = data;
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[IFA_MAX + 1] = { NULL };
	const struct nlattr *a;
	struct bh_addr ad = { 0 };
	size_t alen;

	/* host scope is loopback, link scope is link-local */
	if (ifa->ifa_scope != RT_SCOPE_UNIVERSE)
		return MNL_CB_OK;
	if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*ifa), addr_attr_cb, tb);
	/* IFA_LOCAL is our own address on point-to-point links */
	a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (!a)
		return MNL_CB_OK;
	alen = ifa->ifa_family == AF_INET ? 4 : 16;
	if (mnl_attr_get_payload_len(a) != alen)
		return MNL_CB_OK;
	ad.family = ifa->ifa_family;
	memcpy(ad.a, mnl_attr_get_payload(a), alen);
	if (bh_array_reserve(l->v, l->cap, l->n + 1, 8)) {
		l->err = -ENOMEM;
		return MNL_CB_ERROR;
	}
	l->v[l->n++] = ad;
	return MNL_CB_OK;
}

static int dump_family(struct mnl_socket *nl, int family, uint32_t seq, struct addr_list *l)
{
	char buf[32768];	/* dump messages fill at most a page or two */
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifaddrmsg *ifa;
	unsigned int portid = mnl_socket_get_portid(nl);
	ssize_t len;
	int ret;

	nlh->nlmsg_type = RTM_GETADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = family;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		len = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (len < 0)
			return -errno;
		ret = mnl_cb_run(buf, len, seq, portid, addr_cb, l);
		if (ret < 0)
			return l->err ? l->err : -errno;
		if (ret == MNL_CB_STOP)
			return 0;
	}
}

static int cmp_addr(const void *x, const void *y)
{
	const struct bh_addr *a = x, *b = y;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->a, b->a, sizeof(a->a));
}

int bh_netns_addrs(const char *path, struct bh_addr **out, size_t *n)
{
	struct addr_list l = { 0 };
	struct mnl_socket *nl;
	size_t i, j;
	int fd, ret;

	*out = NULL;
	*n = 0;
	fd = bh_netns_socket(path, AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
	if (fd < 0)
		return fd;
	nl = mnl_socket_fdopen(fd);
	if (!nl) {
		ret = -errno;
		close(fd);
		return ret;
	}
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto out;
	}
	ret = dump_family(nl, AF_INET, 1, &l);
	if (!ret)
		ret = dump_family(nl, AF_INET6, 2, &l);
	if (ret)
		goto out;
	qsort(l.v, l.n, sizeof(*l.v), cmp_addr);
	for (i = j = 0; i < l.n; i++)
		if (!j || cmp_addr(&l.v[j - 1], &l.v[i]))
			l.v[j++] = l.v[i];
	*out = j ? l.v : NULL;
	*n = j;
	if (!j)
		free(l.v);
	l.v = NULL;
out:
	free(l.v);
	mnl_socket_close(nl);
	return ret;
}
