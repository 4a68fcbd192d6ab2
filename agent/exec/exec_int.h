/* exec_int.h: what the exec part shares between its parent side
 * (exec_posix.c, exec_win.c), the wrapper (wrapper_posix.c) and the
 * job codec (exec.c). Not for other parts: they use exec.h. */
#ifndef PXPD_EXEC_INT_H
#define PXPD_EXEC_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "exec/exec.h"

/* The job text is read whole by the wrapper; past this it is refused. */
#define EXEC__JOB_MAX        (256u << 20)
#define EXEC__JOB_MAX_ARGS   4096
#define EXEC__JOB_MAX_ENV    4096
/* Ten years: any larger timeout is a typo, not a wish. */
#define EXEC__TIMEOUT_MAX_S  (10L * 366 * 24 * 3600)
#define EXEC__OUTPUT_CAP_MAX ((size_t)1 << 40)
/* Limits past these are typos too (1 PiB, 4M processes, 1000 CPUs). */
#define EXEC__MEMORY_MAX_MAX (1ULL << 50)
#define EXEC__PIDS_MAX_MAX   (1L << 22)
#define EXEC__CPU_MAX_MAX    100000L
#define EXEC__NAME_MAX       256
/* A job's cgroup_dir must lie under this (the wrapper writes there as
 * root). */
#define EXEC__CGROUP_ROOT    "/sys/fs/cgroup"
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
	/* struct exec_limits, owned */
	unsigned long long memory_max;
	long pids_max;
	long cpu_max;
	bool no_new_privs;
	char *user, *group;          /* NULL: unchanged */
	char *cgroup_dir;            /* NULL: rlimits */
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

/* A pid file's text: "<pid>\n" (white space after it only), pid > 1.
 * The one reader of pid files (adoption, exec_result_alive). 0 and
 * *pid, or -1. */
int exec__pid_parse(const char *text, size_t len, long *pid);

/* Is process pid alive (ours to signal, or another user's)? The platform
 * half; others ask exec_result_alive. */
bool exec__pid_alive(long pid);

/* ---- the POSIX wrapper's halves (wrapper_posix.c runs the action,
 * wrapper_spawn_posix.c starts it) ---- */

#define EXEC__STAGE_CHDIR  1
#define EXEC__STAGE_EXEC   2
#define EXEC__STAGE_CGROUP 3     /* joining the action's cgroup */
#define EXEC__STAGE_RLIMIT 4
#define EXEC__STAGE_IDS    5     /* initgroups/setgid/setuid */
#define EXEC__STAGE_NNP    6     /* PR_SET_NO_NEW_PRIVS */
/* Why an action did not start: the stage and its errno. */
struct exec__start_error {
	int stage;
	int err;
};

/* The sandbox of one run, prepared by the wrapper before the fork
 * (wrapper_sandbox_posix.c) and entered by the child. */
struct exec__sandbox {
	char **envp;                 /* the action's environment, owned */
	bool set_ids;                /* action user and/or group given */
	bool set_user;               /* uid and user valid */
	unsigned long uid, gid;
	char *user;                  /* for initgroups; owned */
	char *cgroup;                /* the action's own cgroup; NULL: none */
	char *cgroup_procs;          /* <cgroup>/cgroup.procs */
	bool rlimits;                /* no cgroup: RLIMIT_AS / RLIMIT_NPROC */
	unsigned long long memory_max;
	long pids_max;
	bool no_new_privs;
};

/* Resolves the run-as user and group, builds the environment (the
 * allow-list plus the job's entries) and makes the action's cgroup
 * (or, failing that, plans rlimits). 0, or -1 with err when the action
 * must not run (unknown user or group); exec__sandbox_free in any case. */
int exec__sandbox_prepare(const struct exec__job *job, long wrapper_pid,
    struct exec__sandbox *sb, char *err, size_t errlen);
/* In the forked child, before exec: cgroup, rlimits, then the chdir to
 * workdir and the ids, then no_new_privs. 0, or -1 with errno set and
 * *stage saying which step failed. */
int exec__sandbox_enter(const struct exec__sandbox *sb, const char *workdir,
    int *stage);
/* The private working dir belongs to the action's user. */
int exec__sandbox_workdir_own(const struct exec__sandbox *sb,
    const char *workdir);
/* Signals every process of the action's cgroup (SIGKILL: cgroup.kill);
 * nothing without a cgroup. */
void exec__sandbox_signal(const struct exec__sandbox *sb, int sig);
/* Is any process left in the action's cgroup? false without one. */
bool exec__sandbox_populated(const struct exec__sandbox *sb);
/* Removes the action's cgroup (with evict, after moving processes an
 * action that succeeded left behind into the wrapper's own cgroup) and
 * frees everything. NULL-safe; sb is zeroed. */
void exec__sandbox_free(struct exec__sandbox *sb, bool evict);

/* Forks the job's action as leader of its own process group, stdio from
 * fds[0..2] and no other descriptor, in workdir, umask 077, inside the
 * sandbox sb. 0 and *pid once the action's code runs; -1 with *se
 * otherwise (no child left). */
int exec__action_start(const struct exec__job *job,
    const struct exec__sandbox *sb, const char *workdir, const int fds[3],
    long *pid, struct exec__start_error *se);
/* The message for an action that did not start (stderr, and the
 * result's stderr file). */
void exec__start_error_text(const struct exec__job *job, const char *workdir,
    const struct exec__start_error *se, char *buf, size_t size);
/* Closes every fd in [lo, hi]: close_range, else a bounded loop. */
void exec__fds_close(int lo, int hi);

#endif
