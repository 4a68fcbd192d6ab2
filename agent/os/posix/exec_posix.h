/* exec_posix.h: what the POSIX halves of exec share: pxpd's side
 * (exec.c spawns, adopts and cancels; exec_result.c reads and writes the
 * pid and exitcode of a result dir) and the wrapper (wrapper.c runs the
 * action, spawn.c starts it, sandbox.c prepares and enters its sandbox,
 * wrapper_input.c feeds its stdin, place.c is the built-in file placing
 * action), and the identity of a process (os/linux/proc.c; os/proc_none.c
 * elsewhere). The state here is POSIX's own (uid and gid, rlimits, file
 * descriptors, signals); the job itself, platform-neutral, is
 * exec/exec_int.h's. */
#ifndef PXPD_EXEC_POSIX_H
#define PXPD_EXEC_POSIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "exec/exec_int.h"

/* Between SIGTERM and SIGKILL of the action's process group. */
#define EXEC__KILL_GRACE_S   5
/* After the action's leader exits, how long its pipes may stay open
 * (a background grandchild holding them) before the wrapper stops
 * reading and reports. */
#define EXEC__DRAIN_AFTER_EXIT_MS 2000
/* Blocking runs: the wrapper's status pipe (fd number in the wrapper). */
#define EXEC__STATUS_FD      3

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
 * (sandbox.c) and entered by the child. */
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

/* ---- Which process a pid is (os/linux/proc.c, os/proc_none.c) ---- */

/* The identity of process pid now: 0 with *id and *exited (a zombie:
 * it ended and is not reaped yet); -ESRCH when there is no such
 * process; -ENOTSUP where the platform has no identity. */
int exec__proc_id_get(long pid, struct exec__proc_id *id, bool *exited);
/* For a pid file without an identity (an older pxpd's): is pid a live
 * wrapper, its second argument EXEC_WRAPPER_ARG? 1 or 0; -ENOTSUP where
 * the platform cannot tell. */
int exec__proc_is_wrapper(long pid);
/* A descriptor bound to process pid however its number is reused (a
 * Linux pidfd, close-on-exec; readable once the process has ended):
 * >= 0, or -ENOSYS where the kernel has none, -ESRCH when it is gone. */
int exec__pidfd_open(long pid);
/* Sends sig through such a descriptor: 0 or -errno. */
int exec__pidfd_signal(int fd, int sig);

/* ---- Result dirs: pxpd's side (exec_result.c) ---- */

/* A small file dir/name (a result dir's, or /proc's) into buf
 * (NUL-ended): bytes read, or -ENOENT, or -EINVAL when it is not a
 * regular file (a FIFO put there must not block us; a symlink is not
 * followed) or does not fit in buf. */
ssize_t exec__file_small_read(const char *dir, const char *name,
    char *buf, size_t size);
bool exec__result_file_exists(const char *dir, const char *name);
/* dir/pid: 0 and *pf, or -ENOENT / -EINVAL. */
int exec__result_pid_read(const char *dir, struct exec__pid_file *pf);
/* Writes dir/pid for the wrapper just spawned (pid, and its identity
 * where the platform has one): 0 or -errno. */
int exec__result_pid_write(const char *dir, long pid);
/* Is the process a pid file names alive and still that process? 1 or 0.
 * With an identity: same boot, same start time, not a zombie. Without
 * (an older pxpd's file): a live wrapper, or where the platform cannot
 * tell, any live process. */
int exec__pid_file_live(const struct exec__pid_file *pf);

/* ---- wrapper_input.c: the action's stdin ---- */
/* What is being written: the job's input, then each input file framed
 * (exec.h). Zeroed, then src = -1, by exec__input_init. */
struct exec__input {
	size_t off;                  /* into job->input */
	size_t file;                 /* next job->input_files entry */
	int src;                     /* the input file being sent, or -1 */
	uint64_t left;               /* its bytes still to read */
	unsigned char buf[65536];
	size_t buf_len, buf_off;     /* read from src, not yet written */
};
void exec__input_init(struct exec__input *in);
/* Is there anything to write at all? */
bool exec__input_any(const struct exec__job *job);
/* Writes what the non-blocking pipe fd takes. 1 when everything was
 * written or the action stopped reading (EPIPE): the caller closes fd;
 * 0 to be called again when fd is writable. */
int exec__input_write(const struct exec__job *job, int fd,
    struct exec__input *in);
void exec__input_free(struct exec__input *in);

/* ---- place.c: EXEC_BUILTIN_PLACE, run in the action's process ---- */
/* Reads the items from fd 0; returns the exit code. */
int exec__place_main(void);

#endif
