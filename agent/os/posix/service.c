/* service.c: service.h on POSIX: the stop and reopen events are signals,
 * each watched through a uv_signal_t on the loop (a raw handler would
 * have to do its work outside the loop). Invariant: the struct is freed
 * only in the last close callback. */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "os/service.h"

static const struct {
	int signum;
	enum service_event ev;
} service_signals[] = {
	{ SIGINT, SERVICE_EVENT_STOP },
	{ SIGTERM, SERVICE_EVENT_STOP },
	{ SIGQUIT, SERVICE_EVENT_STOP },
	{ SIGUSR2, SERVICE_EVENT_REOPEN },
};
#define SERVICE_N (sizeof(service_signals) / sizeof(service_signals[0]))

struct service {
	uv_signal_t h[SERVICE_N];
	int open;                   /* handles not yet closed */
	bool stopped;
	service_event_cb cb;
	void *arg;
};

static void
service_on_signal(uv_signal_t *h, int signum)
{
	struct service *s = h->data;
	char what[32];
	size_t i;

	if (s->stopped)
		return;
	snprintf(what, sizeof(what), "signal %d", signum);
	for (i = 0; i < SERVICE_N; i++)
		if (service_signals[i].signum == signum) {
			s->cb(s->arg, service_signals[i].ev, what);
			return;
		}
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
	signal(SIGHUP, SIG_IGN);
	signal(SIGTSTP, SIG_IGN);
	signal(SIGTTOU, SIG_IGN);
	signal(SIGTTIN, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < SERVICE_N; i++) {
		uv_signal_init(loop, &s->h[i]);
		s->h[i].data = s;
		s->open++;
		uv_signal_start(&s->h[i], service_on_signal,
		    service_signals[i].signum);
	}
	return s;
}

void
service_stop(struct service *s)
{
	size_t i;

	if (!s || s->stopped)
		return;
	s->stopped = true;
	for (i = 0; i < SERVICE_N; i++)
		uv_close((uv_handle_t *)&s->h[i], service_closed);
}
