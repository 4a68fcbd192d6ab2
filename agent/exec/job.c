/* job.c: the wrapper's job as JSON text, both ways. Pure: no I/O, no
 * processes (os/posix/exec.c and os/posix/wrapper.c do those); the small
 * files of a result dir are result.c's. The parser is bounded and strict,
 * since a wrapper must never act on a half-understood job. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "exec/exec_int.h"

static cJSON *
job_strings_build(const char *const *list)
{
	cJSON *a = cJSON_CreateArray();
	size_t i;

	if (a == NULL || list == NULL)
		return a;
	for (i = 0; list[i] != NULL; i++) {
		cJSON *s = cJSON_CreateString(list[i]);

		if (s == NULL) {
			cJSON_Delete(a);
			return NULL;
		}
		cJSON_AddItemToArray(a, s);
	}
	return a;
}

static size_t
job_strings_count(const char *const *list)
{
	size_t n = 0;

	while (list != NULL && list[n] != NULL)
		n++;
	return n;
}

static bool
job_env_entry_ok(const char *e)
{
	const char *eq = strchr(e, '=');

	return eq != NULL && eq != e;
}

/* A user or group name: printable, no ':' or '/', bounded. */
static bool
job_name_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n >= EXEC__NAME_MAX)
		return false;
	for (i = 0; i < n; i++) {
		if ((unsigned char)s[i] <= ' ' || s[i] == ':' || s[i] == '/' ||
		    s[i] == 0x7f)
			return false;
	}
	return true;
}

/* An absolute path under EXEC__CGROUP_ROOT without "." or ".."
 * components: the wrapper creates and writes files there as root. */
static bool
job_cgroup_ok(const char *s)
{
	size_t root = strlen(EXEC__CGROUP_ROOT);
	const char *p;

	if (strlen(s) >= 1024 || strncmp(s, EXEC__CGROUP_ROOT, root) != 0 ||
	    (s[root] != '\0' && s[root] != '/'))
		return false;
	for (p = s + root; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		if (p[1] == '/' || (p[1] == '.' && (p[2] == '/' ||
		    p[2] == '\0' || (p[2] == '.' && (p[3] == '/' ||
		    p[3] == '\0')))))
			return false;
	}
	return true;
}

static int
job_limits_check(const struct exec_limits *l, char *err, size_t errlen)
{
	if (l->memory_max > EXEC__MEMORY_MAX_MAX || l->pids_max < 0 ||
	    l->pids_max > EXEC__PIDS_MAX_MAX || l->cpu_max < 0 ||
	    l->cpu_max > EXEC__CPU_MAX_MAX) {
		snprintf(err, errlen, "memory, process or CPU limit out of "
		    "range");
		return -1;
	}
	if ((l->user != NULL && l->user[0] != '\0' &&
	    !job_name_ok(l->user)) ||
	    (l->group != NULL && l->group[0] != '\0' &&
	    !job_name_ok(l->group))) {
		snprintf(err, errlen, "bad action user or group name");
		return -1;
	}
	if (l->cgroup_dir != NULL && !job_cgroup_ok(l->cgroup_dir)) {
		snprintf(err, errlen, "bad cgroup directory");
		return -1;
	}
	return 0;
}

/* A string, or null for NULL and "". */
static cJSON *
job_opt_string(const char *s)
{
	return s != NULL && s[0] != '\0' ? cJSON_CreateString(s) :
	    cJSON_CreateNull();
}

