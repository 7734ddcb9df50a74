// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Entering network namespaces (netlink/netns.h): no descriptor survives an
 * error path, and a thread that cannot go back to its namespace ends the
 * process loudly instead of carrying on inside the other one. Only NULL
 * means "the current namespace": an empty path is an error, never the
 * agent's own namespace by accident (a default-deny table there would
 * firewall the host).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "netlink/netns.h"
#include "policy/model.h"

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1;	/* the directory's own descriptor */
}

static int fn_fails(void *arg)
{
	int *called = arg;

	(*called)++;
	return -EPROTO;
}

static void test_netns_errors_leave_no_fd(void **state)
{
	char file[] = "/tmp/bh-test-netns.XXXXXX";
	struct bh_addr *ips = NULL;
	int before, fd, called = 0;
	size_t n = 0;

	fd = mkstemp(file);
	assert_true(fd >= 0);
	close(fd);
	before = count_fds();

	assert_int_equal(bh_netns_socket("/nonexistent/netns", AF_UNIX, SOCK_DGRAM, 0), -ENOENT);
	assert_int_equal(count_fds(), before);
	/* a regular file and a directory open fine but are no namespace */
	assert_int_equal(bh_netns_socket(file, AF_UNIX, SOCK_DGRAM, 0), -EINVAL);
	assert_int_equal(count_fds(), before);
	assert_int_equal(bh_netns_socket("/tmp", AF_UNIX, SOCK_DGRAM, 0), -EINVAL);
	assert_int_equal(count_fds(), before);
	assert_int_equal(bh_netns_run(file, fn_fails, &called), -EINVAL);
	assert_int_equal(called, 0);	/* never called when the namespace was not entered */
	assert_int_equal(bh_netns_addrs("/nonexistent/netns", &ips, &n), -ENOENT);
	assert_null(ips);
	assert_int_equal(count_fds(), before);
	assert_int_equal(bh_netns_addrs(file, &ips, &n), -EINVAL);
	assert_int_equal(count_fds(), before);

	if (geteuid() == 0) {
		/* entered for real (our own namespace), fn fails: its error, no fd */
		assert_int_equal(bh_netns_run("/proc/self/ns/net", fn_fails, &called), -EPROTO);
		assert_int_equal(called, 1);
		assert_int_equal(count_fds(), before);
		/* a protocol the kernel lacks: the socket() error, no fd */
		assert_true(bh_netns_socket("/proc/self/ns/net", AF_NETLINK, SOCK_RAW, 31) < 0);
		assert_int_equal(count_fds(), before);
		fd = bh_netns_socket("/proc/self/ns/net", AF_UNIX, SOCK_DGRAM, 0);
		assert_true(fd >= 0);
		assert_int_equal(count_fds(), before + 1);
		close(fd);
		assert_int_equal(bh_netns_addrs("/proc/self/ns/net", &ips, &n), 0);
		free(ips);
		assert_int_equal(count_fds(), before);
	}
	unlink(file);
}

/* Inside the namespace: open a socket, then lose CAP_SYS_ADMIN so setns() back fails. */
static int fn_lose_way_back(void *arg)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (syscall(SYS_capget, &h, d))
		return -errno;
	d[CAP_SYS_ADMIN / 32].effective &= ~(1u << (CAP_SYS_ADMIN % 32));
	if (syscall(SYS_capset, &h, d))
		return -errno;
	return fd;
}

static void test_netns_failed_return_aborts(void **state)
{
	char err[1024] = "";
	int pfd[2], status, r;
	ssize_t n, off = 0;
	pid_t pid;

	if (geteuid() != 0)
		skip();	/* entering a namespace needs CAP_SYS_ADMIN */
	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(pfd[1], 2);
		close(pfd[0]);
		signal(SIGABRT, SIG_DFL);
		r = bh_netns_run("/proc/self/ns/net", fn_lose_way_back, NULL);
		/* only reached when the failure went unnoticed */
		fprintf(stderr, "returned %d\n", r);
		_exit(r == -ENOTRECOVERABLE ? 3 : 4);
	}
	close(pfd[1]);
	while (off < (ssize_t)sizeof(err) - 1 &&
	       (n = read(pfd[0], err + off, sizeof(err) - 1 - off)) > 0)
		off += n;
	err[off] = 0;
	close(pfd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFSIGNALED(status))
		fail_msg("child exited with %d instead of aborting; stderr: %s",
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1, err);
	assert_int_equal(WTERMSIG(status), SIGABRT);
	assert_non_null(strstr(err, "cannot return to the original network namespace after "
				    "entering /proc/self/ns/net"));
	assert_non_null(strstr(err, "Operation not permitted"));
}

static int count_call(void *arg)
{
	(*(int *)arg)++;
	return 7;
}

static void test_netns_empty_path_is_einval(void **state)
{
	struct bh_addr *ips = NULL;
	size_t n = 99;
	int calls = 0, fd;

	assert_int_equal(bh_netns_run("", count_call, &calls), -EINVAL);
	assert_int_equal(calls, 0);
	assert_int_equal(bh_netns_socket("", AF_INET, SOCK_DGRAM, 0), -EINVAL);
	assert_int_equal(bh_netns_addrs("", &ips, &n), -EINVAL);
	assert_null(ips);
	/* NULL, and only NULL, is the current namespace */
	assert_int_equal(bh_netns_run(NULL, count_call, &calls), 7);
	assert_int_equal(calls, 1);
	fd = bh_netns_socket(NULL, AF_INET, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_netns_errors_leave_no_fd),
		cmocka_unit_test(test_netns_failed_return_aborts),
		cmocka_unit_test(test_netns_empty_path_is_einval),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
