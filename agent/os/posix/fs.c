/* fs.c: os.h's paths and whole files on POSIX: file information, mkdir -p,
 * private creation, listings, atomic writes and bounded reads. Not open
 * files (file.c) nor the tree removal (rmtree.c); what a spool or a cache
 * keeps in these files is spool/'s and fetch/'s.
 * Invariants: nothing here follows a symlink below the path it was given
 * unless asked (reads of results use O_NOFOLLOW), every descriptor is
 * O_CLOEXEC (actions are spawned from this process), and what holds
 * secrets is created exclusive and private (os_create_private). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "os/posix/internal.h"
#include "base/crash.h"
#include "base/util.h"

static void
fs__info_fill(const struct stat *st, struct os_fileinfo *out)
{
	if (S_ISREG(st->st_mode))
		out->type = OS_FTYPE_REG;
	else if (S_ISDIR(st->st_mode))
		out->type = OS_FTYPE_DIR;
	else if (S_ISLNK(st->st_mode))
		out->type = OS_FTYPE_LINK;
	else
		out->type = OS_FTYPE_OTHER;
	out->size = st->st_size > 0 ? (uint64_t)st->st_size : 0;
	out->mtime = (int64_t)st->st_mtime;
	out->perm = (unsigned)(st->st_mode & 07777);
}

int
os_path_info(const char *path, bool follow, struct os_fileinfo *out)
{
	struct stat st;

	if ((follow ? stat(path, &st) : lstat(path, &st)) != 0)
		return -errno;
	fs__info_fill(&st, out);
	return 0;
}

int
os_file_info(struct os_file *f, struct os_fileinfo *out)
{
	struct stat st;

	if (fstat(f->fd, &st) != 0)
		return -errno;
	fs__info_fill(&st, out);
	return 0;
}

char *
os__path_dup(const char *path)
{
	char *p = util_strdup(path);
	size_t len = p ? strlen(p) : 0;

	while (len > 1 && p[len - 1] == '/')
		p[--len] = '\0';
	return p;
}

int
os_mkdir_p(const char *path, int parent_mode, int leaf_mode)
{
	struct stat st;
	char *p, *c;
	int rc = 0;

	if (!path || !*path)
		return -EINVAL;
	if (!(p = os__path_dup(path)))
		return -ENOMEM;
	for (c = p + 1; *c != '\0'; c++) {
		if (*c != '/' || c[-1] == '/')
			continue;
		*c = '\0';
		/* An existing non-directory here shows up as ENOTDIR next. */
		if (mkdir(p, (mode_t)parent_mode) != 0 && errno != EEXIST) {
			rc = -errno;
			goto cleanup;
		}
		*c = '/';
	}
	if (mkdir(p, (mode_t)leaf_mode) != 0) {
		if (errno != EEXIST)
			rc = -errno;
		else if (stat(p, &st) != 0)
			rc = -errno;
		else if (!S_ISDIR(st.st_mode))
			rc = -ENOTDIR;
	}
cleanup:
	free(p);
	return rc;
}

int
os_mkdir_parent(const char *path, int mode)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int rc;

	if (!slash || slash == path)
		return 0;
	if (!(dir = util_asprintf("%.*s", (int)(slash - path), path)))
		return -ENOMEM;
	rc = os_mkdir_p(dir, mode, mode);
	free(dir);
	return rc;
}

/* O_EXCL: a name planted in the directory (a symlink) is never written
 * through. */
static int
fs__private_open(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, OS_MODE_FILE_PRIVATE);

	return fd < 0 ? -errno : fd;
}

int
os_create_private(const char *path, enum os_ftype type, struct os_file **out)
{
	int fd;

	if (out)
		*out = NULL;
	if (type == OS_FTYPE_DIR && !out) {
		if (mkdir(path, OS_MODE_DIR_PRIVATE) != 0)
			return -errno;
		crash_note_dir_new(path);
		return 0;
	}
	if (type != OS_FTYPE_REG || !out)
		return -EINVAL;
	if ((fd = fs__private_open(path)) < 0)
		return fd;
	if (!(*out = os__file_new(fd))) {
		unlink(path);
		return -ENOMEM;
	}
	return 0;
}

