/* command.c: the built-in `command run` module: {"command": s} runs s
 * with the agent user's shell (modules.md §8); results as every task-like
 * module (tasklike.h). */
#include <stdio.h>

#include "builtin/tasklike.h"
#include "exec/exec.h"
#include "os/shell.h"

static const char *const command_actions[] = { "run", NULL };

static int
command_check(const struct module *m, const char *action,
    const cJSON *params, char *err, size_t errlen)
{
	if (!tasklike_param_str(params, "command")) {
		snprintf(err, errlen, "'command' must be a string");
		return -1;
	}
	return 0;
}

static int
command_start(const struct module *m, struct job *job, char *err,
    size_t errlen)
{
	char exe[1024];
	const char *args[SHELL_ARGS_MAX + 1] = { NULL };
	struct exec_spec spec = { 0 };

	if (shell_command(tasklike_param_str(job_params(job), "command"), exe,
	    sizeof(exe), args, SHELL_ARGS_MAX) < 0) {
		snprintf(err, errlen, "cannot build the shell command");
		return -1;
	}
	spec.executable = exe;
	spec.args = args;
	return job_run(job, &spec, err, errlen);
}

const struct module module_command = {
	.name = "command",
	.actions = command_actions,
	.check = command_check,
	.start = command_start,
	.results = tasklike_results,
};
