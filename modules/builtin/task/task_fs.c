/* task_fs.c: the filesystem steps of the task, script and file modules:
 * install dirs, copies out of the task cache, SHA-256 of a destination,
 * mkdir -p. Portable through libuv's synchronous uv_fs_* calls and os.h;
 * they block, so callers run them in uv_queue_work, never on the loop. Not
 * the cache itself (fetch.c) nor the spool (spool.c).
 * Invariant: paths built here from request names pass task_fs_rel_ok
 * first, so they stay below the root they are joined to. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/sha256.h>

#include "builtin/task/task_int.h"
#include "base/util.h"
#include "os/os.h"

#define HASH_CHUNK (64 * 1024)

bool
task_fs_rel_ok(const char *rel)
{
	const char *c, *p;
	char name[256];
	size_t len;

	if (!rel || !*rel || strchr(rel, '\\') || strchr(rel, ':'))
		return false;
	for (c = rel; ; c = p + 1) {
		p = strchr(c, '/');
		len = p ? (size_t)(p - c) : strlen(c);
		if (len == 0 || len >= sizeof(name))
			return false;
		/* ".", "..", and what the platform reads as more than a
		 * name (Windows: devices, trimmed dots, 8.3 aliases). */
		memcpy(name, c, len);
		name[len] = '\0';
		if (os_name_unsafe(name))
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
	uint64_t r;
	int rc = -EEXIST, tries;
	char *path;

	(void)loop;
	*out = NULL;
	for (tries = 0; tries < 8 && rc == -EEXIST; tries++) {
		r = util_random64();
		if (!(path = util_asprintf("%s/temp_task_%04x-%04x-%04x-%04x",
		    parent, (unsigned)(r >> 48) & 0xffff,
		    (unsigned)(r >> 32) & 0xffff, (unsigned)(r >> 16) & 0xffff,
		    (unsigned)r & 0xffff))) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		rc = os_create_private(path, OS_FTYPE_DIR, NULL);
		if (rc == 0) {
			*out = path;
			return 0;
		}
		free(path);
	}
	snprintf(err, errlen, "cannot create a task install directory in %s: "
	    "%s", parent, strerror(-rc));
	return rc;
}

int
task_fs_mkdirs(uv_loop_t *loop, const char *path, int mode, char *err,
    size_t errlen)
{
	int rc;

	(void)loop;
	if ((rc = os_mkdir_p(path, mode, mode)) != 0)
		snprintf(err, errlen, "cannot create directory %s: %s", path,
		    rc == -ENOTDIR ? "it or a parent exists and is not a "
		    "directory" : strerror(-rc));
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
	struct os_fileinfo info;
	mbedtls_sha256_context h;
	unsigned char digest[32], *buf = NULL;
	uv_fs_t req;
	uv_buf_t b;
	uv_file fd;
	int rc, i;

	if ((rc = os_path_info(path, false, &info)) != 0)
		return rc;
	if (info.type != OS_FTYPE_REG)
		return -EINVAL;
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
