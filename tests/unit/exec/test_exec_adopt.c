/* test_exec_adopt.c: a restarted pxpd's view of wrappers an earlier one
 * started (issue 10 items 1 and 5), through the real wrapper (PXPD_BIN)
 * on a real libuv loop: adopting a running wrapper again and noticing
 * its end at once, whether the wrapper of a result dir lives
 * (exec_result_alive), and that a pid which is no longer that wrapper (a
 * reused pid, another boot) is neither adopted nor signalled. The
 * fixture is exec_fixture.c. Each test ends with uv_loop_close() == 0. */
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#endif

#include <uv.h>

#include "exec/exec.h"
#include "os/posix/exec_posix.h"   /* the identity a pid file holds */
#include "exec_fixture.h"

/* Wall-clock bounds scale with the build: PXPD_TEST_SLOW (sanitizers),
 * and tenfold under valgrind (its preload is in our environment). */
static double
slow(void)
{
	const char *s = getenv("PXPD_TEST_SLOW"), *pre = getenv("LD_PRELOAD");
	double v = s != NULL ? atof(s) : 1.0;

	if (pre != NULL && strstr(pre, "vgpreload") != NULL && v < 10.0)
		v = 10.0;
	return v >= 1.0 ? v : 1.0;
}

static void
exit_noop(uv_process_t *p, int64_t status, int sig)
{
	(void)status;
	(void)sig;
	uv_close((uv_handle_t *)p, NULL);
}

/* ---- adopt ----------------------------------------------------------- */

static void
adopt(struct exec_fixture *f)
{
	char err[256] = "";
	struct exec_child *c = exec_adopt(&f->loop, f->dir,
	    exec_fixture_on_done, f, err, sizeof(err));

	if (c == NULL)
		fail_msg("exec_adopt: %s", err);
	/* Never from inside exec_adopt. */
	assert_int_equal(f->calls, 0);
}

/* exec_start writes the pid file before it returns; an older wrapper
 * wrote it itself, a moment later. */
static void
wait_pid_file(struct exec_fixture *f)
{
	char *s = NULL;
	int i;

	for (i = 0; i < 500; i++) {
		if ((s = exec_fixture_slurp(f->dir, "pid", NULL)) != NULL)
			break;
		usleep(10000);
	}
	assert_non_null(s);
	free(s);
}

static void
exec_adopt_running_wrapper(void **state)
{
	struct exec_fixture *f = *state;
	const char *args[] = { "-c", "sleep 1; echo late; exit 5", NULL };
	struct exec_spec spec = { .executable = "/bin/sh", .args = args,
	    .result_dir = f->dir };
	struct exec_child *c;
	char *s = NULL;

	c = exec_fixture_start(f, &spec);
	/* As pxpd stopping: no callback, the wrapper carries on. */
	exec_abandon(c);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(f->calls, 0);
	wait_pid_file(f);
	s = exec_fixture_slurp(f->dir, "exitcode", NULL);
	assert_null(s);
	adopt(f);
	exec_fixture_wait(f);
	assert_int_equal(f->r.exitcode, 5);
	assert_false(f->r.cancelled);
	s = exec_fixture_slurp(f->dir, "stdout", NULL);
	assert_string_equal(s, "late\n");
	free(s);
}

