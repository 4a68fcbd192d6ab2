/* rmtree.c: os_rmtree_at on POSIX: the removal of a tree that never
 * follows a symlink. Every directory is opened relative to its parent's
 * descriptor with O_NOFOLLOW and emptied through that descriptor
 * (openat/unlinkat), so a directory swapped for a symlink while the walk
 * runs is only unlinked: nftw and path-based walks would follow it out of
 * the tree. Other file operations are fs.c's. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "os/posix/internal.h"

/* Deeper trees are left alone: every level holds a descriptor open. */
#define RMTREE_DEPTH_MAX 128
/* Rescans of one directory when entries appear while it is emptied. */
#define RMTREE_PASSES 3

/* Removes name (in the directory pfd) and, when it is a real directory on
 * device dev, everything below it. A symlink is removed, never followed;
 * another file system mounted inside is left alone (-EXDEV). Keeps going
 * after an error and returns the first one. */
static int
rmtree__at(int pfd, const char *name, dev_t dev, int depth)
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
			r = rmtree__at(fd, e->d_name, dev, depth + 1);
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
os_rmtree_at(const char *path)
{
	struct stat st;
	char *copy, *slash, *base;
	const char *parent;
	int pfd, rc;

	if (!path || !*path)
		return -EINVAL;
	if (!(copy = os__path_dup(path)))
		return -ENOMEM;
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
		rc = rmtree__at(pfd, base, st.st_dev, 0);
	close(pfd);
cleanup:
	free(copy);
	return rc;
}
