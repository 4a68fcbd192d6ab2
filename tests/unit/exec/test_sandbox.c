/* test_sandbox.c: the sandbox every action runs in, through the real
 * wrapper (the pxpd binary named by PXPD_BIN) on a real libuv loop: the
 * environment allow-list, umask 077, no_new_privs, closed descriptors,
 * the private working dir, run-as user (root only), rlimits for memory
 * and processes, killing what a failed or timed-out action left, and
 * cgroup v2 when this machine has a delegated subtree (else: the probe
 * must say why not, and the rlimits are what binds). Each test ends
 * with uv_loop_close() == 0; the fixture (loop, temp dir, outcome) is
 * exec_fixture.c, shared with test_exec.c. */
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
#include <unistd.h>

#include <uv.h>

#include "exec/cgroup.h"
#include "exec/exec.h"
#include "exec/exec_int.h"
#include "exec_fixture.h"

#define MIB (1024ULL * 1024)

/* sh -c script, blocking, with limits l. */
static void
run_sh(struct exec_fixture *f, const char *script,
    const struct exec_limits *l)
{
	const char *args[] = { "-c", script, NULL };
	struct exec_spec spec = { .executable = "/bin/sh", .args = args,
	    .timeout_s = 60 };

	if (l != NULL)
		spec.limits = *l;
	exec_fixture_run(f, &spec);
}

static bool
has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p = text;

	while ((p = strstr(p, line)) != NULL) {
		if ((p == text || p[-1] == '\n') && (p[n] == '\n' ||
		    p[n] == '\0'))
			return true;
		p++;
	}
	return false;
}

static bool
is_root(void)
{
	return geteuid() == 0;
}

/* ---- environment ----------------------------------------------------- */

static void
sandbox_env_allow_list(void **state)
{
	struct exec_fixture *f = *state;
	const char *env[] = { "PT_message=hello", "TZ=Europe/Oslo", NULL };
	const char *args[] = { NULL };
	struct exec_spec spec = { .executable = "env", .args = args,
	    .env = env };
	char want[8192];

	assert_int_equal(setenv("SECRET_TOKEN", "hunter2", 1), 0);
	assert_int_equal(setenv("LC_TIME", "C", 1), 0);
	assert_int_equal(setenv("https_proxy", "http://proxy:3128", 1), 0);
	assert_int_equal(setenv("LD_PRELOAD", "", 1), 0);
	assert_int_equal(setenv("TZ", "UTC", 1), 0);
	exec_fixture_run(f, &spec);
	unsetenv("SECRET_TOKEN");
	unsetenv("LC_TIME");
	unsetenv("https_proxy");
	unsetenv("LD_PRELOAD");
	unsetenv("TZ");
	assert_int_equal(f->r.exitcode, 0);
	assert_null(strstr(f->out, "SECRET_TOKEN"));
	assert_null(strstr(f->out, "hunter2"));
	assert_null(strstr(f->out, "LD_PRELOAD"));
	/* Nor pxpd's own settings. */
	assert_null(strstr(f->out, "PXPD_"));
	snprintf(want, sizeof(want), "PATH=%s", getenv("PATH"));
	assert_true(has_line(f->out, want));
	assert_true(has_line(f->out, "LC_TIME=C"));
	assert_true(has_line(f->out, "https_proxy=http://proxy:3128"));
	assert_true(has_line(f->out, "PT_message=hello"));
	/* The job's entries win over the allow-listed ones. */
	assert_true(has_line(f->out, "TZ=Europe/Oslo"));
	assert_false(has_line(f->out, "TZ=UTC"));
}

static void
sandbox_env_default_path(void **state)
{
	struct exec_fixture *f = *state;
	char *path = strdup(getenv("PATH"));
	const char *args[] = { NULL };
	struct exec_spec spec = { .executable = "/usr/bin/env", .args = args };

	assert_non_null(path);
	unsetenv("PATH");
	exec_fixture_run(f, &spec);
	setenv("PATH", path, 1);
	free(path);
	assert_int_equal(f->r.exitcode, 0);
	assert_true(has_line(f->out, "PATH=/usr/local/sbin:/usr/local/bin:"
	    "/usr/sbin:/usr/bin:/sbin:/bin"));
}

/* ---- umask, no_new_privs, descriptors, working dir ------------------- */

static void
sandbox_umask_077_file_modes(void **state)
{
	struct exec_fixture *f = *state;
	mode_t old = umask(0);

	run_sh(f, "umask; touch file; mkdir dir; stat -c '%a' file dir", NULL);
	umask(old);
	assert_int_equal(f->r.exitcode, 0);
	assert_string_equal(f->out, "0077\n600\n700\n");
}

