/* purge.c: removing old transactions from the spool (spool_purge). When
 * to purge is the engine's (engine/purge.c); the per-transaction files
 * are spool.c's, the removal os.h's (os_rmtree_at). Invariant: purge
 * never removes a directory it cannot prove finished and old, nor one
 * that still owes a response. */
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

	if ((rc = spool_metadata_read(s, tid, &m)) != 0) {
		log_warnx("spool", "%s: metadata unreadable (%s), not purged",
		    tid, strerror(-rc));
		return false;
	}
	if (!spool_metadata_valid(m)) {
		log_warnx("spool", "%s: metadata invalid, not purged", tid);
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
