/* engine.c: PXP request pipeline (pxp.md §3): parse, validate, route to a
 * module, reply. Owns the module registry and the jobs in flight. Not the
 * wire format (codec), not the socket (conn), not process handling (exec).
 * Invariant: every accepted request ends in exactly one reply or error,
 * and job memory is released only after its module called job_finish(). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "jsonutil.h"
#include "log.h"
#include "pxp.h"
#include "util.h"

#define PART "engine"
#define MAX_MODULES 256

struct job {
	struct engine *eng;
	const struct module *mod;
	char *transaction_id, *module, *action;
	char *request_id, *sender;
	cJSON *params;              /* owned copy; {} when absent */
	cJSON *debug;               /* owned copy of the v1 debug chunks */
	bool non_blocking, notify_outcome;
	bool starting;              /* inside module->start() */
	bool finished;
	struct job *next, *prev;
};

struct engine {
	uv_loop_t *loop;
	const struct pxpd_config *cfg;
	engine_send_cb send;
	void *send_arg;
	const struct module *modules[MAX_MODULES];
	int n_modules;
	struct job *jobs;           /* in flight */
};

/* ---- sending ---------------------------------------------------------- */

static void
engine__send(struct engine *e, const char *type, const char *target,
    const char *in_reply_to, const char *data_json, const cJSON *debug)
{
	struct pcp_out o;
	int rc;

	memset(&o, 0, sizeof(o));
	o.message_type = type;
	o.target = target;
	o.in_reply_to = in_reply_to;
	o.data_json = data_json;
	o.data_len = data_json ? strlen(data_json) : 0;
	o.debug = debug;
	if ((rc = e->send(e->send_arg, &o)) != 0)
		log_warnx(PART, "cannot send %s to %s: %s", type, target,
		    strerror(-rc));
}

/* PCP-level error: the request could not be read, so no transaction id
 * is trusted (pxp.md §3.1). v1 data {"id","description"}; v2 data is the
 * description string with in_reply_to. */
static void
engine__pcp_error(struct engine *e, const struct pcp_msg *m,
    const char *description)
{
	char *desc = json_quote(description), *id = json_quote(m->id);
	char *data = NULL;

	log_warnx(PART, "request %s from %s: %s", m->id,
	    m->sender ? m->sender : "?", description);
	if (!desc || !id)
		goto out;
	if (e->cfg->pcp_version == 1)
		data = util_asprintf("{\"id\":%s,\"description\":%s}", id, desc);
	else
		data = util_strdup(desc);
	if (data && m->sender)
		engine__send(e, PCP_NS "error_message", m->sender, m->id, data,
		    NULL);
out:
	free(desc);
	free(id);
	free(data);
}

static void
engine__rpc_error(struct engine *e, const char *sender, const char *tid,
    const char *request_id, const char *description)
{
	char *data = pxp_rpc_error_json(tid, request_id, description);

	log_warnx(PART, "[%s] %s", tid, description);
	if (data)
		engine__send(e, PXP_RPC_ERROR, sender, NULL, data, NULL);
	free(data);
}

/* Sends results, or an RPC error when they would exceed max-message-size
 * (pxp.md §4). Takes results_json. */
static void
engine__respond(struct engine *e, const char *type, struct job *j,
    char *results_json, const cJSON *debug)
{
	char *data = pxp_response_json(j->transaction_id,
	    results_json ? results_json : "null");
	size_t len = data ? strlen(data) : 0;

	free(results_json);
	if (!data) {
		engine__rpc_error(e, j->sender, j->transaction_id, j->request_id,
		    "out of memory building the response");
		return;
	}
	if (len > (size_t)e->cfg->max_message_size) {
		char desc[128];

		free(data);
		snprintf(desc, sizeof(desc),
		    "Message size: %zu exceeded max-message-size %ld", len,
		    e->cfg->max_message_size);
		engine__rpc_error(e, j->sender, j->transaction_id, j->request_id,
		    desc);
		return;
	}
	engine__send(e, type, j->sender, NULL, data, debug);
	free(data);
}

/* ---- jobs ------------------------------------------------------------- */

