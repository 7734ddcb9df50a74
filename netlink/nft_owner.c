// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Owned tables: whether the kernel supports them, and which process owns
 * one. The kernel names a table's owner by netlink port id; the port id
 * leads to a socket inode in /proc/net/netlink (read inside the table's
 * namespace, where the socket lives) and the inode to the process that
 * holds it in /proc/PID/fd.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/netlink.h>

#include "policy/compile.h"
#include "netlink/netns.h"
#include "netlink/nft.h"
#include "netlink/nft_conn.h"

/* Runs in the throwaway namespace: create an owned, persistent table. */
static int probe_here(void)
{
	struct bh_nft_batch *b;
	struct bh_nft_conn *c;
	char err[128];
	int ret;

	ret = bh_nft_conn_open(NULL, &c, err, sizeof(err));
	if (ret)
		return ret;
	ret = bh_nft_batch_alloc(&b);
	if (!ret) {
		bh_nft_batch_set_table_flags(b, BH_NFT_F_OWNED);
		ret = bh_nft_build_empty(b);
		if (!ret)
			ret = bh_nft_conn_send(c, b, 0, err, sizeof(err));
		bh_nft_batch_free(b);
	}
	/* nothing was deleted that existed before: this close does not wait */
	bh_nft_conn_close(c);
	if (ret == -EOPNOTSUPP || ret == -EINVAL)
		return 0;	/* a flag this kernel does not know */
	return ret ? ret : 1;
}

int bh_nft_probe_owned(void)
{
	int self, ret;

	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return -errno;
	/* unshare() moves this thread only; the namespace dies with the probe's socket */
	if (unshare(CLONE_NEWNET) < 0) {
		ret = -errno;
		close(self);
		return ret;
	}
	ret = probe_here();
	if (setns(self, CLONE_NEWNET) < 0)
		ret = -ENOTRECOVERABLE;
	close(self);
	return ret;
}

struct find_arg {
	uint32_t portid;
	unsigned long inode;
};

/* Inside the namespace: /proc/thread-self/net/netlink is this namespace's list. */
static int inode_of_port(void *arg)
{
	struct find_arg *a = arg;
	FILE *f = fopen("/proc/thread-self/net/netlink", "re");
	char line[256];
	int ret = -ENOENT;

	if (!f)
		return -errno;
	/* sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode */
	while (fgets(line, sizeof(line), f)) {
		unsigned long sk, inode;
		unsigned int eth, pid;

		if (sscanf(line, "%lx %u %u %*x %*d %*d %*d %*d %*d %lu", &sk, &eth, &pid,
			   &inode) != 4)
			continue;
		if (eth == NETLINK_NETFILTER && pid == a->portid) {
			a->inode = inode;
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

/* Does /proc/PID/fd hold socket:[inode]? */
static bool holds(const char *pid, unsigned long inode)
{
	char path[300], link[64], want[40];
	struct dirent *d;
	bool found = false;
	DIR *dir;
	int dfd;

	snprintf(path, sizeof(path), "/proc/%s/fd", pid);
	dir = opendir(path);
	if (!dir)
		return false;
	dfd = dirfd(dir);
	snprintf(want, sizeof(want), "socket:[%lu]", inode);
	while (!found && (d = readdir(dir))) {
		ssize_t n = readlinkat(dfd, d->d_name, link, sizeof(link) - 1);

		if (n > 0) {
			link[n] = 0;
			found = !strcmp(link, want);
		}
	}
	closedir(dir);
	return found;
}

int bh_nft_owner_find(const char *netns, uint32_t portid, struct bh_nft_owner *o)
{
	struct find_arg a = { .portid = portid };
	struct dirent *d;
	DIR *proc;
	int ret;

	memset(o, 0, sizeof(*o));
	ret = bh_netns_run(netns, inode_of_port, &a);
	if (ret == -ENOENT)
		return 0;
	if (ret < 0)
		return ret;
	proc = opendir("/proc");
	if (!proc)
		return -errno;
	while ((d = readdir(proc))) {
		char path[300];
		FILE *f;

		if (d->d_name[0] < '1' || d->d_name[0] > '9' || !holds(d->d_name, a.inode))
			continue;
		o->pid = atoi(d->d_name);
		snprintf(path, sizeof(path), "/proc/%s/comm", d->d_name);
		f = fopen(path, "re");
		if (f) {
			if (fgets(o->comm, sizeof(o->comm), f))
				o->comm[strcspn(o->comm, "\n")] = 0;
			fclose(f);
		}
		break;
	}
	closedir(proc);
	return 0;
}

int bh_nft_owner_describe(const char *netns, char *buf, size_t len)
{
	struct bh_nft_state st;
	struct bh_nft_owner o;
	int ret;

	ret = bh_nft_table_read(netns, &st);
	if (ret <= 0)
		return ret;
	if (!st.has_owner)
		return 0;
	ret = bh_nft_owner_find(netns, st.owner, &o);
	if (ret < 0)
		return ret;
	if (o.pid)
		snprintf(buf, len, "table inet %s is owned by process %d (%s)", BH_TABLE, o.pid,
			 o.comm[0] ? o.comm : "?");
	else
		snprintf(buf, len, "table inet %s is owned by netlink port %u (no process found)",
			 BH_TABLE, st.owner);
	return 1;
}

static const char *const mode_names[] = {
	[BH_NFT_MODE_AUTO] = "auto",
	[BH_NFT_MODE_OWNED] = "owned",
	[BH_NFT_MODE_UNOWNED] = "unowned",
};

int bh_nft_mode_parse(const char *s, enum bh_nft_mode *out)
{
	for (size_t i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++)
		if (s && !strcmp(s, mode_names[i])) {
			*out = (enum bh_nft_mode)i;
			return 0;
		}
	return -EINVAL;
}

const char *bh_nft_mode_name(uint32_t table_flags)
{
	return table_flags & BH_NFT_F_OWNER ? "owned" : "unowned";
}

int bh_nft_mode_resolve(enum bh_nft_mode m, uint32_t *flags, char *why, size_t len)
{
	int ret;

	*flags = 0;
	snprintf(why, len, "%s", "");
	if (m == BH_NFT_MODE_UNOWNED) {
		snprintf(why, len, "asked for");
		return 0;
	}
	ret = bh_nft_probe_owned();
	if (ret == 1) {
		*flags = BH_NFT_F_OWNED;
		snprintf(why, len, "the kernel keeps owned tables (owner+persist)");
		return 0;
	}
	if (ret == 0)
		snprintf(why, len, "the kernel refuses owner+persist tables (persist needs Linux 6.9)");
	else
		snprintf(why, len, "probing owner+persist tables failed: %s", strerror(-ret));
	/* owner without persist would take the rules down with the process: never that */
	return m == BH_NFT_MODE_OWNED ? -EOPNOTSUPP : 0;
}
