/* conn.c: the PCP connection's session (conn.h): the lws context, the
 * one client wsi's callbacks, v1 association, keepalive. Making and
 * remaking the connection is conn_connect.c, frames in and out
 * conn_frames.c; PXP is engine.c, the wire format codec*.c.
 * Invariant: at most one wsi is ours (c->wsi); every state change goes
 * through conn__set_state(); frames are written only from
 * CLIENT_WRITEABLE. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conn/conn_int.h"
#include "base/log.h"
#include "net/lwsctx.h"

#define PART "conn"

static const char *const state_names[] = {
	"idle", "connecting", "associating", "ready", "closing", "stopped",
};

void
conn__set_state(struct conn *c, enum conn_state s)
{
	bool was_ready = c->state == CONN_READY;

	if (c->state == s)
		return;
	log_debug(PART, "state %s -> %s", state_names[c->state],
	    state_names[s]);
	c->state = s;
	if (c->freeing)
		return;     /* the owner is tearing down: no callbacks */
	if (s == CONN_READY) {
		c->reached_ready = true;
		c->stats.connects++;
		c->stats.connected_since_ms = util_now_ms();
		reconnect_success(&c->rc);
		c->ops.ready_cb(c->arg, true);
	} else if (was_ready) {
		c->stats.connected_since_ms = 0;
		c->ops.ready_cb(c->arg, false);
	}
}

void
conn__close(struct conn *c, int code, const char *reason)
{
	if (!c->wsi)
		return;
	c->close_code = code;
	c->close_reason = reason;
	lws_callback_on_writable(c->wsi);
	/* If the peer stopped reading, writeable never comes: kill anyway. */
	lws_set_timeout(c->wsi, PENDING_TIMEOUT_CLOSE_SEND, 2);
}

/* ---- keepalive ------------------------------------------------------ */

static void
conn__ping(uv_timer_t *t)
{
	struct conn *c = t->data;

	if (!c->wsi || (c->state != CONN_READY && c->state != CONN_ASSOCIATING))
		return;
	c->ping_due = true;
	lws_callback_on_writable(c->wsi);
}

void
conn__pong_timeout(uv_timer_t *t)
{
	struct conn *c = t->data;

	c->pong_wait = false;
	c->pong_misses++;
	log_warnx(PART, "no pong from the broker within %d ms (%d in a row)",
	    PONG_TIMEOUT_MS, c->pong_misses);
	if (c->pong_misses > c->cfg->allowed_keepalive_timeouts)
		conn__close(c, LWS_CLOSE_STATUS_NORMAL,
		    "consecutive onPongTimeouts");
}

/* ---- association (v1) ------------------------------------------------ */

static void
conn__assoc_timeout(uv_timer_t *t)
{
	struct conn *c = t->data;

	if (c->state != CONN_ASSOCIATING)
		return;
	log_warnx(PART, "no associate_response within %lld s; reconnecting",
	    c->cfg->association_timeout);
	c->next_delay_ms = backoff_rand(&c->rc.bo, ASSOC_RETRY_MIN_MS,
	    ASSOC_RETRY_MAX_MS);
	conn__close(c, LWS_CLOSE_STATUS_NORMAL, "association timeout");
}

static void
conn__associate(struct conn *c)
{
	struct pcp_out o;
	char expires[UTIL_TIME_LEN];

	util_uuid4(c->assoc_id);
	util_time_iso(expires, c->cfg->association_timeout);
	memset(&o, 0, sizeof(o));
	o.id = c->assoc_id;
	o.message_type = PCP_NS "associate_request";
	o.target = PCP_SERVER_URI;
	o.expires = expires;
	conn__set_state(c, CONN_ASSOCIATING);
	if (conn__encode_send(c, &o) != 0) {
		conn__close(c, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION, "no memory");
		return;
	}
	uv_timer_start(&c->assoc_timer, conn__assoc_timeout,
	    (uint64_t)c->cfg->association_timeout * 1000, 0);
}

