/* codec_v2.c: the PCP v2 format (pcp.md §4): one JSON object per text
 * frame. Not the binary chunks (codec_v1.c) nor dispatch (codec.c).
 * Invariant: `data` is never parsed twice on the way out: the encoder
 * splices the caller's already-serialized data text into the envelope. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "pcp/codec.h"
#include "pcp/codec_int.h"

static const struct codec__str_field v2_strings[] = {
	{ "id", offsetof(struct pcp_msg, id), true,
	    "id missing or not a string" },
	{ "message_type", offsetof(struct pcp_msg, message_type), true,
	    "message_type missing or not a string" },
	{ "target", offsetof(struct pcp_msg, target), false,
	    "target is not a string" },
	{ "sender", offsetof(struct pcp_msg, sender), false,
	    "sender is not a string" },
	{ "in_reply_to", offsetof(struct pcp_msg, in_reply_to), false,
	    "in_reply_to is not a string" },
};

int
pcp_v2_decode(const void *buf, size_t len, struct pcp_msg *out,
    const char **err)
{
	cJSON *root;

	memset(out, 0, sizeof(*out));
	*err = NULL;
	root = codec__json_parse(buf, len);
	if (root == NULL) {
		*err = "message is not valid JSON";
		goto fail;
	}
	if (!cJSON_IsObject(root)) {
		*err = "message is not a JSON object";
		goto fail;
	}
	if (codec__str_fields(root, v2_strings, sizeof(v2_strings) / sizeof(v2_strings[0]), out,
	    err) != 0)
		goto fail;
	out->data = cJSON_DetachItemFromObjectCaseSensitive(root, "data");
	if (out->data != NULL) {
		out->has_data = true;
		out->data_raw = cJSON_PrintUnformatted(out->data);
		if (out->data_raw == NULL) {
			*err = "out of memory";
			goto fail;
		}
		out->data_len = strlen(out->data_raw);
	}
	cJSON_Delete(root);
	return 0;
fail:
	cJSON_Delete(root);
	pcp_msg_clear(out);
	return -1;
}

static char *
v2_envelope_print(const struct pcp_out *o)
{
	cJSON *env = cJSON_CreateObject();
	char *txt = NULL;

	if (env == NULL ||
	    cJSON_AddStringToObject(env, "id", o->id) == NULL ||
	    cJSON_AddStringToObject(env, "message_type", o->message_type) == NULL)
		goto cleanup;
	if (o->target != NULL &&
	    cJSON_AddStringToObject(env, "target", o->target) == NULL)
		goto cleanup;
	if (o->sender != NULL &&
	    cJSON_AddStringToObject(env, "sender", o->sender) == NULL)
		goto cleanup;
	if (o->in_reply_to != NULL &&
	    cJSON_AddStringToObject(env, "in_reply_to", o->in_reply_to) == NULL)
		goto cleanup;
	txt = cJSON_PrintUnformatted(env);
cleanup:
	cJSON_Delete(env);
	return txt;
}

int
pcp_v2_encode(const struct pcp_out *o, size_t headroom, uint8_t **buf,
    size_t *len)
{
	static const char key[] = ",\"data\":";
	char *env = NULL;
	size_t env_len, data_len = 0, total;
	uint8_t *p;
	int rc = -1;

	*buf = NULL;
	*len = 0;
	if (o == NULL || o->id == NULL || o->message_type == NULL)
		return -1;
	if ((env = v2_envelope_print(o)) == NULL)
		goto cleanup;
	/* env is "{...}" with at least id inside: drop its closing brace,
	 * append ,"data":<data_json> and close again. */
	env_len = strlen(env);
	total = env_len;
	if (o->data_json != NULL) {
		data_len = o->data_len != 0 ? o->data_len : strlen(o->data_json);
		if (data_len > SIZE_MAX - total - sizeof(key))
			goto cleanup;
		total += sizeof(key) - 1 + data_len;
	}
	if (headroom > SIZE_MAX - total || (*buf = malloc(headroom + total)) == NULL)
		goto cleanup;
	p = *buf + headroom;
	if (o->data_json == NULL) {
		memcpy(p, env, env_len);
	} else {
		memcpy(p, env, env_len - 1);
		p += env_len - 1;
		memcpy(p, key, sizeof(key) - 1);
		p += sizeof(key) - 1;
		memcpy(p, o->data_json, data_len);
		p[data_len] = '}';
	}
	*len = total;
	rc = 0;
cleanup:
	free(env);
	return rc;
}
