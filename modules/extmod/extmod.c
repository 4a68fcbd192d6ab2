/* extmod.c: one external module as a struct module: its metadata checked
 * against modules.md §1, its configuration, and the ops (params check,
 * start through job_run, output processing). Not finding modules or
 * running `<file> metadata` (extmod_load.c), not running actions (exec via
 * the engine's job_run). Invariant: a struct extmod only exists for
 * metadata whose every schema passed schema_check(), so the ops never see
 * a schema they cannot apply. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec/exec.h"
#include "extmod/extmod.h"
#include "extmod/extmod_int.h"
#include "base/jsonutil.h"
#include "extmod/schema.h"
#include "base/util.h"

/* The reserved exit code: the module could not write its output files. */
#define EXTMOD_EXIT_FILE_ERROR 5

struct extmod {
	struct module mod;
	char *name, *path;
	const char **actions;       /* NULL-ended; names live in metadata */
	cJSON *metadata;            /* owns every schema */
	cJSON *config;              /* NULL: no configuration file */
};

void
extmod__command(const char *path, const char *arg, const char *argv[5])
{
	argv[0] = path;
	argv[1] = arg;
	argv[2] = NULL;
}

/* ---- metadata --------------------------------------------------------- */

static int
extmod__schema_field(const cJSON *obj, const char *key, const char *what,
    char *err, size_t errlen)
{
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(obj, key);
	char why[384];

	if (!s) {
		snprintf(err, errlen, "%s: no '%s' schema", what, key);
		return -1;
	}
	if (!cJSON_IsObject(s)) {
		snprintf(err, errlen, "%s: '%s' must be a JSON object", what, key);
		return -1;
	}
	if (schema_check(s, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "%s: %s schema: %s", what, key, why);
		return -1;
	}
	return 0;
}

/* pxp-agent's metadata schema (external_module.cc) plus schema_check() of
 * every embedded schema, which is what pxp-agent's schema parser does. */
static int
extmod__metadata_check(const cJSON *md, char *err, size_t errlen)
{
	const cJSON *desc, *conf, *actions, *a, *name, *b, *adesc;
	char what[192], why[384];
	int i = 0;

	if (!cJSON_IsObject(md)) {
		snprintf(err, errlen, "metadata is not a JSON object");
		return -1;
	}
	desc = cJSON_GetObjectItemCaseSensitive(md, "description");
	if (!cJSON_IsString(desc)) {
		snprintf(err, errlen, "metadata: 'description' must be a string");
		return -1;
	}
	if ((conf = cJSON_GetObjectItemCaseSensitive(md, "configuration"))) {
		if (!cJSON_IsObject(conf)) {
			snprintf(err, errlen, "metadata: 'configuration' must be a "
			    "JSON object");
			return -1;
		}
		if (schema_check(conf, why, sizeof(why)) != 0) {
			snprintf(err, errlen, "metadata: configuration schema: %s",
			    why);
			return -1;
		}
	}
	actions = cJSON_GetObjectItemCaseSensitive(md, "actions");
	if (!cJSON_IsArray(actions)) {
		snprintf(err, errlen, "metadata: 'actions' must be an array");
		return -1;
	}
	cJSON_ArrayForEach(a, actions) {
		name = cJSON_GetObjectItemCaseSensitive(a, "name");
		if (!cJSON_IsObject(a) || !cJSON_IsString(name) ||
		    !name->valuestring[0]) {
			snprintf(err, errlen, "metadata: actions[%d] must be an "
			    "object with a non-empty 'name' string", i);
			return -1;
		}
		snprintf(what, sizeof(what), "metadata: action '%.128s'",
		    name->valuestring);
		adesc = cJSON_GetObjectItemCaseSensitive(a, "description");
		if (adesc && !cJSON_IsString(adesc)) {
			snprintf(err, errlen, "%s: 'description' must be a string",
			    what);
			return -1;
		}
		if (extmod__schema_field(a, "input", what, err, errlen) != 0 ||
		    extmod__schema_field(a, "results", what, err, errlen) != 0)
			return -1;
		/* pxp-agent cannot register one schema name twice either. */
		for (b = actions->child; b != a; b = b->next)
			if (!strcmp(cJSON_GetObjectItemCaseSensitive(b,
			    "name")->valuestring, name->valuestring)) {
				snprintf(err, errlen, "%s: defined twice", what);
				return -1;
			}
		i++;
	}
	return 0;
}

