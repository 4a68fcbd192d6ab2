/* engine_status.c: the spool side of the engine: status queries (pxp.md
 * §6), adopting or finalizing the actions an earlier pxpd left running,
 * owed responses after a reconnect, cancel, and the purge timers (spool
 * and task cache).
 * Invariant: a transaction's metadata leaves "running" exactly once, and
 * its final response is recorded as owed before any attempt to send it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"
#include "jsonutil.h"
#include "log.h"
#include "pxp.h"
#include "util.h"

#define PART "engine"

static const char *
meta_str(const cJSON *m, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(m, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool
meta_notify(const cJSON *m)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "notify_outcome"));
}

/* ---- finalizing from the spool ----------------------------------------- */

static void
engine__undetermined(struct engine *e, const char *tid, cJSON *meta,
    const char *why, bool send)
{
	char *data;

	cJSON_DeleteItemFromObjectCaseSensitive(meta, "status");
	cJSON_AddStringToObject(meta, "status", "undetermined");
	cJSON_DeleteItemFromObjectCaseSensitive(meta, "execution_error");
	cJSON_AddStringToObject(meta, "execution_error", why);
	spool_metadata_write(e->spool, tid, meta);
	log_warnx(PART, "[%s] %s", tid, why);
	if (send && meta_notify(meta) && meta_str(meta, "requester")) {
		data = pxp_rpc_error_json(tid, meta_str(meta, "request_id"), why);
		if (data && spool_owed_write(e->spool, tid, PXP_RPC_ERROR,
		    meta_str(meta, "requester"), data) == 0 && e->ready)
			engine__send(e, PXP_RPC_ERROR, meta_str(meta, "requester"),
			    NULL, data, NULL, tid);
		free(data);
	}
}

int
engine__finalize(struct engine *e, const char *tid, cJSON *meta, bool send)
{
	const struct module *mod;
	struct action_output o;
	char *out = NULL, *err = NULL, *results = NULL, *error = NULL;
	size_t cap = (size_t)e->cfg->max_message_size;
	int code;

	if (strcmp(meta_str(meta, "status") ? meta_str(meta, "status") : "",
	    "running") != 0)
		return 0;
	if (spool_exitcode_read(e->spool, tid, &code) != 0)
		return -1;
	mod = engine_module_find(e, meta_str(meta, "module"));
	memset(&o, 0, sizeof(o));
	o.exitcode = code;
	o.non_blocking = true;      /* only non-blocking actions have a spool */
	o.result_cap = (size_t)e->cfg->max_message_size - 1024;
	if (spool_file_read(e->spool, tid, "stdout", cap, &out, &o.out_len,
	    &o.out_truncated) != 0)
		out = NULL;
	if (spool_file_read(e->spool, tid, "stderr", cap, &err, &o.err_len,
	    &o.err_truncated) != 0)
		err = NULL;
	o.out = out ? out : "";
	o.err = err ? err : "";
	if (!mod || !mod->results)
		error = util_asprintf("unknown module '%s' for this transaction",
		    meta_str(meta, "module"));
	else if (mod->results(mod, meta_str(meta, "action"), &o, &results,
	    &error) != 0 && !error)
		error = util_strdup("invalid results");
	free(out);
	free(err);
	engine__nb_finish(e, tid, meta_str(meta, "requester"),
	    meta_str(meta, "request_id"), send && meta_notify(meta),
	    error ? NULL : results, error);
	if (error)
		free(results);
	free(error);
	return 0;
}

/* ---- adopting what an earlier pxpd left running ------------------------ */

static void
engine__adopted_done(void *arg, const struct exec_result *r)
{
	struct job *j = arg;
	struct engine *e = j->eng;
	cJSON *meta = NULL;

	j->child = NULL;
	if (spool_metadata_read(e->spool, j->transaction_id, &meta) == 0 &&
	    meta) {
		if (engine__finalize(e, j->transaction_id, meta, true) != 0)
			engine__undetermined(e, j->transaction_id, meta,
			    "task process is not running, but no output is "
			    "available", true);
	}
	cJSON_Delete(meta);
	j->finished = true;
	if (j->running) {
		j->running = false;
		e->n_running--;
	}
	engine__job_free(j);
}

