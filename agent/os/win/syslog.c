/* syslog.c: os.h's system log on Windows: the Application event log
 * (`logfile: eventlog`, as pxp-agent), one event per line, the source
 * named after the ident. No message file is registered, so Event Viewer
 * prefixes each line with a note that the description is missing; the
 * text itself is complete. Not the line format or levels (base/log.c).
 * Syslog facilities mean nothing here: every name syslog knows is
 * accepted (so a config written for both loads) and ignored. */
#include <stdlib.h>
#include <string.h>

#include "os/win/internal.h"

static HANDLE syslog_source;

static const char *const syslog_facilities[] = {
	"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news",
	"uucp", "cron", "authpriv", "ftp", "local0", "local1", "local2",
	"local3", "local4", "local5", "local6", "local7",
};

const char *
os_syslog_name(void)
{
	return "eventlog";
}

int
os_syslog_facility(const char *name)
{
	size_t i;

	if (name == NULL)
		return -1;
	for (i = 0; i < sizeof(syslog_facilities) /
	    sizeof(syslog_facilities[0]); i++)
		if (strcmp(name, syslog_facilities[i]) == 0)
			return (int)i;
	return -1;
}

void
os_syslog_open(const char *ident, int facility)
{
	wchar_t *w;

	(void)facility;
	os_syslog_close();
	if ((w = os__wpath(ident))) {
		syslog_source = RegisterEventSourceW(NULL, w);
		free(w);
	}
}

void
os_syslog_write(enum os_syslog_prio prio, const char *line)
{
	WORD type;
	wchar_t *w;
	int n;

	if (!syslog_source)
		return;
	type = prio >= OS_SYSLOG_ERR ? EVENTLOG_ERROR_TYPE :
	    prio == OS_SYSLOG_WARNING ? EVENTLOG_WARNING_TYPE :
	    EVENTLOG_INFORMATION_TYPE;
	n = MultiByteToWideChar(CP_UTF8, 0, line, -1, NULL, 0);
	if (n <= 0 || !(w = malloc((size_t)n * sizeof(*w))))
		return;
	MultiByteToWideChar(CP_UTF8, 0, line, -1, w, n);
	ReportEventW(syslog_source, type, 0, 0, NULL, 1, 0,
	    (const wchar_t **)&w, NULL);
	free(w);
}

void
os_syslog_close(void)
{
	if (syslog_source)
		DeregisterEventSource(syslog_source);
	syslog_source = NULL;
}
