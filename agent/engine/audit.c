/* audit.c: the JSON-lines audit log (audit.h), one line per event
 * through linelog.c. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/sha256.h>

#include "engine/audit.h"
#include "base/linelog.h"
#include "base/util.h"

struct audit {
	struct linelog *log;
};

struct audit *
audit_open(const char *path, char *err, size_t errlen)
{
	struct audit *a;
	char why[512];

	if (!path || !*path)
		return NULL;
	if (!(a = calloc(1, sizeof(*a)))) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (!(a->log = linelog_open(path, why, sizeof(why)))) {
		snprintf(err, errlen, "audit-logfile: %s", why);
		free(a);
		return NULL;
	}
	return a;
}

int
audit_reopen(struct audit *a)
{
	return a ? linelog_reopen(a->log) : 0;
}

void
audit_close(struct audit *a)
{
	if (!a)
		return;
	linelog_close(a->log);
	free(a);
}

static void
audit__params_hash(const cJSON *params, char out[65])
{
	char *text = cJSON_PrintUnformatted(params);
	unsigned char sum[32];
	int i;

	out[0] = '\0';
	if (!text)
		return;
	mbedtls_sha256((const unsigned char *)text, strlen(text), sum, 0);
	for (i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", sum[i]);
	cJSON_free(text);
}

void
audit_log(struct audit *a, const struct audit_event *ev)
{
	cJSON *o;
	char now[UTIL_TIME_LEN], hash[65];
	char *line;
	size_t len;

	if (!a)
		return;
	if (!(o = cJSON_CreateObject()))
		return;
	util_time_iso(now, 0);
	cJSON_AddStringToObject(o, "time", now);
	cJSON_AddStringToObject(o, "event", ev->event);
#define ADD(k, v) do { if (v) cJSON_AddStringToObject(o, k, v); } while (0)
	ADD("sender", ev->sender);
	ADD("transaction_id", ev->transaction_id);
	ADD("module", ev->module);
	ADD("action", ev->action);
	ADD("task", ev->task);
	ADD("status", ev->status);
	ADD("reason", ev->reason);
#undef ADD
	if (ev->params) {
		audit__params_hash(ev->params, hash);
		cJSON_AddStringToObject(o, "params_sha256", hash);
	}
	if (ev->duration_ms >= 0)
		cJSON_AddNumberToObject(o, "duration_ms", (double)ev->duration_ms);
	if (ev->exitcode != INT_MIN)
		cJSON_AddNumberToObject(o, "exitcode", ev->exitcode);
	line = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (!line)
		return;
	len = strlen(line);
	linelog_write(a->log, line, len);
	cJSON_free(line);
}
