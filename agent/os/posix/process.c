/* process.c: os.h's view of this process on POSIX: the rights it runs
 * with and its heap. Children are exec's (os/posix/exec.c); the pid and
 * the user database come from libuv. */
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
