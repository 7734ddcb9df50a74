// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The control socket's request side. Odd first byte: the rest goes to
 * bh_control_parse(), which must give an object or -EINVAL/-E2BIG, and
 * give the same for the input with anything appended after a newline.
 * Even first byte: the rest is sent over a real connection to a server on
 * a loop (a fixed socket under /tmp, made once), optionally without the
 * closing EOF; the answer must come back as exactly one line of ASCII JSON
 * holding an object, and the server must close the connection.
 */
// fuzz-sources: agent/control.c
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent/control.h"

static uv_loop_t loop;
static struct bh_control ctl;
static char sock_path[108];

static json_t *echo(struct bh_control *c, json_t *req)
{
	json_t *cmd = json_object_get(req, "cmd");

	return json_is_string(cmd) ? json_pack("{s:O}", "echo", cmd) : NULL;
}

static void cleanup(void)
{
	unlink(sock_path);
	*strrchr(sock_path, '/') = 0;
	rmdir(sock_path);
}

static void server_once(void)
{
	char dir[64];

	if (sock_path[0])
		return;
	snprintf(dir, sizeof(dir), "/tmp/bh-fuzz-ctl.%d", (int)getpid());
	snprintf(sock_path, sizeof(sock_path), "%s/ctl.sock", dir);
	signal(SIGPIPE, SIG_IGN);	/* a write to a connection the server closed */
	if (uv_loop_init(&loop) || bh_control_start(&loop, &ctl, sock_path, echo))
		abort();
	atexit(cleanup);
}

static void fuzz_parse(const uint8_t *data, size_t size)
{
	json_t *a = NULL, *b = NULL;
	char *more = malloc(size + 8);
	int ra, rb;

	if (!more)
		return;
	ra = bh_control_parse((const char *)data, size, &a);
	if (ra != 0 && ra != -EINVAL && ra != -E2BIG)
		abort();
	if (!ra != !!a || (a && !json_is_object(a)))
		abort();
	/* what follows the first newline never matters */
	if (!memchr(data, '\n', size)) {
		memcpy(more, data, size);
		memcpy(more + size, "\n{}\n[", 5);
		rb = bh_control_parse(more, size + 5, &b);
		if (rb != ra || (a && !json_equal(a, b)))
			abort();
	}
	json_decref(a);
	json_decref(b);
	free(more);
}

static void fuzz_server(const uint8_t *data, size_t size, int send_eof)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char resp[1 << 16];
	size_t got = 0, off = 0;
	int fd, closed = 0;
	json_error_t jerr;
	json_t *j;

	server_once();
	strcpy(sa.sun_path, sock_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		abort();
	/* without EOF and without a newline the server waits for more: end it here */
	if (!send_eof && !memchr(data, '\n', size))
		send_eof = 1;
	for (int spins = 0; spins < 100000 && !closed; spins++) {
		ssize_t n;

		if (off < size) {
			n = write(fd, data + off, size - off);
			if (n > 0)
				off += n;
		}
		if (off == size && send_eof == 1) {
			shutdown(fd, SHUT_WR);
			send_eof = 2;
		}
		uv_run(&loop, UV_RUN_NOWAIT);
		n = read(fd, resp + got, sizeof(resp) - 1 - got);
		if (n > 0)
			got += n;
		else if (n == 0)
			closed = 1;
		else if (errno != EAGAIN && errno != ECONNRESET)
			abort();
	}
	close(fd);
	if (!closed)
		abort();	/* the server never finished the connection */
	resp[got] = 0;
	if (!got)
		return;	/* an empty request: a liveness probe, closed without answer */
	if (resp[got - 1] != '\n' || memchr(resp, '\n', got - 1))
		abort();	/* exactly one line */
	for (size_t i = 0; i + 1 < got; i++)
		if ((unsigned char)resp[i] < 0x20 || (unsigned char)resp[i] > 0x7f)
			abort();	/* ASCII JSON only (jansson leaves DEL, which terminals ignore) */
	j = json_loadb(resp, got, 0, &jerr);
	if (!json_is_object(j))
		abort();
	json_decref(j);
	/* let the closed connection's handles finish */
	for (int i = 0; i < 4; i++)
		uv_run(&loop, UV_RUN_NOWAIT);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	if (data[0] & 1)
		fuzz_parse(data + 1, size - 1);
	else
		fuzz_server(data + 1, size - 1, !(data[0] & 2));
	return 0;
}
