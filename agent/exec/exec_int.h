/* exec_int.h: what the exec part shares between its platform-neutral
 * files (job.c, the wrapper's job codec; env.c) and its platform halves
 * (os/posix/exec.c and wrapper.c; os/win/ later): the job as the wrapper
 * sees it (limits as numbers, user and group as names), its bounds, the
 * result-dir files. What only the POSIX halves share (ids, rlimits, fds,
 * signals) is os/posix/exec_posix.h. Not for other parts: they use
 * exec.h. */
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
 * root); elsewhere than Linux a job has none. */
#define EXEC__CGROUP_ROOT    "/sys/fs/cgroup"

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
	char **input_files;          /* NULL-ended, never NULL */
	enum exec_builtin builtin;
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

/* result.c: the small files of a result dir. */

/* An exitcode file's text: an integer with optional surrounding white
 * space. The one parser: the wrapper writes the file, exec_result_exitcode
 * reads it for every caller. 0 and *code, or -1. */
int exec__exitcode_parse(const char *text, size_t len, int *code);

/* What proves that a live pid is still the process it was: the boot it
 * ran in (a reboot reuses pids) and its start time in clock ticks since
 * that boot (/proc/<pid>/stat field 22; a reused pid starts later). */
#define EXEC__BOOT_ID_MAX 64
struct exec__proc_id {
	char boot_id[EXEC__BOOT_ID_MAX];     /* NUL-ended */
	unsigned long long start_time;
};

/* A pid file: "<pid>\n", then "<boot_id> <start_time>\n" where the
 * platform has a process identity (pxp-agent reads the first line
 * only). */
#define EXEC__PID_FILE_MAX 160
struct exec__pid_file {
	long pid;                    /* > 1 */
	bool has_id;
	struct exec__proc_id id;
};
/* The one reader of pid files (adoption, exec_result_alive): strict,
 * bounded. 0 and *pf, or -1. */
int exec__pid_file_parse(const char *text, size_t len,
    struct exec__pid_file *pf);
/* Its text into buf: the length, or -1 when it does not fit. */
int exec__pid_file_format(const struct exec__pid_file *pf, char *buf,
    size_t size);
/* The state letter (field 3) and start time (field 22) of a
 * /proc/<pid>/stat line. 0, or -1. */
int exec__stat_parse(const char *text, size_t len, char *state,
    unsigned long long *start_time);

/* Is process pid alive (ours to signal, or another user's)? kill(pid, 0)
 * alone: only where the platform has no process identity. */
bool exec__pid_alive(long pid);

#endif
