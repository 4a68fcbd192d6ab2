/* exec_result.c: pxpd's reads and writes of a result dir's small files on
 * POSIX: the pid file it writes right after spawning a wrapper (with the
 * wrapper's identity), whether the wrapper a pid file names still runs,
 * and the exit code. Not the text formats (exec/result.c), the spawning
 * and watching (exec.c) nor /proc (os/linux/proc.c).
 * Invariant: a pid counts as our wrapper only while it provably is
 * (same boot, same start time); what cannot be proven is not ours, and
 * is never adopted nor signalled. These files are a few bytes on a
 * local disk: reading them inline costs the loop no more than a stat. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "os/os.h"
#include "os/posix/exec_posix.h"

bool
exec__pid_alive(long pid)
{
	if (pid <= 0 || pid > INT_MAX)
		return false;
	return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

ssize_t
exec__file_small_read(const char *dir, const char *name, char *buf,
    size_t size)
{
	char path[PATH_MAX], *data = NULL;
	size_t len = 0;
	bool truncated = false;
	int rc;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    sizeof(path))
		return -ENAMETOOLONG;
	if ((rc = os_read_file(path, false, size - 1, &data, &len,
	    &truncated)) == 0) {
		if (truncated)
			rc = -EINVAL;
		else
			memcpy(buf, data, len + 1);
	}
	free(data);
	return rc != 0 ? rc : (ssize_t)len;
}

bool
exec__result_file_exists(const char *dir, const char *name)
{
	char path[PATH_MAX];
	struct os_fileinfo info;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    sizeof(path))
		return false;
	return os_path_info(path, false, &info) == 0;
}

int
exec_result_exitcode(const char *result_dir, int *code)
{
	char buf[64];
	ssize_t n = exec__file_small_read(result_dir, EXEC__FILE_EXITCODE,
	    buf, sizeof(buf));

	if (n < 0)
		return n == -ENOENT ? -ENOENT : -EINVAL;
	return exec__exitcode_parse(buf, (size_t)n, code) == 0 ? 0 : -EINVAL;
}

int
exec__result_pid_read(const char *dir, struct exec__pid_file *pf)
{
	char buf[EXEC__PID_FILE_MAX + 1];
	ssize_t n = exec__file_small_read(dir, EXEC__FILE_PID, buf,
	    sizeof(buf));

	if (n < 0)
		return n == -ENOENT ? -ENOENT : -EINVAL;
	return exec__pid_file_parse(buf, (size_t)n, pf) == 0 ? 0 : -EINVAL;
}

int
exec__result_pid_write(const char *dir, long pid)
{
	struct exec__pid_file pf;
	char path[PATH_MAX], text[EXEC__PID_FILE_MAX];
	bool exited;
	int n, rc;

	memset(&pf, 0, sizeof(pf));
	pf.pid = pid;
	/* Our child is not reaped before its exit callback: /proc still
	 * shows it, even if it already ended. Without an identity (no
	 * /proc, or no boot id in a container) the pid goes alone, and a
	 * restart asks whether it is a wrapper. */
	rc = exec__proc_id_get(pid, &pf.id, &exited);
	pf.has_id = rc == 0;
	if ((n = exec__pid_file_format(&pf, text, sizeof(text))) < 0 ||
	    (size_t)snprintf(path, sizeof(path), "%s/%s", dir,
	    EXEC__FILE_PID) >= sizeof(path))
		return -ENAMETOOLONG;
	return os_write_atomic(path, text, (size_t)n, false);
}

int
exec__pid_file_live(const struct exec__pid_file *pf)
{
	struct exec__proc_id now;
	bool exited = false;
	int rc;

	if (!pf->has_id) {
		/* An older pxpd's file: a wrapper is the best we can tell. */
		rc = exec__proc_is_wrapper(pf->pid);
		return rc == -ENOTSUP ? exec__pid_alive(pf->pid) : rc == 1;
	}
	rc = exec__proc_id_get(pf->pid, &now, &exited);
	if (rc == -ENOTSUP)
		return exec__pid_alive(pf->pid);
	/* Another boot: the action died with the machine and the pid,
	 * whatever runs under it now, is a stranger's; so it is when the
	 * process started at another time. */
	return rc == 0 && !exited && strcmp(now.boot_id, pf->id.boot_id) == 0
	    && now.start_time == pf->id.start_time;
}

int
exec_result_alive(const char *result_dir, long *pid)
{
	struct exec__pid_file pf;
	int rc;

	if ((rc = exec__result_pid_read(result_dir, &pf)) != 0)
		return rc;
	if (pid != NULL)
		*pid = pf.pid;
	return exec__pid_file_live(&pf);
}
