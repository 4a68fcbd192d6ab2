/* exec_int.h: what the exec part shares between its parent side
 * (exec_posix.c, exec_win.c), the wrapper (wrapper_posix.c) and the
 * job codec (exec.c). Not for other parts: they use exec.h. */
#ifndef PXPD_EXEC_INT_H
#define PXPD_EXEC_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "exec.h"

/* The job text is read whole by the wrapper; past this it is refused. */
#define EXEC__JOB_MAX        (256u << 20)
#define EXEC__JOB_MAX_ARGS   4096
#define EXEC__JOB_MAX_ENV    4096
/* Ten years: any larger timeout is a typo, not a wish. */
#define EXEC__TIMEOUT_MAX_S  (10L * 366 * 24 * 3600)
#define EXEC__OUTPUT_CAP_MAX ((size_t)1 << 40)
/* Between SIGTERM and SIGKILL of the action's process group. */
#define EXEC__KILL_GRACE_S   5
/* After the action's leader exits, how long its pipes may stay open
 * (a background grandchild holding them) before the wrapper stops
 * reading and reports. */
#define EXEC__DRAIN_AFTER_EXIT_MS 2000
/* Blocking runs: the wrapper's status pipe (fd number in the wrapper). */
#define EXEC__STATUS_FD      3

/* Files of a result dir (spool-and-config.md §1), plus ours. */
#define EXEC__FILE_PID       "pid"
#define EXEC__FILE_STDOUT    "stdout"
#define EXEC__FILE_STDERR    "stderr"
#define EXEC__FILE_EXITCODE  "exitcode"
#define EXEC__FILE_TIMED_OUT "timed_out"

/* The job as the wrapper sees it: an owned copy of struct exec_spec. */
struct exec__job {
	char *executable;
	char **args;                 /* NULL-ended, never NULL */
	char **env;                  /* NULL-ended, never NULL */
	char *input;                 /* NUL-ended, never NULL */
	size_t input_len;
	char *result_dir;            /* NULL: blocking */
	bool action_writes_output;   /* see exec_spec; only with result_dir */
	char *cwd;                   /* NULL: private temp dir */
	long timeout_s;
	size_t output_cap;           /* resolved: never 0 */
	int status_fd;               /* -1: none */
};

/* The wrapper's job text (one JSON object) for spec; status_fd -1 for
 * none. Malloc'd, NUL-ended, *len without the NUL; caller frees. NULL
 * with err when spec is unusable (missing executable, NUL in input,
 * too big). */
char *exec__job_build(const struct exec_spec *spec, int status_fd,
    size_t *len, char *err, size_t errlen);

/* Pure and bounded: text[0..len) to *job. 0, or -1 with err; on error
 * *job holds nothing to free. exec__job_free(NULL) does nothing. */
int exec__job_parse(const char *text, size_t len, struct exec__job *job,
    char *err, size_t errlen);
void exec__job_free(struct exec__job *job);

/* An exitcode file's text: an integer with optional surrounding white
 * space. 0 and *code, or -1. */
int exec__exitcode_parse(const char *text, size_t len, int *code);

/* A pid file's text: "<pid>\n" (white space tolerated), pid > 1.
 * 0 and *pid, or -1. */
int exec__pid_parse(const char *text, size_t len, long *pid);

/* ---- the POSIX wrapper's halves (wrapper_posix.c runs the action,
 * wrapper_spawn_posix.c starts it) ---- */

#define EXEC__STAGE_CHDIR 1
#define EXEC__STAGE_EXEC  2
/* Why an action did not start: the stage and its errno. */
struct exec__start_error {
	int stage;
	int err;
};

/* Forks the job's action as leader of its own process group, stdio from
 * fds[0..2] and no other descriptor, in workdir, with umask_orig, the
 * environment of wrapper_env_build(). 0 and *pid once the action's code
 * runs; -1 with *se otherwise (no child left). */
int exec__action_start(const struct exec__job *job, const char *workdir,
    const int fds[3], unsigned umask_orig, long *pid,
    struct exec__start_error *se);
/* Closes every fd in [lo, hi]: close_range, else a bounded loop. */
void exec__fds_close(int lo, int hi);

#endif
