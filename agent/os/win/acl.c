/* acl.c: the Windows form of 0700/0600 for os/win: one protected DACL
 * (no inherited entries) granting full control to SYSTEM, the
 * Administrators group and the user pxpd runs as, and the reverse: POSIX-
 * like permission bits read from an object's DACL for os_fileinfo.perm.
 * Not where it is applied (fs.c, file.c decide by the OS_MODE_* asked).
 * Invariant: the descriptor is built once (InitOnce: task file steps run
 * on libuv's threadpool too) and never freed. */
#include <errno.h>
#include <stdio.h>

#include <aclapi.h>
#include <sddl.h>

#include "os/win/internal.h"

enum {
	ACL_SID_SYSTEM,
	ACL_SID_ADMINS,
	ACL_SID_WORLD,          /* Everyone */
	ACL_SID_USERS,          /* BUILTIN\Users */
	ACL_SID_AUTH,           /* Authenticated Users */
	ACL_SID_N,
};

static INIT_ONCE acl_once = INIT_ONCE_STATIC_INIT;
static SECURITY_ATTRIBUTES acl_sa;      /* lpSecurityDescriptor NULL: failed */
static PACL acl_dacl;
static BYTE acl_sids[ACL_SID_N][SECURITY_MAX_SID_SIZE];
static BYTE acl_user[SECURITY_MAX_SID_SIZE];

/* The SID of the user of our token into acl_user. */
static bool
acl__user_sid(void)
{
	BYTE buf[sizeof(TOKEN_USER) + SECURITY_MAX_SID_SIZE];
	TOKEN_USER *tu = (TOKEN_USER *)buf;
	HANDLE tok;
	DWORD len;
	BOOL ok;

	if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok))
		return false;
	ok = GetTokenInformation(tok, TokenUser, buf, sizeof(buf), &len) &&
	    CopySid(sizeof(acl_user), acl_user, tu->User.Sid);
	CloseHandle(tok);
	return ok;
}

static BOOL CALLBACK
acl__init(PINIT_ONCE once, void *param, void **ctx)
{
	static const WELL_KNOWN_SID_TYPE types[ACL_SID_N] = {
		WinLocalSystemSid, WinBuiltinAdministratorsSid, WinWorldSid,
		WinBuiltinUsersSid, WinAuthenticatedUserSid,
	};
	PSECURITY_DESCRIPTOR sd = NULL;
	wchar_t sddl[256], *user = NULL;
	BOOL present, defaulted;
	DWORD len;
	int i;

	(void)once;
	(void)param;
	(void)ctx;
	for (i = 0; i < ACL_SID_N; i++) {
		len = sizeof(acl_sids[i]);
		if (!CreateWellKnownSid(types[i], NULL, acl_sids[i], &len))
			return TRUE;
	}
	if (!acl__user_sid() || !ConvertSidToStringSidW(acl_user, &user))
		return TRUE;
	/* P: protected, nothing inherited from the parent; OICI: what is
	 * created inside gets the same. FA: full access. */
	_snwprintf(sddl, sizeof(sddl) / sizeof(sddl[0]),
	    L"D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FA;;;%ls)", user);
	sddl[sizeof(sddl) / sizeof(sddl[0]) - 1] = L'\0';
	LocalFree(user);
	if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl,
	    SDDL_REVISION_1, &sd, NULL))
		return TRUE;
	if (!GetSecurityDescriptorDacl(sd, &present, &acl_dacl, &defaulted) ||
	    !present || !acl_dacl) {
		LocalFree(sd);
		return TRUE;
	}
	acl_sa.nLength = sizeof(acl_sa);
	acl_sa.lpSecurityDescriptor = sd;
	acl_sa.bInheritHandle = FALSE;
	return TRUE;
}

SECURITY_ATTRIBUTES *
os__sa_private(void)
{
	InitOnceExecuteOnce(&acl_once, acl__init, NULL, NULL);
	return acl_sa.lpSecurityDescriptor ? &acl_sa : NULL;
}

SECURITY_ATTRIBUTES *
os__sa_for_mode(int mode, SECURITY_ATTRIBUTES *plain)
{
	/* The group of pxp-agent's 0750/0640 is root's: Administrators,
	 * which the private DACL grants already. Only modes open to others
	 * keep the directory's (ProgramData lets every user read). */
	if ((mode & 007) == 0)
		return os__sa_private();
	plain->nLength = sizeof(*plain);
	plain->lpSecurityDescriptor = NULL;
	plain->bInheritHandle = FALSE;
	return plain;
}

int
os__handle_make_private(HANDLE h)
{
	DWORD rc;

	if (!os__sa_private())
		return -EACCES;
	rc = SetSecurityInfo(h, SE_FILE_OBJECT, DACL_SECURITY_INFORMATION |
	    PROTECTED_DACL_SECURITY_INFORMATION, NULL, NULL, acl_dacl, NULL);
	return rc == ERROR_SUCCESS ? 0 : os__err(rc);
}

static unsigned
acl__bits(ACCESS_MASK m, bool dir)
{
	unsigned b = 0;

	if (m & (GENERIC_ALL | GENERIC_READ | FILE_READ_DATA))
		b |= dir ? 5 : 4;
	if (m & (GENERIC_ALL | GENERIC_WRITE | FILE_WRITE_DATA |
	    FILE_APPEND_DATA))
		b |= 2;
	if (m & (GENERIC_ALL | GENERIC_EXECUTE | FILE_EXECUTE))
		b |= 1;
	return b;
}

unsigned
os__perm_from_handle(HANDLE h, bool dir)
{
	PSECURITY_DESCRIPTOR sd = NULL;
	PSID owner = NULL, sid;
	PACL dacl = NULL;
	ACE_HEADER *ace;
	ACL_SIZE_INFORMATION info;
	unsigned perm = 0, bits;
	DWORD i;

	if (!os__sa_private())
		return dir ? 0700 : 0600;
	if (GetSecurityInfo(h, SE_FILE_OBJECT, OWNER_SECURITY_INFORMATION |
	    DACL_SECURITY_INFORMATION, &owner, NULL, &dacl, NULL, &sd) !=
	    ERROR_SUCCESS)
		return dir ? 0700 : 0600;
	if (!dacl) {                    /* no DACL: everyone may do anything */
		LocalFree(sd);
		return dir ? 0777 : 0666;
	}
	if (!GetAclInformation(dacl, &info, sizeof(info), AclSizeInformation))
		info.AceCount = 0;
	for (i = 0; i < info.AceCount; i++) {
		if (!GetAce(dacl, i, (void **)&ace) ||
		    ace->AceType != ACCESS_ALLOWED_ACE_TYPE ||
		    (ace->AceFlags & INHERIT_ONLY_ACE))
			continue;
		sid = &((ACCESS_ALLOWED_ACE *)ace)->SidStart;
		bits = acl__bits(((ACCESS_ALLOWED_ACE *)ace)->Mask, dir);
		if (EqualSid(sid, acl_sids[ACL_SID_SYSTEM]) ||
		    EqualSid(sid, acl_sids[ACL_SID_ADMINS]) ||
		    EqualSid(sid, acl_user) || (owner && EqualSid(sid, owner)))
			perm |= bits << 6;
		else if (EqualSid(sid, acl_sids[ACL_SID_WORLD]) ||
		    EqualSid(sid, acl_sids[ACL_SID_USERS]) ||
		    EqualSid(sid, acl_sids[ACL_SID_AUTH]))
			perm |= bits;
		else
			perm |= bits << 3;
	}
	LocalFree(sd);
	return perm;
}
