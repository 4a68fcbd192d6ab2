/* broker.c: the test PCP broker's entry point: flags, the lws context and
 * its one TLS vhost on a libuv loop, signals (SIGTERM exits 0, SIGUSR1
 * drops every client with 1011 as a restarting broker would), the ready
 * file, the event log, the connections log, the stats file and the fd
 * limit. Not sessions (broker_session.c) nor routing (broker_route.c).
 * Invariant: the loop ends only after lws has closed all its handles, so
 * every allocation is released before exit (valgrind-clean). */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <psa/crypto.h>

#include "broker.h"

enum opt_kind {
	OPT_STR,
	OPT_NUM,
};

/* Each flag is one row: name, kind, bounds, where it lands, help. */
static const struct broker_opt {
	const char *name;
	enum opt_kind kind;
	long long min;
	long long max;
	size_t off;
	bool required;
	const char *help;
} broker_opts[] = {
	{ "--port", OPT_NUM, 0, 65535, offsetof(struct broker_config, port),
	    true, "N      listen port (0: any free port, see --ready-file)" },
	{ "--cert", OPT_STR, 0, 0, offsetof(struct broker_config, cert),
	    true, "F      broker certificate (PEM)" },
	{ "--key", OPT_STR, 0, 0, offsetof(struct broker_config, key),
	    true, "F       broker private key (PEM)" },
	{ "--ca", OPT_STR, 0, 0, offsetof(struct broker_config, ca),
	    true, "F        CA that signs client certificates (PEM)" },
	{ "--crl", OPT_STR, 0, 0, offsetof(struct broker_config, crl),
	    false, "F       CRL of that CA (PEM)" },
	{ "--host", OPT_STR, 0, 0, offsetof(struct broker_config, host),
	    false, "ADDR   listen address (127.0.0.1)" },
	{ "--log-level", OPT_NUM, 0, 3,
	    offsetof(struct broker_config, log_level),
	    false, "N 0 quiet, 1 events (default), 2 debug, 3 lws" },
	{ "--log-file", OPT_STR, 0, 0, offsetof(struct broker_config, log_file),
	    false, "F  event log (one line per event) instead of stderr" },
	{ "--max-message-size", OPT_NUM, 1, 1LL << 31,
	    offsetof(struct broker_config, max_message),
	    false, "BYTES (64 MiB); bigger messages close with 1009" },
	{ "--ready-file", OPT_STR, 0, 0,
	    offsetof(struct broker_config, ready_file),
	    false, "F  written with the port once listening" },
	{ "--stats-file", OPT_STR, 0, 0,
	    offsetof(struct broker_config, stats_file),
	    false, "F  counters as JSON, written at exit" },
	{ "--connections-log", OPT_STR, 0, 0,
	    offsetof(struct broker_config, conn_log_file),
	    false, "F  one JSON line per listen, connect and close" },
};

/* Fleet tests hold 1,000+ clients; a soft limit of 1024 (Debian's
 * default) would stop lws accepting long before. lws sizes its fd tables
 * from the limit at context creation, so it is raised first, but not
 * past this: a hard limit of 1M would cost lws two 1M-entry tables. */
#define BROKER_FD_LIMIT_MAX 65536

#define NOPTS (sizeof(broker_opts) / sizeof(broker_opts[0]))

static void
broker_usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: pcp-broker --port N --cert F --key F --ca F "
	    "[options]\n");
	for (i = 0; i < NOPTS; i++)
		fprintf(f, "  %s %s\n", broker_opts[i].name, broker_opts[i].help);
	fprintf(f, "signals: SIGTERM/SIGINT exit 0; SIGUSR1 closes every "
	    "client with 1011 \"" BROKER_TXT_NOT_RUNNING "\"; SIGUSR2 stops "
	    "reading from agents (a slow broker), again resumes\n");
}

