/* engine.c: PXP request pipeline (pxp.md §3): parse, validate, route to a
 * module, reply; the module registry. Jobs and their outcomes live in
 * job.c, loading external modules in load.c, recovery in recover.c, owed
 * responses in owed.c, the status module's view in status_view.c, cancel
 * in cancel.c, the spool purge timer in purge.c, output streaming in
 * stream.c. Not the wire format (codec), not the socket (conn).
 * Invariant: every accepted request ends in exactly one reply or error. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_int.h"
#include "base/jsonutil.h"
#include "base/log.h"
#include "pcp/pxp.h"
#include "base/util.h"

#define PART "engine"

/* ---- sending ---------------------------------------------------------- */

size_t
engine__data_max(const struct engine *e)
{
	size_t max = (size_t)e->cfg->max_message_size;

	return max > 2 * ENGINE_ENVELOPE_ROOM ? max - ENGINE_ENVELOPE_ROOM :
	    max / 2;
}

/* The last safety net before the wire (issue 8): every string pxpd sends
 * must be valid UTF-8, or a broker closes the connection (1007). The
 * sources repair what they quote, so this finds nothing in a correct
 * pxpd and costs one scan per message. The data is JSON text: bytes of
 * 0x80 and up occur in JSON text only inside strings (keys or values), so
 * repairing the text repairs exactly its strings, keys included, without
 * parsing it again. The v1 debug chunks are a cJSON tree, repaired as
 * one. Returns 0, or -1 when out of memory. */
static int
engine__send_repair(struct pcp_out *o, char **fixed, cJSON **dbg,
    bool data_clean)
{
	const char **str[] = { &o->target, &o->in_reply_to, &o->data_json };
	size_t i, n = 0;
	int repaired = 0;

	for (i = 0; i < 3; i++) {
		if (!*str[i] || (i == 2 && data_clean) ||
		    json_utf8_clean(*str[i], strlen(*str[i])))
			continue;
		if (!(fixed[i] = json_utf8_repair(*str[i], strlen(*str[i]), &n)))
			return -1;
		*str[i] = fixed[i];
		if (i == 2)
			o->data_len = n;
		repaired++;
	}
	if (o->debug && !json_tree_clean(o->debug)) {
		if (!(*dbg = cJSON_Duplicate(o->debug, true)) ||
		    json_tree_repair(*dbg) < 0)
			return -1;
		o->debug = *dbg;
		repaired++;
	}
	if (repaired)
		log_debug(PART, "%s to %s: invalid UTF-8 replaced by U+FFFD "
		    "before sending", o->message_type, o->target ? o->target :
		    "the broker");
	return 0;
}

int
engine__send(struct engine *e, const char *type, const char *target,
    const char *in_reply_to, const char *data_json, const cJSON *debug,
    const char *sent_token)
{
	return engine__send_ex(e, type, target, in_reply_to, data_json, debug,
	    sent_token, NULL, false);
}

int
engine__send_ex(struct engine *e, const char *type, const char *target,
    const char *in_reply_to, const char *data_json, const cJSON *debug,
    const char *sent_token, const char *id, bool clean)
{
	struct pcp_out o;
	char *fixed[3] = { NULL, NULL, NULL };
	cJSON *dbg = NULL;
	int rc = -ENOMEM, i;

	memset(&o, 0, sizeof(o));
	o.id = id;
	o.message_type = type;
	o.target = target;
	o.in_reply_to = in_reply_to;
	o.data_json = data_json;
	o.data_len = data_json ? strlen(data_json) : 0;
	o.debug = debug;
	o.sent_token = sent_token;
	if (engine__send_repair(&o, fixed, &dbg, clean) != 0)
		log_warnx(PART, "cannot send %s: out of memory", type);
	else if ((rc = e->send(e->send_arg, &o)) != 0)
		log_warnx(PART, "cannot send %s to %s now: %s", type, o.target,
		    strerror(-rc));
	else
		engine__sq_sent(e);
	for (i = 0; i < 3; i++)
		free(fixed[i]);
	cJSON_Delete(dbg);
	return rc;
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
		    NULL, NULL);
