/* conn_connect.c: how the one broker connection gets (re)made: which
 * broker and address to try, when, and what counts as a failure. The
 * session itself (callbacks, association, keepalive) is conn.c.
 *
 * An attempt: parse the broker URI, resolve its host off the loop (or
 * the proxy's, which then resolves the broker), connect to the addresses
 * one by one, TLS, websocket upgrade. Every step is under connect_timer
 * (connection-timeout, per address). A failure moves on to the next
 * address, then the next broker of broker-ws-uris; once every broker
 * failed in a round, reconnect_delay() (backoff.h) says how long to wait.
 *
 * Invariant: unless pxpd is stopping, exactly one of these holds at any
 * time: a session exists (ASSOCIATING/READY/CLOSING), an attempt runs
 * with connect_timer armed (CONNECTING), or retry_timer is armed (IDLE).
 * A failed or abandoned wsi is detached first (opaque data NULL), so its
 * late callbacks reach nobody. The supervisor timer checks the invariant
 * and repairs it with an error line: an agent must never sit idle. */
#include <stdlib.h>
#include <string.h>

#include "conn/conn_int.h"
#include "base/log.h"

#define PART "conn"
#define SUPERVISE_MS 10000

static void conn__attempt_addr(struct conn *c);

static void
conn__retry(uv_timer_t *t)
{
	conn__attempt_begin(t->data);
}

void
conn__schedule(struct conn *c, uint64_t delay_ms)
{
	if (c->freeing || c->state == CONN_STOPPED)
		return;
	conn__set_state(c, CONN_IDLE);
	uv_timer_stop(&c->connect_timer);
	if (delay_ms >= 1000)
		log_info(PART, "connecting to %s in %.1f s",
		    c->cfg->broker_ws_uris[c->broker], (double)delay_ms / 1000.0);
	uv_timer_start(&c->retry_timer, conn__retry, delay_ms, 0);
}

/* Forgets the wsi of the attempt or session so that its callbacks no
 * longer reach us; with kill it is closed now (from our own timers only:
 * never inside one of its lws callbacks, where lws is closing it anyway).
 * An asynchronous kill would leave a socket in SYN_SENT until lws's next
 * sweep, 30 s later, still knocking at an overloaded broker. */
void
conn__detach(struct conn *c, bool kill)
{
	struct lws *w = c->wsi;

	c->wsi = NULL;
	if (!w)
		return;
	lws_set_opaque_user_data(w, NULL);
	if (kill)
		lws_set_timeout(w, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_SYNC);
}

/* Per-session state back to empty (both after a session and a failed
 * attempt: queued frames belong to the old session; the engine keeps what
 * it still owes in the spool and sends it again once ready). */
static void
conn__session_clear(struct conn *c)
{
	uv_timer_stop(&c->connect_timer);
	uv_timer_stop(&c->pong_timer);
	uv_timer_stop(&c->assoc_timer);
	uv_timer_stop(&c->ping_timer);
	c->pong_wait = c->ping_due = false;
	c->pong_misses = 0;
	c->close_code = 0;
	free(c->rx);
	c->rx = NULL;
	c->rx_len = c->rx_cap = 0;
	c->rx_skip = false;
	c->reached_ready = false;
	conn__tx_clear(c);
	resolve_cancel(c->res);
	c->res = NULL;
}

/* The next round starts from the broker after the last one tried. */
static void
conn__round_end(struct conn *c, enum reconnect_why why)
{
	uint64_t delay = reconnect_delay(&c->rc, why);

	if (c->next_delay_ms) {
		delay = c->next_delay_ms;
		c->next_delay_ms = 0;
	}
	c->round_left = c->cfg->n_broker_ws_uris;
	c->round_handshake = false;
	conn__schedule(c, delay);
	if (c->ops.waiting_cb && !c->freeing)
		c->ops.waiting_cb(c->arg, delay, why == RECONNECT_LOST ? NULL :
		    c->stats.last_error);
}

