/* log.c: the one process-wide log sink (stderr, a file, or syslog) and the
 * line format. Not what gets logged or when (every part decides that), nor
 * the PCP access log. Invariant: one call writes exactly one line with one
 * write(2), so a string from the network can never start a line of its own
 * and concurrent writers (the agent, a logrotate copy) never interleave
 * inside a line. The static `sink` below is the only process-wide state the
 * style guide allows outside signal flags. */
#include "base/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/util.h"
#include "os/os.h"

enum log_dest {
	LOG_DEST_STDERR,
	LOG_DEST_FILE,
	LOG_DEST_SYSLOG,
};

static struct {
	enum log_dest dest;
	struct os_file *file;   /* when dest is LOG_DEST_FILE */
	char *path;             /* kept for log_reopen */
	enum log_level level;
} sink = { LOG_DEST_STDERR, NULL, NULL, LOG_LVL_INFO };

static const char *const level_names[] = {
	"trace", "debug", "info", "warning", "error", "fatal", "none",
};

/* Fixed width so that the message column lines up. */
static const char *const level_tags[] = {
	"TRACE", "DEBUG", "INFO ", "WARN ", "ERROR", "FATAL", "NONE ",
};

int
log_level_parse(const char *name)
{
	size_t i;

	if (name == NULL)
		return -1;
	if (strcasecmp(name, "warn") == 0)
		return LOG_LVL_WARNING;
	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcasecmp(name, level_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *
log_level_name(enum log_level l)
{
	if ((unsigned)l > LOG_LVL_NONE)
		return "unknown";
	return level_names[l];
}

int
log_facility_parse(const char *name)
{
	return os_syslog_facility(name);
}

/* The main log is pxp-agent's: its directory 0750, the file 0640. */
static int
log_file_open(const char *path, struct os_file **out)
{
	int rc;

	if ((rc = os_mkdir_parent(path, OS_MODE_DIR_GROUP)) < 0)
		return rc;
	return os_file_open(path, OS_OPEN_APPEND, OS_MODE_FILE_GROUP, out);
}

void
log_close(void)
{
	if (sink.dest == LOG_DEST_FILE)
		os_file_close(sink.file);
	if (sink.dest == LOG_DEST_SYSLOG)
		os_syslog_close();
	free(sink.path);
	sink.path = NULL;
	sink.file = NULL;
	sink.dest = LOG_DEST_STDERR;
}

int
log_open(const char *dest, enum log_level level, const char *facility)
{
	struct os_file *file;
	int fac, rc;
	char *path;

	if ((unsigned)level > LOG_LVL_NONE)
		return -EINVAL;
	if (dest == NULL || strcmp(dest, "-") == 0) {
		log_close();
		sink.level = level;
		return 0;
	}
	if (strcmp(dest, os_syslog_name()) == 0) {
		fac = log_facility_parse(facility ? facility : "local5");
		if (fac < 0)
			return -EINVAL;
		log_close();
		os_syslog_open("pxpd", fac);
		sink.dest = LOG_DEST_SYSLOG;
		sink.level = level;
		return 0;
	}
	if (*dest == '\0')
		return -EINVAL;
	if ((path = strdup(dest)) == NULL)
		return -ENOMEM;
	if ((rc = log_file_open(dest, &file)) < 0) {
		free(path);
		return rc;
	}
	log_close();
	sink.dest = LOG_DEST_FILE;
	sink.file = file;
	sink.path = path;
	sink.level = level;
	return 0;
}

int
log_reopen(void)
{
	struct os_file *file, *old;
	int rc;

	if (sink.dest != LOG_DEST_FILE)
		return 0;
	/* Open the new file before closing the old one so that a failure
	 * (full disk, removed directory) leaves logging where it was. */
	if ((rc = log_file_open(sink.path, &file)) < 0)
		return rc;
	old = sink.file;
	sink.file = file;
	os_file_close(old);
	return 0;
}

void
log_set_level(enum log_level level)
{
	if ((unsigned)level <= LOG_LVL_NONE)
		sink.level = level;
}

bool
log_enabled(enum log_level level)
{
	return level < LOG_LVL_NONE && sink.level != LOG_LVL_NONE &&
	    level >= sink.level;
}

/* Appends src to out[*len], escaping control characters so the result
 * stays on one line; stops short of cap and reports whether all of src
 * fit. */
static bool
log_escape_append(char *out, size_t *len, size_t cap, const char *src)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)src;
	char esc[4];
	size_t n;

	for (; *s != '\0'; s++) {
		if (*s == '\n') {
			esc[0] = '\\'; esc[1] = 'n'; n = 2;
		} else if (*s == '\r') {
			esc[0] = '\\'; esc[1] = 'r'; n = 2;
		} else if (*s == '\t') {
			esc[0] = '\t'; n = 1;
		} else if (*s < 0x20 || *s == 0x7f) {
			esc[0] = '\\'; esc[1] = 'x';
			esc[2] = hex[*s >> 4]; esc[3] = hex[*s & 0xf]; n = 4;
		} else {
			esc[0] = (char)*s; n = 1;
		}
		if (*len + n > cap)
			return false;
		memcpy(out + *len, esc, n);
		*len += n;
	}
	return true;
}

