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

#include "engine/engine_int.h"
#include "base/jsonutil.h"
#include "base/log.h"
#include "pcp/pxp.h"
#include "base/util.h"

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
		data = pxp_rpc_error_json_max(tid, meta_str(meta, "request_id"),
		    why, engine__data_max(e));
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
	o.result_cap = engine__data_max(e);
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

/* The marker of an output cut to fit the answer, and the room kept for
 * it and for the keys, status and exit code around the output. */
#define STATUS_CUT_MARK "\n[pxpd: output truncated to fit max-message-size; " \
    "the whole output is in the spool of this transaction]\n"
#define STATUS_FRAME 512

/* Adds key: text[0..keep) repaired (jsonutil.h), marked when cut. */
static void
status_add_text(cJSON *res, const char *key, const char *text, size_t len,
    size_t keep, bool more)
{
	char *r, *m;
	size_t n;

	if (!len)
		return;
	if (!(r = json_utf8_repair(text, keep, &n)))
		return;
	if (keep < len || more) {
		m = util_asprintf("%s%s", r, STATUS_CUT_MARK);
		free(r);
		r = m;
	}
	if (r)
		cJSON_AddStringToObject(res, key, r);
	free(r);
}

/* Adds stdout (or, with exec_error, pxp-agent's execution-error JSON in
 * its place) and stderr to a status answer. Output may be anything a
 * process wrote (a pxpd extension sends it for running actions too): it
 * is repaired and cut between characters so that both, JSON-escaped as
 * cJSON prints them, take at most budget bytes; stderr gives way first. */
static void
status_add_output(struct engine *e, cJSON *res, const char *tid,
    const char *exec_error, size_t budget)
{
	char *out = NULL, *err = NULL;
	size_t out_len = 0, err_len = 0, out_keep, err_keep;
	bool out_more = false, err_more = false;

	budget = budget > STATUS_FRAME ? budget - STATUS_FRAME : 0;
	/* Escaping never shrinks text: budget bytes of a file are enough
	 * to know whether it must be cut. */
	if (exec_error) {
		out = engine__exec_error_json(exec_error);
		out_len = out ? strlen(out) : 0;
	} else if (spool_file_read(e->spool, tid, "stdout", budget, &out,
	    &out_len, &out_more) != 0)
		out_len = 0;
	if (spool_file_read(e->spool, tid, "stderr", budget, &err, &err_len,
	    &err_more) != 0)
		err_len = 0;
	json_utf8_fit2(out, out_len, err, err_len, budget, &out_keep,
	    &err_keep);
	status_add_text(res, "stdout", out, out_len, out_keep, out_more);
	status_add_text(res, "stderr", err, err_len, err_keep, err_more);
	free(out);
	free(err);
}

/* The exit code of a finished action: its exitcode file, what the
 * process returned, as pxp-agent reads it (results_storage.cc getOutput).
 * Not results.exitcode: that is the module's own figure
 * (pxp-module-puppet reports Puppet's 2 for --detailed-exitcodes with
 * changes while the module exits 0). Without the file (pxpd never leaves
 * a finished action without one), the results', else the stored status. */
static int
status_exitcode(struct engine *e, const char *tid, const cJSON *meta,
    const char *stored)
{
	const cJSON *code = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(meta, "results"), "exitcode");
	int exitcode;

	if (spool_exitcode_read(e->spool, tid, &exitcode) == 0)
		return exitcode;
	if (cJSON_IsNumber(code))
		return code->valueint;
	return strcmp(stored, "success") ? 1 : 0;
}

int
engine__status_query(struct engine *e, const char *tid, size_t reserve,
    char **results_json, char *err, size_t errlen)
{
	cJSON *res = cJSON_CreateObject(), *meta = NULL;
	const char *status, *stored;
	size_t budget = engine__data_max(e), tid_keep, tid_esc;
	char *echo = NULL;
	long pid;
	int exitcode;

	if (!res) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* The queried id comes back as it came, repaired and, should it be
	 * huge, cut to half of what the answer may take. */
	budget = budget > reserve ? budget - reserve : 0;
	tid_keep = json_utf8_fit(tid, strlen(tid), budget / 2, false,
	    &tid_esc);
	budget -= tid_esc;
	if ((echo = json_utf8_repair(tid, tid_keep, NULL)))
		cJSON_AddStringToObject(res, "transaction_id", echo);
	free(echo);
	/* An id that spool_tid_check refuses ("../x", "/", "", 100 000
	 * characters) was never a transaction of ours: unknown like any id
	 * never seen, decided without a look at the disk. */
	if (spool_tid_check(tid, NULL, 0) != 0 || !spool_exists(e->spool, tid)) {
		status = "unknown";
		status_add_output(e, res, tid, "found no results directory",
		    budget);
		goto done;
	}
	if (spool_metadata_read(e->spool, tid, &meta) != 0 || !meta ||
	    !spool_metadata_valid(meta) ||
	    !engine_module_find(e, meta_str(meta, "module"))) {
		status = "unknown";
		status_add_output(e, res, tid, "the metadata of this transaction "
		    "is missing, invalid or names an unknown module", budget);
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
			status_add_output(e, res, tid, NULL, budget);
		} else {
			status = "unknown";
			engine__undetermined(e, tid, meta, "task process is not "
			    "running, but no output is available", false);
			status_add_output(e, res, tid, "task process is not "
			    "running, but no output is available", budget);
		}
		goto done;
	}
	if (!strcmp(stored, "undetermined")) {
		status = "unknown";
		status_add_output(e, res, tid, meta_str(meta, "execution_error"),
		    budget);
		goto done;
	}
	exitcode = status_exitcode(e, tid, meta, stored);
	cJSON_AddNumberToObject(res, "exitcode", exitcode);
	status = (!strcmp(stored, "success") && exitcode == 0) ? "success" :
	    "failure";
	status_add_output(e, res, tid, meta_str(meta, "execution_error"),
	    budget);
done:
	cJSON_AddStringToObject(res, "status", status);
	cJSON_Delete(meta);
	*results_json = cJSON_PrintUnformatted(res);
	cJSON_Delete(res);
	return *results_json ? 0 : -1;
}

int
engine_status_query(struct engine *e, const char *tid, size_t reserve,
    char **results_json, char *err, size_t errlen)
{
	return engine__status_query(e, tid, reserve, results_json, err,
	    errlen);
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
