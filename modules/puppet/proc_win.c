/* proc_win.c: proc.h on Windows: starts puppet as pxp-agent's Ruby module
 * does there (Puppet::Util::Execution): Puppet's bin\puppet.bat through
 * cmd.exe, a process group of its own, no console window, stdin and
 * stderr on NUL, stdout captured or on NUL; the environment is ours,
 * unchanged (pxp-agent fixes up HOME/USER only off Windows, and Ruby's
 * default external encoding there is the code page, not US-ASCII). Not
 * what to run or what the outcome means (run.c). The POSIX sibling is
 * proc.c. Arguments are checked by flags.c (letters, digits, _:,.-), so
 * none holds a quote or a cmd.exe metacharacter. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include <windows.h>

#include "proc.h"

#define PROC_PUPPET_BAT "\\Puppet Labs\\Puppet\\bin\\puppet.bat"

static wchar_t *
proc_wide(const char *s)
{
	int n = MultiByteToWideChar(CP_UTF8, 0, s, -1, NULL, 0);
	wchar_t *w;

	if (n <= 0 || (w = malloc((size_t)n * sizeof(*w))) == NULL)
		return NULL;
	MultiByteToWideChar(CP_UTF8, 0, s, -1, w, n);
	return w;
}

static int
proc_errno(DWORD e)
{
	switch (e) {
	case ERROR_FILE_NOT_FOUND:
	case ERROR_PATH_NOT_FOUND:
		return ENOENT;
	case ERROR_ACCESS_DENIED:
		return EACCES;
	case ERROR_NOT_ENOUGH_MEMORY:
		return ENOMEM;
	default:
		return ENOEXEC;
	}
}

int
proc_bin_check(const char *path)
{
	wchar_t *w = proc_wide(path);
	DWORD a = w ? GetFileAttributesW(w) : INVALID_FILE_ATTRIBUTES;

	free(w);
	if (a == INVALID_FILE_ATTRIBUTES) {
		errno = ENOENT;
		return -1;
	}
	if (a & FILE_ATTRIBUTE_DIRECTORY) {
		errno = EACCES;
		return -1;
	}
	return 0;
}

const char *
proc_default_bin(void)
{
	static char bin[MAX_PATH * 3];
	const char *pf = getenv("ProgramFiles");

	snprintf(bin, sizeof(bin), "%s%s", pf ? pf : "C:\\Program Files",
	         PROC_PUPPET_BAT);
	return bin;
}

/* Appends s to the command line in *cl (grown as needed), quoted when it
 * holds a space: the MSVCRT rule, enough for what flags.c lets through
 * and for paths. -1 when out of memory. */
static int
proc_cl_add(char **cl, size_t *len, size_t *cap, const char *s, int quote)
{
	size_t n = strlen(s) + 4;
	char *p;

	if (*len + n + 1 > *cap) {
		*cap = (*len + n + 1) * 2;
		if ((p = realloc(*cl, *cap)) == NULL)
			return -1;
		*cl = p;
	}
	*len += (size_t)sprintf(*cl + *len, "%s%s%s%s", *len ? " " : "",
	                        quote ? "\"" : "", s, quote ? "\"" : "");
	return 0;
}

/* "cmd.exe /d /s /c ""<bat>" args"" for a batch file, else the quoted
 * argv: what CreateProcessW is given. */
static char *
proc_command_line(char *const argv[])
{
	size_t len = 0, cap = 0, n = strlen(argv[0]);
	char *cl = NULL;
	int bat = n > 4 && (!_stricmp(argv[0] + n - 4, ".bat") ||
	                    !_stricmp(argv[0] + n - 4, ".cmd"));
	size_t i;

	if (bat && proc_cl_add(&cl, &len, &cap, "cmd.exe /d /s /c \"", 0) < 0)
		goto fail;
	for (i = 0; argv[i] != NULL; i++)
		if (proc_cl_add(&cl, &len, &cap, argv[i],
		                i == 0 || strchr(argv[i], ' ') != NULL) < 0)
			goto fail;
	if (bat && proc_cl_add(&cl, &len, &cap, "\"", 0) < 0)
		goto fail;
	/* proc_cl_add put a space before the closing quote: harmless. */
	return cl;
fail:
	free(cl);
	return NULL;
}

