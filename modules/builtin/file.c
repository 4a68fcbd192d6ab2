/* file.c: the built-in `file download` module (modules.md §5; Bolt's
 * upload over PCP): files go through the task cache and are copied to
 * their destination, directories and symlinks are made, in request
 * order. Three steps, none blocking the loop: check which destinations
 * already hold their content (threadpool; only when actions run as the
 * agent itself, see file_probe_wanted), fetch the others (fetch.c), then
 * place every item as an action like any other: through the wrapper,
 * in the sandbox, as action-user (exec's built-in EXEC_BUILTIN_PLACE,
 * os/posix/place.c), which reads the cached files through its stdin.
 * Invariants: the job ends exactly once; any failed item fails the whole
 * action; work in the threadpool touches owned copies only, so the state
 * may outlive the job until that work is back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtin/tasklike.h"
#include "base/jsonutil.h"
#include "base/log.h"
#include "exec/exec.h"
#include "config/config.h"
#include "spool/spool.h"
#include "builtin/task/task_int.h"
#include "base/util.h"

#define PART "file"
#define FILE_ITEMS_MAX 4096
/* The modes (pxp-agent's 0750) are the placing action's (place.c). */
#define FILE_OK_RESULTS "{\"exitcode\":0,\"stdout\":\"downloaded\"}"

static const char *const file_actions[] = { "download", NULL };

enum file_kind {
	FILE_KIND_FILE,
	FILE_KIND_DIR,
	FILE_KIND_LINK,
};

struct file_item {
	enum file_kind kind;
	char *dest, *link;
	char sha[TASK_SHA_HEX + 1];     /* lowercase */
	bool present;                   /* dest already has this content */
	char *cached;                   /* path in the task cache */
};

struct file_dl {
	struct job *job;                /* NULL once the engine freed it */
	uv_loop_t *loop;
	struct file_item *items;
	size_t n;
	struct task_fetch *tf;
	size_t *fetching;               /* fetch slot -> item */
	uv_work_t work;
	bool work_busy;
	bool probe;                     /* file_probe_wanted */
	char err[1024];
};

/* ---- checks --------------------------------------------------------------- */

/* The name a file gets in the cache: its destination's basename when
 * that is a plain name, else "file". */
static void
file_cache_name(const char *dest, char *out, size_t outlen)
{
	const char *b = dest, *p;

	for (p = dest; *p; p++)
		if (*p == '/' || *p == '\\')
			b = p + 1;
	snprintf(out, outlen, "%s", b);
	if (!task_fs_rel_ok(out) || strchr(out, '/') || strlen(b) >= outlen)
		snprintf(out, outlen, "file");
}

/* Fills ff (strings borrowed from item and name) after checking the
 * uri and sha256 with fetch_file_parse. */
static int
file_item_fetch_file(const cJSON *item, const char *name,
    struct fetch_file *ff, char *err, size_t errlen)
{
	cJSON *o = cJSON_CreateObject();
	const cJSON *uri = cJSON_GetObjectItemCaseSensitive(item, "uri");
	const cJSON *params = cJSON_GetObjectItemCaseSensitive(uri, "params");
	int rc = -1;

	if (!o) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (cJSON_AddStringToObject(o, "filename", name) &&
	    cJSON_AddStringToObject(o, "sha256", tasklike_param_str(item, "sha256")) &&
	    cJSON_AddItemReferenceToObject(o, "uri", (cJSON *)uri))
		rc = fetch_file_parse(o, ff, err, errlen);
	else
		snprintf(err, errlen, "out of memory");
	cJSON_Delete(o);
	if (rc != 0)
		return -1;
	ff->filename = name;
	ff->sha256 = tasklike_param_str(item, "sha256");
	ff->uri_path = tasklike_param_str(uri, "path");
	ff->uri_params = cJSON_IsObject(params) ? params : NULL;
	return 0;
}