static cJSON *
job_limits_build(const struct exec_limits *l)
{
	cJSON *o = cJSON_CreateObject(), *item;

	if (o == NULL)
		return NULL;
	if (cJSON_AddNumberToObject(o, "memory_max",
	    (double)l->memory_max) == NULL ||
	    cJSON_AddNumberToObject(o, "pids_max", (double)l->pids_max) ==
	    NULL ||
	    cJSON_AddNumberToObject(o, "cpu_max", (double)l->cpu_max) ==
	    NULL ||
	    cJSON_AddBoolToObject(o, "no_new_privs", l->no_new_privs) == NULL)
		goto fail;
	if ((item = job_opt_string(l->user)) == NULL)
		goto fail;
	cJSON_AddItemToObject(o, "user", item);
	if ((item = job_opt_string(l->group)) == NULL)
		goto fail;
	cJSON_AddItemToObject(o, "group", item);
	if ((item = job_opt_string(l->cgroup_dir)) == NULL)
		goto fail;
	cJSON_AddItemToObject(o, "cgroup_dir", item);
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

char *
exec__job_build(const struct exec_spec *spec, int status_fd, size_t *len,
    char *err, size_t errlen)
{
	cJSON *o = NULL, *item;
	char *input = NULL, *text = NULL;
	size_t i;

	if (spec->executable == NULL || spec->executable[0] == '\0') {
		snprintf(err, errlen, "no executable");
		goto cleanup;
	}
	if (job_strings_count(spec->args) > EXEC__JOB_MAX_ARGS ||
	    job_strings_count(spec->env) > EXEC__JOB_MAX_ENV ||
	    job_strings_count(spec->input_files) > EXEC__JOB_MAX_ARGS) {
		snprintf(err, errlen, "too many arguments or environment "
		    "entries");
		goto cleanup;
	}
	for (i = 0; spec->env != NULL && spec->env[i] != NULL; i++) {
		if (!job_env_entry_ok(spec->env[i])) {
			snprintf(err, errlen, "environment entry without "
			    "a name");
			goto cleanup;
		}
	}
	/* JSON strings here travel as C strings: a NUL would cut the
	 * input short without anyone noticing. */
	if (spec->input_len > 0 && (spec->input == NULL ||
	    memchr(spec->input, '\0', spec->input_len) != NULL)) {
		snprintf(err, errlen, "input contains a NUL byte");
		goto cleanup;
	}
	if (spec->timeout_s < 0 || spec->timeout_s > EXEC__TIMEOUT_MAX_S ||
	    spec->output_cap > EXEC__OUTPUT_CAP_MAX) {
		snprintf(err, errlen, "timeout or output cap out of range");
		goto cleanup;
	}
	if (spec->input_len >= EXEC__JOB_MAX) {
		snprintf(err, errlen, "input too large");
		goto cleanup;
	}
	if (job_limits_check(&spec->limits, err, errlen) < 0)
		goto cleanup;
	if ((input = malloc(spec->input_len + 1)) == NULL)
		goto nomem;
	if (spec->input_len > 0)
		memcpy(input, spec->input, spec->input_len);
	input[spec->input_len] = '\0';

	if ((o = cJSON_CreateObject()) == NULL)
		goto nomem;
	if (cJSON_AddStringToObject(o, "executable", spec->executable) == NULL)
		goto nomem;
	if ((item = job_strings_build(spec->args)) == NULL)
		goto nomem;
	cJSON_AddItemToObject(o, "args", item);
	if ((item = job_strings_build(spec->env)) == NULL)
		goto nomem;
	cJSON_AddItemToObject(o, "env", item);
	if (cJSON_AddStringToObject(o, "input", input) == NULL)
		goto nomem;
	if (spec->input_files != NULL) {
		if ((item = job_strings_build(spec->input_files)) == NULL)
			goto nomem;
		cJSON_AddItemToObject(o, "input_files", item);
	}
	if (spec->builtin == EXEC_BUILTIN_PLACE &&
	    cJSON_AddStringToObject(o, "builtin", "place") == NULL)
		goto nomem;
	item = spec->result_dir != NULL ?
	    cJSON_CreateString(spec->result_dir) : cJSON_CreateNull();
	if (item == NULL)
		goto nomem;
	cJSON_AddItemToObject(o, "result_dir", item);
	if (cJSON_AddBoolToObject(o, "action_writes_output",
	    spec->action_writes_output) == NULL)
		goto nomem;
	item = spec->cwd != NULL ? cJSON_CreateString(spec->cwd) :
	    cJSON_CreateNull();
	if (item == NULL)
		goto nomem;
	cJSON_AddItemToObject(o, "cwd", item);
	if (cJSON_AddNumberToObject(o, "timeout_s",
	    (double)spec->timeout_s) == NULL ||
	    cJSON_AddNumberToObject(o, "output_cap",
	    (double)(spec->output_cap != 0 ? spec->output_cap :
	    EXEC_OUTPUT_CAP_DEFAULT)) == NULL)
		goto nomem;
	if (status_fd >= 0 &&
	    cJSON_AddNumberToObject(o, "status_fd", status_fd) == NULL)
		goto nomem;
	if ((item = job_limits_build(&spec->limits)) == NULL)
		goto nomem;
	cJSON_AddItemToObject(o, "limits", item);
	if ((text = cJSON_PrintUnformatted(o)) == NULL)
		goto nomem;
	*len = strlen(text);
	if (*len > EXEC__JOB_MAX) {
		snprintf(err, errlen, "job too large");
		free(text);
		text = NULL;
	}
	goto cleanup;
nomem:
	snprintf(err, errlen, "out of memory");
cleanup:
	cJSON_Delete(o);
	free(input);
	return text;
}

static void
job_strings_free(char **list)
{
	size_t i;

	if (list == NULL)
		return;
	for (i = 0; list[i] != NULL; i++)
		free(list[i]);
	free(list);
}

void
exec__job_free(struct exec__job *job)
{
	if (job == NULL)
		return;
	free(job->executable);
	job_strings_free(job->args);
	job_strings_free(job->env);
	job_strings_free(job->input_files);
	free(job->input);
	free(job->result_dir);
	free(job->cwd);
	free(job->user);
	free(job->group);
	free(job->cgroup_dir);
	memset(job, 0, sizeof(*job));
	job->status_fd = -1;
}

/* A required non-empty string, or (nullable) NULL/absent. */
static int
job_string_get(const cJSON *o, const char *key, bool nullable, char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	*out = NULL;
	if (v == NULL || cJSON_IsNull(v))
		return nullable ? 0 : -1;
	if (!cJSON_IsString(v) || v->valuestring == NULL ||
	    v->valuestring[0] == '\0')
		return -1;
	return (*out = strdup(v->valuestring)) != NULL ? 0 : -1;
}

static int
job_strings_get(const cJSON *o, const char *key, size_t max, bool env,
    char ***out)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, key), *v;
	size_t n = 0;
	char **list;

	*out = NULL;
	if (a != NULL && !cJSON_IsArray(a))
		return -1;
	if (a != NULL && (size_t)cJSON_GetArraySize(a) > max)
		return -1;
	if (a != NULL)
		n = (size_t)cJSON_GetArraySize(a);
	if ((list = calloc(n + 1, sizeof(*list))) == NULL)
		return -1;
	*out = list;
	n = 0;
	cJSON_ArrayForEach(v, a) {
		if (!cJSON_IsString(v) || v->valuestring == NULL)
			return -1;
		if (env && !job_env_entry_ok(v->valuestring))
			return -1;
		if ((list[n++] = strdup(v->valuestring)) == NULL)
			return -1;
	}
	return 0;
}

