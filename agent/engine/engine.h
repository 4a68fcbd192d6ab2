/* engine.h: PXP request handling: validation, routing to modules, replies.
 * Transport-agnostic: it hands finished PCP messages to a send callback
 * (conn_send in the daemon, a recorder in tests). */
#ifndef PXPD_ENGINE_H
#define PXPD_ENGINE_H

#include <stdint.h>

#include <uv.h>

#include "pcp/codec.h"
#include "config/config.h"
#include "module.h"

struct engine;
struct exec_env;
struct fetch;

/* Sends one message; returns 0 or a negative errno (-ENOTCONN). */
typedef int (*engine_send_cb)(void *arg, const struct pcp_out *o);

/* The services entry (agent/main.c) makes before the engine and frees
 * after it. The engine lends them to the modules (module_env) and runs
 * every action in exec. */
struct engine_services {
	/* Task downloads and the task cache; NULL: none (unit tests). */
	struct fetch *fetch;
	/* What every action shares (the sandbox exec found); NULL: no
	 * cgroup, rlimits only. */
	const struct exec_env *exec;
	/* Bytes the send callback's queue holds, not yet written (called
	 * with send_arg); NULL: nothing is ever held back (unit tests). */
	size_t (*send_queued)(void *send_arg);
};

/* Opens the spool; NULL with err on failure (a config error). svc may be
 * NULL (no downloads, no cgroup); what it points to is borrowed. */
struct engine *engine_new(uv_loop_t *loop, const struct pxpd_config *cfg,
    const struct engine_services *svc, engine_send_cb send, void *send_arg,
    char *err, size_t errlen);
/* Loads the external modules of modules-dir after the built-ins; once
 * every one is known (loaded or refused), adopts or finalizes the actions
 * of an earlier pxpd found in the spool, starts the purge timer, and
 * calls ready(arg), from the loop (at once when the load could not
 * start). Never after engine_free. */
typedef void (*engine_ready_cb)(void *arg);
void engine_modules_load(struct engine *e, engine_ready_cb ready,
    void *arg);
/* Registers a module (built-ins first: the first of a name wins).
 * The engine does not free static modules. Returns 0 or -1 (clash). */
int engine_module_add(struct engine *e, const struct module *m);
const struct module *engine_module_find(const struct engine *e,
    const char *name);
/* Handles one decoded message from the broker. */
void engine_message(struct engine *e, const struct pcp_msg *msg);
/* A message sent with this sent_token went out whole. */
void engine_sent(struct engine *e, const char *token);
/* The send queue that reached max-send-queue is down to half of it:
 * requests are answered again, and owed responses resume. */
void engine_send_drained(struct engine *e);
/* The connection is ready again (true) or lost. */
void engine_connection(struct engine *e, bool ready);
/* The spool the engine opened (tests look at it). */
struct spool *engine_spool(const struct engine *e);
/* Log rotation: reopen the audit log. */
void engine_reopen_logs(struct engine *e);
/* Downloads of actions started from now on go to f (a reload replaced
 * fetch; running ones keep theirs). */
void engine_fetch_set(struct engine *e, struct fetch *f);

/* What the engine has done, for the status file and metrics. */
struct engine_stats {
	int running, queued;
	uint64_t succeeded, failed, cancelled;  /* final outcomes since start */
	uint64_t requests;                      /* PXP requests accepted */
};
void engine_stats(const struct engine *e, struct engine_stats *st);
void engine_free(struct engine *e);

#endif
