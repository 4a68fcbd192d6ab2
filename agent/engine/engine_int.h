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

/* pxp-agent's words for an action whose process is gone without an
 * exitcode (pxp.md §6). */
#define ENGINE_NOT_RUNNING "task process is not running, but no output is " \
    "available"

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
	bool persisted;             /* <tid>/queued says it has not started */
	bool ending;                /* its end is being recorded in the
	                             * thread pool (job.c nb_end): it keeps
	                             * its slot and is not freed till then */
	uint64_t seq;               /* its place in the queue (queue.c) */
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
	struct job *qnext;          /* engine->queue, in seq order */
};

/* owed.c: an owed response still to go out on this connection. */
struct owed_next {
	struct owed_next *next;
	char tid[];
};

/* sendq.c: the send queue as the engine sees it (max-send-queue). */
struct engine_sendq {
	bool full;                  /* reached the cap; until drained */
	size_t peak;                /* most bytes seen waiting while full */
	unsigned long busy, dropped; /* requests refused while full */
};

enum engine_room {
	ENGINE_ROOM_OK,             /* send freely */
	ENGINE_ROOM_BUSY,           /* full: requests get the busy error */
	ENGINE_ROOM_NONE,           /* twice the cap: not even that */
};

struct engine {
	uv_loop_t *loop;
	const struct pxpd_config *cfg;
	engine_send_cb send;
	void *send_arg;
	size_t (*send_queued)(void *send_arg); /* NULL: nothing held back */
	struct engine_sendq sq;
	/* Owed responses of this connection not yet handed to send, in
	 * order: a slow broker gets them as the queue drains. */
	struct owed_next *owed_head, *owed_tail;
	const struct module *modules[MAX_MODULES];
	int n_modules;
	struct spool *spool;
	struct job *jobs;           /* accepted and not yet released */
	struct job *queue_head, *queue_tail;
	int n_running, n_queued;
	uint64_t queue_seq;         /* the last seq handed out or restored */
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
	int closing;                /* timers and pool works still out after
	                             * engine_free: freed at 0 */
	bool stopping;              /* engine_free was called */
	int n_pool;                 /* works in the thread pool (job.c) */
	struct engine_stats stats;  /* the counters of engine_stats() */
};

/* engine.c */
/* What a reply's data may take: max-message-size less the envelope room
 * (half of a limit too small for that: unit tests; the config's floor is
 * 4096). */
size_t engine__data_max(const struct engine *e);
/* 0, or a negative code when the message could not be queued. */
int engine__send(struct engine *e, const char *type, const char *target,
    const char *in_reply_to, const char *data_json, const cJSON *debug,
    const char *sent_token);
/* engine__send with a message id of the caller's (NULL: a new one) and,
 * when clean, data the caller made sure is clean UTF-8. */
int engine__send_ex(struct engine *e, const char *type, const char *target,
    const char *in_reply_to, const char *data_json, const cJSON *debug,
    const char *sent_token, const char *id, bool clean);
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
/* Creates the job's spool dir with its first metadata ("running"). 0, or
 * -1 with err (pxp.md §5's "Failed to initialize the metadata file"). */
int engine__job_spool_create(struct job *j, char *err, size_t errlen);
/* The outcome of a job whose child ended (or whose exitcode a status
 * query found first): results through its module, or lost without an
 * exitcode; then the job ends (engine__job_end), a non-blocking one's
 * end recorded in the thread pool unless sync. */
void engine__job_outcome(struct job *j, const struct exec_result *r,
    bool sync);
/* Watches an action an earlier pxpd started (exec_adopt) as j's child;
 * j then holds a slot. 0, or -1 with err. */
int engine__job_adopt(struct job *j, char *err, size_t errlen);
/* The end of a non-blocking transaction, recorded (owed response, then
 * final metadata, both durable) and sent: its results made from its
 * spool files and exit code through mod (NB_FILES), or given (NB_GIVEN:
 * results, or error), or its outcome lost (NB_LOST: "undetermined" with
 * error as why). */
enum nb_kind { NB_FILES, NB_GIVEN, NB_LOST };
struct nb_end_req {
	enum nb_kind kind;
	const char *tid, *sender, *request_id, *module, *action;
	const struct module *mod;
	bool notify;
	int exitcode;               /* NB_FILES */
	char *results;              /* NB_GIVEN: taken */
	const char *error;
};
/* In libuv's thread pool (reading the output, the module's results, the
 * fsyncs), unless sync; j (may be NULL) keeps its slot until it is over.
 * Takes r->results. 0, or -1 (out of memory). */
