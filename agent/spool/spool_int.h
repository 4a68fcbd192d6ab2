/* spool_int.h: what the spool files share: the struct behind the opaque
 * `struct spool` and the OS seam (os/posix/spool_fs.c; a Windows port adds
 * spool_fs_win.c with the same functions). Not for other parts. */
#ifndef PXPD_SPOOL_INT_H
#define PXPD_SPOOL_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spool/spool.h"

/* Caps on what is read back into memory. metadata may carry results as big
 * as max-message-size (64 MiB by default), an owed response likewise. */
#define SPOOL_METADATA_MAX ((size_t)96 << 20)
#define SPOOL_OWED_MAX     ((size_t)96 << 20)

struct spool {
	char *dir;              /* no trailing '/' */
	uint64_t owed_seq;      /* highest owed seq handed out or seen on disk */
};

/* Shared inside the spool (spool.c): checks of names used in paths. */
bool spool__name_ok(const char *name);
/* Highest seq of the owed files on disk (owed.c), for spool_open. */
uint64_t spool__owed_seq_max(struct spool *s);

/* ---- OS seam: every call returns 0 or -errno unless stated. ---- */

/* mkdir of one directory; -EEXIST when something is there. */
int spool__fs_mkdir(const char *path, unsigned mode);
/* mkdir -p: missing parents get parent_mode, the last one leaf_mode. An
 * existing last component is fine (left as it is). */
int spool__fs_mkdir_p(const char *path, unsigned parent_mode,
    unsigned leaf_mode);
int spool__fs_rmdir(const char *path);
int spool__fs_unlink(const char *path);
/* 0 when path is a directory (follow: through a symlink), -ENOTDIR when it
 * is something else, else -errno. *shared set when group or others have
 * any access (NULL allowed). */
int spool__fs_dir_check(const char *path, bool follow, bool *shared);
/* Something (anything, a symlink too) is at path. */
bool spool__fs_exists(const char *path);
/* Writes path via "<path>.tmp-<random>" + rename, mode 0600. durable adds
 * fsync of the file and of its directory. */
int spool__fs_write_atomic(const char *path, const void *buf, size_t len,
    bool durable);
/* Regular files only (never a symlink, FIFO or device): up to max bytes
 * into a malloc'd NUL-ended buffer. */
int spool__fs_read(const char *path, size_t max, char **buf, size_t *len,
    bool *truncated);
/* Up to max bytes from offset off of a regular file (0 bytes past its
 * end), into a malloc'd NUL-ended buffer. */
int spool__fs_read_at(const char *path, uint64_t off, size_t max,
    char **buf, size_t *len);
/* fsync of a directory, so a rename or mkdir in it survives a crash. */
int spool__fs_sync_dir(const char *path);
/* Names of the real subdirectories (not symlinks) of path that pass
 * spool_tid_check: a malloc'd array of malloc'd strings, freed with
 * spool__names_free. */
int spool__fs_list_tids(const char *path, char ***names, size_t *n);
void spool__names_free(char **names, size_t n);

#endif
