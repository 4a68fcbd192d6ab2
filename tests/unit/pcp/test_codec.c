/* test_codec.c: PCP v1 binary codec (agent/pcp/codec_v1.c) and the shared
 * helpers in agent/pcp/codec.c: the wire examples from pcp.md and
 * broker-observed.md, round trips, and every malformed-frame rule of
 * pcp.md §3. The v2 JSON codec is in test_codec_v2.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pcp/codec.h"

#define UUID "5e4b3c2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a"
#define ENV_OK "{\"id\":\"" UUID "\",\"message_type\":\"" PCP_NS \
	"rpc_blocking_request\",\"expires\":\"" PCP_EPOCH_EXPIRES "\"," \
	"\"targets\":[\"pcp://agent01.example.com/agent\"]," \
	"\"sender\":\"pcp://controller.example.com/orchestrator\"}"
#define DATA_OK "{\"transaction_id\":\"abc-123\",\"module\":\"echo\"," \
	"\"action\":\"echo\",\"params\":{\"argument\":\"hi\"}}"
#define DEBUG_OK "{\"hops\":[{\"server\":\"pcp://broker.example.com/server\"," \
	"\"stage\":\"accepted\",\"time\":\"2016-02-19T10:09:18.283Z\"}]}"

/* ---- a frame builder, so each malformed case reads as its layout ---- */

struct frame {
	uint8_t *b;
	size_t len;
};

static void
frame_raw(struct frame *f, const void *p, size_t n)
{
	f->b = realloc(f->b, f->len + n + 1);
	assert_non_null(f->b);
	if (n > 0)
		memcpy(f->b + f->len, p, n);
	f->len += n;
}

static void
frame_byte(struct frame *f, uint8_t c)
{
	frame_raw(f, &c, 1);
}

/* A chunk whose header declares `declared` bytes but carries `n`. */
static void
frame_chunk_sized(struct frame *f, uint8_t desc, uint32_t declared,
    const void *p, size_t n)
{
	uint8_t h[5] = { desc, (uint8_t)(declared >> 24),
		(uint8_t)(declared >> 16), (uint8_t)(declared >> 8),
		(uint8_t)declared };

	frame_raw(f, h, 5);
	frame_raw(f, p, n);
}

static void
frame_chunk(struct frame *f, uint8_t desc, const char *s)
{
	frame_chunk_sized(f, desc, (uint32_t)strlen(s), s, strlen(s));
}

/* version 1 + envelope chunk: the start of most frames below. */
static struct frame
frame_with_envelope(const char *env)
{
	struct frame f = { NULL, 0 };

	frame_byte(&f, 0x01);
	frame_chunk(&f, PCP_CHUNK_ENVELOPE, env);
	return f;
}

static void
decode_ok(const struct frame *f, struct pcp_msg *m)
{
	const char *err = "unset";
	int rc = pcp_v1_decode(f->b, f->len, m, &err);

	if (rc != 0)
		fail_msg("decode failed: %s", err);
}

/* Decodes, expects failure with exactly `want`, and a cleared message. */
static void
decode_fails(const struct frame *f, const char *want)
{
	struct pcp_msg m, zero;
	const char *err = NULL;

	memset(&m, 0xAB, sizeof(m));
	memset(&zero, 0, sizeof(zero));
	assert_int_equal(pcp_v1_decode(f->b, f->len, &m, &err), -1);
	assert_non_null(err);
	assert_string_equal(err, want);
	assert_memory_equal(&m, &zero, sizeof(m));
}

static void
envelope_fails(const char *env, const char *want)
{
	struct frame f = frame_with_envelope(env);

	decode_fails(&f, want);
	free(f.b);
}

/* ---- examples from the spec files ---- */