int
os_rmdir(const char *path)
{
	return rmdir(path) == 0 ? 0 : -errno;
}

int
os_unlink(const char *path)
{
	return unlink(path) == 0 ? 0 : -errno;
}

int
os_rename(const char *from, const char *to)
{
	return rename(from, to) == 0 ? 0 : -errno;
}

int
os_touch(const char *path)
{
	return utimes(path, NULL) == 0 ? 0 : -errno;
}

void
os_names_free(char **names, size_t n)
{
	size_t i;

	for (i = 0; names && i < n; i++)
		free(names[i]);
	free(names);
}

static bool
fs__entry_is(DIR *d, const struct dirent *e, enum os_ftype type)
{
	struct os_fileinfo info;
	struct stat st;

	switch (e->d_type) {
	case DT_REG:
		return type == OS_FTYPE_REG;
	case DT_DIR:
		return type == OS_FTYPE_DIR;
	case DT_LNK:
		return type == OS_FTYPE_LINK;
	case DT_UNKNOWN:
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			return false;
		fs__info_fill(&st, &info);
		return info.type == type;
	default:
		return type == OS_FTYPE_OTHER;
	}
}

int
os_dir_list(const char *path, enum os_ftype type, char ***names, size_t *n)
{
	DIR *d;
	struct dirent *e;
	char **v = NULL, **nv;
	size_t cnt = 0, cap = 0;
	int rc = 0;

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
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
		    !fs__entry_is(d, e, type))
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
		os_names_free(v, cnt);
		return rc;
	}
	*names = v;
	*n = cnt;
	return 0;
}

int
os_dir_sync(const char *path)
{
	int fd, rc = 0;

	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -errno;
	if (fsync(fd) != 0)
		rc = -errno;
	close(fd);
	if (rc == 0)
		crash_note_dir_synced(path);
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
os_write_atomic(const char *path, const void *buf, size_t len, bool durable)
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
	/* rename then replaces whatever sits at path. */
	if ((fd = fs__private_open(tmp)) < 0) {
		rc = fd;
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
	crash_point_file(path, "written");
	/* Without fsync before the rename, XFS (and ext4 without
	 * auto_da_alloc) may show the new name empty after a power cut:
	 * whatever a restart must find whole is written durable, from the
	 * thread pool. The rest (a pid file: its process dies with the
	 * machine) may come back empty, and its reader copes. */
	if (durable) {
		if (fsync(fd) != 0) {
			rc = -errno;
			goto cleanup;
		}
		crash_point_file(path, "synced");
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
	crash_note_file(path, durable);
	crash_point_file(path, "renamed");
	if (durable) {
		if (!(dir = fs__dirname(path)))
			rc = -ENOMEM;
		else if ((rc = os_dir_sync(dir)) == 0)
			crash_point_file(path, "dir_synced");
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

/* Opens a regular file for reading. O_NONBLOCK: a FIFO planted by an
 * action must not hang the loop; O_NOFOLLOW (!follow): nor may a symlink
 * make us read (and send) another file. */
static int
fs__read_open(const char *path, bool follow, struct stat *st)
{
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK |
	    (follow ? 0 : O_NOFOLLOW));
	if (fd < 0)
		return errno == ELOOP && !follow ? -EINVAL : -errno;
	if (fstat(fd, st) != 0)
		rc = -errno;
	else if (!S_ISREG(st->st_mode))
		rc = -EINVAL;
	else
		return fd;
	close(fd);
	return rc;
}

int
os_read_file(const char *path, bool follow, size_t max, char **buf,
    size_t *len, bool *truncated)
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
	if ((fd = fs__read_open(path, follow, &st)) < 0)
		return fd;
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

int
os_read_at(const char *path, uint64_t off, size_t max, char **buf,
    size_t *len)
{
	struct stat st;
	char *b;
	ssize_t n;
	size_t used = 0;
	int fd, rc = 0;

	*buf = NULL;
	*len = 0;
	if ((fd = fs__read_open(path, false, &st)) < 0)
		return fd;
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
