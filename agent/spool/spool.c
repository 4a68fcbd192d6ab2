/* spool.c: the results spool (spool.h): transaction id checks, opening the
 * spool, the per-transaction directory, its metadata and its files. Owed
 * responses are in owed.c, purging in purge.c; every system call is
 * behind os.h. Not the wire format (codec) nor processes
 * (exec). Invariants: no path is built from a transaction id or file name
 * that failed spool_tid_check, each public function re-checks its tid
 * itself (ids come off the wire), and every file is replaced whole (temp +
 * rename) so a reader never sees half of one. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "os/attr.h"
#include "os/os.h"
#include "spool/spool_int.h"
#include "base/crash.h"
#include "base/util.h"


static int
spool__fail(char *err, size_t errlen, const char *fmt, ...)
    OS_PRINTF(3, 4);

static int
spool__fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static bool
spool__tid_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == ':' ||
	    c == '-';
}

int
spool_tid_check(const char *tid, char *err, size_t errlen)
{
	const char *why;
	size_t i;
	unsigned char c;

	if (!tid || !*tid)
		return spool__fail(err, errlen,
		    "invalid transaction_id: empty");
	/* Characters first, so "../x" reports the '/' that makes it unsafe.
	 * The id itself is never echoed: it may be long or binary. */
	for (i = 0; tid[i] != '\0' && i <= SPOOL_TID_MAX; i++) {
		c = (unsigned char)tid[i];
		if (spool__tid_char(c))
			continue;
		if (c > 0x20 && c < 0x7f)
			return spool__fail(err, errlen,
			    "invalid transaction_id: contains '%c'", c);
		return spool__fail(err, errlen,
		    "invalid transaction_id: contains byte 0x%02x", c);
	}
	if (i > SPOOL_TID_MAX)
		return spool__fail(err, errlen,
		    "invalid transaction_id: longer than %d characters",
		    SPOOL_TID_MAX);
	/* No ".", "..", nor hidden names (ours: probes, temp files). */
	if (tid[0] == '.')
		return spool__fail(err, errlen,
		    "invalid transaction_id: starts with '.'");
	/* What this platform reads as more than a name (Windows: ':' is a
	 * stream, "CON" a device). */
	if ((why = os_name_unsafe(tid)))
		return spool__fail(err, errlen, "invalid transaction_id: %s",
		    why);
	return 0;
}

/* File names inside <tid>/ follow the same rule: they are ours
 * ("metadata", "stdout", "temp_task_..."), but a path is a path. */
bool
spool__name_ok(const char *name)
{
	return spool_tid_check(name, NULL, 0) == 0;
}

struct spool *
spool_open(const char *dir, char *err, size_t errlen)
{
	struct spool *s = NULL;
	char uuid[UTIL_UUID_LEN];
	char *probe = NULL;
	size_t len;
	struct os_fileinfo info;
	int rc;

	if (!dir || !*dir) {
		spool__fail(err, errlen, "spool-dir is empty");
		return NULL;
	}
	if (!(s = calloc(1, sizeof(*s))) || !(s->dir = util_strdup(dir))) {
		spool__fail(err, errlen, "out of memory");
		goto fail;
	}
	len = strlen(s->dir);
	while (len > 1 && s->dir[len - 1] == '/')
		s->dir[--len] = '\0';
	/* Parents as any tool would make them; the spool itself private,
	 * since results may hold secrets. */
	if ((rc = os_mkdir_p(s->dir, OS_MODE_DIR_PUBLIC,
	    OS_MODE_DIR_PRIVATE)) != 0) {
		spool__fail(err, errlen, "cannot create spool-dir '%s': %s",
		    s->dir, strerror(-rc));
		goto fail;
	}
	if ((rc = os_path_info(s->dir, true, &info)) == 0 &&
	    info.type != OS_FTYPE_DIR)
		rc = -ENOTDIR;
	if (rc != 0) {
		spool__fail(err, errlen, "spool-dir '%s': %s", s->dir,
		    strerror(-rc));
		goto fail;
	}
	/* A leading '.' keeps a probe left by a crash out of every listing. */
	util_uuid4(uuid);
	if (!(probe = util_asprintf("%s/.pxpd-probe-%s", s->dir, uuid))) {
		spool__fail(err, errlen, "out of memory");
		goto fail;
	}
	if ((rc = os_create_private(probe, OS_FTYPE_DIR, NULL)) != 0 ||
	    (rc = os_rmdir(probe)) != 0) {
		spool__fail(err, errlen, "spool-dir '%s' is not writable: %s",
		    s->dir, strerror(-rc));
		goto fail;
	}
	if (info.perm & 077)        /* group or others have some access */
		log_warnx("spool", "spool-dir '%s' is readable by group or "
		    "others; results may hold secrets (chmod 0700)", s->dir);
	s->owed_seq = spool__owed_seq_max(s);
	free(probe);
	return s;
fail:
	free(probe);
	spool_close(s);
	return NULL;
}

void
spool_close(struct spool *s)
{
	if (!s)
		return;
	free(s->dir);
	free(s);
}

const char *
spool_dir(const struct spool *s)
{
	return s->dir;
}

