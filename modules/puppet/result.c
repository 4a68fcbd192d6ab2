/* result.c: builds the run action's result object, the shape controllers
 * read (orchestrator, pxp-agent's results schema): time, transaction_uuid,
 * environment, status, metrics, exitcode, version, and error_type/error
 * when something went wrong. Not deciding what went wrong (run.c).
 * Invariant: every required key is present with the schema's type, so an
 * error result still validates. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "result.h"

static int
result_add_text(cJSON *r, const char *key, const char *value)
{
	return cJSON_AddStringToObject(r, key, value ? value : "unknown") ? 0 : -1;
}

cJSON *
puppet_result_new(int exitcode, const struct puppet_report *rep)
{
	cJSON *r = cJSON_CreateObject();
	cJSON *metrics;

	if (r == NULL)
		return NULL;
	if (result_add_text(r, "time", rep ? rep->time : NULL) < 0 ||
	    result_add_text(r, "transaction_uuid",
	                    rep ? rep->transaction_uuid : NULL) < 0 ||
	    result_add_text(r, "environment", rep ? rep->environment : NULL) < 0 ||
	    result_add_text(r, "status", rep ? rep->status : NULL) < 0)
		goto fail;
	metrics = rep && rep->metrics ? cJSON_Duplicate(rep->metrics, 1)
	                              : cJSON_CreateObject();
	if (metrics == NULL)
		goto fail;
	cJSON_AddItemToObject(r, "metrics", metrics);
	if (cJSON_AddNumberToObject(r, "exitcode", exitcode) == NULL ||
	    cJSON_AddNumberToObject(r, "version", 1) == NULL)
		goto fail;
	return r;
fail:
	cJSON_Delete(r);
	return NULL;
}

static int
result_set_error_v(cJSON *r, const char *type, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	cJSON_DeleteItemFromObjectCaseSensitive(r, "error_type");
	cJSON_DeleteItemFromObjectCaseSensitive(r, "error");
	if (cJSON_AddStringToObject(r, "error_type", type) == NULL ||
	    cJSON_AddStringToObject(r, "error", msg) == NULL)
		return -1;
	return 0;
}

int
puppet_result_set_error(cJSON *r, const char *type, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = result_set_error_v(r, type, fmt, ap);
	va_end(ap);
	return rc;
}

cJSON *
puppet_result_error(int exitcode, const char *type, const char *fmt, ...)
{
	cJSON *r = puppet_result_new(exitcode, NULL);
	va_list ap;
	int rc;

	if (r == NULL)
		return NULL;
	va_start(ap, fmt);
	rc = result_set_error_v(r, type, fmt, ap);
	va_end(ap);
	if (rc < 0) {
		cJSON_Delete(r);
		return NULL;
	}
	return r;
}
