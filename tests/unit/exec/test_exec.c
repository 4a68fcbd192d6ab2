/* test_exec.c: running actions through the real wrapper (the pxpd binary
 * named by PXPD_BIN) on a real libuv loop: exit codes, stdin, output in
 * memory and in result files, output caps, timeouts and cancels killing
 * the whole process tree, exec failures. Adopting a wrapper again and
 * whether the wrapper of a result dir lives are test_exec_adopt.c's;
 * the job codec is in test_exec_job.c; the fixture (loop, temp dir,
 * outcome) is exec_fixture.c, shared with test_sandbox.c. Each test ends
 * with uv_loop_close() == 0. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <uv.h>

#include "exec/exec.h"
#include "os/posix/exec_posix.h"   /* EXEC__KILL_GRACE_S */
#include "exec_fixture.h"

static mode_t
file_mode(const char *dir, const char *name)
{
	struct stat st;

	exec_fixture_stat(dir, name, &st);
	return st.st_mode & 07777;
}

/* ---- blocking -------------------------------------------------------- */

static void
exec_blocking_exit_code_and_output(void **state)
{
	struct exec_fixture *f = *state;
	const char *args[] = { "-c", "echo out; echo err >&2; exit 3", NULL };
	struct exec_spec spec = { .executable = "/bin/sh", .args = args };

	exec_fixture_run(f, &spec);
	assert_int_equal(f->r.exitcode, 3);
	assert_string_equal(f->out, "out\n");
	assert_int_equal(f->r.out_len, 4);
	assert_string_equal(f->err, "err\n");
	assert_false(f->r.out_truncated);
	assert_false(f->r.err_truncated);
	assert_false(f->r.timed_out);
	assert_false(f->r.cancelled);
}

static void
exec_blocking_stdin_reaches_action(void **state)
{
	struct exec_fixture *f = *state;
	const char *input = "{\"message\":\"hello\"}\n\xc3\xa9";
	struct exec_spec spec = { .executable = "cat", .input = input,
	    .input_len = strlen(input) };

	exec_fixture_run(f, &spec);
	assert_int_equal(f->r.exitcode, 0);
	assert_string_equal(f->out, input);
}

static void
exec_blocking_env_args_and_cwd(void **state)
{
	struct exec_fixture *f = *state;
	char cwd[128];
	const char *args[] = { "-c", "printf '%s|%s|%s|' \"$PXPD_T\" \"$1\" "
	    "\"$HOME\"; pwd", "sh", "an arg with spaces", NULL };
	const char *env[] = { "PXPD_T=set", "HOME=/nowhere", NULL };
	struct exec_spec spec = { .executable = "/bin/sh", .args = args,
	    .env = env, .cwd = cwd };
	char want[256];

	snprintf(cwd, sizeof(cwd), "%s/work", f->dir);
	exec_fixture_run(f, &spec);
	snprintf(want, sizeof(want), "set|an arg with spaces|/nowhere|%s\n",
	    cwd);
	assert_string_equal(f->out, want);
	/* An explicit cwd is created and left in place. */
	assert_int_equal(access(cwd, F_OK), 0);
}

static void
exec_blocking_private_tmp_dir_removed(void **state)
{
	struct exec_fixture *f = *state;
	const char *args[] = { "-c", "pwd; touch leftover; mkdir sub; "
	    "touch sub/x", NULL };
	struct exec_spec spec = { .executable = "/bin/sh", .args = args };

	exec_fixture_run(f, &spec);
	assert_int_equal(f->r.exitcode, 0);
	assert_non_null(strstr(f->out, "/pxpd-exec-"));
	f->out[strlen(f->out) - 1] = '\0';
	assert_int_equal(access(f->out, F_OK), -1);
	assert_int_equal(errno, ENOENT);
}

static void
exec_blocking_big_input_not_read(void **state)
{
	struct exec_fixture *f = *state;
	size_t n = 8u << 20;
	char *input = malloc(n);
	const char *args[] = { "-c", "exit 0", NULL };
	struct exec_spec spec = { .executable = "/bin/sh", .args = args,
	    .timeout_s = 30 };

	assert_non_null(input);
	memset(input, 'x', n);
	spec.input = input;
	spec.input_len = n;
	exec_fixture_run(f, &spec);
	free(input);
	assert_int_equal(f->r.exitcode, 0);
	assert_false(f->r.timed_out);
}

