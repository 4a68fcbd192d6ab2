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
#include "base/crash.h"
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

/* What it takes to record the end of a non-blocking transaction, copied
 * so that the thread pool touches nothing of the engine nor of a job:
 * its results made from the spool files through its module (NB_FILES;
 * module->results is pure), or given (NB_GIVEN), or its outcome lost
 * (NB_LOST: "undetermined"); the owed response and the final metadata,
 * durable. Back on the loop: log, audit, send, and the job's slot. */
struct nb_end {
	uv_work_t work;
	struct engine *e;
	struct job *j;              /* NULL: no job (recovery, status query) */
	const struct spool *spool;
	const struct module *mod;
	enum nb_kind kind;
	char *tid, *sender, *request_id, *module, *action;
	bool notify, audit;
	int exitcode;
	size_t data_max;
	long long msg_max;
	uint64_t seq;
	char id[UTIL_UUID_LEN];     /* the final response's message id */
	char *results, *error;
	/* Made in the pool. */
	char *data;                 /* the final response */
	const char *type;
	bool recorded;              /* data is in the owed file */
	int audit_exitcode;
	char *note;                 /* an error line for the log */
};

static char *
nb__message(const struct nb_end *f, const char **type)
{
	char *data;
	char desc[128];
	const char *error = f->error;

	if (!error) {
		data = pxp_response_json(f->tid, f->results ? f->results :
		    "null");
		if (data && strlen(data) <= (size_t)f->msg_max) {
			*type = PXP_NON_BLOCKING_RESPONSE;
			return data;
		}
		snprintf(desc, sizeof(desc), "Message size: %zu exceeded "
		    "max-message-size %lld", data ? strlen(data) : (size_t)0,
		    f->msg_max);
		free(data);
		error = desc;
	}
	*type = PXP_RPC_ERROR;
	return pxp_rpc_error_json_max(f->tid, f->request_id, error,
	    f->data_max);
}

/* The results of an ended action from its spool files (each read once,
 * up to max-message-size) through its module. */
static void
nb__results(struct nb_end *f)
{
	struct action_output o;
	char *out = NULL, *err = NULL, *label;
	size_t cap = (size_t)f->msg_max;

	if (!f->mod || !f->mod->results) {
		f->error = util_asprintf("unknown module '%s' for this "
		    "transaction", f->module ? f->module : "");
		return;
	}
	memset(&o, 0, sizeof(o));
	o.exitcode = f->exitcode;
	o.non_blocking = true;      /* only non-blocking actions have a spool */
	o.result_cap = f->data_max;
	/* pxp.md §3's label, as job_label() words it */
	label = util_asprintf("non-blocking '%s %s' request (transaction %s)",
	    f->module ? f->module : "", f->action ? f->action : "", f->tid);
	o.label = label;
	if (spool_file_read(f->spool, f->tid, "stdout", cap, &out, &o.out_len,
	    &o.out_truncated) != 0)
		o.out_len = 0;
	if (spool_file_read(f->spool, f->tid, "stderr", cap, &err, &o.err_len,
	    &o.err_truncated) != 0)
		o.err_len = 0;
	o.out = out ? out : "";
	o.err = err ? err : "";
	if (f->mod->results(f->mod, f->action, &o, &f->results,
	    &f->error) != 0 && !f->error)
		f->error = util_strdup("invalid results");
	if (f->error) {
		free(f->results);
		f->results = NULL;
	}
	free(label);
	free(out);
	free(err);
	if (o.out_len + o.err_len > ((size_t)1 << 20))
		os_memory_trim();
}

static void
nb__note(struct nb_end *f, const char *what)
{
	if (!f->note)
		f->note = util_strdup(what);
}

/* The owed response is recorded (durable) before the metadata leaves
 * "running" (durable): if pxpd dies in between, the restart finalizes
 * the transaction again and rewrites the same owed file, so the response
 * is neither lost nor sent twice. Results are stored once: in the owed
 * response until it is delivered, never in the metadata (the status
 * query reads the output files), so metadata stays small for every
 * reader (recovery, the purge). */
