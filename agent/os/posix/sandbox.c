/* sandbox.c: the sandbox of one action, in the wrapper.
 * Owns: the action's environment (an allow-list of the wrapper's own
 * plus the job's entries), the run-as user and group, the action's
 * cgroup or, without one, its rlimits, and PR_SET_NO_NEW_PRIVS. Not the
 * fork, stdio and process group (spawn.c) nor the cgroup
 * files themselves (os/linux/cgroup.c).
 * Invariant: exec__sandbox_prepare decides everything (names resolved,
 * cgroup made) before the fork; the child only applies it, in an order
 * where each step still has the rights it needs: cgroup while root,
 * then the ids, then the limits and no_new_privs the action keeps. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "exec/cgroup.h"
#include "os/posix/exec_posix.h"

extern char **environ;

/* The environment an action gets from the wrapper's (that is, pxpd's)
 * own; everything else pxpd was started with stays out, so a secret in
 * the agent's environment never reaches a task. Also every LC_*. The
 * job's entries (PT_* of tasks and the like) come on top. Documented in
 * README "Sandbox". */
static const char *const sandbox_env_allowed[] = {
	"PATH", "LANG", "TZ", "HOME", "USER", "LOGNAME", "SHELL", "TMPDIR",
	/* tasks and Puppet reach the network through these */
	"http_proxy", "https_proxy", "no_proxy",
	"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY",
};
/* When the agent has no PATH (some init systems start it without). */
#define SANDBOX_PATH_DEFAULT \
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static size_t
sandbox_env_name_len(const char *entry)
{
	const char *eq = strchr(entry, '=');

	return eq != NULL ? (size_t)(eq - entry) : strlen(entry);
}

static bool
sandbox_env_is(const char *entry, const char *name)
{
	size_t n = strlen(name);

	return strncmp(entry, name, n) == 0 && entry[n] == '=';
}

/* Passes the allow-list? The run-as user's own HOME, USER and LOGNAME
 * replace the agent's. */
static bool
sandbox_env_allowed_entry(const char *entry, bool own_identity)
{
	size_t i, n = sandbox_env_name_len(entry);

	if (entry[n] != '=')
		return false;
	if (n > 3 && strncmp(entry, "LC_", 3) == 0)
		return true;
	if (own_identity && (sandbox_env_is(entry, "HOME") ||
	    sandbox_env_is(entry, "USER") || sandbox_env_is(entry, "LOGNAME")))
		return false;
	for (i = 0; i < sizeof(sandbox_env_allowed) /
	    sizeof(sandbox_env_allowed[0]); i++) {
		if (sandbox_env_is(entry, sandbox_env_allowed[i]))
			return true;
	}
	return false;
}

/* Appends entry, or replaces the one of the same name; takes e. */
static int
sandbox_env_take(char **envp, size_t *n, char *e)
{
	size_t i, klen;

	if (e == NULL)
		return -1;
	klen = sandbox_env_name_len(e);
	for (i = 0; i < *n; i++) {
		if (strncmp(envp[i], e, klen + 1) == 0) {
			free(envp[i]);
			envp[i] = e;
			return 0;
		}
	}
	envp[(*n)++] = e;
	return 0;
}

static int
sandbox_env_put(char **envp, size_t *n, const char *entry)
{
	return sandbox_env_take(envp, n, strdup(entry));
}

static int
sandbox_env_set(char **envp, size_t *n, const char *name, const char *value)
{
	size_t len = strlen(name) + strlen(value) + 2;
	char *e = malloc(len);

	if (e != NULL)
		snprintf(e, len, "%s=%s", name, value);
	return sandbox_env_take(envp, n, e);
}

