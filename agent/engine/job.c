/* job.c: jobs: running actions through exec (started or adopted), and
 * the outcome of each job (blocking reply, or spool metadata + owed
 * non-blocking response, or "undetermined" when it is lost). Not request
 * parsing (engine.c), the slots and queue (queue.c), status queries
 * (status_view.c) nor recovery (recover.c).
 * Invariants: a job ends once, through engine__job_end; it is freed only
 * when finished, not inside module->start(), and no child of it is still
 * watched. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "os/os.h"
#include "engine/engine_int.h"
#include "base/jsonutil.h"
#include "base/log.h"
#include "pcp/pxp.h"
#include "base/util.h"

#define PART "engine"

struct job *
engine__job_new(struct engine *e, const char *tid, const char *module,
    const char *action, const char *request_id, const char *sender,
    const cJSON *params, const cJSON *debug, bool non_blocking,
    bool notify_outcome)
{
	struct job *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	j->eng = e;
	j->transaction_id = util_strdup(tid);
	j->module = util_strdup(module);
	j->action = util_strdup(action);
	j->request_id = util_strdup(request_id);
	j->sender = util_strdup(sender);
	j->params = params ? cJSON_Duplicate(params, 1) : cJSON_CreateObject();
	j->debug = debug ? cJSON_Duplicate(debug, 1) : NULL;
	j->non_blocking = non_blocking;
	j->notify_outcome = notify_outcome;
	j->label = util_asprintf("%s '%s %s' request (transaction %s)",
	    non_blocking ? "non-blocking" : "blocking", module, action, tid);
	if (non_blocking)
		j->result_dir = spool_path(e->spool, tid, NULL);
	j->started_ms = util_now_ms();
	if (!j->transaction_id || !j->module || !j->action || !j->request_id ||
	    !j->sender || !j->params || (debug && !j->debug) || !j->label ||
	    (non_blocking && !j->result_dir)) {
		engine__job_free(j);
		return NULL;
	}
	j->next = e->jobs;
	if (e->jobs)
		e->jobs->prev = j;
	e->jobs = j;
	return j;
}

void
engine__job_free(struct job *j)
{
	struct engine *e;

	if (!j)
		return;
	e = j->eng;
	if (j->prev)
		j->prev->next = j->next;
	else if (e->jobs == j)
		e->jobs = j->next;
	if (j->next)
		j->next->prev = j->prev;
	if (j->cleanup)
		j->cleanup(j->cleanup_ctx, j->finished);
	free(j->transaction_id);
	free(j->module);
	free(j->action);
	free(j->request_id);
	free(j->sender);
	free(j->label);
	free(j->result_dir);
	cJSON_Delete(j->params);
	cJSON_Delete(j->debug);
	free(j);
}

struct job *
engine__job_find(const struct engine *e, const char *tid)
{
	struct job *j;

	for (j = e->jobs; j; j = j->next)
		if (j->non_blocking && !strcmp(j->transaction_id, tid))
			return j;
	return NULL;
}

const char *job_transaction_id(const struct job *j) { return j->transaction_id; }
const char *job_action(const struct job *j) { return j->action; }
const char *job_sender(const struct job *j) { return j->sender; }
const cJSON *job_params(const struct job *j) { return j->params; }
const cJSON *job_debug(const struct job *j) { return j->debug; }
bool job_non_blocking(const struct job *j) { return j->non_blocking; }
const struct module_env *job_env(const struct job *j) { return &j->eng->env; }
const char *job_result_dir(const struct job *j) { return j->result_dir; }
const char *job_label(const struct job *j) { return j->label; }

void
job_set_cleanup(struct job *j, void (*fn)(void *ctx, bool finished),
    void *ctx)
{
	j->cleanup = fn;
	j->cleanup_ctx = ctx;
}

/* ---- metadata --------------------------------------------------------- */

