/* exec.h: running actions in child processes, watched from the libuv
 * loop, never blocking it. Every action runs under the wrapper (the pxpd
 * binary itself started as `pxpd --exec-wrapper`), which detaches, applies
 * the sandbox, runs the action and records its outcome, so an action
 * outlives pxpd and a restarted pxpd can adopt it again.
 * os/posix/exec.c and exec_result.c implement this; os/win/ will, behind
 * the same calls; exec/env.c, job.c and result.c are the platform-neutral
 * parts. */
#ifndef PXPD_EXEC_H
#define PXPD_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#define EXEC_WRAPPER_ARG "--exec-wrapper"
/* The wrapper's exit code when the action could not be started. */
#define EXEC_EXIT_NOT_STARTED 127
/* Bytes kept per stream when exec_spec.output_cap is 0. */
#define EXEC_OUTPUT_CAP_DEFAULT ((size_t)64 << 20)
/* Where an external module that writes its own output (modules.md §1)
 * puts its exit code, in the result dir: not "exitcode", which only the
 * wrapper writes, last, so that its existence means the action ended
 * and its output is final. */
#define EXEC_FILE_MODULE_EXITCODE "exitcode.module"

/* The program every action runs under (`<it> --exec-wrapper`): pxpd's
 * own binary, held open from startup on, so that a package upgrade that
 * replaces or deletes the file does not stop actions from starting
 * until the service restarts. Opaque; the platform half holds it. */
struct exec_wrapper;
/* path NULL: this process's own binary, opened now and run through that
 * handle. path set: that program, run by its path (tests, whose binary
 * is not pxpd; a cross build under qemu-user, PXPD_WRAPPER_PATH at build
 * time). NULL with err when it cannot be opened. Never chosen by an
 * environment variable: the wrapper runs as root. */
struct exec_wrapper *exec_wrapper_open(const char *path, char *err,
    size_t errlen);
/* This process's own binary, for the wrappers. spool_dir (NULL: none)
 * names where pxpd keeps its state: a platform that cannot replace a
 * binary while a process runs it (Windows: an MSI upgrade with an
 * action running) runs the wrappers from a per-build copy kept in
 * <spool_dir's parent>\bin and removes older copies no wrapper runs;
 * POSIX opens its own binary as exec_wrapper_open(NULL) does (the open
 * handle outlives a replace) and ignores spool_dir. */
struct exec_wrapper *exec_wrapper_open_self(const char *spool_dir,
    char *err, size_t errlen);
void exec_wrapper_close(struct exec_wrapper *w);

/* The sandbox limits of one action (README "Sandbox"). Zero / NULL
 * means none; the engine fills them from the action-* config keys. */
struct exec_limits {
	unsigned long long memory_max; /* bytes: memory.max, else RLIMIT_AS */
	long pids_max;               /* pids.max, else RLIMIT_NPROC */
	long cpu_max;                /* percent of one CPU: cpu.max only */
	bool no_new_privs;           /* PR_SET_NO_NEW_PRIVS before exec */
	const char *user;            /* run as (name or uid); NULL: the agent's */
	const char *group;           /* NULL: the user's primary group */
	/* The delegated cgroup v2 directory under which the wrapper makes
	 * the action's own cgroup (cgroup_probe() found it). NULL: no
	 * cgroup, the rlimits above instead. */
	const char *cgroup_dir;
};

/* What the action is: an executable (the default), or a step of pxpd's
 * own that the wrapper runs in the action's process once the sandbox is
 * entered, exactly where an executable would be exec'd (same user,
 * groups, no_new_privs, limits, cgroup, working directory, timeout and
 * cancel, output and exit code). */
enum exec_builtin {
	EXEC_BUILTIN_NONE,
	/* file download: places files, directories and symlinks. stdin is
	 * the input, one line of JSON {"items":[{"kind":"file"|"directory"|
	 * "symlink","destination":D,"link_source":L,"skip":B}, ...]} (skip:
	 * a file already in place, no bytes follow for it), then the bytes of
	 * each other file item in order, framed as input_files says. Success
	 * prints "downloaded" and exits 0; a failure prints pxp-agent's
	 * message on stderr and exits 1. os/posix/place.c. */
	EXEC_BUILTIN_PLACE,
};

/* The frame of each input file on the action's stdin: its length as 8
 * bytes big-endian, then that many bytes. One the wrapper cannot open or
 * read comes as EXEC_INPUT_FILE_MISSING and no bytes. */
#define EXEC_INPUT_FILE_MISSING UINT64_MAX

