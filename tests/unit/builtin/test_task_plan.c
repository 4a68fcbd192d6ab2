/* test_task_plan.c: the pure side of the task module
 * (modules/builtin/task/task_plan.c): request checks, implementation /
 * input-method / file choice, lib file expansion, the task's parameters
 * and PT_* environment; and the path checks of task_fs.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "builtin/task/task_int.h"

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static const char *const posix_feats[] = { "shell" };

/* A file object named `name`. */
static char *
file_json(const char *name)
{
	static char buf[4][512];
	static int i;
	char *b = buf[i++ % 4];

	snprintf(b, 512, "{\"filename\":\"%s\",\"sha256\":\"" SHA_A "\","
	    "\"uri\":{\"path\":\"/puppet/v3/file_content/tasks/m/x\","
	    "\"params\":{\"environment\":\"production\"}}}", name);
	return b;
}

static cJSON *
parse(const char *json)
{
	cJSON *j = cJSON_Parse(json);

	assert_non_null(j);
	return j;
}

/* The service task of puppetserver-observed.md. */
static cJSON *
service_params(const char *features)
{
	char json[4096];

	snprintf(json, sizeof(json),
	    "{\"task\":\"service\",\"input\":{\"action\":\"status\"},"
	    "\"metadata\":{\"input_method\":\"stdin\",%s"
	    "\"implementations\":["
	    "{\"name\":\"init.rb\",\"requirements\":[\"puppet-agent\"]},"
	    "{\"name\":\"windows.ps1\",\"requirements\":[\"powershell\"],"
	    "\"input_method\":\"powershell\"},"
	    "{\"name\":\"linux.sh\",\"requirements\":[\"shell\"],"
	    "\"input_method\":\"environment\","
	    "\"files\":[\"service/files/common.sh\"]}]},"
	    "\"files\":[%s,%s,%s]}", features ? features : "",
	    file_json("init.rb"), file_json("linux.sh"),
	    file_json("service/files/common.sh"));
	return parse(json);
}

static const char *
fname(const cJSON *f)
{
	return cJSON_GetObjectItemCaseSensitive(f, "filename")->valuestring;
}

static void
task_name_rules(void **state)
{
	char err[256];

	(void)state;
	assert_int_equal(task_name_check("service", err, sizeof(err)), 0);
	assert_int_equal(task_name_check("my_mod::task2", err, sizeof(err)), 0);
	assert_int_equal(task_name_check("a::b::c", err, sizeof(err)), 0);
	assert_int_equal(task_name_check("", err, sizeof(err)), -1);
	assert_int_equal(task_name_check("Service", err, sizeof(err)), -1);
	assert_int_equal(task_name_check("2mod", err, sizeof(err)), -1);
	assert_int_equal(task_name_check("mod::", err, sizeof(err)), -1);
	assert_int_equal(task_name_check("mod:task", err, sizeof(err)), -1);
	assert_int_equal(task_name_check("mod::../x", err, sizeof(err)), -1);
	assert_int_equal(task_name_check("../../x", err, sizeof(err)), -1);
	assert_int_equal(task_name_check("mod/x", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "^[a-z][a-z0-9_]*$"));
}