int engine__nb_end(struct engine *e, struct job *j,
    const struct nb_end_req *r, bool sync);
/* engine__nb_end, synchronous, without a job: NB_GIVEN. */
void engine__nb_finish(struct engine *e, const char *tid, const char *sender,
    const char *request_id, bool notify_outcome, char *results_json,
    const char *error);
/* ... NB_LOST, the requester and request from meta. */
void engine__nb_lost(struct engine *e, const char *tid, cJSON *meta,
    const char *why);
/* engine.c: one fewer thing engine_free waits for; the last frees e. */
void engine__closing_done(struct engine *e);

/* queue.c */
/* Starts now or queues (behind every job already waiting); -1 with err
 * when the agent is full or the spool dir cannot be made. */
int engine__job_submit(struct engine *e, struct job *j, char *err,
    size_t errlen);
/* Frees j when it is done with (finished, not starting, nothing of it
 * watched any more). */
void engine__job_release(struct job *j);
/* Gives j's slot back and starts whoever is next: the one way a slot
 * frees. */
void engine__slot_free(struct engine *e, struct job *j);
/* Starts queued jobs, in order, while slots are free. */
void engine__queue_run(struct engine *e);
/* Takes a queued job out of the queue (cancel). */
void engine__queue_remove(struct engine *e, struct job *j);
/* <tid>/queued: written for a job accepted and not started, removed
 * once its pid file exists or it ended. */
void engine__job_persist(struct job *j);
void engine__job_unpersist(struct job *j);
/* After a restart: queues tid again from <tid>/queued (meta: its
 * metadata), in its old place. 0 when queued; 1 when it has no queued
 * file (it was never queued); -1 with *why (malloc'd) when it cannot
 * be. */
int engine__queue_restore(struct engine *e, const char *tid,
    const cJSON *meta, char **why);

/* stream.c */
#define PXPD_PROGRESS_MESSAGE "urn:pxpd:rpc_progress_message"
void engine__stream_init(struct engine *e);
void engine__stream_begin(struct engine *e, struct job *j);

/* recover.c */
void engine__recover(struct engine *e);
/* Finalizes a transaction whose exitcode file exists (a status query, a
 * restart): reads output, runs module->results, rewrites metadata and
 * records (and sends) the owed response; one this pxpd still runs ends
 * as its job. Returns 0 when the metadata is final afterwards. */
int engine__finalize(struct engine *e, const char *tid, cJSON *meta);

/* load.c: the loader, if any, must not reach e any more (engine_free). */
void engine__loader_forget(struct engine *e);

/* owed.c */
/* The connection is ready: every owed response of the spool, in order,
 * as fast as the send queue takes them. */
void engine__owed_flush(struct engine *e);
/* Sends what the list holds while there is room. */
void engine__owed_pump(struct engine *e);
void engine__owed_forget(struct engine *e);
/* The final response of tid was just recorded as owed: it goes now when
 * nothing waits before it and there is room, else in its turn (and with
 * no connection, after the next one). */
void engine__owed_send(struct engine *e, const char *tid, const char *type,
    const char *target, const char *data_json, bool recorded);
/* The same for a response whose message id is fixed (it is in the owed
 * file: a resend after a crash carries the same id) and whose data is
 * known to be clean UTF-8 (checked in the thread pool: not scanned again
 * on the loop). */
void engine__owed_send_id(struct engine *e, const char *tid,
    const char *type, const char *target, const char *data_json,
    bool recorded, const char *id);

/* sendq.c */
/* How much may be sent now (max-send-queue); notes a queue gone full. */
enum engine_room engine__room(struct engine *e);
/* A request arrived while room is not OK: the busy error, or nothing at
 * twice the cap. */
void engine__sq_refuse(struct engine *e, enum engine_room room,
    const char *sender, const char *tid, const char *request_id);
/* After a send: the queue's peak, for the log line that ends a full
 * period. */
void engine__sq_sent(struct engine *e);
/* The connection is gone, and the queue with it. */
void engine__sq_lost(struct engine *e);

/* cancel.c */
/* Only tid's requester, or a sender the policy grants it, may cancel. */
int engine__cancel(struct engine *e, const char *tid, const char *sender,
    char *err, size_t errlen);

/* status_view.c: fills e->jobs_view, the status module's view. */
void engine__status_view_init(struct engine *e);

/* purge.c */
void engine__purge_start(struct engine *e);

#endif
