// SPDX-License-Identifier: GPL-2.0-or-later
/* Entering network namespaces by path. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netlink/netns.h"
#include "policy/diag.h"

/*
 * The thread is still inside the namespace at path and cannot leave it.
 * Carrying on would program, listen and resolve in a container's namespace
 * while believing it is the host's: the worst outcome there is, so this is
 * the one place where netlink/ prints and the process aborts (see netns.h).
 */
static void __attribute__((noreturn)) stuck_in(const char *path, int err)
{
	char p[512];

	bh_diag_escape(p, sizeof(p), path);
	fprintf(stderr, "bulkhead: fatal: cannot return to the original network namespace after "
			"entering %s: %s; aborting rather than carry on inside it\n", p, strerror(err));
	abort();
}

int bh_netns_run(const char *path, int (*fn)(void *arg), void *arg)
{
	int self, target, ret;

	if (!path)
		return fn(arg);
	if (!*path)
		return -EINVAL;	/* never "here" by accident: only NULL means the current namespace */

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
		stuck_in(path, errno);
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