static enum os_syslog_prio
log_syslog_priority(enum log_level level)
{
	switch (level) {
	case LOG_LVL_TRACE:
	case LOG_LVL_DEBUG:
		return OS_SYSLOG_DEBUG;
	case LOG_LVL_INFO:
		return OS_SYSLOG_INFO;
	case LOG_LVL_WARNING:
		return OS_SYSLOG_WARNING;
	case LOG_LVL_ERROR:
		return OS_SYSLOG_ERR;
	default:
		return OS_SYSLOG_CRIT;
	}
}

/* Formats and writes one line; `suffix` (may be NULL) is appended to the
 * message before escaping (log_warn's strerror). */
static void
log_emit(enum log_level level, const char *part, const char *suffix,
    const char *fmt, va_list ap)
{
	char msg[LOG_LINE_MAX + 1];
	char line[LOG_LINE_MAX + 2];       /* + "\n" + NUL */
	size_t len = 0, cap = LOG_LINE_MAX;
	bool whole;
	int n;

	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		snprintf(msg, sizeof(msg), "(unprintable log message)");
	whole = n >= 0 && (size_t)n < sizeof(msg);

	if (sink.dest != LOG_DEST_SYSLOG) {
		char now[UTIL_TIME_LEN];

		util_time_iso_us(now);
		len = (size_t)snprintf(line, sizeof(line), "%s %s ", now,
		    level_tags[level]);
	}
	if (part != NULL && *part != '\0') {
		line[len++] = '[';
		if (!log_escape_append(line, &len, cap - 2, part))
			whole = false;
		line[len++] = ']';
		line[len++] = ' ';
	}
	/* Leave room for "..." so a cut line still says it was cut. */
	if (!log_escape_append(line, &len, cap - 3, msg))
		whole = false;
	else if (whole && suffix != NULL &&
	    !log_escape_append(line, &len, cap - 3, suffix))
		whole = false;
	if (!whole) {
		memcpy(line + len, "...", 3);
		len += 3;
	}

	if (sink.dest == LOG_DEST_SYSLOG) {
		line[len] = '\0';
		os_syslog_write(log_syslog_priority(level), line);
		return;
	}
	line[len++] = '\n';
	/* A failure has nowhere left to be reported. */
	(void)os_file_write(sink.dest == LOG_DEST_FILE ? sink.file :
	    os_file_stderr(), line, len);
}

void
log_vmsg(enum log_level level, const char *part, const char *fmt, va_list ap)
{
	int saved = errno;

	if (log_enabled(level))
		log_emit(level, part, NULL, fmt, ap);
	errno = saved;
}

void
log_msg(enum log_level level, const char *part, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, part, fmt, ap);
	va_end(ap);
}

void
log_warn(const char *part, const char *fmt, ...)
{
	int saved = errno;
	char suffix[256];
	va_list ap;

	if (!log_enabled(LOG_LVL_WARNING))
		return;
	snprintf(suffix, sizeof(suffix), ": %s", strerror(saved));
	va_start(ap, fmt);
	log_emit(LOG_LVL_WARNING, part, suffix, fmt, ap);
	va_end(ap);
	errno = saved;
}
