// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "agent/control.h"

#define CONN_READ_MS 2000	/* connect to complete request */
#define CONN_WRITE_MS 10000	/* answer queued to answer read */
#define CONN_MAX 64		/* open connections; a new one makes room */
#define CONN_HARD_MAX (CONN_MAX + 16)	/* with those being answered "busy" */
#define CTL_BACKLOG 128

struct conn {
	struct bh_control *ctl;
	struct conn *prev, *next;	/* in ctl's list, oldest first */
	uv_pipe_t pipe;
	uv_timer_t timer;
	uv_write_t wr;
	char *buf;		/* allocated at the first byte: idle clients cost little */
	size_t len;
	char *resp;
	uint32_t uid;
	int closing;		/* handles still to close; non-zero once closing */
	bool refused;		/* the peer's uid is not allowed */
	bool answered;		/* an answer is queued: no more request bytes are kept */
	bool complete;		/* the whole request was read */
	bool eof;		/* the peer finished sending */
	bool written;
};

/* ---- connections ------------------------------------------------------------------ */

static void conn_closed(uv_handle_t *h)
{
	struct conn *k = h->data;
	struct bh_control *c = k->ctl;

	if (--k->closing)
		return;
	if (k->prev)
		k->prev->next = k->next;
	else
		c->head = k->next;
	if (k->next)
		k->next->prev = k->prev;
	else
		c->tail = k->prev;
	free(k->buf);
	free(k->resp);
	free(k);
	c->conns--;
	if (c->closing == 1 && !c->conns && c->close_cb) {
		c->closing = 2;
		c->close_cb(c);
	}
}

static void conn_close(struct conn *k)
{
	if (k->closing)
		return;
	k->closing = 2;
	k->ctl->live--;
	uv_timer_stop(&k->timer);
	uv_close((uv_handle_t *)&k->pipe, conn_closed);
	uv_close((uv_handle_t *)&k->timer, conn_closed);
}

static void conn_timeout(uv_timer_t *t)
{
	struct conn *k = t->data;

	if (!k->answered)
		k->ctl->timeouts++;
	conn_close(k);
}

static void write_done(uv_write_t *wr, int status)
{
	struct conn *k = wr->data;

	k->written = true;
	/* An answer given before the request was read waits for the peer's EOF (or the deadline). */
	if (status < 0 || k->complete || k->eof)
		conn_close(k);
}

/* Queue resp (a new reference, may be NULL) as the answer. */
static void conn_send(struct conn *k, json_t *resp)
{
	uv_buf_t b;
	char *text;
	size_t n;

	k->answered = true;
	if (!resp)
		resp = json_pack("{s:s}", "error", "request failed");
	/* ASCII only: names from input never reach a terminal raw through `status --json` */
	text = resp ? json_dumps(resp, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(9))
		    : NULL;
	json_decref(resp);
	if (!text) {
		conn_close(k);
		return;
	}
	n = strlen(text);
	k->resp = realloc(text, n + 2);
	if (!k->resp) {
		free(text);
		conn_close(k);
		return;
	}
	k->resp[n] = '\n';
	k->resp[n + 1] = 0;
	b = uv_buf_init(k->resp, n + 1);
	k->wr.data = k;
	if (k->complete)
		uv_timer_start(&k->timer, conn_timeout, CONN_WRITE_MS, 0);
	if (uv_write(&k->wr, (uv_stream_t *)&k->pipe, &b, 1, write_done) < 0)
		conn_close(k);
}

static json_t *error_json(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static json_t *error_json(const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return json_pack("{s:s}", "error", msg);
}

/* The whole request is in k->buf. */
static void conn_answer(struct conn *k)
{
	struct bh_control *c = k->ctl;
	json_t *req;

	k->complete = true;
	if (k->refused) {
		conn_send(k, error_json("permission denied: uid %u may not use the control socket",
					k->uid));
		return;
	}
	if (bh_control_parse(k->buf, k->len, &req) < 0) {
		conn_send(k, error_json("request is not a JSON object"));
		return;
	}
	c->requests++;
	conn_send(k, c->handler(c, req));
	json_decref(req);
}

static void conn_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct conn *k = h->data;

	if (!k->buf)
		k->buf = malloc(BH_CONTROL_MAX_REQ);
	if (!k->buf) {
		*b = uv_buf_init(NULL, 0);	/* UV_ENOBUFS: the connection is closed */
		return;
	}
	if (k->answered)
		k->len = 0;	/* after the answer, input is read and dropped */
	*b = uv_buf_init(k->buf + k->len, BH_CONTROL_MAX_REQ - k->len);
}

