/* test_codec_v2.c: PCP v2 JSON codec (agent/codec_v2.c): the exchange
 * from broker-observed.md, round trips, the spliced data text, and bad
 * input (not JSON, not an object, wrong field types, trailing bytes). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pcp/codec.h"

static void
decode_str(const char *s, struct pcp_msg *m)
{
	const char *err = "unset";

	if (pcp_v2_decode(s, strlen(s), m, &err) != 0)
		fail_msg("decode failed: %s", err);
}

static void
decode_fails(const char *s, const char *want)
{
	struct pcp_msg m, zero;
	const char *err = NULL;

	memset(&m, 0xAB, sizeof(m));
	memset(&zero, 0, sizeof(zero));
	assert_int_equal(pcp_v2_decode(s, strlen(s), &m, &err), -1);
	assert_non_null(err);
	assert_string_equal(err, want);
	assert_memory_equal(&m, &zero, sizeof(m));
}

/* Encodes o with no headroom and returns the text, NUL-terminated. */
static char *
encode_str(const struct pcp_out *o)
{
	uint8_t *buf;
	size_t len;
	char *s;

	assert_int_equal(pcp_v2_encode(o, 0, &buf, &len), 0);
	s = malloc(len + 1);
	assert_non_null(s);
	memcpy(s, buf, len);
	s[len] = '\0';
	free(buf);
	return s;
}

/* broker-observed.md: the controller's request as the agent receives it. */
static void
v2_decode_broker_example(void **state)
{
	static const char in[] =
	    "{\"id\":\"4655b1e9-0000\",\"message_type\":"
	    "\"http://puppetlabs.com/rpc_blocking_request\",\n"
	    "   \"target\":\"pcp://agent01.example/agent\",\n"
	    "   \"data\":{\"transaction_id\":\"abc-123\",\"module\":\"echo\","
	    "\"action\":\"echo\",\n"
	    "           \"params\":{\"argument\":\"hello from controller\"}},"
	    "\"sender\":\"pcp://controller.example/controller\"}\n";
	struct pcp_msg m;
	const cJSON *params;

	decode_str(in, &m);
	assert_string_equal(m.id, "4655b1e9-0000");
	assert_string_equal(pcp_type_name(m.message_type), "rpc_blocking_request");
	assert_string_equal(m.target, "pcp://agent01.example/agent");
	assert_string_equal(m.sender, "pcp://controller.example/controller");
	assert_null(m.in_reply_to);
	assert_null(m.targets);
	assert_null(m.expires);
	assert_null(m.debug);
	assert_true(m.has_data);
	params = cJSON_GetObjectItem(m.data, "params");
	assert_string_equal(cJSON_GetObjectItem(params, "argument")->valuestring,
	    "hello from controller");
	assert_string_equal(m.data_raw, "{\"transaction_id\":\"abc-123\","
	    "\"module\":\"echo\",\"action\":\"echo\","
	    "\"params\":{\"argument\":\"hello from controller\"}}");
	assert_int_equal(m.data_len, strlen(m.data_raw));
	pcp_msg_clear(&m);
}

/* broker-observed.md: the agent's reply, field for field. */
static void
v2_encode_broker_example_reply(void **state)
{
	static const char results[] =
	    "{\"transaction_id\":\"abc-123\",\"results\":"
	    "{\"outcome\":\"hello from controller\"}}";
	struct pcp_out o = {
		.id = "c234f745-0000",
		.message_type = PCP_NS "rpc_blocking_response",
		.target = "pcp://controller.example/controller",
		.sender = "pcp://agent01.example/agent",
		.in_reply_to = "4655b1e9-0000",
		.expires = "ignored by v2", .destination_report = true,
		.data_json = results, .data_len = strlen(results),
	};
	char *s = encode_str(&o);

	assert_string_equal(s, "{\"id\":\"c234f745-0000\",\"message_type\":"
	    "\"http://puppetlabs.com/rpc_blocking_response\","
	    "\"target\":\"pcp://controller.example/controller\","
	    "\"sender\":\"pcp://agent01.example/agent\","
	    "\"in_reply_to\":\"4655b1e9-0000\",\"data\":" "{\"transaction_id\":"
	    "\"abc-123\",\"results\":{\"outcome\":\"hello from controller\"}}}");
	free(s);
}

