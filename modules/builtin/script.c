/* script.c: the built-in `script run` module (modules.md §4): fetch the
 * script into the task cache, then run it from there with the request's
 * arguments; no stdin, no extra environment. Results as every task-like
 * module (tasklike.h).
 * Invariant: the job ends exactly once, through job_run's path or one
 * job_finish; the per-run state goes with the job. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtin/tasklike.h"
#include "exec/exec.h"
#include "os/task_features.h"
#include "base/log.h"
#include "builtin/task/task_int.h"
#include "base/util.h"

#define PART "script"
#define SCRIPT_ARGS_MAX 1024
#define SCRIPT_PREFIX_MAX 8         /* interpreter arguments (Windows) */

static const char *const script_actions[] = { "run", NULL };

struct script_run {
	struct job *job;
	struct task_fetch *tf;
};

static int
script_check(const struct module *m, const char *action,
    const cJSON *params, char *err, size_t errlen)
{
	const cJSON *args = cJSON_GetObjectItemCaseSensitive(params,
	    "arguments"), *a;
	struct fetch_file ff;
	char why[512];

	(void)m;
	(void)action;
	if (fetch_file_parse(cJSON_GetObjectItemCaseSensitive(params, "script"),
	    &ff, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "'script': %s", why);
		return -1;
	}
	if (!cJSON_IsArray(args) || cJSON_GetArraySize(args) > SCRIPT_ARGS_MAX) {
		snprintf(err, errlen, "'arguments' must be an array of at most %d "
		    "strings", SCRIPT_ARGS_MAX);
		return -1;
	}
	cJSON_ArrayForEach(a, args)
		if (!cJSON_IsString(a)) {
			snprintf(err, errlen, "'arguments' must hold strings only");
			return -1;
		}
	return 0;
}

static void
script_cleanup(void *ctx, bool finished)
{
	struct script_run *s = ctx;

	(void)finished;
	task_fetch_free(s->tf);
	free(s);
}

static void
script_fetched(void *arg, int failed, const char *error)
{
	struct script_run *s = arg;
	struct job *job = s->job;
	const cJSON *args = cJSON_GetObjectItemCaseSensitive(job_params(job),
	    "arguments"), *a;
	const char **argv = NULL, *exe = NULL;
	struct exec_spec spec = { 0 };
	char *path = NULL, err[512], *msg = NULL;
	int n, rc = -1;

	(void)failed;
	err[0] = '\0';
	if (error) {
		msg = util_asprintf("Failed to download script: %s", error);
		goto cleanup;
	}
	if (!(path = util_strdup(task_fetch_path(s->tf, 0))) ||
	    !(argv = calloc((size_t)cJSON_GetArraySize(args) +
	    SCRIPT_PREFIX_MAX + 1, sizeof(*argv)))) {
		snprintf(err, sizeof(err), "out of memory");
		goto cleanup;
	}
	task_fetch_free(s->tf);
	s->tf = NULL;
	if ((n = task_features_command(path, &exe, argv, SCRIPT_PREFIX_MAX)) <
	    0) {
		snprintf(err, sizeof(err), "cannot build the command");
		goto cleanup;
	}
	cJSON_ArrayForEach(a, args)
		argv[n++] = a->valuestring;
	spec.executable = exe;
	spec.args = argv;
	log_info(PART, "[%s] running script %s with %d argument(s)",
	    job_transaction_id(job), path, cJSON_GetArraySize(args));
	rc = job_run(job, &spec, err, sizeof(err));
cleanup:
	free(argv);
	free(path);
	if (rc != 0 && !msg)
		msg = util_asprintf("Failed to execute the task for the %s. "
		    "Error: %s", job_label(job), err[0] ? err : "cannot start");
	if (rc != 0)
		/* Last: the job and s go away inside. */
		job_finish(job, NULL, msg ? msg : "cannot run the script");
	free(msg);
}

static int
script_start(const struct module *m, struct job *job, char *err,
    size_t errlen)
{
	const struct module_env *env = job_env(job);
	struct script_run *s;
	struct fetch_file ff;

	(void)m;
	if (fetch_file_parse(cJSON_GetObjectItemCaseSensitive(job_params(job),
	    "script"), &ff, err, errlen) != 0)
		return -1;
	if (!env->fetch) {
		snprintf(err, errlen, "script downloads are not available (no "
		    "ssl-cert configured)");
		return -1;
	}
	if (!(s = calloc(1, sizeof(*s)))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s->job = job;
	job_set_cleanup(job, script_cleanup, s);
	if (!(s->tf = task_fetch_start(env->fetch, &ff, 1, script_fetched,
	    s, err, errlen)))
		return -1;
	return 0;
}

const struct module module_script = {
	.name = "script",
	.actions = script_actions,
	.check = script_check,
	.start = script_start,
	.results = tasklike_results,
};
