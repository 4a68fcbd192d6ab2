/* purge.c: removing old transactions from the spool (spool_purge). When
 * to purge is the engine's (engine/purge.c); the per-transaction files
 * are spool.c's, the removal os.h's (os_rmtree_at). Invariant: purge
 * never removes a directory it cannot prove finished and old (or, with
 * unreadable metadata, unchanged for the whole TTL), nor one that still
 * owes a response. Metadata holds no results, so reading every one
 * stays cheap. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "os/os.h"
#include "spool/spool_int.h"
#include "base/util.h"

/* True when tid's directory may go: finished, valid, and started before
 * cutoff. Each reason to keep one that looks abandoned is logged. */
static bool
purge__due(struct spool *s, const char *tid, int64_t cutoff)
{
	const cJSON *status;
	cJSON *m = NULL;
	int64_t start;
	int rc;
	bool due = false;

	if ((rc = spool_metadata_read(s, tid, &m)) != 0 ||
	    !spool_metadata_valid(m)) {
		/* Empty (a power cut after a rename an older pxpd did not
		 * fsync), missing (a crash before the creation's commit) or
		 * written by hand: nothing will ever finish it, so it is aged
		 * by its file's time (the directory's without one) instead of
		 * being kept for ever. */
		if ((start = spool_file_mtime(s, tid, "metadata")) < 0)
			start = spool_file_mtime(s, tid, NULL);
		due = start >= 0 && start < cutoff;
		log_warnx("spool", "%s: metadata %s (%s)%s", tid, rc ?
		    "unreadable" : "invalid", rc ? strerror(-rc) :
		    "missing fields", due ? ", purged by its age" :
		    ", purged once old");
		goto cleanup;
	}
	status = cJSON_GetObjectItemCaseSensitive(m, "status");
	if (!strcmp(status->valuestring, "running"))
		goto cleanup;
	start = util_time_parse(cJSON_GetObjectItemCaseSensitive(m,
	    "start")->valuestring);
	if (start < 0) {
		log_warnx("spool", "%s: bad start time, not purged", tid);
		goto cleanup;
	}
	due = start < cutoff;
cleanup:
	cJSON_Delete(m);
	return due;
}

int
spool_purge(struct spool *s, long ttl_s, spool_busy_cb busy, void *arg)
{
	char **names = NULL;
	char *path;
	size_t n = 0, i;
	int64_t cutoff;
	int rc, gone = 0;

	if (ttl_s < 0)
		return -EINVAL;
	if (ttl_s == 0)                 /* "0d": purging is off */
		return 0;
	cutoff = (int64_t)(util_now_ms() / 1000) - (int64_t)ttl_s;
	if ((rc = spool__list_tids(s, &names, &n)) != 0)
		return rc;
	for (i = 0; i < n; i++) {
		if (busy && busy(arg, names[i]))
			continue;
		/* An owed response outlives any TTL until it is delivered. */
		if (spool_file_exists(s, names[i], "owed"))
			continue;
		if (!purge__due(s, names[i], cutoff))
			continue;
		if (!(path = spool_path(s, names[i], NULL)))
			continue;
		if ((rc = os_rmtree_at(path)) == 0) {
			log_debug("spool", "%s: purged", names[i]);
			gone++;
		} else {
			log_warnx("spool", "%s: purge failed: %s", names[i],
			    strerror(-rc));
		}
		free(path);
	}
	os_names_free(names, n);
	return gone;
}