static void
v2_encode_optional_keys_omitted(void **state)
{
	struct pcp_out o = { .id = "i", .message_type = "t" };
	char *s = encode_str(&o);

	assert_string_equal(s, "{\"id\":\"i\",\"message_type\":\"t\"}");
	free(s);
}

/* The data text is spliced in as given, never re-parsed or re-printed. */
static void
v2_encode_data_spliced_verbatim(void **state)
{
	static const char data[] = "{ \"x\" :\t[1, 2.50, \"\\u00e9\"] }";
	struct pcp_out o = { .id = "i", .message_type = "t", .data_json = data };
	struct pcp_msg m;
	uint8_t *buf;
	size_t len;
	char *s = encode_str(&o);   /* data_len 0: strlen */

	assert_non_null(strstr(s, ",\"data\":" "{ \"x\" :\t[1, 2.50, \"\\u00e9\"] }}"));
	free(s);
	o.data_json = "\"Not connected.\"";
	s = encode_str(&o);
	assert_string_equal(s, "{\"id\":\"i\",\"message_type\":\"t\","
	    "\"data\":\"Not connected.\"}");
	free(s);
	/* headroom: the message starts after it */
	assert_int_equal(pcp_v2_encode(&o, 10, &buf, &len), 0);
	assert_int_equal(buf[10], '{');
	assert_int_equal(pcp_v2_decode(buf + 10, len, &m, &(const char *){ NULL }), 0);
	assert_string_equal(cJSON_GetStringValue(m.data), "Not connected.");
	pcp_msg_clear(&m);
	free(buf);
}

static void
v2_encode_rejects_missing_fields(void **state)
{
	struct pcp_out o = { .message_type = "t" };
	uint8_t *buf = (uint8_t *)"x";
	size_t len = 3;

	assert_int_equal(pcp_v2_encode(&o, 0, &buf, &len), -1);
	assert_null(buf);
	assert_int_equal(len, 0);
	o.id = "i";
	o.message_type = NULL;
	assert_int_equal(pcp_v2_encode(&o, 0, &buf, &len), -1);
	assert_int_equal(pcp_v2_encode(NULL, 0, &buf, &len), -1);
}

static void
v2_round_trip(void **state)
{
	static const char data[] = "{\"transaction_id\":\"t\\\"1\",\"results\":"
	    "{\"a\":[true,null,{\"b\":\"\xc3\xa9\xe2\x9c\x93\"}]}}";
	struct pcp_out o = {
		.id = "id \"quoted\" \\ \x01", .message_type = PCP_NS "rpc_error_message",
		.target = "pcp://c/controller", .sender = "pcp://a/agent",
		.in_reply_to = "req", .data_json = data, .data_len = strlen(data),
	};
	cJSON *want = cJSON_Parse(data);
	struct pcp_msg m;
	const char *err;
	uint8_t *buf;
	size_t len;

	assert_int_equal(pcp_v2_encode(&o, 0, &buf, &len), 0);
	assert_int_equal(pcp_v2_decode(buf, len, &m, &err), 0);
	assert_string_equal(m.id, o.id);
	assert_string_equal(m.message_type, o.message_type);
	assert_string_equal(m.target, o.target);
	assert_string_equal(m.sender, o.sender);
	assert_string_equal(m.in_reply_to, o.in_reply_to);
	assert_true(cJSON_Compare(m.data, want, 1));
	pcp_msg_clear(&m);
	cJSON_Delete(want);
	free(buf);
}

static void
v2_data_any_json_type(void **state)
{
	static const struct {
		const char *in, *raw;
	} cases[] = {
		{ "{\"id\":\"i\",\"message_type\":\"t\",\"data\":\"desc\"}", "\"desc\"" },
		{ "{\"id\":\"i\",\"message_type\":\"t\",\"data\":null}", "null" },
		{ "{\"id\":\"i\",\"message_type\":\"t\",\"data\":[1, 2]}", "[1,2]" },
		{ "{\"id\":\"i\",\"message_type\":\"t\",\"data\":42}", "42" },
		{ "{\"id\":\"i\",\"message_type\":\"t\",\"data\":{ }}", "{}" },
	};
	struct pcp_msg m;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		decode_str(cases[i].in, &m);
		assert_true(m.has_data);
		assert_non_null(m.data);
		assert_string_equal(m.data_raw, cases[i].raw);
		assert_int_equal(m.data_len, strlen(cases[i].raw));
		pcp_msg_clear(&m);
	}
	decode_str("{\"id\":\"i\",\"message_type\":\"t\",\"unknown\":{\"x\":1}}", &m);
	assert_false(m.has_data);
	assert_null(m.data);
	assert_null(m.data_raw);
	assert_null(m.target);
	assert_null(m.sender);
	pcp_msg_clear(&m);
}

