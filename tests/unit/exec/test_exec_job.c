/* test_exec_job.c: the wrapper's job codec (exec/job.c) and the result
 * dir's small files (exec/result.c): round trip of a spec and its
 * limits, refusal of specs it cannot carry, strict and bounded parsing
 * of bad job text, the pid file (with the wrapper's identity), the
 * exitcode file and the /proc stat line. Pure: no processes
 * (test_exec.c runs those). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "exec/exec.h"
#include "exec/exec_int.h"

static void
exec_job_round_trip(void **state)
{
	const char *args[] = { "a", "", "c d", NULL };
	const char *env[] = { "A=1", "B==x", NULL };
	const char *input = "line\n\"quoted\"\t\xe2\x82\xac\x01";
	struct exec_spec spec = { .executable = "/bin/x", .args = args,
	    .env = env, .input = input, .input_len = strlen(input),
	    .result_dir = "/r", .timeout_s = 9, .output_cap = 77 };
	struct exec__job job;
	char err[128], *text;
	size_t len;

	(void)state;
	text = exec__job_build(&spec, 3, &len, err, sizeof(err));
	assert_non_null(text);
	assert_int_equal(exec__job_parse(text, len, &job, err, sizeof(err)),
	    0);
	free(text);
	assert_string_equal(job.executable, "/bin/x");
	assert_string_equal(job.args[0], "a");
	assert_string_equal(job.args[1], "");
	assert_string_equal(job.args[2], "c d");
	assert_null(job.args[3]);
	assert_string_equal(job.env[1], "B==x");
	assert_null(job.env[2]);
	assert_int_equal(job.input_len, strlen(input));
	assert_string_equal(job.input, input);
	assert_string_equal(job.result_dir, "/r");
	assert_null(job.cwd);
	assert_int_equal(job.timeout_s, 9);
	assert_int_equal(job.output_cap, 77);
	assert_int_equal(job.status_fd, 3);
	exec__job_free(&job);
	exec__job_free(NULL);

	spec.output_cap = 0;
	spec.result_dir = NULL;
	text = exec__job_build(&spec, -1, &len, err, sizeof(err));
	assert_int_equal(exec__job_parse(text, len, &job, err, sizeof(err)),
	    0);
	free(text);
	assert_int_equal(job.output_cap, EXEC_OUTPUT_CAP_DEFAULT);
	assert_int_equal(job.status_fd, -1);
	assert_null(job.result_dir);
	/* No limits given: none, and no identity or cgroup. */
	assert_int_equal(job.memory_max, 0);
	assert_int_equal(job.pids_max, 0);
	assert_int_equal(job.cpu_max, 0);
	assert_false(job.no_new_privs);
	assert_null(job.user);
	assert_null(job.group);
	assert_null(job.cgroup_dir);
	exec__job_free(&job);
}

static void
exec_job_limits_round_trip(void **state)
{
	struct exec_spec spec = { .executable = "/bin/x", .limits = {
	    .memory_max = 3ULL << 40, .pids_max = 20, .cpu_max = 250,
	    .no_new_privs = true, .user = "nobody", .group = "65534",
	    .cgroup_dir = "/sys/fs/cgroup/system.slice/pxpd.service" } };
	struct exec__job job;
	char err[128], *text;
	size_t len;

	(void)state;
	text = exec__job_build(&spec, -1, &len, err, sizeof(err));
	assert_non_null(text);
	assert_int_equal(exec__job_parse(text, len, &job, err, sizeof(err)),
	    0);
	free(text);
	assert_true(job.memory_max == 3ULL << 40);
	assert_int_equal(job.pids_max, 20);
	assert_int_equal(job.cpu_max, 250);
	assert_true(job.no_new_privs);
	assert_string_equal(job.user, "nobody");
	assert_string_equal(job.group, "65534");
	assert_string_equal(job.cgroup_dir,
	    "/sys/fs/cgroup/system.slice/pxpd.service");
	exec__job_free(&job);

	/* "" is "unset", as in the config. */
	spec.limits.user = "";
	spec.limits.group = NULL;
	spec.limits.cgroup_dir = NULL;
	text = exec__job_build(&spec, -1, &len, err, sizeof(err));
	assert_non_null(text);
	assert_int_equal(exec__job_parse(text, len, &job, err, sizeof(err)),
	    0);
	free(text);
	assert_null(job.user);
	assert_null(job.group);
	assert_null(job.cgroup_dir);
	exec__job_free(&job);
}

