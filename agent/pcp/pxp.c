/* pxp.c: PXP 1.0 request validation and reply data (pxp.md §2, §4).
 * Not the PCP envelope (codec*.c) nor routing or replies (engine).
 * Invariant: reply text is built by concatenation, so large results are
 * copied once and never parsed again; every string value goes through
 * json_escape(), so the output is valid JSON whenever results_json is. */
#include <stdlib.h>
#include <string.h>

#include "base/jsonutil.h"
#include "pcp/pxp.h"

/* A required-string field of the request and its two error texts. */
struct pxp_field {
	const char *key;
	const char *missing;
	const char *bad;
};

static const struct pxp_field pxp_tid = { "transaction_id",
	"invalid data: missing transaction_id",
	"invalid data: transaction_id is not a string" };
static const struct pxp_field pxp_module = { "module",
	"invalid data: missing module",
	"invalid data: module is not a string" };
static const struct pxp_field pxp_action = { "action",
	"invalid data: missing action",
	"invalid data: action is not a string" };

static int
pxp_str_take(const cJSON *data, const struct pxp_field *f, const char **out,
    const char **err)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(data, f->key);

	if (item == NULL) {
		*err = f->missing;
		return -1;
	}
	if (!cJSON_IsString(item) || item->valuestring == NULL) {
		*err = f->bad;
		return -1;
	}
	*out = item->valuestring;
	return 0;
}

int
pxp_request_parse(const cJSON *data, bool non_blocking,
    struct pxp_request *out, const char **err)
{
	const cJSON *params, *notify;

	memset(out, 0, sizeof(*out));
	*err = NULL;
	if (data == NULL) {
		*err = "no data";
		return -1;
	}
	if (!cJSON_IsObject(data)) {
		*err = "invalid data: not a JSON object";
		return -1;
	}
	if (pxp_str_take(data, &pxp_tid, &out->transaction_id, err) != 0 ||
	    pxp_str_take(data, &pxp_module, &out->module, err) != 0 ||
	    pxp_str_take(data, &pxp_action, &out->action, err) != 0)
		goto fail;
	params = cJSON_GetObjectItemCaseSensitive(data, "params");
	if (params != NULL && !cJSON_IsObject(params)) {
		*err = "invalid data: params is not an object";
		goto fail;
	}
	out->params = params;
	out->non_blocking = non_blocking;
	if (non_blocking) {
		notify = cJSON_GetObjectItemCaseSensitive(data, "notify_outcome");
		if (notify == NULL) {
			*err = "invalid data: missing notify_outcome";
			goto fail;
		}
		if (!cJSON_IsBool(notify)) {
			*err = "invalid data: notify_outcome is not a boolean";
			goto fail;
		}
		out->notify_outcome = cJSON_IsTrue(notify);
	}
	return 0;
fail:
	memset(out, 0, sizeof(*out));
	return -1;
}

/* Builds {"k0":"v0",...[,"raw_key":raw]}: keys are our literals (no
 * escaping needed), values are escaped, raw is copied verbatim. */
static char *
pxp_object_build(const char *const *kv, size_t npairs, const char *raw_key,
    const char *raw)
{
	size_t i, n = 2, at = 0, rawlen = 0;
	char *s;

	for (i = 0; i < npairs; i++)
		n += (i > 0) + strlen(kv[2 * i]) + 3 +
		    json_escape(NULL, kv[2 * i + 1] ? kv[2 * i + 1] : "") + 2;
	if (raw_key != NULL) {
		rawlen = strlen(raw);
		n += (npairs > 0) + strlen(raw_key) + 3 + rawlen;
	}
	if ((s = malloc(n + 1)) == NULL)
		return NULL;
	s[at++] = '{';
	for (i = 0; i < npairs; i++) {
		if (i > 0)
			s[at++] = ',';
		s[at++] = '"';
		memcpy(s + at, kv[2 * i], strlen(kv[2 * i]));
		at += strlen(kv[2 * i]);
		memcpy(s + at, "\":\"", 3);
		at += 3;
		at += json_escape(s + at, kv[2 * i + 1] ? kv[2 * i + 1] : "");
		s[at++] = '"';
	}
	if (raw_key != NULL) {
		if (npairs > 0)
			s[at++] = ',';
		s[at++] = '"';
		memcpy(s + at, raw_key, strlen(raw_key));
		at += strlen(raw_key);
		memcpy(s + at, "\":", 2);
		at += 2;
		memcpy(s + at, raw, rawlen);
		at += rawlen;
	}
	s[at++] = '}';
	s[at] = '\0';
	return s;
}

char *
pxp_rpc_error_json(const char *transaction_id, const char *request_id,
    const char *description)
{
	const char *kv[] = {
		"transaction_id", transaction_id,
		"id", request_id,
		"description", description,
	};

	return pxp_object_build(kv, 3, NULL, NULL);
}

char *
pxp_rpc_error_json_max(const char *transaction_id, const char *request_id,
    const char *description, size_t max)
{
	const char *d = description ? description : "";
	char *s = pxp_rpc_error_json(transaction_id, request_id, d), *cut;
	size_t len, frame, keep;

	if (!s || (len = strlen(s)) <= max)
		return s;
	frame = len - json_escape(NULL, d);
	if (frame + strlen(PXP_CUT_MARK) > max)
		return s;
	keep = json_utf8_fit(d, strlen(d), max - frame - strlen(PXP_CUT_MARK),
	    false, NULL);
	free(s);
	if (!(cut = malloc(keep + sizeof(PXP_CUT_MARK))))
		return NULL;
	memcpy(cut, d, keep);
	memcpy(cut + keep, PXP_CUT_MARK, sizeof(PXP_CUT_MARK));
	s = pxp_rpc_error_json(transaction_id, request_id, cut);
	free(cut);
	return s;
}

char *
pxp_provisional_json(const char *tid)
{
	const char *kv[] = { "transaction_id", tid };

	return pxp_object_build(kv, 1, NULL, NULL);
}

char *
pxp_response_json(const char *tid, const char *results_json)
{
	const char *kv[] = { "transaction_id", tid };

	return pxp_object_build(kv, 1, "results",
	    results_json != NULL ? results_json : "{}");
}
