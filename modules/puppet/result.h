/* result.h: the run action's result object (see result.c). */
#ifndef PXP_PUPPET_RESULT_H
#define PXP_PUPPET_RESULT_H

#include <cjson/cJSON.h>

#include "report.h"

/* Puppet never ran. */
#define RESULT_EXITCODE_NONE (-1)

#define RESULT_INVALID_JSON "invalid_json"
#define RESULT_NO_PUPPET_BIN "no_puppet_bin"
#define RESULT_NO_LAST_RUN_REPORT "no_last_run_report"
#define RESULT_INVALID_LAST_RUN_REPORT "invalid_last_run_report"
#define RESULT_AGENT_DISABLED "agent_disabled"
#define RESULT_AGENT_LOCKED "agent_locked"
#define RESULT_AGENT_FAILED_TO_START "agent_failed_to_start"
#define RESULT_AGENT_EXIT_NON_ZERO "agent_exit_non_zero"

/* {"time","transaction_uuid","environment","status","metrics","exitcode",
 * "version":1} from rep, or "unknown" and {} when rep is NULL. Returns a
 * new object (caller deletes) or NULL when out of memory. */
cJSON *puppet_result_new(int exitcode, const struct puppet_report *rep);

/* Adds error_type and error (printf-style) to r; 0 or -1 (out of memory). */
int puppet_result_set_error(cJSON *r, const char *type, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* puppet_result_new(exitcode, NULL) plus an error; NULL if out of memory. */
cJSON *puppet_result_error(int exitcode, const char *type, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
