/* spool_int.h: what the spool files share: the struct behind the opaque
 * `struct spool` and the name checks. Their file system calls are os.h's.
 * Not for other parts. */
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

/* spool.c: names of the transaction directories of the spool (real
 * directories, not symlinks, whose names pass spool_tid_check), for
 * os_names_free. */
int spool__list_tids(struct spool *s, char ***names, size_t *n);

#endif
