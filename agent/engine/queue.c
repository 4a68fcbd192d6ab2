/* queue.c: the concurrency slots (max-concurrent-actions) and the FIFO
 * queue of accepted actions waiting for one (max-queued-actions), in
 * memory and in the spool: an accepted action that has not started yet
 * (queued, or its module still preparing it: task files downloading)
 * has <tid>/queued, holding what starting it needs (its params, so
 * 0600 like every spool file, removed once it starts), so that a
 * restart starts it again, in the order it came. Not the jobs
 * themselves and their outcome (job.c), nor reading the rest of the
 * spool after a restart (recover.c).
 * Invariants: a job holds a slot only while `running`; engine__slot_free
 * is the one path that gives a slot back, and it starts the next job in
 * order; a new job never starts while others wait. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_int.h"
#include "base/jsonutil.h"
#include "base/log.h"
#include "base/util.h"

#define PART "engine"
#define QUEUED_FILE "queued"
/* A queued file holds a request's params: as big as a message. */
#define QUEUED_MAX ((size_t)96 << 20)

static void engine__job_start_queued(struct job *j);

static void
engine__queue_push(struct engine *e, struct job *j)
{
	struct job **pp = &e->queue_head;

	/* In seq order: at the tail but for jobs a restart puts back. */
	while (*pp && (*pp)->seq <= j->seq)
		pp = &(*pp)->qnext;
	j->qnext = *pp;
	*pp = j;
	if (!j->qnext)
		e->queue_tail = j;
	e->n_queued++;
}

void
engine__queue_remove(struct engine *e, struct job *j)
{
	struct job **pp;

	for (pp = &e->queue_head; *pp; pp = &(*pp)->qnext)
		if (*pp == j) {
			*pp = j->qnext;
			e->n_queued--;
			break;
		}
	j->qnext = NULL;
	e->queue_tail = NULL;
	for (pp = &e->queue_head; *pp; pp = &(*pp)->qnext)
		e->queue_tail = *pp;
}

void
engine__queue_run(struct engine *e)
{
	struct job *next;

	while (e->queue_head && e->n_running < e->cfg->max_concurrent_actions) {
		next = e->queue_head;
		e->queue_head = next->qnext;
		if (!e->queue_head)
			e->queue_tail = NULL;
		e->n_queued--;
		next->qnext = NULL;
		engine__job_start_queued(next);
		engine__job_release(next);
	}
}

void
engine__slot_free(struct engine *e, struct job *j)
{
	if (!j->running)
		return;
	j->running = false;
	e->n_running--;
	engine__queue_run(e);
}

/* ---- the queue on disk ------------------------------------------------ */

void
engine__job_persist(struct job *j)
{
	struct engine *e = j->eng;
	cJSON *o = cJSON_CreateObject(), *params = cJSON_Duplicate(j->params, 1);
	char *text = NULL;
	int rc = -1;

	if (!j->seq)
		j->seq = ++e->queue_seq;
	if (o && params) {
		cJSON_AddNumberToObject(o, "seq", (double)j->seq);
		cJSON_AddItemToObject(o, "params", params);
		params = NULL;
		cJSON_AddBoolToObject(o, "stream", j->stream);
		if ((text = cJSON_PrintUnformatted(o)))
			/* Durable: an accepted action survives a power
			 * cut (small: the loop pays one fsync). */
			rc = spool_file_write_durable(e->spool,
			    j->transaction_id, QUEUED_FILE, text, strlen(text));
	}
	if (rc == 0)
		j->persisted = true;
	else
		log_warnx(PART, "[%s] cannot record the action as not started "
		    "yet: a restart before it starts loses it",
		    j->transaction_id);
	free(text);
	cJSON_Delete(params);
	cJSON_Delete(o);
}

void
engine__job_unpersist(struct job *j)
{
	if (!j->persisted)
		return;
	j->persisted = false;
	if (spool_file_remove(j->eng->spool, j->transaction_id,
	    QUEUED_FILE) != 0)
		log_warnx(PART, "[%s] cannot remove its queued file",
		    j->transaction_id);
}