static void
exec_job_build_refuses(void **state)
{
	const char *bad_env[] = { "=x", NULL };
	struct exec_spec spec = { .executable = "/bin/x" };
	char err[128], *text;
	size_t len;

	(void)state;
	spec.input = "a\0b";
	spec.input_len = 3;
	assert_null(exec__job_build(&spec, -1, &len, err, sizeof(err)));
	spec.input_len = 0;
	spec.env = bad_env;
	assert_null(exec__job_build(&spec, -1, &len, err, sizeof(err)));
	spec.env = NULL;
	spec.timeout_s = -1;
	assert_null(exec__job_build(&spec, -1, &len, err, sizeof(err)));
	spec.timeout_s = 0;
	spec.executable = "";
	assert_null(exec__job_build(&spec, -1, &len, err, sizeof(err)));
	spec.executable = "/bin/x";
	spec.limits.pids_max = -1;
	assert_null(exec__job_build(&spec, -1, &len, err, sizeof(err)));
	spec.limits.pids_max = 0;
	spec.limits.memory_max = EXEC__MEMORY_MAX_MAX + 1;
	assert_null(exec__job_build(&spec, -1, &len, err, sizeof(err)));
	spec.limits.memory_max = 0;
	spec.limits.user = "../root";
	assert_null(exec__job_build(&spec, -1, &len, err, sizeof(err)));
	spec.limits.user = NULL;
	spec.limits.group = "a:b";
	assert_null(exec__job_build(&spec, -1, &len, err, sizeof(err)));
	spec.limits.group = NULL;
	/* The wrapper writes into the cgroup dir as root: only below
	 * /sys/fs/cgroup, never climbing out. */
	spec.limits.cgroup_dir = "/etc";
	assert_null(exec__job_build(&spec, -1, &len, err, sizeof(err)));
	spec.limits.cgroup_dir = "/sys/fs/cgroupx";
	assert_null(exec__job_build(&spec, -1, &len, err, sizeof(err)));
	spec.limits.cgroup_dir = "/sys/fs/cgroup/a/../../../etc";
	assert_null(exec__job_build(&spec, -1, &len, err, sizeof(err)));
	spec.limits.cgroup_dir = "/sys/fs/cgroup/a/..";
	assert_null(exec__job_build(&spec, -1, &len, err, sizeof(err)));
	spec.limits.cgroup_dir = "/sys/fs/cgroup";
	assert_non_null(text = exec__job_build(&spec, -1, &len, err,
	    sizeof(err)));
	free(text);
}