static void
engine__recover_one(void *arg, const char *tid)
{
	struct engine *e = arg;
	cJSON *meta = NULL;
	char err[256];
	struct job *j;
	long pid;

	if (spool_metadata_read(e->spool, tid, &meta) != 0 || !meta ||
	    !spool_metadata_valid(meta))
		goto out;
	if (strcmp(meta_str(meta, "status"), "running") != 0)
		goto out;
	if (engine__finalize(e, tid, meta, true) == 0) {
		log_info(PART, "[%s] ended while pxpd was down: finalized", tid);
		goto out;
	}
	if (spool_pid_read(e->spool, tid, &pid) != 0) {
		engine__undetermined(e, tid, meta, "the PID and output of this "
		    "task are not available (pxpd stopped before it started)",
		    true);
		goto out;
	}
	if (!exec_pid_alive(pid)) {
		engine__undetermined(e, tid, meta, "task process is not running, "
		    "but no output is available", true);
		goto out;
	}
	j = engine__job_new(e, tid, meta_str(meta, "module"),
	    meta_str(meta, "action"), meta_str(meta, "request_id"),
	    meta_str(meta, "requester"), NULL, NULL, true, meta_notify(meta));
	if (!j)
		goto out;
	j->adopted = true;
	j->mod = engine_module_find(e, meta_str(meta, "module"));
	j->child = exec_adopt(e->loop, j->result_dir, engine__adopted_done, j,
	    err, sizeof(err));
	if (!j->child) {
		log_error(PART, "[%s] cannot watch pid %ld again: %s", tid, pid,
		    err);
		engine__job_free(j);
		goto out;
	}
	/* It still occupies the machine: count it against the limit. */
	j->running = true;
	e->n_running++;
	log_info(PART, "[%s] adopted running action (pid %ld)", tid, pid);
out:
	cJSON_Delete(meta);
}

void
engine__recover(struct engine *e)
{
	spool_foreach(e->spool, engine__recover_one, e);
}

/* ---- owed responses ---------------------------------------------------- */

static void
engine__owed_one(void *arg, const char *tid, const cJSON *owed)
{
	struct engine *e = arg;
	const char *type = meta_str(owed, "message_type");
	const char *target = meta_str(owed, "target");
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(owed, "data");
	char *text;

	if (!type || !target || !data) {
		log_error(PART, "[%s] unreadable owed response: dropped", tid);
		spool_owed_clear(e->spool, tid);
		return;
	}
	if (!(text = cJSON_PrintUnformatted(data)))
		return;
	log_info(PART, "[%s] sending owed %s to %s", tid, type, target);
	engine__send(e, type, target, NULL, text, NULL, tid);
	cJSON_free(text);
}

void
engine__owed_flush(struct engine *e)
{
	spool_owed_foreach(e->spool, engine__owed_one, e);
}

/* ---- status query (pxp.md §6) ------------------------------------------ */

static char *
engine__exec_error_json(const char *msg)
{
	char *q = json_quote(msg);
	char *s = q ? util_asprintf("{\"_error\":{\"kind\":\"puppetlabs.pxp-agent/"
	    "execution-error\",\"msg\":%s,\"details\":{}}}", q) : NULL;

	free(q);
	return s;
}

static void
status_add_output(struct engine *e, cJSON *res, const char *tid,
    const char *exec_error)
{
	size_t cap = (size_t)e->cfg->max_message_size / 2, len;
	char *buf = NULL, *ee;
	bool trunc;

	if (exec_error && (ee = engine__exec_error_json(exec_error))) {
		cJSON_AddStringToObject(res, "stdout", ee);
		free(ee);
	} else if (spool_file_read(e->spool, tid, "stdout", cap, &buf, &len,
	    &trunc) == 0 && len)
		cJSON_AddStringToObject(res, "stdout", buf);
	free(buf);
	buf = NULL;
	if (spool_file_read(e->spool, tid, "stderr", cap, &buf, &len,
	    &trunc) == 0 && len)
		cJSON_AddStringToObject(res, "stderr", buf);
	free(buf);
}

int
engine__status_query(struct engine *e, const char *tid, char **results_json,
    char *err, size_t errlen)
{
	cJSON *res = cJSON_CreateObject(), *meta = NULL;
	const char *status, *stored;
	const cJSON *results, *code;
	long pid;
	int exitcode;

	if (!res) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	cJSON_AddStringToObject(res, "transaction_id", tid);
	if (!spool_exists(e->spool, tid)) {
		status = "unknown";
		status_add_output(e, res, tid, "found no results directory");
		goto done;
	}
	if (spool_metadata_read(e->spool, tid, &meta) != 0 || !meta ||
	    !spool_metadata_valid(meta) ||
	    !engine_module_find(e, meta_str(meta, "module"))) {
		status = "unknown";
		status_add_output(e, res, tid, "the metadata of this transaction "
		    "is missing, invalid or names an unknown module");
		goto done;
	}
	/* An action that ended and was not processed yet is processed now. */
	if (!strcmp(meta_str(meta, "status"), "running") &&
	    !engine__job_find(e, tid) &&
	    engine__finalize(e, tid, meta, true) == 0) {
		cJSON_Delete(meta);
		meta = NULL;
		if (spool_metadata_read(e->spool, tid, &meta) != 0 || !meta) {
			status = "unknown";
			goto done;
		}
	}
	stored = meta_str(meta, "status");
	if (!strcmp(stored, "running")) {
		if (engine__job_find(e, tid) ||
		    (spool_pid_read(e->spool, tid, &pid) == 0 &&
		    exec_pid_alive(pid))) {
			status = "running";
			status_add_output(e, res, tid, NULL);
		} else {
			status = "unknown";
			engine__undetermined(e, tid, meta, "task process is not "
			    "running, but no output is available", false);
			status_add_output(e, res, tid, "task process is not "
			    "running, but no output is available");
		}
		goto done;
	}
	if (!strcmp(stored, "undetermined")) {
		status = "unknown";
		status_add_output(e, res, tid, meta_str(meta, "execution_error"));
		goto done;
	}
	results = cJSON_GetObjectItemCaseSensitive(meta, "results");
	code = cJSON_GetObjectItemCaseSensitive(results, "exitcode");
	if (cJSON_IsNumber(code))
		exitcode = code->valueint;
	else if (spool_exitcode_read(e->spool, tid, &exitcode) != 0)
		exitcode = strcmp(stored, "success") ? 1 : 0;
	cJSON_AddNumberToObject(res, "exitcode", exitcode);
	status = (!strcmp(stored, "success") && exitcode == 0) ? "success" :
	    "failure";
	status_add_output(e, res, tid, meta_str(meta, "execution_error"));
done:
	cJSON_AddStringToObject(res, "status", status);
	cJSON_Delete(meta);
	*results_json = cJSON_PrintUnformatted(res);
	cJSON_Delete(res);
	return *results_json ? 0 : -1;
}

