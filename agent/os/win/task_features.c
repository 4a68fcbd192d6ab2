/* os/win/task_features.c: the task features of a Windows machine and how
 * a task file starts here (task_features.h), after pxp-agent 1.15
 * (task.cc, bolt_helpers.hpp): Windows has no shebang or exec bit, so the
 * interpreter comes from the extension:
 *   .ps1       powershell.exe -NoProfile -NonInteractive -NoLogo
 *              -ExecutionPolicy Bypass -File <file>
 *   .rb        Puppet's ruby.exe (pxp-agent: "ruby" from PATH) <file>
 *   .pp        puppet apply <file> (puppet is a .bat: through cmd.exe)
 *   .bat .cmd  cmd.exe /d /c <file>
 *   else       the file itself (.exe)
 * Invariant: a feature is claimed only when what it promises is there
 * (pxp-agent claims puppet-agent and powershell on every Windows node). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "os/task_features.h"
#include "os/win/internal.h"

#define TF_POWERSHELL "WindowsPowerShell\\v1.0\\powershell.exe"
/* Puppet's all-in-one agent (Puppet 6 and later). */
#define TF_PUPPET_RUBY "Puppet Labs\\Puppet\\puppet\\bin\\ruby.exe"
#define TF_PUPPET_BAT "Puppet Labs\\Puppet\\bin\\puppet.bat"

/* Static: the returned exe must outlive the call. Filled from the loop's
 * thread only. */
static char tf_powershell[MAX_PATH * 3], tf_cmd[MAX_PATH * 3],
    tf_ruby[MAX_PATH * 3], tf_puppet[MAX_PATH * 3], tf_shim[MAX_PATH * 3];

static bool
tf_locate(enum os__folder f, const char *rel, char *buf, size_t len)
{
	return os__folder_path(f, rel, buf, len) == 0 && os__file_exists(buf);
}

size_t
task_features_probe(const char **out, size_t max)
{
	size_t n = 0;

	/* No "shell": a Windows node runs no POSIX shell scripts. */
	if (n < max && tf_locate(OS__FOLDER_SYSTEM, TF_POWERSHELL,
	    tf_powershell, sizeof(tf_powershell)))
		out[n++] = "powershell";
	if (n < max && tf_locate(OS__FOLDER_PROGRAMFILES, TF_PUPPET_RUBY,
	    tf_ruby, sizeof(tf_ruby)))
		out[n++] = "puppet-agent";
	return n;
}

/* Does file end with ext (".ps1"), in any case? */
static bool
tf_ext(const char *file, const char *ext)
{
	size_t fl = strlen(file), el = strlen(ext), i;
	char c;

	if (fl <= el)
		return false;
	for (i = 0; i < el; i++) {
		c = file[fl - el + i];
		if ((c >= 'A' && c <= 'Z' ? c + 32 : c) != ext[i])
			return false;
	}
	return true;
}

int
task_features_command(const char *file, const char **exe,
    const char **args, int nargs)
{
	static const char *const ps_flags[] = { "-NoProfile",
	    "-NonInteractive", "-NoLogo", "-ExecutionPolicy", "Bypass",
	    "-File" };
	int i, n = 0;

	*exe = file;
	if (tf_ext(file, ".ps1")) {
		if (nargs < 7)
			return -1;
		if (!tf_locate(OS__FOLDER_SYSTEM, TF_POWERSHELL,
		    tf_powershell, sizeof(tf_powershell)))
			strcpy(tf_powershell, "powershell.exe");
		*exe = tf_powershell;
		for (i = 0; i < 6; i++)
			args[n++] = ps_flags[i];
		args[n++] = file;
	} else if (tf_ext(file, ".rb")) {
		if (nargs < 1)
			return -1;
		if (!tf_locate(OS__FOLDER_PROGRAMFILES, TF_PUPPET_RUBY, tf_ruby,
		    sizeof(tf_ruby)))
			strcpy(tf_ruby, "ruby.exe");
		*exe = tf_ruby;
		args[n++] = file;
	} else if (tf_ext(file, ".pp") || tf_ext(file, ".bat") ||
	    tf_ext(file, ".cmd")) {
		if (nargs < 5 || os__folder_path(OS__FOLDER_SYSTEM, "cmd.exe",
		    tf_cmd, sizeof(tf_cmd)) != 0)
			return -1;
		*exe = tf_cmd;
		args[n++] = "/d";
		args[n++] = "/c";
		if (tf_ext(file, ".pp")) {
			if (!tf_locate(OS__FOLDER_PROGRAMFILES, TF_PUPPET_BAT,
			    tf_puppet, sizeof(tf_puppet)))
				strcpy(tf_puppet, "puppet");
			args[n++] = tf_puppet;
			args[n++] = "apply";
		}
		args[n++] = file;
	}
	return n;
}

/* <directory of pxpd.exe>\PowershellShim.ps1 (the MSI installs it). */
static bool
tf_shim_locate(void)
{
	wchar_t w[MAX_PATH + 1];
	char *exe, *sep;
	DWORD n = GetModuleFileNameW(NULL, w, MAX_PATH);
	int len;

	if (n == 0 || n >= MAX_PATH)
		return false;
	w[n] = L'\0';
	if (!(exe = os__utf8(w)))
		return false;
	if ((sep = strrchr(exe, '\\')))
		*sep = '\0';
	len = snprintf(tf_shim, sizeof(tf_shim), "%s\\%s", exe,
	    TASK_FEATURES_PS_SHIM);
	free(exe);
	return len > 0 && (size_t)len < sizeof(tf_shim) &&
	    os__file_exists(tf_shim);
}

int
task_features_powershell_input(const char **args, int n, int nargs)
{
	if (n < 2 || strcmp(args[n - 2], "-File") != 0 || !tf_shim_locate())
		return n;
	if (n + 1 > nargs)
		return -1;
	/* ... -File <shim> <task file> */
	args[n] = args[n - 1];
	args[n - 1] = tf_shim;
	return n + 1;
}