/* envp as a CREATE_UNICODE_ENVIRONMENT block: "K=V\0...\0\0". */
static wchar_t *
proc_env_block(char *const envp[])
{
	size_t total = 1, off = 0, i;
	wchar_t *block, *w;
	int n;

	for (i = 0; envp != NULL && envp[i] != NULL; i++)
		total += (size_t)MultiByteToWideChar(CP_UTF8, 0, envp[i], -1,
		                                     NULL, 0);
	if ((block = malloc(total * sizeof(*block))) == NULL)
		return NULL;
	for (i = 0; envp != NULL && envp[i] != NULL; i++) {
		w = block + off;
		n = MultiByteToWideChar(CP_UTF8, 0, envp[i], -1, w,
		                        (int)(total - off));
		if (n > 0)
			off += (size_t)n;
	}
	block[off] = L'\0';
	return block;
}

int
proc_run(char *const argv[], char *const envp[], char *out, size_t outcap,
         int *status)
{
	SECURITY_ATTRIBUTES sa = { sizeof(sa), NULL, TRUE };
	STARTUPINFOW si;
	PROCESS_INFORMATION pi;
	HANDLE nul = INVALID_HANDLE_VALUE, rd = NULL, wr = NULL;
	wchar_t *wcl = NULL, *env = NULL;
	char *cl = NULL, sink[4096];
	size_t used = 0;
	DWORD n, code;
	int rc = 0;

	if ((cl = proc_command_line(argv)) == NULL ||
	    (wcl = proc_wide(cl)) == NULL || (env = proc_env_block(envp)) == NULL) {
		rc = -ENOMEM;
		goto cleanup;
	}
	nul = CreateFileW(L"NUL", GENERIC_READ | GENERIC_WRITE,
	                  FILE_SHARE_READ | FILE_SHARE_WRITE, &sa, OPEN_EXISTING,
	                  0, NULL);
	if (nul == INVALID_HANDLE_VALUE ||
	    (out != NULL && !CreatePipe(&rd, &wr, &sa, 0))) {
		rc = -proc_errno(GetLastError());
		goto cleanup;
	}
	/* Our end of the pipe stays ours. */
	if (rd != NULL)
		SetHandleInformation(rd, HANDLE_FLAG_INHERIT, 0);
	memset(&si, 0, sizeof(si));
	si.cb = sizeof(si);
	si.dwFlags = STARTF_USESTDHANDLES;
	si.hStdInput = nul;
	si.hStdOutput = wr != NULL ? wr : nul;
	si.hStdError = nul;
	if (!CreateProcessW(NULL, wcl, NULL, NULL, TRUE,
	                    CREATE_UNICODE_ENVIRONMENT | CREATE_NEW_PROCESS_GROUP |
	                    CREATE_NO_WINDOW, env, NULL, &si, &pi)) {
		rc = -proc_errno(GetLastError());
		goto cleanup;
	}
	CloseHandle(pi.hThread);
	if (wr != NULL) {
		CloseHandle(wr);
		wr = NULL;
	}
	/* Read stdout to EOF before waiting, so a chatty child never blocks
	 * on a full pipe. */
	if (out != NULL) {
		for (;;) {
			char *dst = used + 1 < outcap ? out + used : sink;
			DWORD room = used + 1 < outcap ?
			             (DWORD)(outcap - 1 - used) : sizeof(sink);

			if (!ReadFile(rd, dst, room, &n, NULL) || n == 0)
				break;
			if (dst != sink)
				used += n;
		}
		out[used] = '\0';
	}
	WaitForSingleObject(pi.hProcess, INFINITE);
	*status = GetExitCodeProcess(pi.hProcess, &code) ? (int)code : 1;
	CloseHandle(pi.hProcess);
cleanup:
	if (nul != INVALID_HANDLE_VALUE)
		CloseHandle(nul);
	if (rd != NULL)
		CloseHandle(rd);
	if (wr != NULL)
		CloseHandle(wr);
	free(cl);
	free(wcl);
	free(env);
	return rc;
}

int
proc_env_build(struct puppet_argv *env)
{
	wchar_t *block = GetEnvironmentStringsW(), *w;
	char *kv;
	int n, rc = 0;

	memset(env, 0, sizeof(*env));
	if (block == NULL)
		return -1;
	for (w = block; *w != L'\0' && rc == 0; w += wcslen(w) + 1) {
		n = WideCharToMultiByte(CP_UTF8, 0, w, -1, NULL, 0, NULL, NULL);
		if (n <= 0 || (kv = malloc((size_t)n)) == NULL) {
			rc = -1;
			break;
		}
		WideCharToMultiByte(CP_UTF8, 0, w, -1, kv, n, NULL, NULL);
		rc = puppet_argv_push(env, kv);
		free(kv);
	}
	FreeEnvironmentStringsW(block);
	return rc;
}
