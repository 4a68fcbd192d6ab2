/* codec_v1_fuzz.c: libFuzzer harness for the PCP v1 binary decoder.
 * Any input must decode or fail cleanly; a decoded message must survive
 * encode -> decode with its envelope and data intact. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pcp/codec.h"

#define FUZZ_CHECK(c) do { if (!(c)) abort(); } while (0)

static int
str_same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pcp_msg m, m2;
	struct pcp_out o;
	const char *err = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;

	if (pcp_v1_decode(data, size, &m, &err) != 0) {
		FUZZ_CHECK(err != NULL && m.id == NULL && m.data == NULL);
		return 0;
	}
	FUZZ_CHECK(m.id != NULL && m.message_type != NULL && m.sender != NULL &&
	    m.expires != NULL && m.targets != NULL);
	FUZZ_CHECK(m.trailing <= 5);
	FUZZ_CHECK(!m.has_data || (m.data_raw != NULL && m.data_raw[m.data_len] == '\0'));

	memset(&o, 0, sizeof(o));
	o.id = m.id;
	o.message_type = m.message_type;
	o.sender = m.sender;
	o.target = m.target;
	o.in_reply_to = m.in_reply_to;
	o.expires = m.expires;
	o.destination_report = m.destination_report;
	/* An empty data chunk cannot round-trip (a bare 5-byte header at the
	 * end is trailing garbage), so only non-empty data is re-sent. */
	if (m.has_data && m.data_len > 0) {
		o.data_json = m.data_raw;
		o.data_len = m.data_len;
	}
	o.debug = m.debug;
	FUZZ_CHECK(pcp_v1_encode(&o, 16, &buf, &len) == 0);
	FUZZ_CHECK(pcp_v1_decode(buf + 16, len, &m2, &err) == 0);
	FUZZ_CHECK(strcmp(m.id, m2.id) == 0);
	FUZZ_CHECK(strcmp(m.message_type, m2.message_type) == 0);
	FUZZ_CHECK(strcmp(m.sender, m2.sender) == 0);
	FUZZ_CHECK(strcmp(m.expires, m2.expires) == 0);
	FUZZ_CHECK(str_same(m.in_reply_to, m2.in_reply_to));
	FUZZ_CHECK(m.target == NULL
	    ? strcmp(m2.target, PCP_SERVER_URI) == 0
	    : strcmp(m.target, m2.target) == 0);
	FUZZ_CHECK(m.destination_report == m2.destination_report);
	if (o.data_json != NULL) {
		FUZZ_CHECK(m2.has_data && m2.data_len == m.data_len);
		FUZZ_CHECK(memcmp(m2.data_raw, m.data_raw, m.data_len) == 0);
		FUZZ_CHECK((m.data == NULL) == (m2.data == NULL));
	}
	FUZZ_CHECK(cJSON_GetArraySize(m.debug) == cJSON_GetArraySize(m2.debug));
	FUZZ_CHECK(m2.bad_debug == 0 && m2.trailing == 0);
	pcp_msg_clear(&m2);
	pcp_msg_clear(&m);
	free(buf);
	return 0;
}
