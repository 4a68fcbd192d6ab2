/* main.c: wires pxpd together: flags and config, log, daemon, service events,
 * the shared services (task downloads, the actions' sandbox), the
 * connection and the engine on one libuv loop; what it tells the service
 * manager and the status file; reloads. No logic of its own beyond
 * start-up, reload and shutdown order.
 * Reload keeps the running configuration (which the engine, exec and the
 * log hold) and gives the connection and the downloads a new one when
 * their keys or TLS files changed; every configuration stays alive until
 * exit, because a replaced connection or fetch still refers to its own. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/sha256.h>
#include <uv.h>

#include "conn/conn.h"
#include "config/config.h"
#include "os/daemon.h"
#include "os/os.h"
#include "os/service.h"
#include "engine/engine.h"
#include "exec/exec.h"
#include "fetch/fetch.h"
#include "health/health.h"
#include "base/crash.h"
#include "base/log.h"
#include "base/util.h"

#define PART "main"
#define HEALTH_MS 5000            /* status file and metrics */
#define DISK_MS 60000             /* spool and cache sizes, owed count */
#define CERT_CHECK_MS (6 * 3600 * 1000)
#define MAX_CONFIGS 64            /* reloads kept alive until exit */

/* What one measuring of the disk (off the loop) reads and finds. */
struct pxpd_disk {
	const char *spool, *cache;
	int64_t spool_bytes, cache_bytes;
	long owed;
};

struct pxpd {
	uv_loop_t loop;
	int argc;
	char **argv;
	struct pxpd_config cfg;           /* the running one (engine, exec, log) */
	struct pxpd_config *cfgs[MAX_CONFIGS];  /* reloaded ones, newest last */
	int n_cfgs;
	const struct pxpd_config *net_cfg;  /* conn's and fetch's */
	uint8_t tls_sum[32];              /* of net_cfg's TLS files */
	struct conn *conn;
	struct conn *old_conns[MAX_CONFIGS];
	int n_old_conns;
	struct engine *engine;
	struct fetch *fetch;
	struct fetch *old_fetches[MAX_CONFIGS];
	int n_old_fetches;
	struct exec_env exec_env;
	struct daemon_lock *lock;
	struct service *service;    /* stop and reopen from the system */
	uv_timer_t health_timer, cert_timer, reap_timer;
	uv_work_t disk_work;
	struct pxpd_disk disk;      /* disk_work's, while it runs */
	bool disk_busy, told_ready;
	int64_t spool_bytes, cache_bytes;
	long owed;
	uint64_t started_ms, next_disk_ms;
	int exit_code;
	bool stopping;
};

static void pxpd_stop(struct pxpd *p, int exit_code);

static void
pxpd_on_message(void *arg, struct pcp_msg *msg)
{
	struct pxpd *p = arg;

	engine_message(p->engine, msg);
}

static void
pxpd_on_ready(void *arg, bool ready)
{
	struct pxpd *p = arg;
	struct conn_stats st;
	char status[300];

	engine_connection(p->engine, ready);
	if (!ready)
		return;
	conn_stats(p->conn, &st);
	snprintf(status, sizeof(status), "connected to %s", st.broker);
	/* Up: systemd's start job ends here (Type=notify). */
	service_notify(p->service, p->told_ready ? SERVICE_STATE_RUNNING :
	    SERVICE_STATE_READY, status);
	p->told_ready = true;
}

/* Not connected, waiting for the next attempt: a first attempt that
 * failed also ends the start job, so a down broker does not hold up
 * boot. */
static void
pxpd_on_waiting(void *arg, uint64_t delay_ms, const char *why)
{
	struct pxpd *p = arg;
	char status[400];

	snprintf(status, sizeof(status), "reconnecting in %.1f s%s%s",
	    (double)delay_ms / 1000.0, why ? ": " : "", why ? why : "");
	service_notify(p->service, p->told_ready ? SERVICE_STATE_RUNNING :
	    SERVICE_STATE_READY, status);
	p->told_ready = true;
}

static void
pxpd_on_sent(void *arg, const char *token)
{
	struct pxpd *p = arg;

	engine_sent(p->engine, token);
}

