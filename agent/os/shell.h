/* shell.h: how a `command run` string is run on this OS (modules.md §8):
 * POSIX uses the login shell of the agent's user with -c; Windows uses
 * powershell.exe -Command as pxp-agent does, cmd.exe /c without it
 * (os/win/shell.c). */
#ifndef PXPD_SHELL_H
#define PXPD_SHELL_H

#include <stddef.h>

/* Arguments shell_command may fill (Windows PowerShell's flags). */
#define SHELL_ARGS_MAX 8

/* Fills exe (the interpreter) and up to nargs arguments (borrowing
 * command) so that exe + args runs the command. Returns the number of
 * arguments, or -1 when they don't fit. */
int shell_command(const char *command, char *exe, size_t exelen,
    const char **args, int nargs);

#endif
