/* daemon.c: daemon.h for POSIX: fork/setsid, an fcntl-locked
 * pidfile (signals are service.c's). Runs before the event loop starts, so the
 * blocking calls here are fine. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "os/daemon.h"
#include "os/os.h"
#include "base/util.h"

struct daemon_lock {
	int fd;
	char *path;
};

int
daemon_detach(char *err, size_t errlen)
{
	pid_t pid;
	int fd;

	if ((pid = fork()) < 0)
		goto fail;
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		goto fail;
	/* Second fork: never reacquire a controlling terminal. */
	if ((pid = fork()) < 0)
		goto fail;
	if (pid > 0)
		_exit(0);
	if (chdir("/") != 0)
		goto fail;
	if ((fd = open("/dev/null", O_RDWR)) >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	return 0;
fail:
	snprintf(err, errlen, "cannot daemonize: %s", strerror(errno));
	return -1;
}

struct daemon_lock *
daemon_lock_take(const char *path, char *err, size_t errlen)
{
	struct daemon_lock *l = calloc(1, sizeof(*l));
	struct flock fl;
	char buf[32];
	int n;

	if (!l)
		return NULL;
	/* A failure shows up in the open below. */
	(void)os_mkdir_parent(path, OS_MODE_DIR_PUBLIC);
	l->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, OS_MODE_FILE_PUBLIC);
	if (l->fd < 0) {
		snprintf(err, errlen, "pidfile %s: %s", path, strerror(errno));
		goto fail;
	}
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(l->fd, F_SETLK, &fl) != 0) {
		n = (int)pread(l->fd, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		snprintf(err, errlen, "Already running with PID=%s", buf);
		goto fail;
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(l->fd, 0) != 0 || pwrite(l->fd, buf, (size_t)n, 0) != n) {
		snprintf(err, errlen, "pidfile %s: %s", path, strerror(errno));
		goto fail;
	}
	l->path = util_strdup(path);
	return l;
fail:
	if (l->fd >= 0)
		close(l->fd);
	free(l);
	return NULL;
}

int
daemon_lock_probe(const char *path, long *pid)
{
	struct flock fl;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	rc = fcntl(fd, F_GETLK, &fl) != 0 ? -errno :
	    fl.l_type != F_UNLCK ? 1 : 0;
	if (rc == 1)
		*pid = (long)fl.l_pid;
	close(fd);
	return rc;
}

void
daemon_lock_release(struct daemon_lock *l)
{
	if (!l)
		return;
	if (l->path)
		unlink(l->path);
	close(l->fd);
	free(l->path);
	free(l);
}

int
daemon_service_install(int argc, char **argv, char *err, size_t errlen)
{
	(void)argc;
	(void)argv;
	snprintf(err, errlen, "%s is for Windows; here install the systemd "
	    "unit (packaging/systemd)", DAEMON_INSTALL_ARG);
	return -1;
}

int
daemon_service_uninstall(char *err, size_t errlen)
{
	snprintf(err, errlen, "%s is for Windows; here remove the systemd "
	    "unit (packaging/systemd)", DAEMON_UNINSTALL_ARG);
	return -1;
}
