/* service.c: service.h on POSIX. The events are signals, each watched
 * through a uv_signal_t on the loop (a raw handler would have to do its
 * work outside the loop). The service manager is systemd when it set
 * $NOTIFY_SOCKET: its protocol is one datagram of "KEY=value" lines on a
 * unix socket (a path, or abstract when it starts with '@'), written here
 * without libsystemd. With $WATCHDOG_USEC a timer on the loop pings at
 * half the interval, so a loop that hangs stops the pings and systemd
 * restarts pxpd. Invariant: the struct is freed only in the last close
 * callback. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "os/service.h"

static const struct {
	int signum;
	enum service_event ev;
} service_signals[] = {
	{ SIGINT, SERVICE_EVENT_STOP },
	{ SIGTERM, SERVICE_EVENT_STOP },
	{ SIGQUIT, SERVICE_EVENT_STOP },
	{ SIGUSR2, SERVICE_EVENT_REOPEN },
	{ SIGHUP, SERVICE_EVENT_RELOAD },
};
#define SERVICE_N (sizeof(service_signals) / sizeof(service_signals[0]))

struct service {
	uv_signal_t h[SERVICE_N];
	uv_timer_t watchdog;
	bool watchdog_on;
	int open;                   /* handles not yet closed */
	bool stopped;
	service_event_cb cb;
	void *arg;
	int notify_fd;              /* -1: no service manager listens */
	struct sockaddr_un notify_addr;
	socklen_t notify_len;
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

static void
service_send(struct service *s, const char *text)
{
	if (!s || s->notify_fd < 0)
		return;
	/* A datagram either goes whole or not at all; systemd may be gone
	 * (EAGAIN, ECONNREFUSED): the service goes on without it. */
	(void)sendto(s->notify_fd, text, strlen(text), MSG_NOSIGNAL,
	    (const struct sockaddr *)&s->notify_addr, s->notify_len);
}

/* $NOTIFY_SOCKET: "/run/systemd/notify" or "@abstract". */
static void
service_notify_open(struct service *s)
{
	const char *path = getenv("NOTIFY_SOCKET");
	size_t n;

	s->notify_fd = -1;
	if (!path || (path[0] != '/' && path[0] != '@') ||
	    (n = strlen(path)) >= sizeof(s->notify_addr.sun_path))
		return;
	memset(&s->notify_addr, 0, sizeof(s->notify_addr));
	s->notify_addr.sun_family = AF_UNIX;
	memcpy(s->notify_addr.sun_path, path, n);
	if (path[0] == '@')
		s->notify_addr.sun_path[0] = '\0';
	s->notify_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	    n + (path[0] == '@' ? 0 : 1));
	s->notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0);
}

static void
service_on_watchdog(uv_timer_t *t)
{
	service_send(t->data, "WATCHDOG=1");
}

/* $WATCHDOG_USEC, for us ($WATCHDOG_PID unset or ours): ping at half. */
static void
service_watchdog_start(struct service *s, uv_loop_t *loop)
{
	const char *usec = getenv("WATCHDOG_USEC"), *pid =
	    getenv("WATCHDOG_PID");
	unsigned long long us;
	char *end;

	uv_timer_init(loop, &s->watchdog);
	s->watchdog.data = s;
	s->open++;
	if (!usec || s->notify_fd < 0 || (pid && strtol(pid, NULL, 10) !=
	    (long)getpid()))
		return;
	errno = 0;
	us = strtoull(usec, &end, 10);
	if (errno || *end || us < 2000)
		return;
	s->watchdog_on = true;
	uv_timer_start(&s->watchdog, service_on_watchdog, us / 2000,
	    us / 2000);
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
	service_notify_open(s);
	service_watchdog_start(s, loop);
	return s;
}

bool
service_watchdog_armed(const struct service *s)
{
	return s && s->watchdog_on;
}

void
service_notify(struct service *s, enum service_state st, const char *status)
{
	static const char *const what[] = {
		[SERVICE_STATE_READY] = "READY=1",
		[SERVICE_STATE_RELOADING] = "RELOADING=1",
		[SERVICE_STATE_STOPPING] = "STOPPING=1",
		[SERVICE_STATE_RUNNING] = NULL,
	};
	char msg[512];

	if (!s || s->notify_fd < 0)
		return;
	if (what[st] && status)
		snprintf(msg, sizeof(msg), "%s\nSTATUS=%s", what[st], status);
	else if (what[st])
		snprintf(msg, sizeof(msg), "%s", what[st]);
	else if (status)
		snprintf(msg, sizeof(msg), "STATUS=%s", status);
	else
		return;
	service_send(s, msg);
}

void
service_stop(struct service *s)
{
	size_t i;

	if (!s || s->stopped)
		return;
	s->stopped = true;
	if (s->notify_fd >= 0)
		close(s->notify_fd);
	s->notify_fd = -1;
	for (i = 0; i < SERVICE_N; i++)
		uv_close((uv_handle_t *)&s->h[i], service_closed);
	uv_close((uv_handle_t *)&s->watchdog, service_closed);
}
