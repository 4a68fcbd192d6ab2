/* process.c: os.h's view of this process on POSIX: the rights it runs
 * with, its heap, and its sudden end (crash points). Children are
 * exec's (os/posix/exec.c); the pid and the user database come from
 * libuv. */
#include <signal.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "os/os.h"

bool
os_user_privileged(void)
{
	return geteuid() == 0;
}

void
os_memory_trim(void)
{
#ifdef __GLIBC__
	malloc_trim(0);
#endif
}

void
os_crash_now(void)
{
	kill(getpid(), SIGKILL);
	_exit(137);
}
