/* os.h: the only door to the platform (libuv's src/unix + src/win split):
 * files, the system log, the user we run as, the allocator. os/posix and
 * os/win implement it with the same calls. Shared
 * code (every folder but os/, and main.c) includes no platform header: it
 * comes here or goes through libuv. The other doors under os/ are the
 * service entry and signals (daemon.h), the shell of `command run`
 * (shell.h) and task interpreters (task_features.h); running actions is
 * exec's (exec/exec.h, os/posix/exec.c).
 *
 * Conventions:
 * - Every call returns 0 or a negative errno value from <errno.h>
 *   (-ENOENT, -EEXIST, ...), which Windows's C runtime has too: os/win maps
 *   Win32 errors onto them, so shared code compares and prints them with
 *   strerror(-rc) on every platform.
 * - Paths are UTF-8, '/' separated.
 * - No descriptor, mode_t, uid_t or struct stat crosses this header: an
 *   open file is a struct os_file, metadata a struct os_fileinfo, access
 *   one of the OS_MODE_* values below.
 * - Every handle is close-on-exec: actions are spawned from this process
 *   and must inherit none of ours. */
#ifndef PXPD_OS_H
#define PXPD_OS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An open file: a descriptor on POSIX, a HANDLE on Windows. */
struct os_file;

/* ---- Access of what we create -------------------------------------------
 * POSIX permission bits (with the umask applied, as open(2) does). os/win
 * gives those without bits for others (the *_PRIVATE and *_GROUP ones:
 * the group is root's) the ACL of SYSTEM, Administrators and the user,
 * and lets the *_PUBLIC ones inherit their directory's. */
#define OS_MODE_DIR_PRIVATE   0700  /* spool, transactions, task dirs */
#define OS_MODE_FILE_PRIVATE  0600  /* results, temp files, audit log */
#define OS_MODE_EXEC_PRIVATE  0700  /* a task file, run in place */
#define OS_MODE_DIR_GROUP     0750  /* log, cache, config dirs (pxp-agent's) */
#define OS_MODE_FILE_GROUP    0640  /* the main log */
#define OS_MODE_DIR_PUBLIC    0755  /* parents of the spool and pidfile */
#define OS_MODE_FILE_PUBLIC   0644  /* the pidfile */

/* ---- Paths ------------------------------------------------------------- */

enum os_ftype {
	OS_FTYPE_REG,       /* a regular file */
	OS_FTYPE_DIR,
	OS_FTYPE_LINK,      /* a symlink (Windows: a reparse point) */
	OS_FTYPE_OTHER,     /* FIFO, socket, device */
};

struct os_fileinfo {
	enum os_ftype type;
	uint64_t size;
	int64_t mtime;      /* seconds since the epoch */
	unsigned perm;      /* permission bits as POSIX writes them (0640);
	                     * os/win derives them from the ACL */
};

/* What is at path; follow: through a final symlink (else a symlink is
 * OS_FTYPE_LINK). */
int os_path_info(const char *path, bool follow, struct os_fileinfo *out);

/* mkdir -p: missing parents get parent_mode, the last component
 * leaf_mode; existing directories (or symlinks to them) are left as they
 * are. -ENOTDIR when a component exists and is no directory. */
int os_mkdir_p(const char *path, int parent_mode, int leaf_mode);
/* os_mkdir_p of the directory part of path (a file's), all in mode;
 * nothing when path has none. */
int os_mkdir_parent(const char *path, int mode);

/* Creates path, new (-EEXIST when anything, a symlink too, is there),
 * for the owner only: type OS_FTYPE_DIR makes a 0700 directory (out must
 * be NULL), OS_FTYPE_REG an empty 0600 file, open for writing in *out
 * (the caller closes it). The one way to make what holds secrets. */
int os_create_private(const char *path, enum os_ftype type,
    struct os_file **out);

int os_rmdir(const char *path);
int os_unlink(const char *path);
/* Replaces to (a file) atomically. */
int os_rename(const char *from, const char *to);
/* Sets the modification time of path to now. */
int os_touch(const char *path);

/* Removes path and, when it is a directory, everything below it, without
 * ever following a symlink: one met in the walk (even one swapped in for
 * a directory while it runs) is removed, its target untouched; a file
 * system mounted inside is left alone (-EXDEV). Keeps going after an
 * error and returns the first one. -EINVAL for "", "/", "." and "..". */
int os_rmtree_at(const char *path);

/* Names of the entries of directory path of the given type (never
 * following symlinks; "." and ".." left out): a malloc'd array of
 * malloc'd strings for os_names_free. */
int os_dir_list(const char *path, enum os_ftype type, char ***names,
    size_t *n);
void os_names_free(char **names, size_t n);
/* Makes the entries of directory path (a rename, a new file) durable. */
int os_dir_sync(const char *path);

/* Why name, one path component taken from a request (a transaction id,
 * a task file's name), would not name a plain entry of its directory
 * here; NULL when it does. POSIX: empty, "." and "..", a '/'. Windows
 * adds '\\', ':' (alternate data streams, drive letters), wildcards, a
 * trailing '.' or ' ' (Win32 drops them), device names (CON, nul.txt)
 * and 8.3 short names (PROGRA~1). Shared code keeps its own character
 * rules besides. A static string. */
const char *os_name_unsafe(const char *name);

