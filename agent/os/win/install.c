/* install.c: `pxpd.exe --install-service [flags]` and
 * `--uninstall-service`: the SCM registration of the "pxpd" service.
 * Installed: its own process, automatic start, LocalSystem, the command
 * line "<this pxpd.exe>" <flags> (no --foreground: started by the SCM,
 * pxpd.exe becomes the service, daemon.c), and recovery actions:
 * restart after 1 minute, twice, then after 5 minutes, counted over a
 * day, also when pxpd stops itself with an error (non-crash failures).
 * Installing over an existing "pxpd" updates it. Uninstall stops it
 * (waiting for STOPPED, up to 60 s) and deletes it; actions running in
 * their Job Objects are left alone (their wrappers are not the
 * service's process). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "os/daemon.h"
#include "os/win/internal.h"

#define INSTALL_NAME    L"pxpd"
#define INSTALL_DISPLAY L"Puppet PXP agent (pxpd)"
#define INSTALL_DESC    L"Runs Puppet orchestration (PCP) actions for " \
    L"the broker this node is configured for: a drop-in pxp-agent."

/* The C runtime's quoting of one argument, appended to out (UTF-16). */
static int
install_quote(wchar_t *out, size_t outlen, const wchar_t *a)
{
	size_t n = wcslen(out), bs = 0, i;
	bool q = *a == L'\0' || wcspbrk(a, L" \t\"") != NULL;

#define PUT(c) do { if (n + 2 >= outlen) return -1; out[n++] = (c); } while (0)
	if (n > 0)
		PUT(L' ');
	if (q)
		PUT(L'"');
	for (;; a++) {
		if (*a == L'\\') {
			bs++;
			continue;
		}
		if (*a == L'\0' || *a == L'"') {
			for (i = 0; i < (q ? bs * 2 : bs) + (*a == L'"'); i++)
				PUT(L'\\');
			if (*a == L'\0')
				break;
			PUT(L'"');
		} else {
			for (i = 0; i < bs; i++)
				PUT(L'\\');
			PUT(*a);
		}
		bs = 0;
	}
	if (q)
		PUT(L'"');
#undef PUT
	out[n] = L'\0';
	return 0;
}

static wchar_t *
install_wide(const char *s)
{
	int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1,
	    NULL, 0);
	wchar_t *w;

	if (n <= 0 || (w = malloc((size_t)n * sizeof(wchar_t))) == NULL)
		return NULL;
	MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, w, n);
	return w;
}

static void
install_err(char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "%s: error %lu", what,
	    (unsigned long)GetLastError());
}