/* pcp.md §3: 01 | 01 000000B4 <180 bytes> | 02 0000002A <42 bytes> */
static void
v1_decode_pcp_md_example(void **state)
{
	static const char env[] = "{\"id\":\"0123456789abcdef012345678\","
	    "\"message_type\":\"http://puppetlabs.com/rpc_blocking_request\","
	    "\"expires\":\"1970-01-01T00:00:00.000Z\","
	    "\"targets\":[\"pcp://a/agent\"],\"sender\":\"pcp://c/c\"}";
	static const char data[] = "{\"module\":\"echo\",\"action\":\"echo\",\"x\":1234}";
	struct frame f = { NULL, 0 };
	struct pcp_msg m;

	assert_int_equal(strlen(env), 0xB4);
	assert_int_equal(strlen(data), 0x2A);
	frame_raw(&f, "\x01\x01\x00\x00\x00\xB4", 6);
	frame_raw(&f, env, strlen(env));
	frame_raw(&f, "\x02\x00\x00\x00\x2A", 5);
	frame_raw(&f, data, strlen(data));
	decode_ok(&f, &m);
	assert_string_equal(m.id, "0123456789abcdef012345678");
	assert_string_equal(m.message_type, PCP_NS "rpc_blocking_request");
	assert_string_equal(m.target, "pcp://a/agent");
	assert_string_equal(m.sender, "pcp://c/c");
	assert_true(m.has_data);
	assert_int_equal(m.data_len, 42);
	assert_string_equal(m.data_raw, data);
	assert_int_equal(cJSON_GetObjectItem(m.data, "x")->valueint, 1234);
	assert_null(m.debug);
	assert_int_equal(m.bad_debug, 0);
	assert_int_equal(m.trailing, 0);
	pcp_msg_clear(&m);
	free(f.b);
}

/* broker-observed.md: response 01 01 000000cf {envelope, sender
 * pcp:///server, expires 1970} 02 0000003c {"id":..,"success":true} */
static void
v1_decode_broker_associate_response(void **state)
{
	static const char env[] = "{\"id\":\"" UUID "\",\"message_type\":"
	    "\"http://puppetlabs.com/associate_response\",\"expires\":"
	    "\"1970-01-01T00:00:00.000Z\",\"targets\":"
	    "[\"pcp://agent01.example/agent\"],\"sender\":\"pcp:///server\"}";
	static const char data[] = "{\"id\":\"" UUID "\",\"success\":true}";
	struct frame f = { NULL, 0 };
	struct pcp_msg m;

	assert_int_equal(strlen(env), 0xcf);
	assert_int_equal(strlen(data), 0x3c);
	frame_raw(&f, "\x01\x01\x00\x00\x00\xcf", 6);
	frame_raw(&f, env, strlen(env));
	frame_raw(&f, "\x02\x00\x00\x00\x3c", 5);
	frame_raw(&f, data, strlen(data));
	decode_ok(&f, &m);
	assert_string_equal(pcp_type_name(m.message_type), "associate_response");
	assert_string_equal(m.sender, PCP_SERVER_URI);
	/* Expired since 1970 and still accepted: the broker stamps every v1
	 * message so and never enforces it. */
	assert_string_equal(m.expires, PCP_EPOCH_EXPIRES);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(m.data, "success")));
	assert_string_equal(cJSON_GetObjectItem(m.data, "id")->valuestring, UUID);
	pcp_msg_clear(&m);
	free(f.b);
}

/* broker-observed.md: request 01 01 000000d7 {envelope}, no data chunk. */
static void
v1_encode_associate_request_has_no_data_chunk(void **state)
{
	struct pcp_out o = {
		.id = UUID,
		.message_type = PCP_NS "associate_request",
		.sender = "pcp://agent-0001.example.local/agent",
		.expires = "2016-02-19T10:09:18.283Z",
	};
	struct pcp_msg m;
	const char *err;
	uint8_t *buf;
	size_t len;

	assert_int_equal(pcp_v1_encode(&o, 0, &buf, &len), 0);
	assert_int_equal(len, 6 + 0xd7);
	assert_memory_equal(buf, "\x01\x01\x00\x00\x00\xd7", 6);
	assert_int_equal(pcp_v1_decode(buf, len, &m, &err), 0);
	assert_false(m.has_data);
	assert_null(m.data_raw);
	assert_string_equal(m.target, PCP_SERVER_URI);
	assert_int_equal(cJSON_GetArraySize(m.targets), 1);
	assert_false(m.destination_report);
	assert_null(m.in_reply_to);
	pcp_msg_clear(&m);
	free(buf);
}

/* The broker sets the hyphenated in-reply-to on v1 messages. */
/* memmem is a GNU extension (mingw has none). */
static const void *
test_memmem(const void *hay, size_t hlen, const void *needle, size_t nlen)
{
	const char *h = hay;
	size_t i;

	for (i = 0; nlen <= hlen && i <= hlen - nlen; i++)
		if (memcmp(h + i, needle, nlen) == 0)
			return h + i;
	return NULL;
}

