/* task_int.h: what the task-like modules that download files (task.c,
 * script.c, file.c) share: the pure request checks and the plan of a
 * task run (task_plan.c), filesystem steps run off the loop
 * (task_fs.c), and fetching a set of files in parallel (task_fetch.c).
 * Not for other parts. */
#ifndef PXPD_TASK_INT_H
#define PXPD_TASK_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>
#include <uv.h>

#include "fetch/fetch.h"

#define TASK_FILES_MAX 1024      /* files[] of one request */
#define TASK_IMPLS_MAX 64        /* metadata.implementations */
#define TASK_STRS_MAX 1024       /* entries of a string list */
#define TASK_NAME_MAX 255
#define TASK_SHA_HEX 64

/* ---- task_plan.c: pure, bounded checks and decisions ------------------ */

/* Task name: "::"-separated segments, each ^[a-z][a-z0-9_]*$. */
int task_name_check(const char *name, char *err, size_t errlen);
/* The `task run` input schema (modules.md §3), types included. */
int task_params_check(const cJSON *params, char *err, size_t errlen);
/* params[key] is an array of at most max file objects that pass
 * fetch_file_parse (min 1). */
int task_files_check(const cJSON *params, const char *key, size_t max,
    char *err, size_t errlen);

/* What a task run does (modules.md §3 steps 1-7). Pointers borrow from
 * the params the plan was made from. */
struct task_plan {
	const cJSON *exe;            /* the file object to run */
	const char *input_method;    /* "stdin", "environment", "both", "powershell" */
	const cJSON **libs;          /* file objects for the install dir */
	size_t n_libs;
};
/* Picks implementation, input method, task file and lib files from
 * checked params and the agent's features (metadata.features are
 * added). 0, or -1 with pxp-agent's error text. task_plan_free always. */
int task_plan_make(const cJSON *params, const char *const *features,
    size_t n_features, struct task_plan *p, char *err, size_t errlen);
void task_plan_free(struct task_plan *p);

/* The task's parameters: input + "_task" (+ "_installdir" when not
 * NULL). Caller deletes. NULL on allocation failure. */
cJSON *task_args_build(const cJSON *input, const char *task,
    const char *installdir);
/* PT_<key>=<value> for each key of args: strings verbatim, anything
 * else compact JSON ("null" for null). NULL-terminated, malloc'd (free
 * with task_env_free); NULL on allocation failure. Keys holding '=' are
 * left out: they cannot be named in an environment. */
char **task_env_build(const cJSON *args);
void task_env_free(char **env);

/* ---- task_fs.c: filesystem steps; blocking, so run in uv_queue_work --- */

/* A relative path of plain names ("a/b.sh"): no "", ".", "..", absolute
 * or backslash parts. */
bool task_fs_rel_ok(const char *rel);
/* root + "/" + rel when rel passes task_fs_rel_ok; malloc'd or NULL. */
char *task_fs_join(const char *root, const char *rel);
/* Creates parent/temp_task_XXXX-XXXX-XXXX-XXXX (0700); *out malloc'd. */
int task_fs_tempdir(uv_loop_t *loop, const char *parent, char **out,
    char *err, size_t errlen);
/* mkdir -p of path (mode for the ones made); an existing non-directory
 * is an error. */
int task_fs_mkdirs(uv_loop_t *loop, const char *path, int mode, char *err,
    size_t errlen);
/* Copies src over dst (temp file beside dst, then rename) and sets
 * mode. */
int task_fs_copy(uv_loop_t *loop, const char *src, const char *dst,
    int mode, char *err, size_t errlen);
/* Lowercase hex SHA-256 of a regular file; -errno (-ENOENT when
 * missing, -EINVAL when not a regular file). */
int task_fs_sha256(uv_loop_t *loop, const char *path,
    char hex[TASK_SHA_HEX + 1]);

/* ---- task_fetch.c: several files into the cache at once --------------- */

struct task_fetch;
/* Called once from the loop: all files are cached (failed < 0), or file
 * `failed` could not be fetched (error). The set may be freed inside. */
typedef void (*task_fetch_cb)(void *arg, int failed, const char *error);
/* Starts fetch_get for each file (strings are copied by fetch). NULL
 * with err when nothing started; done is then not called. */
struct task_fetch *task_fetch_start(struct fetch *f,
    const struct fetch_file *files, size_t n, task_fetch_cb done, void *arg,
    char *err, size_t errlen);
/* Cached path of file i once done (NULL before). */
const char *task_fetch_path(const struct task_fetch *t, size_t i);
/* Cancels what is pending (done is not called after) and frees. */
void task_fetch_free(struct task_fetch *t);

#endif
