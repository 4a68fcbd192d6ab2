/* test_pxp.c: the PXP request check and reply builders (agent/pcp/pxp.c)
 * and the JSON string escaper (agent/base/jsonutil.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/jsonutil.h"
#include "pcp/pxp.h"

/* Parses `json` and runs the request check; returns its result. */
static int
parse_json(const char *json, bool non_blocking, struct pxp_request *r,
    const char **err, cJSON **keep)
{
	*keep = cJSON_Parse(json);
	assert_non_null(*keep);
	return pxp_request_parse(*keep, non_blocking, r, err);
}

static void
request_fails(const char *json, bool non_blocking, const char *want)
{
	struct pxp_request r, zero;
	const char *err = NULL;
	cJSON *j;

	memset(&zero, 0, sizeof(zero));
	assert_int_equal(parse_json(json, non_blocking, &r, &err, &j), -1);
	assert_non_null(err);
	assert_string_equal(err, want);
	assert_memory_equal(&r, &zero, sizeof(r));
	cJSON_Delete(j);
}

static void
pxp_blocking_request_parsed(void **state)
{
	struct pxp_request r;
	const char *err = "unset";
	cJSON *j;

	/* broker-observed.md / pxp.md §10 */
	assert_int_equal(parse_json("{\"transaction_id\":\"abc-123\",\"module\":"
	    "\"echo\",\"action\":\"echo\",\"params\":{\"argument\":\"hi\"},"
	    "\"notify_outcome\":\"ignored when blocking\",\"extra\":1}",
	    false, &r, &err, &j), 0);
	assert_null(err);
	assert_string_equal(r.transaction_id, "abc-123");
	assert_string_equal(r.module, "echo");
	assert_string_equal(r.action, "echo");
	assert_string_equal(cJSON_GetObjectItem(r.params, "argument")->valuestring, "hi");
	assert_false(r.non_blocking);
	assert_false(r.notify_outcome);
	cJSON_Delete(j);

	assert_int_equal(parse_json("{\"transaction_id\":\"\",\"module\":\"m\","
	    "\"action\":\"a\"}", false, &r, &err, &j), 0);
	assert_null(r.params);          /* absent: the engine uses {} */
	assert_string_equal(r.transaction_id, "");
	cJSON_Delete(j);
}

static void
pxp_non_blocking_request_parsed(void **state)
{
	struct pxp_request r;
	const char *err;
	cJSON *j;

	/* pxp.md §2 example */
	assert_int_equal(parse_json("{\"transaction_id\":\"8a8b1e3c-6d0f-4b8a-9d7e-"
	    "2b1f1f0c2c11\",\"notify_outcome\":true,\"module\":\"task\","
	    "\"action\":\"run\",\"params\":{\"task\":\"package\",\"input\":"
	    "{\"action\":\"status\",\"name\":\"openssl\"},\"files\":[{\"filename\":"
	    "\"init.rb\",\"sha256\":\"e1c10f8c\",\"size_bytes\":1024,\"uri\":"
	    "{\"path\":\"/puppet/v3/file_content/tasks/package/init.rb\","
	    "\"params\":{\"environment\":\"production\"}}}]}}",
	    true, &r, &err, &j), 0);
	assert_true(r.non_blocking);
	assert_true(r.notify_outcome);
	assert_string_equal(r.module, "task");
	assert_string_equal(r.action, "run");
	assert_string_equal(cJSON_GetObjectItem(r.params, "task")->valuestring, "package");
	cJSON_Delete(j);

	assert_int_equal(parse_json("{\"transaction_id\":\"t\",\"notify_outcome\":"
	    "false,\"module\":\"m\",\"action\":\"a\"}", true, &r, &err, &j), 0);
	assert_true(r.non_blocking);
	assert_false(r.notify_outcome);
	cJSON_Delete(j);
}

