/* log.h: the agent's log, OpenBSD style (log_warn adds errno).
 * One process-wide sink: the logfile, stderr in the foreground, or syslog.
 * Lines read "<ISO time> LEVEL [part] message". Never log secrets. */
#ifndef PXPD_LOG_H
#define PXPD_LOG_H

#include <stdarg.h>
#include <stdbool.h>

#include "os/attr.h"

enum log_level {
	LOG_LVL_TRACE,
	LOG_LVL_DEBUG,
	LOG_LVL_INFO,
	LOG_LVL_WARNING,
	LOG_LVL_ERROR,
	LOG_LVL_FATAL,
	LOG_LVL_NONE,
};

/* "trace" .. "fatal", "none" (also "warn"); -1 when unknown. */
int log_level_parse(const char *name);
const char *log_level_name(enum log_level l);
/* syslog facility name ("local0".."local7", "daemon", "user", ...) to its
 * LOG_* value; -1 when unknown. */
int log_facility_parse(const char *name);

/* Longest line written (without the newline); longer ones end in "...". */
#define LOG_LINE_MAX 8192

/* dest: NULL or "-" = stderr, "syslog" = syslog(facility), else a file
 * (parent dir created, opened append, 0640). Returns 0 or -errno. */
int log_open(const char *dest, enum log_level level, const char *facility);
/* Reopen the file after logrotate moved it (SIGUSR2). On failure the old
 * descriptor stays in use. A no-op for stderr and syslog. */
int log_reopen(void);
void log_close(void);
void log_set_level(enum log_level level);
bool log_enabled(enum log_level level);

void log_msg(enum log_level level, const char *part, const char *fmt, ...)
    OS_PRINTF(3, 4);
void log_vmsg(enum log_level level, const char *part, const char *fmt,
    va_list ap);

#define log_trace(part, ...) log_msg(LOG_LVL_TRACE, part, __VA_ARGS__)
#define log_debug(part, ...) log_msg(LOG_LVL_DEBUG, part, __VA_ARGS__)
#define log_info(part, ...)  log_msg(LOG_LVL_INFO, part, __VA_ARGS__)
#define log_warnx(part, ...) log_msg(LOG_LVL_WARNING, part, __VA_ARGS__)
#define log_error(part, ...) log_msg(LOG_LVL_ERROR, part, __VA_ARGS__)
#define log_fatalx(part, ...) log_msg(LOG_LVL_FATAL, part, __VA_ARGS__)
/* Appends ": strerror(errno)". */
void log_warn(const char *part, const char *fmt, ...)
    OS_PRINTF(2, 3);

#endif
