/* engine.h: PXP request handling: validation, routing to modules, replies.
 * Transport-agnostic: it hands finished PCP messages to a send callback
 * (conn_send in the daemon, a recorder in tests). */
#ifndef PXPD_ENGINE_H
#define PXPD_ENGINE_H

#include <uv.h>

#include "codec.h"
#include "config.h"
#include "module.h"

struct engine;

/* Sends one message; returns 0 or a negative errno (-ENOTCONN). */
typedef int (*engine_send_cb)(void *arg, const struct pcp_out *o);

struct engine *engine_new(uv_loop_t *loop, const struct pxpd_config *cfg,
    engine_send_cb send, void *send_arg);
/* Registers a module (built-ins first: the first of a name wins).
 * The engine does not free static modules. Returns 0 or -1 (clash). */
int engine_module_add(struct engine *e, const struct module *m);
const struct module *engine_module_find(const struct engine *e,
    const char *name);
/* Handles one decoded message from the broker. */
void engine_message(struct engine *e, const struct pcp_msg *msg);
/* The connection is ready again (true) or lost. */
void engine_connection(struct engine *e, bool ready);
const struct pxpd_config *engine_config(const struct engine *e);
uv_loop_t *engine_loop(const struct engine *e);
void engine_free(struct engine *e);

#endif