static void conn_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct conn *k = s->data;

	if (k->closing)
		return;
	if (n == UV_EOF) {
		k->eof = true;
		uv_read_stop(s);
		if (k->answered) {
			if (k->written)
				conn_close(k);
		} else if (k->len) {
			conn_answer(k);
		} else {
			conn_close(k);	/* a liveness probe: nothing to answer */
		}
		return;
	}
	if (n < 0) {
		conn_close(k);
		return;
	}
	if (k->answered)
		return;
	k->len += n;
	if (memchr(k->buf + k->len - n, '\n', n)) {
		uv_read_stop(s);
		conn_answer(k);
		return;
	}
	if (k->len >= BH_CONTROL_MAX_REQ)
		conn_send(k, error_json("request larger than %d bytes", BH_CONTROL_MAX_REQ));
}

/* The oldest connection still waiting for its request, a refused peer's first. */
static struct conn *oldest_waiting(struct bh_control *c, const struct conn *not)
{
	struct conn *any = NULL;

	for (struct conn *k = c->head; k; k = k->next) {
		if (k == not || k->closing || k->answered)
			continue;
		if (k->refused)
			return k;
		if (!any)
			any = k;
	}
	return any;
}

static bool peer_allowed(struct bh_control *c, struct conn *k)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	uv_os_fd_t fd;

	if (uv_fileno((uv_handle_t *)&k->pipe, &fd) ||
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len))
		return false;
	k->uid = cr.uid;
	return cr.uid == 0 || cr.uid == geteuid() || (c->allow_uid && cr.uid == c->allow_uid);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct bh_control *c = server->data;
	struct conn *k, *old;

	if (status < 0 || c->closing)
		return;
	/*
	 * Out of memory here leaves the connection in the backlog and libuv
	 * stops watching the server until the next uv_accept(): nothing else
	 * is allocated on this path before the accept.
	 */
	k = calloc(1, sizeof(*k));
	if (!k)
		return;
	k->ctl = c;
	uv_pipe_init(c->loop, &k->pipe, 0);	/* cannot fail on an initialised loop */
	uv_timer_init(c->loop, &k->timer);
	k->pipe.data = k->timer.data = k;
	k->prev = c->tail;
	if (c->tail)
		((struct conn *)c->tail)->next = k;
	else
		c->head = k;
	c->tail = k;
	c->conns++;
	c->live++;
	if (uv_accept(server, (uv_stream_t *)&k->pipe) < 0) {
		conn_close(k);
		return;
	}
	if (!peer_allowed(c, k)) {
		k->refused = true;
		c->refused++;
	}
	uv_timer_start(&k->timer, conn_timeout, CONN_READ_MS, 0);
	if (uv_read_start((uv_stream_t *)&k->pipe, conn_alloc, conn_read) < 0) {
		conn_close(k);
		return;
	}
	if (c->live <= CONN_MAX)
		return;
	old = oldest_waiting(c, k);
	if (old) {
		c->evicted++;
		conn_close(old);
	} else if (c->live <= CONN_HARD_MAX) {
		c->busy++;
		conn_send(k, error_json("busy: %d control connections are being answered", CONN_MAX));
	} else {
		conn_close(k);
	}
}

/* ---- the socket file ---------------------------------------------------------------- */