static void
pxpd_on_drained(void *arg)
{
	struct pxpd *p = arg;

	if (p->engine)
		engine_send_drained(p->engine);
}

static size_t
pxpd_send_queued(void *arg)
{
	struct pxpd *p = arg;

	return p->conn ? conn_queued_bytes(p->conn) : 0;
}

static void
pxpd_on_fatal(void *arg, int exit_code, const char *why)
{
	struct pxpd *p = arg;

	log_fatalx(PART, "%s: stopping", why);
	pxpd_stop(p, exit_code);
}

static int
pxpd_send(void *arg, const struct pcp_out *o)
{
	struct pxpd *p = arg;

	return conn_send(p->conn, o);
}

static const struct conn_ops pxpd_conn_ops = {
	pxpd_on_message, pxpd_on_ready, pxpd_on_sent, pxpd_on_fatal,
	pxpd_on_waiting, pxpd_on_drained,
};

/* ---- status file, metrics, certificate expiry ------------------------- */


/* Off the loop (libuv's pool): walking the spool may take a while. */
static void
pxpd_disk_measure(uv_work_t *w)
{
	struct pxpd_disk *d = w->data;

	d->spool_bytes = health_du(d->spool, &d->owed);
	d->cache_bytes = health_du(d->cache, NULL);
}

static void
pxpd_disk_done(uv_work_t *w, int status)
{
	struct pxpd *p = w->loop->data;
	struct pxpd_disk *d = w->data;

	p->disk_busy = false;
	if (status != 0)
		return;
	p->spool_bytes = d->spool_bytes;
	p->cache_bytes = d->cache_bytes;
	p->owed = d->owed;
}

static const char *
pxpd_state_name(enum conn_state s, bool stopping)
{
	if (stopping)
		return "stopping";
	switch (s) {
	case CONN_READY:
		return "connected";
	case CONN_CONNECTING:
	case CONN_ASSOCIATING:
		return "connecting";
	default:
		return "reconnecting";
	}
}

static void
pxpd_health(uv_timer_t *t)
{
	struct pxpd *p = t->data;
	struct health_figures f;
	struct conn_stats cs;
	struct engine_stats es;
	size_t rss = 0;
	int rc;

	if (!p->conn || !p->engine)
		return;
	conn_stats(p->conn, &cs);
	engine_stats(p->engine, &es);
	(void)uv_resident_set_memory(&rss);
	memset(&f, 0, sizeof(f));
	f.state = pxpd_state_name(cs.state, p->stopping);
	f.broker = cs.broker;
	f.started_ms = p->started_ms;
	f.connected_since_ms = cs.connected_since_ms;
	f.connects = cs.connects;
	f.failures = cs.failures;
	f.messages_in = cs.messages_in;
	f.messages_out = cs.messages_out;
	f.bytes_in = cs.bytes_in;
	f.bytes_out = cs.bytes_out;
	f.tls = cs.tls;
	f.last_error = cs.last_error;
	f.running = es.running;
	f.queued = es.queued;
	f.requests = es.requests;
	f.succeeded = es.succeeded;
	f.failed = es.failed;
	f.cancelled = es.cancelled;
	f.owed = p->owed;
	f.spool_bytes = p->spool_bytes;
	f.cache_bytes = p->cache_bytes;
	f.rss_bytes = rss;
	f.cert_not_after = p->net_cfg->cert_not_after;
	f.pid = (long)uv_os_getpid();
	if ((rc = health_write(&p->cfg, &f)) != 0)
		log_debug(PART, "status file: %s", strerror(-rc));
	if (!p->disk_busy && util_now_ms() >= p->next_disk_ms) {
		p->disk = (struct pxpd_disk){ .spool = p->cfg.spool_dir,
		    .cache = p->cfg.task_cache_dir };
		p->disk_work.data = &p->disk;
		p->next_disk_ms = util_now_ms() + DISK_MS;
		if (uv_queue_work(&p->loop, &p->disk_work, pxpd_disk_measure,
		    pxpd_disk_done) == 0)
			p->disk_busy = true;
	}
}