static void
pxp_request_errors(void **state)
{
	struct pxp_request r;
	const char *err;
	cJSON *j;

	assert_int_equal(pxp_request_parse(NULL, false, &r, &err), -1);
	assert_string_equal(err, "no data");
	request_fails("[]", false, "invalid data: not a JSON object");
	request_fails("\"x\"", true, "invalid data: not a JSON object");
	request_fails("{\"module\":\"m\",\"action\":\"a\"}", false,
	    "invalid data: missing transaction_id");
	request_fails("{\"transaction_id\":1,\"module\":\"m\",\"action\":\"a\"}", false,
	    "invalid data: transaction_id is not a string");
	request_fails("{\"transaction_id\":\"t\",\"action\":\"a\"}", false,
	    "invalid data: missing module");
	request_fails("{\"transaction_id\":\"t\",\"module\":null,\"action\":\"a\"}",
	    false, "invalid data: module is not a string");
	request_fails("{\"transaction_id\":\"t\",\"module\":\"m\"}", false,
	    "invalid data: missing action");
	request_fails("{\"transaction_id\":\"t\",\"module\":\"m\",\"action\":{}}",
	    false, "invalid data: action is not a string");
	request_fails("{\"transaction_id\":\"t\",\"module\":\"m\",\"action\":\"a\","
	    "\"params\":[]}", false, "invalid data: params is not an object");
	request_fails("{\"transaction_id\":\"t\",\"module\":\"m\",\"action\":\"a\","
	    "\"params\":null}", false, "invalid data: params is not an object");
	request_fails("{\"transaction_id\":\"t\",\"module\":\"m\",\"action\":\"a\"}",
	    true, "invalid data: missing notify_outcome");
	request_fails("{\"transaction_id\":\"t\",\"module\":\"m\",\"action\":\"a\","
	    "\"notify_outcome\":\"true\"}", true,
	    "invalid data: notify_outcome is not a boolean");
	request_fails("{\"transaction_id\":\"t\",\"module\":\"m\",\"action\":\"a\","
	    "\"notify_outcome\":1}", true,
	    "invalid data: notify_outcome is not a boolean");
	/* the same data is fine as a blocking request */
	assert_int_equal(parse_json("{\"transaction_id\":\"t\",\"module\":\"m\","
	    "\"action\":\"a\",\"notify_outcome\":1}", false, &r, &err, &j), 0);
	cJSON_Delete(j);
}

static void
pxp_message_types(void **state)
{
	assert_string_equal(PXP_BLOCKING_REQUEST, "http://puppetlabs.com/rpc_blocking_request");
	assert_string_equal(PXP_BLOCKING_RESPONSE, "http://puppetlabs.com/rpc_blocking_response");
	assert_string_equal(PXP_NON_BLOCKING_REQUEST,
	    "http://puppetlabs.com/rpc_non_blocking_request");
	assert_string_equal(PXP_PROVISIONAL_RESPONSE,
	    "http://puppetlabs.com/rpc_provisional_response");
	assert_string_equal(PXP_NON_BLOCKING_RESPONSE,
	    "http://puppetlabs.com/rpc_non_blocking_response");
	assert_string_equal(PXP_RPC_ERROR, "http://puppetlabs.com/rpc_error_message");
	assert_string_equal(pcp_type_name(PXP_RPC_ERROR), "rpc_error_message");
}

/* ---- reply builders ---- */

static void
pxp_builders_exact_text(void **state)
{
	char *s;

	s = pxp_rpc_error_json("t-1", "req-1", "unknown module: nope");
	assert_string_equal(s, "{\"transaction_id\":\"t-1\",\"id\":\"req-1\","
	    "\"description\":\"unknown module: nope\"}");
	free(s);
	s = pxp_provisional_json("t-1");
	assert_string_equal(s, "{\"transaction_id\":\"t-1\"}");
	free(s);
	s = pxp_response_json("t-1", "{\"outcome\":\"hi\"}");
	assert_string_equal(s, "{\"transaction_id\":\"t-1\",\"results\":{\"outcome\":\"hi\"}}");
	free(s);
	/* results spliced verbatim, NULL results = {}, NULL strings = "" */
	s = pxp_response_json(NULL, NULL);
	assert_string_equal(s, "{\"transaction_id\":\"\",\"results\":{}}");
	free(s);
	s = pxp_response_json("t", "{ \"a\" : [1 , 2] }");
	assert_string_equal(s, "{\"transaction_id\":\"t\",\"results\":{ \"a\" : [1 , 2] }}");
	free(s);
	s = pxp_rpc_error_json(NULL, NULL, NULL);
	assert_string_equal(s, "{\"transaction_id\":\"\",\"id\":\"\",\"description\":\"\"}");
	free(s);
}

/* Whatever goes in comes back out of a JSON parser unchanged. */
static void
pxp_builders_escape_round_trip(void **state)
{
	static const char *const samples[] = {
		"quote \" and backslash \\ and slash /",
		"ctl \x01\x02\x1f \b\f\n\r\t end",
		"caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80 \xe4\xb8\xad\xe6\x96\x87",
		"",
		"\x7f del stays",
	};
	size_t i;

	for (i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		char *s = pxp_rpc_error_json(samples[i], "id", samples[i]);
		cJSON *j = cJSON_Parse(s);

		assert_non_null(j);
		assert_string_equal(cJSON_GetObjectItem(j, "transaction_id")->valuestring,
		    samples[i]);
		assert_string_equal(cJSON_GetObjectItem(j, "description")->valuestring,
		    samples[i]);
		/* no raw control byte may reach the wire */
		for (char *p = s; *p; p++)
			assert_true((unsigned char)*p >= 0x20);
		cJSON_Delete(j);
		free(s);

		s = pxp_response_json(samples[i], "[]");
		j = cJSON_Parse(s);
		assert_non_null(j);
		assert_string_equal(cJSON_GetObjectItem(j, "transaction_id")->valuestring,
		    samples[i]);
		cJSON_Delete(j);
		free(s);
	}
}