static void
sandbox_no_new_privs(void **state)
{
	struct exec_fixture *f = *state;
	struct exec_limits l = { .no_new_privs = true };

	run_sh(f, "grep NoNewPrivs /proc/self/status", &l);
	assert_string_equal(f->out, "NoNewPrivs:\t1\n");
	l.no_new_privs = false;
	run_sh(f, "grep NoNewPrivs /proc/self/status", &l);
	/* Unless the test itself already runs with it. */
	if (system("grep -q 'NoNewPrivs:.1' /proc/self/status") != 0)
		assert_string_equal(f->out, "NoNewPrivs:\t0\n");
}

/* Only stdio, in both modes (a blocking wrapper holds a status pipe, a
 * non-blocking one its result files). */
static void
sandbox_only_stdio_open(void **state)
{
	struct exec_fixture *f = *state;
	/* ls lists the shell's descriptors (a glob would see its own
	 * directory fd, a pipe or redirection the shell's). */
	const char *script = "ls /proc/$$/fd; true";
	const char *args[] = { "-c", script, NULL };
	struct exec_spec spec = { .executable = "/bin/sh", .args = args,
	    .result_dir = f->dir };
	char *s;

	run_sh(f, script, NULL);
	assert_string_equal(f->out, "0\n1\n2\n");
	exec_fixture_run(f, &spec);
	s = exec_fixture_slurp(f->dir, "stdout", NULL);
	assert_non_null(s);
	assert_string_equal(s, "0\n1\n2\n");
	free(s);
}

static void
sandbox_private_workdir(void **state)
{
	struct exec_fixture *f = *state;
	struct stat st;
	char *nl;

	run_sh(f, "pwd; stat -c '%a %u' .", NULL);
	assert_int_equal(f->r.exitcode, 0);
	nl = strchr(f->out, '\n');
	assert_non_null(nl);
	*nl = '\0';
	assert_non_null(strstr(f->out, "/pxpd-exec-"));
	assert_string_equal(nl + 1, is_root() ? "700 0\n" : nl + 1);
	assert_int_equal(stat(f->out, &st), -1);
	assert_int_equal(errno, ENOENT);
}

/* ---- run as ---------------------------------------------------------- */

static void
file_owner_is_root(const char *dir, const char *name)
{
	struct stat st;

	exec_fixture_stat(dir, name, &st);
	assert_int_equal(st.st_uid, 0);
	assert_int_equal(st.st_mode & 0777, 0600);
}

static void
sandbox_run_as_nobody(void **state)
{
	struct exec_fixture *f = *state;
	const char *args[] = { "-c", "id -u; id -g; echo \"$HOME $USER "
	    "$LOGNAME\"; stat -c '%u %a' .; pwd; touch mine", NULL };
	struct exec_spec spec = { .executable = "/bin/sh", .args = args,
	    .result_dir = f->dir, .limits = { .user = "nobody",
	    .no_new_privs = true } };
	char path[256], line[5][256];
	struct stat st;
	FILE *fp;
	int i;

	if (!is_root())
		skip();
	exec_fixture_run(f, &spec);
	assert_int_equal(f->r.exitcode, 0);
	snprintf(path, sizeof(path), "%s/stdout", f->dir);
	assert_non_null(fp = fopen(path, "r"));
	for (i = 0; i < 5; i++) {
		assert_non_null(fgets(line[i], sizeof(line[i]), fp));
		line[i][strcspn(line[i], "\n")] = '\0';
	}
	fclose(fp);
	assert_string_equal(line[0], "65534");
	assert_string_equal(line[1], "65534");
	assert_string_equal(line[2], "/nonexistent nobody nobody");
	/* The private working dir was handed to the user... */
	assert_string_equal(line[3], "65534 700");
	/* ...and removed afterwards, with what the action made in it. */
	assert_int_equal(stat(line[4], &st), -1);
	/* The spool stays the agent's: the wrapper wrote these, as root. */
	file_owner_is_root(f->dir, "stdout");
	file_owner_is_root(f->dir, "stderr");
	file_owner_is_root(f->dir, "exitcode");
	file_owner_is_root(f->dir, "pid");
}

static void
sandbox_run_as_group_only(void **state)
{
	struct exec_fixture *f = *state;
	struct exec_limits l = { .group = "nogroup" };

	if (!is_root())
		skip();
	run_sh(f, "id -u; id -g; id -G", &l);
	assert_int_equal(f->r.exitcode, 0);
	assert_string_equal(f->out, "0\n65534\n65534\n");
}

