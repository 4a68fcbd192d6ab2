/* status.c: the built-in status module. `query` answers from the spool
 * (pxp.md §6; the decision table is status_query.c); `cancel` (a pxpd
 * extension) asks the engine, through module_jobs, to kill a running
 * action's whole process tree. Blocking only. */
#include <stdio.h>
#include <stdlib.h>

#include "builtin/status.h"
#include "base/jsonutil.h"
#include "spool/spool.h"
#include "base/util.h"

static const char *const status_actions[] = { "query", "cancel", NULL };

static int
status_check(const struct module *m, const char *action, const cJSON *params,
    char *err, size_t errlen)
{
	const cJSON *tid = cJSON_GetObjectItemCaseSensitive(params,
	    "transaction_id");

	if (!cJSON_IsString(tid)) {
		snprintf(err, errlen, "'transaction_id' must be a string");
		return -1;
	}
	/* A query for an id pxpd would never create answers "unknown"
	 * (status_query.c checks it before any path is built); a cancel
	 * of one is refused. */
	if (action[0] == 'q')
		return 0;
	return spool_tid_check(tid->valuestring, err, errlen);
}

static int
status_start(const struct module *m, struct job *job, char *err,
    size_t errlen)
{
	const struct module_env *env = job_env(job);
	const char *tid = cJSON_GetObjectItemCaseSensitive(job_params(job),
	    "transaction_id")->valuestring;
	char *results = NULL, *q;

	if (job_action(job)[0] == 'q') {
		/* {"transaction_id":"<ours>","results":<results>} */
		if (status_query(env, tid, json_escape(NULL,
		    job_transaction_id(job)) + 32, &results, err, errlen) != 0)
			return -1;
		job_finish(job, results, NULL);
		return 0;
	}
	if (env->jobs->cancel(env->jobs->arg, tid, job_sender(job), err,
	    errlen) != 0)
		return -1;
	q = json_quote(tid);
	results = q ? util_asprintf("{\"transaction_id\":%s,\"cancelled\":true}",
	    q) : NULL;
	free(q);
	job_finish(job, results, results ? NULL : "out of memory");
	return 0;
}

const struct module module_status = {
	.name = "status",
	.actions = status_actions,
	.blocking_only = true,
	.check = status_check,
	.start = status_start,
};