static void
json_quote_escapes(void **state)
{
	char *q;

	q = json_quote("a\"b\\c\nd\te\x01" "f\x1f");
	assert_string_equal(q, "\"a\\\"b\\\\c\\nd\\te\\u0001f\\u001f\"");
	free(q);
	q = json_quote("\b\f\r");
	assert_string_equal(q, "\"\\b\\f\\r\"");
	free(q);
	/* valid UTF-8 is kept byte for byte */
	q = json_quote("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80");
	assert_string_equal(q, "\"h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80\"");
	free(q);
	q = json_quote("");
	assert_string_equal(q, "\"\"");
	free(q);
	assert_null(json_quote(NULL));
}

#define R "\xef\xbf\xbd"   /* U+FFFD */

/* One U+FFFD per maximal subpart (jsonutil.h), written as UTF-8. */
static void
json_quote_invalid_utf8_replaced(void **state)
{
	char *q;

	/* lone continuation, truncated sequence (one subpart), overlong,
	 * surrogate, above U+10FFFF, 0xFF */
	q = json_quote("a\x80" "b");
	assert_string_equal(q, "\"a" R "b\"");
	free(q);
	q = json_quote("\xe2\x82");
	assert_string_equal(q, "\"" R "\"");
	free(q);
	q = json_quote("\xe2\x82" "A");
	assert_string_equal(q, "\"" R "A\"");
	free(q);
	q = json_quote("\xc0\xaf");
	assert_string_equal(q, "\"" R R "\"");
	free(q);
	q = json_quote("\xed\xa0\x80");
	assert_string_equal(q, "\"" R R R "\"");
	free(q);
	q = json_quote("\xf4\x90\x80\x80");
	assert_string_equal(q, "\"" R R R R "\"");
	free(q);
	q = json_quote("\xff");
	assert_string_equal(q, "\"" R "\"");
	free(q);
}

static void
json_utf8_valid_checks(void **state)
{
	assert_true(json_utf8_valid("", 0));
	assert_true(json_utf8_valid("plain\0nul", 9));
	assert_true(json_utf8_valid("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf", 13));
	assert_true(json_utf8_valid("\xed\x9f\xbf", 3));      /* U+D7FF */
	assert_false(json_utf8_valid("\x80", 1));
	assert_false(json_utf8_valid("\xc3", 1));               /* cut short */
	assert_false(json_utf8_valid("\xe2\x82\xac", 2));      /* len cuts it */
	assert_false(json_utf8_valid("\xc1\xbf", 2));           /* overlong */
	assert_false(json_utf8_valid("\xe0\x9f\xbf", 3));      /* overlong */
	assert_false(json_utf8_valid("\xf0\x8f\xbf\xbf", 4));  /* overlong */
	assert_false(json_utf8_valid("\xed\xa0\x80", 3));      /* surrogate */
	assert_false(json_utf8_valid("\xf4\x90\x80\x80", 4));  /* > U+10FFFF */
	assert_false(json_utf8_valid("\xf5\x80\x80\x80", 4));
	assert_false(json_utf8_valid("a\xff" "b", 3));
}

static void
json_escape_count_matches_output(void **state)
{
	static const char s[] = "x\"\\\n\x01\xc3\xa9\xff";
	char buf[64];
	size_t n;

	memset(buf, '#', sizeof(buf));
	n = json_escape(NULL, s);
	assert_int_equal(json_escape(buf, s), n);
	assert_int_equal(buf[n], '#');  /* nothing written past the count */
	assert_memory_equal(buf, "x\\\"\\\\\\n\\u0001\xc3\xa9" R, n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pxp_blocking_request_parsed),
		cmocka_unit_test(pxp_non_blocking_request_parsed),
		cmocka_unit_test(pxp_request_errors),
		cmocka_unit_test(pxp_message_types),
		cmocka_unit_test(pxp_builders_exact_text),
		cmocka_unit_test(pxp_builders_escape_round_trip),
		cmocka_unit_test(json_quote_escapes),
		cmocka_unit_test(json_quote_invalid_utf8_replaced),
		cmocka_unit_test(json_utf8_valid_checks),
		cmocka_unit_test(json_escape_count_matches_output),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
