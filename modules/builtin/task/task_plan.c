/* task_plan.c: the pure side of `task run` (modules.md §3, tasks.md §3-6):
 * checks of the request params, the choice of implementation, input
 * method, task file and lib files, and the task's parameters as JSON
 * and PT_* environment. No I/O, no logging, no globals: task.c does the
 * downloads and the run.
 * Invariant: every field is read with a cJSON_Is* check and every list
 * is bounded before it is walked; a plan only names file objects of the
 * request's own `files`, which fetch_file_parse has already checked. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtin/task/task_int.h"
#include "base/util.h"

/* ---- checks --------------------------------------------------------- */

int
task_name_check(const char *name, char *err, size_t errlen)
{
	const char *p = name;

	if (!name || !*name || strlen(name) > TASK_NAME_MAX) {
		snprintf(err, errlen, "'task' must be a task name of 1 to %d "
		    "characters", TASK_NAME_MAX);
		return -1;
	}
	for (;;) {
		if (!(*p >= 'a' && *p <= 'z'))
			goto bad;
		for (p++; (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    *p == '_'; p++)
			;
		if (*p == '\0')
			return 0;
		if (p[0] != ':' || p[1] != ':')
			goto bad;
		p += 2;
	}
bad:
	snprintf(err, errlen, "'task' must be made of '::'-separated names "
	    "matching ^[a-z][a-z0-9_]*$");
	return -1;
}

/* obj[key], when present, is an array of at most TASK_STRS_MAX strings. */
static int
task__strlist_check(const cJSON *obj, const char *where, const char *key,
    char *err, size_t errlen)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(obj, key), *it;
	int n = 0;

	if (!a)
		return 0;
	if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) > TASK_STRS_MAX) {
		snprintf(err, errlen, "'%s%s' must be an array of at most %d "
		    "strings", where, key, TASK_STRS_MAX);
		return -1;
	}
	cJSON_ArrayForEach(it, a) {
		if (!cJSON_IsString(it)) {
			snprintf(err, errlen, "'%s%s' item %d is not a string",
			    where, key, n);
			return -1;
		}
		n++;
	}
	return 0;
}

static int
task__opt_str_check(const cJSON *obj, const char *where, const char *key,
    char *err, size_t errlen)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (v && !cJSON_IsString(v)) {
		snprintf(err, errlen, "'%s%s' must be a string", where, key);
		return -1;
	}
	return 0;
}

int
task_files_check(const cJSON *params, const char *key, size_t max,
    char *err, size_t errlen)
{
	const cJSON *files = cJSON_GetObjectItemCaseSensitive(params, key), *f;
	struct fetch_file ff;
	char why[512];
	int n;

	if (!cJSON_IsArray(files) || (n = cJSON_GetArraySize(files)) < 1 ||
	    (size_t)n > max) {
		snprintf(err, errlen, "'%s' must be an array of 1 to %zu file "
		    "objects", key, max);
		return -1;
	}
	cJSON_ArrayForEach(f, files)
		if (fetch_file_parse(f, &ff, why, sizeof(why)) != 0) {
			snprintf(err, errlen, "'%s': %s", key, why);
			return -1;
		}
	return 0;
}

static int
task__meta_check(const cJSON *meta, bool own, char *err, size_t errlen)
{
	const char *w = own ? "metadata." : "";
	const cJSON *impls, *impl;
	char where[64];
	int i = 0;

	if (task__opt_str_check(meta, w, "input_method", err, errlen) != 0 ||
	    task__strlist_check(meta, w, "features", err, errlen) != 0)
		return -1;
	/* Without a metadata object the keys come from params, whose
	 * `files` are the file objects: pxp-agent ignores them as lib
	 * names. */
	if (own && task__strlist_check(meta, w, "files", err, errlen) != 0)
		return -1;
	impls = cJSON_GetObjectItemCaseSensitive(meta, "implementations");
	if (!impls)
		return 0;
	if (!cJSON_IsArray(impls) ||
	    cJSON_GetArraySize(impls) > TASK_IMPLS_MAX) {
		snprintf(err, errlen, "'%simplementations' must be an array of "
		    "at most %d objects", w, TASK_IMPLS_MAX);
		return -1;
	}
	cJSON_ArrayForEach(impl, impls) {
		snprintf(where, sizeof(where), "%simplementations[%d].", w, i++);
		if (!cJSON_IsObject(impl) || !cJSON_IsString(
		    cJSON_GetObjectItemCaseSensitive(impl, "name"))) {
			snprintf(err, errlen, "'%sname' must be a string", where);
			return -1;
		}
		if (task__strlist_check(impl, where, "requirements", err,
		    errlen) != 0 ||
		    task__strlist_check(impl, where, "files", err, errlen) != 0 ||
		    task__opt_str_check(impl, where, "input_method", err,
		    errlen) != 0)
			return -1;
	}
	return 0;
}