/* home and user: the run-as user's, or NULL to keep the agent's. */
static char **
sandbox_env_build(const struct exec__job *job, const char *home,
    const char *user)
{
	size_t n_base = 0, n_extra = 0, n = 0, i;
	bool path = false;
	char **envp;

	while (environ != NULL && environ[n_base] != NULL)
		n_base++;
	while (job->env[n_extra] != NULL)
		n_extra++;
	/* + PATH, HOME, USER, LOGNAME, NULL */
	if ((envp = calloc(n_base + n_extra + 5, sizeof(*envp))) == NULL)
		return NULL;
	for (i = 0; i < n_base; i++) {
		if (!sandbox_env_allowed_entry(environ[i], user != NULL))
			continue;
		path = path || sandbox_env_is(environ[i], "PATH");
		if (sandbox_env_put(envp, &n, environ[i]) < 0)
			goto fail;
	}
	if (!path && sandbox_env_put(envp, &n, SANDBOX_PATH_DEFAULT) < 0)
		goto fail;
	if (user != NULL && (sandbox_env_set(envp, &n, "HOME", home) < 0 ||
	    sandbox_env_set(envp, &n, "USER", user) < 0 ||
	    sandbox_env_set(envp, &n, "LOGNAME", user) < 0))
		goto fail;
	for (i = 0; i < n_extra; i++) {
		if (sandbox_env_put(envp, &n, job->env[i]) < 0)
			goto fail;
	}
	return envp;
fail:
	for (i = 0; i < n; i++)
		free(envp[i]);
	free(envp);
	return NULL;
}

/* A name, or a number standing for an id. */
static bool
sandbox_id_parse(const char *s, unsigned long *id)
{
	char *end;

	if (s[0] < '0' || s[0] > '9')
		return false;
	errno = 0;
	*id = strtoul(s, &end, 10);
	return errno == 0 && *end == '\0' && *id < (unsigned long)INT_MAX;
}

static const char *
sandbox_lookup_error(void)
{
	/* getpwnam and friends leave one of these (or nothing) for "not
	 * there"; anything else is a real failure (NSS down, ...). */
	if (errno == 0 || errno == ENOENT || errno == ESRCH ||
	    errno == EBADF || errno == EPERM)
		return NULL;
	return strerror(errno);
}

int
exec__sandbox_prepare(const struct exec__job *job, long wrapper_pid,
    struct exec__sandbox *sb, char *err, size_t errlen)
{
	struct passwd *pw = NULL;
	struct group *gr;
	unsigned long id;
	const char *why;
	char *home = NULL;
	int rc;

	memset(sb, 0, sizeof(*sb));
	if (job->user != NULL) {
		errno = 0;
		pw = sandbox_id_parse(job->user, &id) ? getpwuid((uid_t)id) :
		    getpwnam(job->user);
		if (pw == NULL) {
			why = sandbox_lookup_error();
			snprintf(err, errlen, "pxpd wrapper: cannot run the action "
			    "as user '%s': %s", job->user, why != NULL ? why :
			    "no such user");
			return -1;
		}
		sb->set_ids = sb->set_user = true;
		sb->uid = (unsigned long)pw->pw_uid;
		sb->gid = (unsigned long)pw->pw_gid;
		if ((sb->user = strdup(pw->pw_name)) == NULL ||
		    (home = strdup(pw->pw_dir)) == NULL)
			goto nomem;
	}
	if (job->group != NULL) {
		errno = 0;
		gr = sandbox_id_parse(job->group, &id) ? getgrgid((gid_t)id) :
		    getgrnam(job->group);
		if (gr == NULL) {
			why = sandbox_lookup_error();
			snprintf(err, errlen, "pxpd wrapper: cannot run the action "
			    "as group '%s': %s", job->group, why != NULL ? why :
			    "no such group");
			free(home);
			return -1;
		}
		sb->set_ids = true;
		sb->gid = (unsigned long)gr->gr_gid;
	}
	/* Already who we are to become (a non-root agent naming itself):
	 * nothing to switch, and initgroups would be refused. */
	if (sb->set_user && sb->uid == (unsigned long)geteuid() &&
	    sb->uid != 0 && sb->gid == (unsigned long)getegid())
		sb->set_ids = sb->set_user = false;
	sb->envp = sandbox_env_build(job, home, home != NULL ? sb->user :
	    NULL);
	free(home);
	home = NULL;
	if (sb->envp == NULL)
		goto nomem;
	sb->memory_max = job->memory_max;
	sb->pids_max = job->pids_max;
	sb->no_new_privs = job->no_new_privs;
	sb->rlimits = true;
	if (job->cgroup_dir != NULL) {
		rc = cgroup_action_create(job->cgroup_dir, wrapper_pid,
		    job->memory_max, job->pids_max, job->cpu_max, &sb->cgroup);
		/* The probe found the subtree usable; if this one fails,
		 * rlimits still bound the action. */
		if (rc == 0) {
			sb->cgroup_procs = malloc(strlen(sb->cgroup) + 16);
			if (sb->cgroup_procs == NULL)
				goto nomem;
			snprintf(sb->cgroup_procs, strlen(sb->cgroup) + 16,
			    "%s/cgroup.procs", sb->cgroup);
			sb->rlimits = false;
		}
	}
	return 0;
nomem:
	free(home);
	snprintf(err, errlen, "pxpd wrapper: out of memory");
	return -1;
}

