/* spool_fs_posix.c: the spool's OS seam on POSIX: directory creation,
 * atomic writes, bounded reads, listings and the tree removal. Nothing here
 * knows what a transaction or metadata is (spool.c, owed.c, purge.c do).
 * Invariants: no function follows a symlink below the path it was given
 * (reads use O_NOFOLLOW, rmtree walks with openat), every descriptor is
 * O_CLOEXEC (actions are spawned from this process), and files are created
 * 0600, directories with the mode the caller passes. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spool/spool_int.h"
#include "base/util.h"

/* Deeper trees are left alone: every level holds a descriptor open. */
#define RMTREE_DEPTH_MAX 128
/* Rescans of one directory when entries appear while it is emptied. */
#define RMTREE_PASSES 3

int
spool__fs_mkdir(const char *path, unsigned mode)
{
	return mkdir(path, (mode_t)mode) == 0 ? 0 : -errno;
}

int
spool__fs_mkdir_p(const char *path, unsigned parent_mode, unsigned leaf_mode)
{
	char *p, *c;
	int rc = 0;

	if (!(p = util_strdup(path)))
		return -ENOMEM;
	for (c = p + 1; *c != '\0'; c++) {
		if (*c != '/')
			continue;
		*c = '\0';
		/* An existing non-directory here shows up as ENOTDIR next. */
		if (mkdir(p, (mode_t)parent_mode) != 0 && errno != EEXIST) {
			rc = -errno;
			goto cleanup;
		}
		*c = '/';
	}
	if (mkdir(p, (mode_t)leaf_mode) != 0 && errno != EEXIST)
		rc = -errno;
cleanup:
	free(p);
	return rc;
}

int
spool__fs_rmdir(const char *path)
{
	return rmdir(path) == 0 ? 0 : -errno;
}

int
spool__fs_unlink(const char *path)
{
	return unlink(path) == 0 ? 0 : -errno;
}

int
spool__fs_dir_check(const char *path, bool follow, bool *shared)
{
	struct stat st;

	if ((follow ? stat(path, &st) : lstat(path, &st)) != 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (shared)
		*shared = (st.st_mode & 077) != 0;
	return 0;
}

bool
spool__fs_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

int
spool__fs_sync_dir(const char *path)
{
	int fd, rc = 0;

	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -errno;
	if (fsync(fd) != 0)
		rc = -errno;
	close(fd);
	return rc;
}

/* Directory part of path, for fsync after a rename ("." when none). */
static char *
fs__dirname(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return util_strdup(".");
	if (slash == path)
		return util_strdup("/");
	return util_asprintf("%.*s", (int)(slash - path), path);
}

int
spool__fs_write_atomic(const char *path, const void *buf, size_t len,
    bool durable)
{
	const char *p = buf;
	char *tmp, *dir = NULL;
	size_t off = 0;
	ssize_t n;
	int fd = -1, rc = 0;
	bool created = false;

	if (!(tmp = util_asprintf("%s.tmp-%016llx", path,
	    (unsigned long long)util_random64())))
		return -ENOMEM;
	/* O_EXCL: a name planted in the directory (a symlink) is never
	 * written through; rename then replaces whatever sits at path. */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd < 0) {
		rc = -errno;
		goto cleanup;
	}
	created = true;
	while (off < len) {
		if ((n = write(fd, p + off, len - off)) < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			goto cleanup;
		}
		off += (size_t)n;
	}
	/* Only the durable writes (owed responses: the one copy of an
	 * undelivered result, and rare) pay for fsync. Metadata is rewritten
	 * from the event loop, which must not stall on the disk; losing its
	 * last rewrite in a power cut leaves the previous complete version. */
	if (durable && fsync(fd) != 0) {
		rc = -errno;
		goto cleanup;
	}
	n = close(fd);
	fd = -1;
	if (n != 0) {
		rc = -errno;
		goto cleanup;
	}
	if (rename(tmp, path) != 0) {
		rc = -errno;
		goto cleanup;
	}
	created = false;
	if (durable) {
		if (!(dir = fs__dirname(path)))
			rc = -ENOMEM;
		else
			rc = spool__fs_sync_dir(dir);
	}
cleanup:
	if (fd >= 0)
		close(fd);
	if (created)
		unlink(tmp);
	free(tmp);
	free(dir);
	return rc;
}

