/* echo.c: the built-in echo module: {"argument": s} -> {"outcome": s}.
 * Blocking only, as in pxp-agent. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/jsonutil.h"
#include "module.h"
#include "base/util.h"

static const char *const echo_actions[] = { "echo", NULL };

static int
echo_check(const struct module *m, const char *action, const cJSON *params,
    char *err, size_t errlen)
{
	const cJSON *arg = cJSON_GetObjectItemCaseSensitive(params, "argument");

	if (!cJSON_IsString(arg)) {
		snprintf(err, errlen, "'argument' must be a string");
		return -1;
	}
	return 0;
}

static int
echo_start(const struct module *m, struct job *job, char *err, size_t errlen)
{
	const cJSON *arg = cJSON_GetObjectItemCaseSensitive(job_params(job),
	    "argument");
	char *quoted = json_quote(arg->valuestring);
	char *results = quoted ? util_asprintf("{\"outcome\":%s}", quoted) : NULL;

	free(quoted);
	if (!results) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	job_finish(job, results, NULL);
	return 0;
}

const struct module module_echo = {
	.name = "echo",
	.actions = echo_actions,
	.blocking_only = true,
	.check = echo_check,
	.start = echo_start,
};
