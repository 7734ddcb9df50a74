// SPDX-License-Identifier: GPL-2.0-or-later
/* The deferred closer: one worker thread, one queue of descriptors. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "lib/array.h"
#include "netlink/nl_close.h"

static struct {
	pthread_mutex_t lock;
	pthread_cond_t wake;	/* work queued, or stop */
	pthread_t thread;
	int *q;
	size_t n, cap;
	unsigned int users;
	bool running, stop;
	struct bh_nl_close_stats st;
} cl = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.wake = PTHREAD_COND_INITIALIZER,
};

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* close() and its cost; called with the lock released. */
static uint64_t timed_close(int fd)
{
	uint64_t t0 = now_us();

	close(fd);
	return now_us() - t0;
}

static void account(uint64_t us, bool deferred)
{
	cl.st.closed++;
	cl.st.deferred += deferred;
	cl.st.total_us += us;
	if (us > cl.st.max_us)
		cl.st.max_us = us;
}

static void *worker(void *arg)
{
	pthread_mutex_lock(&cl.lock);
	for (;;) {
		while (!cl.n && !cl.stop)
			pthread_cond_wait(&cl.wake, &cl.lock);
		if (!cl.n)
			break;
		/* FIFO is not needed: take the last one */
		int fd = cl.q[--cl.n];
		uint64_t us;

		pthread_mutex_unlock(&cl.lock);
		us = timed_close(fd);
		pthread_mutex_lock(&cl.lock);
		account(us, true);
		cl.st.pending = cl.n;
	}
	pthread_mutex_unlock(&cl.lock);
	return NULL;
}

int bh_nl_closer_start(void)
{
	int ret = 0;

	pthread_mutex_lock(&cl.lock);
	if (!cl.running) {
		cl.stop = false;
		ret = -pthread_create(&cl.thread, NULL, worker, NULL);
		cl.running = !ret;
	}
	if (!ret)
		cl.users++;
	pthread_mutex_unlock(&cl.lock);
	return ret;
}

void bh_nl_closer_stop(void)
{
	bool join = false;

	pthread_mutex_lock(&cl.lock);
	if (cl.users && !--cl.users && cl.running) {
		cl.stop = true;
		pthread_cond_broadcast(&cl.wake);
		join = true;
	}
	pthread_mutex_unlock(&cl.lock);
	if (!join)
		return;
	pthread_join(cl.thread, NULL);
	pthread_mutex_lock(&cl.lock);
	cl.running = false;
	free(cl.q);
	cl.q = NULL;
	cl.n = cl.cap = 0;
	pthread_mutex_unlock(&cl.lock);
}

void bh_nl_close(int fd)
{
	uint64_t us;

	if (fd < 0)
		return;
	pthread_mutex_lock(&cl.lock);
	if (cl.running && !cl.stop) {
		if (!bh_array_reserve(cl.q, cl.cap, cl.n + 1, 64)) {
			cl.q[cl.n++] = fd;
			cl.st.pending = cl.n;
			pthread_cond_signal(&cl.wake);
			pthread_mutex_unlock(&cl.lock);
			return;
		}
	}
	pthread_mutex_unlock(&cl.lock);
	us = timed_close(fd);
	pthread_mutex_lock(&cl.lock);
	account(us, false);
	pthread_mutex_unlock(&cl.lock);
}

void bh_nl_close_stats_get(struct bh_nl_close_stats *st)
{
	pthread_mutex_lock(&cl.lock);
	*st = cl.st;
	pthread_mutex_unlock(&cl.lock);
}