/* Every entry a non-empty path. */
static int
job_strings_nonempty(char *const *list)
{
	size_t i;

	for (i = 0; list[i] != NULL; i++)
		if (list[i][0] == '\0')
			return -1;
	return 0;
}

/* A whole number in [min, max]; absent gives def. */
static int
job_number_get(const cJSON *o, const char *key, double min, double max,
    double def, double *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (v == NULL) {
		*out = def;
		return 0;
	}
	if (!cJSON_IsNumber(v) || v->valuedouble < min ||
	    v->valuedouble > max || v->valuedouble != (double)(int64_t)
	    v->valuedouble)
		return -1;
	*out = v->valuedouble;
	return 0;
}

/* The "limits" object; absent means none. 0, or -1 with err. */
static int
job_limits_get(const cJSON *o, struct exec__job *job, char *err,
    size_t errlen)
{
	const cJSON *l = cJSON_GetObjectItemCaseSensitive(o, "limits"), *v;
	double d;

	if (l == NULL)
		return 0;
	if (!cJSON_IsObject(l))
		goto bad;
	if (job_number_get(l, "memory_max", 0, (double)EXEC__MEMORY_MAX_MAX,
	    0, &d) < 0)
		goto bad;
	job->memory_max = (unsigned long long)d;
	if (job_number_get(l, "pids_max", 0, (double)EXEC__PIDS_MAX_MAX, 0,
	    &d) < 0)
		goto bad;
	job->pids_max = (long)d;
	if (job_number_get(l, "cpu_max", 0, (double)EXEC__CPU_MAX_MAX, 0,
	    &d) < 0)
		goto bad;
	job->cpu_max = (long)d;
	v = cJSON_GetObjectItemCaseSensitive(l, "no_new_privs");
	if (v != NULL && !cJSON_IsBool(v))
		goto bad;
	job->no_new_privs = cJSON_IsTrue(v);
	if (job_string_get(l, "user", true, &job->user) < 0 ||
	    job_string_get(l, "group", true, &job->group) < 0 ||
	    job_string_get(l, "cgroup_dir", true, &job->cgroup_dir) < 0)
		goto bad;
	if ((job->user != NULL && !job_name_ok(job->user)) ||
	    (job->group != NULL && !job_name_ok(job->group)) ||
	    (job->cgroup_dir != NULL && !job_cgroup_ok(job->cgroup_dir)))
		goto bad;
	return 0;
bad:
	snprintf(err, errlen, "job: bad limits");
	return -1;
}

