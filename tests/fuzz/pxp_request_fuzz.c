/* pxp_request_fuzz.c: libFuzzer harness for the PXP request check and the
 * reply builders. Input is request data (JSON text); an accepted request's
 * transaction id must come back unchanged from every reply built for it,
 * json_quote() must always produce a parseable JSON string, and the UTF-8
 * repair rule must hold for any bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/jsonutil.h"
#include "pcp/pxp.h"

#define FUZZ_CHECK(c) do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Parses reply text and checks its transaction_id equals tid. */
static void
reply_check(char *text, const char *tid)
{
	cJSON *j, *t;

	FUZZ_CHECK(text != NULL);
	j = cJSON_Parse(text);
	FUZZ_CHECK(j != NULL);
	t = cJSON_GetObjectItemCaseSensitive(j, "transaction_id");
	FUZZ_CHECK(cJSON_IsString(t));
	/* invalid UTF-8 is replaced by U+FFFD on the way out */
	FUZZ_CHECK(strcmp(t->valuestring, tid) == 0 ||
	    !json_utf8_valid(tid, strlen(tid)));
	cJSON_Delete(j);
	free(text);
}

static void
quote_check(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *q;
	cJSON *j;

	FUZZ_CHECK(s != NULL);
	memcpy(s, data, size);
	s[size] = '\0';
	q = json_quote(s);
	FUZZ_CHECK(q != NULL);
	j = cJSON_Parse(q);
	FUZZ_CHECK(cJSON_IsString(j));
	/* Equal unless invalid UTF-8 bytes were replaced; valid output
	 * always, so the result of the escaper is itself valid UTF-8. */
	FUZZ_CHECK(json_utf8_valid(q, strlen(q)));
	if (json_utf8_valid(s, strlen(s)))
		FUZZ_CHECK(strcmp(j->valuestring, s) == 0);
	cJSON_Delete(j);
	free(q);
	free(s);
}

/* The UTF-8 repair rule (issue 8) on raw bytes, NUL included: escaped
 * output is clean, counted exactly, and parses back to the repaired text;
 * a fit never overshoots; a parsed tree repairs clean; an RPC error is
 * cut to its limit. */
static void
repair_check(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	size_t n, rlen, esc, keep, max = size % 97;
	char *q = json_quote_n(s, size), *r = json_utf8_repair(s, size, &rlen);
	cJSON *j;

	FUZZ_CHECK(q != NULL && r != NULL);
	n = strlen(q);
	FUZZ_CHECK(n == json_escape_n(NULL, s, size) + 2);
	FUZZ_CHECK(json_utf8_clean(q, n) && json_utf8_clean(r, rlen));
	j = cJSON_Parse(q);
	FUZZ_CHECK(cJSON_IsString(j) && strcmp(j->valuestring, r) == 0);
	cJSON_Delete(j);
	keep = json_utf8_fit(s, size, max, false, &esc);
	FUZZ_CHECK(esc <= max && esc == json_escape_n(NULL, s, keep));
	j = cJSON_ParseWithLength(s, size);
	if (j != NULL) {
		FUZZ_CHECK(json_tree_repair(j) >= 0 && json_tree_clean(j));
		cJSON_Delete(j);
	}
	free(q);
	q = pxp_rpc_error_json_max("t", "i", r, 200);
	FUZZ_CHECK(q != NULL && strlen(q) <= 200 &&
	    json_utf8_clean(q, strlen(q)));
	free(q);
	free(r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pxp_request r;
	const char *err = NULL;
	cJSON *j;
	char *params;
	int mode;

	quote_check(data, size);
	repair_check(data, size);
	j = cJSON_ParseWithLength((const char *)data, size);
	for (mode = 0; mode < 2; mode++) {
		if (pxp_request_parse(j, mode == 1, &r, &err) != 0) {
			FUZZ_CHECK(err != NULL && r.transaction_id == NULL);
			FUZZ_CHECK(strncmp(err, "invalid data", 12) == 0 ||
			    strcmp(err, "no data") == 0);
			continue;
		}
		FUZZ_CHECK(r.transaction_id && r.module && r.action);
		FUZZ_CHECK(r.params == NULL || cJSON_IsObject(r.params));
		FUZZ_CHECK(r.non_blocking == (mode == 1));
		params = r.params != NULL ? cJSON_PrintUnformatted(r.params) : NULL;
		reply_check(pxp_response_json(r.transaction_id, params), r.transaction_id);
		reply_check(pxp_provisional_json(r.transaction_id), r.transaction_id);
		reply_check(pxp_rpc_error_json(r.transaction_id, r.module, r.action),
		    r.transaction_id);
		free(params);
	}
	cJSON_Delete(j);
	return 0;
}
