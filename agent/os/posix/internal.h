/* internal.h: what the files of os/posix share (libuv's
 * src/unix/internal.h): the open-file struct behind os.h's opaque
 * struct os_file. Not for shared code: only os/posix may see a
 * descriptor. */
#ifndef PXPD_OS_POSIX_INTERNAL_H
#define PXPD_OS_POSIX_INTERNAL_H

#include "os/os.h"

struct os_file {
	int fd;
};

/* Wraps fd (taking it over: closed on failure). NULL when out of
 * memory. */
struct os_file *os__file_new(int fd);
/* A malloc'd copy of path without its trailing slashes ("/" stays);
 * NULL when out of memory. */
char *os__path_dup(const char *path);

#endif
