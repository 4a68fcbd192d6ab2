/* service.c: service.h on Windows: the stop and reopen events come from
 * the console (Ctrl-C, Ctrl-Break, the window closing: libuv's uv_signal_t
 * emulation of SIGINT, SIGBREAK and SIGHUP) and from the service control
 * manager (daemon.c's control handler, on the SCM's thread, which hands
 * them over through a uv_async_t). Invariant: the struct is freed only in
 * the last close callback, and the SCM thread reaches it only under
 * service_lock while it is registered. */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

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

/* What the SCM's thread shares with the loop. */
static SRWLOCK service_lock = SRWLOCK_INIT;
static struct service *service_active;
static const char *service_pending[2];  /* per event: its cause, or NULL */

void
os__service_control(enum service_event ev, const char *what)
{
	AcquireSRWLockExclusive(&service_lock);
	service_pending[ev == SERVICE_EVENT_REOPEN] = what;
	if (service_active)
		uv_async_send(&service_active->scm);
	ReleaseSRWLockExclusive(&service_lock);
}

static void
service_on_scm(uv_async_t *h)
{
	struct service *s = h->data;
	const char *stop, *reopen;

	AcquireSRWLockExclusive(&service_lock);
	stop = service_pending[0];
	reopen = service_pending[1];
	service_pending[0] = service_pending[1] = NULL;
	ReleaseSRWLockExclusive(&service_lock);
	if (s->stopped)
		return;
	if (reopen)
		s->cb(s->arg, SERVICE_EVENT_REOPEN, reopen);
	if (stop && !s->stopped)
		s->cb(s->arg, SERVICE_EVENT_STOP, stop);
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
	/* A stop that came before the loop ran is delivered now. */
	if (service_pending[0] || service_pending[1])
		uv_async_send(&s->scm);
	ReleaseSRWLockExclusive(&service_lock);
	return s;
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
