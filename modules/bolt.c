/* bolt.c: results of task-like modules (bolt.h). Pure: output in, JSON
 * text out. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bolt.h"
#include "jsonutil.h"
#include "util.h"

#define TRUNC_MARKER "\n[pxpd: output truncated: %zu of %zu bytes shown; " \
    "the whole output is in the spool of this transaction]\n"
#define CAP_MARKER "\n[pxpd: output truncated at action-output-cap]\n"

const char *
bolt_param_str(const cJSON *params, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(params, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Longest prefix of s[0..len) of at most max bytes that ends on a UTF-8
 * character boundary. */
static size_t
bolt__utf8_prefix(const char *s, size_t len, size_t max)
{
	size_t n = len < max ? len : max;

	while (n > 0 && n < len && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

/* Appends ,"key":"<escaped text>" to out. */
static char *
bolt__add(char *out, const char *key, const char *text, size_t len,
    size_t keep, bool capped)
{
	char marker[256] = "";
	char *copy, *quoted, *next;

	if (!len)
		return out;
	if (keep < len)
		snprintf(marker, sizeof(marker), TRUNC_MARKER, keep, len);
	else if (capped)
		snprintf(marker, sizeof(marker), CAP_MARKER);
	if (!(copy = malloc(keep + strlen(marker) + 1))) {
		free(out);
		return NULL;
	}
	memcpy(copy, text, keep);
	strcpy(copy + keep, marker);
	quoted = json_quote(copy);
	free(copy);
	next = quoted ? util_asprintf("%s,\"%s\":%s", out, key, quoted) : NULL;
	free(quoted);
	free(out);
	return next;
}

int
bolt_results(const struct module *m, const char *action,
    const struct action_output *o, char **results_json, char **error)
{
	size_t cap = o->result_cap ? o->result_cap : (size_t)-1;
	size_t out_keep = o->out_len, err_keep = o->err_len;
	size_t esc;
	char *res;

	*results_json = NULL;
	*error = NULL;
	if (!json_utf8_valid(o->out, o->out_len)) {
		*error = util_asprintf("The task executed for the '%s %s' request "
		    "returned invalid UTF-8 on stdout", m->name, action);
		return 0;
	}
	/* Escaping may grow the text: measure it, then cut both streams
	 * until the response fits. stderr gives way first. */
	esc = json_escape(NULL, o->out) + json_escape(NULL, o->err);
	if (esc > cap) {
		size_t budget = cap / 2;

		err_keep = bolt__utf8_prefix(o->err, o->err_len, budget / 6);
		out_keep = bolt__utf8_prefix(o->out, o->out_len,
		    (cap - err_keep * 6) / 6);
	}
	res = util_asprintf("{\"exitcode\":%d", o->exitcode);
	if (res)
		res = bolt__add(res, "stdout", o->out, o->out_len, out_keep,
		    o->out_truncated);
	if (res)
		res = bolt__add(res, "stderr", o->err, o->err_len, err_keep,
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