/* 30 days before ssl-cert expires, and after, a warning a few times a
 * day (and in the status file). */
static void
pxpd_cert_check(uv_timer_t *t)
{
	struct pxpd *p = t->data;
	int64_t end = p->net_cfg->cert_not_after, left;
	char when[UTIL_TIME_LEN];

	if (end <= 0)
		return;
	left = end - (int64_t)(util_now_ms() / 1000);
	if (left > HEALTH_CERT_WARN_S)
		return;
	util_time_iso_at(when, end);
	if (left <= 0)
		log_error(PART, "ssl-cert %s expired on %s: the broker will "
		    "refuse it; renew it", p->net_cfg->ssl_cert, when);
	else
		log_warnx(PART, "ssl-cert %s expires on %s (in %lld days): "
		    "renew it", p->net_cfg->ssl_cert, when,
		    (long long)(left / 86400));
}

/* ---- reload --------------------------------------------------------- */

/* The TLS files' contents: a certificate rotated in place keeps its
 * path. */
static void
pxpd_tls_sum(const struct pxpd_config *c, uint8_t out[32])
{
	const char *files[] = { c->ssl_ca_cert, c->ssl_cert, c->ssl_key,
	    c->ssl_crl };
	mbedtls_sha256_context h;
	size_t i, len;
	char *buf;
	bool cut;

	mbedtls_sha256_init(&h);
	mbedtls_sha256_starts(&h, 0);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (!files[i] || !*files[i] ||
		    os_read_file(files[i], true, 1 << 22, &buf, &len, &cut) != 0)
			continue;
		mbedtls_sha256_update(&h, (const uint8_t *)files[i],
		    strlen(files[i]) + 1);
		mbedtls_sha256_update(&h, (const uint8_t *)buf, len);
		memset(buf, 0, len);
		free(buf);
	}
	mbedtls_sha256_finish(&h, out);
	mbedtls_sha256_free(&h);
}

static bool
pxpd_str_differ(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") != 0;
}

/* Keys the connection and the downloads take from a reload. */
static bool
pxpd_net_changed(const struct pxpd_config *a, const struct pxpd_config *b)
{
	int i;

	if (a->n_broker_ws_uris != b->n_broker_ws_uris ||
	    a->n_master_uris != b->n_master_uris ||
	    a->pcp_version != b->pcp_version ||
	    a->connection_timeout != b->connection_timeout ||
	    a->ping_interval != b->ping_interval ||
	    a->reconnect_spread != b->reconnect_spread ||
	    a->reconnect_backoff_cap != b->reconnect_backoff_cap ||
	    a->crl_expiry_grace != b->crl_expiry_grace ||
	    pxpd_str_differ(a->broker_ws_proxy, b->broker_ws_proxy) ||
	    pxpd_str_differ(a->master_proxy, b->master_proxy) ||
	    pxpd_str_differ(a->ssl_ca_cert, b->ssl_ca_cert) ||
	    pxpd_str_differ(a->ssl_cert, b->ssl_cert) ||
	    pxpd_str_differ(a->ssl_key, b->ssl_key) ||
	    pxpd_str_differ(a->ssl_crl, b->ssl_crl))
		return true;
	for (i = 0; i < a->n_broker_ws_uris; i++)
		if (strcmp(a->broker_ws_uris[i], b->broker_ws_uris[i]))
			return true;
	for (i = 0; i < a->n_master_uris; i++)
		if (strcmp(a->master_uris[i], b->master_uris[i]))
			return true;
	return false;
}

static void
pxpd_reap(uv_timer_t *t)
{
	struct pxpd *p = t->data;
	int i, n = 0;

	/* A replaced fetch goes once its downloads are done. */
	for (i = 0; i < p->n_old_fetches; i++)
		if (fetch_busy(p->old_fetches[i]))
			p->old_fetches[n++] = p->old_fetches[i];
		else
			fetch_free(p->old_fetches[i]);
	p->n_old_fetches = n;
}

