/* exec_result.c: pxpd's reads and writes of a result dir's small files
 * on Windows, and who a pid is: the pid file pxpd writes right after
 * spawning a wrapper ("<pid>\n0 <creation time>\n"), whether the wrapper
 * a pid file names still runs, the exit code, the name of a wrapper's
 * Job Object. Not the text formats (exec/result.c) nor the spawning and
 * watching (exec.c).
 * Invariant: a pid counts as our wrapper only while it provably is (the
 * same creation time); what cannot be proven is not ours, and is never
 * adopted nor terminated. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "os/win/exec_win.h"
#include "base/util.h"

void
exec__job_name(long pid, unsigned long long ctime, wchar_t *out,
    size_t outlen)
{
	swprintf(out, outlen, L"pxpd-action-%ld-%llu", pid, ctime);
}

int
exec__proc_ctime(HANDLE h, unsigned long long *ctime)
{
	FILETIME c, e, k, u;

	if (!GetProcessTimes(h, &c, &e, &k, &u))
		return os__last_err();
	*ctime = ((unsigned long long)c.dwHighDateTime << 32) |
	    c.dwLowDateTime;
	return 0;
}

int
exec__file_small_read(const char *dir, const char *name, char *buf,
    size_t size)
{
	char *path = util_asprintf("%s\\%s", dir, name), *data = NULL;
	size_t len = 0;
	bool truncated = false;
	int rc;

	if (path == NULL)
		return -ENOMEM;
	if ((rc = os_read_file(path, false, size - 1, &data, &len,
	    &truncated)) == 0) {
		if (truncated)
			rc = -EINVAL;
		else
			memcpy(buf, data, len + 1);
	}
	free(data);
	free(path);
	return rc != 0 ? rc : (int)len;
}

bool
exec__result_file_exists(const char *dir, const char *name)
{
	char *path = util_asprintf("%s\\%s", dir, name);
	struct os_fileinfo info;
	bool yes = path != NULL && os_path_info(path, false, &info) == 0;

	free(path);
	return yes;
}

int
exec_result_exitcode(const char *result_dir, int *code)
{
	char buf[64];
	int n = exec__file_small_read(result_dir, EXEC__FILE_EXITCODE, buf,
	    sizeof(buf));

	if (n < 0)
		return n == -ENOENT ? -ENOENT : -EINVAL;
	return exec__exitcode_parse(buf, (size_t)n, code) == 0 ? 0 : -EINVAL;
}

int
exec__result_pid_read(const char *dir, struct exec__pid_file *pf)
{
	char buf[EXEC__PID_FILE_MAX + 1];
	int n = exec__file_small_read(dir, EXEC__FILE_PID, buf, sizeof(buf));

	if (n < 0)
		return n == -ENOENT ? -ENOENT : -EINVAL;
	return exec__pid_file_parse(buf, (size_t)n, pf) == 0 ? 0 : -EINVAL;
}

int
exec__result_pid_write(const char *dir, long pid, unsigned long long ctime)
{
	struct exec__pid_file pf;
	char text[EXEC__PID_FILE_MAX], *path;
	int n, rc;

	memset(&pf, 0, sizeof(pf));
	pf.pid = pid;
	pf.has_id = true;
	snprintf(pf.id.boot_id, sizeof(pf.id.boot_id), "%s",
	    EXEC__WIN_BOOT_ID);
	pf.id.start_time = ctime;
	if ((n = exec__pid_file_format(&pf, text, sizeof(text))) < 0)
		return -ENAMETOOLONG;
	if ((path = util_asprintf("%s\\%s", dir, EXEC__FILE_PID)) == NULL)
		return -ENOMEM;
	rc = os_write_atomic(path, text, (size_t)n, false);
	free(path);
	return rc;
}

HANDLE
exec__pid_file_open(const struct exec__pid_file *pf, DWORD access)
{
	unsigned long long ctime = 0;
	DWORD code;
	HANDLE h;

	if (!pf->has_id || strcmp(pf->id.boot_id, EXEC__WIN_BOOT_ID) != 0 ||
	    pf->pid <= 0)
		return NULL;
	h = OpenProcess(access | PROCESS_QUERY_LIMITED_INFORMATION, FALSE,
	    (DWORD)pf->pid);
	if (h == NULL)
		return NULL;
	if (exec__proc_ctime(h, &ctime) != 0 ||
	    ctime != pf->id.start_time ||
	    !GetExitCodeProcess(h, &code) || code != STILL_ACTIVE) {
		CloseHandle(h);
		return NULL;
	}
	return h;
}

int
exec__pid_file_live(const struct exec__pid_file *pf)
{
	HANDLE h = exec__pid_file_open(pf, 0);

	if (h == NULL)
		return 0;
	CloseHandle(h);
	return 1;
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
