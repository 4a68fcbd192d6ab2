/* cgroup.c (Linux): cgroup v2 per action. Owns finding the delegated
 * directory at pxpd's startup (and moving pxpd into its "agent" leaf),
 * and, in the wrapper, an action's cgroup: create with limits, signal,
 * kill, remove. Not when to kill (os/posix/wrapper.c) nor the fallback to
 * rlimits (os/posix/sandbox.c).
 * Invariant: nothing is created or written outside the delegated
 * directory the probe found, and a cgroup_action_create that fails
 * leaves no directory behind. Every file read is bounded. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "exec/cgroup.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

/* Big enough for cgroup.procs of a fork bomb the pids limit allowed. */
#define CG_READ_MAX     (256 * 1024)
#define CG_SMALL        4096
/* Rounds of "signal every pid listed" without cgroup.kill (a process may
 * fork between the read and the kill). */
#define CG_KILL_ROUNDS  50
/* rmdir waits this long for killed processes to leave. */
#define CG_RMDIR_TRIES  100
#define CG_RMDIR_WAIT_NS 20000000L

static const char *const cg_mounts[] = {
	"/sys/fs/cgroup",
	"/sys/fs/cgroup/unified",       /* hybrid (v1 + v2) systems */
};

static void
cg_sleep_ns(long ns)
{
	struct timespec ts = { 0, ns };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int
cg_path(char *out, size_t size, const char *dir, const char *name)
{
	int n = snprintf(out, size, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* dir/name into buf (NUL-ended, at most size - 1 bytes); bytes read or
 * negative errno. */
static ssize_t
cg_file_read(const char *dir, const char *name, char *buf, size_t size)
{
	char path[PATH_MAX];
	size_t n = 0;
	ssize_t r;
	int fd, rc;

	if ((rc = cg_path(path, sizeof(path), dir, name)) < 0)
		return rc;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	while (n < size - 1) {
		r = read(fd, buf + n, size - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			close(fd);
			return rc;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	return (ssize_t)n;
}

/* One write(2) of text: cgroup files take one value per write. */
static int
cg_file_write(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX];
	size_t len = strlen(text);
	ssize_t r;
	int fd, rc;

	if ((rc = cg_path(path, sizeof(path), dir, name)) < 0)
		return rc;
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) < 0)
		return -errno;
	do
		r = write(fd, text, len);
	while (r < 0 && errno == EINTR);
	rc = r < 0 ? -errno : (size_t)r != len ? -EIO : 0;
	close(fd);
	return rc;
}

/* The cgroup v2 mount point: 0, or -1 with why. */
static int
cg_mount_find(const char **mnt, char *why, size_t whylen)
{
	struct statfs sf;
	size_t i;

	for (i = 0; i < sizeof(cg_mounts) / sizeof(cg_mounts[0]); i++) {
		if (statfs(cg_mounts[i], &sf) == 0 &&
		    (unsigned long)sf.f_type == CGROUP2_SUPER_MAGIC) {
			*mnt = cg_mounts[i];
			return 0;
		}
	}
	snprintf(why, whylen, "no cgroup2 file system at %s", cg_mounts[0]);
	return -1;
}

/* The calling process's own cgroup directory into out. */
static int
cg_self_dir(const char *mnt, char *out, size_t size, char *rel,
    size_t relsize)
{
	char buf[CG_SMALL];
	ssize_t n;
	int fd, w;

	if ((fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	do
		n = read(fd, buf, sizeof(buf) - 1);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n <= 0 || cgroup_self_path_parse(buf, (size_t)n, rel,
	    relsize) < 0)
		return -ENOENT;
	w = snprintf(out, size, "%s%s", mnt, strcmp(rel, "/") == 0 ? "" :
	    rel);
	return w < 0 || (size_t)w >= size ? -ENAMETOOLONG : 0;
}

static void
cg_trim(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' '))
		s[--n] = '\0';
}

/* Is dir ours to manage? systemd (251+) marks a delegated cgroup with
 * the trusted.delegate (root) or user.delegate xattr; a cgroup owned by
 * our non-root uid was delegated by chown; the root of our cgroup
 * namespace is ours (containers). Writing into a cgroup systemd still
 * manages itself would fight systemd. */
static bool
cg_delegated(const char *dir, const char *rel)
{
	static const char *const attrs[] = { "trusted.delegate",
	    "user.delegate" };
	char val[8];
	struct stat st;
	ssize_t n;
	size_t i;

	if (strcmp(rel, "/") == 0)
		return true;
	for (i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		n = getxattr(dir, attrs[i], val, sizeof(val) - 1);
		if (n > 0) {
			val[n] = '\0';
			if (val[0] == '1')
				return true;
		}
	}
	return geteuid() != 0 && stat(dir, &st) == 0 &&
	    st.st_uid == geteuid();
}

static int
cg_self_move(const char *dir)
{
	char pid[32];

	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	return cg_file_write(dir, "cgroup.procs", pid);
}

/* Enables CGROUP_CONTROLLERS in base's cgroup.subtree_control, first
 * moving us from base into base/agent when we live in base itself. */
static int
cg_controllers_enable(const char *base, bool in_base, char *why,
    size_t whylen)
{
	char leaf[PATH_MAX], have[CG_SMALL], missing[128], cmd[160];
	const char *p;
	ssize_t n;
	size_t used = 0;
	int rc;

	if ((n = cg_file_read(base, "cgroup.subtree_control", have,
	    sizeof(have))) < 0) {
		snprintf(why, whylen, "cannot read %s/cgroup.subtree_control: "
		    "%s", base, strerror((int)-n));
		return -1;
	}
	cgroup_controllers_missing(have, CGROUP_CONTROLLERS, missing,
	    sizeof(missing));
	if (missing[0] == '\0')
		return 0;
	leaf[0] = '\0';
	if (in_base) {
		if ((rc = cg_path(leaf, sizeof(leaf), base,
		    CGROUP_AGENT_LEAF)) == 0 && mkdir(leaf, 0755) < 0 &&
		    errno != EEXIST)
			rc = -errno;
		if (rc == 0)
			rc = cg_self_move(leaf);
		if (rc < 0) {
			snprintf(why, whylen, "cannot move pxpd into %s/%s: %s",
			    base, CGROUP_AGENT_LEAF, strerror(-rc));
			return -1;
		}
	}
	cmd[0] = '\0';
	for (p = missing; *p != '\0'; p += strcspn(p, " ")) {
		p += strspn(p, " ");
		n = (ssize_t)strcspn(p, " ");
		used += (size_t)snprintf(cmd + used, sizeof(cmd) - used,
		    "%s+%.*s", used > 0 ? " " : "", (int)n, p);
		if (used >= sizeof(cmd))
			break;
	}
	if ((rc = cg_file_write(base, "cgroup.subtree_control", cmd)) < 0) {
		snprintf(why, whylen, "cannot enable %s in %s: %s%s", missing,
		    base, strerror(-rc), rc == -EBUSY ? " (other processes "
		    "live there: pxpd needs a cgroup of its own, e.g. "
		    "systemd Delegate=yes)" : "");
		/* Back where we were; the leaf goes if it is empty. */
		if (in_base && cg_self_move(base) == 0)
			rmdir(leaf);
		return -1;
	}
	return 0;
}

int
cgroup_probe(bool enabled, char **dir, char *why, size_t whylen)
{
	char own[PATH_MAX], base[PATH_MAX], rel[PATH_MAX], have[CG_SMALL];
	char missing[128], probe[PATH_MAX], name[64];
	const char *mnt, *slash;
	bool in_base;
	ssize_t n;
	int rc;

	*dir = NULL;
	if (!enabled) {
		snprintf(why, whylen, "action-cgroup is \"off\"");
		return -EPERM;
	}
	if (cg_mount_find(&mnt, why, whylen) < 0)
		return -ENOENT;
	if ((rc = cg_self_dir(mnt, own, sizeof(own), rel, sizeof(rel))) < 0) {
		snprintf(why, whylen, "no cgroup v2 path in /proc/self/cgroup");
		return rc;
	}
	/* Already in the leaf (DelegateSubgroup=agent, or moved by an
	 * earlier probe): the delegated directory is its parent. */
	slash = strrchr(rel, '/');
	in_base = !(slash != NULL && strcmp(slash + 1, CGROUP_AGENT_LEAF) ==
	    0);
	if (in_base)
		snprintf(base, sizeof(base), "%s", own);
	else {
		snprintf(base, sizeof(base), "%s", own);
		base[strlen(base) - strlen(CGROUP_AGENT_LEAF) - 1] = '\0';
		rel[slash - rel > 0 ? slash - rel : 1] = '\0';
	}
	if ((n = cg_file_read(base, "cgroup.controllers", have,
	    sizeof(have))) < 0) {
		snprintf(why, whylen, "cannot read %s/cgroup.controllers: %s",
		    base, strerror((int)-n));
		return (int)n;
	}
	cg_trim(have);
	cgroup_controllers_missing(have, CGROUP_CONTROLLERS, missing,
	    sizeof(missing));
	if (missing[0] != '\0') {
		snprintf(why, whylen, "cgroup v2 at %s lacks the %s "
		    "controller(s) (it has: %s)", base, missing,
		    have[0] != '\0' ? have : "none");
		return -ENOTSUP;
	}
	if (!cg_delegated(base, rel)) {
		snprintf(why, whylen, "%s is not delegated to pxpd (under "
		    "systemd: Delegate=yes)", base);
		return -EPERM;
	}
	if (access(base, W_OK) < 0) {
		snprintf(why, whylen, "%s is not writable: %s", base,
		    strerror(errno));
		return -EACCES;
	}
	if (cg_controllers_enable(base, in_base, why, whylen) < 0)
		return -EBUSY;
	/* Prove it: a test cgroup with the files the wrapper writes. */
	snprintf(name, sizeof(name), "pxpd-probe-%ld", (long)getpid());
	if (cg_path(probe, sizeof(probe), base, name) < 0)
		return -ENAMETOOLONG;
	rmdir(probe);
	if (mkdir(probe, 0755) < 0) {
		snprintf(why, whylen, "cannot create a cgroup in %s: %s", base,
		    strerror(errno));
		return -EACCES;
	}
	rc = cg_file_write(probe, "pids.max", "max");
	if (rc == 0)
		rc = cg_file_write(probe, "memory.max", "max");
	if (rc == 0)
		rc = cg_file_write(probe, "cpu.max", "max");
	rmdir(probe);
	if (rc < 0) {
		snprintf(why, whylen, "cannot set limits in a cgroup under %s: "
		    "%s", base, strerror(-rc));
		return rc;
	}
	if ((*dir = strdup(base)) == NULL) {
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	snprintf(why, whylen, "actions run in cgroups under %s", base);
	return 0;
}

/* ---- the wrapper's side ----------------------------------------------- */

int
cgroup_action_create(const char *base, long id,
    unsigned long long memory_max, long pids_max, long cpu_max,
    char **path)
{
	char dir[PATH_MAX], name[64], val[64];
	int rc = 0;

	*path = NULL;
	snprintf(name, sizeof(name), "pxpd-%ld-action", id);
	if ((rc = cg_path(dir, sizeof(dir), base, name)) < 0)
		return rc;
	/* A leftover of an earlier wrapper with our pid: empty by now, or
	 * mkdir says why not. */
	rmdir(dir);
	if (mkdir(dir, 0755) < 0)
		return -errno;
	if (memory_max > 0) {
		snprintf(val, sizeof(val), "%llu", memory_max);
		rc = cg_file_write(dir, "memory.max", val);
		/* Without it, the limit would only push memory into swap;
		 * absent when swap is not accounted. */
		if (rc == 0)
			(void)cg_file_write(dir, "memory.swap.max", "0");
	}
	if (rc == 0 && pids_max > 0) {
		snprintf(val, sizeof(val), "%ld", pids_max);
		rc = cg_file_write(dir, "pids.max", val);
	}
	if (rc == 0 && cpu_max > 0) {
		snprintf(val, sizeof(val), "%ld %ld",
		    cpu_max * (CGROUP_CPU_PERIOD / 100), CGROUP_CPU_PERIOD);
		rc = cg_file_write(dir, "cpu.max", val);
	}
	if (rc == 0 && (*path = strdup(dir)) == NULL)
		rc = -ENOMEM;
	if (rc < 0)
		rmdir(dir);
	return rc;
}

/* Signals every pid listed in cgroup.procs; how many were listed, or
 * negative errno. */
static int
cg_procs_signal(const char *path, int sig)
{
	char *buf = malloc(CG_READ_MAX), *p, *end;
	ssize_t n;
	long pid;
	int count = 0;

	if (buf == NULL)
		return -ENOMEM;
	if ((n = cg_file_read(path, "cgroup.procs", buf, CG_READ_MAX)) < 0) {
		free(buf);
		return (int)n;
	}
	for (p = buf; *p != '\0'; p = end) {
		errno = 0;
		pid = strtol(p, &end, 10);
		if (end == p)
			break;
		/* Never 0 or negative: that would be a process group. */
		if (errno == 0 && pid > 1 && pid <= INT_MAX) {
			kill((pid_t)pid, sig);
			count++;
		}
	}
	free(buf);
	return count;
}

int
cgroup_action_signal(const char *path, int sig)
{
	int i, rc;

	if (sig == SIGKILL && cg_file_write(path, "cgroup.kill", "1") == 0)
		return 0;
	for (i = 0; i < (sig == SIGKILL ? CG_KILL_ROUNDS : 1); i++) {
		if ((rc = cg_procs_signal(path, sig)) <= 0)
			return rc;
		if (sig == SIGKILL)
			cg_sleep_ns(CG_RMDIR_WAIT_NS / 4);
	}
	return 0;
}

int
cgroup_action_populated(const char *path)
{
	char buf[CG_SMALL], *p;
	ssize_t n = cg_file_read(path, "cgroup.events", buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	p = strstr(buf, "populated ");
	if (p == NULL)
		return -EINVAL;
	return p[strlen("populated ")] == '1' ? 1 : 0;
}

/* Moves every process of path into our own cgroup. */
static int
cg_procs_evict(const char *path)
{
	char own[PATH_MAX], rel[PATH_MAX], *buf, *p, *end, pid[32];
	const char *mnt;
	char why[64];
	ssize_t n;
	long v;
	int rc;

	if (cg_mount_find(&mnt, why, sizeof(why)) < 0)
		return -ENOENT;
	if ((rc = cg_self_dir(mnt, own, sizeof(own), rel, sizeof(rel))) < 0)
		return rc;
	if ((buf = malloc(CG_READ_MAX)) == NULL)
		return -ENOMEM;
	if ((n = cg_file_read(path, "cgroup.procs", buf, CG_READ_MAX)) < 0) {
		free(buf);
		return (int)n;
	}
	for (p = buf; *p != '\0'; p = end) {
		v = strtol(p, &end, 10);
		if (end == p)
			break;
		snprintf(pid, sizeof(pid), "%ld", v);
		(void)cg_file_write(own, "cgroup.procs", pid);
	}
	free(buf);
	return 0;
}

int
cgroup_action_remove(const char *path, bool evict)
{
	int i;

	for (i = 0; i < CG_RMDIR_TRIES; i++) {
		if (rmdir(path) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			return -errno;
		if (evict)
			(void)cg_procs_evict(path);
		cg_sleep_ns(CG_RMDIR_WAIT_NS);
	}
	return -EBUSY;
}