static cJSON *
engine__metadata_new(const struct job *j)
{
	cJSON *m = cJSON_CreateObject();
	char start[UTIL_TIME_LEN];

	util_time_iso_us(start);
	if (!m)
		return NULL;
	cJSON_AddStringToObject(m, "requester", j->sender);
	cJSON_AddStringToObject(m, "module", j->module);
	cJSON_AddStringToObject(m, "action", j->action);
	/* Parameters may hold secrets: pxp-agent writes "{}" too. */
	cJSON_AddStringToObject(m, "request_params", "{}");
	cJSON_AddStringToObject(m, "transaction_id", j->transaction_id);
	cJSON_AddStringToObject(m, "request_id", j->request_id);
	cJSON_AddBoolToObject(m, "notify_outcome", j->notify_outcome);
	cJSON_AddStringToObject(m, "start", start);
	cJSON_AddStringToObject(m, "status", "running");
	return m;
}

int
engine__job_spool_create(struct job *j, char *err, size_t errlen)
{
	cJSON *meta = engine__metadata_new(j);
	int rc;

	if (!meta) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rc = spool_create(j->eng->spool, j->transaction_id, meta);
	cJSON_Delete(meta);
	if (rc != 0) {
		snprintf(err, errlen, "Failed to initialize the metadata file: "
		    "%s", strerror(-rc));
		return -1;
	}
	return 0;
}

/* ---- the end of a non-blocking transaction ---------------------------- */

static char *
engine__nb_message(struct engine *e, const char *tid, const char *request_id,
    const char *results_json, const char *error, const char **type)
{
	char *data;
	char desc[128];

	if (!error) {
		data = pxp_response_json(tid, results_json ? results_json : "null");
		if (data && strlen(data) <= (size_t)e->cfg->max_message_size) {
			*type = PXP_NON_BLOCKING_RESPONSE;
			return data;
		}
		snprintf(desc, sizeof(desc), "Message size: %zu exceeded "
		    "max-message-size %lld", data ? strlen(data) : (size_t)0,
		    e->cfg->max_message_size);
		free(data);
		error = desc;
	}
	*type = PXP_RPC_ERROR;
	return pxp_rpc_error_json_max(tid, request_id, error,
	    engine__data_max(e));
}

void
engine__nb_finish(struct engine *e, const char *tid, const char *sender,
    const char *request_id, bool notify_outcome, char *results_json,
    const char *error)
{
	cJSON *meta = NULL, *results = NULL;
	char end[UTIL_TIME_LEN];
	const char *type = NULL;
	char *data = NULL;
	bool recorded = false;

	/* The owed response is recorded before the metadata leaves
	 * "running": if pxpd dies in between, the restart finalizes the
	 * transaction again and rewrites the same owed file, so the response
	 * is neither lost nor sent twice. */
	if (notify_outcome && sender) {
		data = engine__nb_message(e, tid, request_id, results_json, error,
		    &type);
		if (data && !(recorded = spool_owed_write(e->spool, tid, type,
		    sender, data) == 0))
			log_error(PART, "[%s] cannot record the owed response",
			    tid);
	}
	if (spool_metadata_read(e->spool, tid, &meta) != 0 || !meta)
		meta = cJSON_CreateObject();
	if (results_json)
		results = cJSON_Parse(results_json);
	util_time_iso_us(end);
	cJSON_DeleteItemFromObjectCaseSensitive(meta, "status");
	cJSON_AddStringToObject(meta, "status", error ? "failure" : "success");
	cJSON_DeleteItemFromObjectCaseSensitive(meta, "end");
	cJSON_AddStringToObject(meta, "end", end);
	cJSON_DeleteItemFromObjectCaseSensitive(meta, "results");
	if (results)
		cJSON_AddItemToObject(meta, "results", results);
	cJSON_DeleteItemFromObjectCaseSensitive(meta, "results_are_valid");
	cJSON_AddBoolToObject(meta, "results_are_valid", error == NULL);
	cJSON_DeleteItemFromObjectCaseSensitive(meta, "execution_error");
	if (error)
		cJSON_AddStringToObject(meta, "execution_error", error);
	if (spool_metadata_write(e->spool, tid, meta) != 0)
		log_error(PART, "[%s] cannot write the final metadata", tid);
	cJSON_Delete(meta);
	log_info(PART, "[%s] finished: %s%s", tid, error ? "failure: " :
	    "success", error ? error : "");
	if (data)
		engine__owed_send(e, tid, type, sender, data, recorded);
	free(data);
	free(results_json);
}

