/* daemon.h: the OS service glue: detaching and the single-instance lock
 * (pidfile). os/posix/daemon.c; os/win/daemon.c (the SCM's service, a
 * locked pidfile) behind the same calls. Stop and reopen events are service.h's; files,
 * the system log and the rest of the platform are os.h's. */
#ifndef PXPD_DAEMON_H
#define PXPD_DAEMON_H

#include <stddef.h>

struct daemon_lock;

/* Detaches from the terminal (POSIX: double fork + setsid, stdio to
 * /dev/null; Windows: connects to the SCM when it started pxpd, else
 * stays in the console). Returns 0 in the daemon; the parent exits 0. -1
 * on error. */
int daemon_detach(char *err, size_t errlen);

/* Takes the single-instance lock and writes our pid to path. NULL with
 * err ("Already running with PID=<n>") when another instance holds it. */
struct daemon_lock *daemon_lock_take(const char *path, char *err,
    size_t errlen);
/* Releases the lock and removes the pidfile. NULL does nothing. */
void daemon_lock_release(struct daemon_lock *l);
/* Whether another process holds the lock of path: 1 (its pid in *pid),
 * 0 when none does, a negative errno when path cannot be read. */
int daemon_lock_probe(const char *path, long *pid);

/* `pxpd --install-service [flags]` and `pxpd --uninstall-service`: the
 * service manager's registration (Windows: the SCM's "pxpd", automatic
 * start, LocalSystem, restart on failure; flags are what the service
 * runs with, e.g. --config-file). POSIX: refused (the systemd unit in
 * packaging/ does it). 0, or -1 with err. */
#define DAEMON_INSTALL_ARG   "--install-service"
#define DAEMON_UNINSTALL_ARG "--uninstall-service"
int daemon_service_install(int argc, char **argv, char *err, size_t errlen);
int daemon_service_uninstall(char *err, size_t errlen);

#endif
