/* engine.h: PXP request handling: validation, routing to modules, replies.
 * Transport-agnostic: it hands finished PCP messages to a send callback
 * (conn_send in the daemon, a recorder in tests). */
#ifndef PXPD_ENGINE_H
#define PXPD_ENGINE_H

#include <uv.h>

#include "pcp/codec.h"
#include "config/config.h"
#include "module.h"

struct engine;

/* Sends one message; returns 0 or a negative errno (-ENOTCONN). */
typedef int (*engine_send_cb)(void *arg, const struct pcp_out *o);

/* Opens the spool; NULL with err on failure (a config error). */
struct engine *engine_new(uv_loop_t *loop, const struct pxpd_config *cfg,
    engine_send_cb send, void *send_arg, char *err, size_t errlen);
/* Once every module is registered: adopts or finalizes the actions of an
 * earlier pxpd found in the spool and starts the purge timer. */
void engine_start(struct engine *e);
/* Registers a module (built-ins first: the first of a name wins).
 * The engine does not free static modules. Returns 0 or -1 (clash). */
int engine_module_add(struct engine *e, const struct module *m);
const struct module *engine_module_find(const struct engine *e,
    const char *name);
/* Handles one decoded message from the broker. */
void engine_message(struct engine *e, const struct pcp_msg *msg);
/* A message sent with this sent_token went out whole. */
void engine_sent(struct engine *e, const char *token);
/* The connection is ready again (true) or lost. */
void engine_connection(struct engine *e, bool ready);
const struct pxpd_config *engine_config(const struct engine *e);
uv_loop_t *engine_loop(const struct engine *e);
struct spool *engine_spool(const struct engine *e);
/* Task downloads and the task cache (fetch.h), shared by the task,
 * script and file modules. NULL when the configuration has no ssl-cert
 * (unit tests of the engine): fetch_get then fails cleanly. */
struct fetch *engine_fetch(const struct engine *e);
/* Status query and cancel, for the built-in status module. The query's
 * results (pxp.md §6) are sized to fit max-message-size in a reply whose
 * data holds reserve more bytes (the status request's own transaction id
 * and the keys around the results). */
int engine_status_query(struct engine *e, const char *tid, size_t reserve,
    char **results_json, char *err, size_t errlen);
int engine_cancel(struct engine *e, const char *tid, char *err,
    size_t errlen);
/* SIGUSR2: reopen the audit log. */
void engine_reopen_logs(struct engine *e);
void engine_free(struct engine *e);

#endif
