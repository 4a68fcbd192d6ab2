/* broker_session.c: the websocket side of the test broker: admission
 * (endpoint, client certificate), implicit association under
 * pcp://<CN>/<TYPE>, message reassembly, the per-connection send queue
 * and closes with a code. Not the PCP semantics (broker_route.c) nor the
 * certificate checks themselves (broker_tls.c).
 * Invariants: at most one session is `registered` per URI (the newest);
 * a CLOSING session is never registered and never gets new frames; every
 * session in b->sessions has reached LWS_CALLBACK_ESTABLISHED. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "base/jsonutil.h"

/* How pcp-broker (Jetty) closes a connection that sent a text frame
 * that is not UTF-8 (code 1007, as issue 8 saw it). */
#define TXT_BAD_UTF8 "Not valid UTF8"

static const char *
session_version_name(const struct broker_session *s)
{
	return s->version == PCP_V1 ? "v1" : "v2";
}

/* "/pcp/TYPE" = v1, "/pcp2/TYPE" = v2; empty or "/" TYPE = agent.
 * Returns 0, or -1 for a path outside both endpoints. */
static int
session_path_parse(struct broker_session *s, const char *path)
{
	const char *rest;
	size_t n;

	if (strncmp(path, "/pcp2", 5) == 0) {
		s->version = PCP_V2;
		rest = path + 5;
	} else if (strncmp(path, "/pcp", 4) == 0) {
		s->version = PCP_V1;
		rest = path + 4;
	} else {
		return -1;
	}
	if (*rest != '\0' && *rest != '/')
		return -1;
	if (*rest == '/')
		rest++;
	if (*rest == '\0')
		rest = "agent";
	n = strlen(rest);
	if (n >= sizeof(s->type) || strchr(rest, '/') != NULL)
		return -1;
	memcpy(s->type, rest, n + 1);
	return 0;
}

static int
session_filter(struct broker *b, struct broker_session *s, struct lws *wsi)
{
	char path[512];
	int n, tls;

	s->b = b;
	s->wsi = wsi;
	n = lws_hdr_copy(wsi, path, sizeof(path), WSI_TOKEN_GET_URI);
	/* Every upgrade request that arrives, so tests can tell that a client
	 * gave up before sending one. */
	broker_event(b, "upgrade-request %s", n > 0 ? path : "-");
	if (n <= 0 || session_path_parse(s, path) != 0) {
		broker_event(b, "refuse bad-path %s", n > 0 ? path : "-");
		b->stats.refused++;
		return -1;
	}
	tls = broker_tls_peer_check(wsi, s->cn, sizeof(s->cn));
	if (tls < 0) {
		/* The real broker fails the TLS handshake here; dropping the
		 * connection before the upgrade answer looks the same to a
		 * client: no websocket. */
		broker_event(b, "refuse bad-certificate %s", path);
		b->stats.refused++;
		return -1;
	}
	s->has_cert = tls == 1;
	snprintf(s->uri, sizeof(s->uri), "pcp://%s/%s", s->cn, s->type);
	return 0;
}

static void
session_register(struct broker_session *s)
{
	struct broker_session *old = broker_session_find(s->b, s->uri);
	char fp[20];

	if (old != NULL) {
		/* Newer wins: the old websocket leaves the table silently (the
		 * URI stays connected) and is closed. */
		old->registered = false;
		broker_event(s->b, "superseded %s", old->uri);
		broker_session_close(old, BROKER_CLOSE_SUPERSEDED, "superseded");
	}
	s->registered = true;
	(void)broker_tls_peer_fingerprint(s->wsi, fp, sizeof(fp));
	broker_event(s->b, "connect %s %s cert=%s", s->uri,
	    session_version_name(s), fp);
	broker_conn_log(s->b, "connected", s, NULL);
	s->conn_logged = true;
	broker_route_inventory_change(s->b, s->uri, 1);
}

static void
session_established(struct broker *b, struct broker_session *s,
    struct lws *wsi)
{
	s->b = b;
	s->wsi = wsi;
	s->state = BROKER_SESS_OPEN;
	s->rx.max = (size_t)b->cfg.max_message;
	s->next = b->sessions;
	s->prev = NULL;
	if (b->sessions != NULL)
		b->sessions->prev = s;
	b->sessions = s;
	s->listed = true;
	b->stats.connections++;
	if (!s->has_cert) {
		broker_event(b, "refuse no-client-certificate %s", s->uri);
		broker_session_close(s, BROKER_CLOSE_NO_CERT, BROKER_TXT_NO_CERT);
		return;
	}
	if (strcmp(s->type, "server") == 0) {
		broker_event(b, "refuse server-type %s", s->uri);
		broker_session_close(s, BROKER_CLOSE_ASSOC_FAILED,
		    BROKER_TXT_ASSOC_FAILED);
		return;
	}
	session_register(s);
	if (b->stall_agents && strcmp(s->type, "agent") == 0)
		lws_rx_flow_control(wsi, 0);
}

static void
session_closed_log(struct broker *b, const struct broker_session *s)
{
	cJSON *extra;

	/* The log pairs each "closed" with a "connected"; refused sessions
	 * have neither. */
	if (!s->conn_logged || b->conn_log == NULL ||
	    (extra = cJSON_CreateObject()) == NULL)
		return;
	cJSON_AddNumberToObject(extra, "code",
	    s->close_code != 0 ? s->close_code : 1006);
	broker_conn_log(b, "closed", s, extra);
	cJSON_Delete(extra);
}