int
engine_status_query(struct engine *e, const char *tid, char **results_json,
    char *err, size_t errlen)
{
	return engine__status_query(e, tid, results_json, err, errlen);
}

/* ---- cancel (pxpd extension) ------------------------------------------- */

int
engine__cancel(struct engine *e, const char *tid, char *err, size_t errlen)
{
	struct job *j = engine__job_find(e, tid);
	struct job **pp;

	if (!j) {
		snprintf(err, errlen, "no running action with transaction_id %s",
		    tid);
		return -1;
	}
	j->cancel_requested = true;
	if (j->child)
		return exec_cancel(j->child) == 0 ? 0 : -1;
	/* Still queued: it never started, so it ends here. */
	for (pp = &e->queue_head; *pp; pp = &(*pp)->qnext)
		if (*pp == j) {
			*pp = j->qnext;
			e->n_queued--;
			break;
		}
	e->queue_tail = NULL;
	for (pp = &e->queue_head; *pp; pp = &(*pp)->qnext)
		e->queue_tail = *pp;
	job_finish(j, NULL, "the action was cancelled before it started");
	return 0;
}

int
engine_cancel(struct engine *e, const char *tid, char *err, size_t errlen)
{
	return engine__cancel(e, tid, err, errlen);
}

/* ---- purge -------------------------------------------------------------- */

static bool
engine__busy(void *arg, const char *tid)
{
	return engine__job_find(arg, tid) != NULL;
}

static void
engine__purge(uv_timer_t *t)
{
	struct engine *e = t->data;
	int n;

	if (e->cfg->spool_purge_ttl_s <= 0)
		return;
	n = spool_purge(e->spool, e->cfg->spool_purge_ttl_s, engine__busy, e);
	if (n > 0)
		log_info(PART, "purged %d old results from the spool", n);
}

void
engine__purge_start(struct engine *e)
{
	uint64_t every = 60ULL * 60 * 1000;

	if (e->cfg->spool_purge_ttl_s <= 0)
		return;
	/* pxp-agent: every min(60 min, ttl); short TTLs purge more often. */
	if ((uint64_t)e->cfg->spool_purge_ttl_s * 1000 < every)
		every = (uint64_t)e->cfg->spool_purge_ttl_s * 1000;
	uv_timer_init(e->loop, &e->purge_timer);
	e->purge_timer.data = e;
	e->purge_timer_on = true;
	engine__purge(&e->purge_timer);
	uv_timer_start(&e->purge_timer, engine__purge, every, every);
}

/* ---- task-cache purge --------------------------------------------------- */

static void
engine__cache_purge(uv_timer_t *t)
{
	struct engine *e = t->data;
	int n;

	n = fetch_cache_purge(e->fetch, e->cfg->task_cache_purge_ttl_s);
	if (n > 0)
		log_info(PART, "purged %d unused files from the task cache", n);
}

void
engine__cache_purge_start(struct engine *e)
{
	uint64_t every = 60ULL * 60 * 1000;

	if (!e->fetch || e->cfg->task_cache_purge_ttl_s <= 0)
		return;
	/* Same cadence as the spool purge: min(60 min, ttl). */
	if ((uint64_t)e->cfg->task_cache_purge_ttl_s * 1000 < every)
		every = (uint64_t)e->cfg->task_cache_purge_ttl_s * 1000;
	uv_timer_init(e->loop, &e->cache_timer);
	e->cache_timer.data = e;
	e->cache_timer_on = true;
	engine__cache_purge(&e->cache_timer);
	uv_timer_start(&e->cache_timer, engine__cache_purge, every, every);
}
