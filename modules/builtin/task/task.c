/* task.c: the built-in `task run` module (modules.md §3, tasks.md): plan
 * the run (task_plan.c), fetch the task file and its lib files into the
 * task cache in parallel, lay out a multi-file task's install dir off
 * the loop, then run the task through job_run. Results as every
 * task-like module (tasklike.h).
 * Invariants: the job ends exactly once, through job_run's path or one
 * job_finish; the per-run state outlives the job only while an install
 * step runs in the threadpool, and that step touches owned copies only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtin/tasklike.h"
#include "config/config.h"
#include "exec/exec.h"
#include "os/os.h"
#include "os/task_features.h"
#include "base/log.h"
#include "builtin/task/task_int.h"
#include "base/util.h"

#define PART "task"
#define INSTALL_DIR_MODE OS_MODE_DIR_PRIVATE
#define INSTALL_FILE_MODE OS_MODE_EXEC_PRIVATE

static const char *const task_actions[] = { "run", NULL };

struct task_run {
	struct job *job;             /* NULL once the engine freed the job */
	uv_loop_t *loop;
	bool blocking;
	const char *input_method;    /* static */
	struct task_fetch *tf;
	uv_work_t work;
	bool work_busy;
	/* Owned copies for the install step (the job may go first). */
	char *parent;                /* where the install dir is made */
	char *module;                /* task name up to the first "::" */
	char *exe_base;              /* basename of the task file */
	size_t n;                    /* files: [0] the task file, then libs */
	char **rel;                  /* filenames (lib dests), [0] unused */
	char **src;                  /* cached paths */
	char *installdir;            /* multi-file tasks */
	char *exe;                   /* what runs */
	char err[512];
};

static int
task_check(const struct module *m, const char *action, const cJSON *params,
    char *err, size_t errlen)
{
	(void)m;
	(void)action;
	return task_params_check(params, err, errlen);
}

static void
task_run_free(struct task_run *r)
{
	size_t i;

	task_fetch_free(r->tf);
	for (i = 0; i < r->n; i++) {
		free(r->rel ? r->rel[i] : NULL);
		free(r->src ? r->src[i] : NULL);
	}
	free(r->rel);
	free(r->src);
	free(r->parent);
	free(r->module);
	free(r->exe_base);
	free(r->installdir);
	free(r->exe);
	free(r);
}

/* A blocking run's install dir is ours to remove once the task is over;
 * a non-blocking one belongs to the transaction's spool dir. Small tree:
 * removed on the loop. */
static void
task_run_installdir_drop(struct task_run *r)
{
	if (r->blocking && r->installdir &&
	    os_rmtree_at(r->installdir) != 0)
		log_warnx(PART, "cannot remove %s", r->installdir);
}

static void
task_run_cleanup(void *ctx, bool finished)
{
	struct task_run *r = ctx;

	r->job = NULL;
	task_fetch_free(r->tf);
	r->tf = NULL;
	if (r->work_busy)
		return;     /* task_install_done frees it */
	/* pxpd stopping while the task runs detached: leave its files. */
	if (finished)
		task_run_installdir_drop(r);
	task_run_free(r);
}

/* ---- running ------------------------------------------------------------ */