static void
engine__job_free(struct job *j)
{
	if (!j)
		return;
	if (j->prev)
		j->prev->next = j->next;
	else if (j->eng && j->eng->jobs == j)
		j->eng->jobs = j->next;
	if (j->next)
		j->next->prev = j->prev;
	free(j->transaction_id);
	free(j->module);
	free(j->action);
	free(j->request_id);
	free(j->sender);
	cJSON_Delete(j->params);
	cJSON_Delete(j->debug);
	free(j);
}

const char *job_transaction_id(const struct job *j) { return j->transaction_id; }
const char *job_action(const struct job *j) { return j->action; }
const cJSON *job_params(const struct job *j) { return j->params; }
const cJSON *job_debug(const struct job *j) { return j->debug; }
bool job_non_blocking(const struct job *j) { return j->non_blocking; }
struct engine *job_engine(const struct job *j) { return j->eng; }

void
job_finish(struct job *j, char *results_json, const char *error)
{
	struct engine *e = j->eng;

	if (j->finished) {
		/* A module bug, never network input: keep the first outcome. */
		log_error(PART, "[%s] job finished twice", j->transaction_id);
		free(results_json);
		return;
	}
	j->finished = true;
	if (error) {
		free(results_json);
		engine__rpc_error(e, j->sender, j->transaction_id, j->request_id,
		    error);
	} else
		engine__respond(e, PXP_BLOCKING_RESPONSE, j, results_json,
		    j->debug);
	log_debug(PART, "[%s] %s %s finished: %s", j->transaction_id, j->module,
	    j->action, error ? "error" : "ok");
	if (!j->starting)
		engine__job_free(j);
}

/* ---- requests --------------------------------------------------------- */

static struct job *
engine__job_new(struct engine *e, const struct pcp_msg *m,
    const struct pxp_request *r, const struct module *mod)
{
	struct job *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	j->eng = e;
	j->mod = mod;
	j->transaction_id = util_strdup(r->transaction_id);
	j->module = util_strdup(r->module);
	j->action = util_strdup(r->action);
	j->request_id = util_strdup(m->id);
	j->sender = util_strdup(m->sender);
	j->params = r->params ? cJSON_Duplicate(r->params, 1) :
	    cJSON_CreateObject();
	j->debug = m->debug ? cJSON_Duplicate(m->debug, 1) : NULL;
	j->non_blocking = r->non_blocking;
	j->notify_outcome = r->notify_outcome;
	if (!j->transaction_id || !j->module || !j->action || !j->request_id ||
	    !j->sender || !j->params || (m->debug && !j->debug)) {
		engine__job_free(j);
		return NULL;
	}
	j->next = e->jobs;
	if (e->jobs)
		e->jobs->prev = j;
	e->jobs = j;
	return j;
}

static void
engine__request(struct engine *e, const struct pcp_msg *m, bool non_blocking)
{
	struct pxp_request r;
	const struct module *mod;
	const char *err = NULL;
	char label[512], reason[512], *desc;
	struct job *j;

	if (!m->sender) {
		log_warnx(PART, "request %s has no sender: dropped", m->id);
		return;
	}
	if (!m->has_data) {
		engine__pcp_error(e, m, "no data");
		return;
	}
	if (!m->data) {
		engine__pcp_error(e, m, "data is not in JSON format");
		return;
	}
	if (pxp_request_parse(m->data, non_blocking, &r, &err) != 0) {
		engine__pcp_error(e, m, err ? err : "invalid data");
		return;
	}
	log_info(PART, "[%s] %s request %s %s from %s (message %s)",
	    r.transaction_id, non_blocking ? "non-blocking" : "blocking",
	    r.module, r.action, m->sender, m->id);

	if (!(mod = engine_module_find(e, r.module))) {
		desc = util_asprintf("unknown module: %s", r.module);
		goto rpc_error;
	}
	if (!module_has_action(mod, r.action)) {
		desc = util_asprintf("unknown action '%s' for module '%s'",
		    r.action, r.module);
		goto rpc_error;
	}
	if (non_blocking && mod->blocking_only) {
		desc = util_asprintf("the module '%s' supports only blocking "
		    "PXP requests", r.module);
		goto rpc_error;
	}
	snprintf(label, sizeof(label), "%s '%s %s' request (transaction %s)",
	    non_blocking ? "non-blocking" : "blocking", r.module, r.action,
	    r.transaction_id);
	if (mod->check && mod->check(mod, r.action, r.params ? r.params :
	    cJSON_GetObjectItemCaseSensitive(m->data, "params"), reason,
	    sizeof(reason)) != 0) {
		desc = util_asprintf("invalid input for %s: %s", label, reason);
		goto rpc_error;
	}
	if (!(j = engine__job_new(e, m, &r, mod))) {
		desc = util_strdup("out of memory");
		goto rpc_error;
	}
	j->starting = true;
	reason[0] = '\0';
	if (mod->start(mod, j, reason, sizeof(reason)) != 0) {
		j->starting = false;
		if (!j->finished) {
			j->finished = true;
			desc = util_asprintf("Failed to execute the task for the "
			    "%s. Error: %s", label, reason);
			engine__rpc_error(e, j->sender, j->transaction_id,
			    j->request_id, desc ? desc : "failed to start");
			free(desc);
		}
		engine__job_free(j);
		return;
	}
	j->starting = false;
	if (j->finished)
		engine__job_free(j);
	return;

rpc_error:
	engine__rpc_error(e, m->sender, r.transaction_id, m->id,
	    desc ? desc : "out of memory");
	free(desc);
}

