/* broker.h: the test PCP broker's parts and the state they share.
 *   broker.c          flags, lws context/vhost, signals, event log, main
 *   broker_tls.c      client certificate checks (CA, CRL, CN)
 *   broker_session.c  websocket lifecycle, send queue, URI table
 *   broker_route.c    PCP messages: auth, broker messages, forwarding
 * Behaviour follows ../shared/spec/broker-observed.md (pcp-broker
 * 1.8.0); everything here is test code, never linked into the agent. */
#ifndef PXPD_TEST_BROKER_H
#define PXPD_TEST_BROKER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>
#include <libwebsockets.h>
#include <uv.h>

#include "pcp/codec.h"
#include "pcpt.h"

#define BROKER_DEFAULT_MAX_MESSAGE (64u * 1024 * 1024)

/* Close codes and texts the real broker uses (pcp.md §7). */
#define BROKER_CLOSE_SUPERSEDED 4000
#define BROKER_CLOSE_ASSOC_FAILED 4002
#define BROKER_CLOSE_NO_CERT 4003
#define BROKER_TXT_ASSOC_FAILED "Association unsuccessful."
#define BROKER_TXT_NO_CERT "No client certificate."
#define BROKER_TXT_NOT_RUNNING "Broker is not running."

struct broker_config {
	const char *host;
	long long port;            /* 0 = any free port (see ready_file) */
	const char *cert;
	const char *key;
	const char *ca;
	const char *crl;
	long long log_level;       /* 0 quiet, 1 events, 2 debug, 3 lws */
	long long max_message;
	const char *ready_file;
	const char *log_file;
	const char *stats_file;
	const char *conn_log_file;
};

struct broker_stats {
	uint64_t connections;
	uint64_t refused;
	uint64_t messages;
	uint64_t forwarded;
	uint64_t errors;
};

struct broker_session;

struct broker {
	struct broker_config cfg;
	uv_loop_t loop;
	uv_signal_t sig_term;
	uv_signal_t sig_int;
	uv_signal_t sig_usr1;
	uv_signal_t sig_usr2;
	struct lws_context *lws;
	struct broker_session *sessions;   /* every established websocket */
	FILE *log;                         /* event log: --log-file or stderr */
	FILE *conn_log;                    /* --connections-log (JSON lines) */
	long fd_limit;                     /* RLIMIT_NOFILE after raising it */
	struct broker_stats stats;
	bool stopping;
	bool stall_agents;                 /* SIGUSR2: read nothing from agents */
};

enum broker_sess_state {
	BROKER_SESS_OPEN,       /* registered under its URI (or about to be) */
	BROKER_SESS_CLOSING,    /* close requested; flushes its queue first */
};

/* Per-websocket state: lws's per-session user data (zeroed by lws, freed
 * by lws after LWS_CALLBACK_CLOSED). */
struct broker_session {
	struct broker *b;
	struct lws *wsi;
	struct broker_session *next;
	struct broker_session *prev;
	enum pcp_version version;
	enum broker_sess_state state;
	bool has_cert;
	bool listed;            /* linked in b->sessions */
	bool registered;        /* owns `uri` in the routing table */
	bool conn_logged;       /* has its "connected" connections-log line */
	char cn[128];
	char type[128];
	char uri[300];
	struct pcpt_rx rx;
	struct pcpt_txq tx;
	int close_code;         /* ours when we close, else the peer's */
	char close_reason[124];
	cJSON *subscription;    /* inventory query patterns; NULL = none */
};

/* ---- broker.c ---- */
/* One line to the event log (tests read it): "connect pcp://... v1". */
void broker_event(struct broker *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* One JSON line to --connections-log (fleet tests time reconnections
 * with it): {"t":<ms since the epoch>,"event":event,"cn":..,"uri":..}.
 * s may be NULL (broker-wide events); extra, when not NULL, is a JSON
 * object whose members are added to the line (ownership stays with the
 * caller). */
void broker_conn_log(struct broker *b, const char *event,
    const struct broker_session *s, const cJSON *extra);
/* Diagnostics to stderr when log_level >= level. */
void broker_debug(struct broker *b, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- broker_tls.c ---- */
/* Loads the CRL (if any) so every TLS handshake checks it. 0 or -1. */
int broker_tls_init(struct broker *b);
void broker_tls_free(void);
/* Classifies the peer of an accepted TLS connection:
 * 1 = verified certificate (CN copied to cn), 0 = no certificate,
 * -1 = a certificate that the CA did not sign, or revoked, or unreadable. */
int broker_tls_peer_check(struct lws *wsi, char *cn, size_t cnlen);
/* The first 8 bytes of the sha256 of the client certificate's DER, as
 * hex: which certificate of an identity connected (tests of a rotated
 * certificate). "-" and -1 when there is none. */
int broker_tls_peer_fingerprint(struct lws *wsi, char *hex, size_t len);

/* ---- broker_session.c ---- */
int broker_session_cb(struct lws *wsi, enum lws_callback_reasons reason,
    void *user, void *in, size_t len);
/* Encodes o for s's PCP version and queues it. 0 or -1. */
int broker_session_send(struct broker_session *s, const struct pcp_out *o);
/* Asks for a close with code/reason once the queue is flushed; unregisters
 * s's URI at once so nothing more is routed to it. Idempotent. */
void broker_session_close(struct broker_session *s, int code,
    const char *reason);
/* Stops (stall) or resumes reading from every agent session, and from
 * agents that connect while stalled; what is sent to them still goes. */
void broker_sessions_stall_agents(struct broker *b, bool stall);
void broker_sessions_close_all(struct broker *b, int code,
    const char *reason);
/* The registered session for uri, or NULL. */
struct broker_session *broker_session_find(struct broker *b, const char *uri);

/* ---- broker_route.c ---- */
/* One complete websocket message from s. */
void broker_route_message(struct broker_session *s, const uint8_t *buf,
    size_t len);
/* A URI joined (+1) or left (-1): inventory_update to subscribers. */
void broker_route_inventory_change(struct broker *b, const char *uri,
    int change);
/* True when uri matches pattern (pcp://CN/TYPE, CN or TYPE may be *). */
bool broker_route_uri_match(const char *pattern, const char *uri);

#endif
