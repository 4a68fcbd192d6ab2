/* linelog.h: an append-only file of whole lines (the audit log, the PCP
 * access log), reopened after logrotate. Each line goes out in one
 * write(2), so readers never see half of one. */
#ifndef PXPD_LINELOG_H
#define PXPD_LINELOG_H

#include <stddef.h>

struct linelog;

/* Opens path for appending (0600). NULL with err on failure. */
struct linelog *linelog_open(const char *path, char *err, size_t errlen);
/* 0, or -errno; the old file stays in use on failure. */
int linelog_reopen(struct linelog *l);
/* Writes line (without its newline) plus '\n'. NULL l does nothing. */
void linelog_write(struct linelog *l, const char *line, size_t len);
void linelog_close(struct linelog *l);

#endif