static int
broker_args_parse(struct broker_config *cfg, int argc, char **argv)
{
	bool seen[NOPTS] = { false };
	const struct broker_opt *o;
	long long v;
	size_t i;
	int a;

	cfg->host = "127.0.0.1";
	cfg->log_level = 1;
	cfg->max_message = BROKER_DEFAULT_MAX_MESSAGE;
	for (a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--help") == 0 || strcmp(argv[a], "-h") == 0) {
			broker_usage(stdout);
			exit(0);
		}
		for (i = 0; i < NOPTS && strcmp(argv[a], broker_opts[i].name); i++)
			;
		if (i == NOPTS || a + 1 >= argc) {
			fprintf(stderr, "pcp-broker: %s: %s\n", argv[a],
			    i == NOPTS ? "unknown option" : "needs a value");
			return -1;
		}
		o = &broker_opts[i];
		seen[i] = true;
		a++;
		if (o->kind == OPT_STR) {
			*(const char **)((char *)cfg + o->off) = argv[a];
		} else if (pcpt_num_parse(argv[a], o->min, o->max, &v) == 0) {
			*(long long *)((char *)cfg + o->off) = v;
		} else {
			fprintf(stderr, "pcp-broker: %s: want a number in "
			    "[%lld, %lld]\n", o->name, o->min, o->max);
			return -1;
		}
	}
	for (i = 0; i < NOPTS; i++) {
		if (broker_opts[i].required && !seen[i]) {
			fprintf(stderr, "pcp-broker: %s is required\n",
			    broker_opts[i].name);
			return -1;
		}
	}
	return 0;
}

void
broker_event(struct broker *b, const char *fmt, ...)
{
	va_list ap;

	if (b->log == NULL)
		return;
	va_start(ap, fmt);
	vfprintf(b->log, fmt, ap);
	va_end(ap);
	fputc('\n', b->log);
	fflush(b->log);
}

void
broker_conn_log(struct broker *b, const char *event,
    const struct broker_session *s, const cJSON *extra)
{
	struct timespec ts;
	const cJSON *item;
	cJSON *line;
	char *txt;

	if (b->conn_log == NULL)
		return;
	/* Wall clock, not monotonic: tests compare it with their own
	 * time.time() and with the other lines of this file. */
	clock_gettime(CLOCK_REALTIME, &ts);
	if ((line = cJSON_CreateObject()) == NULL)
		return;
	cJSON_AddNumberToObject(line, "t",
	    (double)ts.tv_sec * 1000.0 + (double)(ts.tv_nsec / 1000000));
	cJSON_AddStringToObject(line, "event", event);
	if (s != NULL) {
		cJSON_AddStringToObject(line, "cn", s->cn);
		cJSON_AddStringToObject(line, "uri", s->uri);
		cJSON_AddNumberToObject(line, "v", s->version == PCP_V1 ? 1 : 2);
	}
	cJSON_ArrayForEach(item, extra) {
		cJSON_AddItemToObject(line, item->string,
		    cJSON_Duplicate(item, 1));
	}
	if ((txt = cJSON_PrintUnformatted(line)) != NULL) {
		fputs(txt, b->conn_log);
		fputc('\n', b->conn_log);
		/* Flushed per line: a test may SIGKILL the broker. */
		fflush(b->conn_log);
		free(txt);
	}
	cJSON_Delete(line);
}

/* Raises RLIMIT_NOFILE's soft limit towards the hard one (see
 * BROKER_FD_LIMIT_MAX) and records the result. Failing is not fatal: the
 * broker still works for as many clients as the old limit allows. */
static void
broker_fd_limit_raise(struct broker *b)
{
	struct rlimit rl;
	rlim_t want;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
		b->fd_limit = -1;
		return;
	}
	want = rl.rlim_max;
	if (want == RLIM_INFINITY || want > BROKER_FD_LIMIT_MAX)
		want = BROKER_FD_LIMIT_MAX;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
		rl.rlim_cur = want;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			fprintf(stderr, "pcp-broker: cannot raise the fd limit "
			    "to %lu: %s\n", (unsigned long)want, strerror(errno));
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	b->fd_limit = rl.rlim_cur == RLIM_INFINITY ? -1 : (long)rl.rlim_cur;
}