int
exec__job_parse(const char *text, size_t len, struct exec__job *job,
    char *err, size_t errlen)
{
	cJSON *o = NULL;
	const cJSON *v;
	double d;
	int rc = -1;

	memset(job, 0, sizeof(*job));
	job->status_fd = -1;
	if (len > EXEC__JOB_MAX) {
		snprintf(err, errlen, "job too large");
		return -1;
	}
	if ((o = cJSON_ParseWithLength(text, len)) == NULL ||
	    !cJSON_IsObject(o)) {
		snprintf(err, errlen, "job is not a JSON object");
		goto cleanup;
	}
	if (job_string_get(o, "executable", false, &job->executable) < 0) {
		snprintf(err, errlen, "job: bad executable");
		goto cleanup;
	}
	if (job_strings_get(o, "args", EXEC__JOB_MAX_ARGS, false,
	    &job->args) < 0 ||
	    job_strings_get(o, "env", EXEC__JOB_MAX_ENV, true,
	    &job->env) < 0) {
		snprintf(err, errlen, "job: bad args or env");
		goto cleanup;
	}
	v = cJSON_GetObjectItemCaseSensitive(o, "input");
	if (v != NULL && (!cJSON_IsString(v) || v->valuestring == NULL)) {
		snprintf(err, errlen, "job: bad input");
		goto cleanup;
	}
	job->input = strdup(v != NULL ? v->valuestring : "");
	if (job->input == NULL) {
		snprintf(err, errlen, "out of memory");
		goto cleanup;
	}
	job->input_len = strlen(job->input);
	if (job_strings_get(o, "input_files", EXEC__JOB_MAX_ARGS, false,
	    &job->input_files) < 0 || job_strings_nonempty(job->input_files) <
	    0) {
		snprintf(err, errlen, "job: bad input_files");
		goto cleanup;
	}
	v = cJSON_GetObjectItemCaseSensitive(o, "builtin");
	if (v != NULL && (!cJSON_IsString(v) ||
	    strcmp(v->valuestring, "place") != 0)) {
		snprintf(err, errlen, "job: unknown builtin");
		goto cleanup;
	}
	job->builtin = v != NULL ? EXEC_BUILTIN_PLACE : EXEC_BUILTIN_NONE;
	if (job_string_get(o, "result_dir", true, &job->result_dir) < 0 ||
	    job_string_get(o, "cwd", true, &job->cwd) < 0) {
		snprintf(err, errlen, "job: bad result_dir or cwd");
		goto cleanup;
	}
	v = cJSON_GetObjectItemCaseSensitive(o, "action_writes_output");
	if (v != NULL && !cJSON_IsBool(v)) {
		snprintf(err, errlen, "job: bad action_writes_output");
		goto cleanup;
	}
	job->action_writes_output = cJSON_IsTrue(v) &&
	    job->result_dir != NULL;
	if (job_number_get(o, "timeout_s", 0, (double)EXEC__TIMEOUT_MAX_S, 0,
	    &d) < 0) {
		snprintf(err, errlen, "job: bad timeout_s");
		goto cleanup;
	}
	job->timeout_s = (long)d;
	if (job_number_get(o, "output_cap", 0, (double)EXEC__OUTPUT_CAP_MAX,
	    0, &d) < 0) {
		snprintf(err, errlen, "job: bad output_cap");
		goto cleanup;
	}
	job->output_cap = d > 0 ? (size_t)d : EXEC_OUTPUT_CAP_DEFAULT;
	if (job_number_get(o, "status_fd", -1, 1023, -1, &d) < 0 ||
	    (d >= 0 && d <= 2)) {
		snprintf(err, errlen, "job: bad status_fd");
		goto cleanup;
	}
	job->status_fd = (int)d;
	if (job_limits_get(o, job, err, errlen) < 0)
		goto cleanup;
	rc = 0;
cleanup:
	cJSON_Delete(o);
	if (rc < 0)
		exec__job_free(job);
	return rc;
}