struct exec_spec {
	/* The program; with builtin, only a name for logs and errors. */
	const char *executable;
	enum exec_builtin builtin;
	const char *const *args;     /* arguments after argv[0]; NULL-ended, may be NULL */
	const char *const *env;      /* "K=V" set in the child; NULL-ended, may be NULL */
	const char *input;           /* written to the action's stdin, then EOF */
	size_t input_len;
	/* After input: these files, each framed (EXEC_INPUT_FILE_MISSING),
	 * read by the wrapper as the agent: the action's user need not be
	 * able to open them (the task cache is the agent's alone). NULL-ended,
	 * may be NULL. */
	const char *const *input_files;
	/* Non-blocking: the spool dir of the transaction. pxpd writes
	 * <dir>/pid (with what proves the process is that wrapper) right
	 * after the spawn, before the wrapper gets its job; the wrapper
	 * writes <dir>/stdout and <dir>/stderr while running, and
	 * <dir>/exitcode last, atomically (and an empty <dir>/timed_out
	 * before it when it killed the action for timeout_s). NULL: output
	 * comes back in memory (blocking requests). */
	const char *result_dir;
	/* External modules in non-blocking mode write result_dir/stdout,
	 * stderr and their exit code (EXEC_FILE_MODULE_EXITCODE) themselves
	 * (modules.md §1): the wrapper then discards the action's real
	 * stdout/stderr, and once the module has exited writes the
	 * process's exit code to exitcode (the process's code is the one
	 * that counts). */
	bool action_writes_output;
	const char *cwd;             /* NULL: a private temp dir, removed after */
	long timeout_s;              /* 0: none. SIGTERM to the tree, grace, SIGKILL */
	size_t output_cap;           /* bytes kept per stream; 0: default */
	struct exec_limits limits;
	/* Borrowed; exec_env_apply sets it. NULL: nothing can start. */
	const struct exec_wrapper *wrapper;
};

struct exec_result {
	int exitcode;                /* action's exit code; 128+N when killed by N */
	bool timed_out;
	bool cancelled;
	/* In-memory output (result_dir == NULL); NUL-terminated, owned by the
	 * exec layer and valid during the callback only. */
	const char *out, *err;
	size_t out_len, err_len;
	bool out_truncated, err_truncated;
};

/* What every action shares: the defaults of the action-* keys and the
 * sandbox found once at startup. Entry (agent/main.c) fills the defaults,
 * calls exec_env_probe, and hands it through the engine to job_run. */
struct exec_env {
	struct exec_limits limits;   /* defaults (strings borrowed); not
	                                cgroup_dir, which is below */
	long timeout_s;              /* default; 0: none */
	size_t output_cap;           /* default; 0: EXEC_OUTPUT_CAP_DEFAULT */
	/* The delegated cgroup v2 directory actions get cgroups under;
	 * NULL: none, rlimits instead. Set by exec_env_probe. */
	char *cgroup_dir;
	/* Owned. exec_env_probe opens pxpd's own binary (or the build's
	 * PXPD_WRAPPER_PATH) unless one is set already (tests). */
	struct exec_wrapper *wrapper;
	/* Borrowed, may be NULL: the spool directory, for
	 * exec_wrapper_open_self. */
	const char *spool_dir;
};

/* Finds the sandbox (cgroup_mode: action-cgroup, "off", or "" for
 * automatic) and logs once what actions get, with a warning for each
 * default limit that cannot be enforced without it; opens the wrapper.
 * Never fails: without a cgroup, actions get rlimits; without a wrapper
 * (logged as an error) every start fails with the reason. */
void exec_env_probe(struct exec_env *env, const char *cgroup_mode);
/* Fills what spec leaves 0 or NULL from env's defaults (a module may set
 * tighter limits for its action) and sets the cgroup. */
void exec_env_apply(const struct exec_env *env, struct exec_spec *spec);
/* Frees what exec_env_probe allocated (and the wrapper); the defaults
 * stay. */
void exec_env_free(struct exec_env *env);

struct exec_child;
/* Called once, from the loop, when the action has ended; the child
 * handle is released right after the callback returns. */
typedef void (*exec_done_cb)(void *arg, const struct exec_result *r);

/* Starts the wrapper. NULL with err when nothing could be started. */
struct exec_child *exec_start(uv_loop_t *loop, const struct exec_spec *spec,
    exec_done_cb done, void *arg, char *err, size_t errlen);

/* Watches an action started by an earlier pxpd (result_dir/pid names its
 * wrapper). done fires as soon as result_dir/exitcode appears, or with
 * exitcode -1 when the wrapper is gone without writing it (a pid that
 * is no longer that wrapper counts as gone). The end is noticed at once
 * (a pidfd and a watch on the dir where the platform has them, else a
 * 100 ms poll). done is never called from inside exec_adopt itself.
 * NULL with err when there is neither an exitcode nor a readable pid
 * file (nothing to watch). */
struct exec_child *exec_adopt(uv_loop_t *loop, const char *result_dir,
    exec_done_cb done, void *arg, char *err, size_t errlen);

/* Kills the action's whole process tree (cancel). done still fires,
 * with cancelled set. An adopted wrapper is signalled through its pidfd,
 * or only after its identity was checked again: never a stranger. */
int exec_cancel(struct exec_child *c);

/* Forget a child without waiting (pxpd is stopping): the action keeps
 * running detached; done will not be called. */
void exec_abandon(struct exec_child *c);

/* Is the action of result_dir still running? Its wrapper's pid file is
 * read (*pid gets it; may be NULL) and that process asked whether it
 * lives and is still that wrapper: same boot, same start time (a pid
 * file without them, from an older pxpd: a live process that is a
 * wrapper). 1 yes, 0 no (gone, a zombie, rebooted since, or the pid
 * reused); -ENOENT without a pid file (the wrapper never started),
 * -EINVAL when it is not one. */
int exec_result_alive(const char *result_dir, long *pid);

/* The exit code in result_dir/exitcode, the one reader of that file.
 * 0 and *code; -ENOENT while the action runs, -EINVAL when the file is
 * not one number. */
int exec_result_exitcode(const char *result_dir, int *code);

/* Entry point of `pxpd --exec-wrapper`; reads its job from stdin. */
int exec_wrapper_main(int argc, char **argv);

#endif