static void
sandbox_run_as_unknown_user(void **state)
{
	struct exec_fixture *f = *state;
	const char *args[] = { "-c", "echo ran", NULL };
	struct exec_spec spec = { .executable = "/bin/sh", .args = args,
	    .limits = { .user = "pxpd-no-such-user" } };
	char *s;

	exec_fixture_run(f, &spec);
	assert_int_equal(f->r.exitcode, EXEC_EXIT_NOT_STARTED);
	assert_string_equal(f->out, "");
	assert_non_null(strstr(f->err, "cannot run the action as user "
	    "'pxpd-no-such-user': no such user"));
	/* Non-blocking: the same in the result files. */
	spec.result_dir = f->dir;
	spec.limits.user = NULL;
	spec.limits.group = "pxpd-no-such-group";
	exec_fixture_run(f, &spec);
	assert_int_equal(f->r.exitcode, EXEC_EXIT_NOT_STARTED);
	s = exec_fixture_slurp(f->dir, "stderr", NULL);
	assert_non_null(s);
	assert_non_null(strstr(s, "'pxpd-no-such-group': no such group"));
	free(s);
	s = exec_fixture_slurp(f->dir, "stdout", NULL);
	assert_non_null(s);
	assert_string_equal(s, "");
	free(s);
}

/* ---- rlimits (the fallback without cgroup v2) ------------------------ */

static void
sandbox_rlimit_memory(void **state)
{
	struct exec_fixture *f = *state;
	struct exec_limits l = { .memory_max = 100 * MIB };
	const char *py = "exec python3 -c 'x = bytearray(500 << 20); "
	    "print(\"allocated\")'";

	/* qemu-user only pretends to set RLIMIT_AS (it would bind qemu's
	 * own allocations): a cross build's ctest runs there and says so
	 * (PXPD_TEST_EMULATOR, tests/CMakeLists.txt). */
	if (getenv("PXPD_TEST_EMULATOR"))
		skip();
	if (system("python3 -c pass") != 0)
		fail_msg("python3 is needed for this test");
	run_sh(f, "grep 'Max address space' /proc/self/limits", &l);
	assert_non_null(strstr(f->out, "104857600            104857600"));
	run_sh(f, py, &l);
	assert_int_not_equal(f->r.exitcode, 0);
	assert_non_null(strstr(f->err, "MemoryError"));
	assert_null(strstr(f->out, "allocated"));
	/* The same without the limit succeeds: the limit made the
	 * difference. */
	run_sh(f, py, NULL);
	assert_int_equal(f->r.exitcode, 0);
	assert_string_equal(f->out, "allocated\n");
}

/* 200 background sleeps as nobody with a limit of 20 processes: the
 * shell cannot fork, fails at once, and the wrapper takes down the
 * sleeps it did start. */
static void
sandbox_rlimit_pids_fork_bomb(void **state)
{
	struct exec_fixture *f = *state;
	struct exec_limits l = { .pids_max = 20, .user = "nobody" };
	uint64_t t0;
	long pgid;

	if (!is_root())
		skip();
	t0 = uv_hrtime();
	run_sh(f, "echo $$; for i in $(seq 200); do sleep 5 & done; wait; "
	    "echo all started", &l);
	assert_true(uv_hrtime() - t0 < 4000000000ull);
	assert_int_not_equal(f->r.exitcode, 0);
	assert_false(f->r.timed_out);
	assert_null(strstr(f->out, "all started"));
	assert_non_null(strstr(f->err, "fork"));
	pgid = atol(f->out);
	assert_true(pgid > 1);
	assert_true(exec_fixture_group_gone(pgid));
}

/* Also as nobody and killed for time: nothing of the tree is left. */
static void
sandbox_timeout_kills_tree_as_nobody(void **state)
{
	struct exec_fixture *f = *state;
	const char *args[] = { "-c", "sleep 100 & echo $$ $!; sleep 100",
	    NULL };
	struct exec_spec spec = { .executable = "/bin/sh", .args = args,
	    .timeout_s = 1, .limits = { .user = "nobody", .pids_max = 20 } };
	long leader = 0, bg = 0;

	if (!is_root())
		skip();
	exec_fixture_run(f, &spec);
	assert_true(f->r.timed_out);
	assert_int_equal(sscanf(f->out, "%ld %ld", &leader, &bg), 2);
	assert_true(exec_fixture_group_gone(leader));
	assert_true(exec_fixture_pid_gone(bg));
}

/* ---- cgroup v2 ------------------------------------------------------- */

