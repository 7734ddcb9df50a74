// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Sink queue, flushing and lifetime, the same for every kind; what differs
 * is reached through s->ops only (sink_file.c, sink_syslog.c).
 *
 * Flushing happens from a prepare handle (just before the loop waits) and
 * a check handle (right after I/O callbacks ran), both started only while
 * something is queued: every line written during one loop iteration leaves
 * in one system call, and nothing waits for the next wake-up.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "log/sink_int.h"

#define BH_SINK_IOV 64
#define REC_HDR sizeof(uint32_t)
#define ALIGN4(n) (((n) + 3) & ~(size_t)3)

static inline uint32_t rec_len(const struct bh_sink *s, size_t off)
{
	uint32_t l;

	memcpy(&l, s->q + off, sizeof(l));
	return l;
}

static inline size_t rec_next(const struct bh_sink *s, size_t off)
{
	return off + REC_HDR + ALIGN4(rec_len(s, off));
}

static void arm(struct bh_sink *s);

uint8_t *bh__sink_reserve(struct bh_sink *s, size_t n)
{
	size_t need = REC_HDR + ALIGN4(n);

	if (s->closing || n > UINT32_MAX || s->q_tail - s->q_head + need > s->q_max) {
		s->st.dropped++;
		return NULL;
	}
	if (s->q_tail + need > s->q_cap && s->q_head) {
		memmove(s->q, s->q + s->q_head, s->q_tail - s->q_head);
		s->q_tail -= s->q_head;
		s->q_head = 0;
	}
	if (s->q_tail + need > s->q_cap) {
		/* Grows only up to q_max: after warm-up nothing is allocated. */
		size_t cap = s->q_cap ? s->q_cap : 65536;
		uint8_t *nq;

		while (cap < s->q_tail + need)
			cap *= 2;
		if (cap > s->q_max + REC_HDR + 4)
			cap = s->q_max + REC_HDR + 4;
		nq = realloc(s->q, cap);
		if (!nq) {
			s->st.dropped++;
			return NULL;
		}
		s->q = nq;
		s->q_cap = cap;
	}
	return s->q + s->q_tail + REC_HDR;
}

void bh__sink_commit(struct bh_sink *s, size_t n)
{
	uint32_t l = (uint32_t)n;

	memcpy(s->q + s->q_tail, &l, sizeof(l));
	s->q_tail += REC_HDR + ALIGN4(n);
	arm(s);
}

int bh__sink_put(struct bh_sink *s, const char *line, size_t len)
{
	uint8_t *p = bh__sink_reserve(s, len);

	if (!p)
		return -ENOBUFS;
	memcpy(p, line, len);
	bh__sink_commit(s, len);
	return 0;
}

/* Drops the head record (counted); used for cut TCP frames and undeliverable datagrams. */
void bh__sink_drop_head(struct bh_sink *s)
{
	s->q_head = rec_next(s, s->q_head);
	s->head_off = 0;
	s->st.dropped++;
	if (s->q_head == s->q_tail)
		s->q_head = s->q_tail = 0;
}

static void drop_all(struct bh_sink *s)
{
	while (s->q_head < s->q_tail)
		bh__sink_drop_head(s);
}

static void on_flush_prepare(uv_prepare_t *h)
{
	bh_sink_flush(h->data);
}

static void on_flush_check(uv_check_t *h)
{
	bh_sink_flush(h->data);
}

/* The flush handles run while something is queued. */
static void arm(struct bh_sink *s)
{
	if (s->closing)
		return;
	if (s->q_head < s->q_tail) {
		uv_prepare_start(&s->prepare, on_flush_prepare);
		uv_check_start(&s->check, on_flush_check);
	} else {
		uv_prepare_stop(&s->prepare);
		uv_check_stop(&s->check);
	}
}

static void on_close(uv_handle_t *h)
{
	struct bh_sink *s = h->data;
	bh_sink_close_cb cb;
	void *arg;

	if (h == (uv_handle_t *)&s->poll)
		s->poll_closing = false;
	if (--s->open_handles > 0 || !s->closing)
		return;
	s->ops->close(s);
	cb = s->close_cb;
	arg = s->close_arg;
	free(s->q);
	free(s->spec);
	free(s->path);
	free(s);
	if (cb)
		cb(arg);
}