/* While associating, only the answer to our request matters: pcp.md §6. */
void
conn__assoc_message(struct conn *c, struct pcp_msg *m)
{
	const char *type = pcp_type_name(m->message_type);
	const cJSON *id = m->data ? cJSON_GetObjectItemCaseSensitive(m->data,
	    "id") : NULL;
	bool ours = cJSON_IsString(id) && !strcmp(id->valuestring, c->assoc_id);
	const cJSON *ok, *reason;

	if (!type || !ours) {
		log_debug(PART, "discarding %s while associating",
		    m->message_type);
		return;
	}
	if (!strcmp(type, "associate_response")) {
		ok = cJSON_GetObjectItemCaseSensitive(m->data, "success");
		reason = cJSON_GetObjectItemCaseSensitive(m->data, "reason");
		uv_timer_stop(&c->assoc_timer);
		if (cJSON_IsTrue(ok)) {
			log_info(PART, "associated with %s as %s",
			    c->cfg->broker_ws_uris[c->broker], c->uri);
			conn__set_state(c, CONN_READY);
			return;
		}
		log_fatalx(PART, "Associate Session failure: %s",
		    cJSON_IsString(reason) ? reason->valuestring : "no reason");
		conn__set_state(c, CONN_CLOSING);
		c->ops.fatal_cb(c->arg, PXPD_EXIT_CONFIG,
		    "the broker refused the association");
		return;
	}
	if (!strcmp(type, "error_message") || !strcmp(type, "ttl_expired")) {
		const cJSON *d = cJSON_GetObjectItemCaseSensitive(m->data,
		    "description");

		uv_timer_stop(&c->assoc_timer);
		log_warnx(PART, "association failed: %s %s; retrying", type,
		    cJSON_IsString(d) ? d->valuestring : "");
		c->next_delay_ms = backoff_rand(&c->rc.bo, ASSOC_RETRY_MIN_MS,
		    ASSOC_RETRY_MAX_MS);
		conn__close(c, LWS_CLOSE_STATUS_NORMAL, "association failed");
	}
}

/* ---- lws callback ----------------------------------------------------- */

static void
conn__log_peer_close(struct conn *c, const void *in, size_t len)
{
	const unsigned char *p = in;
	int code = len >= 2 ? (p[0] << 8) | p[1] : 0;
	int rlen = len > 2 ? (int)(len - 2) : 0;

	if (rlen > 200)
		rlen = 200;
	log_warnx(PART, "broker %s closed the connection: %d %.*s",
	    c->cfg->broker_ws_uris[c->broker], code, rlen,
	    rlen ? (const char *)p + 2 : "");
	/* 4002 after a refused association is handled by fatal_cb. */
}

/* Just before the upgrade request goes out, TLS done: what mbedTLS does
 * not check (CRL, an IP literal only ever matching an IP SAN) and the
 * log line saying what was negotiated. -1 refuses the broker. */
static int
conn__tls_ready(struct conn *c, struct lws *wsi)
{
	char why[200], sess[96];

	if (tls_peer_check(wsi, c->target.host, c->crl, why, sizeof(why)) != 0) {
		log_error(PART, "broker %s: %s: refusing",
		    c->cfg->broker_ws_uris[c->broker], why);
		return -1;
	}
	tls_peer_session(wsi, sess, sizeof(sess));
	log_info(PART, "TLS to %s: %s", c->cfg->broker_ws_uris[c->broker],
	    sess);
	snprintf(c->stats.tls, sizeof(c->stats.tls), "%s", sess);
	return 0;
}