char *
spool_path(const struct spool *s, const char *tid, const char *name)
{
	if (spool_tid_check(tid, NULL, 0) != 0 ||
	    (name && !spool__name_ok(name))) {
		errno = EINVAL;
		return NULL;
	}
	if (name)
		return util_asprintf("%s/%s/%s", s->dir, tid, name);
	return util_asprintf("%s/%s", s->dir, tid);
}

/* spool_path with the error as a code: 0 or -EINVAL / -ENOMEM. */
static int
spool__path(const struct spool *s, const char *tid, const char *name,
    char **out)
{
	if (spool_tid_check(tid, NULL, 0) != 0 ||
	    (name && !spool__name_ok(name)))
		return -EINVAL;
	return (*out = spool_path(s, tid, name)) ? 0 : -ENOMEM;
}

int
spool_create(struct spool *s, const char *tid, const cJSON *metadata)
{
	char *path = NULL;
	int rc;

	if (!cJSON_IsObject(metadata))
		return -EINVAL;
	if ((rc = spool__path(s, tid, NULL, &path)) != 0)
		return rc;
	/* mkdir is the atomic test-and-set behind the dedup of pxp.md §5. */
	if ((rc = os_create_private(path, OS_FTYPE_DIR, NULL)) != 0)
		goto cleanup;
	crash_point("spool.dir_made");
	/* Without metadata the directory would still block the id and yet
	 * answer "unknown"; remove it so the request can be retried. The
	 * metadata's rename is the commit: a directory without it is one a
	 * crash interrupted here, and recovery removes it
	 * (spool_uncommitted). Durable: the metadata file and its entry
	 * (spool_metadata_write), then the directory's entry in the spool. */
	if ((rc = spool_metadata_write(s, tid, metadata)) != 0) {
		os_rmtree_at(path);
		goto cleanup;
	}
	if ((rc = os_dir_sync(s->dir)) != 0)
		os_rmtree_at(path);
	else
		crash_point("spool.dir_synced");
cleanup:
	free(path);
	return rc;
}

bool
spool_exists(const struct spool *s, const char *tid)
{
	struct os_fileinfo info;
	char *path = NULL;
	bool yes;

	if (spool__path(s, tid, NULL, &path) != 0)
		return false;
	/* A real directory only: a symlink planted in the spool is no
	 * transaction of ours. */
	yes = os_path_info(path, false, &info) == 0 &&
	    info.type == OS_FTYPE_DIR;
	free(path);
	return yes;
}

int
spool_metadata_read(const struct spool *s, const char *tid, cJSON **out)
{
	char *buf = NULL;
	size_t len;
	bool truncated;
	int rc;

	*out = NULL;
	if ((rc = spool_file_read(s, tid, "metadata", SPOOL_METADATA_MAX,
	    &buf, &len, &truncated)) != 0)
		return rc;
	if (truncated)
		rc = -EFBIG;
	else if (strlen(buf) != len)         /* a NUL inside */
		rc = -EINVAL;
	else if (!(*out = cJSON_ParseWithOpts(buf, NULL, true)))
		rc = -EINVAL;
	else if (!cJSON_IsObject(*out)) {
		cJSON_Delete(*out);
		*out = NULL;
		rc = -EINVAL;
	}
	free(buf);
	return rc;
}

int
spool_metadata_write(const struct spool *s, const char *tid,
    const cJSON *metadata)
{
	char *text;
	int rc;

	if (!cJSON_IsObject(metadata))
		return -EINVAL;
	if (spool_tid_check(tid, NULL, 0) != 0)
		return -EINVAL;
	if (!(text = cJSON_PrintUnformatted(metadata)))
		return -ENOMEM;
	/* Durable: after a power cut a restart finds the last version whole
	 * (never an empty file, which XFS shows for a rename without
	 * fsync). Metadata is small: results are not stored in it. */
	rc = spool_file_write_durable(s, tid, "metadata", text, strlen(text));
	free(text);
	return rc;
}

/* Required members exist with their type; optional ones, when present,
 * have theirs (the schema pxp-agent validates metadata with). */
bool
spool_metadata_valid(const cJSON *m)
{
	static const char *const strings[] = { "requester", "module",
	    "action", "request_params", "transaction_id", "request_id",
	    "start", "status" };
	static const char *const opt_strings[] = { "end", "execution_error" };
	const cJSON *v;
	size_t i;

	if (!cJSON_IsObject(m))
		return false;
	for (i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
		if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(m,
		    strings[i])))
			return false;
	if (!cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(m,
	    "notify_outcome")))
		return false;
	for (i = 0; i < sizeof(opt_strings) / sizeof(opt_strings[0]); i++) {
		v = cJSON_GetObjectItemCaseSensitive(m, opt_strings[i]);
		if (v && !cJSON_IsString(v))
			return false;
	}
	v = cJSON_GetObjectItemCaseSensitive(m, "results_are_valid");
	return !v || cJSON_IsBool(v);
}

