/* ping.c: the built-in ping module: returns the hops of the request's
 * first debug chunk as {"request_hops": [...]} ([] on v2 and with the
 * current broker, which adds no debug chunks). Blocking only. */
#include <stdio.h>
#include <stdlib.h>

#include "module.h"
#include "base/util.h"

static const char *const ping_actions[] = { "ping", NULL };

static int
ping_check(const struct module *m, const char *action, const cJSON *params,
    char *err, size_t errlen)
{
	const cJSON *ts = cJSON_GetObjectItemCaseSensitive(params,
	    "sender_timestamp");

	if (ts && !cJSON_IsString(ts)) {
		snprintf(err, errlen, "'sender_timestamp' must be a string");
		return -1;
	}
	return 0;
}

static int
ping_start(const struct module *m, struct job *job, char *err, size_t errlen)
{
	const cJSON *debug = job_debug(job);
	const cJSON *first = cJSON_IsArray(debug) ? cJSON_GetArrayItem(debug, 0) : NULL;
	const cJSON *hops = first ? cJSON_GetObjectItemCaseSensitive(first, "hops") : NULL;
	char *printed = cJSON_IsArray(hops) ? cJSON_PrintUnformatted(hops) : NULL;
	char *results = util_asprintf("{\"request_hops\":%s}",
	    printed ? printed : "[]");

	cJSON_free(printed);
	if (!results) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	job_finish(job, results, NULL);
	return 0;
}

const struct module module_ping = {
	.name = "ping",
	.actions = ping_actions,
	.blocking_only = true,
	.check = ping_check,
	.start = ping_start,
};
