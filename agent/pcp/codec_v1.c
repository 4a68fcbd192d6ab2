/* codec_v1.c: the PCP v1 binary format (pcp.md §3): a version byte, then
 * chunks of descriptor(1) size(4, big-endian) content(size).
 * Not the JSON text format (codec_v2.c) nor dispatch (codec.c).
 * Invariant: no byte is read and nothing is allocated for a chunk before
 * its declared size has been checked against the bytes that remain, so a
 * hostile size costs nothing. `expires` is copied, never judged. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "pcp/codec.h"
#include "pcp/codec_int.h"

#define V1_VERSION 0x01
#define V1_DESC_MASK 0x0F
#define V1_HDR 5            /* descriptor + size */
#define V1_MIN_LEN (1 + V1_HDR)

/* Static texts, so a decode error needs no allocation. */
static const char *const v1_desc_err[16] = {
	"unknown chunk descriptor 0", NULL, NULL, NULL,
	"unknown chunk descriptor 4", "unknown chunk descriptor 5",
	"unknown chunk descriptor 6", "unknown chunk descriptor 7",
	"unknown chunk descriptor 8", "unknown chunk descriptor 9",
	"unknown chunk descriptor 10", "unknown chunk descriptor 11",
	"unknown chunk descriptor 12", "unknown chunk descriptor 13",
	"unknown chunk descriptor 14", "unknown chunk descriptor 15",
};

/* The envelope's string members: key, where it goes, required, error. */
static const struct codec__str_field v1_env_strings[] = {
	{ "id", offsetof(struct pcp_msg, id), true,
	    "envelope: id missing or not a string" },
	{ "message_type", offsetof(struct pcp_msg, message_type), true,
	    "envelope: message_type missing or not a string" },
	{ "expires", offsetof(struct pcp_msg, expires), true,
	    "envelope: expires missing or not a string" },
	{ "sender", offsetof(struct pcp_msg, sender), true,
	    "envelope: sender missing or not a string" },
	{ "in-reply-to", offsetof(struct pcp_msg, in_reply_to), false,
	    "envelope: in-reply-to is not a string" },
};

static uint32_t
v1_be32_get(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static int
v1_targets_take(cJSON *env, struct pcp_msg *m, const char **err)
{
	cJSON *targets = cJSON_GetObjectItemCaseSensitive(env, "targets");
	const cJSON *t;

	if (!cJSON_IsArray(targets)) {
		*err = "envelope: targets missing or not an array";
		return -1;
	}
	cJSON_ArrayForEach(t, targets) {
		if (!cJSON_IsString(t) || t->valuestring == NULL) {
			*err = "envelope: targets must hold strings";
			return -1;
		}
	}
	/* The broker sends [] for broker-addressed messages: target = NULL. */
	if (targets->child != NULL) {
		m->target = strdup(targets->child->valuestring);
		if (m->target == NULL) {
			*err = "out of memory";
			return -1;
		}
	}
	m->targets = cJSON_DetachItemViaPointer(env, targets);
	return 0;
}

static int
v1_envelope_read(const uint8_t *p, size_t n, struct pcp_msg *m,
    const char **err)
{
	cJSON *env = codec__json_parse((const char *)p, n);
	const cJSON *dr;
	int rc = -1;

	if (env == NULL) {
		*err = "envelope is not valid JSON";
		goto cleanup;
	}
	if (!cJSON_IsObject(env)) {
		*err = "envelope is not a JSON object";
		goto cleanup;
	}
	if (codec__str_fields(env, v1_env_strings, sizeof(v1_env_strings) / sizeof(v1_env_strings[0]), m,
	    err) != 0)
		goto cleanup;
	dr = cJSON_GetObjectItemCaseSensitive(env, "destination_report");
	if (dr != NULL && !cJSON_IsBool(dr)) {
		*err = "envelope: destination_report is not a boolean";
		goto cleanup;
	}
	m->destination_report = cJSON_IsTrue(dr);
	if (v1_targets_take(env, m, err) != 0)
		goto cleanup;
	rc = 0;
cleanup:
	cJSON_Delete(env);
	return rc;
}

static int
v1_data_read(const uint8_t *p, size_t n, struct pcp_msg *m,
    const char **err)
{
	m->data_raw = malloc(n + 1);
	if (m->data_raw == NULL) {
		*err = "out of memory";
		return -1;
	}
	memcpy(m->data_raw, p, n);
	m->data_raw[n] = '\0';
	m->data_len = n;
	m->has_data = true;
	/* Not JSON is not a decode error: the engine answers it with
	 * "data is not in JSON format", which needs the envelope. */
	m->data = codec__json_parse(m->data_raw, n);
	return 0;
}

static bool
v1_debug_valid(const cJSON *d)
{
	const cJSON *hops, *hop, *stage;

	hops = cJSON_GetObjectItemCaseSensitive(d, "hops");
	if (!cJSON_IsObject(d) || !cJSON_IsArray(hops))
		return false;
	cJSON_ArrayForEach(hop, hops) {
		if (!cJSON_IsObject(hop) ||
		    !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(hop, "server")) ||
		    !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(hop, "time")))
			return false;
		stage = cJSON_GetObjectItemCaseSensitive(hop, "stage");
		if (stage != NULL && !cJSON_IsString(stage))
			return false;
	}
	return true;
}

