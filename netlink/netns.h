/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BH_NETNS_H
#define BH_NETNS_H

/*
 * Network namespaces by path (/run/netns/NAME, /proc/PID/ns/net).
 * The calling thread enters the namespace with setns(CLONE_NEWNET) and
 * always returns to the namespace it started in, also on error. Sockets
 * opened inside stay bound to that namespace after we return: that is how
 * one process programs and listens in many namespaces.
 */

#include <stddef.h>

struct bh_addr;
struct bh_diag;
struct bh_inventory;

/*
 * Run fn(arg) inside the network namespace at path (NULL, and only NULL,
 * runs it in the current namespace; "" is -EINVAL). Returns fn's return value, or a negative
 * errno when the namespace cannot be opened or entered (fn is then not
 * called; no descriptor is left open).
 *
 * Once fn has run, the thread always goes back to its original namespace
 * or the process ends: when that setns() fails (a file descriptor or
 * capability taken away inside fn, a kernel refusal), a line naming the
 * namespace and the reason goes to stderr and the process abort()s. This
 * is the only abort on a kernel answer in bulkhead and deliberate: a
 * thread left in a container's namespace would program, listen and read
 * addresses there while believing it is on the host, and whatever fn
 * opened (a socket returned to the caller) would be lost with it. A
 * supervisor restarts the agent, which adopts the tables in force.
 */
int bh_netns_run(const char *path, int (*fn)(void *arg), void *arg);

/*
 * socket(domain, type, protocol) created inside the namespace at path.
 * Returns the file descriptor (the caller closes it) or a negative errno;
 * on error no descriptor stays open.
 */
int bh_netns_socket(const char *path, int domain, int type, int protocol);

/*
 * The global-scope addresses of every interface in the namespace at path
 * (loopback and link-local ones are skipped), read over rtnetlink.
 * Returns 0 with *out (malloc'd, caller frees; NULL when *n == 0) sorted
 * and without duplicates, or a negative errno.
 */
int bh_netns_addrs(const char *path, struct bh_addr **out, size_t *n);

/*
 * Fill the addresses of every workload listed without `ips` from its
 * namespace (bh_netns_addrs). A namespace that cannot be read leaves the
 * workload's addresses as they were; when errs is not NULL (inv->n_wl
 * entries), errs[i] gets 0 or the negative errno of workload i. Returns
 * the number of workloads whose addresses changed (the inventory's
 * address index is rebuilt then), or -ENOMEM.
 */
int bh_netns_resolve_ips(struct bh_inventory *inv, int *errs);

/*
 * Two workloads whose netns paths lead to one namespace (the same st_dev
 * and st_ino: equal paths, or two bind mounts of one namespace) would
 * replace each other's table. Records one diagnostic per such workload at
 * the later entry in the file, naming both and where the first is, and
 * returns how many (0: all distinct), or -ENOMEM. Paths that cannot be
 * stat()ed are skipped: a namespace that does not exist shares nothing.
 */
int bh_netns_check_distinct(const struct bh_inventory *inv, struct bh_diag *d);

#endif