static void
params_check_types(void **state)
{
	static const struct { const char *json, *want; } bad[] = {
		{ "{\"input\":{},\"files\":[]}", "'task' must be a string" },
		{ "{\"task\":\"m\",\"input\":[],\"files\":[]}", "'input'" },
		{ "{\"task\":\"m\",\"input\":{},\"files\":[]}", "'files'" },
		{ "{\"task\":\"m\",\"input\":{},\"files\":{}}", "'files'" },
		{ "{\"task\":\"m\",\"input\":{},\"files\":[{\"filename\":\"../x\","
		    "\"sha256\":\"" SHA_A "\",\"uri\":{\"path\":"
		    "\"/puppet/v3/file_content/tasks/m/x\"}}]}", "'filename'" },
		{ "{\"task\":\"m\",\"input\":{},\"files\":[F],\"metadata\":[]}",
		    "'metadata' must be an object" },
		{ "{\"task\":\"m\",\"input\":{},\"files\":[F],\"metadata\":"
		    "{\"input_method\":1}}", "'metadata.input_method'" },
		{ "{\"task\":\"m\",\"input\":{},\"files\":[F],\"metadata\":"
		    "{\"files\":[1]}}", "'metadata.files' item 0" },
		{ "{\"task\":\"m\",\"input\":{},\"files\":[F],\"metadata\":"
		    "{\"implementations\":{}}}", "'metadata.implementations'" },
		{ "{\"task\":\"m\",\"input\":{},\"files\":[F],\"metadata\":"
		    "{\"implementations\":[{\"requirements\":[]}]}}",
		    "'metadata.implementations[0].name'" },
		{ "{\"task\":\"m\",\"input\":{},\"files\":[F],\"metadata\":"
		    "{\"implementations\":[{\"name\":\"x\",\"requirements\":"
		    "\"shell\"}]}}", "'metadata.implementations[0].requirements'" },
		{ "{\"task\":\"m\",\"input\":{},\"files\":[F],\"metadata\":"
		    "{\"features\":[true]}}", "'metadata.features' item 0" },
		{ "{\"task\":\"m\",\"input\":{},\"files\":[F],"
		    "\"input_method\":[]}", "'input_method' must be a string" },
	};
	char json[2048], err[512];
	const char *f;
	size_t i;
	cJSON *p;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* F stands for a good file object. */
		f = strstr(bad[i].json, "[F]");
		if (f)
			snprintf(json, sizeof(json), "%.*s[%s]%s",
			    (int)(f - bad[i].json), bad[i].json, file_json("x.sh"),
			    f + 3);
		else
			snprintf(json, sizeof(json), "%s", bad[i].json);
		p = parse(json);
		err[0] = '\0';
		assert_int_equal(task_params_check(p, err, sizeof(err)), -1);
		if (!strstr(err, bad[i].want))
			fail_msg("case %zu: '%s' lacks '%s'", i, err, bad[i].want);
		cJSON_Delete(p);
	}
	/* Without metadata, params.files (the objects) are not lib names. */
	snprintf(json, sizeof(json), "{\"task\":\"m\",\"input\":{},\"files\":"
	    "[%s],\"input_method\":\"stdin\"}", file_json("x.sh"));
	p = parse(json);
	assert_int_equal(task_params_check(p, err, sizeof(err)), 0);
	cJSON_Delete(p);
	p = service_params(NULL);
	assert_int_equal(task_params_check(p, err, sizeof(err)), 0);
	cJSON_Delete(p);
}