static void
nb__record(struct nb_end *f)
{
	char end[UTIL_TIME_LEN], *fixed;
	cJSON *meta = NULL, *res;
	const cJSON *code;
	int rc;

	if (f->kind == NB_FILES)
		nb__results(f);
	if (f->notify && f->sender) {
		f->data = nb__message(f, &f->type);
		/* A module's results may quote anything an action wrote:
		 * made clean UTF-8 here, once, not on the loop. */
		if (f->data && !json_utf8_clean(f->data, strlen(f->data))) {
			fixed = json_utf8_repair(f->data, strlen(f->data),
			    NULL);
			free(f->data);
			f->data = fixed;
		}
		if (f->data && (rc = spool_owed_store(f->spool, f->tid, f->seq,
		    f->id, f->type, f->sender, f->data)) != 0)
			nb__note(f, "cannot record the owed response");
		else if (f->data) {
			f->recorded = true;
			crash_point("finish.owed_recorded");
		}
	}
	/* Unreadable metadata is replaced by what is known (as before). */
	if (spool_metadata_read(f->spool, f->tid, &meta) != 0 &&
	    !(meta = cJSON_CreateObject()))
		goto done;
	cJSON_DeleteItemFromObjectCaseSensitive(meta, "status");
	cJSON_DeleteItemFromObjectCaseSensitive(meta, "execution_error");
	cJSON_DeleteItemFromObjectCaseSensitive(meta, "results");
	if (f->kind == NB_LOST) {
		cJSON_AddStringToObject(meta, "status", "undetermined");
		cJSON_AddStringToObject(meta, "execution_error", f->error);
	} else {
		util_time_iso_us(end);
		cJSON_AddStringToObject(meta, "status", f->error ? "failure" :
		    "success");
		cJSON_DeleteItemFromObjectCaseSensitive(meta, "end");
		cJSON_AddStringToObject(meta, "end", end);
		cJSON_DeleteItemFromObjectCaseSensitive(meta,
		    "results_are_valid");
		cJSON_AddBoolToObject(meta, "results_are_valid", !f->error);
		if (f->error)
			cJSON_AddStringToObject(meta, "execution_error",
			    f->error);
	}
	if (spool_metadata_write(f->spool, f->tid, meta) != 0)
		nb__note(f, "cannot write the final metadata");
	else
		crash_point("finish.metadata_final");
	cJSON_Delete(meta);
done:
	f->audit_exitcode = INT_MIN;
	if (f->audit && f->results && (res = cJSON_Parse(f->results))) {
		code = cJSON_GetObjectItemCaseSensitive(res, "exitcode");
		if (cJSON_IsNumber(code))
			f->audit_exitcode = code->valueint;
		cJSON_Delete(res);
	}
}

static void
nb__work(uv_work_t *w)
{
	nb__record(w->data);
}

static void
nb__free(struct nb_end *f)
{
	free(f->tid);
	free(f->sender);
	free(f->request_id);
	free(f->module);
	free(f->action);
	free(f->results);
	free(f->error);
	free(f->data);
	free(f->note);
	free(f);
}

static void
engine__audit_outcome(const struct job *j, const char *error, int exitcode)
{
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
	    .exitcode = exitcode, .reason = error });
}

/* Back on the loop (or right after nb__record when synchronous). */
static void
nb__done(uv_work_t *w, int status)
{
	struct nb_end *f = w->data;
	struct engine *e = f->e;
	struct job *j = f->j;

	(void)status;
	e->n_pool--;
	if (e->stopping) {
		/* engine_free came first: nothing of it is there to touch
		 * but the count it waits on. */
		nb__free(f);
		engine__closing_done(e);
		return;
	}
	if (f->note)
		log_error(PART, "[%s] %s", f->tid, f->note);
	if (f->kind == NB_LOST)
		log_warnx(PART, "[%s] %s", f->tid, f->error);
	else
		log_info(PART, "[%s] finished: %s%s", f->tid, f->error ?
		    "failure: " : "success", f->error ? f->error : "");
	if (j)
		engine__audit_outcome(j, f->error, f->audit_exitcode);
	if (f->data)
		engine__owed_send_id(e, f->tid, f->type, f->sender, f->data,
		    f->recorded, f->id);
	if (j) {
		j->ending = false;
		engine__slot_free(e, j);
		engine__job_release(j);
	}
	nb__free(f);
}

int
engine__nb_end(struct engine *e, struct job *j, const struct nb_end_req *r,
    bool sync)
{
	struct nb_end *f = calloc(1, sizeof(*f));

	if (!f) {
		free(r->results);
		return -1;
	}
	f->e = e;
	f->j = j;
	f->spool = e->spool;
	f->mod = r->mod;
	f->kind = r->kind;
	f->tid = util_strdup(r->tid);
	f->sender = r->sender ? util_strdup(r->sender) : NULL;
	f->request_id = r->request_id ? util_strdup(r->request_id) : NULL;
	f->module = r->module ? util_strdup(r->module) : NULL;
	f->action = r->action ? util_strdup(r->action) : NULL;
	f->notify = r->notify && r->sender;
	f->audit = j && e->audit;
	f->exitcode = r->exitcode;
	f->results = r->results;
	f->error = r->error ? util_strdup(r->error) : NULL;
	f->data_max = engine__data_max(e);
	f->msg_max = e->cfg->max_message_size;
	if (!f->tid || (r->sender && !f->sender) ||
	    (r->request_id && !f->request_id) || (r->module && !f->module) ||
	    (r->action && !f->action) || (r->error && !f->error)) {
		nb__free(f);
		return -1;
	}
	if (f->notify) {
		f->seq = spool_owed_seq_next(e->spool);
		util_uuid4(f->id);
	}
	f->work.data = f;
	if (j)
		j->ending = true;
	if (!sync && uv_queue_work(e->loop, &f->work, nb__work,
	    nb__done) == 0) {
		e->n_pool++;
		return 0;
	}
	nb__record(f);
	e->n_pool++;            /* nb__done counts it down */
	nb__done(&f->work, 0);
	return 0;
}