out:
	free(desc);
	free(id);
	free(data);
}

void
engine__rpc_error(struct engine *e, const char *sender, const char *tid,
    const char *request_id, const char *description)
{
	char *data = pxp_rpc_error_json_max(tid, request_id, description,
	    engine__data_max(e));

	log_warnx(PART, "[%s] %s", tid, description);
	if (data)
		engine__send(e, PXP_RPC_ERROR, sender, NULL, data, NULL, NULL);
	free(data);
}

/* ---- requests --------------------------------------------------------- */

const char *
engine__task_name(const char *module, const cJSON *params)
{
	const cJSON *t;

	if (strcmp(module, "task") != 0)
		return NULL;
	t = cJSON_GetObjectItemCaseSensitive(params, "task");
	return cJSON_IsString(t) ? t->valuestring : NULL;
}

static void
engine__provisional(struct engine *e, const struct pcp_msg *m,
    const char *tid)
{
	char *data = pxp_provisional_json(tid);

	if (data)
		engine__send(e, PXP_PROVISIONAL_RESPONSE, m->sender, NULL, data,
		    m->debug, NULL);
	free(data);
}

/* Validation that needs the module: returns a malloc'd RPC error text,
 * or NULL when the request may run. */
static char *
engine__validate(struct engine *e, const struct pxp_request *r,
    const cJSON *params, const struct module **out)
{
	const struct module *mod;
	char reason[512], tiderr[128];

	if (!(mod = engine_module_find(e, r->module)))
		return util_asprintf("unknown module: %s", r->module);
	if (!module_has_action(mod, r->action))
		return util_asprintf("unknown action '%s' for module '%s'",
		    r->action, r->module);
	if (r->non_blocking && mod->blocking_only)
		return util_asprintf("the module '%s' supports only blocking "
		    "PXP requests", r->module);
	/* The id becomes a directory name: pxp-agent let "../" through. */
	if (r->non_blocking && spool_tid_check(r->transaction_id, tiderr,
	    sizeof(tiderr)) != 0)
		return util_asprintf("%s", tiderr);
	reason[0] = '\0';
	if (mod->check && mod->check(mod, r->action, params, reason,
	    sizeof(reason)) != 0)
		return util_asprintf("invalid input for %s '%s %s' request "
		    "(transaction %s): %s", r->non_blocking ? "non-blocking" :
		    "blocking", r->module, r->action, r->transaction_id, reason);
	*out = mod;
	return NULL;
}