int
task_params_check(const cJSON *params, char *err, size_t errlen)
{
	const cJSON *task = cJSON_GetObjectItemCaseSensitive(params, "task");
	const cJSON *meta = cJSON_GetObjectItemCaseSensitive(params, "metadata");

	if (!cJSON_IsString(task)) {
		snprintf(err, errlen, "'task' must be a string");
		return -1;
	}
	if (task_name_check(task->valuestring, err, errlen) != 0)
		return -1;
	if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(params, "input"))) {
		snprintf(err, errlen, "'input' must be an object");
		return -1;
	}
	if (task_files_check(params, "files", TASK_FILES_MAX, err, errlen) != 0)
		return -1;
	if (meta && !cJSON_IsObject(meta)) {
		snprintf(err, errlen, "'metadata' must be an object");
		return -1;
	}
	if (task__opt_str_check(params, "", "input_method", err, errlen) != 0)
		return -1;
	return task__meta_check(meta ? meta : params, meta != NULL, err,
	    errlen);
}

/* ---- the plan --------------------------------------------------------- */

static const char *
task__str(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool
task__has(const char *const *set, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(set[i], s))
			return true;
	return false;
}

static int
task__cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static const cJSON *
task__file_named(const cJSON *files, const char *name)
{
	const cJSON *f;

	cJSON_ArrayForEach(f, files)
		if (!strcmp(task__str(f, "filename"), name))
			return f;
	return NULL;
}

static int
task__lib_add(struct task_plan *p, const cJSON *f)
{
	size_t i;

	for (i = 0; i < p->n_libs; i++)
		if (p->libs[i] == f)
			return 0;
	if (p->n_libs == TASK_FILES_MAX)
		return -1;
	p->libs[p->n_libs++] = f;
	return 0;
}

/* Adds the files a lib list names; "dir/" names every file under it. */
static int
task__libs_add(struct task_plan *p, const cJSON *list, const cJSON *files,
    char *err, size_t errlen)
{
	const cJSON *it, *f;
	const char *name;
	size_t len;

	cJSON_ArrayForEach(it, list) {
		name = it->valuestring;
		len = strlen(name);
		if (len > 0 && name[len - 1] == '/') {
			cJSON_ArrayForEach(f, files)
				if (!strncmp(task__str(f, "filename"), name, len))
					task__lib_add(p, f);
			continue;
		}
		if (!(f = task__file_named(files, name))) {
			snprintf(err, errlen, "'%s' file requested as additional "
			    "task dependency not found", name);
			return -1;
		}
		task__lib_add(p, f);
	}
	return 0;
}

static bool
task__impl_fits(const cJSON *impl, const char *const *feats, size_t n)
{
	const cJSON *reqs = cJSON_GetObjectItemCaseSensitive(impl,
	    "requirements"), *r;

	cJSON_ArrayForEach(r, reqs)
		if (!task__has(feats, n, r->valuestring))
			return false;
	return true;
}