static int why(struct bh_control *c, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int why(struct bh_control *c, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
	return err;
}

static const char *kind_of(mode_t m)
{
	static const struct {
		mode_t type;
		const char *name;
	} kinds[] = {
		{ S_IFREG, "a regular file" }, { S_IFLNK, "a symbolic link" },
		{ S_IFDIR, "a directory" },    { S_IFIFO, "a FIFO" },
		{ S_IFCHR, "a device" },       { S_IFBLK, "a device" },
	};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if ((m & S_IFMT) == kinds[i].type)
			return kinds[i].name;
	return "not a socket";
}

/* sun_path naming c->name inside the directory held open: immune to a renamed parent. */
static int at_path(const struct bh_control *c, struct sockaddr_un *sa)
{
	int n;

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	n = snprintf(sa->sun_path, sizeof(sa->sun_path), "/proc/self/fd/%d/%s", c->dirfd, c->name);
	return n < 0 || (size_t)n >= sizeof(sa->sun_path) ? -ENAMETOOLONG : 0;
}

/* Open (creating it when missing) and vet the directory of the socket. */
static int open_dir(struct bh_control *c, const char *dir)
{
	mode_t mode = c->allow_uid ? 0711 : 0700;
	bool made = false;
	struct stat st;

	c->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->dirfd < 0 && errno == ENOENT) {
		if (mkdir(dir, mode) && errno != EEXIST)
			return why(c, -errno, "cannot create directory %s: %s", dir, strerror(errno));
		made = true;
		c->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (c->dirfd < 0)
		return why(c, -errno, "directory %s: %s", dir, strerror(errno));
	if (made)
		(void)fchmod(c->dirfd, mode);	/* exactly, whatever the umask */
	if (fstat(c->dirfd, &st))
		return why(c, -errno, "directory %s: %s", dir, strerror(errno));
	if (st.st_uid != 0 && st.st_uid != geteuid())
		return why(c, -EPERM, "directory %s belongs to uid %u, not to root or this user",
			   dir, (unsigned int)st.st_uid);
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return why(c, -EPERM, "directory %s is writable by group or others (mode %04o): "
				      "anyone could replace the socket; use a private directory",
			   dir, (unsigned int)(st.st_mode & 07777));
	return 0;
}

/* Nothing at the name, or a stale socket that is removed; else a refusal. */
static int clear_name(struct bh_control *c)
{
	struct sockaddr_un sa;
	struct stat st;
	int fd, r;

	if (fstatat(c->dirfd, c->name, &st, AT_SYMLINK_NOFOLLOW))
		return errno == ENOENT ? 0 : why(c, -errno, "%s", strerror(errno));
	if (!S_ISSOCK(st.st_mode))
		return why(c, -EEXIST, "exists and is %s, not a socket: refusing to replace it",
			   kind_of(st.st_mode));
	r = at_path(c, &sa);
	if (r < 0)
		return why(c, r, "path too long");
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return why(c, -errno, "socket: %s", strerror(errno));
	r = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ? errno : 0;
	close(fd);
	if (!r || r == EAGAIN)	/* EAGAIN: alive, its backlog is full */
		return why(c, -EADDRINUSE, "another process answers on it (an agent already running?)");
	if (r != ECONNREFUSED)
		return why(c, -r, "cannot tell whether the socket there is in use: %s", strerror(r));
	if (unlinkat(c->dirfd, c->name, 0) && errno != ENOENT)	/* stale: nobody listens */
		return why(c, -errno, "cannot remove the stale socket: %s", strerror(errno));
	return 0;
}

static int bind_listen(struct bh_control *c)
{
	struct sockaddr_un sa;
	struct stat st;
	int fd, r;

	r = at_path(c, &sa);
	if (r < 0)
		return why(c, r, "path too long");
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return why(c, -errno, "socket: %s", strerror(errno));
	/* bind() creates the file with the socket's own mode (minus the umask): 0600 from the start */
	if (fchmod(fd, 0600) || bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		r = why(c, -errno, "%s", strerror(errno));
		goto close_fd;
	}
	if (fstatat(c->dirfd, c->name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISSOCK(st.st_mode)) {
		r = why(c, -EIO, "the socket vanished after bind");
		goto close_fd;
	}
	c->dev = st.st_dev;
	c->ino = st.st_ino;
	if (c->allow_uid &&
	    fchownat(c->dirfd, c->name, c->allow_uid, (gid_t)-1, AT_SYMLINK_NOFOLLOW)) {
		r = why(c, -errno, "chown to uid %u: %s", c->allow_uid, strerror(errno));
		goto unlink_name;
	}
	r = uv_pipe_init(c->loop, &c->server, 0);
	if (r < 0)
		goto unlink_name;
	c->server.data = c;
	r = uv_pipe_open(&c->server, fd);
	if (r < 0)
		goto close_pipe;
	fd = -1;	/* the handle owns it */
	r = uv_listen((uv_stream_t *)&c->server, CTL_BACKLOG, on_connection);
	if (r < 0)
		goto close_pipe;
	return 0;

close_pipe:
	/* The pipe is initialised: it must be closed through the loop. */
	uv_close((uv_handle_t *)&c->server, NULL);
	why(c, r, "%s", uv_strerror(r));
unlink_name:
	unlinkat(c->dirfd, c->name, 0);
close_fd:
	if (fd >= 0)
		close(fd);
	return r;
}

int bh_control_start(uv_loop_t *loop, struct bh_control *c, const char *path,
		     bh_control_handler handler)
{
	void *data = c->data;
	uint32_t allow_uid = c->allow_uid;
	const char *slash, *base;
	char *dir;
	int r;

	memset(c, 0, sizeof(*c));
	c->data = data;
	c->allow_uid = allow_uid;
	c->loop = loop;
	c->handler = handler;
	c->dirfd = -1;
	if (strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return why(c, -ENAMETOOLONG, "path longer than %zu bytes",
			   sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
	slash = strrchr(path, '/');
	base = slash ? slash + 1 : path;
	if (!*base || !strcmp(base, ".") || !strcmp(base, ".."))
		return why(c, -EINVAL, "not a file name");
	c->path = strdup(path);
	c->name = strdup(base);
	dir = slash == path ? strdup("/") : slash ? strndup(path, slash - path) : strdup(".");
	if (!c->path || !c->name || !dir) {
		r = why(c, -ENOMEM, "%s", strerror(ENOMEM));
		goto fail;
	}
	r = open_dir(c, dir);
	if (r < 0)
		goto fail;
	r = clear_name(c);
	if (r < 0)
		goto fail;
	r = bind_listen(c);
	if (r < 0)
		goto fail;
	free(dir);
	return 0;

fail:
	free(dir);
	if (c->dirfd >= 0)
		close(c->dirfd);
	c->dirfd = -1;
	free(c->path);
	free(c->name);
	c->path = c->name = NULL;
	return r;
}

static void server_closed(uv_handle_t *h)
{
	struct bh_control *c = h->data;

	c->conns--;	/* the server counts as one while closing */
	if (!c->conns && c->close_cb && c->closing == 1) {
		c->closing = 2;
		c->close_cb(c);
	}
}

void bh_control_close(struct bh_control *c, bh_control_close_cb close_cb)
{
	struct stat st;

	c->close_cb = close_cb;
	c->closing = 1;
	c->conns++;
	uv_close((uv_handle_t *)&c->server, server_closed);
	for (struct conn *k = c->head; k; k = k->next)
		conn_close(k);
	/* Only our own socket: never a file someone put at the name since. */
	if (!fstatat(c->dirfd, c->name, &st, AT_SYMLINK_NOFOLLOW) && st.st_dev == c->dev &&
	    st.st_ino == c->ino)
		unlinkat(c->dirfd, c->name, 0);
	close(c->dirfd);
	c->dirfd = -1;
	free(c->path);
	free(c->name);
	c->path = c->name = NULL;
}

/* ---- requests ----------------------------------------------------------------------- */

int bh_control_parse(const char *buf, size_t len, json_t **req)
{
	const char *nl = memchr(buf, '\n', len);
	json_error_t jerr;
	json_t *j;

	*req = NULL;
	if (nl)
		len = (size_t)(nl - buf);
	if (len > BH_CONTROL_MAX_REQ)
		return -E2BIG;
	j = json_loadb(buf, len, JSON_DISABLE_EOF_CHECK, &jerr);
	if (!json_is_object(j)) {
		json_decref(j);
		return -EINVAL;
	}
	*req = j;
	return 0;
}

/* ---- client ------------------------------------------------------------------- */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int wait_fd(int fd, short ev, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = ev };
	int64_t left = deadline - now_ms();
	int r;

	if (left <= 0)
		return -ETIMEDOUT;
	r = poll(&p, 1, (int)left);
	if (r < 0)
		return -errno;
	return r ? 0 : -ETIMEDOUT;
}

int bh_control_request(const char *path, const char *req, char **resp, int timeout_ms)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int64_t deadline = now_ms() + timeout_ms;
	size_t len = 0, cap = 4096, off = 0, rlen = strlen(req);
	char *buf;
	int fd, r;

	*resp = NULL;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		r = -errno;
		goto close_fd;
	}
	while (off < rlen) {
		ssize_t n = write(fd, req + off, rlen - off);

		if (n < 0) {
			r = -errno;
			goto close_fd;
		}
		off += n;
	}
	shutdown(fd, SHUT_WR);
	buf = malloc(cap);
	if (!buf) {
		r = -ENOMEM;
		goto close_fd;
	}
	for (;;) {
		ssize_t n;

		if (len + 1 >= cap) {
			char *nb = realloc(buf, cap * 2);

			if (!nb) {
				r = -ENOMEM;
				goto free_buf;
			}
			buf = nb;
			cap *= 2;
		}
		r = wait_fd(fd, POLLIN, deadline);
		if (r < 0)
			goto free_buf;
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			r = -errno;
			goto free_buf;
		}
		if (!n)
			break;
		len += n;
	}
	buf[len] = 0;
	*resp = buf;
	close(fd);
	return 0;

free_buf:
	free(buf);
close_fd:
	close(fd);
	return r;
}
