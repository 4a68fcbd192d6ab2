/* status_query.c: the answer to a status query (pxp.md §6), the
 * decision table from a transaction's spool files to "unknown",
 * "running", "success" or "failure" with exit code and output cut to fit
 * the reply. It lives with the status module, not in the spool: it is the
 * PXP meaning of the files (the spool stores them and knows nothing of
 * PXP), and it asks exec whether an action still runs, which the spool may
 * not. What only the engine knows (its jobs, finalizing one that ended
 * unwatched) comes through env->jobs (module.h).
 * Invariant: a query never leaves a transaction "running" whose process
 * is gone; it becomes "undetermined", once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtin/status.h"
#include "base/jsonutil.h"
#include "base/log.h"
#include "exec/exec.h"
#include "spool/spool.h"
#include "base/util.h"

#define PART "status"
#define STATUS_NOT_RUNNING "task process is not running, but no output is " \
    "available"

/* Its process is gone without an exitcode: the outcome is lost. */
static void
status_undetermined(const struct module_env *env, const char *tid,
    cJSON *meta, const char *why)
{
	spool_metadata_undetermined(env->spool, tid, meta, why);
	log_warnx(PART, "[%s] %s", tid, why);
}

static char *
status_exec_error_json(const char *msg)
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
status_add_output(const struct module_env *env, cJSON *res, const char *tid,
    const char *exec_error, size_t budget)
{
	char *out = NULL, *err = NULL;
	size_t out_len = 0, err_len = 0, out_keep, err_keep;
	bool out_more = false, err_more = false;

	budget = budget > STATUS_FRAME ? budget - STATUS_FRAME : 0;
	/* Escaping never shrinks text: budget bytes of a file are enough
	 * to know whether it must be cut. */
	if (exec_error) {
		out = status_exec_error_json(exec_error);
		out_len = out ? strlen(out) : 0;
	} else if (spool_file_read(env->spool, tid, "stdout", budget, &out,
	    &out_len, &out_more) != 0)
		out_len = 0;
	if (spool_file_read(env->spool, tid, "stderr", budget, &err, &err_len,
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
status_exitcode(const char *dir, const cJSON *meta, const char *stored)
{
	const cJSON *code = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(meta, "results"), "exitcode");
	int exitcode;

	if (dir && exec_result_exitcode(dir, &exitcode) == 0)
		return exitcode;
	if (cJSON_IsNumber(code))
		return code->valueint;
	return strcmp(stored, "success") ? 1 : 0;
}

int
status_query(const struct module_env *env, const char *tid, size_t reserve,
    char **results_json, char *err, size_t errlen)
{
	const struct module_jobs *jobs = env->jobs;
	cJSON *res = cJSON_CreateObject(), *meta = NULL;
	const char *status, *stored;
	size_t budget = env->data_max, tid_keep, tid_esc;
	char *echo = NULL, *dir = NULL;
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
	if (spool_tid_check(tid, NULL, 0) != 0 ||
	    !spool_exists(env->spool, tid)) {
		status = "unknown";
		status_add_output(env, res, tid, "found no results directory",
		    budget);
		goto done;
	}
	if (spool_metadata_read(env->spool, tid, &meta) != 0 || !meta ||
	    !spool_metadata_valid(meta) ||
	    !jobs->module_known(jobs->arg, json_string_get(meta, "module"))) {
		status = "unknown";
		status_add_output(env, res, tid, "the metadata of this transaction "
		    "is missing, invalid or names an unknown module", budget);
		goto done;
	}
	/* An action that ended and was not processed yet is processed now:
	 * its exitcode file decides, even while the engine still watches
	 * it (the final response goes out now, and never "running" after
	 * it). */
	dir = spool_path(env->spool, tid, NULL);
	if (!strcmp(json_string_get(meta, "status"), "running") &&
	    jobs->finalize(jobs->arg, tid, meta) == 0) {
		cJSON_Delete(meta);
		meta = NULL;
		if (spool_metadata_read(env->spool, tid, &meta) != 0 || !meta) {
			status = "unknown";
			goto done;
		}
	}
	stored = json_string_get(meta, "status");
	if (!strcmp(stored, "running")) {
		if (jobs->active(jobs->arg, tid) ||
		    (dir && exec_result_alive(dir, NULL) == 1)) {
			status = "running";
			status_add_output(env, res, tid, NULL, budget);
		} else {
			status = "unknown";
			status_undetermined(env, tid, meta, STATUS_NOT_RUNNING);
			status_add_output(env, res, tid, STATUS_NOT_RUNNING,
			    budget);
		}
		goto done;
	}
	if (!strcmp(stored, "undetermined")) {
		status = "unknown";
		status_add_output(env, res, tid, json_string_get(meta,
		    "execution_error"), budget);
		goto done;
	}
	exitcode = status_exitcode(dir, meta, stored);
	cJSON_AddNumberToObject(res, "exitcode", exitcode);
	status = (!strcmp(stored, "success") && exitcode == 0) ? "success" :
	    "failure";
	status_add_output(env, res, tid, json_string_get(meta,
	    "execution_error"), budget);
done:
	cJSON_AddStringToObject(res, "status", status);
	cJSON_Delete(meta);
	free(dir);
	*results_json = cJSON_PrintUnformatted(res);
	cJSON_Delete(res);
	return *results_json ? 0 : -1;
}
