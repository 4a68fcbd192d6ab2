/* controller_conn.c: the test controller's one websocket to the broker:
 * connect with TLS, the v1 associate_request, message reassembly, the
 * send queue and the closing handshake. Not what the messages mean
 * (controller_msg.c) nor start-up and exit (controller.c).
 * Invariant: c->wsi is non-NULL exactly while lws holds the connection. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller.h"

static void
conn_uri_make(struct ctl *c)
{
	const char *type = c->cfg.client_type;
	const char *slash;

	if (c->cfg.path != NULL) {
		slash = strrchr(c->path, '/');
		type = slash != NULL ? slash + 1 : c->path;
		if (strcmp(type, "pcp") == 0 || strcmp(type, "pcp2") == 0)
			type = "";
		if (*type == '\0')
			type = "agent";
	}
	snprintf(c->uri, sizeof(c->uri), "pcp://%s/%s", c->cn, type);
}

int
ctl_conn_start(struct ctl *c)
{
	struct lws_client_connect_info ci;

	conn_uri_make(c);
	memset(&ci, 0, sizeof(ci));
	ci.context = c->lws;
	ci.address = c->host;
	ci.port = c->port;
	ci.ssl_connection = LCCSCF_USE_SSL;
	ci.path = c->path;
	ci.host = c->host;
	ci.origin = c->host;
	/* No subprotocol header (pxp-agent sends none); bind locally. */
	ci.protocol = NULL;
	ci.local_protocol_name = "pcp-controller";
	ci.pwsi = &c->wsi;
	if (lws_client_connect_via_info(&ci) == NULL) {
		fprintf(stderr, "pcp-controller: cannot connect to %s:%d\n",
		    c->host, c->port);
		return -1;
	}
	return 0;
}

int
ctl_conn_send(struct ctl *c, const struct pcp_out *o)
{
	enum pcp_version v = c->cfg.version == 2 ? PCP_V2 : PCP_V1;
	uint8_t *buf;
	size_t len;

	if (c->wsi == NULL)
		return -1;
	if (pcp_encode(v, o, LWS_PRE, &buf, &len) != 0) {
		fprintf(stderr, "pcp-controller: cannot encode %s (v1 needs a "
		    "sender)\n", o->message_type);
		return -1;
	}
	if (pcpt_txq_push(&c->tx, buf, len, v == PCP_V1) != 0)
		return -1;
	lws_callback_on_writable(c->wsi);
	return 0;
}

int
ctl_conn_send_raw(struct ctl *c, const uint8_t *bytes, size_t len)
{
	uint8_t *buf;

	if (c->wsi == NULL || (buf = malloc(LWS_PRE + len + 1)) == NULL)
		return -1;
	memcpy(buf + LWS_PRE, bytes, len);
	if (pcpt_txq_push(&c->tx, buf, len, c->cfg.version != 2) != 0)
		return -1;
	lws_callback_on_writable(c->wsi);
	return 0;
}

void
ctl_conn_close(struct ctl *c)
{
	if (c->wsi != NULL)
		lws_callback_on_writable(c->wsi);
}

static void
conn_associate(struct ctl *c)
{
	char type[128], expires[32];
	struct pcp_out o;

	pcpt_uuid(c->assoc_id);
	ctl_msg_expires(expires, 15);
	snprintf(type, sizeof(type), PCP_NS "associate_request");
	memset(&o, 0, sizeof(o));
	o.id = c->assoc_id;
	o.message_type = type;
	o.sender = c->cfg.sender != NULL ? c->cfg.sender : c->uri;
	o.target = PCP_SERVER_URI;
	o.expires = expires;
	c->state = CTL_ASSOCIATING;
	if (ctl_conn_send(c, &o) != 0)
		ctl_finish(c, CTL_EXIT_CONN);
}

static void
conn_established(struct ctl *c)
{
	if (c->state == CTL_FINISHING) {
		ctl_conn_close(c);
		return;
	}
	if (c->cfg.version == 1 && !c->cfg.no_associate && !c->cfg.no_client_cert) {
		conn_associate(c);
		return;
	}
	c->state = CTL_RUNNING;
	ctl_msg_start(c);
}

