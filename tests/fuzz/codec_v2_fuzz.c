/* codec_v2_fuzz.c: libFuzzer harness for the PCP v2 JSON decoder.
 * Any input must decode or fail cleanly; a decoded message must survive
 * encode (data spliced as text) -> decode with the same fields. */
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

	if (pcp_v2_decode(data, size, &m, &err) != 0) {
		FUZZ_CHECK(err != NULL && m.id == NULL && m.data == NULL);
		return 0;
	}
	FUZZ_CHECK(m.id != NULL && m.message_type != NULL);
	FUZZ_CHECK(m.has_data == (m.data != NULL));
	FUZZ_CHECK(!m.has_data || strlen(m.data_raw) == m.data_len);

	memset(&o, 0, sizeof(o));
	o.id = m.id;
	o.message_type = m.message_type;
	o.sender = m.sender;
	o.target = m.target;
	o.in_reply_to = m.in_reply_to;
	o.data_json = m.has_data ? m.data_raw : NULL;
	o.data_len = m.data_len;
	FUZZ_CHECK(pcp_v2_encode(&o, 8, &buf, &len) == 0);
	FUZZ_CHECK(pcp_v2_decode(buf + 8, len, &m2, &err) == 0);
	FUZZ_CHECK(strcmp(m.id, m2.id) == 0);
	FUZZ_CHECK(strcmp(m.message_type, m2.message_type) == 0);
	FUZZ_CHECK(str_same(m.sender, m2.sender));
	FUZZ_CHECK(str_same(m.target, m2.target));
	FUZZ_CHECK(str_same(m.in_reply_to, m2.in_reply_to));
	FUZZ_CHECK(m.has_data == m2.has_data);
	FUZZ_CHECK(str_same(m.data_raw, m2.data_raw));
	pcp_msg_clear(&m2);
	pcp_msg_clear(&m);
	free(buf);
	return 0;
}
