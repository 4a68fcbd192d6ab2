/* spawn.c: the wrapper's start of an action: its argv and
 * executable path, the fork into a process group of its own with fresh
 * stdio, no other descriptor and umask 077, entering the sandbox
 * (sandbox.c prepared it: environment, ids, limits), and
 * reporting an exec failure back through a close-on-exec pipe. A
 * built-in action (place.c) runs in the same child instead of the exec. Not what
 * happens while it runs (wrapper.c).
 * Invariant: when exec__action_start returns 0 the action's own code is
 * running; on failure no child is left. Runs in the wrapper process
 * only, never in pxpd. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "os/posix/exec_posix.h"
#include "base/util.h"

void
exec__fds_close(int lo, int hi)
{
	long max;
	int fd;

	if (lo > hi)
		return;
#ifdef SYS_close_range
	if (syscall(SYS_close_range, (unsigned)lo, (unsigned)hi, 0) == 0)
		return;
#endif
	max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > 65536)
		max = 65536;
	for (fd = lo; fd <= hi && fd < max; fd++)
		close(fd);
}

/* execve does no PATH search; a bare name is looked up in the action's
 * PATH as a shell would. A relative path is made absolute first since
 * the action runs in another directory. Malloc'd. */
static char *
spawn_exe_resolve(const char *exe, char *const *envp)
{
	const char *path = "/usr/local/bin:/usr/bin:/bin", *p, *end;
	char cwd[PATH_MAX], dir[PATH_MAX], *cand;
	struct stat st;
	size_t i, dlen;

	if (exe[0] == '/')
		return strdup(exe);
	if (strchr(exe, '/') != NULL) {
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			return strdup(exe);
		return util_asprintf("%s/%s", cwd, exe);
	}
	for (i = 0; envp[i] != NULL; i++)
		if (strncmp(envp[i], "PATH=", 5) == 0)
			path = envp[i] + 5;
	for (p = path; *p != '\0'; p = *end != '\0' ? end + 1 : end) {
		end = strchr(p, ':');
		if (end == NULL)
			end = p + strlen(p);
		dlen = (size_t)(end - p);
		if (dlen == 0 || dlen >= sizeof(dir))
			continue;
		memcpy(dir, p, dlen);
		dir[dlen] = '\0';
		if ((cand = util_asprintf("%s/%s", dir, exe)) == NULL)
			return NULL;
		if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) &&
		    access(cand, X_OK) == 0)
			return cand;
		free(cand);
	}
	return strdup(exe);
}

static void
spawn_child_exec(const char *path, char *const *argv,
    const struct exec__sandbox *sb, const char *workdir, const int fds[3],
    int report)
{
	static const int sigs[] = { SIGPIPE, SIGTERM, SIGINT, SIGHUP,
	    SIGQUIT, SIGCHLD };
	struct exec__start_error se;
	sigset_t none;
	size_t i;
	ssize_t n;
	int fd;

	/* Own group: the wrapper must be able to kill the whole tree
	 * without killing itself. */
	setpgid(0, 0);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* What an action creates is its own alone (the 077, and
	 * what the wrapper itself runs with). */
	umask(077);
	for (fd = 0; fd < 3; fd++) {
		if (dup2(fds[fd], fd) < 0)
			_exit(EXEC_EXIT_NOT_STARTED);
	}
	exec__fds_close(3, report - 1);
	exec__fds_close(report + 1, INT_MAX);
	if (exec__sandbox_enter(sb, workdir, &se.stage) == 0) {
		/* A built-in action (path NULL) runs here, in the sandbox
		 * an executable would get; closing report says it started,
		 * as a successful exec would. */
		if (path == NULL) {
			close(report);
			_exit(exec__place_main());
		}
		se.stage = EXEC__STAGE_EXEC;
		execve(path, argv, sb->envp);
	}
	se.err = errno;
	do
		n = write(report, &se, sizeof(se));
	while (n < 0 && errno == EINTR);
	_exit(EXEC_EXIT_NOT_STARTED);
}

int
exec__action_start(const struct exec__job *job,
    const struct exec__sandbox *sb, const char *workdir, const int fds[3],
    long *pid, struct exec__start_error *se)
{
	char **argv = NULL, *path = NULL;
	int report[2] = { -1, -1 }, rc = -1;
	size_t n = 0, i;
	pid_t child;
	ssize_t r;

	memset(se, 0, sizeof(*se));
	se->stage = EXEC__STAGE_EXEC;
	while (job->args[n] != NULL)
		n++;
	if ((argv = calloc(n + 2, sizeof(*argv))) == NULL ||
	    (job->builtin == EXEC_BUILTIN_NONE &&
	    (path = spawn_exe_resolve(job->executable, sb->envp)) == NULL)) {
		se->err = ENOMEM;
		goto cleanup;
	}
	argv[0] = job->executable;
	for (i = 0; i < n; i++)
		argv[i + 1] = job->args[i];
	if (pipe2(report, O_CLOEXEC) < 0) {
		se->err = errno;
		goto cleanup;
	}
	if ((child = fork()) < 0) {
		se->err = errno;
		goto cleanup;
	}
	if (child == 0)
		spawn_child_exec(path, argv, sb, workdir, fds, report[1]);
	/* Both sides set the group so neither can race the other. */
	setpgid(child, child);
	close(report[1]);
	report[1] = -1;
	do
		r = read(report[0], se, sizeof(*se));
	while (r < 0 && errno == EINTR);
	if (r == (ssize_t)sizeof(*se)) {
		while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
			;
		goto cleanup;
	}
	*pid = child;
	rc = 0;
cleanup:
	if (report[0] >= 0)
		close(report[0]);
	if (report[1] >= 0)
		close(report[1]);
	free(argv);
	free(path);
	return rc;
}

void
exec__start_error_text(const struct exec__job *job, const char *workdir,
    const struct exec__start_error *se, char *buf, size_t size)
{
	const char *e = strerror(se->err);

	switch (se->stage) {
	case EXEC__STAGE_CHDIR:
		snprintf(buf, size, "Could not change to working directory "
		    "'%s': %s", workdir, e);
		break;
	case EXEC__STAGE_CGROUP:
		snprintf(buf, size, "pxpd wrapper: cannot move the action into "
		    "its cgroup: %s", e);
		break;
	case EXEC__STAGE_IDS:
		snprintf(buf, size, "pxpd wrapper: cannot switch to the action's "
		    "user/group (%s%s%s): %s", job->user != NULL ? job->user :
		    "", job->user != NULL && job->group != NULL ? ":" : "",
		    job->group != NULL ? job->group : "", e);
		break;
	case EXEC__STAGE_RLIMIT:
		snprintf(buf, size, "pxpd wrapper: cannot set the action's "
		    "resource limits: %s", e);
		break;
	case EXEC__STAGE_NNP:
		snprintf(buf, size, "pxpd wrapper: cannot set no_new_privs "
		    "(action-no-new-privs): %s", e);
		break;
	default:
		snprintf(buf, size, "Executable '%s' failed to run: %s",
		    job->executable, e);
	}
}