static void
exec_job_parse_bad_input(void **state)
{
	static const char *const bad[] = {
		"",
		"[]",
		"null",
		"{",
		"{}",
		"{\"executable\":1}",
		"{\"executable\":\"\"}",
		"{\"executable\":\"/x\",\"args\":{}}",
		"{\"executable\":\"/x\",\"args\":[1]}",
		"{\"executable\":\"/x\",\"env\":[\"NOEQUALS\"]}",
		"{\"executable\":\"/x\",\"env\":[\"=v\"]}",
		"{\"executable\":\"/x\",\"input\":5}",
		"{\"executable\":\"/x\",\"result_dir\":7}",
		"{\"executable\":\"/x\",\"cwd\":\"\"}",
		"{\"executable\":\"/x\",\"timeout_s\":-1}",
		"{\"executable\":\"/x\",\"timeout_s\":1.5}",
		"{\"executable\":\"/x\",\"timeout_s\":\"5\"}",
		"{\"executable\":\"/x\",\"timeout_s\":1e300}",
		"{\"executable\":\"/x\",\"output_cap\":1e30}",
		"{\"executable\":\"/x\",\"status_fd\":1}",
		"{\"executable\":\"/x\",\"status_fd\":99999}",
		"{\"executable\":\"/x\",\"action_writes_output\":1}",
		"{\"executable\":\"/x\",\"limits\":5}",
		"{\"executable\":\"/x\",\"limits\":{\"memory_max\":-1}}",
		"{\"executable\":\"/x\",\"limits\":{\"memory_max\":1e30}}",
		"{\"executable\":\"/x\",\"limits\":{\"pids_max\":1.5}}",
		"{\"executable\":\"/x\",\"limits\":{\"cpu_max\":\"50\"}}",
		"{\"executable\":\"/x\",\"limits\":{\"no_new_privs\":1}}",
		"{\"executable\":\"/x\",\"limits\":{\"user\":\"\"}}",
		"{\"executable\":\"/x\",\"limits\":{\"user\":\"a b\"}}",
		"{\"executable\":\"/x\",\"limits\":{\"group\":7}}",
		"{\"executable\":\"/x\",\"limits\":{\"cgroup_dir\":\"/tmp\"}}",
		("{\"executable\":\"/x\",\"limits\":{\"cgroup_dir\":"
		    "\"/sys/fs/cgroup/../../etc\"}}"),
		"{\"executable\":\"/x\",\"input_files\":\"/a\"}",
		"{\"executable\":\"/x\",\"input_files\":[\"\"]}",
		"{\"executable\":\"/x\",\"input_files\":[1]}",
		"{\"executable\":\"/x\",\"builtin\":\"rm\"}",
		"{\"executable\":\"/x\",\"builtin\":true}",
	};
	struct exec__job job;
	char err[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (exec__job_parse(bad[i], strlen(bad[i]), &job, err,
		    sizeof(err)) != -1)
			fail_msg("accepted: %s", bad[i]);
		assert_true(err[0] != '\0');
		assert_null(job.executable);
	}
	/* A length that stops mid-text is honoured. */
	assert_int_equal(exec__job_parse("{\"executable\":\"/x\"}", 10, &job,
	    err, sizeof(err)), -1);
	assert_int_equal(exec__job_parse("{\"executable\":\"/x\"}", 19, &job,
	    err, sizeof(err)), 0);
	assert_int_equal(job.timeout_s, 0);
	assert_string_equal(job.input, "");
	assert_null(job.args[0]);
	exec__job_free(&job);
}

/* file download's placing step (issue 10 item 10): the built-in and the
 * files the wrapper feeds it travel in the job. */
static void
exec_job_builtin_and_input_files(void **state)
{
	const char *files[] = { "/cache/a", "/cache/b c", NULL };
	struct exec_spec spec = { .executable = "pxpd: place files",
	    .builtin = EXEC_BUILTIN_PLACE, .input = "{}\n", .input_len = 3,
	    .input_files = files };
	struct exec__job job;
	char err[128], *text;
	size_t len;

	(void)state;
	assert_non_null(text = exec__job_build(&spec, -1, &len, err,
	    sizeof(err)));
	assert_int_equal(exec__job_parse(text, len, &job, err, sizeof(err)),
	    0);
	free(text);
	assert_int_equal(job.builtin, EXEC_BUILTIN_PLACE);
	assert_string_equal(job.input_files[0], "/cache/a");
	assert_string_equal(job.input_files[1], "/cache/b c");
	assert_null(job.input_files[2]);
	exec__job_free(&job);
	/* without them: an executable, no files (never NULL) */
	spec.builtin = EXEC_BUILTIN_NONE;
	spec.input_files = NULL;
	assert_non_null(text = exec__job_build(&spec, -1, &len, err,
	    sizeof(err)));
	assert_int_equal(exec__job_parse(text, len, &job, err, sizeof(err)),
	    0);
	free(text);
	assert_int_equal(job.builtin, EXEC_BUILTIN_NONE);
	assert_null(job.input_files[0]);
	exec__job_free(&job);
}

static void
exec_small_files_parse(void **state)
{
	struct exec__pid_file pf;
	int code;

	(void)state;
	assert_int_equal(exec__exitcode_parse("0", 1, &code), 0);
	assert_int_equal(code, 0);
	assert_int_equal(exec__exitcode_parse(" 143\n", 5, &code), 0);
	assert_int_equal(code, 143);
	assert_int_equal(exec__exitcode_parse("-1", 2, &code), 0);
	assert_int_equal(code, -1);
	assert_int_equal(exec__exitcode_parse("", 0, &code), -1);
	assert_int_equal(exec__exitcode_parse("1x", 2, &code), -1);
	assert_int_equal(exec__exitcode_parse("99999999999", 11, &code), -1);
	assert_int_equal(exec__pid_file_parse("1234\n", 5, &pf), 0);
	assert_int_equal(pf.pid, 1234);
	assert_false(pf.has_id);
	assert_int_equal(exec__pid_file_parse("1\n", 2, &pf), -1);
	assert_int_equal(exec__pid_file_parse("0", 1, &pf), -1);
	assert_int_equal(exec__pid_file_parse("-7", 2, &pf), -1);
	assert_int_equal(exec__pid_file_parse("12 34", 5, &pf), -1);
}

