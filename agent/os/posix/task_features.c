/* os/posix/task_features.c: the task features of a POSIX machine and how a task
 * file runs here (task_features.h). Only stat() calls: cheap enough to probe
 * for every task request.
 * Invariant: a feature is claimed only when what it promises is there. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "os/task_features.h"

/* Puppet's all-in-one agent; Forge `init.rb` tasks name this Ruby in
 * their shebang. A distribution's own puppet package does not count. */
#define PUPPET_AIO_RUBY "/opt/puppetlabs/puppet/bin/ruby"

static int
task_features_exe_ok(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    access(path, X_OK) == 0;
}

/* Is an executable `name` somewhere on PATH? */
static int
task_features_on_path(const char *name)
{
	const char *path = getenv("PATH"), *p, *end;
	char buf[4096];
	size_t dlen, nlen = strlen(name);

	if (!path)
		return 0;
	for (p = path; ; p = end + 1) {
		end = strchr(p, ':');
		dlen = end ? (size_t)(end - p) : strlen(p);
		/* An empty entry means the current directory: not ours to
		 * trust for a feature claim. */
		if (dlen > 0 && dlen + nlen + 2 <= sizeof(buf)) {
			memcpy(buf, p, dlen);
			buf[dlen] = '/';
			memcpy(buf + dlen + 1, name, nlen + 1);
			if (task_features_exe_ok(buf))
				return 1;
		}
		if (!end)
			return 0;
	}
}

size_t
task_features_probe(const char **out, size_t max)
{
	size_t n = 0;

	if (n < max)
		out[n++] = "shell";
	/* pxp-agent claims puppet-agent everywhere, so it picks a task's
	 * init.rb on nodes without Puppet's Ruby and the task then fails
	 * (puppetserver-observed.md). Claim it only where that Ruby is. */
	if (n < max && task_features_exe_ok(PUPPET_AIO_RUBY))
		out[n++] = "puppet-agent";
	if (n < max && task_features_on_path("pwsh"))
		out[n++] = "powershell";
	return n;
}

int
task_features_command(const char *file, const char **exe,
    const char **args, int nargs)
{
	(void)args;
	(void)nargs;
	/* No interpreter by extension on POSIX: the file runs itself. */
	*exe = file;
	return 0;
}

int
task_features_powershell_input(const char **args, int n, int nargs)
{
	/* PowerShell on POSIX (pwsh) runs tasks through their shebang. */
	(void)args;
	(void)nargs;
	return n;
}