static void
v1_in_reply_to_hyphenated_both_ways(void **state)
{
	struct frame f = frame_with_envelope("{\"id\":\"i\",\"message_type\":\"t\","
	    "\"expires\":\"x\",\"targets\":[],\"sender\":\"pcp:///server\","
	    "\"in-reply-to\":\"req-1\",\"in_reply_to\":\"ignored\"}");
	struct pcp_out o = { .id = "i", .message_type = "t", .sender = "s",
		.expires = "e", .in_reply_to = "req-2" };
	struct pcp_msg m;
	uint8_t *buf;
	size_t len;

	decode_ok(&f, &m);
	assert_string_equal(m.in_reply_to, "req-1");
	/* targets [] is what the broker sends for broker-addressed messages */
	assert_null(m.target);
	assert_int_equal(cJSON_GetArraySize(m.targets), 0);
	pcp_msg_clear(&m);
	free(f.b);

	assert_int_equal(pcp_v1_encode(&o, 0, &buf, &len), 0);
	assert_non_null(test_memmem(buf, len, "\"in-reply-to\":\"req-2\"", 21));
	assert_null(test_memmem(buf, len, "in_reply_to", 11));
	free(buf);
}

/* ---- round trips and the encoder's output shape ---- */

static void
v1_round_trip_all_fields(void **state)
{
	cJSON *debug = cJSON_CreateArray();
	struct pcp_out o = {
		.id = UUID, .message_type = PCP_NS "rpc_blocking_response",
		.sender = "pcp://agent01.example.com/agent",
		.target = "pcp://controller.example.com/orchestrator",
		.in_reply_to = "req-9", .expires = "2016-02-19T10:09:18.283Z",
		.destination_report = true, .data_json = DATA_OK,
		.data_len = strlen(DATA_OK),
	};
	struct pcp_msg m;
	const char *err;
	uint8_t *buf;
	size_t len;

	cJSON_AddItemToArray(debug, cJSON_Parse(DEBUG_OK));
	cJSON_AddItemToArray(debug, cJSON_Parse(DEBUG_OK));
	o.debug = debug;
	assert_int_equal(pcp_v1_encode(&o, 0, &buf, &len), 0);
	assert_int_equal(pcp_v1_decode(buf, len, &m, &err), 0);
	assert_string_equal(m.id, o.id);
	assert_string_equal(m.message_type, o.message_type);
	assert_string_equal(m.sender, o.sender);
	assert_string_equal(m.target, o.target);
	assert_string_equal(m.in_reply_to, o.in_reply_to);
	assert_string_equal(m.expires, o.expires);
	assert_true(m.destination_report);
	assert_string_equal(m.data_raw, DATA_OK);
	assert_int_equal(m.data_len, strlen(DATA_OK));
	assert_string_equal(cJSON_GetObjectItem(m.data, "transaction_id")->valuestring,
	    "abc-123");
	/* each debug element went out as its own chunk */
	assert_int_equal(cJSON_GetArraySize(m.debug), 2);
	assert_true(cJSON_Compare(cJSON_GetArrayItem(m.debug, 1),
	    cJSON_GetArrayItem(debug, 1), 1));
	assert_int_equal(m.bad_debug, 0);
	pcp_msg_clear(&m);
	free(buf);
	cJSON_Delete(debug);
}