static void
exec_adopt_already_finished(void **state)
{
	struct exec_fixture *f = *state;
	FILE *fp;
	char path[128];

	snprintf(path, sizeof(path), "%s/exitcode", f->dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("0\n", fp);
	fclose(fp);
	adopt(f);
	exec_fixture_wait(f);
	assert_int_equal(f->r.exitcode, 0);
}

static void
exec_adopt_dead_without_exitcode(void **state)
{
	struct exec_fixture *f = *state;
	uv_process_t p;
	uv_process_options_t opt = { 0 };
	char *argv[] = { "/bin/true", NULL }, path[128];
	FILE *fp;

	/* A pid that surely was a process and is now reaped. */
	opt.file = argv[0];
	opt.args = argv;
	opt.exit_cb = exit_noop;
	assert_int_equal(uv_spawn(&f->loop, &p, &opt), 0);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_false(exec__pid_alive(p.pid));
	snprintf(path, sizeof(path), "%s/pid", f->dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fprintf(fp, "%d\n", p.pid);
	fclose(fp);
	adopt(f);
	exec_fixture_wait(f);
	assert_int_equal(f->r.exitcode, -1);
}

static void
exec_adopt_nothing_to_watch(void **state)
{
	struct exec_fixture *f = *state;
	char err[256] = "";

	assert_null(exec_adopt(&f->loop, f->dir, exec_fixture_on_done, f, err,
	    sizeof(err)));
	assert_non_null(strstr(err, "pid"));
}

static void
exec_pid_alive_cases(void **state)
{
	(void)state;
	assert_true(exec__pid_alive(getpid()));
	assert_true(exec__pid_alive(1));   /* EPERM or ours: alive */
	assert_false(exec__pid_alive(0));
	assert_false(exec__pid_alive(-5));
	assert_false(exec__pid_alive((long)INT32_MAX + 10));
}

/* ---- exec_result_alive ------------------------------------------ */

static void
put(const char *dir, const char *name, const char *text)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void
put_pid(const char *dir, long pid)
{
	char text[32];

	snprintf(text, sizeof(text), "%ld\n", pid);
	put(dir, "pid", text);
}

/* The wrapper of a running action is alive; once it ended, it is not. */
static void
exec_result_alive_wrapper(void **state)
{
	struct exec_fixture *f = *state;
	const char *args[] = { "-c", "sleep 30", NULL };
	struct exec_spec spec = { .executable = "/bin/sh", .args = args,
	    .result_dir = f->dir };
	struct exec_child *c = exec_fixture_start(f, &spec);
	long pid = 0;

	wait_pid_file(f);
	assert_int_equal(exec_result_alive(f->dir, &pid), 1);
	assert_true(pid > 1);
	assert_int_equal(exec_cancel(c), 0);
	exec_fixture_wait(f);
	assert_true(f->r.cancelled);
	assert_int_equal(exec_result_alive(f->dir, NULL), 0);
}

static void
exec_result_alive_dead_pid(void **state)
{
	struct exec_fixture *f = *state;
	uv_process_t p;
	uv_process_options_t opt = { 0 };
	char *argv[] = { "/bin/true", NULL };
	long pid = 0;

	/* A pid that surely was a process and is now reaped. */
	opt.file = argv[0];
	opt.args = argv;
	opt.exit_cb = exit_noop;
	assert_int_equal(uv_spawn(&f->loop, &p, &opt), 0);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	put_pid(f->dir, p.pid);
	assert_int_equal(exec_result_alive(f->dir, &pid), 0);
	assert_int_equal(pid, p.pid);
}

/* No pid file, or none of ours: never "alive", and never a hang. */
static void
exec_result_alive_no_pid(void **state)
{
	struct exec_fixture *f = *state;
	char path[256], target[256], big[200];
	long pid = -99;

	assert_int_equal(exec_result_alive(f->dir, &pid), -ENOENT);
	put(f->dir, "pid", "abc\n");
	assert_int_equal(exec_result_alive(f->dir, &pid), -EINVAL);
	put(f->dir, "pid", "1\n");         /* init: never a wrapper */
	assert_int_equal(exec_result_alive(f->dir, &pid), -EINVAL);
	memset(big, ' ', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "1234", 4);
	put(f->dir, "pid", big);            /* longer than a pid file */
	assert_int_equal(exec_result_alive(f->dir, &pid), -EINVAL);
	assert_int_equal(pid, -99);
	snprintf(path, sizeof(path), "%s/pid", f->dir);
	snprintf(target, sizeof(target), "%s/elsewhere", f->dir);
	put(f->dir, "elsewhere", "1234\n");
	assert_int_equal(unlink(path), 0);
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(exec_result_alive(f->dir, &pid), -EINVAL);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(exec_result_alive(f->dir, &pid), -EINVAL);
	assert_int_equal(pid, -99);
}

/* ---- a stranger's pid (issue 10 item 1) ---------------------------- */

struct stranger {
	uv_process_t p;
	bool exited;
};

static void
stranger_exit(uv_process_t *p, int64_t status, int sig)
{
	struct stranger *s = p->data;

	(void)status;
	(void)sig;
	s->exited = true;
	uv_close((uv_handle_t *)p, NULL);
}

/* A live process that is not a wrapper, as a reused pid would be. */
static void
stranger_start(struct exec_fixture *f, struct stranger *s)
{
	uv_process_options_t opt = { 0 };
	char *argv[] = { "/bin/sleep", "30", NULL };

	memset(s, 0, sizeof(*s));
	opt.file = argv[0];
	opt.args = argv;
	opt.exit_cb = stranger_exit;
	assert_int_equal(uv_spawn(&f->loop, &s->p, &opt), 0);
	s->p.data = s;
}

static void
stranger_stop(struct exec_fixture *f, struct stranger *s)
{
	/* Still there: nobody signalled it. */
	assert_false(s->exited);
	assert_int_equal(uv_process_kill(&s->p, SIGKILL), 0);
	while (!s->exited)
		uv_run(&f->loop, UV_RUN_ONCE);
}

static void
put_pid_file(const char *dir, long pid, const char *boot_id,
    unsigned long long start)
{
	struct exec__pid_file pf;
	char text[EXEC__PID_FILE_MAX];

	memset(&pf, 0, sizeof(pf));
	pf.pid = pid;
	pf.has_id = boot_id != NULL;
	if (boot_id != NULL) {
		snprintf(pf.id.boot_id, sizeof(pf.id.boot_id), "%s", boot_id);
		pf.id.start_time = start;
	}
	assert_true(exec__pid_file_format(&pf, text, sizeof(text)) > 0);
	put(dir, "pid", text);
}

/* Which pid files a live stranger's pid may appear in, and whether
 * exec_result_alive must call it ours: only with its own identity. */
static void
exec_result_alive_other_process(void **state)
{
	struct exec_fixture *f = *state;
	struct exec__proc_id id;
	struct stranger s;
	bool exited;

	stranger_start(f, &s);
	/* A pid alone (an older pxpd's file): a live process that is no
	 * wrapper is not ours. */
	put_pid_file(f->dir, s.p.pid, NULL, 0);
	assert_int_equal(exec_result_alive(f->dir, NULL), 0);
	if (exec__proc_id_get(s.p.pid, &id, &exited) == -ENOTSUP) {
		stranger_stop(f, &s);
		skip();
	}
	assert_false(exited);
	/* The pid reused: it started at another time. */
	put_pid_file(f->dir, s.p.pid, id.boot_id, id.start_time + 1);
	assert_int_equal(exec_result_alive(f->dir, NULL), 0);
	/* Written before a reboot. */
	put_pid_file(f->dir, s.p.pid, "00000000-0000-0000-0000-000000000000",
	    id.start_time);
	assert_int_equal(exec_result_alive(f->dir, NULL), 0);
	/* Its very identity: what only a pid file written for it holds. */
	put_pid_file(f->dir, s.p.pid, id.boot_id, id.start_time);
	assert_int_equal(exec_result_alive(f->dir, NULL), 1);
	stranger_stop(f, &s);
}

/* Adopting a result dir whose pid is a stranger's: it ends as lost
 * (exitcode -1), and a cancel sent meanwhile reaches no one. */
static void
exec_adopt_stranger_not_signalled(void **state)
{
	struct exec_fixture *f = *state;
	struct exec__proc_id id;
	struct stranger s;
	struct exec_child *c;
	char err[256];
	bool exited;
	int round;

	stranger_start(f, &s);
	for (round = 0; round < 2; round++) {
		if (round == 0)
			put_pid_file(f->dir, s.p.pid, NULL, 0);
		else if (exec__proc_id_get(s.p.pid, &id, &exited) == 0)
			put_pid_file(f->dir, s.p.pid, id.boot_id,
			    id.start_time + 7);
		else
			break;
		f->calls = 0;
		c = exec_adopt(&f->loop, f->dir, exec_fixture_on_done, f, err,
		    sizeof(err));
		if (c == NULL)
			fail_msg("exec_adopt: %s", err);
		assert_int_equal(exec_cancel(c), 0);
		while (f->calls == 0)
			uv_run(&f->loop, UV_RUN_ONCE);
		assert_int_equal(f->calls, 1);
		assert_int_equal(f->r.exitcode, -1);
		/* SIGTERM would have ended sleep at once. */
		usleep(100000);
		uv_run(&f->loop, UV_RUN_NOWAIT);
		assert_false(s.exited);
	}
	stranger_stop(f, &s);
}

/* ---- the end of an adopted wrapper (issue 10 item 5) --------------- */

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

struct timed {
	struct exec_fixture *f;
	double at;
	int calls;                  /* plain_done's */
	struct exec_result r;       /* plain_done's; no output */
};

static void
timed_done(void *arg, const struct exec_result *r)
{
	struct timed *t = arg;

	t->at = now_s();
	exec_fixture_on_done(t->f, r);
}

/* Noticed within 100 ms of the exitcode appearing, not at a 1 s poll,
 * even though the wrapper, an orphan not reaped by this process, lingers
 * as a zombie (kill(pid, 0) still succeeds on it). */
static void
exec_adopt_end_noticed_at_once(void **state)
{
	struct exec_fixture *f = *state;
	const char *args[] = { "-c", "sleep 0.7; echo late", NULL };
	struct exec_spec spec = { .executable = "/bin/sh", .args = args,
	    .result_dir = f->dir };
	struct timed t = { .f = f };
	struct stat st;
	char err[256], path[128];
	double end;
	int i;

	for (i = 0; i < 3; i++) {
		exec_abandon(exec_fixture_start(f, &spec));
		uv_run(&f->loop, UV_RUN_DEFAULT);
		f->calls = 0;
		assert_non_null(exec_adopt(&f->loop, f->dir, timed_done, &t,
		    err, sizeof(err)));
		exec_fixture_wait(f);
		assert_int_equal(f->r.exitcode, 0);
		snprintf(path, sizeof(path), "%s/exitcode", f->dir);
		assert_int_equal(stat(path, &st), 0);
		end = (double)st.st_mtim.tv_sec + st.st_mtim.tv_nsec / 1e9;
		print_message("adopted end noticed after %.1f ms\n",
		    (t.at - end) * 1000);
		assert_true(t.at - end < 0.1 * slow());
		assert_int_equal(unlink(path), 0);
	}
}

static void
plain_done(void *arg, const struct exec_result *r)
{
	struct timed *t = arg;

	t->at = now_s();
	t->calls++;
	t->r = *r;
}

/* Starts script detached in dir and forgets it, as a pxpd that stops
 * would; 0 once its stdout says it runs (a wrapper signalled before it
 * set its handlers would just die), else -1. No cmocka: also run in a
 * forked child. */
static int
detached_start(uv_loop_t *loop, const struct exec_wrapper *w,
    const char *dir, const char *script)
{
	const char *args[] = { "-c", script, NULL };
	struct exec_spec spec = { .executable = "/bin/sh", .args = args,
	    .result_dir = dir, .wrapper = w };
	struct exec_child *c;
	struct stat st;
	char err[256], path[256];
	int i;

	if ((c = exec_start(loop, &spec, plain_done, NULL, err,
	    sizeof(err))) == NULL)
		return -1;
	exec_abandon(c);
	uv_run(loop, UV_RUN_DEFAULT);
	snprintf(path, sizeof(path), "%s/stdout", dir);
	for (i = 0; i < 1000; i++) {
		if (stat(path, &st) == 0 && st.st_size > 0)
			return 0;
		usleep(10000);
	}
	return -1;
}

/* A cancel reaches an adopted wrapper (through its pidfd where there is
 * one), which takes its action down and records the end. */
static void
exec_adopt_cancel_reaches_wrapper(void **state)
{
	struct exec_fixture *f = *state;
	struct exec_child *c;
	char err[256];

	assert_int_equal(detached_start(&f->loop, f->wrapper, f->dir,
	    "echo up; sleep 30"), 0);
	c = exec_adopt(&f->loop, f->dir, exec_fixture_on_done, f, err,
	    sizeof(err));
	assert_non_null(c);
	assert_int_equal(exec_cancel(c), 0);
	exec_fixture_wait(f);
	assert_true(f->r.cancelled);
	assert_int_equal(f->r.exitcode, 128 + SIGTERM);
}

/* ---- without pidfds (gVisor, kernels before 5.3) ------------------- */

#if defined(__linux__) && defined(SYS_pidfd_open)
/* pidfd_open fails with ENOSYS in this process and its children. */
static int
pidfd_filter_install(void)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		    offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_pidfd_open, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = 4, .filter = code };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0)
		return -1;
	return 0;
}