static void on_poll(uv_poll_t *h, int status, int events);

void bh__sink_poll_set(struct bh_sink *s, bool out)
{
	int ev = 0;

	if (!s->pollable || s->fd < 0 || s->closing)
		return;
	if (!s->poll_open) {
		if (uv_poll_init(s->loop, &s->poll, s->fd) < 0)
			return;
		s->poll.data = s;
		s->poll_open = true;
		s->open_handles++;
	}
	s->wants_out = out;
	if (out || s->connecting)
		ev |= UV_WRITABLE;
	ev |= s->ops->poll_events;
	if (ev)
		uv_poll_start(&s->poll, ev, on_poll);
	else
		uv_poll_stop(&s->poll);
}

void bh__sink_poll_drop(struct bh_sink *s)
{
	if (!s->poll_open)
		return;
	s->poll_open = false;
	s->poll_closing = true;
	uv_close((uv_handle_t *)&s->poll, on_close);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
	struct bh_sink *s = h->data;

	if (s->ops->poll) {
		if (s->ops->poll(s, status, events))
			return;
	} else if (status < 0) {
		s->st.errors++;
		bh__sink_poll_set(s, false);
		return;
	}
	if (events & UV_WRITABLE) {
		s->wants_out = false;
		bh_sink_flush(s);
		if (!s->wants_out)
			bh__sink_poll_set(s, false);
	}
}

static void on_retry(uv_timer_t *t)
{
	struct bh_sink *s = t->data;

	if (s->ops->retry)
		s->ops->retry(s);
	else
		bh_sink_flush(s);
}

void bh__sink_retry_in(struct bh_sink *s, uint64_t ms)
{
	if (!s->closing)
		uv_timer_start(&s->timer, on_retry, ms, 0);
}

static int flush_stream(struct bh_sink *s)
{
	while (s->q_head < s->q_tail) {
		struct iovec iov[BH_SINK_IOV];
		size_t off = s->q_head;
		int cnt = 0;
		ssize_t n;

		bool nl = s->cut;

		/* A line cut by a failed write is ended before anything else goes out. */
		if (nl) {
			iov[0].iov_base = (void *)"\n";
			iov[0].iov_len = 1;
			cnt = 1;
		}
		for (; off < s->q_tail && cnt < BH_SINK_IOV; off = rec_next(s, off), cnt++) {
			size_t skip = off == s->q_head ? s->head_off : 0;

			iov[cnt].iov_base = s->q + off + REC_HDR + skip;
			iov[cnt].iov_len = rec_len(s, off) - skip;
		}
		n = writev(s->fd, iov, cnt);
		if (n < 0) {
			int err = -errno;

			if (err == -EINTR)
				continue;
			if (err == -EAGAIN || err == -EWOULDBLOCK) {
				bh__sink_poll_set(s, true);
				return 0;
			}
			s->st.errors++;
			if (s->ops->lost) {
				s->ops->lost(s, err);
				return 0;
			}
			/*
			 * A file or pipe that cannot take data (ENOSPC): drop rather
			 * than retry forever. When part of a line went out, the
			 * next write starts with the newline that ends it.
			 */
			if (s->head_off)
				s->cut = true;
			drop_all(s);
			return err;
		}
		s->st.bytes += (uint64_t)n;
		if (nl && n > 0) {
			s->cut = false;
			n--;
		}
		while (n > 0) {
			size_t left = rec_len(s, s->q_head) - s->head_off;

			if ((size_t)n < left) {
				s->head_off += (size_t)n;
				break;
			}
			n -= (ssize_t)left;
			s->q_head = rec_next(s, s->q_head);
			s->head_off = 0;
			s->st.written++;
		}
	}
	s->q_head = s->q_tail = 0;
	return 0;
}