void
engine__nb_lost(struct engine *e, const char *tid, cJSON *meta,
    const char *why)
{
	cJSON *own = NULL;
	const char *requester;
	char *data;

	if (!meta && (spool_metadata_read(e->spool, tid, &own) != 0 || !own))
		return;
	if (!meta)
		meta = own;
	requester = json_string_get(meta, "requester");
	/* The owed error first, as in engine__nb_finish. */
	data = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(meta,
	    "notify_outcome")) && requester ? pxp_rpc_error_json_max(tid,
	    json_string_get(meta, "request_id"), why, engine__data_max(e)) :
	    NULL;
	if (data && spool_owed_write(e->spool, tid, PXP_RPC_ERROR, requester,
	    data) != 0) {
		log_error(PART, "[%s] cannot record the owed response", tid);
		free(data);
		data = NULL;
	}
	if (spool_metadata_undetermined(e->spool, tid, meta, why) != 0)
		log_error(PART, "[%s] cannot write the final metadata", tid);
	log_warnx(PART, "[%s] %s", tid, why);
	if (data)
		engine__owed_send(e, tid, PXP_RPC_ERROR, requester, data, true);
	free(data);
	cJSON_Delete(own);
}

void
engine__nb_results(struct engine *e, const struct module *mod,
    const char *module, const char *action, const char *tid, int code,
    char **results, char **error)
{
	struct action_output o;
	char *out = NULL, *err = NULL, *label;
	size_t cap = (size_t)e->cfg->max_message_size;

	*results = *error = NULL;
	if (!mod || !mod->results) {
		*error = util_asprintf("unknown module '%s' for this "
		    "transaction", module ? module : "");
		return;
	}
	memset(&o, 0, sizeof(o));
	o.exitcode = code;
	o.non_blocking = true;      /* only non-blocking actions have a spool */
	o.result_cap = engine__data_max(e);
	/* pxp.md §3's label, as job_label() words it */
	label = util_asprintf("non-blocking '%s %s' request (transaction %s)",
	    module ? module : "", action ? action : "", tid);
	o.label = label;
	if (spool_file_read(e->spool, tid, "stdout", cap, &out, &o.out_len,
	    &o.out_truncated) != 0)
		o.out_len = 0;
	if (spool_file_read(e->spool, tid, "stderr", cap, &err, &o.err_len,
	    &o.err_truncated) != 0)
		o.err_len = 0;
	o.out = out ? out : "";
	o.err = err ? err : "";
	if (mod->results(mod, action, &o, results, error) != 0 && !*error)
		*error = util_strdup("invalid results");
	if (*error) {
		free(*results);
		*results = NULL;
	}
	free(label);
	free(out);
	free(err);
	if (o.out_len + o.err_len > ((size_t)1 << 20))
		os_memory_trim();
}

/* ---- finishing -------------------------------------------------------- */

static void
engine__audit_outcome(const struct job *j, const char *results_json,
    const char *error)
{
	cJSON *res = (results_json && j->eng->audit) ?
	    cJSON_Parse(results_json) : NULL;
	const cJSON *code = cJSON_GetObjectItemCaseSensitive(res, "exitcode");

	if (!error)
		j->eng->stats.succeeded++;
	else if (j->cancel_requested)
		j->eng->stats.cancelled++;
	else
		j->eng->stats.failed++;

	audit_log(j->eng->audit, &(struct audit_event){ .event = "outcome",
	    .sender = j->sender, .transaction_id = j->transaction_id,
	    .module = j->module, .action = j->action,
	    .task = engine__task_name(j->module, j->params),
	    .duration_ms = (long long)(util_now_ms() - j->started_ms),
	    .status = error ? "failure" : "success",
	    .exitcode = cJSON_IsNumber(code) ? code->valueint : INT_MIN,
	    .reason = error });
	cJSON_Delete(res);
}

/* The one end of every job: its outcome recorded and sent (lost: a
 * non-blocking action whose process is gone without an exitcode becomes
 * "undetermined"), its slot given back, which starts the next in line.
 * A job whose child still runs (finished early by a status query that
 * found its exitcode) is freed when exec reports the child's end. */