int
spool_metadata_undetermined(const struct spool *s, const char *tid,
    cJSON *m, const char *why)
{
	cJSON_DeleteItemFromObjectCaseSensitive(m, "status");
	cJSON_AddStringToObject(m, "status", "undetermined");
	cJSON_DeleteItemFromObjectCaseSensitive(m, "execution_error");
	cJSON_AddStringToObject(m, "execution_error", why);
	return spool_metadata_write(s, tid, m);
}

int
spool_file_read(const struct spool *s, const char *tid, const char *name,
    size_t max, char **buf, size_t *len, bool *truncated)
{
	char *path = NULL;
	int rc;

	*buf = NULL;
	*len = 0;
	*truncated = false;
	if ((rc = spool__path(s, tid, name, &path)) != 0)
		return rc;
	rc = os_read_file(path, false, max, buf, len, truncated);
	free(path);
	return rc;
}

int
spool_file_read_at(const struct spool *s, const char *tid, const char *name,
    uint64_t off, size_t max, char **buf, size_t *len)
{
	char *path = NULL;
	int rc;

	*buf = NULL;
	*len = 0;
	if ((rc = spool__path(s, tid, name, &path)) != 0)
		return rc;
	rc = os_read_at(path, off, max, buf, len);
	free(path);
	return rc;
}

static int
spool__file_write(const struct spool *s, const char *tid, const char *name,
    const void *buf, size_t len, bool durable)
{
	char *path = NULL;
	int rc;

	if (!name || (!buf && len))
		return -EINVAL;
	if ((rc = spool__path(s, tid, name, &path)) != 0)
		return rc;
	rc = os_write_atomic(path, buf ? buf : "", len, durable);
	free(path);
	return rc;
}

int
spool_file_write(const struct spool *s, const char *tid, const char *name,
    const void *buf, size_t len)
{
	return spool__file_write(s, tid, name, buf, len, false);
}

int
spool_file_write_durable(const struct spool *s, const char *tid,
    const char *name, const void *buf, size_t len)
{
	return spool__file_write(s, tid, name, buf, len, true);
}

int64_t
spool_file_mtime(const struct spool *s, const char *tid, const char *name)
{
	struct os_fileinfo info;
	char *path = NULL;
	int rc;

	if (spool__path(s, tid, name, &path) != 0)
		return -1;
	rc = os_path_info(path, false, &info);
	free(path);
	return rc == 0 ? info.mtime : -1;
}

bool
spool_uncommitted(const struct spool *s, const char *tid)
{
	/* The metadata's rename commits a transaction (spool_create); a
	 * blocking transaction's directory holds its owed reply only. */
	return spool_exists(s, tid) &&
	    !spool_file_exists(s, tid, "metadata") &&
	    !spool_file_exists(s, tid, "owed");
}

int
spool_remove(const struct spool *s, const char *tid)
{
	char *path = NULL;
	int rc;

	if ((rc = spool__path(s, tid, NULL, &path)) != 0)
		return rc;
	rc = os_rmtree_at(path);
	free(path);
	return rc;
}

bool
spool_file_exists(const struct spool *s, const char *tid, const char *name)
{
	struct os_fileinfo info;
	char *path = NULL;
	bool yes;

	if (!name || spool__path(s, tid, name, &path) != 0)
		return false;
	yes = os_path_info(path, false, &info) == 0;
	free(path);
	return yes;
}

int
spool_result_write(const struct spool *s, const char *tid, int exitcode,
    const char *out, size_t out_len, const char *err, size_t err_len)
{
	char code[16];
	int n = snprintf(code, sizeof(code), "%d\n", exitcode);
	int rc;

	if ((rc = spool_file_write(s, tid, "stdout", out, out_len)) != 0 ||
	    (rc = spool_file_write(s, tid, "stderr", err, err_len)) != 0)
		return rc;
	return spool_file_write(s, tid, "exitcode", code, (size_t)n);
}

int
spool_file_remove(const struct spool *s, const char *tid, const char *name)
{
	char *path = NULL;
	int rc;

	if (!name)
		return -EINVAL;
	if ((rc = spool__path(s, tid, name, &path)) != 0)
		return rc;
	rc = os_unlink(path);
	free(path);
	return rc == -ENOENT ? 0 : rc;
}

int
spool__list_tids(struct spool *s, char ***names, size_t *n)
{
	size_t i, kept = 0;
	int rc;

	if ((rc = os_dir_list(s->dir, OS_FTYPE_DIR, names, n)) != 0)
		return rc;
	/* Anything else in the spool (a probe, a person's notes) is no
	 * transaction. */
	for (i = 0; i < *n; i++) {
		if (spool_tid_check((*names)[i], NULL, 0) == 0)
			(*names)[kept++] = (*names)[i];
		else
			free((*names)[i]);
	}
	*n = kept;
	return 0;
}

int
spool_foreach(struct spool *s, spool_each_cb cb, void *arg)
{
	char **names = NULL;
	size_t n = 0, i;
	int rc;

	/* A snapshot first, so cb may create or remove directories. */
	if ((rc = spool__list_tids(s, &names, &n)) != 0)
		return rc;
	for (i = 0; i < n; i++)
		cb(arg, names[i]);
	os_names_free(names, n);
	return 0;
}