static void
v1_encode_layout_and_headroom(void **state)
{
	static const char dbg[] = "{\"hops\":[]}";
	cJSON *debug = cJSON_CreateArray();
	struct pcp_out o = { .id = "i", .message_type = "t", .sender = "s",
		.expires = "e", .data_json = "{}" /* data_len 0: strlen */ };
	struct pcp_msg m;
	const char *err;
	uint8_t *buf, *p;
	size_t len, env_len;

	cJSON_AddItemToArray(debug, cJSON_Parse(dbg));
	o.debug = debug;
	assert_int_equal(pcp_v1_encode(&o, 16, &buf, &len), 0);
	p = buf + 16;
	assert_int_equal(p[0], 0x01);
	assert_int_equal(p[1], PCP_CHUNK_ENVELOPE);
	env_len = (size_t)p[2] << 24 | (size_t)p[3] << 16 | p[4] << 8 | p[5];
	/* destination_report and in-reply-to only appear when set */
	assert_null(test_memmem(p + 6, env_len, "destination_report", 18));
	assert_null(test_memmem(p + 6, env_len, "in-reply-to", 11));
	assert_non_null(test_memmem(p + 6, env_len, "\"targets\":[\"pcp:///server\"]", 27));
	p += 6 + env_len;
	assert_memory_equal(p, "\x02\x00\x00\x00\x02{}", 7);
	p += 7;
	assert_memory_equal(p, "\x03\x00\x00\x00\x0b", 5);
	assert_memory_equal(p + 5, dbg, strlen(dbg));
	assert_int_equal(len, 6 + env_len + 7 + 5 + strlen(dbg));
	assert_int_equal(pcp_v1_decode(buf + 16, len, &m, &err), 0);
	assert_int_equal(cJSON_GetArraySize(m.debug), 1);
	pcp_msg_clear(&m);
	free(buf);
	cJSON_Delete(debug);
}

static void
v1_encode_rejects_missing_fields(void **state)
{
	const struct pcp_out full = { .id = "i", .message_type = "t",
		.sender = "s", .expires = "e" };
	struct pcp_out o;
	cJSON *notarray = cJSON_CreateObject();
	uint8_t *buf = (uint8_t *)"x";
	size_t len = 7;

	o = full; o.id = NULL;
	assert_int_equal(pcp_v1_encode(&o, 0, &buf, &len), -1);
	assert_null(buf);
	assert_int_equal(len, 0);
	o = full; o.message_type = NULL;
	assert_int_equal(pcp_v1_encode(&o, 0, &buf, &len), -1);
	o = full; o.sender = NULL;
	assert_int_equal(pcp_v1_encode(&o, 0, &buf, &len), -1);
	o = full; o.expires = NULL;
	assert_int_equal(pcp_v1_encode(&o, 0, &buf, &len), -1);
	o = full; o.debug = notarray;
	assert_int_equal(pcp_v1_encode(&o, 0, &buf, &len), -1);
	assert_int_equal(pcp_v1_encode(NULL, 0, &buf, &len), -1);
	o = full;
	assert_int_equal(pcp_v1_encode(&o, 0, &buf, &len), 0);
	free(buf);
	cJSON_Delete(notarray);
}

static void
v1_large_payload_round_trip(void **state)
{
	const size_t n = 8u << 20;
	char *data = malloc(n + 32);
	struct pcp_out o = { .id = "big", .message_type = PCP_NS "rpc_blocking_response",
		.sender = "s", .expires = "e", .data_json = data };
	struct pcp_msg m;
	const char *err;
	uint8_t *buf;
	size_t len;

	assert_non_null(data);
	strcpy(data, "{\"blob\":\"");
	memset(data + 9, 'a', n);
	strcpy(data + 9 + n, "\"}");
	o.data_len = strlen(data);
	assert_int_equal(pcp_v1_encode(&o, 0, &buf, &len), 0);
	assert_int_equal(pcp_v1_decode(buf, len, &m, &err), 0);
	assert_int_equal(m.data_len, o.data_len);
	assert_memory_equal(m.data_raw, data, o.data_len);
	assert_int_equal(strlen(cJSON_GetObjectItem(m.data, "blob")->valuestring), n);
	pcp_msg_clear(&m);
	free(buf);
	free(data);
}

/* ---- the envelope ---- */

