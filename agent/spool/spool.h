/* spool.h: the results spool (spool-and-config.md §1-3): one directory
 * per non-blocking transaction under spool-dir, its metadata, output
 * files, owed responses, and purging. Disk only: no wire format, no
 * process handling. Directories are 0700, files 0600; every write that
 * must not be seen half-done goes temp file + rename, and what a restart
 * must find whole after a power cut (a transaction's directory and
 * metadata, a queued action, an owed response) is durable: fsync of the
 * file before the rename, of its directory after. The big ones (the end
 * of an action) are written from libuv's thread pool (engine/job.c):
 * functions taking a const spool are safe there. */
#ifndef PXPD_SPOOL_H
#define PXPD_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#define SPOOL_TID_MAX 128

struct spool;

/* Transaction ids come off the wire: only [A-Za-z0-9._:-], 1..128 chars,
 * not starting with '.', so "..", "/", "\\" and NUL can never reach a
 * path. Returns 0, or -1 with the reason in err. */
int spool_tid_check(const char *tid, char *err, size_t errlen);

/* Creates dir (0700) if missing and checks it is writable by making and
 * removing a random subdirectory. NULL with err on failure. */
struct spool *spool_open(const char *dir, char *err, size_t errlen);
void spool_close(struct spool *s);
const char *spool_dir(const struct spool *s);

/* "<spool>/<tid>" or "<spool>/<tid>/<name>"; malloc'd. tid must have
 * passed spool_tid_check. */
char *spool_path(const struct spool *s, const char *tid, const char *name);

/* Creates <tid>/ and writes its first metadata. -EEXIST when the
 * directory already exists (the dedup key of pxp.md §5). */
int spool_create(struct spool *s, const char *tid, const cJSON *metadata);
bool spool_exists(const struct spool *s, const char *tid);
/* tid's directory exists without metadata (nor an owed reply): a crash
 * interrupted spool_create before its commit. */
bool spool_uncommitted(const struct spool *s, const char *tid);
/* Removes <tid>/ and everything in it. */
int spool_remove(const struct spool *s, const char *tid);
/* Seconds since the epoch of <tid>/name's last change (the directory's
 * with name NULL); -1 when it cannot be read. */
int64_t spool_file_mtime(const struct spool *s, const char *tid,
    const char *name);

/* Metadata JSON: read (caller deletes *out) and atomic rewrite.
 * spool_metadata_valid() checks the required fields and types of
 * spool-and-config.md §2. */
int spool_metadata_read(const struct spool *s, const char *tid, cJSON **out);
int spool_metadata_write(const struct spool *s, const char *tid,
    const cJSON *metadata);
bool spool_metadata_valid(const cJSON *metadata);
/* A transaction whose outcome is lost (its process is gone without an
 * exitcode): status "undetermined" with why as its execution_error, set
 * in metadata and written. */
int spool_metadata_undetermined(const struct spool *s, const char *tid,
    cJSON *metadata, const char *why);

/* A file of <tid>/: at most max bytes are read (*truncated set when the
 * file is longer). -ENOENT when missing. Caller frees *buf (NUL-ended). */
int spool_file_read(const struct spool *s, const char *tid, const char *name,
    size_t max, char **buf, size_t *len, bool *truncated);
/* Up to max bytes of a file of <tid>/ from offset off (streaming output
 * of running actions). Caller frees *buf (NUL-ended). */
int spool_file_read_at(const struct spool *s, const char *tid,
    const char *name, uint64_t off, size_t max, char **buf, size_t *len);
/* Atomic write of a whole file of <tid>/ (0600). */
int spool_file_write(const struct spool *s, const char *tid,
    const char *name, const void *buf, size_t len);
/* The same, durable (fsync of file and directory: blocks on the disk). */
int spool_file_write_durable(const struct spool *s, const char *tid,
    const char *name, const void *buf, size_t len);
bool spool_file_exists(const struct spool *s, const char *tid,
    const char *name);
/* The outcome of an action pxpd ran itself (the file module), in the
 * files the wrapper writes for the others: stdout, stderr, then exitcode
 * last, so that whoever sees exitcode sees the rest (exec.h reads it:
 * exec_result_exitcode). 0 or the first negative code. */
int spool_result_write(const struct spool *s, const char *tid, int exitcode,
    const char *out, size_t out_len, const char *err, size_t err_len);
/* Removes a file of <tid>/ (not a directory); 0 also when it was not
 * there. */
int spool_file_remove(const struct spool *s, const char *tid,
    const char *name);

/* Owed responses: the final message of a transaction that could not be
 * delivered yet. Stored as <tid>/owed (JSON {seq, message_type, target,
 * data}) so a restart or a broker outage loses none of them. */
/* data_json must be one JSON value (else -EINVAL); it is stored verbatim
 * and fsync'd. A tid without a directory (a blocking request) gets one,
 * which spool_owed_clear removes again. Clear returns 0 when nothing is
 * owed. */
int spool_owed_write(struct spool *s, const char *tid, const char *type,
    const char *target, const char *data_json);
/* spool_owed_write in two halves, for the thread pool: the seq (the
 * loop's: it counts), then the store, which only touches the disk;
 * data_json is the caller's own (not parsed again). */
uint64_t spool_owed_seq_next(struct spool *s);
/* id: the PCP message id it is (re)sent with, kept as "id" (NULL: none,
 * a new one each time). */
int spool_owed_store(const struct spool *s, const char *tid, uint64_t seq,
    const char *id, const char *type, const char *target,
    const char *data_json);
int spool_owed_clear(struct spool *s, const char *tid);

/* Calls cb for every transaction directory (names that pass
 * spool_tid_check), in no particular order. */
typedef void (*spool_each_cb)(void *arg, const char *tid);
int spool_foreach(struct spool *s, spool_each_cb cb, void *arg);

/* Owed responses in the order they were written (by seq). cb gets the
 * parsed owed JSON (borrowed). */
typedef void (*spool_owed_cb)(void *arg, const char *tid, const cJSON *owed);
int spool_owed_foreach(struct spool *s, spool_owed_cb cb, void *arg);
/* The same order as a list, for a sender that goes at its own pace: the
 * tids (malloc'd array of malloc'd strings, os_names_free), then each
 * one's owed JSON with spool_owed_read (0 and *out for the caller to
 * delete; -ENOENT once it was cleared; -EINVAL when unreadable). */
int spool_owed_list(struct spool *s, char ***tids, size_t *n);
int spool_owed_read(const struct spool *s, const char *tid, cJSON **out);

/* Removes transaction dirs whose metadata `start` is older than ttl_s,
 * skipping stored status "running", unreadable metadata, owed responses
 * and any tid for which busy() says true. Returns how many went. */
typedef bool (*spool_busy_cb)(void *arg, const char *tid);
int spool_purge(struct spool *s, long ttl_s, spool_busy_cb busy, void *arg);

#endif