void
conn__attempt_failed(struct conn *c, enum reconnect_why why,
    const char *what)
{
	if (c->freeing || c->state == CONN_STOPPED)
		return;
	log_warnx(PART, "cannot connect to %s%s%s: %s",
	    c->cfg->broker_ws_uris[c->broker], c->addrs.n > 1 ? " at " : "",
	    c->addrs.n > 1 ? c->addrs.addr[c->addr_idx] : "", what);
	c->stats.failures++;
	snprintf(c->stats.last_error, sizeof(c->stats.last_error),
	    "cannot connect to %s: %s", c->cfg->broker_ws_uris[c->broker],
	    what);
	conn__detach(c, true);
	conn__session_clear(c);
	if (why == RECONNECT_HANDSHAKE)
		c->round_handshake = true;
	/* Another address of the same broker: at once (from the loop, not
	 * from inside the lws callback that reported the failure). */
	if (why == RECONNECT_UNREACHABLE && c->addr_idx + 1 < c->addrs.n) {
		c->addr_idx++;
		conn__set_state(c, CONN_IDLE);
		uv_timer_start(&c->retry_timer, conn__retry, 0, 0);
		c->addr_next = true;
		return;
	}
	c->broker = (c->broker + 1) % c->cfg->n_broker_ws_uris;
	if (--c->round_left > 0) {
		conn__schedule(c, 0);
		return;
	}
	conn__round_end(c, c->round_handshake ? RECONNECT_HANDSHAKE :
	    RECONNECT_UNREACHABLE);
}

void
conn__session_lost(struct conn *c)
{
	conn__detach(c, false);
	conn__session_clear(c);
	if (c->freeing || c->state == CONN_STOPPED)
		return;
	/* A broker that worked is tried again first. */
	conn__round_end(c, RECONNECT_LOST);
}

/* ---- one attempt ----------------------------------------------------- */

static void
conn__connect_timeout(uv_timer_t *t)
{
	struct conn *c = t->data;

	if (c->state != CONN_CONNECTING)
		return;
	/* With TCP up the broker is there but slow: a handshake failure (back
	 * off), not an unreachable one (poll). */
	conn__attempt_failed(c, c->tcp_up ? RECONNECT_HANDSHAKE :
	    RECONNECT_UNREACHABLE, c->res ? "name lookup timed out" :
	    c->tcp_up ? "no TLS/websocket handshake within connection-timeout" :
	    "no TCP connection within connection-timeout");
}

/* lws's CLIENT_CONNECTION_ERROR, with its reason (bounded, without the
 * newline lws ends it with). */
void
conn__lws_failed(struct conn *c, const char *why)
{
	char text[256];
	size_t n;

	snprintf(text, sizeof(text), "%s", why && *why ? why : "unknown error");
	n = strlen(text);
	while (n && (unsigned char)text[n - 1] <= ' ')
		text[--n] = '\0';
	conn__attempt_failed(c, c->tcp_up ? RECONNECT_HANDSHAKE :
	    RECONNECT_UNREACHABLE, text);
}

static void
conn__attempt_addr(struct conn *c)
{
	struct lws_client_connect_info i;
	const char *addr = c->addrs.addr[c->addr_idx];
	struct lws *w;

	if (net_connect_info(c->ctx, c->vh, &c->target, &c->proxy, addr,
	    &i) != 0) {
		conn__attempt_failed(c, RECONNECT_UNREACHABLE,
		    "cannot use broker-ws-proxy");
		return;
	}
	i.path = c->path;
	i.origin = c->target.host_hdr;
	i.local_protocol_name = "pcp";
	i.opaque_user_data = c;

	conn__set_state(c, CONN_CONNECTING);
	c->tcp_up = false;
	log_info(PART, "connecting to %s%s%s (PCP v%d)",
	    c->cfg->broker_ws_uris[c->broker], c->proxy.host ? " via proxy " :
	    strcmp(addr, c->target.host) ? " at " : "", c->proxy.host ||
	    strcmp(addr, c->target.host) ? addr : "", c->cfg->pcp_version);
	uv_timer_start(&c->connect_timer, conn__connect_timeout,
	    (uint64_t)c->cfg->connection_timeout * 1000, 0);
	/* lws may report a failure from inside this call, before it returns
	 * the wsi: the callback sees in_connect and takes it as ours. */
	c->in_connect = true;
	w = lws_client_connect_via_info(&i);
	c->in_connect = false;
	if (c->state != CONN_CONNECTING) {
		/* It failed inside the call and is rescheduled already; a
		 * late callback of w is not c->wsi's and is ignored. */
		return;
	}
	if (!w) {
		conn__attempt_failed(c, RECONNECT_UNREACHABLE,
		    "lws could not start the connection");
		return;
	}
	if (!c->wsi)
		c->wsi = w;
}

