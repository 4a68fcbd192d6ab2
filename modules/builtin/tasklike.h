/* tasklike.h: what the task-like modules (task, command, script, file) share,
 * after pxp-agent's bolt_module: their results are {"exitcode","stdout",
 * "stderr"} (empty keys left out), valid when stdout is valid UTF-8
 * without NUL (otherwise the action fails, as in pxp-agent); stderr is
 * repaired (jsonutil.h). */
#ifndef PXPD_TASKLIKE_H
#define PXPD_TASKLIKE_H

#include "module.h"

/* module.results for task-like modules. Output longer than the response
 * can carry (o->result_cap, counted after repair and JSON escaping) is
 * cut at a character boundary with a marker saying so; the whole text
 * stays in the spool. */
int tasklike_results(const struct module *m, const char *action,
    const struct action_output *o, char **results_json, char **error);

/* A params string field, or NULL. */
const char *tasklike_param_str(const cJSON *params, const char *key);

#endif