static void
v1_envelope_fields_validated(void **state)
{
	envelope_fails("not json", "envelope is not valid JSON");
	envelope_fails("", "envelope is not valid JSON");
	envelope_fails("[1,2]", "envelope is not a JSON object");
	envelope_fails("{\"id\":\"i\"} x", "envelope is not valid JSON");
	envelope_fails("{\"message_type\":\"t\",\"expires\":\"e\",\"targets\":[],"
	    "\"sender\":\"s\"}", "envelope: id missing or not a string");
	envelope_fails("{\"id\":7,\"message_type\":\"t\",\"expires\":\"e\","
	    "\"targets\":[],\"sender\":\"s\"}", "envelope: id missing or not a string");
	envelope_fails("{\"id\":\"i\",\"expires\":\"e\",\"targets\":[],"
	    "\"sender\":\"s\"}", "envelope: message_type missing or not a string");
	envelope_fails("{\"id\":\"i\",\"message_type\":\"t\",\"targets\":[],"
	    "\"sender\":\"s\"}", "envelope: expires missing or not a string");
	envelope_fails("{\"id\":\"i\",\"message_type\":\"t\",\"expires\":null,"
	    "\"targets\":[],\"sender\":\"s\"}", "envelope: expires missing or not a string");
	envelope_fails("{\"id\":\"i\",\"message_type\":\"t\",\"expires\":\"e\","
	    "\"sender\":\"s\"}", "envelope: targets missing or not an array");
	envelope_fails("{\"id\":\"i\",\"message_type\":\"t\",\"expires\":\"e\","
	    "\"targets\":\"pcp://a/b\",\"sender\":\"s\"}",
	    "envelope: targets missing or not an array");
	envelope_fails("{\"id\":\"i\",\"message_type\":\"t\",\"expires\":\"e\","
	    "\"targets\":[\"pcp://a/b\",1],\"sender\":\"s\"}",
	    "envelope: targets must hold strings");
	envelope_fails("{\"id\":\"i\",\"message_type\":\"t\",\"expires\":\"e\","
	    "\"targets\":[]}", "envelope: sender missing or not a string");
	envelope_fails("{\"id\":\"i\",\"message_type\":\"t\",\"expires\":\"e\","
	    "\"targets\":[],\"sender\":\"s\",\"destination_report\":\"yes\"}",
	    "envelope: destination_report is not a boolean");
	envelope_fails("{\"id\":\"i\",\"message_type\":\"t\",\"expires\":\"e\","
	    "\"targets\":[],\"sender\":\"s\",\"in-reply-to\":5}",
	    "envelope: in-reply-to is not a string");
}

static void
v1_envelope_unknown_keys_and_past_expiry_accepted(void **state)
{
	struct frame f = frame_with_envelope("{\"id\":\"i\",\"message_type\":\"t\","
	    "\"expires\":\"2001-01-01T00:00:00Z\",\"targets\":[\"pcp://a/b\"],"
	    "\"sender\":\"s\",\"destination_report\":false,\"extra\":{\"k\":[1]}}");
	struct pcp_msg m;

	decode_ok(&f, &m);
	assert_string_equal(m.expires, "2001-01-01T00:00:00Z");
	assert_false(m.destination_report);
	assert_false(m.has_data);
	pcp_msg_clear(&m);
	free(f.b);
}

/* ---- framing errors ---- */

static void
v1_short_messages_rejected(void **state)
{
	static const uint8_t b[] = { 0x01, 0x01, 0x00, 0x00, 0x00 };
	struct pcp_msg m;
	const char *err;
	size_t n;

	for (n = 0; n <= sizeof(b); n++) {
		assert_int_equal(pcp_v1_decode(b, n, &m, &err), -1);
		assert_string_equal(err, "message too short");
	}
	assert_int_equal(pcp_v1_decode(NULL, 0, &m, &err), -1);
}

static void
v1_version_byte_checked(void **state)
{
	struct frame f = frame_with_envelope(ENV_OK);

	f.b[0] = 0x02;
	decode_fails(&f, "unsupported message version");
	f.b[0] = 0x00;
	decode_fails(&f, "unsupported message version");
	f.b[0] = 0x81;
	decode_fails(&f, "unsupported message version");
	free(f.b);
}

static void
v1_descriptor_high_bits_masked(void **state)
{
	struct frame f = { NULL, 0 };
	struct pcp_msg m;

	frame_byte(&f, 0x01);
	frame_chunk(&f, 0xF1, ENV_OK);
	frame_chunk(&f, 0x72, DATA_OK);
	frame_chunk(&f, 0xA3, DEBUG_OK);
	decode_ok(&f, &m);
	assert_true(m.has_data);
	assert_non_null(m.data);
	assert_int_equal(cJSON_GetArraySize(m.debug), 1);
	pcp_msg_clear(&m);
	free(f.b);
}

