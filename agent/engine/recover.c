/* recover.c: what an earlier pxpd left in the spool: actions that ended
 * while it was down are finalized, running ones adopted again (their
 * wrapper watched through exec), lost ones marked undetermined. Also the
 * finalizing of one transaction from its spool files, which the status
 * query shares. Not the status answer (status.c), not owed replay
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
#include "pcp/pxp.h"
#include "base/util.h"

#define PART "engine"
#define RECOVER_NOT_RUNNING "task process is not running, but no output " \
    "is available"

static bool
meta_notify(const cJSON *m)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m,
	    "notify_outcome"));
}

/* The outcome is lost: "undetermined", and the requester (when it asked
 * to be told) gets an RPC error, recorded as owed first. */
static void
engine__undetermined(struct engine *e, const char *tid, cJSON *meta,
    const char *why)
{
	const char *requester = json_string_get(meta, "requester");
	char *data;

	spool_metadata_undetermined(e->spool, tid, meta, why);
	log_warnx(PART, "[%s] %s", tid, why);
	if (meta_notify(meta) && requester) {
		data = pxp_rpc_error_json_max(tid, json_string_get(meta,
		    "request_id"), why, engine__data_max(e));
		if (data && spool_owed_write(e->spool, tid, PXP_RPC_ERROR,
		    requester, data) == 0 && e->ready)
			engine__send(e, PXP_RPC_ERROR, requester, NULL, data,
			    NULL, tid);
		free(data);
	}
}

int
engine__finalize(struct engine *e, const char *tid, cJSON *meta)
{
	const char *status = json_string_get(meta, "status");
	const char *module = json_string_get(meta, "module");
	const struct module *mod;
	struct action_output o;
	char *out = NULL, *err = NULL, *results = NULL, *error = NULL;
	size_t cap = (size_t)e->cfg->max_message_size;
	int code;

	if (strcmp(status ? status : "", "running") != 0)
		return 0;
	if (spool_exitcode_read(e->spool, tid, &code) != 0)
		return -1;
	mod = module ? engine_module_find(e, module) : NULL;
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
		    module);
	else if (mod->results(mod, json_string_get(meta, "action"), &o,
	    &results, &error) != 0 && !error)
		error = util_strdup("invalid results");
	free(out);
	free(err);
	engine__nb_finish(e, tid, json_string_get(meta, "requester"),
	    json_string_get(meta, "request_id"), meta_notify(meta),
	    error ? NULL : results, error);
	if (error)
		free(results);
	free(error);
	return 0;
}

/* ---- adopting what an earlier pxpd left running ---- */

static void
engine__adopted_done(void *arg, const struct exec_result *r)
{
	struct job *j = arg;
	struct engine *e = j->eng;
	cJSON *meta = NULL;

	j->child = NULL;
	if (spool_metadata_read(e->spool, j->transaction_id, &meta) == 0 &&
	    meta) {
		if (engine__finalize(e, j->transaction_id, meta) != 0)
			engine__undetermined(e, j->transaction_id, meta,
			    RECOVER_NOT_RUNNING);
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
	const char *module;
	char err[256];
	struct job *j;
	char *dir = NULL;
	long pid;
	int alive;

	if (spool_metadata_read(e->spool, tid, &meta) != 0 || !meta ||
	    !spool_metadata_valid(meta))
		goto out;
	if (strcmp(json_string_get(meta, "status"), "running") != 0)
		goto out;
	if (engine__finalize(e, tid, meta) == 0) {
		log_info(PART, "[%s] ended while pxpd was down: finalized", tid);
		goto out;
	}
	if (!(dir = spool_path(e->spool, tid, NULL)))
		goto out;
	if ((alive = exec_result_alive(dir, &pid)) < 0) {
		engine__undetermined(e, tid, meta, "the PID and output of this "
		    "task are not available (pxpd stopped before it started)");
		goto out;
	}
	if (!alive) {
		engine__undetermined(e, tid, meta, RECOVER_NOT_RUNNING);
		goto out;
	}
	module = json_string_get(meta, "module");
	j = engine__job_new(e, tid, module, json_string_get(meta, "action"),
	    json_string_get(meta, "request_id"), json_string_get(meta,
	    "requester"), NULL, NULL, true, meta_notify(meta));
	if (!j)
		goto out;
	j->adopted = true;
	j->mod = engine_module_find(e, module);
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
	free(dir);
	cJSON_Delete(meta);
}

void
engine__recover(struct engine *e)
{
	spool_foreach(e->spool, engine__recover_one, e);
}