/* Issue 10 item 1: the pid file carries what proves a live pid is the
 * wrapper it names (boot id, start time), written and read one way. */
static void
exec_pid_file_identity(void **state)
{
	static const char *const bad[] = {
		"12\nabc\n",                         /* no start time */
		"12\nabc 12x\n", "12\nab_c 12\n",    /* not hex, not a number */
		"12\n 12\n", "12\nabc  12\n",        /* empty boot id */
		"12\nabc 123456789012345678901\n",   /* more than 64 bits */
		"12\nabc 1\nmore\n", "12\nabc -1\n",
		/* boot id too long (one literal: clang warns on adjacent ones
		 * in an array) */
		"12\n0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef 1\n",
	};
	struct exec__pid_file pf, back;
	char text[EXEC__PID_FILE_MAX];
	size_t i;
	int n;

	(void)state;
	memset(&pf, 0, sizeof(pf));
	pf.pid = 4321;
	pf.has_id = true;
	strcpy(pf.id.boot_id, "1ede4502-26ae-47a7-91e6-bda50585fd5e");
	pf.id.start_time = 18446744073709551615ULL;
	n = exec__pid_file_format(&pf, text, sizeof(text));
	assert_true(n > 0);
	assert_string_equal(text, "4321\n1ede4502-26ae-47a7-91e6-bda50585fd5e "
	    "18446744073709551615\n");
	assert_int_equal(exec__pid_file_parse(text, (size_t)n, &back), 0);
	assert_int_equal(back.pid, 4321);
	assert_true(back.has_id);
	assert_string_equal(back.id.boot_id, pf.id.boot_id);
	assert_true(back.id.start_time == pf.id.start_time);
	assert_int_equal(exec__pid_file_format(&pf, text, 10), -1);
	/* pid alone, as pxp-agent and an older pxpd wrote it */
	assert_int_equal(exec__pid_file_parse("77\n\n \n", 6, &back), 0);
	assert_false(back.has_id);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (exec__pid_file_parse(bad[i], strlen(bad[i]), &back) == 0)
			fail_msg("case %zu accepted", i);
}

/* Field 22 of /proc/<pid>/stat, after a command name that may hold
 * spaces and parentheses. */
static void
exec_stat_line(void **state)
{
	const char *line = "3084 (a) b) (c) S 3079 3079 29494 0 -1 4194304 "
	    "99 0 0 0 0 0 0 0 20 0 1 0 795985 3133440 390 18446744073709551615";
	unsigned long long start = 0;
	char st = 0;

	(void)state;
	assert_int_equal(exec__stat_parse(line, strlen(line), &st, &start), 0);
	assert_int_equal(st, 'S');
	assert_true(start == 795985);
	assert_int_equal(exec__stat_parse("1 (x) Z 0 0\n", 12, &st, &start),
	    -1);
	assert_int_equal(exec__stat_parse("1 x S 1 2", 9, &st, &start), -1);
	assert_int_equal(exec__stat_parse("", 0, &st, &start), -1);
}

/* The one pid file parser (the spool had a second one with other rules:
 * its cases are here). Our own format: nothing before the number, white
 * space after it, pid 2 and up; a NUL or '+' is garbage in either file. */
