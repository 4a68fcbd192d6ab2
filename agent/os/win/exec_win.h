/* exec_win.h: what the Windows halves of exec share: pxpd's side
 * (exec.c spawns, adopts and cancels; exec_result.c reads and writes a
 * result dir's pid and exitcode and proves who a pid is) and the wrapper
 * (wrapper.c runs the action in its Job Object). Not for other parts:
 * they use exec.h. */
#ifndef PXPD_OS_WIN_EXEC_WIN_H
#define PXPD_OS_WIN_EXEC_WIN_H

#include <stdbool.h>
#include <stddef.h>

#include "exec/exec_int.h"
#include "os/win/internal.h"

/* A Windows process has no boot id; its creation time (100 ns units
 * since 1601, GetProcessTimes) is unique across reboots, so the pid
 * file's identity is "0 <creation time>". */
#define EXEC__WIN_BOOT_ID    "0"
/* Blocking runs: the wrapper's status pipe is the C runtime's fd 3
 * (libuv hands it over through STARTUPINFO's lpReserved2). */
#define EXEC__STATUS_FD      3
/* After the action's leader exits, how long its pipes may stay open
 * (blocking runs: a background grandchild holding them) before pxpd
 * stops reading and reports. */
#define EXEC__DRAIN_AFTER_EXIT_MS 2000
/* The exit code an action gets when its Job Object is terminated
 * (cancel, timeout): 128 + SIGKILL, as a killed action on POSIX. */
#define EXEC__WIN_KILLED_CODE 137

/* The Job Object of the wrapper (pid, creation time): one name per
 * wrapper, in the session's namespace, so that a restarted pxpd finds
 * it again (OpenJobObject) and a reused pid never names it. */
#define EXEC__JOB_NAME_MAX 64
void exec__job_name(long pid, unsigned long long ctime, wchar_t *out,
    size_t outlen);
/* The creation time of an open process handle: 0 or -errno. */
int exec__proc_ctime(HANDLE h, unsigned long long *ctime);

/* The wrapper's command line for exe and its arguments (NULL-ended),
 * UTF-8, malloc'd (wrapper.c): the C runtime's quoting, which
 * CommandLineToArgvW reads back; for cmd.exe what follows /c goes as it
 * is (cmd parses its own), but an existing file with a space in its
 * path is put in quotes. NULL when out of memory. */
char *exec__win_cmdline(const char *exe, char *const *args);

/* ---- Result dirs: pxpd's side (exec_result.c) ---- */
int exec__file_small_read(const char *dir, const char *name, char *buf,
    size_t size);
bool exec__result_file_exists(const char *dir, const char *name);
int exec__result_pid_read(const char *dir, struct exec__pid_file *pf);
/* Writes dir/pid for the wrapper just spawned (pid, ctime). */
int exec__result_pid_write(const char *dir, long pid,
    unsigned long long ctime);
/* Is the process a pid file names alive and still that process? 1 or 0.
 * A file without an identity: never (nothing proves it). */
int exec__pid_file_live(const struct exec__pid_file *pf);
/* That process, opened with access after its identity is proven: NULL
 * when it is gone or another process. */
HANDLE exec__pid_file_open(const struct exec__pid_file *pf, DWORD access);

#endif
