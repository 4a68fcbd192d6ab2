/* task_fs.c: the filesystem steps of the task, script and file modules:
 * install dirs, copies out of the task cache, SHA-256 of a destination,
 * mkdir -p. Portable through libuv's synchronous uv_fs_* calls; they
 * block, so callers run them in uv_queue_work, never on the loop. Not
 * the cache itself (fetch.c) nor the spool (spool.c).
 * Invariant: paths built here from request names pass task_fs_rel_ok
 * first, so they stay below the root they are joined to. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <mbedtls/sha256.h>

#include "builtin/task/task_int.h"
#include "base/util.h"

#define HASH_CHUNK (64 * 1024)

bool
task_fs_rel_ok(const char *rel)
{
	const char *c, *p;
	size_t len;

	if (!rel || !*rel || strchr(rel, '\\') || strchr(rel, ':'))
		return false;
	for (c = rel; ; c = p + 1) {
		p = strchr(c, '/');
		len = p ? (size_t)(p - c) : strlen(c);
		if (len == 0 || (len == 1 && c[0] == '.') ||
		    (len == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		if (!p)
			return true;
	}
}

char *
task_fs_join(const char *root, const char *rel)
{
	char *path;

	if (!task_fs_rel_ok(rel))
		return NULL;
	path = util_asprintf("%s/%s", root, rel);
	/* Belt and braces: the result must still start with root/. */
	if (path && (strncmp(path, root, strlen(root)) != 0 ||
	    path[strlen(root)] != '/')) {
		free(path);
		return NULL;
	}
	return path;
}

int
task_fs_tempdir(uv_loop_t *loop, const char *parent, char **out, char *err,
    size_t errlen)
{
	uv_fs_t req;
	uint64_t r;
	int rc = UV_EEXIST, tries;
	char *path;

	*out = NULL;
	for (tries = 0; tries < 8 && rc == UV_EEXIST; tries++) {
		r = util_random64();
		if (!(path = util_asprintf("%s/temp_task_%04x-%04x-%04x-%04x",
		    parent, (unsigned)(r >> 48) & 0xffff,
		    (unsigned)(r >> 32) & 0xffff, (unsigned)(r >> 16) & 0xffff,
		    (unsigned)r & 0xffff))) {
			snprintf(err, errlen, "out of memory");
			return UV_ENOMEM;
		}
		rc = uv_fs_mkdir(loop, &req, path, 0700, NULL);
		uv_fs_req_cleanup(&req);
		if (rc == 0) {
			*out = path;
			return 0;
		}
		free(path);
	}
	snprintf(err, errlen, "cannot create a task install directory in %s: "
	    "%s", parent, uv_strerror(rc));
	return rc;
}

static int
task__isdir(uv_loop_t *loop, const char *path)
{
	uv_fs_t req;
	int rc = uv_fs_stat(loop, &req, path, NULL);
	bool dir = rc == 0 && (req.statbuf.st_mode & S_IFMT) == S_IFDIR;

	uv_fs_req_cleanup(&req);
	return rc < 0 ? rc : dir ? 0 : UV_ENOTDIR;
}

int
task_fs_mkdirs(uv_loop_t *loop, const char *path, int mode, char *err,
    size_t errlen)
{
	uv_fs_t req;
	char *p, *c, keep;
	int rc = 0;

	if (!(p = util_strdup(path))) {
		snprintf(err, errlen, "out of memory");
		return UV_ENOMEM;
	}
	/* Each prefix in turn, skipping empty components and a drive. */
	for (c = p + 1; ; c++) {
		if (*c != '/' && *c != '\0')
			continue;
		keep = *c;
		*c = '\0';
		if (c[-1] != '/' && c[-1] != ':') {
			rc = uv_fs_mkdir(loop, &req, p, mode, NULL);
			uv_fs_req_cleanup(&req);
			if (rc == UV_EEXIST)
				rc = task__isdir(loop, p);
			if (rc != 0) {
				snprintf(err, errlen, "cannot create directory %s: "
				    "%s", p, rc == UV_ENOTDIR ? "it exists and is "
				    "not a directory" : uv_strerror(rc));
				break;
			}
		}
		if (keep == '\0')
			break;
		*c = keep;
	}
	free(p);
	return rc;
}

int
task_fs_copy(uv_loop_t *loop, const char *src, const char *dst, int mode,
    char *err, size_t errlen)
{
	uv_fs_t req;
	uint64_t r = util_random64();
	char *tmp;
	int rc;

	/* A temp name beside dst, so dst appears whole or not at all. */
	if (!(tmp = util_asprintf("%s.pxpd-%08x", dst, (unsigned)r))) {
		snprintf(err, errlen, "out of memory");
		return UV_ENOMEM;
	}
	rc = uv_fs_copyfile(loop, &req, src, tmp, UV_FS_COPYFILE_EXCL, NULL);
	uv_fs_req_cleanup(&req);
	if (rc == 0) {
		rc = uv_fs_chmod(loop, &req, tmp, mode, NULL);
		uv_fs_req_cleanup(&req);
	}
	if (rc == 0) {
		rc = uv_fs_rename(loop, &req, tmp, dst, NULL);
		uv_fs_req_cleanup(&req);
	}
	if (rc != 0) {
		snprintf(err, errlen, "cannot copy %s to %s: %s", src, dst,
		    uv_strerror(rc));
		uv_fs_unlink(loop, &req, tmp, NULL);
		uv_fs_req_cleanup(&req);
	}
	free(tmp);
	return rc;
}

int
task_fs_sha256(uv_loop_t *loop, const char *path, char hex[TASK_SHA_HEX + 1])
{
	static const char digits[] = "0123456789abcdef";
	mbedtls_sha256_context h;
	unsigned char digest[32], *buf = NULL;
	uv_fs_t req;
	uv_buf_t b;
	uv_file fd;
	int rc, i;

	rc = uv_fs_lstat(loop, &req, path, NULL);
	if (rc == 0 && (req.statbuf.st_mode & S_IFMT) != S_IFREG)
		rc = UV_EINVAL;
	uv_fs_req_cleanup(&req);
	if (rc != 0)
		return rc;
	if ((fd = uv_fs_open(loop, &req, path, UV_FS_O_RDONLY, 0, NULL)) < 0) {
		uv_fs_req_cleanup(&req);
		return fd;
	}
	uv_fs_req_cleanup(&req);
	if (!(buf = malloc(HASH_CHUNK))) {
		rc = UV_ENOMEM;
		goto cleanup;
	}
	mbedtls_sha256_init(&h);
	mbedtls_sha256_starts(&h, 0);
	b = uv_buf_init((char *)buf, HASH_CHUNK);
	while ((rc = uv_fs_read(loop, &req, fd, &b, 1, -1, NULL)) > 0) {
		uv_fs_req_cleanup(&req);
		mbedtls_sha256_update(&h, buf, (size_t)rc);
	}
	uv_fs_req_cleanup(&req);
	mbedtls_sha256_finish(&h, digest);
	mbedtls_sha256_free(&h);
	for (i = 0; i < 32; i++) {
		hex[2 * i] = digits[digest[i] >> 4];
		hex[2 * i + 1] = digits[digest[i] & 15];
	}
	hex[TASK_SHA_HEX] = '\0';
cleanup:
	free(buf);
	uv_fs_close(loop, &req, fd, NULL);
	uv_fs_req_cleanup(&req);
	return rc < 0 ? rc : 0;
}
