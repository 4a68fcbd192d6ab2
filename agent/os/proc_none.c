/* proc_none.c: process identities and pidfds where there are none (not
 * Linux): every call says so, and exec falls back to asking whether a
 * pid lives (kill 0), as it must without a way to tell one process from
 * a later one with the same pid. The Linux half is os/linux/proc.c. */
#include <errno.h>

#include "os/posix/exec_posix.h"

int
exec__proc_id_get(long pid, struct exec__proc_id *id, bool *exited)
{
	(void)pid;
	(void)id;
	(void)exited;
	return -ENOTSUP;
}

int
exec__proc_is_wrapper(long pid)
{
	(void)pid;
	return -ENOTSUP;
}

int
exec__pidfd_open(long pid)
{
	(void)pid;
	return -ENOSYS;
}

int
exec__pidfd_signal(int fd, int sig)
{
	(void)fd;
	(void)sig;
	return -ENOSYS;
}