static void
exec_blocking_big_input_read(void **state)
{
	struct exec_fixture *f = *state;
	size_t n = 8u << 20;
	char *input = malloc(n);
	struct exec_spec spec = { .executable = "wc", .timeout_s = 30 };
	const char *args[] = { "-c", NULL };

	assert_non_null(input);
	memset(input, 'y', n);
	spec.args = args;
	spec.input = input;
	spec.input_len = n;
	exec_fixture_run(f, &spec);
	free(input);
	assert_int_equal(f->r.exitcode, 0);
	assert_int_equal(atol(f->out), (long)n);
}

static void
exec_blocking_output_cap(void **state)
{
	struct exec_fixture *f = *state;
	const char *args[] = { "-c", "yes | head -c 10485760; "
	    "yes e | head -c 100 >&2", NULL };
	struct exec_spec spec = { .executable = "/bin/sh", .args = args,
	    .output_cap = 1u << 20, .timeout_s = 30 };

	exec_fixture_run(f, &spec);
	assert_int_equal(f->r.exitcode, 0);
	assert_true(f->r.out_truncated);
	assert_int_equal(f->r.out_len, 1u << 20);
	assert_int_equal(strlen(f->out), 1u << 20);
	assert_memory_equal(f->out, "y\ny\ny\n", 6);
	assert_false(f->r.err_truncated);
	assert_int_equal(f->r.err_len, 100);
}

static void
exec_blocking_exact_cap_not_truncated(void **state)
{
	struct exec_fixture *f = *state;
	const char *args[] = { "-c", "printf 12345678", NULL };
	struct exec_spec spec = { .executable = "/bin/sh", .args = args,
	    .output_cap = 8 };

	exec_fixture_run(f, &spec);
	assert_string_equal(f->out, "12345678");
	assert_false(f->r.out_truncated);
}

static void
exec_blocking_not_found(void **state)
{
	struct exec_fixture *f = *state;
	struct exec_spec spec = { .executable = "/nonexistent/pxpd-nothing" };

	exec_fixture_run(f, &spec);
	assert_int_equal(f->r.exitcode, EXEC_EXIT_NOT_STARTED);
	assert_string_equal(f->out, "");
	assert_non_null(strstr(f->err, "Executable '/nonexistent/pxpd-"
	    "nothing' failed to run: No such file or directory"));
}

static void
exec_blocking_killed_by_signal(void **state)
{
	struct exec_fixture *f = *state;
	const char *args[] = { "-c", "kill -9 $$", NULL };
	struct exec_spec spec = { .executable = "/bin/sh", .args = args };

	exec_fixture_run(f, &spec);
	assert_int_equal(f->r.exitcode, 128 + SIGKILL);
}

/* Whatever pxpd's umask, the action runs with 077 (the sandbox: what
 * it creates is its own alone); test_sandbox.c checks the file modes. */
static void
exec_action_umask_077(void **state)
{
	struct exec_fixture *f = *state;
	const char *args[] = { "-c", "umask", NULL };
	struct exec_spec spec = { .executable = "/bin/sh", .args = args };
	mode_t old = umask(022);

	exec_fixture_run(f, &spec);
	umask(old);
	assert_string_equal(f->out, "0077\n");
}

/* A background child keeping the output pipe open does not hold the
 * result hostage: the wrapper reports after a short drain. */
static void
exec_blocking_background_child_holding_pipe(void **state)
{
	struct exec_fixture *f = *state;
	char script[256], *s;
	const char *args[] = { "-c", script, NULL };
	struct exec_spec spec = { .executable = "/bin/sh", .args = args };
	uint64_t t0 = uv_hrtime();
	long bg = 0;

	snprintf(script, sizeof(script), "sleep 30 & echo $! > %s/bg; "
	    "echo hi", f->dir);
	exec_fixture_run(f, &spec);
	assert_int_equal(f->r.exitcode, 0);
	assert_string_equal(f->out, "hi\n");
	assert_true(uv_hrtime() - t0 < 10000000000ull);
	s = exec_fixture_slurp(f->dir, "bg", NULL);
	assert_non_null(s);
	bg = atol(s);
	free(s);
	assert_true(bg > 1);
	kill((pid_t)bg, SIGKILL);
}