static const cJSON *
extmod__action(const struct extmod *x, const char *action)
{
	const cJSON *a;

	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(x->metadata,
	    "actions"))
		if (!strcmp(cJSON_GetObjectItemCaseSensitive(a,
		    "name")->valuestring, action))
			return a;
	return NULL;
}

/* ---- ops -------------------------------------------------------------- */

static int
extmod__check(const struct module *m, const char *action,
    const cJSON *params, char *err, size_t errlen)
{
	const struct extmod *x = m->priv;
	const cJSON *a = extmod__action(x, action);
	cJSON *empty = NULL;
	int rc;

	if (!a) {
		snprintf(err, errlen, "unknown action '%s'", action);
		return -1;
	}
	/* A request without params carries {} (module.h job_params). */
	if (!params && !(params = empty = cJSON_CreateObject())) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rc = schema_validate(cJSON_GetObjectItemCaseSensitive(a, "input"),
	    params, err, errlen);
	cJSON_Delete(empty);
	return rc;
}

/* pxp-agent passes the configuration unless it is empty. */
static bool
extmod__config_passed(const cJSON *c)
{
	if (!c || cJSON_IsNull(c))
		return false;
	if (cJSON_IsObject(c) || cJSON_IsArray(c))
		return c->child != NULL;
	return true;
}

/* {"input":..., "configuration":..., "output_files":{...}} as text. */
static char *
extmod__stdin_json(const struct extmod *x, struct job *job)
{
	const char *dir = job_result_dir(job);
	cJSON *root = cJSON_CreateObject(), *files;
	char *p, *text = NULL;
	/* The module's exit code goes beside the wrapper's "exitcode",
	 * whose existence must mean the action ended (exec.h). */
	static const char *const names[] = { "stdout", "stderr", "exitcode" };
	static const char *const paths[] = { "stdout", "stderr",
	    EXEC_FILE_MODULE_EXITCODE };
	size_t i;

	if (!root)
		return NULL;
	/* References: the params and config stay owned by job and module. */
	if (!cJSON_AddItemReferenceToObject(root, "input",
	    (cJSON *)job_params(job)))
		goto out;
	if (extmod__config_passed(x->config) &&
	    !cJSON_AddItemReferenceToObject(root, "configuration", x->config))
		goto out;
	if (dir) {
		if (!(files = cJSON_AddObjectToObject(root, "output_files")))
			goto out;
		for (i = 0; i < 3; i++) {
			p = util_asprintf("%s/%s", dir, paths[i]);
			if (!p || !cJSON_AddStringToObject(files, names[i], p)) {
				free(p);
				goto out;
			}
			free(p);
		}
	}
	text = cJSON_PrintUnformatted(root);
out:
	cJSON_Delete(root);
	return text;
}