static void
sandbox_cgroup_parsers(void **state)
{
	const char *text = "12:pids:/x\n1:name=systemd:/init.scope\n"
	    "0::/system.slice/pxpd.service/agent\n";
	char out[128], missing[64];

	(void)state;
	assert_int_equal(cgroup_self_path_parse(text, strlen(text), out,
	    sizeof(out)), 0);
	assert_string_equal(out, "/system.slice/pxpd.service/agent");
	assert_int_equal(cgroup_self_path_parse("0::/\n", 5, out,
	    sizeof(out)), 0);
	assert_string_equal(out, "/");
	assert_int_equal(cgroup_self_path_parse(text, 10, out, sizeof(out)),
	    -1);
	assert_int_equal(cgroup_self_path_parse("1:cpu:/a\n", 9, out,
	    sizeof(out)), -1);
	assert_int_equal(cgroup_self_path_parse("0::/abc", 7, out, 4), -1);
	cgroup_controllers_missing("cpuset cpu io memory pids\n",
	    CGROUP_CONTROLLERS, missing, sizeof(missing));
	assert_string_equal(missing, "");
	cgroup_controllers_missing("hugetlb\n", CGROUP_CONTROLLERS, missing,
	    sizeof(missing));
	assert_string_equal(missing, "memory pids cpu");
	cgroup_controllers_missing("cpuset memory", CGROUP_CONTROLLERS,
	    missing, sizeof(missing));
	assert_string_equal(missing, "pids cpu");
}

/* With a delegated cgroup v2 subtree: limits land in the action's own
 * cgroup, cgroup.kill takes even a process that left the process group,
 * and the cgroup is gone afterwards. Without: the probe must say why,
 * and actions are bound by the rlimits tested above. */
static void
sandbox_cgroup_or_fallback(void **state)
{
	struct exec_fixture *f = *state;
	struct exec_limits l = { .memory_max = 100 * MIB, .pids_max = 20,
	    .cpu_max = 50 };
	const char *args[] = { "-c", "setsid sleep 100 & echo $!; "
	    "sleep 100", NULL };
	struct exec_spec spec = { .executable = "/bin/sh", .args = args,
	    .timeout_s = 1 };
	char why[512] = "", *dir = NULL, cg[512], path[600];
	struct stat st;
	long escaped;
	int rc;

	rc = cgroup_probe(false, &dir, why, sizeof(why));
	assert_true(rc < 0);
	assert_null(dir);
	assert_non_null(strstr(why, "off"));
	rc = cgroup_probe(true, &dir, why, sizeof(why));
	if (rc < 0) {
		/* The fallback: said why, and no directory to use. */
		print_message("cgroup v2 unavailable: %s\n", why);
		assert_null(dir);
		assert_true(strlen(why) > 10);
		assert_null(strstr(why, "actions run in cgroups"));
		/* A machine where /sys/fs/cgroup/unified (hybrid) or the
		 * v2 root lacks controllers must report that. */
		if (access("/sys/fs/cgroup/unified/cgroup.controllers",
		    F_OK) == 0)
			assert_true(strstr(why, "lacks") != NULL ||
			    strstr(why, "delegated") != NULL);
		return;
	}
	assert_non_null(dir);
	l.cgroup_dir = dir;
	run_sh(f, "cat /proc/self/cgroup", &l);
	rc = sscanf(f->out, "0::%500s", cg);
	assert_int_equal(rc, 1);
	assert_non_null(strstr(cg, "-action"));
	snprintf(path, sizeof(path), "cat %s%s/memory.max %s%s/pids.max "
	    "%s%s/cpu.max", dir, strrchr(cg, '/'), dir, strrchr(cg, '/'), dir,
	    strrchr(cg, '/'));
	run_sh(f, path, &l);
	assert_string_equal(f->out, "104857600\n20\n50000 100000\n");
	/* Gone afterwards. */
	snprintf(path, sizeof(path), "%s%s", dir, strrchr(cg, '/'));
	assert_int_equal(stat(path, &st), -1);
	/* cgroup.kill: the setsid'd sleep is outside the process group. */
	spec.limits = l;
	exec_fixture_run(f, &spec);
	assert_true(f->r.timed_out);
	escaped = atol(f->out);
	assert_true(escaped > 1);
	assert_true(exec_fixture_pid_gone(escaped));
	free(dir);
}

#define T(name) cmocka_unit_test_setup_teardown(name, exec_fixture_setup, \
    exec_fixture_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(sandbox_env_allow_list),
		T(sandbox_env_default_path),
		T(sandbox_umask_077_file_modes),
		T(sandbox_no_new_privs),
		T(sandbox_only_stdio_open),
		T(sandbox_private_workdir),
		T(sandbox_run_as_nobody),
		T(sandbox_run_as_group_only),
		T(sandbox_run_as_unknown_user),
		T(sandbox_rlimit_memory),
		T(sandbox_rlimit_pids_fork_bomb),
		T(sandbox_timeout_kills_tree_as_nobody),
		cmocka_unit_test(sandbox_cgroup_parsers),
		T(sandbox_cgroup_or_fallback),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
