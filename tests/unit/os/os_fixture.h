/* os_fixture.h: what test_os_fs.c and test_os_rmtree.c share: a fresh
 * temp dir under a known umask, and plain-libc looks at what the os.h
 * calls left there (so a broken os.h cannot vouch for itself). Built into
 * unit_helpers_os, which every test of tests/unit/os links. */
#ifndef PXPD_TEST_OS_FIXTURE_H
#define PXPD_TEST_OS_FIXTURE_H

#include <stdbool.h>
#include <sys/types.h>

#define OS_FIXTURE_PATH 256

struct os_fixture {
	char root[64];                  /* the temp dir */
	char path[OS_FIXTURE_PATH];     /* os_fixture_path's result */
	mode_t umask_was;
};

/* Makes root and sets the umask to 022, so the modes asked for are the
 * modes seen; fini removes root (rm -rf) and restores the umask. */
void os_fixture_init(struct os_fixture *f);
void os_fixture_fini(struct os_fixture *f);

/* root + "/" + rel, in f->path (overwritten by the next call). */
const char *os_fixture_path(struct os_fixture *f, const char *rel);
/* Permission bits of what is at path, not following a symlink; -1 when
 * nothing is there. */
int os_fixture_perm(const char *path);
bool os_fixture_exists(const char *path);
/* Entries of directory dir other than "." and "..". */
int os_fixture_entries(const char *dir);
void os_fixture_put(const char *path, const char *text);
/* The start of the file at path, NUL-ended (a static buffer). */
const char *os_fixture_slurp(const char *path);

#endif