static void
v1_unknown_descriptor_rejected(void **state)
{
	struct frame f = frame_with_envelope(ENV_OK);
	struct frame g = frame_with_envelope(ENV_OK);
	struct frame h = frame_with_envelope(ENV_OK);

	frame_chunk(&f, 0x07, "{}");
	decode_fails(&f, "unknown chunk descriptor 7");
	frame_chunk(&g, 0x10, "{}");      /* low bits 0 */
	decode_fails(&g, "unknown chunk descriptor 0");
	frame_chunk(&h, PCP_CHUNK_DATA, DATA_OK);
	frame_chunk(&h, 0x0F, "{}");
	decode_fails(&h, "unknown chunk descriptor 15");
	free(f.b);
	free(g.b);
	free(h.b);
}

static void
v1_envelope_must_come_first_and_once(void **state)
{
	struct frame f = { NULL, 0 };
	struct frame g = frame_with_envelope(ENV_OK);
	struct frame h = { NULL, 0 };

	frame_byte(&f, 0x01);
	frame_chunk(&f, PCP_CHUNK_DATA, DATA_OK);
	frame_chunk(&f, PCP_CHUNK_ENVELOPE, ENV_OK);
	decode_fails(&f, "first chunk is not an envelope");
	frame_chunk(&g, PCP_CHUNK_ENVELOPE, ENV_OK);
	decode_fails(&g, "more than one envelope chunk");
	frame_byte(&h, 0x01);
	frame_chunk(&h, PCP_CHUNK_DEBUG, DEBUG_OK);
	decode_fails(&h, "first chunk is not an envelope");
	free(f.b);
	free(g.b);
	free(h.b);
}

static void
v1_data_chunk_rules(void **state)
{
	struct frame two = frame_with_envelope(ENV_OK);
	struct frame late = frame_with_envelope(ENV_OK);

	frame_chunk(&two, PCP_CHUNK_DATA, DATA_OK);
	frame_chunk(&two, PCP_CHUNK_DATA, DATA_OK);
	decode_fails(&two, "more than one data chunk");
	frame_chunk(&late, PCP_CHUNK_DEBUG, DEBUG_OK);
	frame_chunk(&late, PCP_CHUNK_DATA, DATA_OK);
	decode_fails(&late, "data chunk after a debug chunk");
	free(two.b);
	free(late.b);
}

static void
v1_declared_size_past_end_rejected(void **state)
{
	struct frame f = { NULL, 0 };
	struct frame g = { NULL, 0 };
	struct frame h = frame_with_envelope(ENV_OK);
	struct frame k = frame_with_envelope(ENV_OK);

	frame_byte(&f, 0x01);
	frame_chunk_sized(&f, PCP_CHUNK_ENVELOPE, (uint32_t)strlen(ENV_OK) + 1,
	    ENV_OK, strlen(ENV_OK));
	decode_fails(&f, "envelope chunk size exceeds the message");
	frame_byte(&g, 0x01);
	frame_chunk_sized(&g, PCP_CHUNK_ENVELOPE, 0xFFFFFFFFu, ENV_OK, strlen(ENV_OK));
	decode_fails(&g, "envelope chunk size exceeds the message");
	frame_chunk_sized(&h, PCP_CHUNK_DATA, 0xFFFFFFFFu, DATA_OK, strlen(DATA_OK));
	decode_fails(&h, "chunk size exceeds the message");
	frame_chunk_sized(&k, PCP_CHUNK_DEBUG, 0x80000000u, "{}", 2);
	decode_fails(&k, "chunk size exceeds the message");
	free(f.b);
	free(g.b);
	free(h.b);
	free(k.b);
}

static void
v1_trailing_garbage_up_to_five_bytes_ignored(void **state)
{
	/* The last case is a complete empty data chunk header: too short to
	 * count as a chunk, so it is garbage, as in the reference client. */
	static const char *const tails[] = { "\x00", "\xff\xff", "abc",
		"\x02\x00\x00\x00", "\x02\x00\x00\x00\x00" };
	static const size_t tail_len[] = { 1, 2, 3, 4, 5 };
	struct pcp_msg m;
	size_t i;

	for (i = 0; i < 5; i++) {
		struct frame f = frame_with_envelope(ENV_OK);

		frame_chunk(&f, PCP_CHUNK_DATA, DATA_OK);
		frame_raw(&f, tails[i], tail_len[i]);
		decode_ok(&f, &m);
		assert_int_equal(m.trailing, tail_len[i]);
		assert_non_null(m.data);
		pcp_msg_clear(&m);
		free(f.b);
	}
}

