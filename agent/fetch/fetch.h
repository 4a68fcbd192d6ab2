/* fetch.h: task files from the Puppet server's file service into the
 * task cache (modules.md §7, puppetserver-observed.md): HTTPS with the
 * agent's certificate on the agent's libuv loop, sha256-checked, cached in
 * task-cache-dir/<sha256>/<filename>, one download per file however many
 * requests want it at once. */
#ifndef PXPD_FETCH_H
#define PXPD_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <uv.h>

#include "config/config.h"

struct fetch;

/* One file of a task/script/file request: {"filename", "sha256",
 * "size_bytes"?, "uri": {"path", "params"}}. */
struct fetch_file {
	const char *filename;     /* may hold sub-dirs (mymod/files/x.sh) */
	const char *sha256;       /* 64 hex digits */
	int64_t size_bytes;       /* -1 when not given */
	const char *uri_path;     /* /puppet/v3/file_content/... */
	const cJSON *uri_params;  /* object of strings, or NULL */
};

/* Checks a file object off the wire (shape, sha256 syntax, names without
 * "..", NUL or absolute paths, uri path inside the file service, size
 * within limits). 0, or -1 with a clear reason. Fills *out (borrowing
 * strings from obj). */
int fetch_file_parse(const cJSON *obj, struct fetch_file *out, char *err,
    size_t errlen);

/* Called once from the loop: path of the cached file (task-cache-dir/
 * <sha256>/<basename>) on success, or NULL and an error text such as
 * "The downloaded file init.sh has a SHA that differs from the provided
 * SHA" or "https://puppet:8140/puppet/v3/file_content/...: HTTP 404". */
typedef void (*fetch_done_cb)(void *arg, const char *path, const char *error);

struct fetch *fetch_new(uv_loop_t *loop, const struct pxpd_config *cfg,
    char *err, size_t errlen);
/* Makes sure the file is in the cache (a hit refreshes the sha256 dir's
 * mtime), downloading it if needed. 0, or -1 with err when nothing could
 * start (done is then not called). */
int fetch_get(struct fetch *f, const struct fetch_file *file,
    fetch_done_cb done, void *arg, char *err, size_t errlen);
/* Cancels every pending callback for arg (the request went away). */
void fetch_cancel(struct fetch *f, void *arg);
/* Removes sha256 dirs of task-cache-dir not used for ttl_s seconds
 * (mtime; ttl_s <= 0: nothing), keeping those with a download under way.
 * Returns how many it removed. Runs on the loop: call it rarely. */
int fetch_cache_purge(struct fetch *f, long ttl_s);
/* Purges with ttl_s now and then every min(60 min, ttl_s), until
 * fetch_free (pxp-agent's cadence). ttl_s <= 0 or f NULL: nothing. */
void fetch_cache_purge_start(struct fetch *f, long ttl_s);
/* Drops every pending callback and transfer and starts the teardown; the
 * loop must run on until it is done (no other call needed). NULL is fine. */
void fetch_free(struct fetch *f);
/* Downloads are in flight (or closing): a replaced fetch is freed only
 * once this is false. */
bool fetch_busy(const struct fetch *f);

/* Retry policy (default: 4 rounds over master-uris, waits of 1, 2, 4 s
 * between rounds): rounds >= 1, the first wait in ms, doubling. Tests use
 * it to keep failures fast. */
void fetch_retry_set(struct fetch *f, int rounds, uint64_t first_wait_ms);

#endif