/* The child's run: 0, 77 (no seccomp: skipped), or the failed step. */
static int
without_pidfd_run(struct exec_fixture *f)
{
	char a[128], b[128], err[256], path[160];
	struct timed t = { 0 };
	struct exec_child *c;
	uv_loop_t loop;
	struct stat st;

	if (pidfd_filter_install() != 0)
		return 77;
	if (exec__pidfd_open(getpid()) != -ENOSYS)
		return 2;
	snprintf(a, sizeof(a), "%s/a", f->dir);
	snprintf(b, sizeof(b), "%s/b", f->dir);
	if (mkdir(a, 0700) != 0 || mkdir(b, 0700) != 0 ||
	    uv_loop_init(&loop) != 0)
		return 3;
	/* Its end noticed at once all the same. */
	if (detached_start(&loop, f->wrapper, a, "echo up; sleep 0.5") != 0 ||
	    exec_adopt(&loop, a, plain_done, &t, err, sizeof(err)) == NULL)
		return 4;
	uv_run(&loop, UV_RUN_DEFAULT);
	snprintf(path, sizeof(path), "%s/exitcode", a);
	if (t.calls != 1 || t.r.exitcode != 0 || stat(path, &st) != 0)
		return 5;
	if (t.at - ((double)st.st_mtim.tv_sec + st.st_mtim.tv_nsec / 1e9) >=
	    0.1 * slow())
		return 6;
	/* A cancel, once its identity was checked again. */
	t.calls = 0;
	if (detached_start(&loop, f->wrapper, b, "echo up; sleep 30") != 0 ||
	    (c = exec_adopt(&loop, b, plain_done, &t, err,
	    sizeof(err))) == NULL || exec_cancel(c) != 0)
		return 7;
	uv_run(&loop, UV_RUN_DEFAULT);
	if (t.calls != 1 || !t.r.cancelled || t.r.exitcode != 128 + SIGTERM)
		return 8;
	return uv_loop_close(&loop) == 0 ? 0 : 9;
}
#endif

