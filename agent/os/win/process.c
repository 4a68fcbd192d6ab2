/* process.c: os.h's view of this process on Windows: the rights it runs
 * with and its heap. Children are exec's; the pid and the user database
 * come from libuv. */
#include <malloc.h>

#include "os/win/internal.h"

bool
os_user_privileged(void)
{
	BYTE sid[SECURITY_MAX_SID_SIZE];
	DWORD len = sizeof(sid);
	BOOL member = FALSE;

	/* LocalSystem is in Administrators too; CheckTokenMembership
	 * counts the group only when the token is elevated (UAC), which is
	 * what writing under ProgramData needs. */
	if (!CreateWellKnownSid(WinBuiltinAdministratorsSid, NULL, sid, &len))
		return false;
	return CheckTokenMembership(NULL, sid, &member) && member;
}

void
os_memory_trim(void)
{
	/* The CRT heap's free blocks back to the system (malloc_trim). */
	_heapmin();
}

void
os_crash_now(void)
{
	/* As kill -9: no atexit handlers, no flushing. */
	TerminateProcess(GetCurrentProcess(), 137);
	_exit(137);
}
