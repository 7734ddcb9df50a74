// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The stdout and file kinds: lines go out as they are, one writev for a
 * burst. A file is opened O_APPEND and opened again by path on reopen, so
 * logrotate can rename it under us; a reopen that fails keeps the file
 * open before and is counted (reopen_errors).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "log/sink_int.h"

static int stdout_open(struct bh_sink *s, const char *arg)
{
	struct stat st;

	s->fd = STDOUT_FILENO;
	if (fstat(s->fd, &st) < 0)
		return -errno;
	/* Pipes and sockets go non-blocking under poll (as libuv does for pipes); files and ttys write directly. */
	if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)) {
		int fl = fcntl(s->fd, F_GETFL);

		if (fl >= 0 && fcntl(s->fd, F_SETFL, fl | O_NONBLOCK) == 0)
			s->pollable = true;
	}
	s->connected = true;
	return 0;
}

/* Standard output is not ours to close. */
static void stdout_close(struct bh_sink *s)
{
}

const struct bh__sink_ops bh__sink_stdout_ops = {
	.open = stdout_open,
	.write = bh__sink_put,
	.close = stdout_close,
};

/* True when the regular file behind fd has bytes and the last is not a newline. */
static bool ends_mid_line(int fd, off_t size)
{
	char c;

	return size > 0 && pread(fd, &c, 1, size - 1) == 1 && c != '\n';
}

/*
 * The path is opened without following a symlink (a planted link.json ->
 * /etc/something would have root append to that file), without blocking
 * (opening a FIFO would stall the loop, at start or on a reopen) and must
 * be a regular file. Read access is only used to see whether the file ends
 * inside a line (a cut write, or a crash): the next line then starts on a
 * line of its own. On failure the sink keeps the file it had.
 */
static int file_open_path(struct bh_sink *s)
{
	int fd = open(s->path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK |
			       O_NOCTTY, 0640);
	struct stat st;
	int err;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		err = -errno;
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		err = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		goto fail;
	}
	if (s->fd >= 0)
		close(s->fd);
	s->fd = fd;
	s->cut = ends_mid_line(fd, st.st_size);
	return 0;
fail:
	close(fd);
	return err;
}

/* arg: the path ("file:" already taken off). */
static int file_open(struct bh_sink *s, const char *arg)
{
	s->connected = true;
	if (!*arg)
		return -EINVAL;
	s->path = strdup(arg);
	return s->path ? file_open_path(s) : -ENOMEM;
}

static int file_reopen(struct bh_sink *s)
{
	int err;

	/* Queued lines were meant for the file as it was: flush them there first. */
	bh_sink_flush(s);
	err = file_open_path(s);
	if (err < 0) {
		s->st.errors++;
		s->st.reopen_errors++;
	}
	return err;
}

static void file_close(struct bh_sink *s)
{
	if (s->fd >= 0)
		close(s->fd);
}

const struct bh__sink_ops bh__sink_file_ops = {
	.open = file_open,
	.write = bh__sink_put,
	.reopen = file_reopen,
	.close = file_close,
};