int
engine__queue_restore(struct engine *e, const char *tid, const cJSON *meta,
    char **why)
{
	const char *module = json_string_get(meta, "module");
	const cJSON *seq, *params;
	const struct module *mod;
	cJSON *o = NULL;
	struct job *j;
	char *text = NULL;
	size_t len;
	bool truncated;
	int rc = -1;

	*why = NULL;
	if (spool_file_read(e->spool, tid, QUEUED_FILE, QUEUED_MAX, &text,
	    &len, &truncated) != 0)
		return 1;                   /* never queued */
	o = truncated || strlen(text) != len ? NULL :
	    cJSON_ParseWithLength(text, len);
	seq = cJSON_GetObjectItemCaseSensitive(o, "seq");
	params = cJSON_GetObjectItemCaseSensitive(o, "params");
	mod = module ? engine_module_find(e, module) : NULL;
	if (!cJSON_IsNumber(seq) || seq->valuedouble < 1 ||
	    seq->valuedouble > 9007199254740992.0 || !cJSON_IsObject(params))
		*why = util_strdup("its queued file is unreadable");
	else if (!mod || !mod->results)
		*why = util_asprintf("unknown module '%s' for this transaction",
		    module ? module : "");
	else if (!(j = engine__job_new(e, tid, module,
	    json_string_get(meta, "action"), json_string_get(meta,
	    "request_id"), json_string_get(meta, "requester"), params, NULL,
	    true, cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(meta,
	    "notify_outcome")))))
		*why = util_strdup("out of memory");
	else {
		j->mod = mod;
		j->spawns = true;
		j->persisted = true;
		j->seq = (uint64_t)seq->valuedouble;
		j->stream = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o,
		    "stream"));
		if (j->seq > e->queue_seq)
			e->queue_seq = j->seq;
		engine__queue_push(e, j);
		engine__stream_begin(e, j);
		rc = 0;
	}
	cJSON_Delete(o);
	free(text);
	return rc;
}

/* ---- starting --------------------------------------------------------- */

/* Returns 0, or -1 with the reason in err when the module could not
 * start; the job is then finished but not freed (the caller frees). */
static int
engine__job_start(struct job *j, char *err, size_t errlen)
{
	struct engine *e = j->eng;
	int rc;

	if (j->spawns) {
		j->running = true;
		e->n_running++;
	}
	err[0] = '\0';
	j->starting = true;
	rc = j->mod->start(j->mod, j, err, errlen);
	j->starting = false;
	if (rc != 0 && !j->finished) {
		j->finished = true;
		engine__job_unpersist(j);
		engine__slot_free(e, j);
		return -1;
	}
	/* Not running yet and not over: its module prepares it (task files
	 * downloading). A restart until it runs starts it again. */
	if (j->non_blocking && j->spawns && !j->finished && !j->child &&
	    !j->persisted)
		engine__job_persist(j);
	return 0;
}

/* A queued job's turn came; a failure to start is its outcome. */
static void
engine__job_start_queued(struct job *j)
{
	char err[512], *desc;

	if (engine__job_start(j, err, sizeof(err)) == 0)
		return;
	desc = util_asprintf("Failed to execute the task for the %s. Error: %s",
	    j->label, err[0] ? err : "cannot start");
	j->finished = false;
	j->starting = true;     /* keep it alive through job_finish */
	job_finish(j, NULL, desc ? desc : "cannot start");
	j->starting = false;
	free(desc);
}

int
engine__job_submit(struct engine *e, struct job *j, char *err, size_t errlen)
{
	/* Behind everyone already waiting, even with a slot free. */
	bool slot = !j->spawns ||
	    (e->n_running < e->cfg->max_concurrent_actions && !e->queue_head);
	char reason[512];

	if (!slot && e->n_queued >= e->cfg->max_queued_actions) {
		snprintf(err, errlen, "the agent is busy: %d actions running and "
		    "%d queued (max-concurrent-actions %lld, max-queued-actions "
		    "%lld); try again later", e->n_running, e->n_queued,
		    e->cfg->max_concurrent_actions, e->cfg->max_queued_actions);
		return -1;
	}
	if (j->non_blocking && engine__job_spool_create(j, err, errlen) != 0)
		return -1;
	if (!slot) {
		if (j->non_blocking)
			engine__job_persist(j);
		else
			j->seq = ++e->queue_seq;
		engine__queue_push(e, j);
		log_info(PART, "[%s] queued (%d running, %d queued)",
		    j->transaction_id, e->n_running, e->n_queued);
		return 0;
	}
	if (engine__job_start(j, reason, sizeof(reason)) != 0) {
		snprintf(err, errlen, "Failed to execute the task for the %s. "
		    "Error: %s", j->label, reason[0] ? reason : "cannot start");
		/* No provisional response will go out: the RPC error is the
		 * answer, and a status query reports the failure. */
		if (j->non_blocking)
			engine__nb_finish(e, j->transaction_id, j->sender,
			    j->request_id, false, NULL, err);
		return -1;
	}
	return 0;
}

/* After the provisional response: free a job that is already done. A
 * job finished while its child still runs (a status query found its
 * exitcode first) stays until exec reports the child's end. */
void
engine__job_release(struct job *j)
{
	if (j->finished && !j->starting && !j->running && !j->child &&
	    !j->ending)
		engine__job_free(j);
}