static void
engine__request(struct engine *e, const struct pcp_msg *m, bool non_blocking)
{
	struct pxp_request r;
	const struct module *mod = NULL;
	const char *err = NULL;
	char reason[512], *desc;
	cJSON *empty = NULL;
	const cJSON *params;
	struct job *j;
	enum engine_room room;

	if (!m->sender) {
		log_warnx(PART, "request %s has no sender: dropped", m->id);
		return;
	}
	/* A broker that does not read: no request is started, and what
	 * cannot be told busy gets no answer at all (sendq.c). */
	if ((room = engine__room(e)) == ENGINE_ROOM_NONE) {
		engine__sq_refuse(e, room, m->sender, m->id, m->id);
		return;
	}
	if (!m->has_data || !m->data ||
	    pxp_request_parse(m->data, non_blocking, &r, &err) != 0) {
		if (room != ENGINE_ROOM_OK)
			engine__sq_refuse(e, ENGINE_ROOM_NONE, m->sender, m->id,
			    m->id);
		else
			engine__pcp_error(e, m, !m->has_data ? "no data" :
			    !m->data ? "data is not in JSON format" :
			    err ? err : "invalid data");
		return;
	}
	log_info(PART, "[%s] %s request %s %s from %s (message %s)",
	    r.transaction_id, non_blocking ? "non-blocking" : "blocking",
	    r.module, r.action, m->sender, m->id);
	if (room != ENGINE_ROOM_OK) {
		engine__sq_refuse(e, room, m->sender, r.transaction_id, m->id);
		return;
	}
	params = r.params ? r.params : (empty = cJSON_CreateObject());

	if ((desc = engine__validate(e, &r, params, &mod)))
		goto rpc_error;
	if (!policy_allows(e->policy, m->sender, r.module, r.action,
	    engine__task_name(r.module, params))) {
		audit_log(e->audit, &(struct audit_event){ .event = "refused",
		    .sender = m->sender, .transaction_id = r.transaction_id,
		    .module = r.module, .action = r.action,
		    .task = engine__task_name(r.module, params), .params = params,
		    .duration_ms = -1, .status = "refused",
		    .exitcode = INT_MIN, .reason = "local policy" });
		desc = util_asprintf("request refused by the local policy "
		    "(policy-file): %s may not run '%s %s'", m->sender, r.module,
		    r.action);
		goto rpc_error;
	}
	audit_log(e->audit, &(struct audit_event){ .event = "request",
	    .sender = m->sender, .transaction_id = r.transaction_id,
	    .module = r.module, .action = r.action,
	    .task = engine__task_name(r.module, params), .params = params,
	    .duration_ms = -1, .status = "accepted", .exitcode = INT_MIN });

	/* A repeated non-blocking transaction id only gets another
	 * provisional response (pxp.md §5), even across restarts. */
	if (non_blocking && (engine__job_find(e, r.transaction_id) ||
	    spool_exists(e->spool, r.transaction_id))) {
		log_info(PART, "[%s] already known: provisional response only",
		    r.transaction_id);
		engine__provisional(e, m, r.transaction_id);
		goto out;
	}
	j = engine__job_new(e, r.transaction_id, r.module, r.action, m->id,
	    m->sender, params, m->debug, non_blocking, r.notify_outcome);
	if (!j) {
		desc = util_strdup("out of memory");
		goto rpc_error;
	}
	j->mod = mod;
	j->spawns = mod->results != NULL;
	j->stream = non_blocking && cJSON_IsTrue(
	    cJSON_GetObjectItemCaseSensitive(m->data, "stream_output"));
	reason[0] = '\0';
	if (engine__job_submit(e, j, reason, sizeof(reason)) != 0) {
		engine__rpc_error(e, m->sender, r.transaction_id, m->id, reason);
		engine__job_free(j);
		goto out;
	}
	e->stats.requests++;
	if (non_blocking) {
		engine__provisional(e, m, r.transaction_id);
		if (!j->finished)
			engine__stream_begin(e, j);
	}
	/* A job that already finished (a failed start after the metadata was
	 * written) is released here, after the provisional went out. */
	engine__job_release(j);
	goto out;

rpc_error:
	engine__rpc_error(e, m->sender, r.transaction_id, m->id,
	    desc ? desc : "out of memory");
	free(desc);
out:
	cJSON_Delete(empty);
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
		const char *d = m->data_raw ? m->data_raw : "";

		log_warnx(PART, "broker reports %s (in reply to %s): %.300s",
		    type, m->in_reply_to ? m->in_reply_to : "-", d);
	} else
		log_debug(PART, "ignoring %s message %s", type, m->id);
}

void
engine_connection(struct engine *e, bool ready)
{
	e->ready = ready;
	if (ready) {
		engine__owed_flush(e);
		return;
	}
	/* The queue went with the connection; the next one lists the
	 * owed responses again from the spool. */
	engine__owed_forget(e);
	engine__sq_lost(e);
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
		if (m->free)
			m->free((struct module *)m);
		return -1;
	}
	if (e->n_modules == MAX_MODULES) {
		log_error(PART, "too many modules: %s not loaded", m->name);
		if (m->free)
			m->free((struct module *)m);
		return -1;
	}
	e->modules[e->n_modules++] = m;
	log_info(PART, "module %s loaded", m->name);
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