static void
v2_bad_input_rejected(void **state)
{
	decode_fails("", "message is not valid JSON");
	decode_fails("{", "message is not valid JSON");
	decode_fails("{\"id\":\"i\",\"message_type\":\"t\"} x", "message is not valid JSON");
	decode_fails("{\"id\":\"i\",\"message_type\":\"t\"}{}", "message is not valid JSON");
	decode_fails("[{\"id\":\"i\",\"message_type\":\"t\"}]", "message is not a JSON object");
	decode_fails("\"id\"", "message is not a JSON object");
	decode_fails("17", "message is not a JSON object");
	decode_fails("null", "message is not a JSON object");
	decode_fails("{\"message_type\":\"t\"}", "id missing or not a string");
	decode_fails("{\"id\":1,\"message_type\":\"t\"}", "id missing or not a string");
	decode_fails("{\"id\":\"i\"}", "message_type missing or not a string");
	decode_fails("{\"id\":\"i\",\"message_type\":[]}",
	    "message_type missing or not a string");
	decode_fails("{\"id\":\"i\",\"message_type\":\"t\",\"target\":1}",
	    "target is not a string");
	decode_fails("{\"id\":\"i\",\"message_type\":\"t\",\"target\":[\"pcp://a/b\"]}",
	    "target is not a string");
	decode_fails("{\"id\":\"i\",\"message_type\":\"t\",\"sender\":{}}",
	    "sender is not a string");
	decode_fails("{\"id\":\"i\",\"message_type\":\"t\",\"in_reply_to\":null}",
	    "in_reply_to is not a string");
}

static void
v2_whitespace_around_object_accepted(void **state)
{
	struct pcp_msg m;
	const char *err;
	/* not NUL-terminated: the length bounds the parse */
	static const char in[] = " \r\n{\"id\":\"i\",\"message_type\":\"t\"}\t \n"
	    "GARBAGE";

	assert_int_equal(pcp_v2_decode(in, strlen(in) - 7, &m, &err), 0);
	assert_string_equal(m.id, "i");
	pcp_msg_clear(&m);
	assert_int_equal(pcp_v2_decode(in, strlen(in), &m, &err), -1);
	assert_int_equal(pcp_v2_decode(NULL, 0, &m, &err), -1);
}

static void
v2_large_payload_round_trip(void **state)
{
	const size_t n = 8u << 20;
	char *data = malloc(n + 32);
	struct pcp_out o = { .id = "big", .message_type = PCP_NS "rpc_blocking_response",
		.target = "pcp://c/controller", .data_json = data };
	struct pcp_msg m;
	const char *err;
	uint8_t *buf;
	size_t len;

	assert_non_null(data);
	strcpy(data, "{\"blob\":\"");
	memset(data + 9, 'z', n);
	strcpy(data + 9 + n, "\"}");
	o.data_len = strlen(data);
	assert_int_equal(pcp_v2_encode(&o, 16, &buf, &len), 0);
	assert_int_equal(pcp_v2_decode(buf + 16, len, &m, &err), 0);
	assert_string_equal(m.id, "big");
	assert_int_equal(m.data_len, o.data_len);
	assert_string_equal(m.data_raw, data);
	assert_int_equal(strlen(cJSON_GetObjectItem(m.data, "blob")->valuestring), n);
	pcp_msg_clear(&m);
	free(buf);
	free(data);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(v2_decode_broker_example),
		cmocka_unit_test(v2_encode_broker_example_reply),
		cmocka_unit_test(v2_encode_optional_keys_omitted),
		cmocka_unit_test(v2_encode_data_spliced_verbatim),
		cmocka_unit_test(v2_encode_rejects_missing_fields),
		cmocka_unit_test(v2_round_trip),
		cmocka_unit_test(v2_data_any_json_type),
		cmocka_unit_test(v2_bad_input_rejected),
		cmocka_unit_test(v2_whitespace_around_object_accepted),
		cmocka_unit_test(v2_large_payload_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
