/* controller.c: the test PCP controller's entry point: flags, the lws
 * client context on a libuv loop, the overall timeout, signals, exit
 * codes. Not the websocket (controller_conn.c) nor PXP messages
 * (controller_msg.c).
 * Invariant: main returns only after lws has closed its handles and the
 * loop is empty, so everything is freed (valgrind-clean). */
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <psa/crypto.h>

#include "controller.h"

enum opt_kind {
	OPT_STR,
	OPT_NUM,
	OPT_FLAG,
};

/* Each flag is one row: name, kind, bounds, where it lands, help. */
static const struct ctl_opt {
	const char *name;
	enum opt_kind kind;
	long long min;
	long long max;
	size_t off;
	const char *help;
} ctl_opts[] = {
#define S(n, f, h) { n, OPT_STR, 0, 0, offsetof(struct ctl_config, f), h }
#define N(n, lo, hi, f, h) { n, OPT_NUM, lo, hi, offsetof(struct ctl_config, f), h }
#define F(n, f, h) { n, OPT_FLAG, 0, 0, offsetof(struct ctl_config, f), h }
	S("--broker", broker, "wss://HOST:PORT[/PATH] (required)"),
	S("--cert", cert, "F client certificate (PEM; its CN names us)"),
	S("--key", key, "F client key (PEM)"),
	S("--ca", ca, "F CA for the broker certificate (PEM)"),
	N("--pcp-version", 1, 2, version, "1|2 (default 1): /pcp or /pcp2"),
	S("--client-type", client_type, "T our TYPE in the path (controller)"),
	S("--path", path, "P request path, overrides version and type"),
	S("--target", target, "URI recipient (none: the broker)"),
	S("--targets-file", targets_file, "F recipients, one URI per line; "
	    "request i goes to line i mod N"),
	S("--module", module, "M PXP module (echo)"),
	S("--action", action, "A PXP action (echo)"),
	S("--params", params, "JSON action params ({})"),
	S("--params-file", params_file, "F read params JSON from a file"),
	S("--data", data, "JSON whole data, replaces the PXP request data"),
	S("--data-file", data_file, "F read --data from a file"),
	S("--raw-data", raw_data, "S exact data chunk (v1) / data (v2: raw "
	    "when valid JSON, else a JSON string)"),
	F("--no-data", no_data, "send no data at all"),
	S("--raw-message", raw_message, "TEXT send this frame verbatim "
	    "(then count any message, as --listen)"),
	S("--raw-message-hex", raw_message_hex, "HEX the same, as hex bytes"),
	S("--debug", debug, "JSON v1 debug chunk object (or array of them)"),
	F("--destination-report", destination_report, "v1: ask for one"),
	S("--message-type", message_type, "T short name or full URI "
	    "(rpc_blocking_request)"),
	F("--non-blocking", non_blocking, "rpc_non_blocking_request"),
	S("--notify-outcome", notify_outcome, "true|false (true)"),
	S("--transaction-id", transaction_id, "T (T-0..T-N-1 with --count; "
	    "default uuids)"),
	N("--count", 0, 10000000, count, "N requests (1)"),
	F("--pipeline", pipeline, "send all requests at once (default: one "
	    "at a time)"),
	N("--interval-ms", 1, 3600000, interval_ms, "N send one request every "
	    "N ms whether or not the replies came (open loop: a stall delays "
	    "every request sent during it)"),
	N("--timeout-ms", 1, 86400000, timeout_ms, "N overall (10000)"),
	N("--expect", 0, 100000000, expect, "N exit after N final replies "
	    "(default --count; 0: once sent; beyond --count, or with "
	    "--listen: any message counts)"),
	N("--max-message-size", 1, 1LL << 31, max_message, "BYTES (128 MiB)"),
	S("--sender", sender, "URI sender to claim (default our URI)"),
	S("--in-reply-to", in_reply_to, "ID set in_reply_to (v1 in-reply-to)"),
	F("--no-sender", no_sender, "omit sender (v2)"),
	F("--no-associate", no_associate, "v1: skip associate_request"),
	F("--no-client-cert", no_client_cert, "present no certificate"),
	F("--listen", listen, "send nothing; print what arrives"),
	F("--reply", reply, "fake agent: answer rpc requests (echo params)"),
	F("--latency", latency, "print latency lines and a p50/p99/rps "
	    "summary instead of messages"),
	F("--quiet", quiet, "print no message lines"),
	F("--data-digest", data_digest, "print data_len and data_sha256 "
	    "instead of data"),
#undef S
#undef N
#undef F
};