/* Where the kernel has no pidfd_open (a seccomp filter makes it so in a
 * child of the test), adoption falls back to the identity: the end is
 * noticed within 100 ms, and a cancel still reaches the wrapper. */
static void
exec_adopt_without_pidfd(void **state)
{
#if defined(__linux__) && defined(SYS_pidfd_open)
	struct exec_fixture *f = *state;
	pid_t pid;
	int st;

	if ((pid = fork()) == 0)
		_exit(without_pidfd_run(f));
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) == 77)
		skip();
	if (WEXITSTATUS(st) != 0)
		fail_msg("step %d failed without pidfd", WEXITSTATUS(st));
#else
	(void)state;
	skip();
#endif
}

#define T(name) cmocka_unit_test_setup_teardown(name, exec_fixture_setup, \
    exec_fixture_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(exec_adopt_running_wrapper),
		T(exec_adopt_already_finished),
		T(exec_adopt_dead_without_exitcode),
		T(exec_adopt_nothing_to_watch),
		T(exec_adopt_stranger_not_signalled),
		T(exec_adopt_end_noticed_at_once),
		T(exec_adopt_cancel_reaches_wrapper),
		T(exec_adopt_without_pidfd),
		cmocka_unit_test(exec_pid_alive_cases),
		T(exec_result_alive_wrapper),
		T(exec_result_alive_dead_pid),
		T(exec_result_alive_other_process),
		T(exec_result_alive_no_pid),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