void
engine__nb_finish(struct engine *e, const char *tid, const char *sender,
    const char *request_id, bool notify_outcome, char *results_json,
    const char *error)
{
	struct nb_end_req r;

	memset(&r, 0, sizeof(r));
	r.kind = NB_GIVEN;
	r.tid = tid;
	r.sender = sender;
	r.request_id = request_id;
	r.notify = notify_outcome;
	r.results = results_json;
	r.error = error;
	if (engine__nb_end(e, NULL, &r, true) != 0)
		log_error(PART, "[%s] cannot record its end: out of memory",
		    tid);
}

void
engine__nb_lost(struct engine *e, const char *tid, cJSON *meta,
    const char *why)
{
	struct nb_end_req r;

	memset(&r, 0, sizeof(r));
	r.kind = NB_LOST;
	r.tid = tid;
	r.sender = json_string_get(meta, "requester");
	r.request_id = json_string_get(meta, "request_id");
	r.notify = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(meta,
	    "notify_outcome"));
	r.error = why;
	if (engine__nb_end(e, NULL, &r, true) != 0)
		log_error(PART, "[%s] cannot record its end: out of memory",
		    tid);
}

/* ---- finishing -------------------------------------------------------- */

/* The exit code a job's results report, for the audit log. */
static int
engine__results_exitcode(const struct job *j, const char *results_json)
{
	cJSON *res = (results_json && j->eng->audit) ?
	    cJSON_Parse(results_json) : NULL;
	const cJSON *code = cJSON_GetObjectItemCaseSensitive(res, "exitcode");
	int n = cJSON_IsNumber(code) ? code->valueint : INT_MIN;

	cJSON_Delete(res);
	return n;
}

/* The one end of every job: its outcome recorded and sent (lost: a
 * non-blocking action whose process is gone without an exitcode becomes
 * "undetermined"), its slot given back, which starts the next in line.
 * A non-blocking one's end is recorded by nb_end, in the thread pool
 * unless sync: the slot is given back once that is over. A job whose
 * child still runs (finished early by a status query that found its
 * exitcode) is freed when exec reports the child's end. */
static void
engine__job_end(struct job *j, enum nb_kind kind, int exitcode,
    char *results_json, const char *error, bool sync)
{
	struct engine *e = j->eng;
	struct nb_end_req r;
	char *data;
	char desc[128];

	if (j->finished) {
		/* A module bug, never network input: keep the first outcome. */
		log_error(PART, "[%s] job finished twice", j->transaction_id);
		free(results_json);
		return;
	}
	j->finished = true;
	engine__job_unpersist(j);
	if (j->non_blocking) {
		memset(&r, 0, sizeof(r));
		r.kind = kind;
		r.tid = j->transaction_id;
		r.sender = j->sender;
		r.request_id = j->request_id;
		r.module = j->module;
		r.action = j->action;
		r.mod = j->mod;
		r.notify = j->notify_outcome;
		r.exitcode = exitcode;
		r.results = results_json;
		r.error = error;
		if (engine__nb_end(e, j, &r, sync) == 0)
			return;
		log_error(PART, "[%s] cannot record its end: out of memory",
		    j->transaction_id);
		engine__audit_outcome(j, error ? error : "out of memory",
		    INT_MIN);
	} else if (error) {
		engine__audit_outcome(j, error, INT_MIN);
		free(results_json);
		engine__rpc_error(e, j->sender, j->transaction_id, j->request_id,
		    error);
	} else {
		engine__audit_outcome(j, NULL, engine__results_exitcode(j,
		    results_json));
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
	engine__job_end(j, NB_GIVEN, 0, results_json, error, true);
}

/* ---- running through exec --------------------------------------------- */

void
engine__job_outcome(struct job *j, const struct exec_result *r, bool sync)
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
		 * lost, whatever exec made of the wrapper's end. The output
		 * (up to 2 x max-message-size) is read and the results made
		 * in the thread pool (nb_end). */
		if (exec_result_exitcode(j->result_dir, &code) == -ENOENT)
			engine__job_end(j, NB_LOST, 0, NULL, ENGINE_NOT_RUNNING,
			    sync);
		else
			engine__job_end(j, NB_FILES, r->exitcode, NULL, NULL,
			    sync);
		return;
	}
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
	engine__job_outcome(j, r, false);
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
