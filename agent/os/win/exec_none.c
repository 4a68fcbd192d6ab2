/* exec_none.c: exec.h's platform half on Windows until the real one
 * (CreateProcess, a Job Object per transaction, the wrapper) lands with
 * the exec interface of issue 10. Every action fails to start with a
 * message saying so; echo, ping, status and the spool work without it.
 * Like os/cgroup_none.c: a sibling to delete, not to grow. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "exec/exec_int.h"
#include "os/os.h"
#include "base/util.h"

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

/* The wrapper binary: nothing to hold open while no action can start. */
struct exec_wrapper *
exec_wrapper_open(const char *path, char *err, size_t errlen)
{
	(void)path;
	snprintf(err, errlen, "%s", EXEC_NONE_WHY);
	return NULL;
}

void
exec_wrapper_close(struct exec_wrapper *w)
{
	(void)w;
}

/* Read as on POSIX (the format is exec/result.c's), through os.h. */
int
exec_result_exitcode(const char *result_dir, int *code)
{
	char *path = util_asprintf("%s/%s", result_dir, EXEC__FILE_EXITCODE);
	char *text = NULL;
	size_t len = 0;
	bool cut = false;
	int rc = path ? os_read_file(path, false, 64, &text, &len, &cut) :
	    -ENOMEM;

	free(path);
	if (rc == 0)
		rc = !cut && exec__exitcode_parse(text, len, code) == 0 ? 0 :
		    -EINVAL;
	free(text);
	return rc == -ENOENT ? -ENOENT : rc;
}
