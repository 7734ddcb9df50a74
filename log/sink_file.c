// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The stdout and file kinds: lines go out as they are, one writev for a
 * burst. A file is opened O_APPEND and opened again by path on reopen, so
 * logrotate can rename it under us.
 */
#include <errno.h>
#include <fcntl.h>
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

static int file_open_path(struct bh_sink *s)
{
	int fd = open(s->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);

	if (fd < 0)
		return -errno;
	if (s->fd >= 0)
		close(s->fd);
	s->fd = fd;
	return 0;
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
	/* Queued lines were meant for the file as it was: flush them there first. */
	bh_sink_flush(s);
	return file_open_path(s);
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