static int
extmod__start(const struct module *m, struct job *job, char *err,
    size_t errlen)
{
	const struct extmod *x = m->priv;
	struct exec_spec spec;
	const char *argv[5];
	char *input;
	int rc;

	if (!(input = extmod__stdin_json(x, job))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	extmod__command(x->path, job_action(job), argv);
	memset(&spec, 0, sizeof(spec));
	spec.executable = argv[0];
	spec.args = argv + 1;
	spec.input = input;
	spec.input_len = strlen(input);
	/* modules.md §1: with output_files the module writes stdout, stderr
	 * and exitcode itself. */
	spec.action_writes_output = job_non_blocking(job);
	rc = job_run(job, &spec, err, errlen);
	free(input);
	return rc;
}

static int
extmod__results(const struct module *m, const char *action,
    const struct action_output *o, char **results_json, char **error)
{
	/* struct action_output does not say whether the action was
	 * non-blocking; exit code 5 is reserved for the output files, which
	 * only non-blocking actions get, so it is read that way. */
	return extmod_output_process(m, action, o, o->non_blocking, results_json,
	    error);
}

static void
extmod__free(struct module *m)
{
	struct extmod *x;

	if (!m)
		return;
	x = m->priv;
	free(x->name);
	free(x->path);
	free(x->actions);
	cJSON_Delete(x->metadata);
	cJSON_Delete(x->config);
	free(x);
}

/* ---- output processing ------------------------------------------------ */

static bool
extmod__only_space(const char *p, const char *end)
{
	for (; p < end; p++)
		if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
			return false;
	return true;
}

/* pxp-agent's tail of every output error: " (empty)" or "\n<stderr>".
 * stderr is repaired (jsonutil.h): the error is sent and may be quoted in
 * a status answer; the reply builders cut it to fit max-message-size. */
static char *
extmod__output_error(const struct module *m, const char *action,
    const struct action_output *o, const char *what, const char *detail)
{
	bool no_err = !o->err || o->err_len == 0;
	char *err = no_err ? NULL : json_utf8_repair(o->err, o->err_len, NULL);
	char *s = util_asprintf("The task executed for the '%s %s' request "
	    "returned %s%s%s - stderr:%s%s", m->name, action, what,
	    detail ? ": " : "", detail ? detail : "", no_err ? " (empty)" : "\n",
	    err ? err : "");

	free(err);
	return s;
}

int
extmod_output_process(const struct module *m, const char *action,
    const struct action_output *o, bool non_blocking, char **results_json,
    char **error)
{
	const struct extmod *x = m->priv;
	const cJSON *a = extmod__action(x, action);
	const char *end = NULL;
	cJSON *v = NULL;
	char why[512];

	*results_json = NULL;
	*error = NULL;
	if (non_blocking && o->exitcode == EXTMOD_EXIT_FILE_ERROR) {
		*error = util_strdup("failed to write output on file");
		goto out;
	}
	if (!a) {
		*error = util_asprintf("unknown action '%s' for module '%s'",
		    action, m->name);
		goto out;
	}
	if (o->out && o->out_len > 0) {
		if (o->out_truncated)
			*error = extmod__output_error(m, action, o,
			    "invalid JSON on stdout (output truncated)", NULL);
		else if (!json_utf8_valid(o->out, o->out_len))
			*error = extmod__output_error(m, action, o,
			    "invalid JSON on stdout (not UTF-8)", NULL);
		else if (!(v = cJSON_ParseWithLengthOpts(o->out, o->out_len,
		    &end, false)) || !extmod__only_space(end, o->out + o->out_len))
			*error = extmod__output_error(m, action, o,
			    "invalid JSON on stdout", NULL);
		if (*error)
			goto out;
	}
	/* Empty stdout is null, valid only when the schema allows it. */
	if (schema_validate(cJSON_GetObjectItemCaseSensitive(a, "results"), v,
	    why, sizeof(why)) != 0) {
		*error = extmod__output_error(m, action, o,
		    "invalid results on stdout", why);
		goto out;
	}
	*results_json = v ? cJSON_PrintUnformatted(v) : util_strdup("null");
out:
	cJSON_Delete(v);
	return *results_json || *error ? 0 : -1;
}

/* ---- construction ----------------------------------------------------- */

struct module *
extmod_module_new(const char *name, const char *path, cJSON *metadata,
    bool conf_present, cJSON *conf, char *err, size_t errlen)
{
	struct extmod *x = NULL;
	const cJSON *schema, *a;
	char why[512];
	int n = 0, i = 0;

	if (extmod__metadata_check(metadata, err, errlen) != 0)
		goto fail;
	schema = cJSON_GetObjectItemCaseSensitive(metadata, "configuration");
	/* An unreadable or unparseable file counts as null (modules.md §1);
	 * a missing file is not checked at all. */
	if (schema && conf_present &&
	    schema_validate(schema, conf, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "configuration %s.conf does not match the "
		    "module's configuration schema: %s", name, why);
		goto fail;
	}
	if (!(x = calloc(1, sizeof(*x)))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	n = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(metadata,
	    "actions"));
	x->name = util_strdup(name);
	x->path = util_strdup(path);
	x->actions = calloc((size_t)n + 1, sizeof(*x->actions));
	if (!x->name || !x->path || !x->actions) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(metadata,
	    "actions"))
		x->actions[i++] = cJSON_GetObjectItemCaseSensitive(a,
		    "name")->valuestring;
	x->metadata = metadata;
	x->config = conf;
	x->mod.name = x->name;
	x->mod.actions = x->actions;
	x->mod.blocking_only = false;
	x->mod.check = extmod__check;
	x->mod.start = extmod__start;
	x->mod.results = extmod__results;
	x->mod.free = extmod__free;
	x->mod.priv = x;
	return &x->mod;

fail:
	if (x) {
		free(x->name);
		free(x->path);
		free(x->actions);
		free(x);
	}
	cJSON_Delete(metadata);
	cJSON_Delete(conf);
	return NULL;
}