static void
session_closed(struct broker *b, struct broker_session *s)
{
	if (!s->listed)
		return;
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		b->sessions = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	s->listed = false;
	broker_event(b, "close %s %d", s->uri,
	    s->close_code != 0 ? s->close_code : 1006);
	session_closed_log(b, s);
	if (s->registered) {
		s->registered = false;
		broker_route_inventory_change(b, s->uri, -1);
	}
	pcpt_rx_free(&s->rx);
	pcpt_txq_free(&s->tx);
	cJSON_Delete(s->subscription);
	s->subscription = NULL;
}

static int
session_receive(struct broker_session *s, struct lws *wsi, const void *in,
    size_t len)
{
	int r;

	if (s->state != BROKER_SESS_OPEN)
		return 0;
	if (lws_is_first_fragment(wsi)) {
		pcpt_rx_reset(&s->rx);
		s->rx.binary = lws_frame_is_binary(wsi) != 0;
	}
	r = pcpt_rx_append(&s->rx, in, len);
	if (r == -EMSGSIZE) {
		/* What Jetty does with a message over its limit. */
		broker_event(s->b, "too-big %s", s->uri);
		s->close_code = LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE;
		lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
		    (unsigned char *)"Message too big", 15);
		return -1;
	}
	if (r != 0)
		return -1;
	if (!lws_is_final_fragment(wsi))
		return 0;
	/* Jetty checks a text message's UTF-8 before pcp-broker sees it and
	 * closes with 1007 (issue 8: a v2 reply with raw output bytes). */
	if (!s->rx.binary && !json_utf8_valid((const char *)s->rx.buf,
	    s->rx.len)) {
		broker_event(s->b, "bad-utf8 %s", s->uri);
		s->close_code = LWS_CLOSE_STATUS_INVALID_PAYLOAD;
		lws_close_reason(wsi, LWS_CLOSE_STATUS_INVALID_PAYLOAD,
		    (unsigned char *)TXT_BAD_UTF8, strlen(TXT_BAD_UTF8));
		return -1;
	}
	s->b->stats.messages++;
	broker_route_message(s, s->rx.buf, s->rx.len);
	pcpt_rx_reset(&s->rx);
	return 0;
}

static int
session_writeable(struct broker_session *s, struct lws *wsi)
{
	int r = pcpt_txq_write(&s->tx, wsi);

	if (r < 0)
		return -1;
	if (r > 0) {
		lws_callback_on_writable(wsi);
		return 0;
	}
	if (s->state == BROKER_SESS_CLOSING) {
		lws_close_reason(wsi, (enum lws_close_status)s->close_code,
		    (unsigned char *)s->close_reason, strlen(s->close_reason));
		return -1;
	}
	return 0;
}

static void
session_peer_close(struct broker_session *s, const uint8_t *in, size_t len)
{
	if (s->state == BROKER_SESS_CLOSING || s->close_code != 0)
		return;
	s->close_code = len >= 2 ? (in[0] << 8 | in[1]) : 1005;
}

static int
session_http_refuse(struct lws *wsi)
{
	/* Only websockets live here; a plain request gets a 404. */
	if (lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, NULL))
		return -1;
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

int
broker_session_cb(struct lws *wsi, enum lws_callback_reasons reason,
    void *user, void *in, size_t len)
{
	struct broker *b = lws_context_user(lws_get_context(wsi));
	struct broker_session *s = user;

	switch (reason) {
	case LWS_CALLBACK_HTTP:
		return session_http_refuse(wsi);
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		return session_filter(b, s, wsi) != 0 ? 1 : 0;
	case LWS_CALLBACK_ESTABLISHED:
		session_established(b, s, wsi);
		return 0;
	case LWS_CALLBACK_RECEIVE:
		return session_receive(s, wsi, in, len);
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return session_writeable(s, wsi);
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		session_peer_close(s, in, len);
		return 0;
	case LWS_CALLBACK_CLOSED:
		session_closed(b, s);
		return 0;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

int
broker_session_send(struct broker_session *s, const struct pcp_out *o)
{
	uint8_t *buf;
	size_t len;

	if (s->state != BROKER_SESS_OPEN || s->b->stopping)
		return 0;
	if (pcp_encode(s->version, o, LWS_PRE, &buf, &len) != 0) {
		broker_debug(s->b, 1, "cannot encode %s for %s", o->message_type,
		    s->uri);
		return -1;
	}
	if (pcpt_txq_push(&s->tx, buf, len, s->version == PCP_V1) != 0)
		return -1;
	lws_callback_on_writable(s->wsi);
	return 0;
}

void
broker_session_close(struct broker_session *s, int code, const char *reason)
{
	if (s->state == BROKER_SESS_CLOSING)
		return;
	s->state = BROKER_SESS_CLOSING;
	s->close_code = code;
	snprintf(s->close_reason, sizeof(s->close_reason), "%s", reason);
	if (s->registered) {
		s->registered = false;
		broker_route_inventory_change(s->b, s->uri, -1);
	}
	lws_callback_on_writable(s->wsi);
}

void
broker_sessions_stall_agents(struct broker *b, bool stall)
{
	struct broker_session *s;

	b->stall_agents = stall;
	for (s = b->sessions; s != NULL; s = s->next)
		if (strcmp(s->type, "agent") == 0)
			lws_rx_flow_control(s->wsi, stall ? 0 : 1);
}

void
broker_sessions_close_all(struct broker *b, int code, const char *reason)
{
	struct broker_session *s;

	for (s = b->sessions; s != NULL; s = s->next)
		broker_session_close(s, code, reason);
}

struct broker_session *
broker_session_find(struct broker *b, const char *uri)
{
	struct broker_session *s;

	for (s = b->sessions; s != NULL; s = s->next) {
		if (s->registered && strcmp(s->uri, uri) == 0)
			return s;
	}
	return NULL;
}