int
spool__fs_read(const char *path, size_t max, char **buf, size_t *len,
    bool *truncated)
{
	struct stat st;
	char *b = NULL, *nb, probe;
	size_t cap, used = 0;
	ssize_t n;
	int fd, rc = 0;

	*buf = NULL;
	*len = 0;
	*truncated = false;
	if (max > SIZE_MAX / 2)     /* keeps cap + 1 and cap * 2 in range */
		max = SIZE_MAX / 2;
	/* O_NONBLOCK: a FIFO planted by an action must not hang the loop;
	 * O_NOFOLLOW: nor may a symlink make us read (and send) another file. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return errno == ELOOP ? -EINVAL : -errno;
	if (fstat(fd, &st) != 0) {
		rc = -errno;
		goto cleanup;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = -EINVAL;
		goto cleanup;
	}
	/* The size is a hint only: the file may grow while it is read. */
	cap = st.st_size > 0 && (uint64_t)st.st_size < max ?
	    (size_t)st.st_size : max;
	if (cap > 65536 && (uint64_t)st.st_size < cap)
		cap = 65536;
	if (!(b = malloc(cap + 1))) {
		rc = -ENOMEM;
		goto cleanup;
	}
	for (;;) {
		if (used == cap) {
			if (cap == max)
				break;
			/* Full at the size stat gave: probe before growing, so
			 * an exact-size file costs no second allocation. */
			while ((n = read(fd, &probe, 1)) < 0 && errno == EINTR)
				;
			if (n < 0) {
				rc = -errno;
				goto cleanup;
			}
			if (n == 0)
				break;
			cap = cap < 2048 ? 4096 : cap > max / 2 ? max : cap * 2;
			if (cap > max)
				cap = max;
			if (!(nb = realloc(b, cap + 1))) {
				rc = -ENOMEM;
				goto cleanup;
			}
			b = nb;
			b[used++] = probe;
			continue;
		}
		n = read(fd, b + used, cap - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			goto cleanup;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	if (used == max) {
		while ((n = read(fd, &probe, 1)) < 0 && errno == EINTR)
			;
		*truncated = n > 0;
	}
	b[used] = '\0';
	*buf = b;
	*len = used;
	b = NULL;
cleanup:
	free(b);
	close(fd);
	return rc;
}

void
spool__names_free(char **names, size_t n)
{
	size_t i;

	for (i = 0; names && i < n; i++)
		free(names[i]);
	free(names);
}

int
spool__fs_list_tids(const char *path, char ***names, size_t *n)
{
	DIR *d;
	struct dirent *e;
	struct stat st;
	char **v = NULL, **nv;
	size_t cnt = 0, cap = 0;
	int rc = 0;
	bool is_dir;

	*names = NULL;
	*n = 0;
	if (!(d = opendir(path)))
		return -errno;
	for (;;) {
		errno = 0;
		if (!(e = readdir(d))) {
			rc = errno ? -errno : 0;
			break;
		}
		if (spool_tid_check(e->d_name, NULL, 0) != 0)
			continue;
		if (e->d_type == DT_UNKNOWN)
			is_dir = fstatat(dirfd(d), e->d_name, &st,
			    AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
		else
			is_dir = e->d_type == DT_DIR;
		if (!is_dir)
			continue;
		if (cnt == cap) {
			cap = cap ? cap * 2 : 16;
			if (!(nv = realloc(v, cap * sizeof(*v)))) {
				rc = -ENOMEM;
				break;
			}
			v = nv;
		}
		if (!(v[cnt] = util_strdup(e->d_name))) {
			rc = -ENOMEM;
			break;
		}
		cnt++;
	}
	closedir(d);
	if (rc != 0) {
		spool__names_free(v, cnt);
		return rc;
	}
	*names = v;
	*n = cnt;
	return 0;
}

/* Removes name (in the directory pfd) and, when it is a real directory on
 * device dev, everything below it. A symlink is removed, never followed;
 * another file system mounted inside is left alone (-EXDEV). Keeps going
 * after an error and returns the first one. */
static int
fs__rmtree_at(int pfd, const char *name, dev_t dev, int depth)
{
	DIR *d;
	struct dirent *e;
	struct stat st;
	int fd, rc = 0, r, pass;
	bool removed;

	fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		/* ENOTDIR: a file; ELOOP: a symlink. Both go by unlinkat. */
		if (errno == ENOTDIR || errno == ELOOP)
			return unlinkat(pfd, name, 0) == 0 ? 0 : -errno;
		return -errno;
	}
	if (fstat(fd, &st) != 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	if (st.st_dev != dev) {
		close(fd);
		return -EXDEV;
	}
	if (depth >= RMTREE_DEPTH_MAX) {
		close(fd);
		return -ELOOP;
	}
	if (!(d = fdopendir(fd))) {
		rc = -errno;
		close(fd);
		return rc;
	}
	for (pass = 0; pass < RMTREE_PASSES; pass++) {
		removed = false;
		rewinddir(d);
		while ((e = readdir(d))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			if (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN) {
				if (unlinkat(fd, e->d_name, 0) == 0) {
					removed = true;
					continue;
				}
				/* Replaced by a directory since readdir? */
				if (errno != EISDIR && errno != EPERM) {
					if (errno != ENOENT && rc == 0)
						rc = -errno;
					continue;
				}
			}
			r = fs__rmtree_at(fd, e->d_name, dev, depth + 1);
			if (r == 0)
				removed = true;
			else if (r != -ENOENT && rc == 0)
				rc = r;
		}
		if (rc != 0 || !removed)
			break;
	}
	closedir(d);
	if (rc == 0 && unlinkat(pfd, name, AT_REMOVEDIR) != 0)
		rc = -errno;
	return rc;
}

int
spool_rmtree(const char *path)
{
	struct stat st;
	char *copy, *slash, *base;
	const char *parent;
	size_t len;
	int pfd, rc;

	if (!path || !*path)
		return -EINVAL;
	if (!(copy = util_strdup(path)))
		return -ENOMEM;
	len = strlen(copy);
	while (len > 1 && copy[len - 1] == '/')
		copy[--len] = '\0';
	if ((slash = strrchr(copy, '/'))) {
		*slash = '\0';
		base = slash + 1;
		parent = slash == copy ? "/" : copy;
	} else {
		base = copy;
		parent = ".";
	}
	if (!*base || !strcmp(base, ".") || !strcmp(base, "..")) {
		rc = -EINVAL;
		goto cleanup;
	}
	if ((pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		rc = -errno;
		goto cleanup;
	}
	/* The device of the root itself bounds the walk (a symlink root is
	 * only unlinked, so its device does not matter). */
	if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) != 0)
		rc = -errno;
	else
		rc = fs__rmtree_at(pfd, base, st.st_dev, 0);
	close(pfd);
cleanup:
	free(copy);
	return rc;
}

int
spool__fs_read_at(const char *path, uint64_t off, size_t max, char **buf,
    size_t *len)
{
	struct stat st;
	char *b;
	ssize_t n;
	size_t used = 0;
	int fd, rc = 0;

	*buf = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return errno == ELOOP ? -EINVAL : -errno;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	if (!(b = malloc(max + 1))) {
		close(fd);
		return -ENOMEM;
	}
	while (used < max) {
		n = pread(fd, b + used, max - used, (off_t)(off + used));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			break;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	close(fd);
	if (rc) {
		free(b);
		return rc;
	}
	b[used] = '\0';
	*buf = b;
	*len = used;
	return 0;
}
