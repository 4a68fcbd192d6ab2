/* codec.c: the version-neutral part of the PCP codec: message release,
 * dispatch on version, message type and URI helpers, and the strict JSON
 * helpers the v1 (codec_v1.c) and v2 (codec_v2.c) parsers share.
 * Pure: no I/O, no logging, no globals. */
#include <stdlib.h>
#include <string.h>

#include "pcp/codec.h"
#include "pcp/codec_int.h"

void
pcp_msg_clear(struct pcp_msg *m)
{
	if (m == NULL)
		return;
	free(m->id);
	free(m->message_type);
	free(m->sender);
	free(m->target);
	cJSON_Delete(m->targets);
	free(m->in_reply_to);
	free(m->expires);
	free(m->data_raw);
	cJSON_Delete(m->data);
	cJSON_Delete(m->debug);
	memset(m, 0, sizeof(*m));
}

int
pcp_decode(enum pcp_version v, const void *buf, size_t len,
    struct pcp_msg *out, const char **err)
{
	switch (v) {
	case PCP_V1:
		return pcp_v1_decode(buf, len, out, err);
	case PCP_V2:
		return pcp_v2_decode(buf, len, out, err);
	}
	memset(out, 0, sizeof(*out));
	*err = "unsupported PCP version";
	return -1;
}

int
pcp_encode(enum pcp_version v, const struct pcp_out *o, size_t headroom,
    uint8_t **buf, size_t *len)
{
	switch (v) {
	case PCP_V1:
		return pcp_v1_encode(o, headroom, buf, len);
	case PCP_V2:
		return pcp_v2_encode(o, headroom, buf, len);
	}
	return -1;
}

const char *
pcp_type_name(const char *message_type)
{
	size_t n = sizeof(PCP_NS) - 1;

	if (message_type == NULL || strncmp(message_type, PCP_NS, n) != 0 ||
	    message_type[n] == '\0')
		return NULL;
	return message_type + n;
}

bool
pcp_uri_valid(const char *uri)
{
	const char *slash;

	if (uri == NULL || strncmp(uri, "pcp://", 6) != 0)
		return false;
	slash = strchr(uri + 6, '/');
	if (slash == NULL || slash[1] == '\0')
		return false;
	return strchr(slash + 1, '/') == NULL;
}

cJSON *
codec__json_parse(const char *text, size_t len)
{
	const char *end = NULL;
	const char *stop = text + len;
	cJSON *j;

	if (text == NULL || len == 0)
		return NULL;
	j = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	if (j == NULL)
		return NULL;
	/* cJSON stops after the first value; only JSON whitespace may follow
	 * (a NUL or a second value would otherwise pass silently). */
	for (; end != NULL && end < stop; end++) {
		if (*end != ' ' && *end != '\t' && *end != '\n' && *end != '\r') {
			cJSON_Delete(j);
			return NULL;
		}
	}
	return j;
}

int
codec__str_get(const cJSON *obj, const char *key, bool required,
    char **out)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);

	*out = NULL;
	if (item == NULL)
		return required ? -1 : 0;
	if (!cJSON_IsString(item) || item->valuestring == NULL)
		return -1;
	*out = strdup(item->valuestring);
	return *out == NULL ? -2 : 0;
}

int
codec__str_fields(const cJSON *obj, const struct codec__str_field *fields,
    size_t n, void *m, const char **err)
{
	size_t i;
	int r;

	for (i = 0; i < n; i++) {
		r = codec__str_get(obj, fields[i].key, fields[i].required,
		    (char **)((char *)m + fields[i].off));
		if (r != 0) {
			*err = r == -2 ? "out of memory" : fields[i].err;
			return -1;
		}
	}
	return 0;
}