/* Never fails the message: an invalid chunk only counts in bad_debug. */
static int
v1_debug_add(const uint8_t *p, size_t n, struct pcp_msg *m,
    const char **err)
{
	cJSON *d;

	if (m->debug != NULL && cJSON_GetArraySize(m->debug) >= PCP_DEBUG_MAX) {
		m->bad_debug++;
		return 0;
	}
	d = codec__json_parse((const char *)p, n);
	if (d == NULL || !v1_debug_valid(d)) {
		cJSON_Delete(d);
		m->bad_debug++;
		return 0;
	}
	if (m->debug == NULL && (m->debug = cJSON_CreateArray()) == NULL) {
		cJSON_Delete(d);
		*err = "out of memory";
		return -1;
	}
	if (!cJSON_AddItemToArray(m->debug, d)) {
		cJSON_Delete(d);
		*err = "out of memory";
		return -1;
	}
	return 0;
}

int
pcp_v1_decode(const void *buf, size_t len, struct pcp_msg *out,
    const char **err)
{
	const uint8_t *b = buf;
	size_t pos, size;
	bool seen_debug = false;
	unsigned desc;

	memset(out, 0, sizeof(*out));
	*err = NULL;
	if (buf == NULL || len < V1_MIN_LEN) {
		*err = "message too short";
		return -1;
	}
	if (b[0] != V1_VERSION) {
		*err = "unsupported message version";
		return -1;
	}
	if ((b[1] & V1_DESC_MASK) != PCP_CHUNK_ENVELOPE) {
		*err = "first chunk is not an envelope";
		return -1;
	}
	size = v1_be32_get(b + 2);
	pos = V1_MIN_LEN;
	if (size > len - pos) {
		*err = "envelope chunk size exceeds the message";
		return -1;
	}
	if (v1_envelope_read(b + pos, size, out, err) != 0)
		goto fail;
	pos += size;

	/* Fewer bytes than a header plus one are ignored, as the reference
	 * client does; the caller may warn using out->trailing. */
	while (len - pos > V1_HDR) {
		desc = b[pos] & V1_DESC_MASK;
		size = v1_be32_get(b + pos + 1);
		pos += V1_HDR;
		if (v1_desc_err[desc] != NULL) {
			*err = v1_desc_err[desc];
			goto fail;
		}
		if (size > len - pos) {
			*err = "chunk size exceeds the message";
			goto fail;
		}
		switch (desc) {
		case PCP_CHUNK_ENVELOPE:
			*err = "more than one envelope chunk";
			goto fail;
		case PCP_CHUNK_DATA:
			if (out->has_data) {
				*err = "more than one data chunk";
				goto fail;
			}
			if (seen_debug) {
				*err = "data chunk after a debug chunk";
				goto fail;
			}
			if (v1_data_read(b + pos, size, out, err) != 0)
				goto fail;
			break;
		default:
			seen_debug = true;
			if (v1_debug_add(b + pos, size, out, err) != 0)
				goto fail;
			break;
		}
		pos += size;
	}
	out->trailing = len - pos;
	return 0;
fail:
	pcp_msg_clear(out);
	return -1;
}

