/* linelog.c: append-only line files (linelog.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "base/linelog.h"
#include "base/util.h"

struct linelog {
	char *path;
	int fd;
};

static int
linelog__open_fd(const char *path)
{
	return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
}

struct linelog *
linelog_open(const char *path, char *err, size_t errlen)
{
	struct linelog *l = calloc(1, sizeof(*l));

	if (!l || !(l->path = util_strdup(path))) {
		free(l);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	l->fd = linelog__open_fd(path);
	if (l->fd < 0 && errno == ENOENT) {
		/* The log directory, as the main log does (one level). */
		char *dir = util_strdup(path), *slash = dir ? strrchr(dir, '/') : NULL;

		if (slash && slash != dir) {
			*slash = '\0';
			if (mkdir(dir, 0750) == 0 || errno == EEXIST)
				l->fd = linelog__open_fd(path);
		}
		free(dir);
	}
	if (l->fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		free(l->path);
		free(l);
		return NULL;
	}
	return l;
}

int
linelog_reopen(struct linelog *l)
{
	int fd;

	if (!l)
		return 0;
	if ((fd = linelog__open_fd(l->path)) < 0)
		return -errno;
	close(l->fd);
	l->fd = fd;
	return 0;
}

void
linelog_write(struct linelog *l, const char *line, size_t len)
{
	struct iovec iov[2] = {
		{ .iov_base = (void *)line, .iov_len = len },
		{ .iov_base = "\n", .iov_len = 1 },
	};

	if (!l)
		return;
	/* A full disk loses the line; nothing better can be done here. */
	if (writev(l->fd, iov, 2) < 0)
		return;
}

void
linelog_close(struct linelog *l)
{
	if (!l)
		return;
	close(l->fd);
	free(l->path);
	free(l);
}