static int
conn__callback(struct lws *wsi, enum lws_callback_reasons reason,
    void *user, void *in, size_t len)
{
	struct conn *c = lws_get_opaque_user_data(wsi);

	/* Only the current wsi is ours; inside lws_client_connect_via_info
	 * it is not known yet (c->wsi NULL) but is the one calling. */
	if (!c || (wsi != c->wsi && !(c->in_connect && !c->wsi)))
		return lws_callback_http_dummy(wsi, reason, user, in, len);

	switch (reason) {
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		conn__detach(c, false);     /* lws closes it */
		conn__lws_failed(c, in ? (const char *)in : NULL);
		return 0;

	case LWS_CALLBACK_WSI_CREATE:
		/* lws makes this call once the TCP connection is up. */
		c->tcp_up = true;
		break;

	case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
		if (conn__tls_ready(c, wsi) == 0)
			return 0;
		/* lws closes it without a CONNECTION_ERROR: the attempt ends
		 * here, and the wsi is no longer ours. */
		conn__detach(c, false);
		conn__attempt_failed(c, RECONNECT_HANDSHAKE, "the broker's "
		    "certificate was refused");
		return -1;

	case LWS_CALLBACK_WSI_DESTROY:
		/* The last word on any wsi: one that lws closed without telling
		 * us otherwise must not stay in c->wsi (a later kill would use
		 * freed memory). */
		conn__detach(c, false);
		if (c->state == CONN_CONNECTING)
			conn__attempt_failed(c, c->tcp_up ? RECONNECT_HANDSHAKE :
			    RECONNECT_UNREACHABLE, "closed by libwebsockets");
		else if (c->state != CONN_IDLE && c->state != CONN_STOPPED)
			conn__session_lost(c);
		break;

	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		uv_timer_stop(&c->connect_timer);
		c->wsi = wsi;
		log_info(PART, "connected to %s", c->cfg->broker_ws_uris[c->broker]);
		uv_timer_start(&c->ping_timer, conn__ping,
		    (uint64_t)c->cfg->ping_interval * 1000,
		    (uint64_t)c->cfg->ping_interval * 1000);
		if (c->cfg->pcp_version == 1)
			conn__associate(c);
		else
			conn__set_state(c, CONN_READY);
		return 0;

	case LWS_CALLBACK_CLIENT_RECEIVE:
		return conn__receive(c, wsi, in, len);

	case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
		uv_timer_stop(&c->pong_timer);
		c->pong_wait = false;
		c->pong_misses = 0;
		return 0;

	case LWS_CALLBACK_CLIENT_WRITEABLE:
		return conn__writeable(c, wsi);

	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		conn__log_peer_close(c, in, len);
		return 0;

	case LWS_CALLBACK_CLIENT_CLOSED:
		log_info(PART, "disconnected from %s",
		    c->cfg->broker_ws_uris[c->broker]);
		conn__detach(c, false);     /* lws closes it */
		/* A session that worked is "lost". Before that it is a failed
		 * attempt: lws reports a connect refused inside
		 * lws_client_connect_via_info this way, not as an error. */
		if (c->reached_ready)
			conn__session_lost(c);
		else if (c->state == CONN_CONNECTING)
			conn__attempt_failed(c, c->tcp_up ? RECONNECT_HANDSHAKE :
			    RECONNECT_UNREACHABLE, c->tcp_up ? "closed during "
			    "the TLS or websocket handshake" : "connection "
			    "refused or unreachable");
		else
			conn__attempt_failed(c, RECONNECT_HANDSHAKE,
			    "closed before the session was ready");
		return 0;

	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols conn_protocols[] = {
	{ "pcp", conn__callback, 0, 16 * 1024, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 },
};

/* lws logs through us, at one level below its own severity. */
static void
conn__lws_log(int level, const char *line)
{
	enum log_level l = level & LLL_ERR ? LOG_LVL_DEBUG : LOG_LVL_TRACE;
	size_t n = strlen(line);

	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	log_msg(l, "lws", "%.*s", (int)n, line);
}

void
conn_lws_log_init(void)
{
	lws_set_log_level(LLL_ERR | LLL_WARN | (log_enabled(LOG_LVL_TRACE) ?
	    LLL_NOTICE | LLL_INFO : 0), conn__lws_log);
}

/* ---- lifecycle -------------------------------------------------------- */

static void
conn__timer_init(struct conn *c, uv_timer_t *t)
{
	uv_timer_init(c->loop, t);
	t->data = c;
	c->open_handles++;
}

struct conn *
conn_new(uv_loop_t *loop, const struct pxpd_config *cfg,
    const struct conn_ops *ops, void *arg, char *err, size_t errlen)
{
	struct conn *c;

	if (!(c = calloc(1, sizeof(*c)))) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->loop = loop;
	c->cfg = cfg;
	c->ops = *ops;
	c->arg = arg;
	c->uri = util_asprintf("pcp://%s/agent", cfg->common_name);
	reconnect_init(&c->rc, (uint64_t)cfg->reconnect_spread * 1000,
	    (uint64_t)cfg->reconnect_backoff_cap * 1000, util_random64());
	c->round_left = cfg->n_broker_ws_uris;
	if (cfg->ssl_crl && *cfg->ssl_crl &&
	    !(c->crl = tls_crl_load(cfg->ssl_ca_cert, cfg->ssl_crl,
	    cfg->crl_expiry_grace, err, errlen)))
		goto fail;
	if (cfg->log_pcp_access && !(c->access = linelog_open(
	    cfg->pcp_access_logfile, err, errlen)))
		goto fail;

	conn_lws_log_init();

	c->ctx = lwsctx_client_new(loop, cfg, &(struct lwsctx_opts){
	    .protocols = conn_protocols, .proxy = cfg->broker_ws_proxy,
	    .connect_timeout_s = (unsigned)cfg->connection_timeout,
	    .timeout_s = (unsigned)cfg->connection_timeout,
	    .serv_buf = 16 * 1024 }, err, errlen);
	if (!c->ctx)
		goto fail;
	c->vh = lws_get_vhost_by_name(c->ctx, "default");

	conn__timer_init(c, &c->retry_timer);
	conn__timer_init(c, &c->connect_timer);
	conn__timer_init(c, &c->ping_timer);
	conn__timer_init(c, &c->pong_timer);
	conn__timer_init(c, &c->assoc_timer);
	conn__timer_init(c, &c->supervise_timer);
	return c;
fail:
	tls_crl_free(c->crl);
	linelog_close(c->access);
	free(c->uri);
	free(c);
	return NULL;
}

void
conn_start(struct conn *c)
{
	uint64_t splay = (uint64_t)c->cfg->connect_splay * 1000;

	conn__supervise_start(c);
	conn__schedule(c, splay ? backoff_rand(&c->rc.bo, 0, splay) : 0);
}

int
conn_send(struct conn *c, const struct pcp_out *o)
{
	if (c->state != CONN_READY || !c->wsi)
		return -ENOTCONN;
	return conn__encode_send(c, o);
}

bool
conn_ready(const struct conn *c)
{
	return c->state == CONN_READY;
}

void
conn_stats(const struct conn *c, struct conn_stats *st)
{
	*st = c->stats;
	st->state = c->state;
	st->broker = c->cfg->broker_ws_uris[c->broker];
	if (c->state != CONN_READY)
		st->tls[0] = '\0';
}

enum conn_state
conn_state(const struct conn *c)
{
	return c->state;
}

const char *
conn_uri(const struct conn *c)
{
	return c->uri;
}

size_t
conn_queued_bytes(const struct conn *c)
{
	return c->tx_bytes;
}

static void
conn__handle_closed(uv_handle_t *h)
{
	struct conn *c = h->data;

	c->open_handles--;
}

void
conn_stop(struct conn *c)
{
	if (!c || c->freeing)
		return;
	c->freeing = true;
	conn__set_state(c, CONN_STOPPED);
	conn__detach(c, false);
	conn__target_release(c);
	/* With a foreign loop this only starts the teardown: lws closes its
	 * handles as the loop runs on, and conn_free() finishes it. */
	lws_context_destroy(c->ctx);
	conn__tx_clear(c);
	free(c->rx);
	c->rx = NULL;
	uv_close((uv_handle_t *)&c->retry_timer, conn__handle_closed);
	uv_close((uv_handle_t *)&c->connect_timer, conn__handle_closed);
	uv_close((uv_handle_t *)&c->ping_timer, conn__handle_closed);
	uv_close((uv_handle_t *)&c->pong_timer, conn__handle_closed);
	uv_close((uv_handle_t *)&c->assoc_timer, conn__handle_closed);
	uv_close((uv_handle_t *)&c->supervise_timer, conn__handle_closed);
}

void
conn_free(struct conn *c)
{
	if (!c)
		return;
	conn_stop(c);
	/* The second call frees what the first could not while lws's libuv
	 * handles were still open (lws 4.1 foreign-loop teardown). */
	lws_context_destroy(c->ctx);
	tls_crl_free(c->crl);
	linelog_close(c->access);
	free(c->uri);
	free(c);
}

void
conn_reopen_logs(struct conn *c)
{
	if (c && linelog_reopen(c->access) != 0)
		log_warn(PART, "pcp-access-logfile: cannot reopen");
}
