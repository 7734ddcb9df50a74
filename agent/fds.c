// SPDX-License-Identifier: GPL-2.0-or-later
#include <dirent.h>
#include <errno.h>
#include <sys/resource.h>

#include "agent/fds.h"

int bh_fds_raise(struct bh_fds *st)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -errno;
	st->soft_before = st->soft = rl.rlim_cur;
	st->hard_before = st->hard = rl.rlim_max;
	if (rl.rlim_cur >= BH_FDS_WANT)
		return 0;
	if (rl.rlim_max < BH_FDS_WANT) {
		struct rlimit up = { BH_FDS_WANT, BH_FDS_WANT };

		/* needs CAP_SYS_RESOURCE and fs.nr_open >= BH_FDS_WANT */
		if (setrlimit(RLIMIT_NOFILE, &up) == 0) {
			st->soft = st->hard = BH_FDS_WANT;
			return 0;
		}
	}
	rl.rlim_cur = rl.rlim_max < BH_FDS_WANT ? rl.rlim_max : BH_FDS_WANT;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -errno;
	st->soft = rl.rlim_cur;
	return 0;
}

uint64_t bh_fds_namespaces(const struct bh_fds *st)
{
	return st->soft > BH_FDS_RESERVED ? (st->soft - BH_FDS_RESERVED) / BH_FDS_PER_NS : 0;
}

long bh_fds_open(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	long n = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1;	/* the directory's own descriptor */
}
