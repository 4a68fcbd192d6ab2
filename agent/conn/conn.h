/* conn.h: the one PCP connection to a broker: websocket over mutual TLS on
 * the agent's libuv loop, v1 association, keepalive, reconnect with
 * full-jitter backoff and failover through broker-ws-uris. */
#ifndef PXPD_CONN_H
#define PXPD_CONN_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "pcp/codec.h"
#include "config/config.h"

enum conn_state {
	CONN_IDLE,          /* not started, or waiting to reconnect */
	CONN_CONNECTING,    /* TCP/TLS/websocket handshake under way */
	CONN_ASSOCIATING,   /* v1: associate_request sent, no answer yet */
	CONN_READY,         /* messages may flow */
	CONN_CLOSING,
	CONN_STOPPED,
};

struct conn;

struct conn_ops {
	/* A decoded message arrived; it is cleared after the call returns. */
	void (*message_cb)(void *arg, struct pcp_msg *msg);
	/* The connection became ready (true) or was lost (false). */
	void (*ready_cb)(void *arg, bool ready);
	/* A message sent with a sent_token was written out whole. */
	void (*sent_cb)(void *arg, const char *token);
	/* Unrecoverable: the broker refused the association (exit 3). */
	void (*fatal_cb)(void *arg, int exit_code, const char *why);
	/* Optional: the next attempt waits delay_ms; why is the last
	 * failure (NULL after a session that ended). */
	void (*waiting_cb)(void *arg, uint64_t delay_ms, const char *why);
	/* The send queue, once at max-send-queue or above, is down to half
	 * of it, or it is empty: what waited for room may go (NULL: not
	 * told). */
	void (*drained_cb)(void *arg);
};

/* What the connection has done, for the status file and metrics. */
struct conn_stats {
	enum conn_state state;
	const char *broker;         /* the broker of the last attempt */
	uint64_t connected_since_ms; /* wall clock; 0 when not ready */
	uint64_t connects;          /* sessions that became ready */
	uint64_t failures;          /* attempts that failed */
	uint64_t messages_in, messages_out, bytes_in, bytes_out;
	char tls[96];               /* "TLSv1.3 TLS1-3-..." of the session */
	char last_error[256];
};

/* Routes libwebsockets' own log lines into ours (every lws context of
 * the process: call before the first one is made). */
void conn_lws_log_init(void);
/* Creates the lws context on `loop` (TLS files are loaded here: a bad CA
 * or key fails now). Returns NULL and fills err on failure. */
struct conn *conn_new(uv_loop_t *loop, const struct pxpd_config *cfg,
    const struct conn_ops *ops, void *arg, char *err, size_t errlen);
/* Starts connecting (after the configured first-connect splay). */
void conn_start(struct conn *c);
/* Encodes and queues a message; sender, id (when NULL) and v1 expires
 * are filled in here. Returns 0, -ENOTCONN when not ready, -ENOMEM. */
int conn_send(struct conn *c, const struct pcp_out *o);
bool conn_ready(const struct conn *c);
void conn_stats(const struct conn *c, struct conn_stats *st);
enum conn_state conn_state(const struct conn *c);
/* pcp://<cn>/agent */
const char *conn_uri(const struct conn *c);
/* Bytes queued for the socket and not yet written (the engine holds
 * back at max-send-queue; drained_cb says when there is room again). */
size_t conn_queued_bytes(const struct conn *c);
/* SIGUSR2: reopen the PCP access log (log-pcp-access). */
void conn_reopen_logs(struct conn *c);
/* Closes the socket and starts releasing lws; the loop must then run
 * until every handle is closed, and conn_free() be called after it. */
void conn_stop(struct conn *c);
/* Frees what is left once the loop has stopped (calls conn_stop first if
 * it was not). conn_free(NULL) does nothing. */
void conn_free(struct conn *c);

#endif