static void
pxpd_reload(struct pxpd *p, const char *what)
{
	struct pxpd_config *n = calloc(1, sizeof(*n));
	struct conn *c = NULL;
	struct fetch *f = NULL;
	bool want_exit;
	uint8_t sum[32];
	char err[1024];

	log_info(PART, "%s: reloading %s", what, p->cfg.config_file);
	service_notify(p->service, SERVICE_STATE_RELOADING, "reloading");
	if (!n || p->n_cfgs == MAX_CONFIGS || p->n_old_conns == MAX_CONFIGS ||
	    p->n_old_fetches == MAX_CONFIGS) {
		log_error(PART, "reload refused: too many reloads since the "
		    "start; restart pxpd");
		goto drop;
	}
	if (config_load(n, p->argc, p->argv, &want_exit, err,
	    sizeof(err)) != 0) {
		log_error(PART, "reload refused, the running configuration "
		    "stays: %s", err);
		goto drop;
	}
	pxpd_tls_sum(n, sum);
	if (!pxpd_net_changed(p->net_cfg, n) &&
	    !memcmp(sum, p->tls_sum, sizeof(sum))) {
		log_info(PART, "reload: brokers, Puppet servers and TLS files "
		    "unchanged");
		goto drop;
	}
	/* Both made before either is replaced: a TLS file lws refuses keeps
	 * everything as it was. */
	if (!(c = conn_new(&p->loop, n, &pxpd_conn_ops, p, err,
	    sizeof(err))) || !(f = fetch_new(&p->loop, n, err, sizeof(err)))) {
		log_error(PART, "reload refused, the running configuration "
		    "stays: %s", err);
		if (c) {
			conn_stop(c);
			p->old_conns[p->n_old_conns++] = c;
			/* c was made with n: n lives on until exit. */
			p->cfgs[p->n_cfgs++] = n;
			n = NULL;
		}
		goto drop;
	}
	p->cfgs[p->n_cfgs++] = n;
	p->net_cfg = n;
	memcpy(p->tls_sum, sum, sizeof(sum));
	/* The running actions and owed responses are the engine's and stay;
	 * their replies wait for the new session. */
	engine_connection(p->engine, false);
	conn_stop(p->conn);
	p->old_conns[p->n_old_conns++] = p->conn;
	p->conn = c;
	p->old_fetches[p->n_old_fetches++] = p->fetch;
	p->fetch = f;
	engine_fetch_set(p->engine, f);
	fetch_cache_purge_start(f, p->cfg.task_cache_purge_ttl_s);
	log_info(PART, "reload: connecting with the new brokers and TLS files");
	conn_start(c);
	pxpd_cert_check(&p->cert_timer);
	return;
drop:
	if (n) {
		config_free(n);
		free(n);
	}
	service_notify(p->service, SERVICE_STATE_READY, conn_ready(p->conn) ?
	    "connected (reload refused or nothing to reload)" :
	    "reconnecting (reload refused or nothing to reload)");
}

static void
pxpd_on_service(void *arg, enum service_event ev, const char *what)
{
	struct pxpd *p = arg;

	if (ev == SERVICE_EVENT_REOPEN) {
		log_info(PART, "%s: reopening log files", what);
		log_reopen();
		if (p->engine)
			engine_reopen_logs(p->engine);
		conn_reopen_logs(p->conn);
		return;
	}
	if (ev == SERVICE_EVENT_RELOAD) {
		if (!p->stopping && p->engine && p->conn)
			pxpd_reload(p, what);
		return;
	}
	log_info(PART, "%s: stopping", what);
	pxpd_stop(p, PXPD_EXIT_OK);
}

/* ---- start and stop -------------------------------------------------- */

/* Every module is known and earlier actions are adopted: the
 * connection may start, so no request meets a half-loaded module table. */
static void
pxpd_engine_ready(void *arg)
{
	struct pxpd *p = arg;

	if (p->stopping)
		return;
	fetch_cache_purge_start(p->fetch, p->cfg.task_cache_purge_ttl_s);
	conn_start(p->conn);
}

