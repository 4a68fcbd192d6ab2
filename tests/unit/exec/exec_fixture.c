/* exec_fixture.c: the fixture of exec_fixture.h, shared by test_exec.c
 * and test_sandbox.c. Test-only POSIX code (kill, usleep, mkdtemp). Not
 * the tests themselves: each file keeps its own cases and checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exec_fixture.h"

/* A copy of len bytes and the NUL the exec layer puts after them. */
static char *
copy_output(const char *s, size_t len)
{
	char *c;

	if (s == NULL)
		return NULL;
	assert_int_equal(s[len], '\0');
	c = malloc(len + 1);
	assert_non_null(c);
	memcpy(c, s, len + 1);
	return c;
}

static void
forget(struct exec_fixture *f)
{
	free(f->out);
	free(f->err);
	f->out = f->err = NULL;
	memset(&f->r, 0, sizeof(f->r));
	f->calls = 0;
}

void
exec_fixture_on_done(void *arg, const struct exec_result *r)
{
	struct exec_fixture *f = arg;

	f->calls++;
	free(f->out);
	free(f->err);
	f->r = *r;
	f->r.out = f->out = copy_output(r->out, r->out_len);
	f->r.err = f->err = copy_output(r->err, r->err_len);
}

int
exec_fixture_setup(void **state)
{
	struct exec_fixture *f = calloc(1, sizeof(*f));
	const char *bin = getenv("PXPD_BIN");
	char err[256];

	assert_non_null(f);
	/* The test binary is not pxpd: the wrapper is the real binary. */
	assert_non_null(bin);
	if ((f->wrapper = exec_wrapper_open(bin, err, sizeof(err))) == NULL)
		fail_msg("exec_wrapper_open: %s", err);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	strcpy(f->dir, "/tmp/pxpd-test-exec-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	*state = f;
	return 0;
}

int
exec_fixture_teardown(void **state)
{
	struct exec_fixture *f = *state;
	char cmd[128];

	/* No handle may be left behind by the exec layer. */
	assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	forget(f);
	exec_wrapper_close(f->wrapper);
	free(f);
	return 0;
}

struct exec_child *
exec_fixture_start(struct exec_fixture *f, const struct exec_spec *spec)
{
	struct exec_spec copy = *spec;
	char err[256] = "";
	struct exec_child *c;

	forget(f);
	if (copy.wrapper == NULL)
		copy.wrapper = f->wrapper;
	c = exec_start(&f->loop, &copy, exec_fixture_on_done, f, err,
	    sizeof(err));
	if (c == NULL)
		fail_msg("exec_start: %s", err);
	return c;
}

void
exec_fixture_wait(struct exec_fixture *f)
{
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(f->calls, 1);
}

void
exec_fixture_run(struct exec_fixture *f, const struct exec_spec *spec)
{
	exec_fixture_start(f, spec);
	exec_fixture_wait(f);
}

char *
exec_fixture_slurp(const char *dir, const char *name, size_t *len)
{
	char path[256], *buf;
	FILE *fp;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "r")) == NULL)
		return NULL;
	buf = calloc(1, 1 << 20);
	assert_non_null(buf);
	n = fread(buf, 1, (1 << 20) - 1, fp);
	fclose(fp);
	if (len != NULL)
		*len = n;
	return buf;
}

void
exec_fixture_stat(const char *dir, const char *name, struct stat *st)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (stat(path, st) != 0)
		fail_msg("stat %s: %s", path, strerror(errno));
}

/* kill(target, 0) until ESRCH, for up to 3 s. */
static bool
gone(pid_t target)
{
	int i;

	for (i = 0; i < 300; i++) {
		if (kill(target, 0) < 0 && errno == ESRCH)
			return true;
		usleep(10000);
	}
	return false;
}

bool
exec_fixture_group_gone(long pgid)
{
	return pgid > 1 && gone(-(pid_t)pgid);
}

bool
exec_fixture_pid_gone(long pid)
{
	return pid > 1 && gone((pid_t)pid);
}