static void
exec_pid_file_rules(void **state)
{
	static const struct {
		const char *text;
		size_t len;                 /* 0: strlen(text) */
		bool exitcode;              /* else a pid file */
		int rc;
		long value;
	} files[] = {
		{ "1234\n", 0, false, 0, 1234 }, { "1234", 0, false, 0, 1234 },
		{ "77 \r\n\t", 0, false, 0, 77 }, { "2\n", 0, false, 0, 2 },
		{ "2147483647\n", 0, false, 0, 2147483647 },
		{ "", 0, false, -1, 0 }, { "\n", 0, false, -1, 0 },
		{ "0\n", 0, false, -1, 0 }, { "1\n", 0, false, -1, 0 },
		{ "-5\n", 0, false, -1, 0 }, { "12x\n", 0, false, -1, 0 },
		{ " 12\n", 0, false, -1, 0 }, { "+12", 0, false, -1, 0 },
		{ "12 13\n", 0, false, -1, 0 },
		{ "2147483648\n", 0, false, -1, 0 },
		{ "99999999999999999999999\n", 0, false, -1, 0 },
		{ "0000000000000000000000000000000000000000000000000000000000"
		  "000000000001\n", 0, false, -1, 0 },  /* longer than a pid file */
		{ "12\0 34", 6, false, -1, 0 }, { "12\0", 3, false, -1, 0 },
		{ "0\0 1", 4, true, -1, 0 }, { "+1", 0, true, -1, 0 },
		/* exitcode files: the cases of the spool's former reader */
		{ "0\n", 0, true, 0, 0 }, { "2", 0, true, 0, 2 },
		{ "-1\n", 0, true, 0, -1 }, { "255 \n", 0, true, 0, 255 },
		{ "2147483647", 0, true, 0, 2147483647 },
		{ "2147483648", 0, true, -1, 0 },
		{ "-2147483649", 0, true, -1, 0 }, { "", 0, true, -1, 0 },
		{ "abc", 0, true, -1, 0 }, { "-", 0, true, -1, 0 },
		{ "1.5", 0, true, -1, 0 },
	};
	struct exec__pid_file pf;
	size_t i, len;
	long pid;
	int code, rc;

	(void)state;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		pid = code = -99;
		pf.pid = -99;
		len = files[i].len ? files[i].len : strlen(files[i].text);
		rc = files[i].exitcode ? exec__exitcode_parse(files[i].text, len,
		    &code) : exec__pid_file_parse(files[i].text, len, &pf);
		pid = pf.pid;
		if (rc != files[i].rc)
			fail_msg("case %zu '%s': wrong rc", i, files[i].text);
		if (rc == 0)
			assert_int_equal(files[i].exitcode ? code : pid,
			    files[i].value);
	}
}

static void
assert_applied(const struct exec_spec *s, long timeout_s, size_t cap,
    unsigned long long memory, long pids, long cpu, const char *user,
    const char *group)
{
	assert_int_equal(s->timeout_s, timeout_s);
	assert_int_equal(s->output_cap, cap);
	assert_int_equal(s->limits.memory_max, memory);
	assert_int_equal(s->limits.pids_max, pids);
	assert_int_equal(s->limits.cpu_max, cpu);
	assert_true(s->limits.no_new_privs);
	assert_string_equal(s->limits.user, user);
	assert_string_equal(s->limits.group, group);
	assert_null(s->limits.cgroup_dir);
}

/* The action-* defaults fill what a module left unset, never what it
 * set; the cgroup is the environment's ("off": none). */
static void
exec_env_defaults(void **state)
{
	struct exec_env env = { .limits = { .memory_max = 100, .pids_max = 50,
	    .cpu_max = 20, .no_new_privs = true, .user = "nobody",
	    .group = "nogroup" }, .timeout_s = 60, .output_cap = 1000 };
	struct exec_spec spec = { .executable = "/bin/true" };
	struct exec_spec tight = { .executable = "/bin/true", .timeout_s = 5,
	    .output_cap = 10, .limits = { .memory_max = 1, .pids_max = 2,
	    .cpu_max = 3, .user = "me", .group = "us" } };

	(void)state;
	exec_env_probe(&env, "off");
	assert_null(env.cgroup_dir);
	exec_env_apply(&env, &spec);
	assert_applied(&spec, 60, 1000, 100, 50, 20, "nobody", "nogroup");
	exec_env_apply(&env, &tight);
	assert_applied(&tight, 5, 10, 1, 2, 3, "me", "us");
	exec_env_free(&env);
	exec_env_free(&env);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(exec_job_round_trip),
		cmocka_unit_test(exec_job_limits_round_trip),
		cmocka_unit_test(exec_job_build_refuses),
		cmocka_unit_test(exec_job_parse_bad_input),
		cmocka_unit_test(exec_job_builtin_and_input_files),
		cmocka_unit_test(exec_small_files_parse),
		cmocka_unit_test(exec_pid_file_rules),
		cmocka_unit_test(exec_pid_file_identity),
		cmocka_unit_test(exec_stat_line),
		cmocka_unit_test(exec_env_defaults),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