static void
pxpd_stop(struct pxpd *p, int exit_code)
{
	int i;

	if (p->stopping)
		return;
	p->stopping = true;
	p->exit_code = exit_code;
	service_notify(p->service, SERVICE_STATE_STOPPING, "stopping");
	service_stop(p->service);
	p->service = NULL;
	uv_close((uv_handle_t *)&p->health_timer, NULL);
	uv_close((uv_handle_t *)&p->cert_timer, NULL);
	uv_close((uv_handle_t *)&p->reap_timer, NULL);
	/* The connection goes first: it may still call into the engine;
	 * the services last: the jobs' cleanups cancel what they wait for. */
	conn_stop(p->conn);
	engine_free(p->engine);
	p->engine = NULL;
	fetch_free(p->fetch);
	p->fetch = NULL;
	for (i = 0; i < p->n_old_fetches; i++)
		fetch_free(p->old_fetches[i]);
	p->n_old_fetches = 0;
}

/* The action-* keys are the defaults of every action; the sandbox is
 * found once, here. */
static void
pxpd_exec_env(struct pxpd *p)
{
	const struct pxpd_config *c = &p->cfg;
	struct exec_env *x = &p->exec_env;

	x->timeout_s = c->action_timeout;
	x->output_cap = (size_t)c->action_output_cap;
	if (c->action_memory_max > 0)
		x->limits.memory_max = (unsigned long long)c->action_memory_max;
	x->limits.pids_max = c->action_pids_max;
	x->limits.cpu_max = c->action_cpu_max;
	x->limits.no_new_privs = c->action_no_new_privs;
	x->limits.user = c->action_user && *c->action_user ?
	    c->action_user : NULL;
	x->limits.group = c->action_group && *c->action_group ?
	    c->action_group : NULL;
	x->spool_dir = c->spool_dir;
	exec_env_probe(x, c->action_cgroup);
}

static void
pxpd_timers_start(struct pxpd *p)
{
	uv_timer_t *t[] = { &p->health_timer, &p->cert_timer, &p->reap_timer };
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uv_timer_init(&p->loop, t[i]);
		t[i]->data = p;
	}
	p->spool_bytes = p->cache_bytes = -1;
	p->owed = -1;
	uv_timer_start(&p->health_timer, pxpd_health, 1000, HEALTH_MS);
	uv_timer_start(&p->cert_timer, pxpd_cert_check, 0, CERT_CHECK_MS);
	uv_timer_start(&p->reap_timer, pxpd_reap, 1000, 1000);
}