static int
file_item_check(const cJSON *item, int i, char *err, size_t errlen)
{
	static const char *const keys[] = { "sha256", "kind", "destination",
	    "link_source" };
	const char *kind, *dest;
	struct fetch_file ff;
	char name[256], why[512];
	size_t k;

	if (!cJSON_IsObject(item)) {
		snprintf(err, errlen, "'files' item %d is not an object", i);
		return -1;
	}
	for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
		if (!tasklike_param_str(item, keys[k])) {
			snprintf(err, errlen, "'files' item %d: '%s' must be a "
			    "string", i, keys[k]);
			return -1;
		}
	if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(item, "uri"))) {
		snprintf(err, errlen, "'files' item %d: 'uri' must be an object",
		    i);
		return -1;
	}
	kind = tasklike_param_str(item, "kind");
	dest = tasklike_param_str(item, "destination");
	if (!*dest) {
		snprintf(err, errlen, "'files' item %d: 'destination' is empty",
		    i);
		return -1;
	}
	if (strcmp(kind, "file") && strcmp(kind, "directory") &&
	    strcmp(kind, "symlink")) {
		/* pxp-agent's words; checked up front so nothing is done. */
		snprintf(err, errlen, "Not a valid file type! %s", kind);
		return -1;
	}
	if (!strcmp(kind, "symlink") && !*tasklike_param_str(item, "link_source")) {
		snprintf(err, errlen, "'files' item %d: a symlink needs a "
		    "'link_source'", i);
		return -1;
	}
	if (!strcmp(kind, "file")) {
		file_cache_name(dest, name, sizeof(name));
		if (file_item_fetch_file(item, name, &ff, why, sizeof(why)) != 0) {
			snprintf(err, errlen, "'files' item %d: %s", i, why);
			return -1;
		}
	}
	return 0;
}

static int
file_check(const struct module *m, const char *action, const cJSON *params,
    char *err, size_t errlen)
{
	const cJSON *files = cJSON_GetObjectItemCaseSensitive(params, "files");
	const cJSON *it;
	int i = 0;

	(void)m;
	(void)action;
	if (!cJSON_IsArray(files) || cJSON_GetArraySize(files) > FILE_ITEMS_MAX) {
		snprintf(err, errlen, "'files' must be an array of at most %d "
		    "objects", FILE_ITEMS_MAX);
		return -1;
	}
	cJSON_ArrayForEach(it, files)
		if (file_item_check(it, i++, err, errlen) != 0)
			return -1;
	return 0;
}

/* ---- state ---------------------------------------------------------------- */

static void
file_dl_free(struct file_dl *d)
{
	size_t i;

	task_fetch_free(d->tf);
	for (i = 0; i < d->n; i++) {
		free(d->items[i].dest);
		free(d->items[i].link);
		free(d->items[i].cached);
	}
	free(d->items);
	free(d->fetching);
	free(d);
}

static void
file_cleanup(void *ctx, bool finished)
{
	struct file_dl *d = ctx;

	(void)finished;
	d->job = NULL;
	task_fetch_free(d->tf);
	d->tf = NULL;
	if (!d->work_busy)
		file_dl_free(d);
	/* else the work's after-callback frees it */
}

/* Ends the job before the placing action ran (a failed download): the
 * outcome goes into the spool dir as an action's output files, as
 * pxp-agent writes it, so a status query reads it like any other. Once
 * the action ran, the wrapper wrote them and file_results reads them. */
static void
file_finish(struct file_dl *d, const char *error)
{
	struct job *job = d->job;
	const char *tid = job_transaction_id(job);

	if (job_non_blocking(job) && spool_result_write(job_env(job)->spool,
	    tid, 1, "", 0, error, strlen(error)) != 0)
		log_warnx(PART, "[%s] cannot write the output files", tid);
	job_finish(job, NULL, error);
}

/* module.results: the placing action's outcome. Its failure is the
 * request's (pxp-agent's message from stderr), not results with a
 * non-zero exit code as a task's would be. */
static int
file_results(const struct module *m, const char *action,
    const struct action_output *o, char **results_json, char **error)
{
	size_t n = o->err_len;

	(void)m;
	(void)action;
	*results_json = NULL;
	*error = NULL;
	if (o->exitcode == 0) {
		*results_json = util_strdup(FILE_OK_RESULTS);
		return *results_json ? 0 : -1;
	}
	while (n > 0 && (o->err[n - 1] == '\n' || o->err[n - 1] == ' '))
		n--;
	*error = n ? json_utf8_repair(o->err, n, NULL) :
	    util_asprintf("the file download failed (exit code %d)",
	    o->exitcode);
	return *error ? 0 : -1;
}

/* The check "does the destination already hold this content" reads the
 * destination; it runs in pxpd, as the agent, only when actions run as
 * the agent too. With action-user every file is fetched (from the cache
 * when it is there) and the action itself writes it, as that user. */
static bool
file_probe_wanted(const struct module_env *env)
{
	return !env->cfg->action_user || !*env->cfg->action_user;
}