#define NOPTS (sizeof(ctl_opts) / sizeof(ctl_opts[0]))

static void
ctl_usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: pcp-controller --broker wss://HOST:PORT --cert F "
	    "--key F --ca F [options]\n");
	for (i = 0; i < NOPTS; i++)
		fprintf(f, "  %-20s %s\n", ctl_opts[i].name, ctl_opts[i].help);
	fprintf(f, "exit: 0 done, 1 timeout, 2 usage, 3 connection/TLS/"
	    "association failure\n");
}

static int
ctl_broker_parse(struct ctl *c)
{
	const char *p = c->cfg.broker, *colon, *slash;
	long long port;
	char num[16];
	size_t n;

	if (strncmp(p, "wss://", 6) != 0)
		return -1;
	p += 6;
	slash = strchr(p, '/');
	colon = strchr(p, ':');
	if (colon == NULL || (slash != NULL && colon > slash))
		return -1;
	n = (size_t)(colon - p);
	if (n == 0 || n >= sizeof(c->host))
		return -1;
	memcpy(c->host, p, n);
	c->host[n] = '\0';
	n = slash != NULL ? (size_t)(slash - colon - 1) : strlen(colon + 1);
	if (n == 0 || n >= sizeof(num))
		return -1;
	memcpy(num, colon + 1, n);
	num[n] = '\0';
	if (pcpt_num_parse(num, 1, 65535, &port) != 0)
		return -1;
	c->port = (int)port;
	if (c->cfg.path != NULL)
		snprintf(c->path, sizeof(c->path), "%s", c->cfg.path);
	else if (slash != NULL && slash[1] != '\0')
		snprintf(c->path, sizeof(c->path), "%s", slash);
	else
		snprintf(c->path, sizeof(c->path), "/%s/%s",
		    c->cfg.version == 2 ? "pcp2" : "pcp", c->cfg.client_type);
	return 0;
}

static int
ctl_args_parse(struct ctl *c, int argc, char **argv)
{
	struct ctl_config *cfg = &c->cfg;
	const struct ctl_opt *o;
	long long v;
	size_t i;
	int a;

	cfg->version = 1;
	cfg->client_type = "controller";
	cfg->module = "echo";
	cfg->action = "echo";
	cfg->count = 1;
	cfg->timeout_ms = 10000;
	cfg->expect = -1;
	cfg->max_message = 128LL * 1024 * 1024;
	for (a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--help") == 0 || strcmp(argv[a], "-h") == 0) {
			ctl_usage(stdout);
			exit(0);
		}
		for (i = 0; i < NOPTS && strcmp(argv[a], ctl_opts[i].name); i++)
			;
		if (i == NOPTS) {
			fprintf(stderr, "pcp-controller: %s: unknown option\n",
			    argv[a]);
			return -1;
		}
		o = &ctl_opts[i];
		if (o->kind == OPT_FLAG) {
			*(bool *)((char *)cfg + o->off) = true;
			continue;
		}
		if (++a >= argc) {
			fprintf(stderr, "pcp-controller: %s needs a value\n", o->name);
			return -1;
		}
		if (o->kind == OPT_STR) {
			*(const char **)((char *)cfg + o->off) = argv[a];
		} else if (pcpt_num_parse(argv[a], o->min, o->max, &v) == 0) {
			*(long long *)((char *)cfg + o->off) = v;
		} else {
			fprintf(stderr, "pcp-controller: %s: want a number in "
			    "[%lld, %lld]\n", o->name, o->min, o->max);
			return -1;
		}
	}
	if (cfg->broker == NULL || cfg->ca == NULL ||
	    (!cfg->no_client_cert && (cfg->cert == NULL || cfg->key == NULL))) {
		fprintf(stderr, "pcp-controller: --broker, --ca, --cert and "
		    "--key are required\n");
		return -1;
	}
	if (ctl_broker_parse(c) != 0) {
		fprintf(stderr, "pcp-controller: --broker: want "
		    "wss://HOST:PORT[/PATH]\n");
		return -1;
	}
	if (cfg->notify_outcome != NULL &&
	    strcmp(cfg->notify_outcome, "true") != 0 &&
	    strcmp(cfg->notify_outcome, "false") != 0) {
		fprintf(stderr, "pcp-controller: --notify-outcome: true|false\n");
		return -1;
	}
	return 0;
}

