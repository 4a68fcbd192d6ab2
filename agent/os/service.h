/* service.h: how the system tells pxpd to stop or to reopen its logs.
 * main.c registers one callback and never sees a signal number: on POSIX
 * (os/posix/service.c) these are signals taken through uv_signal_t; on
 * Windows (os/win/service.c) the console's Ctrl-C and the service
 * control handler's stop and shutdown. */
#ifndef PXPD_SERVICE_H
#define PXPD_SERVICE_H

#include <uv.h>

enum service_event {
	SERVICE_EVENT_STOP,     /* POSIX: SIGINT, SIGTERM, SIGQUIT */
	SERVICE_EVENT_REOPEN,   /* POSIX: SIGUSR2 (log rotation); Windows:
	                         * service control 128 */
};

/* Called from the loop. what names the cause for the log ("signal 15"). */
typedef void (*service_event_cb)(void *arg, enum service_event ev,
    const char *what);

struct service;

/* Starts listening on loop; also ignores what must not stop pxpd
 * (POSIX: terminal and hangup signals, SIGPIPE, as pxp-agent does).
 * NULL only when out of memory. */
struct service *service_start(uv_loop_t *loop, service_event_cb cb,
    void *arg);
/* Stops listening; cb is not called any more. The handles close from
 * the loop and the struct goes with the last. NULL does nothing. */
void service_stop(struct service *s);

#endif