static int
file_work_queue(struct file_dl *d, uv_work_cb work, uv_after_work_cb after)
{
	d->work.data = d;
	if (uv_queue_work(d->loop, &d->work, work, after) != 0)
		return -1;
	d->work_busy = true;
	return 0;
}

/* ---- step 3: place every item, in order, as an action ---------------------- */

/* The items as the placer reads them (exec.h, EXEC_BUILTIN_PLACE) and
 * the cached files it gets on stdin, one per file item not skipped.
 * Malloc'd; NULL when out of memory. */
static char *
file_place_input(const struct file_dl *d, const char ***files)
{
	cJSON *root = cJSON_CreateObject(), *items, *o;
	const struct file_item *it;
	char *text = NULL, *line = NULL;
	size_t i, n = 0;

	*files = calloc(d->n + 1, sizeof(**files));
	if (!root || !*files || !(items = cJSON_AddArrayToObject(root, "items")))
		goto out;
	for (i = 0; i < d->n; i++) {
		it = &d->items[i];
		if (!(o = cJSON_CreateObject()))
			goto out;
		cJSON_AddItemToArray(items, o);
		if (!cJSON_AddStringToObject(o, "kind", it->kind == FILE_KIND_FILE ?
		    "file" : it->kind == FILE_KIND_DIR ? "directory" : "symlink") ||
		    !cJSON_AddStringToObject(o, "destination", it->dest) ||
		    (it->kind == FILE_KIND_LINK &&
		    !cJSON_AddStringToObject(o, "link_source", it->link)))
			goto out;
		if (it->kind != FILE_KIND_FILE)
			continue;
		if (it->present) {
			if (!cJSON_AddTrueToObject(o, "skip"))
				goto out;
		} else
			(*files)[n++] = it->cached;
	}
	if ((text = cJSON_PrintUnformatted(root)))
		line = util_asprintf("%s\n", text);
out:
	cJSON_free(text);
	cJSON_Delete(root);
	if (!line) {
		free(*files);
		*files = NULL;
	}
	return line;
}

static void
file_place(struct file_dl *d)
{
	const char **files = NULL;
	char *input = file_place_input(d, &files), err[512], msg[1024];
	struct exec_spec spec;

	if (!input) {
		file_finish(d, "out of memory");
		return;
	}
	memset(&spec, 0, sizeof(spec));
	spec.executable = "pxpd: place files";
	spec.builtin = EXEC_BUILTIN_PLACE;
	spec.input = input;
	spec.input_len = strlen(input);
	spec.input_files = files;
	if (job_run(d->job, &spec, err, sizeof(err)) != 0) {
		snprintf(msg, sizeof(msg), "cannot place the files: %s", err);
		file_finish(d, msg);
	}
	free(input);
	free(files);
}

/* ---- step 2: fetch what is missing ---------------------------------------- */

static void
file_fetched(void *arg, int failed, const char *error)
{
	struct file_dl *d = arg;
	char msg[1024];
	size_t i;

	if (error) {
		snprintf(msg, sizeof(msg), "Failed to download %s; %s",
		    d->items[d->fetching[failed]].dest, error);
		file_finish(d, msg);
		return;
	}
	for (i = 0; d->fetching[i] != (size_t)-1; i++)
		if (!(d->items[d->fetching[i]].cached = util_strdup(
		    task_fetch_path(d->tf, i)))) {
			file_finish(d, "out of memory");
			return;
		}
	task_fetch_free(d->tf);
	d->tf = NULL;
	file_place(d);
}

static void
file_fetch(struct file_dl *d)
{
	const cJSON *files = cJSON_GetObjectItemCaseSensitive(
	    job_params(d->job), "files"), *item;
	struct fetch_file *ff = NULL;
	char (*names)[256] = NULL, err[512];
	size_t i = 0, n = 0;

	if (!(ff = calloc(d->n, sizeof(*ff))) ||
	    !(names = calloc(d->n, sizeof(*names))) ||
	    !(d->fetching = malloc((d->n + 1) * sizeof(*d->fetching)))) {
		snprintf(err, sizeof(err), "out of memory");
		goto fail;
	}
	cJSON_ArrayForEach(item, files) {
		if (d->items[i].kind == FILE_KIND_FILE && !d->items[i].present) {
			file_cache_name(d->items[i].dest, names[n],
			    sizeof(names[n]));
			if (file_item_fetch_file(item, names[n], &ff[n], err,
			    sizeof(err)) != 0)
				goto fail;
			d->fetching[n++] = i;
		}
		i++;
	}
	d->fetching[n] = (size_t)-1;
	if (n == 0) {
		free(ff);
		free(names);
		file_place(d);
		return;
	}
	if (!(d->tf = task_fetch_start(job_env(d->job)->fetch, ff, n,
	    file_fetched, d, err, sizeof(err))))
		goto fail;
	free(ff);
	free(names);
	return;
fail:
	free(ff);
	free(names);
	file_finish(d, err);
}