static void
v1_trailing_garbage_of_six_bytes_rejected(void **state)
{
	struct frame f = frame_with_envelope(ENV_OK);
	struct frame g = frame_with_envelope(ENV_OK);

	frame_raw(&f, "\x00\x00\x00\x00\x00\x00", 6);
	decode_fails(&f, "unknown chunk descriptor 0");
	frame_raw(&g, "\x03\x00\x00\x00\x02{", 6);
	decode_fails(&g, "chunk size exceeds the message");
	free(f.b);
	free(g.b);
}

/* ---- data chunk content ---- */

static void
v1_data_not_json_kept_raw(void **state)
{
	struct frame f = frame_with_envelope(ENV_OK);
	struct frame g = frame_with_envelope(ENV_OK);
	struct frame h = frame_with_envelope(ENV_OK);
	struct pcp_msg m;

	frame_chunk(&f, PCP_CHUNK_DATA, "hello, not json");
	decode_ok(&f, &m);
	assert_true(m.has_data);
	assert_null(m.data);
	assert_string_equal(m.data_raw, "hello, not json");
	assert_int_equal(m.data_len, 15);
	pcp_msg_clear(&m);

	/* a NUL inside the chunk: kept in data_raw, and not JSON */
	frame_chunk_sized(&g, PCP_CHUNK_DATA, 4, "{}\0x", 4);
	decode_ok(&g, &m);
	assert_true(m.has_data);
	assert_null(m.data);
	assert_int_equal(m.data_len, 4);
	assert_memory_equal(m.data_raw, "{}\0x", 5);
	pcp_msg_clear(&m);

	/* empty data chunk followed by debug: present, empty, not JSON */
	frame_chunk(&h, PCP_CHUNK_DATA, "");
	frame_chunk(&h, PCP_CHUNK_DEBUG, DEBUG_OK);
	decode_ok(&h, &m);
	assert_true(m.has_data);
	assert_int_equal(m.data_len, 0);
	assert_string_equal(m.data_raw, "");
	assert_null(m.data);
	assert_int_equal(cJSON_GetArraySize(m.debug), 1);
	pcp_msg_clear(&m);
	free(f.b);
	free(g.b);
	free(h.b);
}

/* ---- debug chunks ---- */

static void
v1_invalid_debug_counted_not_fatal(void **state)
{
	static const char *const bad[] = {
		"not json",
		"[]",
		"{}",
		"{\"hops\":{}}",
		"{\"hops\":[1]}",
		"{\"hops\":[{\"time\":\"t\"}]}",
		"{\"hops\":[{\"server\":\"s\"}]}",
		"{\"hops\":[{\"server\":\"s\",\"time\":5}]}",
		"{\"hops\":[{\"server\":\"s\",\"time\":\"t\",\"stage\":1}]}",
		"{\"hops\":[]} trailing",
	};
	struct frame f = frame_with_envelope(ENV_OK);
	struct pcp_msg m;
	size_t i;

	frame_chunk(&f, PCP_CHUNK_DATA, DATA_OK);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		frame_chunk(&f, PCP_CHUNK_DEBUG, bad[i]);
	frame_chunk(&f, PCP_CHUNK_DEBUG, DEBUG_OK);
	frame_chunk(&f, PCP_CHUNK_DEBUG, "{\"hops\":[]}");
	decode_ok(&f, &m);
	assert_int_equal(m.bad_debug, (int)(sizeof(bad) / sizeof(bad[0])));
	assert_int_equal(cJSON_GetArraySize(m.debug), 2);
	assert_non_null(m.data);
	pcp_msg_clear(&m);
	free(f.b);
}

static void
v1_debug_chunks_capped(void **state)
{
	struct frame f = frame_with_envelope(ENV_OK);
	struct pcp_msg m;
	int i;

	for (i = 0; i < PCP_DEBUG_MAX + 6; i++)
		frame_chunk(&f, PCP_CHUNK_DEBUG, DEBUG_OK);
	decode_ok(&f, &m);
	assert_int_equal(cJSON_GetArraySize(m.debug), PCP_DEBUG_MAX);
	assert_int_equal(m.bad_debug, 6);
	assert_false(m.has_data);
	pcp_msg_clear(&m);
	free(f.b);
}

/* ---- codec.c helpers ---- */

