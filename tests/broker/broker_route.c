/* broker_route.c: what the test broker does with one PCP message:
 * authenticate the sender, answer messages for pcp:///server (associate,
 * inventory), refuse multicast, forward everything else to the one
 * target with v1 <-> v2 translation, and send inventory updates.
 * Not the websocket plumbing (broker_session.c).
 * Invariants (broker-observed.md): every message the broker emits names
 * the broker as sender; v1 output always carries the 1970 expiry; debug
 * chunks and destination_report never travel on; a message that cannot
 * be decoded closes its connection with 1011. */
#include <stdlib.h>
#include <string.h>

#include "broker.h"

#define TXT_NOT_AUTHENTICATED "Message not authenticated."
#define TXT_NOT_CONNECTED "Not connected."
#define TXT_MULTICAST "Multiple recipients no longer supported."
#define TXT_ALREADY_ASSOCIATED "Session already associated."

static const char *
route_short_type(const char *message_type)
{
	const char *t = pcp_type_name(message_type);

	return t != NULL ? t : message_type;
}

/* Sends a broker-originated message (sender pcp:///server) to s. */
static void
route_reply(struct broker_session *s, const char *type, const char *in_reply_to,
    const char *data_json)
{
	char id[PCPT_UUID_LEN], full[128];
	struct pcp_out o;

	pcpt_uuid(id);
	snprintf(full, sizeof(full), PCP_NS "%s", type);
	memset(&o, 0, sizeof(o));
	o.id = id;
	o.message_type = full;
	o.sender = PCP_SERVER_URI;
	o.target = s->uri;
	o.in_reply_to = in_reply_to;
	o.expires = PCP_EPOCH_EXPIRES;
	o.data_json = data_json;
	broker_session_send(s, &o);
}

/* Sends a JSON value built by the caller and frees it. */
static void
route_reply_json(struct broker_session *s, const char *type,
    const char *in_reply_to, cJSON *data)
{
	char *txt = data != NULL ? cJSON_PrintUnformatted(data) : NULL;

	if (txt != NULL)
		route_reply(s, type, in_reply_to, txt);
	free(txt);
	cJSON_Delete(data);
}

/* error_message: v2 data is the description and in_reply_to the cause;
 * v1 data is {"description":...,"id":<cause>}. */
static void
route_error(struct broker_session *s, const struct pcp_msg *m,
    const char *description)
{
	cJSON *data;

	s->b->stats.errors++;
	broker_event(s->b, "error %s %s %s: %s", route_short_type(m->message_type),
	    s->uri, m->id, description);
	if (s->version == PCP_V2) {
		route_reply_json(s, "error_message", m->id,
		    cJSON_CreateString(description));
		return;
	}
	data = cJSON_CreateObject();
	if (data != NULL) {
		cJSON_AddStringToObject(data, "description", description);
		cJSON_AddStringToObject(data, "id", m->id);
	}
	route_reply_json(s, "error_message", m->id, data);
}

/* "pcp://CN/TYPE" -> pointers into uri; false when not of that shape. */
static bool
route_uri_split(const char *uri, const char **cn, size_t *cn_len,
    const char **type)
{
	const char *slash;

	if (strncmp(uri, "pcp://", 6) != 0)
		return false;
	slash = strchr(uri + 6, '/');
	if (slash == NULL || strchr(slash + 1, '/') != NULL)
		return false;
	*cn = uri + 6;
	*cn_len = (size_t)(slash - *cn);
	*type = slash + 1;
	return true;
}

bool
broker_route_uri_match(const char *pattern, const char *uri)
{
	const char *pcn, *ptype, *ucn, *utype;
	size_t pcn_len, ucn_len;

	if (!route_uri_split(pattern, &pcn, &pcn_len, &ptype) ||
	    !route_uri_split(uri, &ucn, &ucn_len, &utype))
		return false;
	if (!(pcn_len == 1 && pcn[0] == '*') &&
	    (pcn_len != ucn_len || memcmp(pcn, ucn, pcn_len) != 0))
		return false;
	return strcmp(ptype, "*") == 0 || strcmp(ptype, utype) == 0;
}

static bool
route_uri_wildcard(const char *uri)
{
	const char *cn, *type;
	size_t cn_len;

	if (!route_uri_split(uri, &cn, &cn_len, &type))
		return false;
	return (cn_len == 1 && cn[0] == '*') || strcmp(type, "*") == 0;
}