/* ---- step 1: which destinations already hold their content --------------- */

static void
file_probe_work(uv_work_t *w)
{
	struct file_dl *d = w->data;
	char hex[TASK_SHA_HEX + 1];
	size_t i;

	if (!d->probe)
		return;
	for (i = 0; i < d->n; i++)
		if (d->items[i].kind == FILE_KIND_FILE &&
		    task_fs_sha256(w->loop, d->items[i].dest, hex) == 0 &&
		    !strcmp(hex, d->items[i].sha))
			d->items[i].present = true;
}

static void
file_probe_done(uv_work_t *w, int status)
{
	struct file_dl *d = w->data;

	d->work_busy = false;
	if (!d->job) {
		file_dl_free(d);
		return;
	}
	if (status != 0) {
		file_finish(d, "the download was cancelled");
		return;
	}
	file_fetch(d);
}

/* ---- start ---------------------------------------------------------------- */

/* The placing action works in a private directory of its own: a
 * relative destination still means what it meant to pxp-agent, relative
 * to the agent's working directory. Malloc'd. */
static char *
file_dest_abs(const char *dest)
{
	char cwd[4096];
	size_t n = sizeof(cwd);

	/* Absolute: "/x", "\\x", or a drive "C:..." (Windows). */
	if (dest[0] == '/' || dest[0] == '\\' || (dest[0] && dest[1] == ':') ||
	    uv_cwd(cwd, &n) != 0)
		return util_strdup(dest);
	return util_asprintf("%s%s%s", cwd, n && cwd[n - 1] == '/' ? "" : "/",
	    dest);
}

static int
file_start(const struct module *m, struct job *job, char *err,
    size_t errlen)
{
	const cJSON *files = cJSON_GetObjectItemCaseSensitive(job_params(job),
	    "files"), *item;
	const struct module_env *env = job_env(job);
	struct file_dl *d;
	const char *kind, *sha;
	size_t i = 0, k;

	(void)m;
	if (!env->fetch) {
		snprintf(err, errlen, "file downloads are not available (no "
		    "ssl-cert configured)");
		return -1;
	}
	if (!(d = calloc(1, sizeof(*d)))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	job_set_cleanup(job, file_cleanup, d);
	d->job = job;
	d->loop = env->loop;
	d->n = (size_t)cJSON_GetArraySize(files);
	if (!(d->items = calloc(d->n ? d->n : 1, sizeof(*d->items))))
		goto nomem;
	cJSON_ArrayForEach(item, files) {
		struct file_item *it = &d->items[i++];

		kind = tasklike_param_str(item, "kind");
		it->kind = !strcmp(kind, "file") ? FILE_KIND_FILE :
		    !strcmp(kind, "directory") ? FILE_KIND_DIR : FILE_KIND_LINK;
		it->dest = file_dest_abs(tasklike_param_str(item,
		    "destination"));
		it->link = util_strdup(tasklike_param_str(item, "link_source"));
		if (!it->dest || !it->link)
			goto nomem;
		sha = tasklike_param_str(item, "sha256");
		/* Lowercase, as task_fs_sha256 writes it; pxp-agent
		 * compares exactly, fetch case-insensitively. */
		for (k = 0; k < TASK_SHA_HEX && sha[k]; k++)
			it->sha[k] = (char)((sha[k] >= 'A' && sha[k] <= 'F') ?
			    sha[k] - 'A' + 'a' : sha[k]);
		it->sha[k] = '\0';
	}
	log_info(PART, "[%s] %zu item(s) to place", job_transaction_id(job),
	    d->n);
	/* Through the threadpool even without the probe: the job never
	 * ends inside start, before its provisional response. */
	d->probe = file_probe_wanted(env);
	if (file_work_queue(d, file_probe_work, file_probe_done) != 0) {
		snprintf(err, errlen, "cannot queue the work");
		return -1;
	}
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
	return -1;
}

const struct module module_file = {
	.name = "file",
	.actions = file_actions,
	.check = file_check,
	.start = file_start,
	.results = file_results,
};