static void
codec_type_name_and_uri(void **state)
{
	assert_string_equal(pcp_type_name(PCP_NS "rpc_blocking_request"),
	    "rpc_blocking_request");
	assert_null(pcp_type_name(PCP_NS));
	assert_null(pcp_type_name("http://example.com/rpc_blocking_request"));
	assert_null(pcp_type_name("http://puppetlabs.co"));
	assert_null(pcp_type_name(NULL));

	assert_true(pcp_uri_valid("pcp://agent01.example.com/agent"));
	assert_true(pcp_uri_valid(PCP_SERVER_URI));
	assert_true(pcp_uri_valid("pcp://*/agent"));
	assert_false(pcp_uri_valid("pcp://host/"));
	assert_false(pcp_uri_valid("pcp://host"));
	assert_false(pcp_uri_valid("pcp://host/a/b"));
	assert_false(pcp_uri_valid("wss://host/agent"));
	assert_false(pcp_uri_valid("pcp:/host/agent"));
	assert_false(pcp_uri_valid(""));
	assert_false(pcp_uri_valid(NULL));
}

static void
codec_dispatch_and_clear(void **state)
{
	struct pcp_out o = { .id = "i", .message_type = "t", .sender = "s",
		.expires = "e" };
	struct pcp_msg m, zero;
	const char *err;
	uint8_t *buf;
	size_t len;

	memset(&zero, 0, sizeof(zero));
	assert_int_equal(pcp_encode(PCP_V1, &o, 0, &buf, &len), 0);
	assert_int_equal(buf[0], 0x01);
	assert_int_equal(pcp_decode(PCP_V1, buf, len, &m, &err), 0);
	assert_string_equal(m.id, "i");
	pcp_msg_clear(&m);
	assert_memory_equal(&m, &zero, sizeof(m));
	pcp_msg_clear(&m);              /* twice is harmless */
	pcp_msg_clear(NULL);
	/* v1 bytes are not v2 JSON */
	assert_int_equal(pcp_decode(PCP_V2, buf, len, &m, &err), -1);
	free(buf);
	assert_int_equal(pcp_encode(PCP_V2, &o, 0, &buf, &len), 0);
	assert_int_equal(buf[0], '{');
	assert_int_equal(pcp_decode(PCP_V2, buf, len, &m, &err), 0);
	pcp_msg_clear(&m);
	free(buf);
	assert_int_equal(pcp_decode((enum pcp_version)3, "x", 1, &m, &err), -1);
	assert_string_equal(err, "unsupported PCP version");
	assert_int_equal(pcp_encode((enum pcp_version)0, &o, 0, &buf, &len), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(v1_decode_pcp_md_example),
		cmocka_unit_test(v1_decode_broker_associate_response),
		cmocka_unit_test(v1_encode_associate_request_has_no_data_chunk),
		cmocka_unit_test(v1_in_reply_to_hyphenated_both_ways),
		cmocka_unit_test(v1_round_trip_all_fields),
		cmocka_unit_test(v1_encode_layout_and_headroom),
		cmocka_unit_test(v1_encode_rejects_missing_fields),
		cmocka_unit_test(v1_large_payload_round_trip),
		cmocka_unit_test(v1_envelope_fields_validated),
		cmocka_unit_test(v1_envelope_unknown_keys_and_past_expiry_accepted),
		cmocka_unit_test(v1_short_messages_rejected),
		cmocka_unit_test(v1_version_byte_checked),
		cmocka_unit_test(v1_descriptor_high_bits_masked),
		cmocka_unit_test(v1_unknown_descriptor_rejected),
		cmocka_unit_test(v1_envelope_must_come_first_and_once),
		cmocka_unit_test(v1_data_chunk_rules),
		cmocka_unit_test(v1_declared_size_past_end_rejected),
		cmocka_unit_test(v1_trailing_garbage_up_to_five_bytes_ignored),
		cmocka_unit_test(v1_trailing_garbage_of_six_bytes_rejected),
		cmocka_unit_test(v1_data_not_json_kept_raw),
		cmocka_unit_test(v1_invalid_debug_counted_not_fatal),
		cmocka_unit_test(v1_debug_chunks_capped),
		cmocka_unit_test(codec_type_name_and_uri),
		cmocka_unit_test(codec_dispatch_and_clear),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