static void
conn__resolved(void *arg, const struct resolve_result *res)
{
	struct conn *c = arg;

	c->res = NULL;
	if (res->status != 0) {
		char what[160];

		snprintf(what, sizeof(what), "cannot resolve %s: %s",
		    c->proxy.host ? c->proxy.host : c->target.host,
		    uv_strerror(res->status));
		conn__attempt_failed(c, RECONNECT_UNREACHABLE, what);
		return;
	}
	c->addrs = *res;
	c->addr_idx = 0;
	/* One CONNECT per attempt: the proxy tries the broker's addresses. */
	if (c->proxy.host)
		c->addrs.n = 1;
	conn__attempt_addr(c);
}

static void
conn__target_free(struct conn *c)
{
	net_target_free(&c->target);
	free(c->path);
	c->path = NULL;
	resolve_proxy_free(&c->proxy);
}

void
conn__attempt_begin(struct conn *c)
{
	const char *path;
	struct resolve *r;

	if (c->freeing || c->state == CONN_STOPPED || c->wsi)
		return;
	if (c->addr_next) {
		/* The next address of the broker being tried. */
		c->addr_next = false;
		conn__attempt_addr(c);
		return;
	}
	conn__target_free(c);
	c->addrs.n = 0;
	c->addr_idx = 0;
	conn__set_state(c, CONN_CONNECTING);
	uv_timer_start(&c->connect_timer, conn__connect_timeout,
	    (uint64_t)c->cfg->connection_timeout * 1000, 0);
	if (net_target_parse(c->cfg->broker_ws_uris[c->broker], NULL,
	    &c->target) != 0 || (c->cfg->broker_ws_proxy &&
	    *c->cfg->broker_ws_proxy &&
	    resolve_proxy_parse(c->cfg->broker_ws_proxy, &c->proxy) != 0)) {
		conn__attempt_failed(c, RECONNECT_UNREACHABLE,
		    "cannot parse the broker URI or broker-ws-proxy");
		return;
	}
	/* v2 names the client type in the path: wss://b:8142/pcp2/ ->
	 * /pcp2/agent, as cpp-pcp-client. */
	path = c->target.path;
	if (c->cfg->pcp_version == 2)
		c->path = util_asprintf("/%s%sagent", path,
		    (*path && path[strlen(path) - 1] != '/') ? "/" : "");
	else
		c->path = util_asprintf("/%s", path);
	if (!c->path) {
		conn__attempt_failed(c, RECONNECT_UNREACHABLE, "out of memory");
		return;
	}
	r = resolve_start(c->loop, c->proxy.host ? c->proxy.host :
	    c->target.host,
	    conn__resolved, c);
	if (!r) {
		conn__attempt_failed(c, RECONNECT_UNREACHABLE, "out of memory");
		return;
	}
	/* A literal answers from the loop, later: r is still pending here. */
	c->res = r;
}

/* ---- the invariant's guard -------------------------------------------- */

static void
conn__supervise(uv_timer_t *t)
{
	struct conn *c = t->data;

	if (c->freeing || c->state == CONN_STOPPED)
		return;
	if (c->state == CONN_IDLE && !uv_is_active((uv_handle_t *)
	    &c->retry_timer)) {
		log_error(PART, "no reconnection was scheduled (a bug); "
		    "reconnecting now");
		conn__schedule(c, 0);
	} else if (c->state == CONN_CONNECTING && !uv_is_active((uv_handle_t *)
	    &c->connect_timer)) {
		log_error(PART, "a connection attempt had no timeout (a bug); "
		    "abandoning it");
		conn__attempt_failed(c, RECONNECT_HANDSHAKE, "abandoned");
	}
}

void
conn__supervise_start(struct conn *c)
{
	uv_timer_start(&c->supervise_timer, conn__supervise, SUPERVISE_MS,
	    SUPERVISE_MS);
}

void
conn__target_release(struct conn *c)
{
	resolve_cancel(c->res);
	c->res = NULL;
	conn__target_free(c);
}
