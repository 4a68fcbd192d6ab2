/* proc.c: starts puppet the way pxp-agent's Ruby module does through
 * Puppet::Util::Execution: own session, stdin and output away from ours
 * (our stdout carries the result JSON), HOME/USER/LOGNAME reset so the
 * way the agent was started leaks nothing into the run, and Ruby told to
 * read UTF-8 under a C locale. Not what to run or what the outcome means
 * (run.c). Blocking waitpid is fine here: this module is its own
 * short-lived process, not the agent's event loop. An exec failure comes
 * back through a close-on-exec pipe, so "could not start" is never
 * confused with "ran and exited 127". */
#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <locale.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc.h"
#include "run.h"

extern char **environ;

static ssize_t
proc_read_retry(int fd, void *buf, size_t len)
{
	ssize_t n;

	do
		n = read(fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n;
}

/* Child side: only async-signal-safe calls until exec. */
static void
proc_child(char *const argv[], char *const envp[], int out_fd, int err_fd)
{
	int null_fd = open("/dev/null", O_RDWR);
	int e;

	if (null_fd < 0)
		goto fail;
	setsid();
	if (dup2(null_fd, STDIN_FILENO) < 0 ||
	    dup2(out_fd >= 0 ? out_fd : null_fd, STDOUT_FILENO) < 0 ||
	    dup2(null_fd, STDERR_FILENO) < 0)
		goto fail;
	signal(SIGPIPE, SIG_DFL);
	execve(argv[0], argv, envp);
fail:
	e = errno;
	(void)!write(err_fd, &e, sizeof(e));
	_exit(127);
}

int
proc_bin_check(const char *path)
{
	return access(path, X_OK);
}

const char *
proc_default_bin(void)
{
	return RUN_DEFAULT_PUPPET_BIN;
}

int
proc_run(char *const argv[], char *const envp[], char *out, size_t outcap,
         int *status)
{
	int errp[2] = { -1, -1 }, outp[2] = { -1, -1 };
	size_t used = 0;
	pid_t pid;
	int wstatus, child_errno = 0, rc = 0;
	ssize_t n;

	if (pipe2(errp, O_CLOEXEC) < 0)
		return -errno;
	if (out != NULL && pipe2(outp, O_CLOEXEC) < 0) {
		rc = -errno;
		goto cleanup;
	}
	pid = fork();
	if (pid < 0) {
		rc = -errno;
		goto cleanup;
	}
	if (pid == 0)
		proc_child(argv, envp, outp[1], errp[1]);
	close(errp[1]);
	errp[1] = -1;
	if (outp[1] >= 0) {
		close(outp[1]);
		outp[1] = -1;
	}
	/* Read stdout to EOF before reaping so a chatty child never blocks
	 * on a full pipe. */
	if (out != NULL) {
		char sink[4096];

		for (;;) {
			char *dst = used + 1 < outcap ? out + used : sink;
			size_t room = used + 1 < outcap ? outcap - 1 - used
			                                : sizeof(sink);
			n = proc_read_retry(outp[0], dst, room);
			if (n <= 0)
				break;
			if (dst != sink)
				used += (size_t)n;
		}
		out[used] = '\0';
	}
	n = proc_read_retry(errp[0], &child_errno, sizeof(child_errno));
	while (waitpid(pid, &wstatus, 0) < 0) {
		if (errno != EINTR) {
			rc = -errno;
			goto cleanup;
		}
	}
	if (n == (ssize_t)sizeof(child_errno)) {
		rc = child_errno > 0 ? -child_errno : -ENOEXEC;
		goto cleanup;
	}
	if (WIFEXITED(wstatus))
		*status = WEXITSTATUS(wstatus);
	else if (WIFSIGNALED(wstatus))
		*status = 128 + WTERMSIG(wstatus);
	else
		*status = 1;
cleanup:
	if (errp[0] >= 0)
		close(errp[0]);
	if (errp[1] >= 0)
		close(errp[1]);
	if (outp[0] >= 0)
		close(outp[0]);
	if (outp[1] >= 0)
		close(outp[1]);
	return rc;
}

/* Ruby picks its default external encoding from LC_CTYPE; US-ASCII there
 * (C/POSIX, or a locale that does not exist) makes Puppet choke on UTF-8. */
static int
proc_locale_is_ascii(void)
{
	const char *codeset;
	int ascii = 1;

	if (setlocale(LC_CTYPE, "") != NULL) {
		codeset = nl_langinfo(CODESET);
		ascii = codeset == NULL || strcmp(codeset, "ANSI_X3.4-1968") == 0 ||
		        strcmp(codeset, "US-ASCII") == 0 ||
		        strcmp(codeset, "ASCII") == 0;
	}
	setlocale(LC_CTYPE, "C");
	return ascii;
}

static int
proc_env_push_kv(struct puppet_argv *env, const char *k, const char *v)
{
	size_t len = strlen(k) + strlen(v) + 2;
	char *kv = malloc(len);
	int rc;

	if (kv == NULL)
		return -1;
	snprintf(kv, len, "%s=%s", k, v);
	rc = puppet_argv_push(env, kv);
	free(kv);
	return rc;
}

static int
proc_env_is(const char *entry, const char *name)
{
	size_t len = strlen(name);

	return strncmp(entry, name, len) == 0 && entry[len] == '=';
}

int
proc_env_build(struct puppet_argv *env)
{
	static const char *const reset[] = { "HOME", "USER", "LOGNAME",
		"RUBYOPT" };
	const char *rubyopt = getenv("RUBYOPT");
	char **e;
	size_t i;

	memset(env, 0, sizeof(*env));
	for (e = environ; e != NULL && *e != NULL; e++) {
		int skip = 0;
		for (i = 0; i < sizeof(reset) / sizeof(reset[0]); i++)
			skip |= proc_env_is(*e, reset[i]);
		if (!skip && puppet_argv_push(env, *e) < 0)
			return -1;
	}
	if (proc_locale_is_ascii()) {
		char buf[4096];

		if (rubyopt != NULL && *rubyopt != '\0' &&
		    strlen(rubyopt) < sizeof(buf) - 16) {
			snprintf(buf, sizeof(buf), "%s -EUTF-8", rubyopt);
			rubyopt = buf;
		} else {
			rubyopt = "-EUTF-8";
		}
		if (proc_env_push_kv(env, "RUBYOPT", rubyopt) < 0)
			return -1;
	} else if (rubyopt != NULL && proc_env_push_kv(env, "RUBYOPT", rubyopt) < 0) {
		return -1;
	}
	/* Root runs with no user variables at all; anyone else gets the
	 * ones of the account, or puppet cannot find its ~/.puppetlabs. */
	if (geteuid() != 0) {
		struct passwd *pw = getpwuid(geteuid());

		if (pw == NULL) {
			fprintf(stderr, "pxp-module-puppet: no password entry for "
			        "uid %u; puppet may not find its home\n",
			        (unsigned)geteuid());
			return 0;
		}
		if (proc_env_push_kv(env, "USER", pw->pw_name) < 0 ||
		    proc_env_push_kv(env, "LOGNAME", pw->pw_name) < 0 ||
		    proc_env_push_kv(env, "HOME", pw->pw_dir) < 0)
			return -1;
	}
	return 0;
}