static int
engine__audit_open(struct engine *e, char *err, size_t errlen)
{
	char *key;

	if (!e->cfg->audit_logfile || !*e->cfg->audit_logfile)
		return 0;
	/* Beside the spool (README "Local policy and audit log"). */
	if (!(key = config_path_beside_spool(e->cfg, AUDIT_KEY_NAME))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	e->audit = audit_open(e->cfg->audit_logfile, key, err, errlen);
	free(key);
	return e->audit ? 0 : -1;
}

void
engine__closing_done(struct engine *e)
{
	int i;

	if (--e->closing != 0)
		return;
	/* After engine_free: the modules and the spool outlive the works
	 * of the thread pool that use them (job.c nb_end). */
	if (e->stopping) {
		for (i = 0; i < e->n_modules; i++)
			if (e->modules[i]->free)
				e->modules[i]->free(
				    (struct module *)e->modules[i]);
		spool_close(e->spool);
	}
	free(e);
}

static void
engine__timer_closed(uv_handle_t *h)
{
	engine__closing_done(h->data);
}

struct engine *
engine_new(uv_loop_t *loop, const struct pxpd_config *cfg,
    const struct engine_services *svc, engine_send_cb send, void *send_arg,
    char *err, size_t errlen)
{
	struct engine *e = calloc(1, sizeof(*e));

	if (!e) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	e->loop = loop;
	e->cfg = cfg;
	e->send = send;
	e->send_arg = send_arg;
	e->exec = svc ? svc->exec : NULL;
	e->send_queued = svc ? svc->send_queued : NULL;
	engine__stream_init(e);
	if (!(e->spool = spool_open(cfg->spool_dir, err, errlen)))
		goto fail;
	if (cfg->policy_file && *cfg->policy_file &&
	    !(e->policy = policy_load(cfg->policy_file, err, errlen)))
		goto fail;
	if (engine__audit_open(e, err, errlen) != 0)
		goto fail;
	engine__status_view_init(e);
	e->env.loop = loop;
	e->env.cfg = cfg;
	e->env.spool = e->spool;
	e->env.fetch = svc ? svc->fetch : NULL;
	e->env.data_max = engine__data_max(e);
	e->env.jobs = &e->jobs_view;
	engine_module_add(e, &module_echo);
	engine_module_add(e, &module_ping);
	engine_module_add(e, &module_status);
	engine_module_add(e, &module_command);
	engine_module_add(e, &module_task);
	engine_module_add(e, &module_script);
	engine_module_add(e, &module_file);
	return e;
fail:
	spool_close(e->spool);
	policy_free(e->policy);
	audit_close(e->audit);
	e->closing = 1;
	uv_close((uv_handle_t *)&e->stream_timer, engine__timer_closed);
	return NULL;
}

void
engine_reopen_logs(struct engine *e)
{
	if (audit_reopen(e->audit) != 0)
		log_warn(PART, "audit-logfile: cannot reopen");
}

struct spool *engine_spool(const struct engine *e) { return e->spool; }

void
engine_free(struct engine *e)
{
	if (!e)
		return;
	engine__loader_forget(e);
	engine__owed_forget(e);
	/* Running actions are left to their wrappers; a restart adopts them. */
	while (e->jobs) {
		if (e->jobs->child)
			exec_abandon(e->jobs->child);
		e->jobs->child = NULL;
		engine__job_free(e->jobs);
	}
	policy_free(e->policy);
	e->policy = NULL;
	audit_close(e->audit);
	e->audit = NULL;
	/* The timers, and each work still in the thread pool: the last of
	 * them frees the modules, the spool and e (engine__closing_done). */
	e->stopping = true;
	e->closing = 1 + e->n_pool;
	uv_close((uv_handle_t *)&e->stream_timer, engine__timer_closed);
	if (e->purge_timer_on) {
		e->closing++;
		e->purge_timer.data = e;
		uv_close((uv_handle_t *)&e->purge_timer, engine__timer_closed);
	}
}
