/* internal.h: what the files of os/win share (libuv's src/win/internal.h):
 * the open-file struct behind os.h's opaque struct os_file, UTF-8 <->
 * UTF-16 paths, Win32 errors as -errno, the private ACL. Not for shared
 * code: only os/win may see a HANDLE. */
#ifndef PXPD_OS_WIN_INTERNAL_H
#define PXPD_OS_WIN_INTERNAL_H

#include <windows.h>

#include "os/os.h"
#include "os/service.h"

struct os_file {
	HANDLE h;
};

/* Wraps h (taking it over: closed on failure). NULL when out of memory. */
struct os_file *os__file_new(HANDLE h);
/* os_fileinfo of an open handle (perm from its DACL when the handle may
 * read it, else 0600/0700). */
int os__handle_info(HANDLE h, struct os_fileinfo *out);

/* ---- path.c: paths -------------------------------------------------------- */

/* '/' and '\\' both separate (Win32 takes either). */
#define OS__IS_SEP(c) ((c) == '/' || (c) == '\\')

/* A malloc'd UTF-16 copy of the UTF-8 path, '/' turned into '\\'; NULL
 * (errno EINVAL for bad UTF-8 or an empty path, ENOMEM) on failure. */
wchar_t *os__wpath(const char *path);
/* A malloc'd UTF-8 copy of a UTF-16 string; NULL when out of memory. */
char *os__utf8(const wchar_t *w);
/* Length of the root of path that is never created or removed: "C:\",
 * "C:", "\\server\share\", "\\?\C:\", "\\?\UNC\server\share\", "\";
 * 0 for a relative path. */
size_t os__path_root_len(const char *path);
/* A malloc'd copy of path without its trailing separators (its root
 * stays whole); NULL when out of memory. */
char *os__path_dup(const char *path);

/* Known folders as UTF-8, into out: the system directory
 * (C:\Windows\System32), ProgramData and Program Files, each followed
 * by "\\" and rel. -1 when unknown or when it does not fit. */
enum os__folder {
	OS__FOLDER_SYSTEM,
	OS__FOLDER_PROGRAMDATA,
	OS__FOLDER_PROGRAMFILES,
};
int os__folder_path(enum os__folder which, const char *rel, char *out,
    size_t outlen);
/* Is there a regular file (or a link to one) at path? */
bool os__file_exists(const char *path);

/* name.c: is the last component of a path a device Win32 opens in every
 * directory (CON, nul.txt, COM1)? */
bool os__name_device(const char *name);

/* ---- error.c: Win32 errors ------------------------------------------------ */

/* A Win32 error code as a negative errno value (os.h's convention). */
int os__err(DWORD code);
/* os__err(GetLastError()). */
int os__last_err(void);

/* ---- acl.c: the Windows form of 0700 -------------------------------------- */

/* Security attributes for what os.h makes private (mode without group
 * or other bits): a protected DACL granting full control to SYSTEM,
 * Administrators and the user we run as, nobody else. Built once;
 * handles made with it are not inherited. NULL when it cannot be built
 * (then nothing private may be created). */
SECURITY_ATTRIBUTES *os__sa_private(void);
/* Attributes for mode: os__sa_private() when mode gives others nothing
 * (0700, 0750, 0640: the group is root's, i.e. Administrators);
 * otherwise non-inheritable handles and the directory's inherited ACL. */
SECURITY_ATTRIBUTES *os__sa_for_mode(int mode, SECURITY_ATTRIBUTES *plain);
/* Puts the private DACL on an open handle (WRITE_DAC access). */
int os__handle_make_private(HANDLE h);
/* POSIX-like permission bits of an object's DACL: owner bits for what
 * SYSTEM, Administrators and the owner may do, group and other bits for
 * what anyone else is granted. dir: read implies x. */
unsigned os__perm_from_handle(HANDLE h, bool dir);

/* ---- service.c: events from the service control manager ----------------- */

/* The user-defined control that reopens the logs (`sc control pxpd 128`),
 * Windows' stand-in for SIGUSR2. */
#define OS__SERVICE_CONTROL_REOPEN 128

/* Hands an event from the SCM's thread (daemon.c's control handler) to
 * the loop; kept until service_start when it comes earlier. what: a
 * static string for the log. */
void os__service_control(enum service_event ev, const char *what);

/* daemon.c: reports st to the SCM when it started us (READY: running,
 * STOPPING: stop pending); nothing in a console. */
void os__daemon_report(enum service_state st);

#endif