static void
ctl_handle_close(uv_handle_t *h)
{
	/* A handle never initialised (start-up failed first) has no loop. */
	if (h->loop != NULL && !uv_is_closing(h))
		uv_close(h, NULL);
}

/* Closes our handles and starts lws's teardown; the loop then drains. */
void
ctl_shutdown(struct ctl *c)
{
	ctl_handle_close((uv_handle_t *)&c->timer);
	ctl_handle_close((uv_handle_t *)&c->grace);
	ctl_handle_close((uv_handle_t *)&c->pace);
	ctl_handle_close((uv_handle_t *)&c->sig_int);
	ctl_handle_close((uv_handle_t *)&c->sig_term);
	if (c->lws != NULL && !c->lws_gone) {
		c->lws_gone = true;
		lws_context_destroy(c->lws);
	}
}

static void
ctl_grace_cb(uv_timer_t *t)
{
	/* The broker did not finish the closing handshake: stop anyway. */
	ctl_shutdown(t->data);
}

void
ctl_finish(struct ctl *c, int exit_code)
{
	if (c->state == CTL_FINISHING)
		return;
	c->state = CTL_FINISHING;
	c->exit_code = exit_code;
	if (c->cfg.latency)
		ctl_msg_summary(c);
	fflush(stdout);
	if (c->wsi != NULL) {
		ctl_conn_close(c);
		ctl_grace_restart(c);
		return;
	}
	ctl_shutdown_soon(c);
}

void
ctl_grace_restart(struct ctl *c)
{
	if (c->grace.loop != NULL && !uv_is_closing((uv_handle_t *)&c->grace))
		uv_timer_start(&c->grace, ctl_grace_cb, 2000, 0);
}

void
ctl_shutdown_soon(struct ctl *c)
{
	/* Never destroy the lws context from inside one of its callbacks:
	 * let the loop come back first. */
	if (c->grace.loop == NULL)
		ctl_shutdown(c);
	else if (!uv_is_closing((uv_handle_t *)&c->grace))
		uv_timer_start(&c->grace, ctl_grace_cb, 0, 0);
}

static void
ctl_timeout_cb(uv_timer_t *t)
{
	struct ctl *c = t->data;

	if (c->cfg.listen && c->expect == 0) {
		ctl_finish(c, CTL_EXIT_OK);
		return;
	}
	fprintf(stderr, "pcp-controller: timeout after %lld ms: %zu of %zu "
	    "expected replies\n", c->cfg.timeout_ms, c->finals, c->expect);
	ctl_finish(c, CTL_EXIT_TIMEOUT);
}

static void
ctl_signal_cb(uv_signal_t *h, int signum)
{
	(void)signum;
	ctl_finish(h->data, CTL_EXIT_TIMEOUT);
}

static void
ctl_lws_log(int level, const char *line)
{
	(void)level;
	fprintf(stderr, "pcp-controller: lws: %s", line);
}

static const struct lws_protocols ctl_protocols[] = {
	{ "pcp-controller", ctl_conn_cb, 0, 65536, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 },
};

