/* engine_int.h: what the engine's files share.
 * Not for other parts: they use engine.h and module.h. */
#ifndef PXPD_ENGINE_INT_H
#define PXPD_ENGINE_INT_H

#include "engine/audit.h"
#include "engine/engine.h"
#include "engine/policy.h"
#include "exec/exec.h"
#include "spool/spool.h"

#define MAX_MODULES 256

/* Room kept in max-message-size for the PCP envelope around a reply's
 * data (ids, type, sender, target): what a reply's data may take. */
#define ENGINE_ENVELOPE_ROOM 1024

struct job {
	struct engine *eng;
	const struct module *mod;
	char *transaction_id, *module, *action;
	char *request_id, *sender;
	char *label;                /* pxp.md §3 label, for errors */
	char *result_dir;           /* non-blocking: <spool>/<tid> */
	cJSON *params;              /* owned copy; {} when absent */
	cJSON *debug;               /* owned copy of the v1 debug chunks */
	bool non_blocking, notify_outcome;
	bool spawns;                /* counts against max-concurrent-actions */
	bool adopted;               /* started by an earlier pxpd */
	bool starting;              /* inside module->start() */
	bool running;               /* holds a concurrency slot */
	bool finished;
	bool cancel_requested;
	bool stream;                /* send progress messages (pxpd extension) */
	uint64_t out_off, err_off;  /* output already streamed */
	uint64_t started_ms;
	struct exec_child *child;
	/* The module's per-job state (job_set_cleanup), released when the
	 * job is freed: finished says whether the job ended (false when
	 * pxpd stops with the action still running). */
	void (*cleanup)(void *ctx, bool finished);
	void *cleanup_ctx;
	struct job *next, *prev;    /* engine->jobs */
	struct job *qnext;          /* engine->queue */
};

struct engine {
	uv_loop_t *loop;
	const struct pxpd_config *cfg;
	engine_send_cb send;
	void *send_arg;
	const struct module *modules[MAX_MODULES];
	int n_modules;
	struct spool *spool;
	struct job *jobs;           /* accepted and not yet released */
	struct job *queue_head, *queue_tail;
	int n_running, n_queued;
	bool ready;                 /* the connection is up */
	struct audit *audit;
	struct policy *policy;
	uv_timer_t stream_timer;
	uv_timer_t purge_timer;
	bool purge_timer_on;
	const struct exec_env *exec; /* borrowed from entry; NULL: none */
	struct module_env env;      /* what the modules get (job_env) */
	struct module_jobs jobs_view; /* env.jobs (status_view.c) */
	struct engine_loader *loader; /* load.c, while modules load */
	int closing;                /* timers still closing in engine_free */
	struct engine_stats stats;  /* the counters of engine_stats() */
};

/* engine.c */
/* What a reply's data may take: max-message-size less the envelope room
 * (half of a limit too small for that: unit tests; the config's floor is
 * 4096). */
size_t engine__data_max(const struct engine *e);
void engine__send(struct engine *e, const char *type, const char *target,
    const char *in_reply_to, const char *data_json, const cJSON *debug,
    const char *sent_token);
void engine__rpc_error(struct engine *e, const char *sender, const char *tid,
    const char *request_id, const char *description);

/* engine.c: the task name a request names, for policy and audit. */
const char *engine__task_name(const char *module, const cJSON *params);

/* job.c */
struct job *engine__job_new(struct engine *e, const char *tid,
    const char *module, const char *action, const char *request_id,
    const char *sender, const cJSON *params, const cJSON *debug,
    bool non_blocking, bool notify_outcome);
void engine__job_free(struct job *j);
struct job *engine__job_find(const struct engine *e, const char *tid);
/* Starts now or queues; -1 with err when the agent is full. */
int engine__job_submit(struct engine *e, struct job *j, char *err,
    size_t errlen);
void engine__job_release(struct job *j);
/* The final message of a non-blocking transaction: metadata, owed file,
 * send. Takes results_json. */
void engine__nb_finish(struct engine *e, const char *tid, const char *sender,
    const char *request_id, bool notify_outcome, char *results_json,
    const char *error);

/* stream.c */
#define PXPD_PROGRESS_MESSAGE "urn:pxpd:rpc_progress_message"
void engine__stream_init(struct engine *e);
void engine__stream_begin(struct engine *e, struct job *j);

/* recover.c */
void engine__recover(struct engine *e);
/* Finalizes a transaction whose exitcode file exists (status query or
 * adoption): reads output, runs module->results, rewrites metadata and
 * records (and sends) the owed response. Returns 0 when the metadata is
 * final afterwards. */
int engine__finalize(struct engine *e, const char *tid, cJSON *meta);

/* load.c: the loader, if any, must not reach e any more (engine_free). */
void engine__loader_forget(struct engine *e);

/* owed.c */
void engine__owed_flush(struct engine *e);

/* cancel.c */
int engine__cancel(struct engine *e, const char *tid, char *err,
    size_t errlen);

/* status_view.c: fills e->jobs_view, the status module's view. */
void engine__status_view_init(struct engine *e);

/* purge.c */
void engine__purge_start(struct engine *e);

#endif