static void
task_run_exec(struct task_run *r)
{
	struct job *job = r->job;
	const cJSON *params = job_params(job);
	const char *task = tasklike_param_str(params, "task");
	const char *args[10] = { NULL }, *exe = NULL;
	struct exec_spec spec = { 0 };
	cJSON *targs;
	char **env = NULL, *input = NULL, err[512], *msg;
	int nargs, rc = -1;

	err[0] = '\0';
	targs = task_args_build(cJSON_GetObjectItemCaseSensitive(params,
	    "input"), task, r->installdir);
	if (!targs) {
		snprintf(err, sizeof(err), "out of memory");
		goto cleanup;
	}
	if (strcmp(r->input_method, "environment") != 0 &&
	    !(input = cJSON_PrintUnformatted(targs))) {
		snprintf(err, sizeof(err), "out of memory");
		goto cleanup;
	}
	if ((!strcmp(r->input_method, "environment") ||
	    !strcmp(r->input_method, "both")) && !(env = task_env_build(targs))) {
		snprintf(err, sizeof(err), "out of memory");
		goto cleanup;
	}
	/* The powershell input method: on Windows, PowershellShim.ps1
	 * beside pxpd.exe turns the stdin JSON into named parameters;
	 * elsewhere (and without the shim) the task gets the JSON on stdin. */
	if ((nargs = task_features_command(r->exe, &exe, args,
	    (int)(sizeof(args) / sizeof(args[0])) - 1)) < 0 ||
	    (!strcmp(r->input_method, "powershell") &&
	    (nargs = task_features_powershell_input(args, nargs,
	    (int)(sizeof(args) / sizeof(args[0])) - 1)) < 0)) {
		snprintf(err, sizeof(err), "cannot build the command");
		goto cleanup;
	}
	spec.executable = exe;
	spec.args = args;
	spec.env = (const char *const *)env;
	spec.input = input;
	spec.input_len = input ? strlen(input) : 0;
	log_info(PART, "[%s] running task %s: %s (input method %s)",
	    job_transaction_id(job), task, r->exe, r->input_method);
	rc = job_run(job, &spec, err, sizeof(err));
cleanup:
	cJSON_Delete(targs);
	cJSON_free(input);
	task_env_free(env);
	if (rc != 0) {
		msg = util_asprintf("Failed to execute the task for the %s. "
		    "Error: %s", job_label(job), err[0] ? err : "cannot start");
		/* Last: the job and r go away inside. */
		job_finish(job, NULL, msg ? msg : "cannot start the task");
		free(msg);
	}
}

/* ---- the install dir of a multi-file task (threadpool) ------------------ */

/* Copies src to <installdir>/rel (parents made); *out gets the path
 * when wanted. */
static int
task_install_one(struct task_run *r, const char *src, const char *rel,
    char **out)
{
	char *dst = task_fs_join(r->installdir, rel), *slash;
	int rc;

	if (!dst) {
		snprintf(r->err, sizeof(r->err), "'%s' would leave the task "
		    "install directory", rel);
		return -1;
	}
	slash = strrchr(dst, '/');      /* task_fs_join put one there */
	*slash = '\0';
	rc = task_fs_mkdirs(r->work.loop, dst, INSTALL_DIR_MODE, r->err,
	    sizeof(r->err));
	*slash = '/';
	if (rc == 0)
		rc = task_fs_copy(r->work.loop, src, dst, INSTALL_FILE_MODE,
		    r->err, sizeof(r->err));
	if (rc == 0 && out) {
		*out = dst;
		return 0;
	}
	free(dst);
	return rc;
}

static void
task_install_work(uv_work_t *w)
{
	struct task_run *r = w->data;
	char *rel;
	size_t i;

	if (task_fs_tempdir(w->loop, r->parent, &r->installdir, r->err,
	    sizeof(r->err)) != 0)
		return;
	for (i = 1; i < r->n; i++)
		if (task_install_one(r, r->src[i], r->rel[i], NULL) != 0)
			return;
	/* The task file last (a lib entry may name the same path):
	 * <installdir>/<module>/tasks/<basename>, run from there. */
	if (!(rel = util_asprintf("%s/tasks/%s", r->module, r->exe_base))) {
		snprintf(r->err, sizeof(r->err), "out of memory");
		return;
	}
	task_install_one(r, r->src[0], rel, &r->exe);
	free(rel);
}

static void
task_install_done(uv_work_t *w, int status)
{
	struct task_run *r = w->data;
	char msg[700];

	r->work_busy = false;
	if (!r->job) {
		/* The job went while we worked: nothing ran from here. */
		task_run_installdir_drop(r);
		task_run_free(r);
		return;
	}
	if (status != 0 || r->err[0] || !r->exe) {
		snprintf(msg, sizeof(msg), "Failed to install the task files: %s",
		    r->err[0] ? r->err : uv_strerror(status));
		job_finish(r->job, NULL, msg);
		return;
	}
	log_debug(PART, "[%s] multi-file task _installdir: %s",
	    job_transaction_id(r->job), r->installdir);
	task_run_exec(r);
}

/* ---- downloads --------------------------------------------------------- */

