/* module.h: what a PXP module is to the engine, and what the engine lends
 * a module. Built-in modules (modules/builtin, one file each) and external
 * executables (modules-dir) both register one struct module; the engine
 * only ever calls through it, and a module reaches the engine only
 * through this header: its job, and the module_env the job carries. */
#ifndef PXPD_MODULE_H
#define PXPD_MODULE_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>
#include <uv.h>

struct job;
struct exec_spec;
struct fetch;
struct pxpd_config;
struct spool;

/* The engine's own knowledge the status module needs (pxp.md §6 and
 * cancel): which transactions it runs, and the end of one that ended
 * unwatched. The engine fills it; the status module only calls it. */
struct module_jobs {
	void *arg;
	/* Is tid a non-blocking job of this pxpd (running or queued)? */
	bool (*active)(void *arg, const char *tid);
	/* Is name a registered module? */
	bool (*module_known)(void *arg, const char *name);
	/* tid's metadata (meta) says running: when its exitcode file
	 * exists, its results, owed response and final metadata are made
	 * now (as its job's end when the engine still watches it). 0 when
	 * the metadata is final afterwards. */
	int (*finalize)(void *arg, const char *tid, cJSON *meta);
	/* Kills a running action's whole tree, or ends a queued one, when
	 * sender may (its requester, or whom the policy lets). 0, or -1 with
	 * err (no such job, or not sender's to cancel). */
	int (*cancel)(void *arg, const char *tid, const char *sender,
	    char *err, size_t errlen);
};

/* What every module may use, borrowed for as long as the engine lives:
 * the loop, the configuration and the shared services entry made
 * (agent/main.c) and handed to the engine. */
struct module_env {
	uv_loop_t *loop;
	const struct pxpd_config *cfg;
	struct spool *spool;
	/* Task downloads and the task cache (fetch.h), shared by the task,
	 * script and file modules. NULL without ssl-cert (the engine's unit
	 * tests): those modules then refuse cleanly. */
	struct fetch *fetch;
	/* What a reply's data may take (max-message-size less the room of
	 * the PCP envelope). */
	size_t data_max;
	const struct module_jobs *jobs;
};

/* What an ended action left behind, from memory or from the spool. */
struct action_output {
	int exitcode;
	const char *out, *err;      /* NUL-terminated */
	size_t out_len, err_len;
	bool out_truncated, err_truncated;
	bool non_blocking;          /* ran detached with spool output files */
	/* pxp.md §3's label, "non-blocking 'task run' request (transaction
	 * t)", which pxp-agent quotes in output errors; NULL: "'<module>
	 * <action>' request". */
	const char *label;
	/* Largest stdout+stderr a response may carry (max-message-size less
	 * room for the envelope); task-like modules cut output to fit, with
	 * a marker, and the whole text stays in the spool. */
	size_t result_cap;
};

struct module {
	const char *name;
	const char *const *actions;     /* NULL-terminated */
	bool blocking_only;             /* echo, ping, status */
	/* Checks a request's params against the action's input schema.
	 * Returns 0, or -1 with a reason in err. */
	int (*check)(const struct module *m, const char *action,
	    const cJSON *params, char *err, size_t errlen);
	/* Starts the action. It ends, now or later, with exactly one
	 * job_finish() call. Returns 0, or -1 with err when nothing started. */
	int (*start)(const struct module *m, struct job *job, char *err,
	    size_t errlen);
	/* Turns an ended action's output into results JSON (malloc'd) or an
	 * execution error (malloc'd), pxp.md §5 "valid results". Used when a
	 * child ends and when a status query finalizes an action that ended
	 * while pxpd was down. NULL for modules that never spawn. */
	int (*results)(const struct module *m, const char *action,
	    const struct action_output *o, char **results_json, char **error);
	void (*free)(struct module *m); /* NULL for static modules */
	void *priv;
};

/* What a module may read from the job it runs. */
const char *job_transaction_id(const struct job *job);
const char *job_action(const struct job *job);
const char *job_sender(const struct job *job);     /* the requester's URI */
const cJSON *job_params(const struct job *job);   /* never NULL: {} */
const cJSON *job_debug(const struct job *job);    /* v1 debug chunks or NULL */
bool job_non_blocking(const struct job *job);
const struct module_env *job_env(const struct job *job);

/* Non-blocking jobs: the transaction's spool dir; NULL when blocking. */
const char *job_result_dir(const struct job *job);
/* The label of pxp.md §3: "non-blocking 'task run' request (transaction t)". */
const char *job_label(const struct job *job);
/* Runs spec for the job (blocking: output in memory; non-blocking: into
 * its spool dir, detached) and, when the child ends, calls the module's
 * results() and job_finish(). spec->result_dir is filled in here.
 * Returns 0, or -1 with err when nothing started. */
int job_run(struct job *job, struct exec_spec *spec, char *err,
    size_t errlen);

/* Per-job module state: fn(ctx, finished) runs once when the engine
 * frees the job, after its outcome was sent (finished true) or when pxpd
 * stops while the action still runs detached (finished false). fn must
 * not call back into the job. */
void job_set_cleanup(struct job *job, void (*fn)(void *ctx, bool finished),
    void *ctx);

/* Ends a job. results_json (compact JSON text, may be NULL on error) is
 * taken over; error NULL means success. */
void job_finish(struct job *job, char *results_json, const char *error);

bool module_has_action(const struct module *m, const char *action);

/* Built-ins, in registration order (built-ins win name clashes). */
extern const struct module module_echo;
extern const struct module module_ping;
extern const struct module module_status;
extern const struct module module_command;
extern const struct module module_task;
extern const struct module module_script;
extern const struct module module_file;

#endif