int
main(int argc, char **argv)
{
	struct pxpd p;
	char err[1024];
	bool want_exit = false, to_stderr;
	int rc, i;

#ifdef PXPD_CRASH_POINTS
	/* The test binary only (agent/CMakeLists.txt), wrapper mode too. */
	crash_arm_from_env();
#endif
	if (argc > 1 && !strcmp(argv[1], EXEC_WRAPPER_ARG))
		return exec_wrapper_main(argc, argv);
	if (argc > 1 && (!strcmp(argv[1], DAEMON_INSTALL_ARG) ||
	    !strcmp(argv[1], DAEMON_UNINSTALL_ARG))) {
		err[0] = '\0';
		rc = !strcmp(argv[1], DAEMON_INSTALL_ARG) ?
		    daemon_service_install(argc - 2, argv + 2, err,
		    sizeof(err)) : daemon_service_uninstall(err, sizeof(err));
		fprintf(rc == 0 ? stdout : stderr, "pxpd: %s\n", err);
		return rc == 0 ? 0 : PXPD_EXIT_FAILURE;
	}
	memset(&p, 0, sizeof(p));
	p.argc = argc;
	p.argv = argv;
	err[0] = '\0';
	rc = config_load(&p.cfg, argc, argv, &want_exit, err, sizeof(err));
	if (rc != 0 || want_exit || p.cfg.status_only) {
		if (rc != 0)
			fprintf(stderr, "pxpd: %s\n", err);
		else if (p.cfg.status_only)
			rc = health_print(&p.cfg, stdout);
		config_free(&p.cfg);
		return rc;
	}
	p.net_cfg = &p.cfg;
	to_stderr = !strcmp(p.cfg.logfile, "-");
	/* pxp-agent: a daemon told to log to "-" logs nothing. */
	if (log_open(to_stderr ? NULL : p.cfg.logfile, to_stderr &&
	    !p.cfg.foreground ? LOG_LVL_NONE : p.cfg.log_lvl,
	    p.cfg.syslog_facility) != 0) {
		fprintf(stderr, "pxpd: logfile: cannot open %s\n", p.cfg.logfile);
		config_free(&p.cfg);
		return PXPD_EXIT_CONFIG;
	}
	for (i = 0; i < p.cfg.n_unknown_keys; i++)
		log_warnx(PART, "unknown configuration key '%s' ignored",
		    p.cfg.unknown_keys[i]);
	for (i = 0; i < p.cfg.n_warnings; i++)
		log_warnx(PART, "%s", p.cfg.warnings[i]);

	if ((rc = config_dirs_prepare(&p.cfg, true, err, sizeof(err))) != 0) {
		log_fatalx(PART, "%s", err);
		fprintf(stderr, "pxpd: %s\n", err);
		config_free(&p.cfg);
		log_close();
		return rc;
	}
	if (!p.cfg.foreground && daemon_detach(err, sizeof(err)) != 0) {
		log_fatalx(PART, "%s", err);
		config_free(&p.cfg);
		return PXPD_EXIT_DAEMON;
	}
	if (p.cfg.pidfile && *p.cfg.pidfile &&
	    !(p.lock = daemon_lock_take(p.cfg.pidfile, err, sizeof(err)))) {
		log_fatalx(PART, "%s", err);
		fprintf(stderr, "pxpd: %s\n", err);
		config_free(&p.cfg);
		return PXPD_EXIT_FAILURE;
	}
	log_info(PART, "pxpd %s starting as %s (PCP v%d)", PXPD_VERSION,
	    p.cfg.common_name, p.cfg.pcp_version);

	uv_loop_init(&p.loop);
	p.loop.data = &p;
	p.started_ms = util_now_ms();
	pxpd_tls_sum(&p.cfg, p.tls_sum);
	p.service = service_start(&p.loop, pxpd_on_service, &p);
	pxpd_timers_start(&p);
	conn_lws_log_init();
	if (!(p.fetch = fetch_new(&p.loop, &p.cfg, err, sizeof(err)))) {
		log_fatalx(PART, "%s", err);
		fprintf(stderr, "pxpd: %s\n", err);
		pxpd_stop(&p, PXPD_EXIT_CONFIG);
		goto run;
	}
	pxpd_exec_env(&p);
	p.engine = engine_new(&p.loop, &p.cfg, &(struct engine_services){
	    .fetch = p.fetch, .exec = &p.exec_env,
	    .send_queued = pxpd_send_queued }, pxpd_send, &p, err,
	    sizeof(err));
	if (!p.engine) {
		log_fatalx(PART, "spool-dir: %s", err);
		fprintf(stderr, "pxpd: spool-dir: %s\n", err);
		pxpd_stop(&p, PXPD_EXIT_CONFIG);
		goto run;
	}
	p.conn = conn_new(&p.loop, &p.cfg, &pxpd_conn_ops, &p, err, sizeof(err));
	if (!p.conn) {
		log_fatalx(PART, "%s", err);
		fprintf(stderr, "pxpd: %s\n", err);
		pxpd_stop(&p, PXPD_EXIT_CONFIG);
		goto run;
	}
	engine_modules_load(p.engine, pxpd_engine_ready, &p);
run:
	uv_run(&p.loop, UV_RUN_DEFAULT);
	conn_free(p.conn);
	for (i = 0; i < p.n_old_conns; i++)
		conn_free(p.old_conns[i]);
	uv_run(&p.loop, UV_RUN_DEFAULT);
	/* lws and our handles are closed by now; nothing may be left. */
	if (uv_loop_close(&p.loop) != 0)
		log_warnx(PART, "event loop closed with handles still open");
	log_info(PART, "pxpd stopped (exit code %d)", p.exit_code);
	exec_env_free(&p.exec_env);
	daemon_lock_release(p.lock);
	for (i = 0; i < p.n_cfgs; i++) {
		config_free(p.cfgs[i]);
		free(p.cfgs[i]);
	}
	config_free(&p.cfg);
	log_close();
	return p.exit_code;
}
