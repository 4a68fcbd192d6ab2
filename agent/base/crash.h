/* crash.h: named crash points, for the crash-consistency test
 * (tests/integration/test_crashpoints.py). Every step of every spool
 * write sequence names itself here ("metadata.renamed", "owed.delivered",
 * ...). In pxpd they do nothing: only the test binary pxpd-crashpoints
 * (main.c built with PXPD_CRASH_POINTS, never installed) arms them from
 * its environment, so no variable changes what pxpd does as root.
 *
 * Armed, a point either ends the process at once (PXPD_CRASH_AT=
 * "name:N", at its Nth pass in this process) or, with PXPD_CRASH_TRACE
 * set, only records its name. PXPD_CRASH_MODE=power also writes, before
 * dying, what a power cut could take with it: each file whose last write
 * was not fsync'd (XFS then shows it empty) and each directory made
 * whose parent was not fsync'd since (it may vanish), one "unsynced
 * PATH" / "newdir PATH" line each in PXPD_CRASH_JOURNAL; the test
 * applies them before restarting pxpd. Trace lines go there too. */
#ifndef PXPD_CRASH_H
#define PXPD_CRASH_H

#include <stdbool.h>

/* The step name was just completed. */
void crash_point(const char *name);
/* The same for a step of the file at path: "<basename>.<step>". */
void crash_point_file(const char *path, const char *step);

/* What the power mode's journal needs: path's data was written and not
 * fsync'd (synced: it was); dir was made; the entries of dir are now
 * durable. */
void crash_note_file(const char *path, bool synced);
void crash_note_dir_new(const char *dir);
void crash_note_dir_synced(const char *dir);

/* Arms the points from PXPD_CRASH_AT / PXPD_CRASH_TRACE /
 * PXPD_CRASH_MODE / PXPD_CRASH_JOURNAL. Only the test binary calls
 * it. */
void crash_arm_from_env(void);

#endif
