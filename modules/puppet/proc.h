/* proc.h: starting puppet and its environment (see proc.c). */
#ifndef PXP_PUPPET_PROC_H
#define PXP_PUPPET_PROC_H

#include <stddef.h>

#include "flags.h"

/* Runs argv[0] (a path, no PATH search) with envp in its own session,
 * stdin and stderr on /dev/null. With out != NULL stdout is captured into
 * out (at most outcap - 1 bytes kept, NUL-terminated, the rest read and
 * dropped), else it goes to /dev/null too. Returns 0 and *status (exit
 * code, or 128 + signal number), or a negative errno when the program
 * could not be started. */
int proc_run(char *const argv[], char *const envp[], char *out, size_t outcap,
             int *status);

/* 0 when path names a program we may run (POSIX: executable; Windows:
 * an existing file), else -1 with errno. */
int proc_bin_check(const char *path);

/* puppet_bin when the configuration has none: RUN_DEFAULT_PUPPET_BIN;
 * on Windows Puppet's bin\puppet.bat under Program Files. Static. */
const char *proc_default_bin(void);

/* The environment puppet runs with: ours, minus HOME/USER/LOGNAME (then
 * set from the password entry when not root), plus RUBYOPT=-EUTF-8 under
 * a C/POSIX locale. Returns 0 or -1 (out of memory). */
int proc_env_build(struct puppet_argv *env);

#endif
