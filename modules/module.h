/* module.h: what a PXP module is to the engine. Built-in modules
 * (modules/, one file each) and external executables (modules-dir) both register one
 * struct module; the engine only ever calls through it. */
#ifndef PXPD_MODULE_H
#define PXPD_MODULE_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

struct job;
struct engine;
struct exec_spec;

/* What an ended action left behind, from memory or from the spool. */
struct action_output {
	int exitcode;
	const char *out, *err;      /* NUL-terminated */
	size_t out_len, err_len;
	bool out_truncated, err_truncated;
	bool non_blocking;          /* ran detached with spool output files */
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
const cJSON *job_params(const struct job *job);   /* never NULL: {} */
const cJSON *job_debug(const struct job *job);    /* v1 debug chunks or NULL */
bool job_non_blocking(const struct job *job);
struct engine *job_engine(const struct job *job);

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
