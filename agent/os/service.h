/* service.h: pxpd and the system that runs it. Events: how the system
 * tells pxpd to stop, reload or reopen its logs; main.c registers one
 * callback and never sees a signal number. Notifications: what pxpd tells
 * the service manager (ready, reloading, stopping, a status line). On
 * POSIX (os/posix/service.c) events are signals and the manager is
 * systemd's notify socket, with its watchdog pinged from the loop; on
 * Windows (os/win/service.c, daemon.c) the console's Ctrl-C, the service
 * control handler and SetServiceStatus. */
#ifndef PXPD_SERVICE_H
#define PXPD_SERVICE_H

#include <stdbool.h>

#include <uv.h>

enum service_event {
	SERVICE_EVENT_STOP,     /* POSIX: SIGINT, SIGTERM, SIGQUIT */
	SERVICE_EVENT_REOPEN,   /* POSIX: SIGUSR2 (log rotation); Windows:
	                         * service control 128 */
	SERVICE_EVENT_RELOAD,   /* POSIX: SIGHUP (systemctl reload); Windows:
	                         * SERVICE_CONTROL_PARAMCHANGE */
};

enum service_state {
	SERVICE_STATE_READY,    /* up: connected, or its first attempt failed */
	SERVICE_STATE_RELOADING,
	SERVICE_STATE_STOPPING,
	SERVICE_STATE_RUNNING,  /* no change, only a new status line */
};

/* Called from the loop. what names the cause for the log ("signal 15"). */
typedef void (*service_event_cb)(void *arg, enum service_event ev,
    const char *what);

struct service;

/* Starts listening on loop; also ignores what must not stop pxpd
 * (POSIX: terminal signals and SIGPIPE, as pxp-agent does). NULL only
 * when out of memory. */
struct service *service_start(uv_loop_t *loop, service_event_cb cb,
    void *arg);
/* Tells the service manager st, with status (one line for people:
 * "connected to wss://..."), or NULL. Nothing when no manager listens. */
void service_notify(struct service *s, enum service_state st,
    const char *status);
/* The manager asked for watchdog pings and they are being sent. */
bool service_watchdog_armed(const struct service *s);
/* Stops listening; cb is not called any more. The handles close from
 * the loop and the struct goes with the last. NULL does nothing. */
void service_stop(struct service *s);

#endif