static void
engine__job_end(struct job *j, char *results_json, const char *error,
    bool lost)
{
	struct engine *e = j->eng;
	char *data;
	char desc[128];

	if (j->finished) {
		/* A module bug, never network input: keep the first outcome. */
		log_error(PART, "[%s] job finished twice", j->transaction_id);
		free(results_json);
		return;
	}
	j->finished = true;
	engine__audit_outcome(j, results_json, error);
	engine__job_unpersist(j);
	if (j->non_blocking && lost) {
		free(results_json);
		engine__nb_lost(e, j->transaction_id, NULL, error);
	} else if (j->non_blocking) {
		engine__nb_finish(e, j->transaction_id, j->sender, j->request_id,
		    j->notify_outcome, results_json, error);
	} else if (error) {
		free(results_json);
		engine__rpc_error(e, j->sender, j->transaction_id, j->request_id,
		    error);
	} else {
		data = pxp_response_json(j->transaction_id,
		    results_json ? results_json : "null");
		free(results_json);
		if (data && strlen(data) > (size_t)e->cfg->max_message_size) {
			snprintf(desc, sizeof(desc), "Message size: %zu exceeded "
			    "max-message-size %lld", strlen(data),
			    e->cfg->max_message_size);
			engine__rpc_error(e, j->sender, j->transaction_id,
			    j->request_id, desc);
		} else if (data)
			engine__send(e, PXP_BLOCKING_RESPONSE, j->sender, NULL,
			    data, j->debug, NULL);
		else
			engine__rpc_error(e, j->sender, j->transaction_id,
			    j->request_id, "out of memory building the response");
		free(data);
	}
	engine__slot_free(e, j);
	engine__job_release(j);
}

void
job_finish(struct job *j, char *results_json, const char *error)
{
	engine__job_end(j, results_json, error, false);
}

/* ---- running through exec --------------------------------------------- */

void
engine__job_outcome(struct job *j, const struct exec_result *r)
{
	struct engine *e = j->eng;
	struct action_output o;
	char *results = NULL, *error = NULL;
	int code;

	if (r->cancelled) {
		job_finish(j, NULL, "the action was cancelled (pxpd cancel)");
		return;
	}
	if (r->timed_out)
		log_warnx(PART, "[%s] timed out and was killed", j->transaction_id);
	if (j->result_dir) {
		/* The exitcode file decides: without it the outcome is
		 * lost, whatever exec made of the wrapper's end. */
		if (exec_result_exitcode(j->result_dir, &code) == -ENOENT) {
			engine__job_end(j, NULL, ENGINE_NOT_RUNNING, true);
			return;
		}
		engine__nb_results(e, j->mod, j->module, j->action,
		    j->transaction_id, r->exitcode, &results, &error);
	} else {
		memset(&o, 0, sizeof(o));
		o.exitcode = r->exitcode;
		o.label = j->label;
		o.result_cap = engine__data_max(e);
		o.out = r->out ? r->out : "";
		o.err = r->err ? r->err : "";
		o.out_len = r->out_len;
		o.err_len = r->err_len;
		o.out_truncated = r->out_truncated;
		o.err_truncated = r->err_truncated;
		if (j->mod->results(j->mod, j->action, &o, &results,
		    &error) != 0 && !error)
			error = util_strdup("invalid results");
		if (error) {
			free(results);
			results = NULL;
		}
		if (o.out_len + o.err_len > ((size_t)1 << 20))
			os_memory_trim();
	}
	job_finish(j, results, error);
	free(error);
}

static void
engine__exec_done(void *arg, const struct exec_result *r)
{
	struct job *j = arg;

	j->child = NULL;
	/* Finished already: a status query found the exitcode first. */
	if (j->finished) {
		engine__job_release(j);
		return;
	}
	engine__job_outcome(j, r);
}

int
job_run(struct job *j, struct exec_spec *spec, char *err, size_t errlen)
{
	spec->result_dir = j->result_dir;
	if (j->eng->exec)
		exec_env_apply(j->eng->exec, spec);
	j->child = exec_start(j->eng->loop, spec, engine__exec_done, j, err,
	    errlen);
	if (!j->child)
		return -1;
	/* Its pid file is written: a restart adopts it from now on. */
	engine__job_unpersist(j);
	return 0;
}

int
engine__job_adopt(struct job *j, char *err, size_t errlen)
{
	j->child = exec_adopt(j->eng->loop, j->result_dir, engine__exec_done,
	    j, err, errlen);
	if (!j->child)
		return -1;
	/* It still occupies the machine: it counts against the limit. */
	j->spawns = j->running = true;
	j->eng->n_running++;
	return 0;
}
