/* log.c: the one process-wide log sink (stderr, a file, or syslog) and the
 * line format. Not what gets logged or when (every part decides that), nor
 * the PCP access log. Invariant: one call writes exactly one line with one
 * write(2), so a string from the network can never start a line of its own
 * and concurrent writers (the agent, a logrotate copy) never interleave
 * inside a line. The static `sink` below is the only process-wide state the
 * style guide allows outside signal flags. */
#include "base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

enum log_dest {
	LOG_DEST_STDERR,
	LOG_DEST_FILE,
	LOG_DEST_SYSLOG,
};

static struct {
	enum log_dest dest;
	int fd;                 /* the file, when dest is LOG_DEST_FILE */
	char *path;             /* kept for log_reopen */
	enum log_level level;
} sink = { LOG_DEST_STDERR, -1, NULL, LOG_LVL_INFO };

static const char *const level_names[] = {
	"trace", "debug", "info", "warning", "error", "fatal", "none",
};

/* Fixed width so that the message column lines up. */
static const char *const level_tags[] = {
	"TRACE", "DEBUG", "INFO ", "WARN ", "ERROR", "FATAL", "NONE ",
};

static const struct {
	const char *name;
	int value;
} facilities[] = {
	{ "kern", LOG_KERN }, { "user", LOG_USER }, { "mail", LOG_MAIL },
	{ "daemon", LOG_DAEMON }, { "auth", LOG_AUTH },
	{ "syslog", LOG_SYSLOG }, { "lpr", LOG_LPR }, { "news", LOG_NEWS },
	{ "uucp", LOG_UUCP }, { "cron", LOG_CRON },
	{ "authpriv", LOG_AUTHPRIV }, { "ftp", LOG_FTP },
	{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },
	{ "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 },
	{ "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
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
	size_t i;

	if (name == NULL)
		return -1;
	for (i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
		if (strcasecmp(name, facilities[i].name) == 0)
			return facilities[i].value;
	return -1;
}

/* mkdir -p of the directory part of path; existing dirs are left alone. */
static int
log_parent_make(const char *path)
{
	char buf[4096];
	char *p, *slash;

	if (strlen(path) >= sizeof(buf))
		return -ENAMETOOLONG;
	strcpy(buf, path);
	slash = strrchr(buf, '/');
	if (slash == NULL || slash == buf)
		return 0;
	*slash = '\0';
	for (p = buf + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(buf, 0750) != 0 && errno != EEXIST)
			return -errno;
		*p = c;
		if (c == '\0')
			break;
	}
	return 0;
}

static int
log_file_open(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);

	return fd < 0 ? -errno : fd;
}

void
log_close(void)
{
	if (sink.dest == LOG_DEST_FILE && sink.fd >= 0)
		close(sink.fd);
	if (sink.dest == LOG_DEST_SYSLOG)
		closelog();
	free(sink.path);
	sink.path = NULL;
	sink.fd = -1;
	sink.dest = LOG_DEST_STDERR;
}

int
log_open(const char *dest, enum log_level level, const char *facility)
{
	int fd, fac, rc;
	char *path;

	if ((unsigned)level > LOG_LVL_NONE)
		return -EINVAL;
	if (dest == NULL || strcmp(dest, "-") == 0) {
		log_close();
		sink.level = level;
		return 0;
	}
	if (strcmp(dest, "syslog") == 0) {
		fac = log_facility_parse(facility ? facility : "local5");
		if (fac < 0)
			return -EINVAL;
		log_close();
		/* LOG_NDELAY: connect now, before a chroot or sandbox could
		 * hide /dev/log. */
		openlog("pxpd", LOG_PID | LOG_NDELAY, fac);
		sink.dest = LOG_DEST_SYSLOG;
		sink.level = level;
		return 0;
	}
	if (*dest == '\0')
		return -EINVAL;
	if ((rc = log_parent_make(dest)) < 0)
		return rc;
	if ((path = strdup(dest)) == NULL)
		return -ENOMEM;
	if ((fd = log_file_open(dest)) < 0) {
		free(path);
		return fd;
	}
	log_close();
	sink.dest = LOG_DEST_FILE;
	sink.fd = fd;
	sink.path = path;
	sink.level = level;
	return 0;
}

int
log_reopen(void)
{
	int fd, old, rc;

	if (sink.dest != LOG_DEST_FILE)
		return 0;
	/* Open the new file before closing the old one so that a failure
	 * (full disk, removed directory) leaves logging where it was. */
	if ((rc = log_parent_make(sink.path)) < 0)
		return rc;
	if ((fd = log_file_open(sink.path)) < 0)
		return fd;
	old = sink.fd;
	sink.fd = fd;
	close(old);
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

static int
log_syslog_priority(enum log_level level)
{
	switch (level) {
	case LOG_LVL_TRACE:
	case LOG_LVL_DEBUG:
		return LOG_DEBUG;
	case LOG_LVL_INFO:
		return LOG_INFO;
	case LOG_LVL_WARNING:
		return LOG_WARNING;
	case LOG_LVL_ERROR:
		return LOG_ERR;
	default:
		return LOG_CRIT;
	}
}

static void
log_write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return;         /* nowhere left to report it */
		}
		buf += n;
		len -= (size_t)n;
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
		struct timespec ts;
		struct tm tm;

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		len = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
		len += (size_t)snprintf(line + len, sizeof(line) - len,
		    ".%06ldZ %s ", ts.tv_nsec / 1000, level_tags[level]);
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
		syslog(log_syslog_priority(level), "%s", line);
		return;
	}
	line[len++] = '\n';
	log_write_all(sink.dest == LOG_DEST_FILE ? sink.fd : STDERR_FILENO,
	    line, len);
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
