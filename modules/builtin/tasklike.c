/* tasklike.c: results of task-like modules (tasklike.h). Pure: output in, JSON
 * text out. Invariant: the results text is valid UTF-8 and, with its
 * markers, at most o->result_cap bytes (when that is above TASKLIKE_FRAME). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtin/tasklike.h"
#include "base/jsonutil.h"
#include "base/util.h"

#define TRUNC_MARKER "\n[pxpd: output truncated: %zu of %zu bytes shown; " \
    "the whole output is in the spool of this transaction]\n"
#define CAP_MARKER "\n[pxpd: output truncated at action-output-cap]\n"
/* Room in result_cap for {"exitcode":N,"stdout":"","stderr":""} and both
 * markers, escaped (each under 160 bytes). */
#define TASKLIKE_FRAME 512

const char *
tasklike_param_str(const cJSON *params, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(params, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Appends ,"key":"<text[0..keep) and a marker, escaped>" to out (which
 * it frees). Both are escaped as json_utf8_fit2() counted them. */
static char *
tasklike__add(char *out, const char *key, const char *text, size_t len,
    size_t keep, bool capped)
{
	char marker[256] = "";
	size_t olen, klen, n, at;
	char *next;

	if (!len || !out)
		return out;
	if (keep < len)
		snprintf(marker, sizeof(marker), TRUNC_MARKER, keep, len);
	else if (capped)
		snprintf(marker, sizeof(marker), CAP_MARKER);
	olen = strlen(out);
	klen = strlen(key);
	n = olen + klen + 6 + json_escape_n(NULL, text, keep) +
	    json_escape(NULL, marker);
	if ((next = malloc(n + 1)) != NULL) {
		memcpy(next, out, olen);
		at = olen;
		next[at++] = ',';
		next[at++] = '"';
		memcpy(next + at, key, klen);
		at += klen;
		memcpy(next + at, "\":\"", 3);
		at += 3;
		at += json_escape_n(next + at, text, keep);
		at += json_escape(next + at, marker);
		next[at++] = '"';
		next[at] = '\0';
	}
	free(out);
	return next;
}

int
tasklike_results(const struct module *m, const char *action,
    const struct action_output *o, char **results_json, char **error)
{
	size_t cap = o->result_cap ? o->result_cap : SIZE_MAX;
	size_t budget = cap > TASKLIKE_FRAME ? cap - TASKLIKE_FRAME : 0;
	size_t out_keep, err_keep;
	char *res;

	*results_json = NULL;
	*error = NULL;
	/* pxp-agent (util/utf8.cc) refuses NUL as well as ill-formed
	 * UTF-8 on stdout. stderr is repaired instead (jsonutil.h). */
	if (!json_utf8_clean(o->out, o->out_len)) {
		*error = o->label ? util_asprintf("The task executed for the %s "
		    "returned invalid UTF-8 on stdout", o->label) :
		    util_asprintf("The task executed for the '%s %s' request "
		    "returned invalid UTF-8 on stdout", m->name, action);
		return 0;
	}
	/* Sizes are those of the repaired, escaped text, so the response
	 * fits max-message-size as sent. stderr gives way first. */
	json_utf8_fit2(o->out, o->out_len, o->err, o->err_len, budget,
	    &out_keep, &err_keep);
	res = util_asprintf("{\"exitcode\":%d", o->exitcode);
	res = tasklike__add(res, "stdout", o->out, o->out_len, out_keep,
	    o->out_truncated);
	res = tasklike__add(res, "stderr", o->err, o->err_len, err_keep,
	    o->err_truncated);
	if (res) {
		char *closed = util_asprintf("%s}", res);

		free(res);
		res = closed;
	}
	if (!res) {
		*error = util_strdup("out of memory building the results");
		return 0;
	}
	*results_json = res;
	return 0;
}