void
broker_debug(struct broker *b, int level, const char *fmt, ...)
{
	va_list ap;

	if (b->cfg.log_level < level)
		return;
	va_start(ap, fmt);
	fputs("pcp-broker: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void
broker_lws_log(int level, const char *line)
{
	(void)level;
	fprintf(stderr, "pcp-broker: lws: %s", line);
}

static int
broker_file_write(const char *path, const char *text)
{
	char tmp[4096];
	FILE *f;

	/* Written whole under another name, then renamed: a test polling
	 * for the file never reads half of it. */
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -1;
	if ((f = fopen(tmp, "w")) == NULL)
		return -1;
	fputs(text, f);
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

static void
broker_stats_write(struct broker *b)
{
	char txt[512];

	if (b->cfg.stats_file == NULL)
		return;
	snprintf(txt, sizeof(txt), "{\"connections\":%llu,\"refused\":%llu,"
	    "\"messages\":%llu,\"forwarded\":%llu,\"errors\":%llu}\n",
	    (unsigned long long)b->stats.connections,
	    (unsigned long long)b->stats.refused,
	    (unsigned long long)b->stats.messages,
	    (unsigned long long)b->stats.forwarded,
	    (unsigned long long)b->stats.errors);
	if (broker_file_write(b->cfg.stats_file, txt) != 0)
		fprintf(stderr, "pcp-broker: cannot write %s\n", b->cfg.stats_file);
}

static void
broker_signal_close(uv_signal_t *h)
{
	/* A handle never initialised (start-up failed first) has no loop. */
	if (h->loop != NULL && !uv_is_closing((uv_handle_t *)h))
		uv_close((uv_handle_t *)h, NULL);
}

static void
broker_stop(struct broker *b)
{
	if (b->stopping)
		return;
	b->stopping = true;
	broker_event(b, "stop");
	broker_conn_log(b, "stop", NULL, NULL);
	broker_signal_close(&b->sig_term);
	broker_signal_close(&b->sig_int);
	broker_signal_close(&b->sig_usr1);
	broker_signal_close(&b->sig_usr2);
	/* With a foreign loop this only starts the teardown; the loop runs
	 * until lws's handles are closed and NULLs b->lws via pcontext. */
	if (b->lws != NULL)
		lws_context_destroy(b->lws);
}

static void
broker_signal_cb(uv_signal_t *h, int signum)
{
	struct broker *b = h->data;

	if (signum == SIGUSR1) {
		broker_event(b, "drop-all");
		broker_sessions_close_all(b, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION,
		    BROKER_TXT_NOT_RUNNING);
		return;
	}
	if (signum == SIGUSR2) {
		broker_event(b, "stall-agents %s", b->stall_agents ? "off" : "on");
		broker_sessions_stall_agents(b, !b->stall_agents);
		return;
	}
	broker_stop(b);
}

static const struct lws_protocols broker_protocols[] = {
	/* First = default: clients that name no subprotocol land here. */
	{ "pcp", broker_session_cb, sizeof(struct broker_session), 65536, 0,
	    NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 },
};

static void
broker_listening_log(struct broker *b, int port)
{
	cJSON *extra = cJSON_CreateObject();

	if (extra == NULL)
		return;
	cJSON_AddNumberToObject(extra, "port", port);
	cJSON_AddNumberToObject(extra, "pid", (double)getpid());
	cJSON_AddNumberToObject(extra, "fd_limit", (double)b->fd_limit);
	broker_conn_log(b, "listening", NULL, extra);
	cJSON_Delete(extra);
}

static int
broker_lws_start(struct broker *b)
{
	struct lws_context_creation_info info;
	struct lws_vhost *vh;
	void *loops[1] = { &b->loop };
	char port[32];
	int lws_levels = LLL_ERR;

	if (b->cfg.log_level >= 2)
		lws_levels |= LLL_WARN;
	if (b->cfg.log_level >= 3)
		lws_levels |= LLL_NOTICE | LLL_INFO;
	lws_set_log_level(lws_levels, broker_lws_log);

	memset(&info, 0, sizeof(info));
	info.options = LWS_SERVER_OPTION_LIBUV |
	    LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT |
	    LWS_SERVER_OPTION_EXPLICIT_VHOSTS |
	    LWS_SERVER_OPTION_REQUIRE_VALID_OPENSSL_CLIENT_CERT;
	/* No PEER_CERT_NOT_REQUIRED: lws 4.3 with mbedTLS maps it the wrong
	 * way round, to a *required* client certificate. Without it mbedTLS
	 * verifies OPTIONAL, so a client without a certificate still gets
	 * its websocket and then 4003, as from pcp-broker. */
	info.foreign_loops = loops;
	info.pcontext = &b->lws;
	info.user = b;
	info.pt_serv_buf_size = 65536;
	/* mbedTLS's TLS 1.3 needs PSA crypto initialised first. */
	if (psa_crypto_init() != PSA_SUCCESS)
		return -1;
	b->lws = lws_create_context(&info);
	if (b->lws == NULL) {
		fprintf(stderr, "pcp-broker: cannot create the lws context\n");
		return -1;
	}

	info.port = (int)b->cfg.port;
	info.iface = b->cfg.host;
	info.vhost_name = "pcp-broker";
	info.protocols = broker_protocols;
	info.ssl_cert_filepath = b->cfg.cert;
	info.ssl_private_key_filepath = b->cfg.key;
	info.ssl_ca_filepath = b->cfg.ca;
	vh = lws_create_vhost(b->lws, &info);
	if (vh == NULL) {
		fprintf(stderr, "pcp-broker: cannot listen on %s:%lld with "
		    "cert %s\n", b->cfg.host, b->cfg.port, b->cfg.cert);
		return -1;
	}
	broker_event(b, "listen %s:%d", b->cfg.host, lws_get_vhost_listen_port(vh));
	broker_listening_log(b, lws_get_vhost_listen_port(vh));
	if (b->cfg.ready_file != NULL) {
		snprintf(port, sizeof(port), "%d\n", lws_get_vhost_listen_port(vh));
		if (broker_file_write(b->cfg.ready_file, port) != 0) {
			fprintf(stderr, "pcp-broker: cannot write %s\n",
			    b->cfg.ready_file);
			return -1;
		}
	}
	return 0;
}

static int
broker_signals_start(struct broker *b)
{
	uv_signal_t *hs[] = { &b->sig_term, &b->sig_int, &b->sig_usr1,
	    &b->sig_usr2 };
	const int sigs[] = { SIGTERM, SIGINT, SIGUSR1, SIGUSR2 };
	size_t i;

	for (i = 0; i < sizeof(hs) / sizeof(hs[0]); i++) {
		if (uv_signal_init(&b->loop, hs[i]) != 0)
			return -1;
		hs[i]->data = b;
		if (uv_signal_start(hs[i], broker_signal_cb, sigs[i]) != 0)
			return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct broker b;
	int rc = 1;
	bool loop_ok = false;

	memset(&b, 0, sizeof(b));
	signal(SIGPIPE, SIG_IGN);
	if (broker_args_parse(&b.cfg, argc, argv) != 0) {
		broker_usage(stderr);
		return 2;
	}
	if (b.cfg.log_file != NULL) {
		if ((b.log = fopen(b.cfg.log_file, "a")) == NULL) {
			fprintf(stderr, "pcp-broker: %s: %s\n", b.cfg.log_file,
			    strerror(errno));
			return 2;
		}
	} else if (b.cfg.log_level >= 1) {
		b.log = stderr;
	}
	if (b.cfg.conn_log_file != NULL &&
	    (b.conn_log = fopen(b.cfg.conn_log_file, "a")) == NULL) {
		fprintf(stderr, "pcp-broker: %s: %s\n", b.cfg.conn_log_file,
		    strerror(errno));
		if (b.log != NULL && b.log != stderr)
			fclose(b.log);
		return 2;
	}
	broker_fd_limit_raise(&b);
	if (uv_loop_init(&b.loop) != 0)
		goto cleanup;
	loop_ok = true;
	if (broker_tls_init(&b) != 0 || broker_signals_start(&b) != 0)
		goto cleanup;
	if (broker_lws_start(&b) != 0)
		goto cleanup;
	uv_run(&b.loop, UV_RUN_DEFAULT);
	rc = 0;
cleanup:
	if (loop_ok) {
		/* Error paths arrive here with handles still open. */
		broker_stop(&b);
		uv_run(&b.loop, UV_RUN_DEFAULT);
		if (b.lws != NULL)
			lws_context_destroy(b.lws);
		uv_run(&b.loop, UV_RUN_DEFAULT);
		if (uv_loop_close(&b.loop) != 0)
			broker_debug(&b, 1, "loop closed with handles open");
	}
	broker_stats_write(&b);
	broker_tls_free();
	if (b.log != NULL && b.log != stderr)
		fclose(b.log);
	if (b.conn_log != NULL)
		fclose(b.conn_log);
	return rc;
}
