/* proc.c (Linux): what proves a pid is still the process it was, from
 * /proc (the boot id, field 22 of /proc/<pid>/stat, the command line of
 * a wrapper an older pxpd recorded without them), and pidfds, which stay
 * bound to one process however its pid is reused. Not what to make of
 * them (os/posix/exec_result.c) nor the text formats (exec/result.c).
 * Every read is bounded (exec__file_small_read). The kernel may lack
 * pidfd_open (before 5.3, or a sandbox such as gVisor that leaves it
 * out): -ENOSYS, and callers fall back to checking the identity right
 * before they signal. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "os/posix/exec_posix.h"

#define PROC_STAT_MAX    4096
#define PROC_CMDLINE_MAX (4096 + 64)

static int
proc_boot_id(char *out, size_t size)
{
	char buf[EXEC__BOOT_ID_MAX + 8];
	ssize_t n = exec__file_small_read("/proc/sys/kernel/random", "boot_id",
	    buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	if (n == 0 || (size_t)n >= size)
		return -EINVAL;
	memcpy(out, buf, (size_t)n + 1);
	return 0;
}

static bool
proc_pid_ok(long pid)
{
	return pid > 1 && pid <= INT_MAX;
}

int
exec__proc_id_get(long pid, struct exec__proc_id *id, bool *exited)
{
	char dir[64], buf[PROC_STAT_MAX], state;
	ssize_t n;
	int rc;

	if (!proc_pid_ok(pid))
		return -ESRCH;
	snprintf(dir, sizeof(dir), "/proc/%ld", pid);
	if ((n = exec__file_small_read(dir, "stat", buf, sizeof(buf))) < 0)
		return n == -ENOENT ? -ESRCH : (int)n;
	if (exec__stat_parse(buf, (size_t)n, &state, &id->start_time) < 0)
		return -EINVAL;
	/* Z: ended, not reaped yet (an adopted wrapper's new parent may
	 * be slow to reap); X: being removed. Either way, gone. */
	*exited = state == 'Z' || state == 'X';
	if ((rc = proc_boot_id(id->boot_id, sizeof(id->boot_id))) != 0)
		return rc == -ENOENT ? -ENOTSUP : rc;
	return 0;
}

int
exec__proc_is_wrapper(long pid)
{
	char dir[64], buf[PROC_CMDLINE_MAX];
	ssize_t n;
	size_t a;

	if (!proc_pid_ok(pid))
		return 0;
	snprintf(dir, sizeof(dir), "/proc/%ld", pid);
	/* Longer than a wrapper's (a path and one flag): not one. */
	if ((n = exec__file_small_read(dir, "cmdline", buf, sizeof(buf))) <= 0)
		return 0;
	/* argv[0] is any path to pxpd; argv[1] says what it is. */
	a = strnlen(buf, (size_t)n) + 1;
	return a < (size_t)n && strcmp(buf + a, EXEC_WRAPPER_ARG) == 0 ?
	    1 : 0;
}

int
exec__pidfd_open(long pid)
{
#ifdef SYS_pidfd_open
	long fd;

	if (!proc_pid_ok(pid))
		return -ESRCH;
	/* pidfds are close-on-exec from birth. */
	if ((fd = syscall(SYS_pidfd_open, (pid_t)pid, 0)) < 0)
		return -errno;
	return (int)fd;
#else
	(void)pid;
	return -ENOSYS;
#endif
}

int
exec__pidfd_signal(int fd, int sig)
{
#ifdef SYS_pidfd_send_signal
	if (syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0) < 0)
		return -errno;
	return 0;
#else
	(void)fd;
	(void)sig;
	return -ENOSYS;
#endif
}
