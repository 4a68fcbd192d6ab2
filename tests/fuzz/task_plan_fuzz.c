/* task_plan_fuzz.c: a `task run` request's params with the task's
 * metadata (implementations, requirements, input methods, files; modules.md
 * §3) through modules/builtin/task/task_plan.c and the path checks of
 * task_fs.c, as task.c uses them: params check, plan, the task's
 * arguments and environment, the install paths of its files. The first
 * byte picks the agent's features. No crash, no leak, no read out of
 * bounds; an accepted plan names a task file from `files`, a known input
 * method, at most TASK_FILES_MAX libs; every environment entry is
 * PT_<name>=<value>; a relative path that passes task_fs_rel_ok joins to
 * one inside its root. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include "builtin/task/task_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const all_features[] = {
	"shell", "powershell", "puppet-agent", "bash", "cmd",
};

static void
rel_check(const char *rel)
{
	size_t n;
	char *j;

	if (rel == NULL || !task_fs_rel_ok(rel))
		return;
	n = strlen(rel);
	/* "..notes" is a name; ".." as a component never passes. */
	if (rel[0] == '/' || !strcmp(rel, "..") || !strncmp(rel, "../", 3) ||
	    strstr(rel, "/../") || (n >= 3 && !strcmp(rel + n - 3, "/..")) ||
	    strchr(rel, '\\'))
		abort();
	if ((j = task_fs_join("/root", rel)) == NULL)
		return;
	if (strncmp(j, "/root/", 6) || strcmp(j + 6, rel))
		abort();
	free(j);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *feats[sizeof(all_features) / sizeof(all_features[0])];
	const cJSON *files, *f, *task, *input;
	struct task_plan p;
	size_t nf = 0, i;
	char err[1024], **env;
	cJSON *params, *args;

	if (size < 1 || size > 64 * 1024)
		return 0;
	for (i = 0; i < sizeof(all_features) / sizeof(all_features[0]); i++)
		if (data[0] & (1u << i))
			feats[nf++] = all_features[i];
	if (!(params = cJSON_ParseWithLength((const char *)data + 1, size - 1)))
		return 0;
	files = cJSON_GetObjectItemCaseSensitive(params, "files");
	cJSON_ArrayForEach(f, files)
		rel_check(cJSON_GetStringValue(
		    cJSON_GetObjectItemCaseSensitive(f, "filename")));
	if (task_params_check(params, err, sizeof(err)) != 0 ||
	    task_files_check(params, "files", TASK_FILES_MAX, err,
	    sizeof(err)) != 0) {
		if (!memchr(err, '\0', sizeof(err)))
			abort();
		goto done;
	}
	if (task_plan_make(params, feats, nf, &p, err, sizeof(err)) == 0) {
		bool found = false;

		cJSON_ArrayForEach(f, files)
			found |= f == p.exe;
		if (!found || p.input_method == NULL ||
		    (strcmp(p.input_method, "stdin") &&
		    strcmp(p.input_method, "environment") &&
		    strcmp(p.input_method, "powershell") &&
		    strcmp(p.input_method, "both")) ||
		    p.n_libs > TASK_FILES_MAX)
			abort();
		task = cJSON_GetObjectItemCaseSensitive(params, "task");
		input = cJSON_GetObjectItemCaseSensitive(params, "input");
		args = task_args_build(input, cJSON_IsString(task) ?
		    task->valuestring : "", (data[0] & 0x80) ? "/tmp/x" : NULL);
		if (args && (env = task_env_build(args)) != NULL) {
			for (i = 0; env[i]; i++)
				if (strncmp(env[i], "PT_", 3) ||
				    !strchr(env[i] + 3, '='))
					abort();
			task_env_free(env);
		}
		cJSON_Delete(args);
	} else if (!memchr(err, '\0', sizeof(err)) || !err[0])
		abort();
	task_plan_free(&p);
done:
	cJSON_Delete(params);
	return 0;
}
