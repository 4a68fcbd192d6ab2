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

/* Ends a job. results_json (compact JSON text, may be NULL on error) is
 * taken over; error NULL means success. */
void job_finish(struct job *job, char *results_json, const char *error);

bool module_has_action(const struct module *m, const char *action);

/* Built-ins, in registration order (built-ins win name clashes). */
extern const struct module module_echo;
extern const struct module module_ping;

#endif