/* The sender URI names the certificate's CN (its TYPE may differ). */
static bool
route_sender_cn_ok(const struct broker_session *s, const char *sender)
{
	const char *cn, *type;
	size_t cn_len;

	if (!route_uri_split(sender, &cn, &cn_len, &type))
		return false;
	return cn_len == strlen(s->cn) && memcmp(cn, s->cn, cn_len) == 0;
}

static void
route_associate(struct broker_session *s, const struct pcp_msg *m)
{
	const char *cn, *type = s->type;
	size_t cn_len;
	cJSON *data = cJSON_CreateObject();
	bool ok;

	if (m->sender != NULL)
		route_uri_split(m->sender, &cn, &cn_len, &type);
	/* The session was associated implicitly when the websocket opened;
	 * asking again as the same URI succeeds, as another type fails. */
	ok = strcmp(type, s->type) == 0;
	if (data != NULL) {
		cJSON_AddStringToObject(data, "id", m->id);
		cJSON_AddBoolToObject(data, "success", ok);
		if (!ok)
			cJSON_AddStringToObject(data, "reason",
			    TXT_ALREADY_ASSOCIATED);
	}
	broker_event(s->b, "associate %s %s", m->sender != NULL ? m->sender :
	    s->uri, ok ? "ok" : "denied");
	route_reply_json(s, "associate_response", m->id, data);
	if (!ok)
		broker_session_close(s, BROKER_CLOSE_ASSOC_FAILED,
		    BROKER_TXT_ASSOC_FAILED);
}

static int
route_uri_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Connected URIs matching any pattern of query, sorted, as a JSON array. */
static cJSON *
route_inventory_list(struct broker *b, const cJSON *query)
{
	struct broker_session *s;
	const cJSON *q;
	const char **uris = NULL;
	size_t n = 0, cap = 0, i;
	cJSON *arr = cJSON_CreateArray();

	if (arr == NULL)
		return NULL;
	for (s = b->sessions; s != NULL; s = s->next) {
		if (!s->registered)
			continue;
		cJSON_ArrayForEach(q, query) {
			if (!broker_route_uri_match(q->valuestring, s->uri))
				continue;
			if (n == cap) {
				const char **nu;

				cap = cap == 0 ? 16 : cap * 2;
				if ((nu = realloc(uris, cap * sizeof(*uris))) == NULL)
					goto fail;
				uris = nu;
			}
			uris[n++] = s->uri;
			break;
		}
	}
	if (n > 0)
		qsort(uris, n, sizeof(*uris), route_uri_cmp);
	for (i = 0; i < n; i++) {
		if (!cJSON_AddItemToArray(arr, cJSON_CreateString(uris[i])))
			goto fail;
	}
	free(uris);
	return arr;
fail:
	free(uris);
	cJSON_Delete(arr);
	return NULL;
}

static void
route_inventory(struct broker_session *s, const struct pcp_msg *m)
{
	const cJSON *query, *sub, *q;
	cJSON *data, *uris;

	query = cJSON_GetObjectItemCaseSensitive(m->data, "query");
	sub = cJSON_GetObjectItemCaseSensitive(m->data, "subscribe");
	if (!cJSON_IsObject(m->data) || !cJSON_IsArray(query) ||
	    (sub != NULL && !cJSON_IsBool(sub))) {
		route_error(s, m, "Invalid inventory_request data.");
		return;
	}
	cJSON_ArrayForEach(q, query) {
		if (!cJSON_IsString(q) || !pcp_uri_valid(q->valuestring)) {
			route_error(s, m, "Invalid inventory_request data.");
			return;
		}
	}
	broker_event(s->b, "inventory %s subscribe=%s", s->uri,
	    cJSON_IsTrue(sub) ? "true" : "false");
	if (cJSON_IsTrue(sub)) {
		cJSON_Delete(s->subscription);
		s->subscription = cJSON_Duplicate(query, 1);
	}
	if ((uris = route_inventory_list(s->b, query)) == NULL)
		return;
	if ((data = cJSON_CreateObject()) == NULL) {
		cJSON_Delete(uris);
		return;
	}
	cJSON_AddItemToObject(data, "uris", uris);
	route_reply_json(s, "inventory_response", m->id, data);
}

