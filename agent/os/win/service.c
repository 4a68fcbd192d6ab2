/* service.c: service.h on Windows: the stop and reopen events come from
 * the console (Ctrl-C, Ctrl-Break, the window closing: libuv's uv_signal_t
 * emulation of SIGINT, SIGBREAK and SIGHUP) and from the service control
 * manager (daemon.c's control handler, on the SCM's thread, which hands
 * them over through a uv_async_t); notifications go to the SCM through
 * daemon.c (there is no watchdog). Invariant: the struct is freed only in
 * the last close callback, and the SCM thread reaches it only under
 * service_lock while it is registered. */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "os/win/internal.h"

static const int service_signals[] = { SIGINT, SIGBREAK, SIGHUP };
#define SERVICE_NSIG (sizeof(service_signals) / sizeof(service_signals[0]))

struct service {
	uv_signal_t sig[SERVICE_NSIG];
	uv_async_t scm;
	int open;                   /* handles not yet closed */
	bool stopped;
	service_event_cb cb;
	void *arg;
};

#define SERVICE_NEVENTS (SERVICE_EVENT_RELOAD + 1)

/* What the SCM's thread shares with the loop. */
static SRWLOCK service_lock = SRWLOCK_INIT;
static struct service *service_active;
static const char *service_pending[SERVICE_NEVENTS]; /* cause, or NULL */

void
os__service_control(enum service_event ev, const char *what)
{
	if ((unsigned)ev >= SERVICE_NEVENTS)
		return;
	AcquireSRWLockExclusive(&service_lock);
	service_pending[ev] = what;
	if (service_active)
		uv_async_send(&service_active->scm);
	ReleaseSRWLockExclusive(&service_lock);
}

static void
service_on_scm(uv_async_t *h)
{
	struct service *s = h->data;
	const char *what[SERVICE_NEVENTS];
	int ev;

	AcquireSRWLockExclusive(&service_lock);
	memcpy(what, service_pending, sizeof(what));
	memset(service_pending, 0, sizeof(service_pending));
	ReleaseSRWLockExclusive(&service_lock);
	/* The stop last: nothing is delivered after it. */
	for (ev = SERVICE_NEVENTS - 1; ev >= 0 && !s->stopped; ev--)
		if (what[ev] && ev != SERVICE_EVENT_STOP)
			s->cb(s->arg, (enum service_event)ev, what[ev]);
	if (what[SERVICE_EVENT_STOP] && !s->stopped)
		s->cb(s->arg, SERVICE_EVENT_STOP, what[SERVICE_EVENT_STOP]);
}

static void
service_on_signal(uv_signal_t *h, int signum)
{
	struct service *s = h->data;
	char what[32];

	if (s->stopped)
		return;
	snprintf(what, sizeof(what), "%s", signum == SIGINT ? "Ctrl-C" :
	    signum == SIGBREAK ? "Ctrl-Break" : "console closed");
	s->cb(s->arg, SERVICE_EVENT_STOP, what);
}

static void
service_closed(uv_handle_t *h)
{
	struct service *s = h->data;

	if (--s->open == 0)
		free(s);
}

struct service *
service_start(uv_loop_t *loop, service_event_cb cb, void *arg)
{
	struct service *s = calloc(1, sizeof(*s));
	size_t i;

	if (!s)
		return NULL;
	s->cb = cb;
	s->arg = arg;
	for (i = 0; i < SERVICE_NSIG; i++) {
		uv_signal_init(loop, &s->sig[i]);
		s->sig[i].data = s;
		s->open++;
		uv_signal_start(&s->sig[i], service_on_signal,
		    service_signals[i]);
	}
	uv_async_init(loop, &s->scm, service_on_scm);
	s->scm.data = s;
	s->open++;
	AcquireSRWLockExclusive(&service_lock);
	service_active = s;
	/* An event that came before the loop ran is delivered now. */
	for (i = 0; i < SERVICE_NEVENTS; i++)
		if (service_pending[i])
			uv_async_send(&s->scm);
	ReleaseSRWLockExclusive(&service_lock);
	return s;
}

void
service_notify(struct service *s, enum service_state st, const char *status)
{
	/* The SCM has no status line and no "reloading" state. */
	(void)status;
	if (s && !s->stopped && (st == SERVICE_STATE_READY ||
	    st == SERVICE_STATE_STOPPING))
		os__daemon_report(st);
}

bool
service_watchdog_armed(const struct service *s)
{
	/* The SCM has no watchdog (recovery acts when the process dies). */
	(void)s;
	return false;
}

void
service_stop(struct service *s)
{
	size_t i;

	if (!s || s->stopped)
		return;
	s->stopped = true;
	AcquireSRWLockExclusive(&service_lock);
	service_active = NULL;
	ReleaseSRWLockExclusive(&service_lock);
	for (i = 0; i < SERVICE_NSIG; i++)
		uv_close((uv_handle_t *)&s->sig[i], service_closed);
	uv_close((uv_handle_t *)&s->scm, service_closed);
}