/* Nothing pxpd had open reaches the wrapper or the action. */
static void
exec_fds_not_inherited(void **state)
{
	struct exec_fixture *f = *state;
	const char *args[] = { "-c", "for p in $$ $PPID; do "
	    "[ -e /proc/$p/fd/200 ] && echo leak $p; done; echo checked",
	    NULL };
	struct exec_spec spec = { .executable = "/bin/sh", .args = args,
	    .result_dir = f->dir };
	int fd;
	char *s;

	if (access("/proc/self/fd", F_OK) != 0)
		skip();
	fd = open("/dev/null", O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(dup2(fd, 200), 200);
	close(fd);
	exec_fixture_run(f, &spec);
	close(200);
	s = exec_fixture_slurp(f->dir, "stdout", NULL);
	assert_string_equal(s, "checked\n");
	free(s);
}

/* ---- timeouts and cancel --------------------------------------------- */

static void
read_pids(struct exec_fixture *f, pid_t *leader, pid_t *bg)
{
	char *s = exec_fixture_slurp(f->dir, "pids", NULL);
	long a = 0, b = 0;

	assert_non_null(s);
	assert_int_equal(sscanf(s, "%ld %ld", &a, &b), 2);
	free(s);
	assert_true(a > 1 && b > 1);
	*leader = (pid_t)a;
	*bg = (pid_t)b;
}

static void
exec_timeout_kills_tree(void **state)
{
	struct exec_fixture *f = *state;
	char script[256];
	const char *args[] = { "-c", script, NULL };
	struct exec_spec spec = { .executable = "/bin/sh", .args = args,
	    .timeout_s = 1 };
	uint64_t t0 = uv_hrtime();
	pid_t leader, bg;

	snprintf(script, sizeof(script), "sleep 100 & echo $$ $! > %s/pids; "
	    "echo started; sleep 100", f->dir);
	exec_fixture_run(f, &spec);
	assert_true(f->r.timed_out);
	assert_false(f->r.cancelled);
	assert_int_equal(f->r.exitcode, 128 + SIGTERM);
	assert_string_equal(f->out, "started\n");
	/* SIGTERM was enough: no grace period spent. */
	assert_true(uv_hrtime() - t0 < 4000000000ull);
	read_pids(f, &leader, &bg);
	/* The action led its own group; nothing of it is left. */
	assert_true(exec_fixture_group_gone(leader));
	assert_true(exec_fixture_pid_gone(bg));
}

static void
exec_timeout_sigkill_after_grace(void **state)
{
	struct exec_fixture *f = *state;
	char script[256];
	const char *args[] = { "-c", script, NULL };
	struct exec_spec spec = { .executable = "/bin/sh", .args = args,
	    .timeout_s = 1, .result_dir = f->dir };
	uint64_t t0 = uv_hrtime(), dt;
	pid_t leader, bg;
	char *s;

	/* Ignored SIGTERM is inherited: only SIGKILL ends these. */
	snprintf(script, sizeof(script), "trap '' TERM; sleep 100 & "
	    "echo $$ $! > %s/pids; sleep 100", f->dir);
	exec_fixture_run(f, &spec);
	dt = uv_hrtime() - t0;
	assert_true(f->r.timed_out);
	assert_int_equal(f->r.exitcode, 128 + SIGKILL);
	assert_true(dt >= (uint64_t)(1 + EXEC__KILL_GRACE_S) * 1000000000ull -
	    200000000ull);
	read_pids(f, &leader, &bg);
	assert_true(exec_fixture_group_gone(leader));
	assert_true(exec_fixture_pid_gone(bg));
	s = exec_fixture_slurp(f->dir, "stderr", NULL);
	assert_non_null(strstr(s, "timed out after 1 s"));
	free(s);
	assert_int_equal(access(f->dir, F_OK), 0);
	s = exec_fixture_slurp(f->dir, "timed_out", NULL);
	assert_non_null(s);
	free(s);
}

struct cancel_ctx {
	struct exec_fixture *f;
	struct exec_child *c;
	uv_timer_t timer;
	int tries;
};

/* Cancels once the action has recorded its pids (it is surely running). */
static void
cancel_on_timer(uv_timer_t *t)
{
	struct cancel_ctx *x = t->data;
	char *s = exec_fixture_slurp(x->f->dir, "pids", NULL);
	bool ready = s != NULL && strchr(s, '\n') != NULL;

	free(s);
	if (!ready && ++x->tries < 500)
		return;
	assert_int_equal(exec_cancel(x->c), 0);
	uv_close((uv_handle_t *)t, NULL);
}

static void
cancel_case(struct exec_fixture *f, bool nonblocking)
{
	char script[256];
	const char *args[] = { "-c", script, NULL };
	struct exec_spec spec = { .executable = "/bin/sh", .args = args,
	    .result_dir = nonblocking ? f->dir : NULL };
	struct cancel_ctx x = { .f = f };
	pid_t leader, bg;

	snprintf(script, sizeof(script), "sleep 100 & echo $$ $! > %s/pids; "
	    "sleep 100", f->dir);
	x.c = exec_fixture_start(f, &spec);
	uv_timer_init(&f->loop, &x.timer);
	x.timer.data = &x;
	uv_timer_start(&x.timer, cancel_on_timer, 10, 10);
	exec_fixture_wait(f);
	assert_true(f->r.cancelled);
	assert_false(f->r.timed_out);
	assert_int_equal(f->r.exitcode, 128 + SIGTERM);
	read_pids(f, &leader, &bg);
	assert_true(exec_fixture_group_gone(leader));
	assert_true(exec_fixture_pid_gone(bg));
}

static void
exec_cancel_blocking_kills_tree(void **state)
{
	cancel_case(*state, false);
}

static void
exec_cancel_nonblocking_kills_tree(void **state)
{
	struct exec_fixture *f = *state;
	char *s;

	cancel_case(f, true);
	s = exec_fixture_slurp(f->dir, "exitcode", NULL);
	assert_string_equal(s, "143");
	free(s);
}

/* ---- non-blocking ---------------------------------------------------- */

static void
exec_nonblocking_result_files(void **state)
{
	struct exec_fixture *f = *state;
	const char *args[] = { "-c", "echo out; echo err >&2; echo $PPID > "
	    "\"$D/ppid\"; exit 7", NULL };
	char env0[128];
	const char *env[] = { env0, NULL };
	struct exec_spec spec = { .executable = "/bin/sh", .args = args,
	    .env = env, .result_dir = f->dir };
	char *s, *p;
	size_t len;

	snprintf(env0, sizeof(env0), "D=%s", f->dir);
	exec_fixture_run(f, &spec);
	assert_int_equal(f->r.exitcode, 7);
	assert_null(f->r.out);
	s = exec_fixture_slurp(f->dir, "exitcode", &len);
	assert_string_equal(s, "7");
	free(s);
	s = exec_fixture_slurp(f->dir, "stdout", NULL);
	assert_string_equal(s, "out\n");
	free(s);
	s = exec_fixture_slurp(f->dir, "stderr", NULL);
	assert_string_equal(s, "err\n");
	free(s);
	/* pid names the wrapper, the action's parent, on its first line
	 * (what pxp-agent reads); the wrapper's identity follows. */
	s = exec_fixture_slurp(f->dir, "pid", NULL);
	p = exec_fixture_slurp(f->dir, "ppid", NULL);
	assert_non_null(s);
	assert_non_null(p);
	assert_int_equal(s[strlen(s) - 1], '\n');
	assert_memory_equal(s, p, strlen(p));
	assert_non_null(strchr(s + strlen(p), ' '));
	free(s);
	free(p);
	assert_int_equal(file_mode(f->dir, "pid"), 0600);
	assert_int_equal(file_mode(f->dir, "stdout"), 0600);
	assert_int_equal(file_mode(f->dir, "stderr"), 0600);
	assert_int_equal(file_mode(f->dir, "exitcode"), 0600);
	assert_int_equal(access(f->dir, F_OK), 0);
	s = exec_fixture_slurp(f->dir, "timed_out", NULL);
	assert_null(s);
}

static void
exec_nonblocking_output_cap_marker(void **state)
{
	struct exec_fixture *f = *state;
	const char *args[] = { "-c", "yes | head -c 300000", NULL };
	struct exec_spec spec = { .executable = "/bin/sh", .args = args,
	    .result_dir = f->dir, .output_cap = 1000 };
	char *s;
	size_t len;

	exec_fixture_run(f, &spec);
	assert_int_equal(f->r.exitcode, 0);
	s = exec_fixture_slurp(f->dir, "stdout", &len);
	assert_int_equal(len, 1000 + strlen("\n[pxpd: output truncated after "
	    "1000 bytes]\n"));
	assert_string_equal(s + 1000, "\n[pxpd: output truncated after 1000 "
	    "bytes]\n");
	free(s);
}

static void
exec_nonblocking_not_found(void **state)
{
	struct exec_fixture *f = *state;
	struct exec_spec spec = { .executable = "pxpd-no-such-command",
	    .result_dir = f->dir };
	char *s;

	exec_fixture_run(f, &spec);
	assert_int_equal(f->r.exitcode, EXEC_EXIT_NOT_STARTED);
	s = exec_fixture_slurp(f->dir, "stderr", NULL);
	assert_non_null(strstr(s, "Executable 'pxpd-no-such-command' failed "
	    "to run: No such file or directory"));
	free(s);
	s = exec_fixture_slurp(f->dir, "exitcode", NULL);
	assert_string_equal(s, "127");
	free(s);
}

/* An external module writes its own files; the wrapper leaves its output
 * but the exit code that counts is the process's (modules.md §1, issue 8):
 * it replaces the one the module wrote. */
static void
exec_nonblocking_action_writes_output(void **state)
{
	struct exec_fixture *f = *state;
	char script[256];
	const char *args[] = { "-c", script, NULL };
	struct exec_spec spec = { .executable = "/bin/sh", .args = args,
	    .result_dir = f->dir, .action_writes_output = true };
	char *s;

	snprintf(script, sizeof(script), "echo lost; printf mine > %s/stdout; "
	    "printf 0 > %s/" EXEC_FILE_MODULE_EXITCODE "; exit 5", f->dir,
	    f->dir);
	exec_fixture_run(f, &spec);
	s = exec_fixture_slurp(f->dir, "stdout", NULL);
	assert_string_equal(s, "mine");
	free(s);
	s = exec_fixture_slurp(f->dir, "exitcode", NULL);
	assert_string_equal(s, "5");
	free(s);
	/* the module's own, beside the wrapper's */
	s = exec_fixture_slurp(f->dir, EXEC_FILE_MODULE_EXITCODE, NULL);
	assert_string_equal(s, "0");
	free(s);
	assert_int_equal(f->r.exitcode, 5);
}

static void
exec_abandon_blocking_no_callback(void **state)
{
	struct exec_fixture *f = *state;
	const char *args[] = { "-c", "echo hi", NULL };
	struct exec_spec spec = { .executable = "/bin/sh", .args = args };

	exec_abandon(exec_fixture_start(f, &spec));
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(f->calls, 0);
}

#define T(name) cmocka_unit_test_setup_teardown(name, exec_fixture_setup, \
    exec_fixture_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(exec_blocking_exit_code_and_output),
		T(exec_blocking_stdin_reaches_action),
		T(exec_blocking_env_args_and_cwd),
		T(exec_blocking_private_tmp_dir_removed),
		T(exec_blocking_big_input_not_read),
		T(exec_blocking_big_input_read),
		T(exec_blocking_output_cap),
		T(exec_blocking_exact_cap_not_truncated),
		T(exec_blocking_not_found),
		T(exec_blocking_killed_by_signal),
		T(exec_blocking_background_child_holding_pipe),
		T(exec_fds_not_inherited),
		T(exec_action_umask_077),
		T(exec_timeout_kills_tree),
		T(exec_timeout_sigkill_after_grace),
		T(exec_cancel_blocking_kills_tree),
		T(exec_cancel_nonblocking_kills_tree),
		T(exec_nonblocking_result_files),
		T(exec_nonblocking_output_cap_marker),
		T(exec_nonblocking_not_found),
		T(exec_nonblocking_action_writes_output),
		T(exec_abandon_blocking_no_callback),
	};

	/* The wrapper's SIGTERM handling is exercised in the wrapper; here
	 * a dead pipe must not kill the test. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
