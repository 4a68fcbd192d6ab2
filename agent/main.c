/* main.c: wires pxpd together: flags and config, log, daemon, service events,
 * the shared services (task downloads, the actions' sandbox), the
 * connection and the engine on one libuv loop. No logic of its own
 * beyond start-up and shutdown order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "conn/conn.h"
#include "config/config.h"
#include "os/daemon.h"
#include "os/service.h"
#include "engine/engine.h"
#include "exec/exec.h"
#include "fetch/fetch.h"
#include "base/log.h"

#define PART "main"

struct pxpd {
	uv_loop_t loop;
	struct pxpd_config cfg;
	struct conn *conn;
	struct engine *engine;
	struct fetch *fetch;
	struct exec_env exec_env;
	struct daemon_lock *lock;
	struct service *service;    /* stop and reopen from the system */
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

	engine_connection(p->engine, ready);
}

static void
pxpd_on_sent(void *arg, const char *token)
{
	struct pxpd *p = arg;

	engine_sent(p->engine, token);
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
	log_info(PART, "%s: stopping", what);
	pxpd_stop(p, PXPD_EXIT_OK);
}

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
	if (p->stopping)
		return;
	p->stopping = true;
	p->exit_code = exit_code;
	service_stop(p->service);
	p->service = NULL;
	/* The connection goes first: it may still call into the engine;
	 * the services last: the jobs' cleanups cancel what they wait for. */
	conn_stop(p->conn);
	engine_free(p->engine);
	p->engine = NULL;
	fetch_free(p->fetch);
	p->fetch = NULL;
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
	exec_env_probe(x, c->action_cgroup);
}

int
main(int argc, char **argv)
{
	struct pxpd p;
	struct conn_ops ops = { pxpd_on_message, pxpd_on_ready, pxpd_on_sent,
	    pxpd_on_fatal };
	char err[1024];
	bool want_exit = false, to_stderr;
	int rc, i;

	if (argc > 1 && !strcmp(argv[1], EXEC_WRAPPER_ARG))
		return exec_wrapper_main(argc, argv);
	memset(&p, 0, sizeof(p));
	err[0] = '\0';
	rc = config_load(&p.cfg, argc, argv, &want_exit, err, sizeof(err));
	if (rc != 0 || want_exit) {
		if (rc != 0)
			fprintf(stderr, "pxpd: %s\n", err);
		config_free(&p.cfg);
		return rc;
	}
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
	p.service = service_start(&p.loop, pxpd_on_service, &p);
	conn_lws_log_init();
	if (!(p.fetch = fetch_new(&p.loop, &p.cfg, err, sizeof(err)))) {
		log_fatalx(PART, "%s", err);
		fprintf(stderr, "pxpd: %s\n", err);
		pxpd_stop(&p, PXPD_EXIT_CONFIG);
		goto run;
	}
	pxpd_exec_env(&p);
	p.engine = engine_new(&p.loop, &p.cfg, &(struct engine_services){
	    .fetch = p.fetch, .exec = &p.exec_env }, pxpd_send, &p, err,
	    sizeof(err));
	if (!p.engine) {
		log_fatalx(PART, "spool-dir: %s", err);
		fprintf(stderr, "pxpd: spool-dir: %s\n", err);
		pxpd_stop(&p, PXPD_EXIT_CONFIG);
		goto run;
	}
	p.conn = conn_new(&p.loop, &p.cfg, &ops, &p, err, sizeof(err));
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
	uv_run(&p.loop, UV_RUN_DEFAULT);
	/* lws and our handles are closed by now; nothing may be left. */
	if (uv_loop_close(&p.loop) != 0)
		log_warnx(PART, "event loop closed with handles still open");
	log_info(PART, "pxpd stopped (exit code %d)", p.exit_code);
	exec_env_free(&p.exec_env);
	daemon_lock_release(p.lock);
	config_free(&p.cfg);
	log_close();
	return p.exit_code;
}