void
engine_message(struct engine *e, const struct pcp_msg *m)
{
	const char *type = pcp_type_name(m->message_type);

	if (!type) {
		log_warnx(PART, "ignoring message %s of unknown type %s", m->id,
		    m->message_type);
		return;
	}
	if (!strcmp(type, "rpc_blocking_request"))
		engine__request(e, m, false);
	else if (!strcmp(type, "rpc_non_blocking_request"))
		engine__request(e, m, true);
	else if (!strcmp(type, "error_message") || !strcmp(type, "ttl_expired")) {
		char *d = m->data_raw ? m->data_raw : (char *)"";

		log_warnx(PART, "broker reports %s (in reply to %s): %.300s",
		    type, m->in_reply_to ? m->in_reply_to : "-", d);
	} else
		log_debug(PART, "ignoring %s message %s", type, m->id);
}

void
engine_connection(struct engine *e, bool ready)
{
	log_debug(PART, "connection %s", ready ? "ready" : "lost");
}

/* ---- registry --------------------------------------------------------- */

bool
module_has_action(const struct module *m, const char *action)
{
	const char *const *a;

	for (a = m->actions; a && *a; a++)
		if (!strcmp(*a, action))
			return true;
	return false;
}

int
engine_module_add(struct engine *e, const struct module *m)
{
	if (engine_module_find(e, m->name)) {
		log_warnx(PART, "module %s already loaded: keeping the first",
		    m->name);
		return -1;
	}
	if (e->n_modules == MAX_MODULES) {
		log_error(PART, "too many modules: %s not loaded", m->name);
		return -1;
	}
	e->modules[e->n_modules++] = m;
	return 0;
}

const struct module *
engine_module_find(const struct engine *e, const char *name)
{
	int i;

	for (i = 0; i < e->n_modules; i++)
		if (!strcmp(e->modules[i]->name, name))
			return e->modules[i];
	return NULL;
}

struct engine *
engine_new(uv_loop_t *loop, const struct pxpd_config *cfg,
    engine_send_cb send, void *send_arg)
{
	struct engine *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->loop = loop;
	e->cfg = cfg;
	e->send = send;
	e->send_arg = send_arg;
	engine_module_add(e, &module_echo);
	engine_module_add(e, &module_ping);
	return e;
}

const struct pxpd_config *engine_config(const struct engine *e) { return e->cfg; }
uv_loop_t *engine_loop(const struct engine *e) { return e->loop; }

void
engine_free(struct engine *e)
{
	int i;

	if (!e)
		return;
	while (e->jobs)
		engine__job_free(e->jobs);
	for (i = 0; i < e->n_modules; i++)
		if (e->modules[i]->free)
			e->modules[i]->free((struct module *)e->modules[i]);
	free(e);
}
