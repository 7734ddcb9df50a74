// SPDX-License-Identifier: GPL-2.0-or-later
/* Entering network namespaces by path. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netlink/netns.h"

int bh_netns_run(const char *path, int (*fn)(void *arg), void *arg)
{
	int self, target, ret;

	if (!path || !*path)
		return fn(arg);

	/* thread-self: setns() changes the calling thread only */
	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return -errno;
	target = open(path, O_RDONLY | O_CLOEXEC);
	if (target < 0) {
		ret = -errno;
		goto close_self;
	}
	if (setns(target, CLONE_NEWNET) < 0) {
		/* EINVAL: the path is not a network namespace */
		ret = -errno;
		goto close_target;
	}
	ret = fn(arg);
	if (setns(self, CLONE_NEWNET) < 0)
		ret = -ENOTRECOVERABLE;
close_target:
	close(target);
close_self:
	close(self);
	return ret;
}

struct sock_args {
	int domain, type, protocol;
};

static int open_socket(void *arg)
{
	const struct sock_args *a = arg;
	int fd = socket(a->domain, a->type | SOCK_CLOEXEC, a->protocol);

	return fd < 0 ? -errno : fd;
}

int bh_netns_socket(const char *path, int domain, int type, int protocol)
{
	struct sock_args a = { domain, type, protocol };

	return bh_netns_run(path, open_socket, &a);
}