/* Is a modules-dir entry an external module file, by its name, and how
 * long is the module's name in it? POSIX: a name without an extension,
 * all of it; Windows: "<module>.exe" or "<module>.bat" (any case), as
 * pxp-agent loads them there. 0: not a module file. Pure. */
size_t os_module_name_len(const char *file);

/* ---- Whole files ------------------------------------------------------- */

/* Replaces path with buf: written to "<path>.tmp-<random>" (private,
 * exclusive: a planted symlink is never written through), then renamed
 * over path, so a reader sees the old file or the new one, never half.
 * durable adds fsync of the file before the rename (else a power cut may
 * leave path empty) and of its directory after it (costly: the thread
 * pool's, never the event loop's). */
int os_write_atomic(const char *path, const void *buf, size_t len,
    bool durable);
/* Up to max bytes of the regular file at path into a malloc'd NUL-ended
 * *buf (the caller frees it); *truncated when there was more. -EINVAL for
 * anything else: a FIFO (never waited on), a device, and with !follow a
 * symlink. */
int os_read_file(const char *path, bool follow, size_t max, char **buf,
    size_t *len, bool *truncated);
/* Up to max bytes from offset off of the regular file at path (never
 * through a symlink; 0 bytes past its end) into a malloc'd NUL-ended
 * *buf. */
int os_read_at(const char *path, uint64_t off, size_t max, char **buf,
    size_t *len);

/* ---- Open files ---------------------------------------------------------- */

enum {
	OS_OPEN_READ     = 1 << 0,
	OS_OPEN_APPEND   = 1 << 1,   /* writes go to the end; made with mode
	                              * when missing */
	OS_OPEN_NOFOLLOW = 1 << 2,   /* a symlink at path is refused (-ELOOP) */
};

int os_file_open(const char *path, unsigned flags, int mode,
    struct os_file **out);
/* 0 with *got 0 at the end of the file. */
int os_file_read(struct os_file *f, void *buf, size_t len, size_t *got);
/* All of buf; appending files take it in one system call, so concurrent
 * writers (a logrotate copy) never interleave inside it. */
int os_file_write(struct os_file *f, const void *buf, size_t len);
struct os_buf {
	const void *base;
	size_t len;
};
/* os_file_write of n buffers, in one system call (n at most 8). */
int os_file_writev(struct os_file *f, const struct os_buf *bufs, int n);
int os_file_info(struct os_file *f, struct os_fileinfo *out);
int os_file_chmod(struct os_file *f, int mode);
/* Closes and frees f; the error of the close (a late write error) is
 * returned. NULL and os_file_stderr() do nothing. */
int os_file_close(struct os_file *f);
/* The process's standard error (never closed). */
struct os_file *os_file_stderr(void);

/* ---- Default locations --------------------------------------------------
 * The defaults of the path keys: pxpd's own on POSIX (/etc/pxpd,
 * /var/lib/pxpd, ...), pxp-agent's on Windows (under
 * %ProgramData%\PuppetLabs\pxp-agent). */

enum os_default_path {
	OS_DEFAULT_NONE,            /* no default: "" */
	OS_DEFAULT_CONFIG_FILE,
	OS_DEFAULT_LOGFILE,
	OS_DEFAULT_PCP_ACCESS_LOG,
	OS_DEFAULT_MODULES_DIR,
	OS_DEFAULT_MODULES_CONFIG_DIR,
	OS_DEFAULT_TASK_CACHE_DIR,
	OS_DEFAULT_SPOOL_DIR,
	OS_DEFAULT_PIDFILE,
};

/* The default of which into out: the system's for a privileged user,
 * else one under home where the platform has one (home NULL: the
 * system's). "" for OS_DEFAULT_NONE; -1 when it does not fit or cannot be
 * found. */
int os_default_path(enum os_default_path which, bool privileged,
    const char *home, char *out, size_t outlen);

/* ---- The system log (syslog; Windows: the event log) --------------------- */

enum os_syslog_prio {
	OS_SYSLOG_DEBUG,
	OS_SYSLOG_INFO,
	OS_SYSLOG_WARNING,
	OS_SYSLOG_ERR,
	OS_SYSLOG_CRIT,
};

/* The logfile value that names the system log: "syslog" on POSIX,
 * "eventlog" on Windows (pxp-agent's names). */
const char *os_syslog_name(void);
/* A facility name ("local0".."local7", "daemon", "user", ...) to the
 * value os_syslog_open takes (syslog's LOG_*); -1 when unknown. */
int os_syslog_facility(const char *name);
/* Connects now, before a sandbox could hide the log socket. */
void os_syslog_open(const char *ident, int facility);
void os_syslog_write(enum os_syslog_prio prio, const char *line);
void os_syslog_close(void);

/* ---- The user and the process -------------------------------------------
 * The pid, home directory and user database are libuv's (uv_os_getpid,
 * uv_os_get_passwd). */

/* We run with the system's full rights (root; Windows: an elevated
 * administrator or LocalSystem): system paths are the defaults. */
bool os_user_privileged(void);

/* Gives freed heap memory back to the OS (after a large action output
 * was processed), so a burst does not stay in pxpd's RSS. */
void os_memory_trim(void);

/* Ends this process at once, as kill -9 would: no exit handlers, no
 * flushing (base/crash.c's crash points, in the test binary only). */
void os_crash_now(void);

#endif