int
daemon_service_install(int argc, char **argv, char *err, size_t errlen)
{
	static wchar_t cmd[8192];
	wchar_t self[MAX_PATH + 1], *w;
	SC_ACTION actions[3] = {
		{ SC_ACTION_RESTART, 60 * 1000 },
		{ SC_ACTION_RESTART, 60 * 1000 },
		{ SC_ACTION_RESTART, 5 * 60 * 1000 },
	};
	SERVICE_FAILURE_ACTIONSW fa;
	SERVICE_FAILURE_ACTIONS_FLAG flag = { TRUE };
	SERVICE_DESCRIPTIONW desc = { (wchar_t *)INSTALL_DESC };
	SC_HANDLE scm, svc;
	bool updated = false;
	int i;

	cmd[0] = L'\0';
	if (GetModuleFileNameW(NULL, self, MAX_PATH) == 0 ||
	    install_quote(cmd, sizeof(cmd) / sizeof(cmd[0]), self) != 0) {
		install_err(err, errlen, "cannot name pxpd.exe");
		return -1;
	}
	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--foreground")) {
			snprintf(err, errlen, "a service runs without "
			    "--foreground");
			return -1;
		}
		if ((w = install_wide(argv[i])) == NULL ||
		    install_quote(cmd, sizeof(cmd) / sizeof(cmd[0]), w) != 0) {
			free(w);
			snprintf(err, errlen, "bad or too long argument '%s'",
			    argv[i]);
			return -1;
		}
		free(w);
	}
	if ((scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CREATE_SERVICE |
	    SC_MANAGER_CONNECT)) == NULL) {
		install_err(err, errlen, "cannot open the service control "
		    "manager (run as an administrator)");
		return -1;
	}
	svc = CreateServiceW(scm, INSTALL_NAME, INSTALL_DISPLAY,
	    SERVICE_ALL_ACCESS, SERVICE_WIN32_OWN_PROCESS, SERVICE_AUTO_START,
	    SERVICE_ERROR_NORMAL, cmd, NULL, NULL, NULL, NULL, NULL);
	if (svc == NULL && GetLastError() == ERROR_SERVICE_EXISTS &&
	    (svc = OpenServiceW(scm, INSTALL_NAME, SERVICE_ALL_ACCESS)) !=
	    NULL) {
		updated = true;
		if (!ChangeServiceConfigW(svc, SERVICE_WIN32_OWN_PROCESS,
		    SERVICE_AUTO_START, SERVICE_ERROR_NORMAL, cmd, NULL, NULL,
		    NULL, NULL, NULL, INSTALL_DISPLAY)) {
			install_err(err, errlen, "cannot update service pxpd");
			CloseServiceHandle(svc);
			CloseServiceHandle(scm);
			return -1;
		}
	}
	if (svc == NULL) {
		install_err(err, errlen, "cannot create service pxpd");
		CloseServiceHandle(scm);
		return -1;
	}
	memset(&fa, 0, sizeof(fa));
	fa.dwResetPeriod = 24 * 3600;
	fa.cActions = 3;
	fa.lpsaActions = actions;
	/* Description and recovery: a failure here leaves a working
	 * service, so it is said, not fatal. */
	if (!ChangeServiceConfig2W(svc, SERVICE_CONFIG_DESCRIPTION, &desc))
		fprintf(stderr, "pxpd: no service description: error %lu\n",
		    (unsigned long)GetLastError());
	if (!ChangeServiceConfig2W(svc, SERVICE_CONFIG_FAILURE_ACTIONS, &fa) ||
	    !ChangeServiceConfig2W(svc, SERVICE_CONFIG_FAILURE_ACTIONS_FLAG,
	    &flag))
		fprintf(stderr, "pxpd: recovery actions not set: error %lu\n",
		    (unsigned long)GetLastError());
	CloseServiceHandle(svc);
	CloseServiceHandle(scm);
	{
		char *u = os__utf8(cmd);

		snprintf(err, errlen, "service pxpd %s (automatic start, "
		    "restart on failure): %s", updated ? "updated" :
		    "installed", u ? u : "");
		free(u);
	}
	return 0;
}

int
daemon_service_uninstall(char *err, size_t errlen)
{
	SERVICE_STATUS st;
	SC_HANDLE scm, svc;
	int i;

	if ((scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT)) == NULL) {
		install_err(err, errlen, "cannot open the service control "
		    "manager (run as an administrator)");
		return -1;
	}
	if ((svc = OpenServiceW(scm, INSTALL_NAME, DELETE | SERVICE_STOP |
	    SERVICE_QUERY_STATUS)) == NULL) {
		install_err(err, errlen, "no service pxpd");
		CloseServiceHandle(scm);
		return -1;
	}
	if (ControlService(svc, SERVICE_CONTROL_STOP, &st) ||
	    GetLastError() != ERROR_SERVICE_NOT_ACTIVE) {
		/* Stops are not waited for by the SCM: poll. */
		for (i = 0; i < 600 && QueryServiceStatus(svc, &st) &&
		    st.dwCurrentState != SERVICE_STOPPED; i++)
			Sleep(100);
	}
	if (!DeleteService(svc)) {
		install_err(err, errlen, "cannot delete service pxpd");
		CloseServiceHandle(svc);
		CloseServiceHandle(scm);
		return -1;
	}
	CloseServiceHandle(svc);
	CloseServiceHandle(scm);
	snprintf(err, errlen, "service pxpd removed");
	return 0;
}
