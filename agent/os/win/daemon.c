/* daemon.c: daemon.h on Windows: "detaching" is becoming the service the
 * SCM started (StartServiceCtrlDispatcher on a thread of its own, since
 * the loop keeps the main one), or nothing when pxpd was started from a
 * console (pxp-agent never detaches on Windows either); the single-
 * instance lock is the pidfile, held open with an exclusive byte lock
 * (a named mutex would allow one pxpd per machine, and tests run
 * several). The stop, reload and reopen events are service.c's: the
 * control handler here hands them over (os__service_control); pxpd's
 * notifications come back as os__daemon_report (START_PENDING until the
 * first connection attempt ended, then RUNNING; STOP_PENDING).
 * Runs before the event loop starts, so the blocking waits are fine. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "os/daemon.h"
#include "os/win/internal.h"
#include "base/util.h"

/* Wait hints: starting lasts until the first connection attempt ended
 * (service_notify READY); stopping, until the connection closed and the
 * owed state is written. Seconds in practice. */
#define DAEMON_START_HINT_MS 60000
#define DAEMON_STOP_HINT_MS 30000
/* The byte locked in the pidfile, past the pid's text. */
#define DAEMON_LOCK_OFFSET 0x7fffffff

struct daemon_lock {
	HANDLE h;
	char *path;
};

/* The SCM calls the handler on the dispatcher thread, with no pointer of
 * ours before registration: the status is process-wide state, guarded
 * by its lock. */
static struct {
	CRITICAL_SECTION lock;
	SERVICE_STATUS_HANDLE handle;
	SERVICE_STATUS status;
	HANDLE ready;               /* set once ServiceMain ran or failed */
	DWORD error;                /* why the dispatcher failed */
	volatile LONG stop_asked;   /* the SCM asked for the stop */
} daemon_svc;

static void
daemon__report(DWORD state, DWORD exit_code, DWORD hint_ms)
{
	EnterCriticalSection(&daemon_svc.lock);
	daemon_svc.status.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
	daemon_svc.status.dwCurrentState = state;
	/* Stops are taken while starting too: pxpd stops cleanly at any
	 * point of its start. */
	daemon_svc.status.dwControlsAccepted = state == SERVICE_RUNNING ||
	    state == SERVICE_START_PENDING ? SERVICE_ACCEPT_STOP |
	    SERVICE_ACCEPT_SHUTDOWN | SERVICE_ACCEPT_PRESHUTDOWN |
	    (state == SERVICE_RUNNING ? SERVICE_ACCEPT_PARAMCHANGE : 0) : 0;
	daemon_svc.status.dwWin32ExitCode = exit_code;
	daemon_svc.status.dwServiceSpecificExitCode = 0;
	if (exit_code == ERROR_SERVICE_SPECIFIC_ERROR)
		daemon_svc.status.dwServiceSpecificExitCode = 1;
	daemon_svc.status.dwWaitHint = hint_ms;
	if (state == SERVICE_RUNNING || state == SERVICE_STOPPED)
		daemon_svc.status.dwCheckPoint = 0;
	else
		daemon_svc.status.dwCheckPoint++;
	SetServiceStatus(daemon_svc.handle, &daemon_svc.status);
	LeaveCriticalSection(&daemon_svc.lock);
}

