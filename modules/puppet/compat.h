/* compat.h: what pxp-module-puppet needs that C11 and every platform do
 * not give alike: strndup and memmem (GNU), and on Windows the spelling
 * of close-on-exec, fsync and a file's mtime. The module is a program of
 * its own, so this is its platform seam (agent/os/ is pxpd's). */
#ifndef PXP_PUPPET_COMPAT_H
#define PXP_PUPPET_COMPAT_H

#include <stddef.h>
#include <sys/stat.h>
#include <time.h>

#ifdef _WIN32
#include <fcntl.h>
#include <io.h>
#define O_CLOEXEC _O_NOINHERIT
#define fsync _commit
/* Windows keeps whole seconds in struct stat. */
#define PUPPET_ST_MTIM(st) ((struct timespec){ (st)->st_mtime, 0 })
#else
#define PUPPET_ST_MTIM(st) ((st)->st_mtim)
#endif

/* strndup(3): a malloc'd copy of at most len bytes of s; NULL when out
 * of memory. */
char *puppet_strndup(const char *s, size_t len);
/* memmem(3): the first needle in hay, or NULL. */
const char *puppet_memmem(const char *hay, size_t hlen, const char *needle,
                          size_t nlen);

#endif
