/* conn_int.h: what conn.c (the session: lws callbacks, association,
 * keepalive), conn_connect.c (making the connection: brokers, addresses,
 * reconnect policy) and conn_frames.c (frames in and out) share. Not for
 * other parts: they use conn.h. */
#ifndef PXPD_CONN_INT_H
#define PXPD_CONN_INT_H

#include <libwebsockets.h>

#include "base/backoff.h"
#include "conn/conn.h"
#include "base/linelog.h"
#include "net/lwsctx.h"
#include "net/resolve.h"
#include "net/tls_peer.h"
#include "base/util.h"

/* pxp-agent's (cpp-pcp-client's) fixed pong timeout. */
#define PONG_TIMEOUT_MS 5000
/* Large frames go out in fragments so lws never copies a whole message. */
#define TX_FRAGMENT (256 * 1024)
/* After a refused or failed association: a random 5-10 s pause. */
#define ASSOC_RETRY_MIN_MS 5000
#define ASSOC_RETRY_MAX_MS 10000

struct conn_tx {
	struct conn_tx *next;
	uint8_t *buf;        /* LWS_PRE headroom + message */
	size_t len;          /* message bytes */
	size_t off;          /* bytes already written */
	char *token;         /* pcp_out.sent_token, for sent_cb */
};

struct conn {
	uv_loop_t *loop;
	const struct pxpd_config *cfg;
	struct conn_ops ops;
	void *arg;

	struct lws_context *ctx;
	struct lws_vhost *vh;
	struct lws *wsi;
	enum conn_state state;
	char *uri;                  /* pcp://<cn>/agent */
	struct tls_crl *crl;
	struct linelog *access;     /* log-pcp-access; NULL when off */

	/* Making the connection (conn_connect.c). */
	int broker;                 /* index into cfg->broker_ws_uris */
	int round_left;             /* brokers to try before a delay */
	bool round_handshake;       /* a broker of this round took TCP */
	bool reached_ready;         /* this socket got to READY */
	struct reconnect rc;
	uint64_t next_delay_ms;     /* set before a close: wait this long */
	struct net_target target;   /* the broker being tried */
	char *path;                 /* the upgrade request's path */
	struct resolve_proxy proxy;     /* broker-ws-proxy, parsed */
	struct resolve *res;        /* name lookup in flight */
	struct resolve_result addrs;
	size_t addr_idx;
	bool addr_next;             /* retry_timer: next address, same broker */
	bool in_connect;            /* inside lws_client_connect_via_info */
	bool tcp_up;                /* this attempt got a TCP connection */

	uv_timer_t retry_timer, connect_timer, ping_timer, pong_timer,
	    assoc_timer, supervise_timer;
	struct conn_stats stats;    /* conn_stats() */
	int open_handles;
	bool freeing;

	int pong_misses;
	bool ping_due, pong_wait;
	int close_code;             /* nonzero: close from the next WRITEABLE */
	const char *close_reason;
	char assoc_id[UTIL_UUID_LEN];

	uint8_t *rx;                /* message being reassembled */
	size_t rx_len, rx_cap;
	bool rx_skip;               /* dropping an oversize message's rest */

	struct conn_tx *tx_head, *tx_tail;
	size_t tx_bytes;
	bool tx_over;               /* reached max-send-queue: drained_cb due */
};

/* conn.c */
void conn__set_state(struct conn *c, enum conn_state s);
void conn__close(struct conn *c, int code, const char *reason);
void conn__assoc_message(struct conn *c, struct pcp_msg *m);
void conn__pong_timeout(uv_timer_t *t);

/* conn_connect.c */
void conn__attempt_begin(struct conn *c);
/* The attempt failed before a session existed; moves on. */
void conn__attempt_failed(struct conn *c, enum reconnect_why why,
    const char *what);
/* lws's CLIENT_CONNECTION_ERROR text, classified. */
void conn__lws_failed(struct conn *c, const char *why);
/* A session (websocket up) ended. */
void conn__session_lost(struct conn *c);
void conn__schedule(struct conn *c, uint64_t delay_ms);
void conn__detach(struct conn *c, bool kill);
void conn__supervise_start(struct conn *c);
void conn__target_release(struct conn *c);

/* conn_frames.c */
/* pcp.md §11: one access-log line per incoming message; m NULL for a
 * message that could not be decoded. */
void conn__access_log(struct conn *c, const struct pcp_msg *m);
void conn__tx_clear(struct conn *c);
int conn__queue(struct conn *c, uint8_t *buf, size_t len, const char *token);
int conn__encode_send(struct conn *c, const struct pcp_out *in);
int conn__receive(struct conn *c, struct lws *wsi, const void *in,
    size_t len);
/* What conn__receive does with a websocket fragment, without lws:
 * appends it to the message being reassembled (dropping a message over
 * max-message-size) and, on the final fragment, decodes and dispatches
 * it. Fed directly by the receive-path fuzz harness. */
int conn__rx_feed(struct conn *c, const void *in, size_t len, bool final);
int conn__writeable(struct conn *c, struct lws *wsi);

#endif