static DWORD WINAPI
daemon__control(DWORD ctrl, DWORD type, void *data, void *ctx)
{
	(void)type;
	(void)data;
	(void)ctx;
	switch (ctrl) {
	case SERVICE_CONTROL_INTERROGATE:
		EnterCriticalSection(&daemon_svc.lock);
		SetServiceStatus(daemon_svc.handle, &daemon_svc.status);
		LeaveCriticalSection(&daemon_svc.lock);
		return NO_ERROR;
	case SERVICE_CONTROL_STOP:
	case SERVICE_CONTROL_SHUTDOWN:
	case SERVICE_CONTROL_PRESHUTDOWN:
		InterlockedExchange(&daemon_svc.stop_asked, 1);
		daemon__report(SERVICE_STOP_PENDING, NO_ERROR,
		    DAEMON_STOP_HINT_MS);
		os__service_control(SERVICE_EVENT_STOP, ctrl ==
		    SERVICE_CONTROL_STOP ? "service stop" : "system shutdown");
		return NO_ERROR;
	case SERVICE_CONTROL_PARAMCHANGE:
		os__service_control(SERVICE_EVENT_RELOAD, "service paramchange");
		return NO_ERROR;
	case OS__SERVICE_CONTROL_REOPEN:
		os__service_control(SERVICE_EVENT_REOPEN, "service control 128");
		return NO_ERROR;
	default:
		return ERROR_CALL_NOT_IMPLEMENTED;
	}
}

static void WINAPI
daemon__service_main(DWORD argc, wchar_t **argv)
{
	(void)argc;
	(void)argv;
	/* An own-process service: the name is not checked. */
	daemon_svc.handle = RegisterServiceCtrlHandlerExW(L"pxpd",
	    daemon__control, NULL);
	if (!daemon_svc.handle)
		daemon_svc.error = GetLastError();
	else
		daemon__report(SERVICE_START_PENDING, NO_ERROR,
		    DAEMON_START_HINT_MS);
	SetEvent(daemon_svc.ready);
}

static DWORD WINAPI
daemon__dispatcher(void *arg)
{
	static wchar_t name[] = L"pxpd";
	SERVICE_TABLE_ENTRYW table[] = {
		{ name, daemon__service_main },
		{ NULL, NULL },
	};

	(void)arg;
	/* Returns once the service reported SERVICE_STOPPED. */
	if (!StartServiceCtrlDispatcherW(table)) {
		daemon_svc.error = GetLastError();
		SetEvent(daemon_svc.ready);
	}
	return 0;
}

/* The last word to the SCM, after main returned: stopped, cleanly when
 * the SCM asked for it; otherwise pxpd ended by itself (a fatal error),
 * which the SCM's recovery actions may answer with a restart. */
static void
daemon__stopped(void)
{
	daemon__report(SERVICE_STOPPED, daemon_svc.stop_asked ? NO_ERROR :
	    ERROR_SERVICE_SPECIFIC_ERROR, 0);
}

void
os__daemon_report(enum service_state st)
{
	if (!daemon_svc.handle)
		return;
	if (st == SERVICE_STATE_READY &&
	    daemon_svc.status.dwCurrentState == SERVICE_START_PENDING)
		daemon__report(SERVICE_RUNNING, NO_ERROR, 0);
	else if (st == SERVICE_STATE_STOPPING &&
	    daemon_svc.status.dwCurrentState != SERVICE_STOP_PENDING)
		daemon__report(SERVICE_STOP_PENDING, NO_ERROR,
		    DAEMON_STOP_HINT_MS);
}

int
daemon_detach(char *err, size_t errlen)
{
	HANDLE t;

	InitializeCriticalSection(&daemon_svc.lock);
	if (!(daemon_svc.ready = CreateEventW(NULL, TRUE, FALSE, NULL)) ||
	    !(t = CreateThread(NULL, 0, daemon__dispatcher, NULL, 0, NULL))) {
		snprintf(err, errlen, "cannot start the service dispatcher: "
		    "%s", strerror(-os__last_err()));
		return -1;
	}
	CloseHandle(t);
	WaitForSingleObject(daemon_svc.ready, INFINITE);
	if (daemon_svc.handle) {
		atexit(daemon__stopped);
		return 0;
	}
	/* Started from a console, not by the SCM: stay in the foreground. */
	if (daemon_svc.error == ERROR_FAILED_SERVICE_CONTROLLER_CONNECT)
		return 0;
	snprintf(err, errlen, "cannot connect to the service control "
	    "manager (Windows error %lu)", (unsigned long)daemon_svc.error);
	return -1;
}