static int flush_dgram(struct bh_sink *s)
{
	while (s->q_head < s->q_tail) {
		struct mmsghdr mm[BH_SINK_IOV];
		struct iovec iov[BH_SINK_IOV];
		size_t off = s->q_head;
		int cnt = 0, r;

		memset(mm, 0, sizeof(mm));
		for (; off < s->q_tail && cnt < BH_SINK_IOV; off = rec_next(s, off), cnt++) {
			iov[cnt].iov_base = s->q + off + REC_HDR;
			iov[cnt].iov_len = rec_len(s, off);
			mm[cnt].msg_hdr.msg_iov = &iov[cnt];
			mm[cnt].msg_hdr.msg_iovlen = 1;
			mm[cnt].msg_hdr.msg_name = &s->addr;
			mm[cnt].msg_hdr.msg_namelen = s->addrlen;
		}
		r = sendmmsg(s->fd, mm, (unsigned int)cnt, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (r < 0) {
			int err = -errno;

			if (err == -EINTR)
				continue;
			if (err == -EAGAIN || err == -EWOULDBLOCK || err == -ENOBUFS) {
				/*
				 * A unix datagram socket reports writable whatever the
				 * receiver's queue holds, so poll would spin: retry soon.
				 */
				if (!uv_is_active((uv_handle_t *)&s->timer))
					bh__sink_retry_in(s, 10);
				uv_prepare_stop(&s->prepare);
				uv_check_stop(&s->check);
				return 0;
			}
			/* No receiver (ENOENT, ECONNREFUSED), too big: this line is lost. */
			s->st.errors++;
			bh__sink_drop_head(s);
			continue;
		}
		for (int i = 0; i < r; i++) {
			s->st.bytes += mm[i].msg_len;
			s->st.written++;
			s->q_head = rec_next(s, s->q_head);
		}
	}
	s->q_head = s->q_tail = 0;
	return 0;
}

int bh_sink_flush(struct bh_sink *s)
{
	int err = 0;

	if (s->fd >= 0 && s->connected) {
		if (s->dgram)
			err = flush_dgram(s);
		else if (!s->wants_out)
			err = flush_stream(s);
	}
	arm(s);
	/* Nothing more to do until the fd is writable / the timer fires / a connection is up. */
	if (s->q_head < s->q_tail &&
	    (s->wants_out || uv_is_active((uv_handle_t *)&s->timer) || s->fd < 0 || !s->connected)) {
		uv_prepare_stop(&s->prepare);
		uv_check_stop(&s->check);
	}
	return err;
}

int bh_sink_write(struct bh_sink *s, const char *line, size_t len)
{
	return s->ops->write(s, line, len);
}

int bh_sink_reopen(struct bh_sink *s)
{
	return s->ops->reopen ? s->ops->reopen(s) : 0;
}

int bh__sink_alloc(uv_loop_t *loop, const char *spec, const struct bh__sink_ops *ops,
		   struct bh_sink **out)
{
	struct bh_sink *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->loop = loop;
	s->ops = ops;
	s->fd = -1;
	s->q_max = BH_SINK_QUEUE_MAX;
	s->backoff_ms = 100;
	s->spec = strdup(spec);
	if (!s->spec) {
		free(s);
		return -ENOMEM;
	}
	*out = s;
	return 0;
}

void bh__sink_start(struct bh_sink *s)
{
	uv_prepare_init(s->loop, &s->prepare);
	uv_check_init(s->loop, &s->check);
	uv_timer_init(s->loop, &s->timer);
	s->prepare.data = s->check.data = s->timer.data = s;
	s->open_handles = 3;
	if (s->ops->start)
		s->ops->start(s);
}

void bh__sink_free(struct bh_sink *s)
{
	s->ops->close(s);
	free(s->path);
	free(s->spec);
	free(s);
}

void bh_sink_stats(const struct bh_sink *s, struct bh_sink_stats *st)
{
	*st = s->st;
	st->queued = s->q_tail - s->q_head;
}

const char *bh_sink_spec(const struct bh_sink *s)
{
	return s->spec;
}

void bh_sink_set_queue_max(struct bh_sink *s, size_t bytes)
{
	s->q_max = bytes ? bytes : BH_SINK_QUEUE_MAX;
}

void bh_sink_close(struct bh_sink *s, bh_sink_close_cb cb, void *arg)
{
	if (s->closing)
		return;
	bh_sink_flush(s);
	drop_all(s);
	s->closing = true;
	s->close_cb = cb;
	s->close_arg = arg;
	uv_close((uv_handle_t *)&s->prepare, on_close);
	uv_close((uv_handle_t *)&s->check, on_close);
	uv_close((uv_handle_t *)&s->timer, on_close);
	if (s->poll_open) {
		s->poll_open = false;
		uv_close((uv_handle_t *)&s->poll, on_close);
	}
}