int
exec__sandbox_workdir_own(const struct exec__sandbox *sb,
    const char *workdir)
{
	if (!sb->set_ids)
		return 0;
	return chown(workdir, sb->set_user ? (uid_t)sb->uid : (uid_t)-1,
	    (gid_t)sb->gid);
}

static int
sandbox_rlimit_set(int resource, unsigned long long v)
{
	struct rlimit rl;

	rl.rlim_cur = rl.rlim_max = (rlim_t)v;
	return setrlimit(resource, &rl);
}

int
exec__sandbox_enter(const struct exec__sandbox *sb, const char *workdir,
    int *stage)
{
	gid_t gid = (gid_t)sb->gid;
	ssize_t n;
	int fd;

	*stage = EXEC__STAGE_CGROUP;
	if (sb->cgroup_procs != NULL) {
		/* "0": the writer itself; children follow it there. */
		if ((fd = open(sb->cgroup_procs, O_WRONLY | O_CLOEXEC)) < 0)
			return -1;
		do
			n = write(fd, "0", 1);
		while (n < 0 && errno == EINTR);
		close(fd);
		if (n != 1)
			return -1;
	}
	*stage = EXEC__STAGE_IDS;
	if (sb->set_ids) {
		if (sb->set_user ? initgroups(sb->user, gid) < 0 :
		    setgroups(1, &gid) < 0)
			return -1;
		if (setgid(gid) < 0)
			return -1;
		if (sb->set_user && setuid((uid_t)sb->uid) < 0)
			return -1;
		/* A dropped root must stay dropped. */
		if (sb->set_user && sb->uid != 0 && setuid(0) == 0) {
			errno = EPERM;
			return -1;
		}
	}
	*stage = EXEC__STAGE_CHDIR;
	if (chdir(workdir) < 0)
		return -1;
	*stage = EXEC__STAGE_RLIMIT;
	/* After the ids: lowering a limit needs no privilege, and
	 * RLIMIT_NPROC counts the processes of the user we now are (root
	 * is exempt from it). RLIMIT_CPU counts seconds, not a share: the
	 * CPU limit exists with cgroups only. */
	if (sb->rlimits && sb->memory_max > 0 &&
	    sandbox_rlimit_set(RLIMIT_AS, sb->memory_max) < 0)
		return -1;
	if (sb->rlimits && sb->pids_max > 0 &&
	    sandbox_rlimit_set(RLIMIT_NPROC, (unsigned long long)sb->pids_max)
	    < 0)
		return -1;
	*stage = EXEC__STAGE_NNP;
#ifdef PR_SET_NO_NEW_PRIVS
	if (sb->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
#endif
	return 0;
}

void
exec__sandbox_signal(const struct exec__sandbox *sb, int sig)
{
	if (sb->cgroup != NULL)
		(void)cgroup_action_signal(sb->cgroup, sig);
}

bool
exec__sandbox_populated(const struct exec__sandbox *sb)
{
	return sb->cgroup != NULL && cgroup_action_populated(sb->cgroup) == 1;
}

void
exec__sandbox_free(struct exec__sandbox *sb, bool evict)
{
	size_t i;

	if (sb == NULL)
		return;
	if (sb->cgroup != NULL)
		(void)cgroup_action_remove(sb->cgroup, evict);
	for (i = 0; sb->envp != NULL && sb->envp[i] != NULL; i++)
		free(sb->envp[i]);
	free(sb->envp);
	free(sb->user);
	free(sb->cgroup);
	free(sb->cgroup_procs);
	memset(sb, 0, sizeof(*sb));
}