static void
task_fetched(void *arg, int failed, const char *error)
{
	struct task_run *r = arg;
	char msg[1024];
	size_t i;

	if (error) {
		if (failed <= 0)
			snprintf(msg, sizeof(msg), "Failed to download task file: "
			    "%s", error);
		else
			snprintf(msg, sizeof(msg), "Failed to download task file "
			    "%s: %s", r->rel[failed], error);
		job_finish(r->job, NULL, msg);
		return;
	}
	for (i = 0; i < r->n; i++)
		if (!(r->src[i] = util_strdup(task_fetch_path(r->tf, i)))) {
			job_finish(r->job, NULL, "out of memory");
			return;
		}
	task_fetch_free(r->tf);
	r->tf = NULL;
	if (r->n == 1) {
		/* A single-file task runs from the cache. */
		if (!(r->exe = util_strdup(r->src[0]))) {
			job_finish(r->job, NULL, "out of memory");
			return;
		}
		task_run_exec(r);
		return;
	}
	r->work.data = r;
	if (uv_queue_work(r->loop, &r->work, task_install_work,
	    task_install_done) != 0) {
		job_finish(r->job, NULL, "Failed to install the task files: "
		    "cannot queue the work");
		return;
	}
	r->work_busy = true;
}

/* ---- start ------------------------------------------------------------- */

static int
task_run_prepare(struct task_run *r, const cJSON *params,
    const struct task_plan *p, struct fetch_file *files, char *err,
    size_t errlen)
{
	const char *task = tasklike_param_str(params, "task");
	const char *name = tasklike_param_str(p->exe, "filename");
	const char *base = strrchr(name, '/'), *sep = strstr(task, "::");
	size_t i;

	r->n = 1 + p->n_libs;
	r->rel = calloc(r->n, sizeof(*r->rel));
	r->src = calloc(r->n, sizeof(*r->src));
	r->module = sep ? util_asprintf("%.*s", (int)(sep - task), task) :
	    util_strdup(task);
	r->exe_base = util_strdup(base ? base + 1 : name);
	if (!r->rel || !r->src || !r->module || !r->exe_base)
		goto nomem;
	for (i = 0; i < r->n; i++) {
		const cJSON *f = i ? p->libs[i - 1] : p->exe;

		if (fetch_file_parse(f, &files[i], err, errlen) != 0)
			return -1;
		if (!(r->rel[i] = util_strdup(files[i].filename)))
			goto nomem;
		if (i && !task_fs_rel_ok(r->rel[i])) {
			snprintf(err, errlen, "'%s' would leave the task install "
			    "directory", r->rel[i]);
			return -1;
		}
	}
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
	return -1;
}

static int
task_start(const struct module *m, struct job *job, char *err,
    size_t errlen)
{
	const cJSON *params = job_params(job);
	const struct module_env *env = job_env(job);
	const char *feats[TASK_FEATURES_MAX];
	struct fetch_file *files = NULL;
	struct task_plan plan;
	struct task_run *r = NULL;
	size_t nf;
	int rc = -1;

	(void)m;
	nf = task_features_probe(feats, TASK_FEATURES_MAX);
	if (task_plan_make(params, feats, nf, &plan, err, errlen) != 0)
		goto cleanup;
	if (!env->fetch) {
		snprintf(err, errlen, "task downloads are not available (no "
		    "ssl-cert configured)");
		goto cleanup;
	}
	if (!(r = calloc(1, sizeof(*r))) ||
	    !(files = calloc(1 + plan.n_libs, sizeof(*files)))) {
		free(r);
		snprintf(err, errlen, "out of memory");
		goto cleanup;
	}
	/* From here r belongs to the job: freed by task_run_cleanup. */
	job_set_cleanup(job, task_run_cleanup, r);
	r->job = job;
	r->loop = env->loop;
	r->blocking = !job_non_blocking(job);
	r->input_method = plan.input_method;
	r->parent = util_strdup(r->blocking ? env->cfg->task_cache_dir :
	    job_result_dir(job));
	if (!r->parent) {
		snprintf(err, errlen, "out of memory");
		goto cleanup;
	}
	if (task_run_prepare(r, params, &plan, files, err, errlen) != 0)
		goto cleanup;
	log_info(PART, "[%s] task %s: %s with %zu more file(s)",
	    job_transaction_id(job), tasklike_param_str(params, "task"),
	    files[0].filename, plan.n_libs);
	if (!(r->tf = task_fetch_start(env->fetch, files, r->n,
	    task_fetched, r, err, errlen)))
		goto cleanup;
	rc = 0;
cleanup:
	free(files);
	task_plan_free(&plan);
	return rc;
}

const struct module module_task = {
	.name = "task",
	.actions = task_actions,
	.check = task_check,
	.start = task_start,
	.results = tasklike_results,
};
