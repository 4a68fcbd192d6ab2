/* defaults.c: os.h's default locations on Windows, pxp-agent's (1.15,
 * configuration.cc): for an administrator or LocalSystem under
 * %ProgramData%\PuppetLabs\pxp-agent, for another user under
 * %USERPROFILE%\.puppetlabs, so a pxp-agent.conf of a Windows node loads
 * unchanged. pxp-agent has no pidfile on Windows (a named mutex); pxpd's
 * sits with the logs, under var\run. The modules dir is <exe dir>\modules
 * (pxp-agent: three levels up from its exe, in Puppet's own tree). Not how
 * a key is read or checked (config/). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "os/win/internal.h"

static const struct {
	const char *sys;        /* under %ProgramData%\PuppetLabs\pxp-agent */
	const char *user;       /* under <home>\.puppetlabs */
} defaults[] = {
	[OS_DEFAULT_CONFIG_FILE] = { "etc\\pxp-agent.conf",
	    "etc\\pxp-agent\\pxp-agent.conf" },
	[OS_DEFAULT_LOGFILE] = { "var\\log\\pxp-agent.log",
	    "var\\log\\pxp-agent.log" },
	[OS_DEFAULT_PCP_ACCESS_LOG] = { "var\\log\\pcp-access.log",
	    "var\\log\\pcp-access.log" },
	[OS_DEFAULT_MODULES_CONFIG_DIR] = { "etc\\modules",
	    "etc\\pxp-agent\\modules" },
	[OS_DEFAULT_TASK_CACHE_DIR] = { "tasks-cache",
	    "opt\\pxp-agent\\tasks-cache" },
	[OS_DEFAULT_SPOOL_DIR] = { "var\\spool", "opt\\pxp-agent\\spool" },
	[OS_DEFAULT_PIDFILE] = { "var\\run\\pxp-agent.pid",
	    "var\\run\\pxp-agent.pid" },
};

/* <directory of pxpd.exe>\modules */
static int
defaults__modules_dir(char *out, size_t outlen)
{
	wchar_t w[MAX_PATH + 1];
	char *exe, *sep;
	DWORD n;
	int len;

	n = GetModuleFileNameW(NULL, w, MAX_PATH);
	if (n == 0 || n >= MAX_PATH)
		return -1;
	w[n] = L'\0';
	if (!(exe = os__utf8(w)))
		return -1;
	if ((sep = strrchr(exe, '\\')))
		*sep = '\0';
	len = snprintf(out, outlen, "%s\\modules", exe);
	free(exe);
	return len < 0 || (size_t)len >= outlen ? -1 : 0;
}

int
os_default_path(enum os_default_path which, bool privileged,
    const char *home, char *out, size_t outlen)
{
	char base[MAX_PATH * 3];
	int n;

	if (which == OS_DEFAULT_NONE) {
		if (outlen == 0)
			return -1;
		*out = '\0';
		return 0;
	}
	if (which == OS_DEFAULT_MODULES_DIR)
		return defaults__modules_dir(out, outlen);
	if ((unsigned)which >= sizeof(defaults) / sizeof(defaults[0]) ||
	    !defaults[which].sys)
		return -1;
	if (!privileged && home) {
		n = snprintf(out, outlen, "%s\\.puppetlabs\\%s", home,
		    defaults[which].user);
		return n < 0 || (size_t)n >= outlen ? -1 : 0;
	}
	if (os__folder_path(OS__FOLDER_PROGRAMDATA, "", base, sizeof(base)))
		return -1;
	n = snprintf(out, outlen, "%s\\PuppetLabs\\pxp-agent\\%s", base,
	    defaults[which].sys);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}
