/* task_features.h: what this machine offers tasks (tasks.md §4): the
 * feature set that picks a task implementation, and how a task file is
 * started. os/posix/task_features.c and os/win/task_features.c implement
 * it. */
#ifndef PXPD_TASK_FEATURES_H
#define PXPD_TASK_FEATURES_H

#include <stddef.h>

#define TASK_FEATURES_MAX 8

/* Fills out with up to max feature names (static strings) and returns
 * how many. Probed on each call: installing Puppet or PowerShell needs
 * no restart. */
size_t task_features_probe(const char **out, size_t max);

/* How the task file `file` is started here: *exe and up to nargs
 * arguments (borrowing file) that come before the task's own. POSIX runs
 * the file itself (shebang and exec bit); Windows picks an interpreter
 * by extension (modules.md §2). Returns the argument count, or -1 when
 * they don't fit. */
int task_features_command(const char *file, const char **exe,
    const char **args, int nargs);

/* The "powershell" input method (pxp-agent's PowershellShim.ps1): turns
 * the command task_features_command made for a .ps1 file (n arguments,
 * the file last after "-File") into one that runs the shim with the
 * file as its argument; the shim reads the task's JSON from stdin and
 * passes it to the file as named parameters. Returns the new count; n
 * where there is no shim (POSIX: no PowerShell input method; Windows:
 * PowershellShim.ps1 is not beside pxpd.exe, and the task then gets the
 * JSON on stdin only), -1 when it does not fit in nargs. */
#define TASK_FEATURES_PS_SHIM "PowershellShim.ps1"
int task_features_powershell_input(const char **args, int n, int nargs);

#endif