static void
task__features_join(const char *const *feats, size_t n, char *out,
    size_t outlen)
{
	size_t i, used = 0;
	int w;

	out[0] = '\0';
	for (i = 0; i < n && used < outlen; i++) {
		w = snprintf(out + used, outlen - used, "%s%s", i ? ", " : "",
		    feats[i]);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

static bool
task__ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

int
task_plan_make(const cJSON *params, const char *const *features,
    size_t n_features, struct task_plan *p, char *err, size_t errlen)
{
	const cJSON *meta = cJSON_GetObjectItemCaseSensitive(params, "metadata");
	const cJSON *files = cJSON_GetObjectItemCaseSensitive(params, "files");
	const cJSON *impls, *impl = NULL, *extra, *it;
	const char **feats = NULL, *im = NULL, *name;
	size_t n = 0, i;
	char list[1024];
	int rc = -1;

	memset(p, 0, sizeof(*p));
	if (!cJSON_IsObject(meta))
		meta = params;
	extra = cJSON_GetObjectItemCaseSensitive(meta, "features");
	feats = calloc(n_features + (size_t)cJSON_GetArraySize(extra) + 1,
	    sizeof(*feats));
	p->libs = calloc(TASK_FILES_MAX, sizeof(*p->libs));
	if (!feats || !p->libs) {
		snprintf(err, errlen, "out of memory");
		goto cleanup;
	}
	for (i = 0; i < n_features; i++)
		if (!task__has(feats, n, features[i]))
			feats[n++] = features[i];
	cJSON_ArrayForEach(it, extra)
		if (cJSON_IsString(it) && !task__has(feats, n, it->valuestring))
			feats[n++] = it->valuestring;
	/* Sorted, as pxp-agent's std::set lists them in the error. */
	qsort(feats, n, sizeof(*feats), task__cmp);

	/* 1-2: the first implementation whose requirements we meet. */
	impls = cJSON_GetObjectItemCaseSensitive(meta, "implementations");
	if (cJSON_GetArraySize(impls) > 0) {
		cJSON_ArrayForEach(it, impls)
			if (task__impl_fits(it, feats, n)) {
				impl = it;
				break;
			}
		if (!impl) {
			task__features_join(feats, n, list, sizeof(list));
			snprintf(err, errlen, "no implementations match supported "
			    "features: %s", list);
			goto cleanup;
		}
	}
	/* 3: the implementation's input method, else the metadata's. */
	if (impl)
		im = task__str(impl, "input_method");
	if (!im)
		im = task__str(meta, "input_method");
	if (im && strcmp(im, "stdin") && strcmp(im, "environment") &&
	    strcmp(im, "powershell") && strcmp(im, "both")) {
		snprintf(err, errlen, "unsupported task input method: %s", im);
		goto cleanup;
	}
	/* 4: the task file. */
	if (impl) {
		name = task__str(impl, "name");
		if (!(p->exe = task__file_named(files, name))) {
			snprintf(err, errlen, "'%s' file requested by "
			    "implementation not found", name);
			goto cleanup;
		}
	} else
		p->exe = cJSON_GetArrayItem(files, 0);
	/* 5: the default depends on the file. */
	if (!im)
		im = task__ends_with(task__str(p->exe, "filename"), ".ps1") ?
		    "powershell" : "both";
	/* Static strings: the plan outlives nothing it borrows. */
	p->input_method = !strcmp(im, "stdin") ? "stdin" :
	    !strcmp(im, "environment") ? "environment" :
	    !strcmp(im, "powershell") ? "powershell" : "both";
	/* 7: lib files from the metadata and the implementation. */
	if ((meta != params && task__libs_add(p, cJSON_GetObjectItemCaseSensitive(
	    meta, "files"), files, err, errlen) != 0) ||
	    (impl && task__libs_add(p, cJSON_GetObjectItemCaseSensitive(impl,
	    "files"), files, err, errlen) != 0))
		goto cleanup;
	rc = 0;
cleanup:
	free(feats);
	return rc;
}

void
task_plan_free(struct task_plan *p)
{
	free(p->libs);
	memset(p, 0, sizeof(*p));
}

/* ---- the task's parameters ----------------------------------------------- */

cJSON *
task_args_build(const cJSON *input, const char *task, const char *installdir)
{
	cJSON *a = cJSON_IsObject(input) ? cJSON_Duplicate(input, 1) :
	    cJSON_CreateObject();

	if (!a)
		return NULL;
	cJSON_DeleteItemFromObjectCaseSensitive(a, "_task");
	if (!cJSON_AddStringToObject(a, "_task", task))
		goto fail;
	if (installdir) {
		cJSON_DeleteItemFromObjectCaseSensitive(a, "_installdir");
		if (!cJSON_AddStringToObject(a, "_installdir", installdir))
			goto fail;
	}
	return a;
fail:
	cJSON_Delete(a);
	return NULL;
}

char **
task_env_build(const cJSON *args)
{
	const cJSON *it;
	char **env, *val;
	size_t n = 0;

	if (!(env = calloc((size_t)cJSON_GetArraySize(args) + 1, sizeof(*env))))
		return NULL;
	cJSON_ArrayForEach(it, args) {
		if (!it->string || strchr(it->string, '='))
			continue;
		if (cJSON_IsString(it))
			env[n] = util_asprintf("PT_%s=%s", it->string,
			    it->valuestring);
		else if ((val = cJSON_PrintUnformatted(it)) != NULL) {
			env[n] = util_asprintf("PT_%s=%s", it->string, val);
			cJSON_free(val);
		}
		if (!env[n]) {
			task_env_free(env);
			return NULL;
		}
		n++;
	}
	return env;
}

void
task_env_free(char **env)
{
	size_t i;

	for (i = 0; env && env[i]; i++)
		free(env[i]);
	free(env);
}
