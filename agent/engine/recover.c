/* recover.c: what an earlier pxpd left in the spool: actions that ended
 * while it was down are finalized, running ones adopted again (their
 * wrapper watched through exec, once exec has proven the pid is still
 * that wrapper), ones that never started queued again in their old order
 * (queue.c), lost ones marked undetermined. Also the finalizing of one
 * transaction from its spool files, which the status query shares. Not
 * the status answer (modules/builtin/status_query.c), not owed replay
 * (owed.c).
 * Invariant: a transaction's metadata leaves "running" exactly once, and
 * its final response is recorded as owed before any attempt to send it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_int.h"
#include "base/jsonutil.h"
#include "base/log.h"
#include "base/util.h"

#define PART "engine"

/* An active job whose exitcode exists ends now, as its job: once a
 * final response went out, no status query says "running" again. Its
 * child stays watched until exec reports it gone. */
static int
engine__finalize_job(struct job *j)
{
	struct exec_result r;

	if (j->finished || !j->child || !j->result_dir)
		return -1;
	memset(&r, 0, sizeof(r));
	if (exec_result_exitcode(j->result_dir, &r.exitcode) != 0)
		return -1;
	r.cancelled = j->cancel_requested;
	r.timed_out = spool_file_exists(j->eng->spool, j->transaction_id,
	    "timed_out");
	engine__job_outcome(j, &r, true);
	return 0;
}

int
engine__finalize(struct engine *e, const char *tid, cJSON *meta)
{
	const char *status = json_string_get(meta, "status");
	const char *module = json_string_get(meta, "module");
	struct nb_end_req r;
	char *dir;
	struct job *j;
	int code, rc;

	if (strcmp(status ? status : "", "running") != 0)
		return 0;
	if ((j = engine__job_find(e, tid)))
		return engine__finalize_job(j);
	if (!(dir = spool_path(e->spool, tid, NULL)))
		return -1;
	rc = exec_result_exitcode(dir, &code);
	free(dir);
	if (rc != 0)
		return -1;
	memset(&r, 0, sizeof(r));
	r.kind = NB_FILES;
	r.tid = tid;
	r.sender = json_string_get(meta, "requester");
	r.request_id = json_string_get(meta, "request_id");
	r.module = module;
	r.action = json_string_get(meta, "action");
	r.mod = module ? engine_module_find(e, module) : NULL;
	r.notify = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(meta,
	    "notify_outcome"));
	r.exitcode = code;
	/* Synchronous: the status query that asked answers from the final
	 * metadata, and recovery runs before the first connection. */
	return engine__nb_end(e, NULL, &r, true) == 0 ? 0 : -1;
}

/* ---- adopting what an earlier pxpd left running ---- */

static void
engine__adopt(struct engine *e, const char *tid, cJSON *meta, long pid)
{
	const char *module = json_string_get(meta, "module");
	char err[256];
	struct job *j;

	j = engine__job_new(e, tid, module, json_string_get(meta, "action"),
	    json_string_get(meta, "request_id"), json_string_get(meta,
	    "requester"), NULL, NULL, true, cJSON_IsTrue(
	    cJSON_GetObjectItemCaseSensitive(meta, "notify_outcome")));
	if (!j)
		return;
	j->adopted = true;
	j->mod = engine_module_find(e, module);
	if (engine__job_adopt(j, err, sizeof(err)) != 0) {
		log_error(PART, "[%s] cannot watch pid %ld again: %s", tid, pid,
		    err);
		engine__job_free(j);
		return;
	}
	log_info(PART, "[%s] adopted running action (pid %ld)", tid, pid);
}

static void
engine__recover_one(void *arg, const char *tid)
{
	struct engine *e = arg;
	cJSON *meta = NULL;
	char *dir = NULL, *why = NULL;
	long pid = 0;
	int alive, rc;

	if ((rc = spool_metadata_read(e->spool, tid, &meta)) == -ENOENT &&
	    spool_uncommitted(e->spool, tid)) {
		/* A crash between its mkdir and its metadata's commit: the
		 * request was never accepted (no provisional response went
		 * out), so the id is freed for a retry. */
		if (spool_remove(e->spool, tid) == 0)
			log_warnx(PART, "[%s] removed: its creation never "
			    "finished", tid);
		goto out;
	}
	if (rc != 0 || !meta || !spool_metadata_valid(meta))
		goto out;
	if (strcmp(json_string_get(meta, "status"), "running") != 0)
		goto out;
	if (engine__finalize(e, tid, meta) == 0) {
		log_info(PART, "[%s] ended while pxpd was down: finalized", tid);
		goto out;
	}
	if (!(dir = spool_path(e->spool, tid, NULL)))
		goto out;
	/* No pid file: it never started. Queued (or still being prepared)
	 * it starts again; else pxpd stopped between accepting it and
	 * recording it. */
	if ((alive = exec_result_alive(dir, &pid)) == -ENOENT) {
		if ((rc = engine__queue_restore(e, tid, meta, &why)) == 0)
			log_info(PART, "[%s] queued again: it had not started",
			    tid);
		else
			engine__nb_lost(e, tid, meta, rc > 0 ? "the PID and "
			    "output of this task are not available (pxpd "
			    "stopped before it started)" : why);
		goto out;
	}
	/* Its wrapper gone, or the pid now another process's (a reboot, a
	 * reused pid): lost, as pxp-agent reports it, and never adopted. */
	if (alive != 1) {
		engine__nb_lost(e, tid, meta, ENGINE_NOT_RUNNING);
		goto out;
	}
	engine__adopt(e, tid, meta, pid);
out:
	free(why);
	free(dir);
	cJSON_Delete(meta);
}

void
engine__recover(struct engine *e)
{
	spool_foreach(e->spool, engine__recover_one, e);
	/* Adopted actions hold their slots; the queue gets what is left. */
	engine__queue_run(e);
}
