/* defaults.c: os.h's default locations on POSIX: pxpd's own paths for
 * root, and under ~/.pxpd/ for another user (the modules dir has no
 * per-user form). Not how a key is read or checked (config/). */
#include <stdio.h>

#include "os/os.h"

static const struct {
	const char *root;
	const char *user;       /* under <home>/.pxpd/; NULL: root's */
} defaults[] = {
	[OS_DEFAULT_NONE] = { "", NULL },
	[OS_DEFAULT_CONFIG_FILE] = { "/etc/pxpd/pxpd.conf", "etc/pxpd.conf" },
	[OS_DEFAULT_LOGFILE] = { "/var/log/pxpd/pxpd.log", "var/log/pxpd.log" },
	[OS_DEFAULT_PCP_ACCESS_LOG] = { "/var/log/pxpd/pcp-access.log",
	    "var/log/pcp-access.log" },
	[OS_DEFAULT_MODULES_DIR] = { "/usr/lib/pxpd/modules", NULL },
	[OS_DEFAULT_MODULES_CONFIG_DIR] = { "/etc/pxpd/modules",
	    "etc/modules" },
	[OS_DEFAULT_TASK_CACHE_DIR] = { "/var/lib/pxpd/tasks-cache",
	    "tasks-cache" },
	[OS_DEFAULT_SPOOL_DIR] = { "/var/lib/pxpd/spool", "spool" },
	[OS_DEFAULT_PIDFILE] = { "/run/pxpd/pxpd.pid", "run/pxpd.pid" },
};

int
os_default_path(enum os_default_path which, bool privileged,
    const char *home, char *out, size_t outlen)
{
	int n;

	if ((unsigned)which >= sizeof(defaults) / sizeof(defaults[0]))
		return -1;
	if (!privileged && home && defaults[which].user)
		n = snprintf(out, outlen, "%s/.pxpd/%s", home,
		    defaults[which].user);
	else
		n = snprintf(out, outlen, "%s", defaults[which].root);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}