void
broker_route_inventory_change(struct broker *b, const char *uri, int change)
{
	struct broker_session *s;
	const cJSON *q;
	cJSON *data, *changes, *c;
	char *txt;

	if (b->stopping)
		return;
	data = cJSON_CreateObject();
	changes = cJSON_AddArrayToObject(data, "changes");
	c = cJSON_CreateObject();
	if (changes == NULL || c == NULL || !cJSON_AddItemToArray(changes, c)) {
		cJSON_Delete(c);
		cJSON_Delete(data);
		return;
	}
	cJSON_AddStringToObject(c, "client", uri);
	cJSON_AddNumberToObject(c, "change", change);
	txt = cJSON_PrintUnformatted(data);
	cJSON_Delete(data);
	if (txt == NULL)
		return;
	for (s = b->sessions; s != NULL; s = s->next) {
		if (s->subscription == NULL || s->state != BROKER_SESS_OPEN ||
		    strcmp(s->uri, uri) == 0)
			continue;
		cJSON_ArrayForEach(q, s->subscription) {
			if (broker_route_uri_match(q->valuestring, uri)) {
				route_reply(s, "inventory_update", NULL, txt);
				break;
			}
		}
	}
	free(txt);
}

static void
route_for_broker(struct broker_session *s, const struct pcp_msg *m)
{
	const char *type = pcp_type_name(m->message_type);

	if (type != NULL && strcmp(type, "associate_request") == 0)
		route_associate(s, m);
	else if (type != NULL && strcmp(type, "inventory_request") == 0)
		route_inventory(s, m);
	else
		route_error(s, m, "Unsupported message type for the broker.");
}

/* Re-encodes m for the target's version: sender filled in, v1 expiry
 * 1970, no debug chunks, no destination_report. */
static void
route_forward(struct broker_session *from, struct broker_session *to,
    const struct pcp_msg *m)
{
	struct pcp_out o;
	char *quoted = NULL;

	memset(&o, 0, sizeof(o));
	o.id = m->id;
	o.message_type = m->message_type;
	o.sender = from->uri;
	o.target = to->uri;
	o.in_reply_to = m->in_reply_to;
	o.expires = PCP_EPOCH_EXPIRES;
	if (m->has_data) {
		o.data_json = m->data_raw;
		o.data_len = m->data_len;
		/* v1 data that is not JSON cannot sit in a v2 message as is:
		 * it travels as a JSON string. */
		if (to->version == PCP_V2 && m->data == NULL) {
			cJSON *str = cJSON_CreateString(m->data_raw);

			quoted = str != NULL ? cJSON_PrintUnformatted(str) : NULL;
			cJSON_Delete(str);
			if (quoted == NULL)
				return;
			o.data_json = quoted;
			o.data_len = strlen(quoted);
		}
	}
	if (broker_session_send(to, &o) == 0) {
		from->b->stats.forwarded++;
		broker_event(from->b, "forward %s %s -> %s",
		    route_short_type(m->message_type), from->uri, to->uri);
	}
	free(quoted);
}

void
broker_route_message(struct broker_session *s, const uint8_t *buf,
    size_t len)
{
	struct broker_session *to;
	struct pcp_msg m;
	const char *err = NULL;
	bool for_broker;

	if (pcp_decode(s->version, buf, len, &m, &err) != 0) {
		/* broker-observed.md: malformed input closes with 1011. */
		broker_event(s->b, "undecodable %s: %s", s->uri,
		    err != NULL ? err : "?");
		broker_session_close(s, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION,
		    "Could not decode message");
		return;
	}
	for_broker = m.target == NULL || strcmp(m.target, PCP_SERVER_URI) == 0;
	if (m.sender != NULL && strcmp(m.sender, s->uri) != 0 &&
	    !(for_broker && route_sender_cn_ok(s, m.sender) &&
	    pcp_type_name(m.message_type) != NULL &&
	    strcmp(pcp_type_name(m.message_type), "associate_request") == 0)) {
		route_error(s, &m, TXT_NOT_AUTHENTICATED);
		goto cleanup;
	}
	if ((m.targets != NULL && cJSON_GetArraySize(m.targets) > 1) ||
	    (m.target != NULL && route_uri_wildcard(m.target))) {
		route_error(s, &m, TXT_MULTICAST);
		goto cleanup;
	}
	if (for_broker) {
		route_for_broker(s, &m);
		goto cleanup;
	}
	to = broker_session_find(s->b, m.target);
	if (to == NULL || to->state != BROKER_SESS_OPEN) {
		route_error(s, &m, TXT_NOT_CONNECTED);
		goto cleanup;
	}
	route_forward(s, to, &m);
cleanup:
	pcp_msg_clear(&m);
}