static int
ctl_lws_start(struct ctl *c)
{
	struct lws_context_creation_info info;
	void *loops[1] = { &c->loop };

	lws_set_log_level(getenv("PCP_CONTROLLER_LWS_DEBUG") != NULL ?
	    LLL_ERR | LLL_WARN | LLL_NOTICE | LLL_INFO : 0, ctl_lws_log);
	memset(&info, 0, sizeof(info));
	info.options = LWS_SERVER_OPTION_LIBUV |
	    LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = ctl_protocols;
	info.foreign_loops = loops;
	info.pcontext = &c->lws;
	info.user = c;
	info.pt_serv_buf_size = 65536;
	info.client_ssl_ca_filepath = c->cfg.ca;
	if (!c->cfg.no_client_cert) {
		info.client_ssl_cert_filepath = c->cfg.cert;
		info.client_ssl_private_key_filepath = c->cfg.key;
	}
	/* mbedTLS's TLS 1.3 needs PSA crypto initialised first. */
	if (psa_crypto_init() != PSA_SUCCESS)
		return -1;
	c->lws = lws_create_context(&info);
	if (c->lws == NULL) {
		fprintf(stderr, "pcp-controller: cannot create the TLS client "
		    "context (check --cert/--key/--ca)\n");
		return -1;
	}
	return 0;
}

static int
ctl_handles_start(struct ctl *c)
{
	if (uv_timer_init(&c->loop, &c->timer) != 0 ||
	    uv_timer_init(&c->loop, &c->grace) != 0 ||
	    uv_timer_init(&c->loop, &c->pace) != 0 ||
	    uv_signal_init(&c->loop, &c->sig_int) != 0 ||
	    uv_signal_init(&c->loop, &c->sig_term) != 0)
		return -1;
	c->timer.data = c->grace.data = c->pace.data = c->sig_int.data =
	    c->sig_term.data = c;
	if (uv_timer_start(&c->timer, ctl_timeout_cb,
	    (uint64_t)c->cfg.timeout_ms, 0) != 0 ||
	    uv_signal_start(&c->sig_int, ctl_signal_cb, SIGINT) != 0 ||
	    uv_signal_start(&c->sig_term, ctl_signal_cb, SIGTERM) != 0)
		return -1;
	return 0;
}

int
main(int argc, char **argv)
{
	struct ctl c;
	bool loop_ok = false;

	memset(&c, 0, sizeof(c));
	signal(SIGPIPE, SIG_IGN);
	if (ctl_args_parse(&c, argc, argv) != 0) {
		fprintf(stderr, "(pcp-controller --help for usage)\n");
		return CTL_EXIT_USAGE;
	}
	c.exit_code = CTL_EXIT_CONN;
	if (ctl_msg_prepare(&c) != 0) {
		c.exit_code = CTL_EXIT_USAGE;
		goto cleanup;
	}
	if (!c.cfg.no_client_cert &&
	    pcpt_cert_cn(c.cfg.cert, c.cn, sizeof(c.cn)) != 0) {
		fprintf(stderr, "pcp-controller: cannot read a CN from %s\n",
		    c.cfg.cert);
		goto cleanup;
	}
	if (uv_loop_init(&c.loop) != 0)
		goto cleanup;
	loop_ok = true;
	if (ctl_handles_start(&c) != 0 || ctl_lws_start(&c) != 0 ||
	    ctl_conn_start(&c) != 0) {
		ctl_finish(&c, CTL_EXIT_CONN);
	}
	uv_run(&c.loop, UV_RUN_DEFAULT);
cleanup:
	if (loop_ok) {
		ctl_shutdown(&c);
		uv_run(&c.loop, UV_RUN_DEFAULT);
		if (c.lws != NULL)
			lws_context_destroy(c.lws);
		uv_run(&c.loop, UV_RUN_DEFAULT);
		uv_loop_close(&c.loop);
	}
	fflush(stdout);
	pcpt_rx_free(&c.rx);
	pcpt_txq_free(&c.tx);
	ctl_msg_free(&c);
	return c.exit_code;
}
