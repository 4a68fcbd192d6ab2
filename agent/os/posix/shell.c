/* os/posix/shell.c: shell.h for POSIX: `<login shell> -c <command>`, the
 * login shell read from the password database (as pxp-agent does). */
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "os/shell.h"

int
shell_command(const char *command, char *exe, size_t exelen,
    const char **args, int nargs)
{
	struct passwd pw, *res = NULL;
	char buf[4096];

	if (nargs < 2)
		return -1;
	if (getpwuid_r(getuid(), &pw, buf, sizeof(buf), &res) == 0 && res &&
	    res->pw_shell && *res->pw_shell && access(res->pw_shell, X_OK) == 0)
		snprintf(exe, exelen, "%s", res->pw_shell);
	else
		snprintf(exe, exelen, "/bin/sh");
	args[0] = "-c";
	args[1] = command;
	return 2;
}
