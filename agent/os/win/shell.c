/* os/win/shell.c: shell.h for Windows: pxp-agent (1.15, command.cc) runs
 * `command run` through Windows PowerShell, as Bolt over WinRM does:
 * powershell.exe -NoProfile -NonInteractive -NoLogo -ExecutionPolicy
 * Bypass -Command <command>. Where Windows PowerShell is missing (Server
 * Core without it, Wine) cmd.exe /d /c <command> runs it instead; /d
 * keeps the registry's AutoRun commands out of every action. */
#include <stdio.h>

#include "os/shell.h"
#include "os/win/internal.h"

#define SHELL_POWERSHELL "WindowsPowerShell\\v1.0\\powershell.exe"

int
shell_command(const char *command, char *exe, size_t exelen,
    const char **args, int nargs)
{
	static const char *const ps_flags[] = { "-NoProfile",
	    "-NonInteractive", "-NoLogo", "-ExecutionPolicy", "Bypass",
	    "-Command" };
	int i, n = (int)(sizeof(ps_flags) / sizeof(ps_flags[0]));

	if (os__folder_path(OS__FOLDER_SYSTEM, SHELL_POWERSHELL, exe,
	    exelen) == 0 && os__file_exists(exe)) {
		if (nargs < n + 1)
			return -1;
		for (i = 0; i < n; i++)
			args[i] = ps_flags[i];
		args[n] = command;
		return n + 1;
	}
	if (nargs < 3 || os__folder_path(OS__FOLDER_SYSTEM, "cmd.exe", exe,
	    exelen) != 0)
		return -1;
	args[0] = "/d";
	args[1] = "/c";
	args[2] = command;
	return 3;
}