/* ---- encoding ---- */

static bool
v1_size_add(size_t *total, size_t n)
{
	if (n > UINT32_MAX || *total > SIZE_MAX - V1_HDR - n)
		return false;
	*total += V1_HDR + n;
	return true;
}

static uint8_t *
v1_chunk_put(uint8_t *p, enum pcp_chunk desc, const void *content, size_t n)
{
	p[0] = (uint8_t)desc;
	p[1] = (uint8_t)(n >> 24);
	p[2] = (uint8_t)(n >> 16);
	p[3] = (uint8_t)(n >> 8);
	p[4] = (uint8_t)n;
	if (n > 0)
		memcpy(p + V1_HDR, content, n);
	return p + V1_HDR + n;
}

static char *
v1_envelope_print(const struct pcp_out *o)
{
	cJSON *env = cJSON_CreateObject();
	cJSON *targets;
	char *txt = NULL;

	if (env == NULL ||
	    cJSON_AddStringToObject(env, "id", o->id) == NULL ||
	    cJSON_AddStringToObject(env, "message_type", o->message_type) == NULL ||
	    cJSON_AddStringToObject(env, "expires", o->expires) == NULL ||
	    (targets = cJSON_AddArrayToObject(env, "targets")) == NULL ||
	    !cJSON_AddItemToArray(targets, cJSON_CreateString(
	        o->target != NULL ? o->target : PCP_SERVER_URI)) ||
	    cJSON_AddStringToObject(env, "sender", o->sender) == NULL)
		goto cleanup;
	if (o->destination_report &&
	    cJSON_AddTrueToObject(env, "destination_report") == NULL)
		goto cleanup;
	if (o->in_reply_to != NULL &&
	    cJSON_AddStringToObject(env, "in-reply-to", o->in_reply_to) == NULL)
		goto cleanup;
	txt = cJSON_PrintUnformatted(env);
cleanup:
	cJSON_Delete(env);
	return txt;
}

int
pcp_v1_encode(const struct pcp_out *o, size_t headroom, uint8_t **buf,
    size_t *len)
{
	char *env = NULL, **dbg = NULL;
	size_t env_len, data_len = 0, ndbg = 0, i, total;
	const cJSON *d;
	uint8_t *p;
	int rc = -1;

	*buf = NULL;
	*len = 0;
	if (o == NULL || o->id == NULL || o->message_type == NULL ||
	    o->sender == NULL || o->expires == NULL)
		return -1;
	if (o->debug != NULL && !cJSON_IsArray(o->debug))
		return -1;
	if ((env = v1_envelope_print(o)) == NULL)
		goto cleanup;
	env_len = strlen(env);
	total = 1;
	if (!v1_size_add(&total, env_len))
		goto cleanup;
	if (o->data_json != NULL) {
		data_len = o->data_len != 0 ? o->data_len : strlen(o->data_json);
		if (!v1_size_add(&total, data_len))
			goto cleanup;
	}
	if (o->debug != NULL && (ndbg = (size_t)cJSON_GetArraySize(o->debug)) > 0) {
		if ((dbg = calloc(ndbg, sizeof(*dbg))) == NULL)
			goto cleanup;
		i = 0;
		cJSON_ArrayForEach(d, o->debug) {
			if ((dbg[i] = cJSON_PrintUnformatted(d)) == NULL ||
			    !v1_size_add(&total, strlen(dbg[i])))
				goto cleanup;
			i++;
		}
	}
	if (headroom > SIZE_MAX - total || (*buf = malloc(headroom + total)) == NULL)
		goto cleanup;
	p = *buf + headroom;
	*p++ = V1_VERSION;
	p = v1_chunk_put(p, PCP_CHUNK_ENVELOPE, env, env_len);
	if (o->data_json != NULL)
		p = v1_chunk_put(p, PCP_CHUNK_DATA, o->data_json, data_len);
	for (i = 0; i < ndbg; i++)
		p = v1_chunk_put(p, PCP_CHUNK_DEBUG, dbg[i], strlen(dbg[i]));
	*len = total;
	rc = 0;
cleanup:
	for (i = 0; dbg != NULL && i < ndbg; i++)
		free(dbg[i]);
	free(dbg);
	free(env);
	return rc;
}