struct daemon_lock *
daemon_lock_take(const char *path, char *err, size_t errlen)
{
	struct daemon_lock *l = calloc(1, sizeof(*l));
	SECURITY_ATTRIBUTES plain, *sa;
	OVERLAPPED at;
	wchar_t *w = NULL;
	char buf[32];
	DWORD n;

	if (!l)
		return NULL;
	l->h = INVALID_HANDLE_VALUE;
	/* A failure shows up in the open below. */
	(void)os_mkdir_parent(path, OS_MODE_DIR_PUBLIC);
	sa = os__sa_for_mode(OS_MODE_FILE_PUBLIC, &plain);
	if (!(w = os__wpath(path)) || (l->h = CreateFileW(w, GENERIC_READ |
	    GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE |
	    FILE_SHARE_DELETE, sa, OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL)) ==
	    INVALID_HANDLE_VALUE) {
		snprintf(err, errlen, "pidfile %s: %s", path,
		    strerror(w ? -os__last_err() : errno));
		goto fail;
	}
	/* The lock is on a byte past the pid's text, so that other
	 * processes can still read the pid (a locked range cannot be). */
	memset(&at, 0, sizeof(at));
	at.Offset = DAEMON_LOCK_OFFSET;
	if (!LockFileEx(l->h, LOCKFILE_EXCLUSIVE_LOCK |
	    LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, &at)) {
		memset(buf, 0, sizeof(buf));
		if (!ReadFile(l->h, buf, sizeof(buf) - 1, &n, NULL))
			n = 0;
		buf[n] = '\0';
		buf[strcspn(buf, "\r\n")] = '\0';
		snprintf(err, errlen, "Already running with PID=%s", buf);
		goto fail;
	}
	n = (DWORD)snprintf(buf, sizeof(buf), "%lu\n",
	    (unsigned long)GetCurrentProcessId());
	if (!SetEndOfFile(l->h) || !WriteFile(l->h, buf, n, &n, NULL)) {
		snprintf(err, errlen, "pidfile %s: %s", path,
		    strerror(-os__last_err()));
		goto fail;
	}
	l->path = util_strdup(path);
	free(w);
	return l;
fail:
	if (l->h != INVALID_HANDLE_VALUE)
		CloseHandle(l->h);
	free(w);
	free(l);
	return NULL;
}

int
daemon_lock_probe(const char *path, long *pid)
{
	OVERLAPPED at;
	wchar_t *w = os__wpath(path);
	char buf[32];
	HANDLE h;
	DWORD n;
	int rc = 0;

	if (!w)
		return -errno;
	h = CreateFileW(w, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE |
	    FILE_SHARE_DELETE, NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
	free(w);
	if (h == INVALID_HANDLE_VALUE)
		return GetLastError() == ERROR_FILE_NOT_FOUND ||
		    GetLastError() == ERROR_PATH_NOT_FOUND ? 0 : os__last_err();
	memset(&at, 0, sizeof(at));
	at.Offset = DAEMON_LOCK_OFFSET;
	/* A shared lock is granted unless someone holds the exclusive one. */
	if (LockFileEx(h, LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, &at))
		UnlockFileEx(h, 0, 1, 0, &at);
	else if (GetLastError() != ERROR_LOCK_VIOLATION)
		rc = os__last_err();
	else {
		rc = 1;
		if (!ReadFile(h, buf, sizeof(buf) - 1, &n, NULL))
			n = 0;
		buf[n] = '\0';
		*pid = strtol(buf, NULL, 10);
	}
	CloseHandle(h);
	return rc;
}

void
daemon_lock_release(struct daemon_lock *l)
{
	wchar_t *w;

	if (!l)
		return;
	/* Removed while still locked, so no second pxpd takes it between. */
	if (l->path && (w = os__wpath(l->path))) {
		DeleteFileW(w);
		free(w);
	}
	CloseHandle(l->h);
	free(l->path);
	free(l);
}
