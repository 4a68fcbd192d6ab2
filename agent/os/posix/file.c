/* file.c: os.h's open files on POSIX: a struct os_file is one descriptor,
 * always O_CLOEXEC. Not what is written (log.c, linelog.c, fetch) nor
 * whole-file helpers (fs.c). Invariant: os_file_write and os_file_writev
 * hand their bytes to one write(2)/writev(2) and only come back for the
 * rest after a short write, so lines appended by concurrent writers never
 * interleave. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "os/posix/internal.h"

#define FILE_IOV_MAX 8

static struct os_file file_stderr = { STDERR_FILENO };

struct os_file *
os__file_new(int fd)
{
	struct os_file *f = malloc(sizeof(*f));

	if (!f) {
		close(fd);
		return NULL;
	}
	f->fd = fd;
	return f;
}

struct os_file *
os_file_stderr(void)
{
	return &file_stderr;
}

int
os_file_open(const char *path, unsigned flags, int mode, struct os_file **out)
{
	int oflags = O_CLOEXEC, fd;

	*out = NULL;
	if (flags & OS_OPEN_APPEND)
		oflags |= O_WRONLY | O_CREAT | O_APPEND;
	else
		oflags |= O_RDONLY;
	if (flags & OS_OPEN_NOFOLLOW)
		oflags |= O_NOFOLLOW;
	if ((fd = open(path, oflags, (mode_t)mode)) < 0)
		return -errno;
	return (*out = os__file_new(fd)) ? 0 : -ENOMEM;
}

int
os_file_read(struct os_file *f, void *buf, size_t len, size_t *got)
{
	ssize_t n;

	*got = 0;
	while ((n = read(f->fd, buf, len)) < 0)
		if (errno != EINTR)
			return -errno;
	*got = (size_t)n;
	return 0;
}

int
os_file_write(struct os_file *f, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		if ((n = write(f->fd, p, len)) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
os_file_writev(struct os_file *f, const struct os_buf *bufs, int n)
{
	struct iovec iov[FILE_IOV_MAX];
	size_t left = 0, skip;
	ssize_t w;
	int i, rc;

	if (n < 0 || n > FILE_IOV_MAX)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		iov[i].iov_base = (void *)bufs[i].base;
		iov[i].iov_len = bufs[i].len;
		left += bufs[i].len;
	}
	while ((w = writev(f->fd, iov, n)) < 0)
		if (errno != EINTR)
			return -errno;
	if ((size_t)w == left)
		return 0;
	/* A short write (a full disk, a signal): the rest piece by piece. */
	for (i = 0, skip = (size_t)w; i < n; i++) {
		if (skip >= bufs[i].len) {
			skip -= bufs[i].len;
			continue;
		}
		if ((rc = os_file_write(f, (const char *)bufs[i].base + skip,
		    bufs[i].len - skip)) != 0)
			return rc;
		skip = 0;
	}
	return 0;
}

int
os_file_chmod(struct os_file *f, int mode)
{
	return fchmod(f->fd, (mode_t)mode) == 0 ? 0 : -errno;
}

int
os_file_close(struct os_file *f)
{
	int rc;

	if (!f || f == &file_stderr)
		return 0;
	rc = close(f->fd) == 0 ? 0 : -errno;
	free(f);
	return rc;
}
