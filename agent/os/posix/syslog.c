/* syslog.c: os.h's system log on POSIX: syslog(3) and its facility names.
 * Not the line format or levels (base/log.c decides what a line says). */
#include <strings.h>
#include <syslog.h>

#include "os/os.h"

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

static const int priorities[] = {
	[OS_SYSLOG_DEBUG] = LOG_DEBUG,
	[OS_SYSLOG_INFO] = LOG_INFO,
	[OS_SYSLOG_WARNING] = LOG_WARNING,
	[OS_SYSLOG_ERR] = LOG_ERR,
	[OS_SYSLOG_CRIT] = LOG_CRIT,
};

const char *
os_syslog_name(void)
{
	return "syslog";
}

int
os_syslog_facility(const char *name)
{
	size_t i;

	if (name == NULL)
		return -1;
	for (i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
		if (strcasecmp(name, facilities[i].name) == 0)
			return facilities[i].value;
	return -1;
}

void
os_syslog_open(const char *ident, int facility)
{
	/* LOG_NDELAY: connect now, before a chroot or sandbox could hide
	 * /dev/log. */
	openlog(ident, LOG_PID | LOG_NDELAY, facility);
}

void
os_syslog_write(enum os_syslog_prio prio, const char *line)
{
	if ((unsigned)prio > OS_SYSLOG_CRIT)
		prio = OS_SYSLOG_CRIT;
	syslog(priorities[prio], "%s", line);
}

void
os_syslog_close(void)
{
	closelog();
}