static void
conn_message(struct ctl *c)
{
	enum pcp_version v = c->cfg.version == 2 ? PCP_V2 : PCP_V1;
	const char *err = NULL;
	struct pcp_msg m;
	cJSON *line;
	char *txt;

	if (pcp_decode(v, c->rx.buf, c->rx.len, &m, &err) != 0) {
		fprintf(stderr, "pcp-controller: undecodable message: %s\n",
		    err != NULL ? err : "?");
		line = cJSON_CreateObject();
		cJSON_AddStringToObject(line, "event", "undecodable");
		cJSON_AddStringToObject(line, "error", err != NULL ? err : "?");
		if ((txt = cJSON_PrintUnformatted(line)) != NULL)
			printf("%s\n", txt);
		cJSON_free(txt);
		cJSON_Delete(line);
		fflush(stdout);
		return;
	}
	ctl_msg_received(c, &m);
	pcp_msg_clear(&m);
}

static int
conn_receive(struct ctl *c, struct lws *wsi, const void *in, size_t len)
{
	int r;

	if (lws_is_first_fragment(wsi)) {
		pcpt_rx_reset(&c->rx);
		c->rx.max = (size_t)c->cfg.max_message;
		c->rx.binary = lws_frame_is_binary(wsi) != 0;
	}
	r = pcpt_rx_append(&c->rx, in, len);
	if (r != 0) {
		fprintf(stderr, "pcp-controller: %s\n", r == -EMSGSIZE ?
		    "message over --max-message-size" : "out of memory");
		return -1;
	}
	if (!lws_is_final_fragment(wsi))
		return 0;
	if (c->state != CTL_FINISHING)
		conn_message(c);
	pcpt_rx_reset(&c->rx);
	return 0;
}

static int
conn_writeable(struct ctl *c, struct lws *wsi)
{
	int r = pcpt_txq_write(&c->tx, wsi);

	if (r < 0)
		return -1;
	if (r > 0) {
		/* Still flushing (a big reply): the close grace counts from
		 * the last progress, not from ctl_finish. */
		if (c->state == CTL_FINISHING)
			ctl_grace_restart(c);
		lws_callback_on_writable(wsi);
		return 0;
	}
	if (c->state == CTL_FINISHING) {
		lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL,
		    (unsigned char *)"done", 4);
		return -1;
	}
	return 0;
}

static void
conn_peer_close(struct ctl *c, const uint8_t *in, size_t len)
{
	size_t n;

	c->close_code = len >= 2 ? (in[0] << 8 | in[1]) : 1005;
	n = len > 2 ? len - 2 : 0;
	if (n >= sizeof(c->close_reason))
		n = sizeof(c->close_reason) - 1;
	if (n > 0)
		memcpy(c->close_reason, in + 2, n);
	c->close_reason[n] = '\0';
}

static void
conn_closed(struct ctl *c, const char *why)
{
	cJSON *line;
	char *txt;

	c->wsi = NULL;
	if (c->state != CTL_FINISHING) {
		line = cJSON_CreateObject();
		cJSON_AddStringToObject(line, "event", "close");
		cJSON_AddNumberToObject(line, "code",
		    c->close_code != 0 ? c->close_code : 1006);
		cJSON_AddStringToObject(line, "reason", c->close_reason);
		if (why != NULL)
			cJSON_AddStringToObject(line, "error", why);
		if ((txt = cJSON_PrintUnformatted(line)) != NULL)
			printf("%s\n", txt);
		cJSON_free(txt);
		cJSON_Delete(line);
		if (why != NULL)
			fprintf(stderr, "pcp-controller: connection failed: %.*s\n",
			    (int)strcspn(why, "\n"), why);
		else
			fprintf(stderr, "pcp-controller: connection closed by the "
			    "broker: %d %s\n", c->close_code != 0 ?
			    c->close_code : 1006, c->close_reason);
		ctl_finish(c, CTL_EXIT_CONN);
	}
	ctl_shutdown_soon(c);
}

int
ctl_conn_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct ctl *c = lws_context_user(lws_get_context(wsi));

	switch (reason) {
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		conn_closed(c, in != NULL ? (const char *)in : "unknown error");
		return 0;
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		conn_established(c);
		return 0;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		return conn_receive(c, wsi, in, len);
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		return conn_writeable(c, wsi);
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		conn_peer_close(c, in, len);
		return 0;
	case LWS_CALLBACK_CLIENT_CLOSED:
		conn_closed(c, NULL);
		return 0;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}