static void
plan_service_picks_by_features(void **state)
{
	static const char *const aio[] = { "shell", "puppet-agent" };
	struct task_plan pl;
	char err[512];
	cJSON *p = service_params(NULL);

	(void)state;
	assert_int_equal(task_plan_make(p, posix_feats, 1, &pl, err,
	    sizeof(err)), 0);
	assert_string_equal(fname(pl.exe), "linux.sh");
	/* The implementation's input method beats the metadata's. */
	assert_string_equal(pl.input_method, "environment");
	assert_int_equal(pl.n_libs, 1);
	assert_string_equal(fname(pl.libs[0]), "service/files/common.sh");
	task_plan_free(&pl);

	assert_int_equal(task_plan_make(p, aio, 2, &pl, err, sizeof(err)), 0);
	assert_string_equal(fname(pl.exe), "init.rb");
	assert_string_equal(pl.input_method, "stdin");
	assert_int_equal(pl.n_libs, 0);
	task_plan_free(&pl);
	cJSON_Delete(p);

	/* metadata.features add to ours; powershell then wins over shell
	 * but its file is not in the request. */
	p = service_params("\"features\":[\"powershell\"],");
	assert_int_equal(task_plan_make(p, posix_feats, 1, &pl, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "'windows.ps1' file requested by "
	    "implementation not found");
	task_plan_free(&pl);
	cJSON_Delete(p);
}

static void
plan_no_match_lists_features_sorted(void **state)
{
	static const char *const feats[] = { "shell", "puppet-agent" };
	struct task_plan pl;
	char json[2048], err[512];
	cJSON *p;

	(void)state;
	snprintf(json, sizeof(json), "{\"task\":\"m\",\"input\":{},\"files\":"
	    "[%s],\"metadata\":{\"features\":[\"custom\",\"shell\"],"
	    "\"implementations\":[{\"name\":\"x.ps1\",\"requirements\":"
	    "[\"powershell\"]}]}}", file_json("x.ps1"));
	p = parse(json);
	assert_int_equal(task_plan_make(p, feats, 2, &pl, err, sizeof(err)), -1);
	assert_string_equal(err, "no implementations match supported "
	    "features: custom, puppet-agent, shell");
	task_plan_free(&pl);
	cJSON_Delete(p);
}

static void
plan_defaults_and_bad_method(void **state)
{
	struct task_plan pl;
	char json[2048], err[512];
	cJSON *p;

	(void)state;
	/* No implementations: files[0]; .ps1 defaults to powershell. */
	snprintf(json, sizeof(json), "{\"task\":\"m\",\"input\":{},\"files\":"
	    "[%s,%s]}", file_json("init.ps1"), file_json("other.sh"));
	p = parse(json);
	assert_int_equal(task_plan_make(p, posix_feats, 1, &pl, err,
	    sizeof(err)), 0);
	assert_string_equal(fname(pl.exe), "init.ps1");
	assert_string_equal(pl.input_method, "powershell");
	task_plan_free(&pl);
	cJSON_Delete(p);

	snprintf(json, sizeof(json), "{\"task\":\"m\",\"input\":{},\"files\":"
	    "[%s]}", file_json("init.sh"));
	p = parse(json);
	assert_int_equal(task_plan_make(p, posix_feats, 1, &pl, err,
	    sizeof(err)), 0);
	assert_string_equal(pl.input_method, "both");
	task_plan_free(&pl);
	cJSON_Delete(p);

	/* params.input_method counts when there is no metadata object. */
	snprintf(json, sizeof(json), "{\"task\":\"m\",\"input\":{},\"files\":"
	    "[%s],\"input_method\":\"telepathy\"}", file_json("init.sh"));
	p = parse(json);
	assert_int_equal(task_plan_make(p, posix_feats, 1, &pl, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "unsupported task input method: telepathy");
	task_plan_free(&pl);
	cJSON_Delete(p);
}

static void
plan_lib_files_expand_and_dedupe(void **state)
{
	struct task_plan pl;
	char json[4096], err[512];
	cJSON *p;

	(void)state;
	snprintf(json, sizeof(json), "{\"task\":\"m::t\",\"input\":{},"
	    "\"files\":[%s,%s,%s,%s],\"metadata\":{\"files\":"
	    "[\"m/files/d/\",\"m/lib/x.rb\",\"m/files/none/\"],"
	    "\"implementations\":[{\"name\":\"t.sh\",\"files\":"
	    "[\"m/lib/x.rb\",\"m/files/d/a\"]}]}}", file_json("t.sh"),
	    file_json("m/files/d/a"), file_json("m/files/d/sub/b"),
	    file_json("m/lib/x.rb"));
	p = parse(json);
	assert_int_equal(task_plan_make(p, posix_feats, 1, &pl, err,
	    sizeof(err)), 0);
	assert_string_equal(fname(pl.exe), "t.sh");
	assert_int_equal(pl.n_libs, 3);
	assert_string_equal(fname(pl.libs[0]), "m/files/d/a");
	assert_string_equal(fname(pl.libs[1]), "m/files/d/sub/b");
	assert_string_equal(fname(pl.libs[2]), "m/lib/x.rb");
	task_plan_free(&pl);
	cJSON_Delete(p);

	snprintf(json, sizeof(json), "{\"task\":\"m\",\"input\":{},\"files\":"
	    "[%s],\"metadata\":{\"files\":[\"m/lib/missing.rb\"]}}",
	    file_json("t.sh"));
	p = parse(json);
	assert_int_equal(task_plan_make(p, posix_feats, 1, &pl, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "'m/lib/missing.rb' file requested as "
	    "additional task dependency not found");
	task_plan_free(&pl);
	cJSON_Delete(p);
}

static void
args_and_env(void **state)
{
	cJSON *in = parse("{\"s\":\"a b=c\",\"n\":3,\"l\":[\"x\",1],"
	    "\"o\":{\"k\":null},\"z\":null,\"t\":true,\"_task\":\"forged\","
	    "\"bad=key\":1}");
	cJSON *a = task_args_build(in, "m::t", "/inst");
	char **env, *text;
	size_t n;

	(void)state;
	assert_non_null(a);
	text = cJSON_PrintUnformatted(a);
	assert_string_equal(text, "{\"s\":\"a b=c\",\"n\":3,\"l\":[\"x\",1],"
	    "\"o\":{\"k\":null},\"z\":null,\"t\":true,\"bad=key\":1,"
	    "\"_task\":\"m::t\",\"_installdir\":\"/inst\"}");
	cJSON_free(text);
	env = task_env_build(a);
	assert_non_null(env);
	for (n = 0; env[n]; n++)
		;
	assert_int_equal(n, 8);
	assert_string_equal(env[0], "PT_s=a b=c");
	assert_string_equal(env[1], "PT_n=3");
	assert_string_equal(env[2], "PT_l=[\"x\",1]");
	assert_string_equal(env[3], "PT_o={\"k\":null}");
	assert_string_equal(env[4], "PT_z=null");
	assert_string_equal(env[5], "PT_t=true");
	assert_string_equal(env[6], "PT__task=m::t");
	assert_string_equal(env[7], "PT__installdir=/inst");
	task_env_free(env);
	cJSON_Delete(a);
	/* No install dir: no _installdir key. */
	a = task_args_build(in, "m", NULL);
	assert_null(cJSON_GetObjectItemCaseSensitive(a, "_installdir"));
	cJSON_Delete(a);
	cJSON_Delete(in);
}

static void
fs_paths_stay_inside(void **state)
{
	char *p;

	(void)state;
	assert_true(task_fs_rel_ok("m/files/a.sh"));
	assert_true(task_fs_rel_ok("a"));
	assert_false(task_fs_rel_ok(""));
	assert_false(task_fs_rel_ok("/etc/passwd"));
	assert_false(task_fs_rel_ok("../x"));
	assert_false(task_fs_rel_ok("a/../../x"));
	assert_false(task_fs_rel_ok("a/./x"));
	assert_false(task_fs_rel_ok("a//x"));
	assert_false(task_fs_rel_ok("a/x/"));
	assert_false(task_fs_rel_ok("a\\..\\x"));
	assert_false(task_fs_rel_ok("C:x"));
	p = task_fs_join("/root/dir", "m/t.sh");
	assert_string_equal(p, "/root/dir/m/t.sh");
	free(p);
	assert_null(task_fs_join("/root/dir", "../dir2/x"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(task_name_rules),
		cmocka_unit_test(params_check_types),
		cmocka_unit_test(plan_service_picks_by_features),
		cmocka_unit_test(plan_no_match_lists_features_sorted),
		cmocka_unit_test(plan_defaults_and_bad_method),
		cmocka_unit_test(plan_lib_files_expand_and_dedupe),
		cmocka_unit_test(args_and_env),
		cmocka_unit_test(fs_paths_stay_inside),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
