/* extmod.h: external modules, the executables in modules-dir
 * (modules.md §1). extmod_load() finds them and asks each for its
 * metadata; every good one becomes a heap struct module whose ops check
 * params against the action's input schema, run `<file> <action>` through
 * job_run(), and turn the output into results (pxp.md §5, §7). */
#ifndef PXPD_EXTMOD_H
#define PXPD_EXTMOD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "config/config.h"
#include "module.h"

/* `<file> metadata` is killed after this long (pxp-agent waits forever;
 * a module that hangs must not hold up the others). */
#define EXTMOD_METADATA_TIMEOUT_MS 10000
/* Most metadata stdout read, and the largest <module>.conf read. */
#define EXTMOD_METADATA_MAX (1024 * 1024)
#define EXTMOD_CONF_MAX (1024 * 1024)
/* Module files looked at; more are logged and ignored. */
#define EXTMOD_FILES_MAX 256

/* m is heap-allocated and handed over: the receiver frees it with
 * m->free(m) (engine_free does, for every registered module). */
typedef void (*extmod_loaded_cb)(void *arg, struct module *m);
typedef void (*extmod_done_cb)(void *arg);

/* Scans cfg->modules_dir (directly, not subdirs) for module files, runs
 * `<file> metadata` for all of them in parallel, reads
 * <cfg->modules_config_dir>/<name>.conf, and calls loaded() for each good
 * module, in file-name order, then done() once. Both are called from the
 * loop, never from inside this call. Every module that is not loaded gets
 * one log line naming its file and why; an unreadable modules-dir is
 * logged and yields no modules. The paths in cfg are copied.
 * Returns 0, or a negative UV_* code when nothing was started (then no
 * callback fires). */
int extmod_load(uv_loop_t *loop, const struct pxpd_config *cfg,
    extmod_loaded_cb loaded, extmod_done_cb done, void *arg);
/* The same with another metadata timeout (tests). */
int extmod_load_timeout(uv_loop_t *loop, const struct pxpd_config *cfg,
    uint64_t timeout_ms, extmod_loaded_cb loaded, extmod_done_cb done,
    void *arg);

/* Builds a module from its parsed metadata (modules.md §1 schema) and its
 * configuration. metadata is taken over whatever the outcome. conf: the
 * parsed <name>.conf, taken over; conf_present false means there was no
 * file (conf must be NULL then), true with conf NULL means the file could
 * not be read or parsed, which counts as JSON null. Returns the module
 * (free with m->free(m)) or NULL with the reason in err. */
struct module *extmod_module_new(const char *name, const char *path,
    cJSON *metadata, bool conf_present, cJSON *conf, char *err,
    size_t errlen);

/* Output processing of an external module action (pxp-agent's): exit
 * code 5 of a non-blocking action means the module could not write its
 * output files; otherwise stdout must be JSON (empty means null) that
 * satisfies the action's results schema. The exit code does not matter
 * otherwise. Returns 0 with exactly one of *results_json (compact JSON) or
 * *error set, malloc'd, for the caller to free; -1 only when out of
 * memory. m must come from extmod_module_new(). */
int extmod_output_process(const struct module *m, const char *action,
    const struct action_output *o, bool non_blocking, char **results_json,
    char **error);

#endif
