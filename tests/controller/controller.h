/* controller.h: the test PCP controller's parts and shared state.
 *   controller.c       flags, lws client context on a libuv loop, timers,
 *                      exit codes, main
 *   controller_conn.c  the websocket: connect, v1 association, receive,
 *                      send queue, close
 *   controller_msg.c   PXP requests, reply matching, output lines,
 *                      latency summary, the --reply fake agent
 * Exit codes: 0 all expected replies, 1 timeout, 2 usage, 3 connection,
 * TLS or association failure (one line on stderr says which). */
#ifndef PXPD_TEST_CONTROLLER_H
#define PXPD_TEST_CONTROLLER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <libwebsockets.h>
#include <uv.h>

#include "pcp/codec.h"
#include "pcpt.h"

enum {
	CTL_EXIT_OK = 0,
	CTL_EXIT_TIMEOUT = 1,
	CTL_EXIT_USAGE = 2,
	CTL_EXIT_CONN = 3,
};

struct ctl_config {
	const char *broker;          /* wss://host:port[/path] */
	const char *cert;
	const char *key;
	const char *ca;
	long long version;           /* 1 or 2 */
	const char *client_type;     /* path TYPE, default "controller" */
	const char *path;            /* full path override, e.g. "/pcp/" */
	const char *target;
	const char *targets_file;    /* one URI per line, requests round-robin */
	const char *module;
	const char *action;
	const char *params;          /* JSON object text */
	const char *params_file;
	const char *data;            /* whole data JSON, replaces the PXP one */
	const char *data_file;
	const char *raw_data;        /* exact data chunk bytes */
	const char *message_type;    /* short name or full URI */
	const char *transaction_id;
	const char *sender;          /* override (auth tests) */
	const char *in_reply_to;
	const char *notify_outcome;  /* "true" / "false" */
	const char *raw_message;     /* one frame sent verbatim */
	const char *raw_message_hex; /* the same, given as hex */
	const char *debug;           /* v1 debug chunk(s): object or array */
	long long count;
	long long timeout_ms;
	long long expect;            /* -1: count (or 0 with --listen) */
	long long max_message;
	long long interval_ms;       /* open loop: one request every N ms */
	bool non_blocking;
	bool pipeline;
	bool latency;
	bool listen;
	bool reply;                  /* fake agent: answer requests */
	bool no_client_cert;
	bool no_associate;
	bool no_sender;
	bool no_data;
	bool quiet;
	bool data_digest;
	bool destination_report;     /* v1 envelope flag */
};

/* One request we send and the reply that ends it. */
struct ctl_req {
	char id[PCPT_UUID_LEN];
	char *txid;                  /* NULL when the data has none */
	double sent_ms;
	double latency_ms;
	bool sent;
	bool done;
};

enum ctl_state {
	CTL_CONNECTING,
	CTL_ASSOCIATING,
	CTL_RUNNING,
	CTL_FINISHING,               /* result known; closing the socket */
};

struct ctl {
	struct ctl_config cfg;
	uv_loop_t loop;
	uv_timer_t timer;            /* overall --timeout-ms */
	uv_timer_t grace;            /* bounds the closing handshake */
	uv_timer_t pace;             /* --interval-ms */
	uv_signal_t sig_int;
	uv_signal_t sig_term;
	struct lws_context *lws;
	struct lws *wsi;
	enum ctl_state state;
	char host[256];
	int port;
	char path[512];
	char cn[128];
	char uri[700];               /* pcp://<cn>/<type>, both bounded */
	char assoc_id[PCPT_UUID_LEN];
	char mtype[256];             /* full message_type of our requests */
	struct pcpt_rx rx;
	struct pcpt_txq tx;
	char *data_template;         /* --data / --data-file text */
	char *params_text;           /* --params / --params-file text */
	struct ctl_req *reqs;
	size_t nreqs;
	char *targets_text;          /* --targets-file, split in place */
	char **targets;
	size_t ntargets;
	size_t next_send;
	size_t scan_from;            /* reqs below this index are all done */
	size_t finals;
	size_t expect;
	double first_send_ms;
	double first_send_unix_ms;  /* the same, on the wall clock */
	double last_final_ms;
	int exit_code;
	int close_code;              /* from the broker's close frame */
	char close_reason[128];
	bool lws_gone;
	bool assoc_refused;          /* wait for the broker's close, then 3 */
	uint8_t *raw;                /* --raw-message(-hex) bytes */
	size_t raw_len;
	cJSON *debug;                /* parsed --debug, as an array */
};

/* ---- controller.c ---- */
/* Records the exit code (the first one wins) and starts the shutdown. */
void ctl_finish(struct ctl *c, int exit_code);
/* Closes our handles and lets lws tear down; the loop then ends. */
void ctl_shutdown(struct ctl *c);
/* (Re)arms the 2 s limit on the closing handshake. */
void ctl_grace_restart(struct ctl *c);
/* The same from the next loop turn (safe inside lws callbacks). */
void ctl_shutdown_soon(struct ctl *c);

/* ---- controller_conn.c ---- */
int ctl_conn_start(struct ctl *c);
int ctl_conn_cb(struct lws *wsi, enum lws_callback_reasons reason,
    void *user, void *in, size_t len);
/* Encodes and queues a message for the broker. 0 or -1. */
int ctl_conn_send(struct ctl *c, const struct pcp_out *o);
/* Queues bytes as one frame, verbatim (binary for v1). 0 or -1. */
int ctl_conn_send_raw(struct ctl *c, const uint8_t *bytes, size_t len);
/* Sends the close frame (1000) once the queue is flushed. */
void ctl_conn_close(struct ctl *c);

/* ---- controller_msg.c ---- */
int ctl_msg_prepare(struct ctl *c);
void ctl_msg_free(struct ctl *c);
/* Association is done (or not needed): start sending requests. */
void ctl_msg_start(struct ctl *c);
/* One decoded message from the broker. */
void ctl_msg_received(struct ctl *c, const struct pcp_msg *m);
/* Prints the --latency summary line. */
void ctl_msg_summary(struct ctl *c);
/* ISO 8601 UTC time now + offset_s, e.g. 2016-02-19T10:09:18.283Z */
void ctl_msg_expires(char out[32], long offset_s);

#endif
