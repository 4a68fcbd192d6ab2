/* exec_none.c: exec.h's platform half on Windows until the real one
 * (CreateProcess, a Job Object per transaction, the wrapper) lands with
 * the exec interface of issue 10. Every action fails to start with a
 * message saying so; echo, ping, status and the spool work without it.
 * Like os/cgroup_none.c: a sibling to delete, not to grow. */
#include <errno.h>
#include <stdio.h>

#include "exec/exec.h"

#define EXEC_NONE_WHY "running actions is not supported on Windows yet"

struct exec_child *
exec_start(uv_loop_t *loop, const struct exec_spec *spec, exec_done_cb done,
    void *arg, char *err, size_t errlen)
{
	(void)loop;
	(void)spec;
	(void)done;
	(void)arg;
	snprintf(err, errlen, "%s", EXEC_NONE_WHY);
	return NULL;
}

struct exec_child *
exec_adopt(uv_loop_t *loop, const char *result_dir, exec_done_cb done,
    void *arg, char *err, size_t errlen)
{
	(void)loop;
	(void)result_dir;
	(void)done;
	(void)arg;
	snprintf(err, errlen, "%s", EXEC_NONE_WHY);
	return NULL;
}

int
exec_cancel(struct exec_child *c)
{
	(void)c;
	return -ENOSYS;
}

void
exec_abandon(struct exec_child *c)
{
	(void)c;
}

int
exec_result_alive(const char *result_dir, long *pid)
{
	/* No wrapper ever runs here, so none has written a pid file. */
	(void)result_dir;
	if (pid)
		*pid = 0;
	return -ENOENT;
}

int
exec_wrapper_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "pxpd: %s\n", EXEC_NONE_WHY);
	return EXEC_EXIT_NOT_STARTED;
}
