/* test_extmod.c: external modules (modules/extmod/extmod.c, extmod_load.c) with
 * real /bin/sh module files in a temp modules-dir on a real libuv loop:
 * which files load and the one log line each broken one gets; the params
 * check; output processing; and whole requests through the engine, exec
 * and the wrapper (PXPD_BIN), blocking and non-blocking. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "pcp/codec.h"
#include "config/config.h"
#include "engine/engine.h"
#include "exec/exec.h"
#include "extmod/extmod.h"
#include "base/log.h"
#include "base/util.h"

#define MAX_LOADED 16
#define MAX_SENT 8

struct fixture {
	char dir[64];
	char *mods, *confs, *spool, *logfile;
	uv_loop_t loop;
	struct pxpd_config cfg;
	struct module *loaded[MAX_LOADED];
	int n_loaded, n_done;
	/* end-to-end */
	struct engine *e;
	struct exec_env exec;       /* only the wrapper: no limits */
	struct {
		char *type;
		cJSON *data;
	} sent[MAX_SENT];
	int n_sent;
};

/* ---- module files --------------------------------------------------- */

static const char good_metadata[] =
    "{\"description\":\"pxpd test module\",\"configuration\":{\"type\":"
    "\"object\",\"properties\":{\"puppet_bin\":{\"type\":\"string\"}}},"
    "\"actions\":["
    "{\"name\":\"echo\",\"description\":\"returns msg\",\"input\":{\"type\":"
    "\"object\",\"properties\":{\"msg\":{\"type\":\"string\"}},\"required\":"
    "[\"msg\"]},\"results\":{\"type\":\"object\",\"required\":[\"msg\"]}},"
    "{\"name\":\"nullable\",\"input\":{},\"results\":{\"type\":[\"object\","
    "\"null\"]}},"
    "{\"name\":\"stdin\",\"input\":{},\"results\":{\"type\":\"object\"}},"
    "{\"name\":\"fail5\",\"input\":{},\"results\":{}}]}";

/* echo: {"msg":<input msg>}; stdin: the whole stdin JSON; nullable:
 * nothing; fail5: exit 5. With output_files the module writes them, as
 * modules.md §1 asks. */
static const char good_actions[] =
    "in=$(cat)\n"
    "case \"$1\" in\n"
    "echo) out=$(printf '%s' \"$in\" | sed -n "
    "'s/.*\"msg\":\"\\([^\"]*\\)\".*/{\"msg\":\"\\1\"}/p') ;;\n"
    "stdin) out=$in ;;\n"
    "fail5) exit 5 ;;\n"
    "*) out= ;;\n"
    "esac\n"
    "f=$(printf '%s' \"$in\" | sed -n "
    "'s/.*\"output_files\":{\"stdout\":\"\\([^\"]*\\)\".*/\\1/p')\n"
    "if [ -n \"$f\" ]; then\n"
    "  printf '%s' \"$out\" > \"$f\" || exit 5\n"
    "  : > \"${f%/stdout}/stderr\"\n"
    "  echo 0 > \"${f%/stdout}/exitcode.module\"\n"
    "else\n"
    "  printf '%s' \"$out\"\n"
    "fi\n";

static const char conf_schema_metadata[] =
    "{\"description\":\"d\",\"configuration\":{\"type\":\"object\","
    "\"properties\":{\"puppet_bin\":{\"type\":\"string\"}}},\"actions\":[]}";

static void
write_file(const char *dir, const char *name, mode_t mode, const char *text)
{
	char *path = util_asprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
	free(path);
}

/* A module printing `metadata` (shell-quoted with a here-document). */
static void
write_module(const char *dir, const char *name, const char *metadata,
    const char *actions)
{
	char *text = util_asprintf("#!/bin/sh\nif [ \"$1\" = metadata ]; then\n"
	    "cat <<'EOF'\n%s\nEOF\nexit 0\nfi\n%s", metadata,
	    actions ? actions : "exit 0\n");

	write_file(dir, name, 0755, text);
	free(text);
}

static void
write_modules(struct fixture *f)
{
	char *sub;

	write_module(f->mods, "good", good_metadata, good_actions);
	write_file(f->confs, "good.conf", 0644,
	    "{\"puppet_bin\":\"/bin/true\"}\n");
	write_file(f->mods, "badjson", 0755,
	    "#!/bin/sh\necho '{\"description\":'\n");
	write_file(f->mods, "stderronly", 0755,
	    "#!/bin/sh\necho oops >&2\nexit 2\n");
	write_module(f->mods, "badschema", "{\"description\":\"d\",\"actions\":"
	    "[{\"name\":\"run\",\"input\":{\"type\":\"strng\"},\"results\":{}}]}",
	    NULL);
	write_module(f->mods, "nodesc", "{\"actions\":[]}", NULL);
	write_file(f->mods, "hang", 0755, "#!/bin/sh\nexec sleep 30\n");
	write_file(f->mods, "bigmeta", 0755,
	    "#!/bin/sh\nhead -c 1200000 /dev/zero | tr '\\0' ' '\n");
	write_file(f->mods, "failexec", 0755, "#!/nonexistent/interpreter\n");
	write_module(f->mods, "confbad", conf_schema_metadata, NULL);
	write_file(f->confs, "confbad.conf", 0644, "{\"puppet_bin\":7}");
	write_module(f->mods, "confjunk", conf_schema_metadata, NULL);
	write_file(f->confs, "confjunk.conf", 0644, "not json");
	write_module(f->mods, "noconfschema", "{\"description\":\"d\","
	    "\"actions\":[]}", NULL);
	write_file(f->confs, "noconfschema.conf", 0644, "{oops");
	/* Metadata noise on stderr and a non-zero exit do not matter. */
	write_file(f->mods, "noisy", 0755, "#!/bin/sh\necho deprecated >&2\n"
	    "echo '{\"description\":\"d\",\"actions\":[]}'\nexit 3\n");
	/* Exits at once, but a background child keeps stdout open past the
	 * timeout: what was printed is judged then. */
	write_file(f->mods, "grandchild", 0755, "#!/bin/sh\nsleep 3 &\n"
	    "echo '{\"description\":\"d\",\"actions\":[]}'\n");
	write_file(f->mods, "notexec", 0644, "#!/bin/sh\necho '{}'\n");
	write_module(f->mods, "helper.sh", good_metadata, NULL);
	write_module(f->mods, ".hidden", good_metadata, NULL);
	sub = util_asprintf("%s/sub", f->mods);
	assert_int_equal(mkdir(sub, 0755), 0);
	write_module(sub, "inner", good_metadata, NULL);
	free(sub);
}

/* ---- fixture ---------------------------------------------------------- */

static void
on_loaded(void *arg, struct module *m)
{
	struct fixture *f = arg;

	assert_true(f->n_loaded < MAX_LOADED);
	f->loaded[f->n_loaded++] = m;
}

static void
on_done(void *arg)
{
	struct fixture *f = arg;

	f->n_done++;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	strcpy(f->dir, "/tmp/pxpd-extmod-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->mods = util_asprintf("%s/modules", f->dir);
	f->confs = util_asprintf("%s/conf", f->dir);
	f->spool = util_asprintf("%s/spool", f->dir);
	f->logfile = util_asprintf("%s/pxpd.log", f->dir);
	assert_int_equal(mkdir(f->mods, 0755), 0);
	assert_int_equal(mkdir(f->confs, 0755), 0);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	f->cfg.modules_dir = f->mods;
	f->cfg.modules_config_dir = f->confs;
	f->cfg.spool_dir = f->spool;
	f->cfg.pcp_version = 2;
	f->cfg.max_message_size = 1024 * 1024;
	f->cfg.max_concurrent_actions = 4;
	f->cfg.max_queued_actions = 4;
	assert_int_equal(log_open(f->logfile, LOG_LVL_DEBUG, NULL), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char *cmd;
	int i;

	for (i = 0; i < f->n_sent; i++) {
		free(f->sent[i].type);
		cJSON_Delete(f->sent[i].data);
	}
	if (f->e)
		engine_free(f->e);      /* frees the modules it was given */
	else
		for (i = 0; i < f->n_loaded; i++)
			f->loaded[i]->free(f->loaded[i]);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	exec_env_free(&f->exec);
	log_close();
	cmd = util_asprintf("rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(f->mods);
	free(f->confs);
	free(f->spool);
	free(f->logfile);
	free(f);
	return 0;
}

static char *
read_log(struct fixture *f)
{
	FILE *fp = fopen(f->logfile, "r");
	char *buf = calloc(1, 1 << 20);
	size_t n;

	assert_non_null(fp);
	assert_non_null(buf);
	n = fread(buf, 1, (1 << 20) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

/* The log holds a line with "<modules-dir>/<file>: <text>". */
static void
log_has(const char *log, struct fixture *f, const char *file,
    const char *text)
{
	char *want = util_asprintf("%s/%s: %s", f->mods, file, text);

	if (!strstr(log, want))
		fail_msg("log lacks \"%s\"; log:\n%s", want, log);
	free(want);
}

static bool
under_valgrind(void)
{
	const char *pre = getenv("LD_PRELOAD");

	return pre && strstr(pre, "vgpreload");
}

static int
count(const char *hay, const char *needle)
{
	int n = 0;

	for (; (hay = strstr(hay, needle)); hay++)
		n++;
	return n;
}

static void
load_all(struct fixture *f, uint64_t timeout_ms)
{
	int done = f->n_done, loaded = f->n_loaded;

	assert_int_equal(extmod_load_timeout(&f->loop, &f->cfg, timeout_ms,
	    on_loaded, on_done, f), 0);
	/* Never a callback from inside the call. */
	assert_int_equal(f->n_done, done);
	assert_int_equal(f->n_loaded, loaded);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(f->n_done, done + 1);
}

/* ---- loading ---------------------------------------------------------- */

static void
extmod_load_sorts_good_from_broken(void **state)
{
	struct fixture *f = *state;
	uint64_t t0 = util_now_ms();
	char *log, *hidden;

	write_modules(f);
	load_all(f, 1000);
	/* Loaded, in file-name order. */
	assert_int_equal(f->n_loaded, 4);
	assert_string_equal(f->loaded[0]->name, "good");
	assert_string_equal(f->loaded[1]->name, "grandchild");
	assert_string_equal(f->loaded[2]->name, "noconfschema");
	assert_string_equal(f->loaded[3]->name, "noisy");
	assert_string_equal(f->loaded[0]->actions[0], "echo");
	assert_string_equal(f->loaded[0]->actions[3], "fail5");
	assert_null(f->loaded[0]->actions[4]);
	assert_null(f->loaded[1]->actions[0]);
	assert_false(f->loaded[0]->blocking_only);
	assert_non_null(f->loaded[0]->results);
	/* The hang and grandchild timeouts ran side by side. */
	assert_true(util_now_ms() - t0 < 2900);

	log = read_log(f);
	log_has(log, f, "good", "loaded module 'good' (actions: echo, nullable, "
	    "stdin, fail5)");
	log_has(log, f, "badjson", "not loaded: metadata is not valid JSON "
	    "(exit code 0)");
	log_has(log, f, "stderronly", "not loaded: metadata is not valid JSON "
	    "(exit code 2, stderr: oops)");
	log_has(log, f, "badschema", "not loaded: metadata: action 'run': input "
	    "schema: $.type: unknown type 'strng'");
	log_has(log, f, "nodesc", "not loaded: metadata: 'description' must be "
	    "a string");
	log_has(log, f, "hang", "not loaded: '");
	assert_non_null(strstr(log, "/hang metadata' did not finish within "
	    "1000 ms: killed"));
	log_has(log, f, "bigmeta", "not loaded: metadata output is larger than "
	    "1048576 bytes");
	if (under_valgrind())
		/* valgrind kills a child whose execve fails before libuv can
		 * report it: only the outcome is the same there. */
		log_has(log, f, "failexec", "not loaded: ");
	else {
		log_has(log, f, "failexec", "not loaded: cannot run '");
		assert_non_null(strstr(log, "/failexec metadata': no such file "
		    "or directory"));
	}
	log_has(log, f, "confbad", "not loaded: configuration confbad.conf does "
	    "not match the module's configuration schema: $.puppet_bin: "
	    "expected string, got number");
	log_has(log, f, "confjunk", "configuration: ");
	assert_non_null(strstr(log, "/conf/confjunk.conf is not valid JSON: "
	    "treated as null"));
	log_has(log, f, "confjunk", "not loaded: configuration confjunk.conf "
	    "does not match the module's configuration schema: $: expected "
	    "object, got null");
	assert_non_null(strstr(log, "/conf/noconfschema.conf is not valid JSON: "
	    "treated as null"));
	log_has(log, f, "noconfschema", "loaded module 'noconfschema' (actions: "
	    "none)");
	log_has(log, f, "noisy", "loaded module 'noisy'");
	log_has(log, f, "grandchild", "loaded module 'grandchild'");
	log_has(log, f, "notexec", "not loaded: not executable: permission "
	    "denied");
	log_has(log, f, "helper.sh", "has an extension: not a module file");
	/* Exactly one line per broken module, none for dot files or the
	 * subdirectory's content. */
	assert_int_equal(count(log, "/badjson: "), 1);
	assert_int_equal(count(log, "/hang: "), 1);
	assert_int_equal(count(log, "/bigmeta: "), 1);
	assert_int_equal(count(log, "/confbad: "), 1);
	assert_int_equal(count(log, "/confjunk: "), 2);  /* the file, then the module */
	assert_int_equal(count(log, "/sub"), 0);
	assert_int_equal(count(log, "inner"), 0);
	hidden = util_asprintf("%s/.hidden", f->mods);
	assert_null(strstr(log, hidden));
	free(hidden);
	free(log);
}

static void
extmod_load_missing_dir(void **state)
{
	struct fixture *f = *state;
	char *log;

	f->cfg.modules_dir = "/nonexistent/pxpd-modules";
	load_all(f, 1000);
	assert_int_equal(f->n_loaded, 0);
	log = read_log(f);
	assert_non_null(strstr(log, "cannot read modules-dir "
	    "/nonexistent/pxpd-modules: no such file or directory: no external "
	    "module loaded"));
	free(log);
}

static void
extmod_load_empty_dir_and_unset(void **state)
{
	struct fixture *f = *state;
	char *log;

	load_all(f, 1000);
	assert_int_equal(f->n_loaded, 0);
	f->cfg.modules_dir = "";
	load_all(f, 1000);
	assert_int_equal(f->n_done, 2);
	log = read_log(f);
	assert_non_null(strstr(log, "WARN  [extmod] modules-dir is not set: no "
	    "external module loaded"));
	free(log);
}

/* ---- the module ops, without processes ------------------------------- */

static struct module *
good_module(const char *conf)
{
	char err[512] = "";
	cJSON *conf_json = conf ? cJSON_Parse(conf) : NULL;
	struct module *m = extmod_module_new("good", "/x/good",
	    cJSON_Parse(good_metadata), conf != NULL, conf_json, err,
	    sizeof(err));

	if (!m)
		fail_msg("good module refused: %s", err);
	return m;
}

static void
new_fails(const char *metadata, bool conf_present, const char *conf,
    const char *want)
{
	char err[512] = "";

	assert_null(extmod_module_new("m", "/x/m", cJSON_Parse(metadata),
	    conf_present, conf ? cJSON_Parse(conf) : NULL, err, sizeof(err)));
	assert_string_equal(err, want);
}

static void
extmod_metadata_checked(void **state)
{
	struct module *m;

	new_fails("[]", false, NULL, "metadata is not a JSON object");
	new_fails("{\"description\":1,\"actions\":[]}", false, NULL,
	    "metadata: 'description' must be a string");
	new_fails("{\"description\":\"d\"}", false, NULL,
	    "metadata: 'actions' must be an array");
	new_fails("{\"description\":\"d\",\"actions\":{}}", false, NULL,
	    "metadata: 'actions' must be an array");
	new_fails("{\"description\":\"d\",\"configuration\":[],\"actions\":[]}",
	    false, NULL, "metadata: 'configuration' must be a JSON object");
	new_fails("{\"description\":\"d\",\"configuration\":{\"type\":\"x\"},"
	    "\"actions\":[]}", false, NULL,
	    "metadata: configuration schema: $.type: unknown type 'x'");
	new_fails("{\"description\":\"d\",\"actions\":[{\"input\":{},"
	    "\"results\":{}}]}", false, NULL, "metadata: actions[0] must be an "
	    "object with a non-empty 'name' string");
	new_fails("{\"description\":\"d\",\"actions\":[{\"name\":\"\","
	    "\"input\":{},\"results\":{}}]}", false, NULL, "metadata: actions[0] "
	    "must be an object with a non-empty 'name' string");
	new_fails("{\"description\":\"d\",\"actions\":[{\"name\":\"a\","
	    "\"results\":{}}]}", false, NULL,
	    "metadata: action 'a': no 'input' schema");
	new_fails("{\"description\":\"d\",\"actions\":[{\"name\":\"a\","
	    "\"input\":{},\"results\":true}]}", false, NULL,
	    "metadata: action 'a': 'results' must be a JSON object");
	new_fails("{\"description\":\"d\",\"actions\":[{\"name\":\"a\","
	    "\"input\":{},\"results\":{\"$ref\":\"other.json#/a\"}}]}", false,
	    NULL, "metadata: action 'a': results schema: $.$ref: only references "
	    "within this schema ('#' or '#/...') are supported, not "
	    "'other.json#/a'");
	/* a pattern pxpd cannot apply keeps the module out, said at load */
	new_fails("{\"description\":\"d\",\"actions\":[{\"name\":\"a\","
	    "\"input\":{\"properties\":{\"p\":{\"pattern\":\"(a)\\\\1\"}}},"
	    "\"results\":{}}]}", false, NULL, "metadata: action 'a': input "
	    "schema: $.properties.p.pattern: unusable pattern: back-references "
	    "are not supported");
	new_fails("{\"description\":\"d\",\"configuration\":{\"$ref\":\"#\"},"
	    "\"actions\":[]}", false, NULL, "metadata: configuration schema: $: "
	    "applies itself to the same value through $ref without descending "
	    "into it (a loop)");
	new_fails("{\"description\":\"d\",\"actions\":[{\"name\":\"a\","
	    "\"description\":3,\"input\":{},\"results\":{}}]}", false, NULL,
	    "metadata: action 'a': 'description' must be a string");
	new_fails("{\"description\":\"d\",\"actions\":[{\"name\":\"a\","
	    "\"input\":{},\"results\":{}},{\"name\":\"a\",\"input\":{},"
	    "\"results\":{}}]}", false, NULL,
	    "metadata: action 'a': defined twice");
	/* configuration: a schema with a present file must match; a missing
	 * file is not checked; an unreadable one counts as null */
	new_fails(conf_schema_metadata, true, "{\"puppet_bin\":[]}",
	    "configuration m.conf does not match the module's configuration "
	    "schema: $.puppet_bin: expected string, got array");
	new_fails(conf_schema_metadata, true, NULL,
	    "configuration m.conf does not match the module's configuration "
	    "schema: $: expected object, got null");
	m = good_module(NULL);
	m->free(m);
	m = good_module("{}");
	m->free(m);
	/* NULL metadata (unparseable) is refused, nothing leaks */
	new_fails("{", false, NULL, "metadata is not a JSON object");
}

static void
extmod_check_params(void **state)
{
	struct module *m = good_module(NULL);
	cJSON *p;
	char err[256];

	p = cJSON_Parse("{\"msg\":\"hi\",\"extra\":1}");
	assert_int_equal(m->check(m, "echo", p, err, sizeof(err)), 0);
	cJSON_Delete(p);
	p = cJSON_Parse("{\"msg\":3}");
	assert_int_equal(m->check(m, "echo", p, err, sizeof(err)), -1);
	assert_string_equal(err, "$.msg: expected string, got number");
	cJSON_Delete(p);
	assert_int_equal(m->check(m, "echo", NULL, err, sizeof(err)), -1);
	assert_string_equal(err, "$: missing required property 'msg'");
	assert_int_equal(m->check(m, "nullable", NULL, err, sizeof(err)), 0);
	assert_int_equal(m->check(m, "nope", NULL, err, sizeof(err)), -1);
	assert_string_equal(err, "unknown action 'nope'");
	m->free(m);
}

/* Runs the module's results() on stdout/stderr/exit code. */
static int
results(struct module *m, const char *action, const char *out,
    const char *err, int exitcode, char **res, char **error)
{
	struct action_output o;

	memset(&o, 0, sizeof(o));
	o.exitcode = exitcode;
	o.out = out;
	o.out_len = strlen(out);
	o.err = err;
	o.err_len = strlen(err);
	return m->results(m, action, &o, res, error);
}

static void
results_ok(struct module *m, const char *action, const char *out,
    int exitcode, const char *want)
{
	char *res = NULL, *error = NULL;

	assert_int_equal(results(m, action, out, "", exitcode, &res, &error), 0);
	if (error)
		fail_msg("unexpected error: %s", error);
	assert_string_equal(res, want);
	free(res);
}

static void
results_fail(struct module *m, const char *action, const char *out,
    const char *err, int exitcode, const char *want)
{
	char *res = NULL, *error = NULL;

	assert_int_equal(results(m, action, out, err, exitcode, &res, &error), 0);
	assert_null(res);
	assert_non_null(error);
	assert_string_equal(error, want);
	free(error);
}

/* tests/data/modules/pkg.metadata.json: a module whose schemas use $ref,
 * definitions, oneOf, anyOf, not, patternProperties, dependencies,
 * uniqueItems and multipleOf, as pxp-agent's validator would load it. */
static char *
pkg_metadata(void)
{
	const char *data = getenv("PXPD_TEST_DATA");
	char *path, *text;
	FILE *fp;
	size_t n;

	assert_non_null(data);
	path = util_asprintf("%s/modules/pkg.metadata.json", data);
	assert_non_null(fp = fopen(path, "r"));
	assert_non_null(text = calloc(1, 1 << 16));
	n = fread(text, 1, (1 << 16) - 1, fp);
	assert_true(n > 0 && n < (1 << 16) - 1);
	fclose(fp);
	free(path);
	return text;
}

static void
extmod_load_draft4_module(void **state)
{
	struct fixture *f = *state;
	struct module *m;
	char *md = pkg_metadata(), *log, err[256];
	cJSON *p;

	write_module(f->mods, "pkg", md, "cat >/dev/null\n"
	    "echo '{\"packages\":[{\"name\":\"curl\",\"status\":\"failed\"}]}'\n");
	write_file(f->confs, "pkg.conf", 0644, "{\"timeout\":30,\"provider\":\"apt\"}");
	/* the same metadata, but a configuration its schema refuses */
	write_module(f->mods, "pkgbadconf", md, NULL);
	write_file(f->confs, "pkgbadconf.conf", 0644, "{\"timeout\":0}");
	free(md);
	load_all(f, 5000);
	assert_int_equal(f->n_loaded, 1);
	m = f->loaded[0];
	assert_string_equal(m->name, "pkg");
	assert_string_equal(m->actions[0], "install");
	assert_string_equal(m->actions[1], "query");
	assert_null(m->actions[2]);
	log = read_log(f);
	log_has(log, f, "pkg", "loaded module 'pkg' (actions: install, query)");
	log_has(log, f, "pkgbadconf", "not loaded: configuration pkgbadconf.conf "
	    "does not match the module's configuration schema: $.timeout: 0 is "
	    "below the minimum 1");
	free(log);

	p = cJSON_Parse("{\"packages\":[\"openssl\",{\"name\":\"curl\","
	    "\"version\":\"7.88.1-10+deb12u5\"}],\"options\":{\"--yes\":true},"
	    "\"env\":{\"DEBIAN_FRONTEND\":\"noninteractive\"}}");
	assert_int_equal(m->check(m, "install", p, err, sizeof(err)), 0);
	cJSON_Delete(p);
	p = cJSON_Parse("{\"packages\":[{\"name\":\"curl\",\"version\":"
	    "\"newest\"}]}");
	assert_int_equal(m->check(m, "install", p, err, sizeof(err)), -1);
	assert_string_equal(err, "$.packages[0]: matches none of the schemas in "
	    "oneOf");
	cJSON_Delete(p);
	p = cJSON_Parse("{\"packages\":[\"a\"],\"env\":{\"lower\":\"x\"}}");
	assert_int_equal(m->check(m, "install", p, err, sizeof(err)), -1);
	assert_string_equal(err, "$.env.lower: additional property not allowed");
	cJSON_Delete(p);
	assert_int_equal(m->check(m, "install", NULL, err, sizeof(err)), -1);
	assert_string_equal(err, "$: missing required property 'packages'");

	results_ok(m, "install", "{\"packages\":[{\"name\":\"curl\",\"status\":"
	    "\"failed\",\"error\":\"404\"}]}", 1, "{\"packages\":[{\"name\":"
	    "\"curl\",\"status\":\"failed\",\"error\":\"404\"}]}");
	results_fail(m, "install", "{\"packages\":[{\"name\":\"curl\",\"status\":"
	    "\"failed\"}]}", "", 1, "The task executed for the 'pkg install' "
	    "request returned invalid results on stdout: $.packages[0]: matches "
	    "none of the schemas in anyOf - stderr: (empty)");
}

static void
extmod_results_processed(void **state)
{
	struct module *m = good_module(NULL);
	struct action_output o;
	char *res, *error;

	results_ok(m, "echo", " { \"msg\" : \"hi\", \"n\": [1, 2.5] }\n", 0,
	    "{\"msg\":\"hi\",\"n\":[1,2.5]}");
	/* a non-zero exit code alone does not make results invalid */
	results_ok(m, "echo", "{\"msg\":\"x\"}", 1, "{\"msg\":\"x\"}");
	results_ok(m, "nullable", "", 0, "null");
	results_ok(m, "nullable", "{}", 0, "{}");
	results_fail(m, "echo", "{\"msg\":", "boom\n", 0,
	    "The task executed for the 'good echo' request returned invalid "
	    "JSON on stdout - stderr:\nboom\n");
	results_fail(m, "echo", "{\"msg\":\"a\"} trailing", "", 0,
	    "The task executed for the 'good echo' request returned invalid "
	    "JSON on stdout - stderr: (empty)");
	results_fail(m, "echo", "\n", "", 0,
	    "The task executed for the 'good echo' request returned invalid "
	    "JSON on stdout - stderr: (empty)");
	results_fail(m, "echo", "{\"msg\":\"\xff\"}", "", 0,
	    "The task executed for the 'good echo' request returned invalid "
	    "JSON on stdout (not UTF-8) - stderr: (empty)");
	results_fail(m, "echo", "{\"other\":1}", "warn", 0,
	    "The task executed for the 'good echo' request returned invalid "
	    "results on stdout: $: missing required property 'msg' - stderr:\n"
	    "warn");
	/* empty stdout is null: valid only where the schema allows null */
	results_fail(m, "echo", "", "", 0,
	    "The task executed for the 'good echo' request returned invalid "
	    "results on stdout: $: expected object, got null - stderr: (empty)");
	/* exit code 5 through results(): reserved only when non-blocking */
	memset(&o, 0, sizeof(o));
	o.out = "{\"msg\":\"x\"}";
	o.out_len = strlen(o.out);
	o.err = "";
	o.exitcode = 5;
	o.non_blocking = true;
	assert_int_equal(m->results(m, "echo", &o, &res, &error), 0);
	assert_null(res);
	assert_string_equal(error, "failed to write output on file");
	free(error);
	error = NULL;
	o.non_blocking = false;
	assert_int_equal(m->results(m, "echo", &o, &res, &error), 0);
	assert_null(error);
	assert_string_equal(res, "{\"msg\":\"x\"}");
	free(res);
	res = NULL;
	results_fail(m, "nope", "{}", "", 0,
	    "unknown action 'nope' for module 'good'");

	/* truncated output is never trusted, even when it parses */
	memset(&o, 0, sizeof(o));
	o.out = "{\"msg\":\"x\"}";
	o.out_len = strlen(o.out);
	o.out_truncated = true;
	o.err = "";
	assert_int_equal(m->results(m, "echo", &o, &res, &error), 0);
	assert_null(res);
	assert_string_equal(error, "The task executed for the 'good echo' "
	    "request returned invalid JSON on stdout (output truncated) - "
	    "stderr: (empty)");
	free(error);
	/* exit code 5 of a blocking action is just an exit code */
	o.out_truncated = false;
	o.exitcode = 5;
	assert_int_equal(extmod_output_process(m, "echo", &o, false, &res,
	    &error), 0);
	assert_null(error);
	assert_string_equal(res, "{\"msg\":\"x\"}");
	free(res);
	/* NULL output (nothing read) is empty stdout */
	memset(&o, 0, sizeof(o));
	assert_int_equal(m->results(m, "nullable", &o, &res, &error), 0);
	assert_null(error);
	assert_string_equal(res, "null");
	free(res);
	m->free(m);
}

/* ---- end to end: engine, exec, wrapper -------------------------------- */

static int
record(void *arg, const struct pcp_out *o)
{
	struct fixture *f = arg;

	assert_true(f->n_sent < MAX_SENT);
	f->sent[f->n_sent].type = util_strdup(pcp_type_name(o->message_type));
	f->sent[f->n_sent].data = o->data_json ?
	    cJSON_ParseWithLength(o->data_json, o->data_len) : NULL;
	f->n_sent++;
	return 0;
}

static void
feed(struct fixture *f, const char *type, const char *data)
{
	char *text = util_asprintf("{\"id\":\"m-1\",\"message_type\":"
	    "\"http://puppetlabs.com/%s\",\"sender\":\"pcp://ctl/controller\","
	    "\"target\":\"pcp://agent01.example/agent\",\"data\":%s}", type,
	    data);
	struct pcp_msg msg;
	const char *err = NULL;

	assert_int_equal(pcp_v2_decode(text, strlen(text), &msg, &err), 0);
	engine_message(f->e, &msg);
	pcp_msg_clear(&msg);
	free(text);
}

static void
run_until_sent(struct fixture *f, int n)
{
	uint64_t t0 = util_now_ms();

	while (f->n_sent < n && util_now_ms() - t0 < 20000)
		uv_run(&f->loop, UV_RUN_ONCE);
	assert_int_equal(f->n_sent, n);
}

static const cJSON *
results_of(struct fixture *f, int i)
{
	return cJSON_GetObjectItemCaseSensitive(f->sent[i].data, "results");
}

static void
e2e_setup(struct fixture *f)
{
	const char *bin = getenv("PXPD_BIN");
	char err[256];
	int i;

	if (!bin || access(bin, X_OK) != 0)
		skip();
	/* The test binary is not pxpd: the wrapper is the real binary. */
	if (!(f->exec.wrapper = exec_wrapper_open(bin, err, sizeof(err))))
		fail_msg("exec_wrapper_open: %s", err);
	write_module(f->mods, "good", good_metadata, good_actions);
	write_file(f->confs, "good.conf", 0644,
	    "{\"puppet_bin\":\"/bin/true\"}\n");
	load_all(f, 5000);
	assert_int_equal(f->n_loaded, 1);
	f->e = engine_new(&f->loop, &f->cfg, &(struct engine_services){
	    .exec = &f->exec }, record, f, err, sizeof(err));
	if (!f->e)
		fail_msg("engine_new: %s", err);
	for (i = 0; i < f->n_loaded; i++)
		assert_int_equal(engine_module_add(f->e, f->loaded[i]), 0);
	engine_connection(f->e, true);
}

static void
extmod_e2e_blocking(void **state)
{
	struct fixture *f = *state;
	char *text;

	e2e_setup(f);
	feed(f, "rpc_blocking_request", "{\"transaction_id\":\"b1\","
	    "\"module\":\"good\",\"action\":\"echo\",\"params\":{\"msg\":\"hi\"}}");
	run_until_sent(f, 1);
	assert_string_equal(f->sent[0].type, "rpc_blocking_response");
	text = cJSON_PrintUnformatted(results_of(f, 0));
	assert_string_equal(text, "{\"msg\":\"hi\"}");
	free(text);

	/* stdin: params and configuration, no output_files when blocking */
	feed(f, "rpc_blocking_request", "{\"transaction_id\":\"b2\","
	    "\"module\":\"good\",\"action\":\"stdin\",\"params\":{\"a\":[1,\"x\"]}}");
	run_until_sent(f, 2);
	assert_string_equal(f->sent[1].type, "rpc_blocking_response");
	text = cJSON_PrintUnformatted(results_of(f, 1));
	assert_string_equal(text, "{\"input\":{\"a\":[1,\"x\"]},\"configuration\":"
	    "{\"puppet_bin\":\"/bin/true\"}}");
	free(text);

	/* params checked against the input schema before anything runs */
	feed(f, "rpc_blocking_request", "{\"transaction_id\":\"b3\","
	    "\"module\":\"good\",\"action\":\"echo\",\"params\":{\"msg\":1}}");
	assert_int_equal(f->n_sent, 3);
	assert_string_equal(f->sent[2].type, "rpc_error_message");
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(f->sent[2].data,
	    "description")->valuestring, "invalid input for blocking 'good echo' "
	    "request (transaction b3): $.msg: expected string, got number");

	/* empty stdout is null, which this action's schema allows */
	feed(f, "rpc_blocking_request", "{\"transaction_id\":\"b4\","
	    "\"module\":\"good\",\"action\":\"nullable\",\"params\":{}}");
	run_until_sent(f, 4);
	assert_string_equal(f->sent[3].type, "rpc_blocking_response");
	assert_true(cJSON_IsNull(results_of(f, 3)));
}

static void
extmod_e2e_non_blocking(void **state)
{
	struct fixture *f = *state;
	const cJSON *res, *files;
	char *want;

	e2e_setup(f);
	feed(f, "rpc_non_blocking_request", "{\"transaction_id\":\"n1\","
	    "\"notify_outcome\":true,\"module\":\"good\",\"action\":\"stdin\","
	    "\"params\":{\"k\":\"v\"}}");
	run_until_sent(f, 2);
	assert_string_equal(f->sent[0].type, "rpc_provisional_response");
	assert_string_equal(f->sent[1].type, "rpc_non_blocking_response");
	res = results_of(f, 1);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(res, "input"), "k")->valuestring, "v");
	assert_non_null(cJSON_GetObjectItemCaseSensitive(res, "configuration"));
	files = cJSON_GetObjectItemCaseSensitive(res, "output_files");
	want = util_asprintf("%s/n1/stdout", f->spool);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(files,
	    "stdout")->valuestring, want);
	free(want);
	/* beside the wrapper's exitcode, which only the wrapper writes */
	want = util_asprintf("%s/n1/" EXEC_FILE_MODULE_EXITCODE, f->spool);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(files,
	    "exitcode")->valuestring, want);
	free(want);

	/* exit code 5 in non-blocking mode: the reserved failure */
	feed(f, "rpc_non_blocking_request", "{\"transaction_id\":\"n2\","
	    "\"notify_outcome\":true,\"module\":\"good\",\"action\":\"fail5\","
	    "\"params\":{}}");
	run_until_sent(f, 4);
	assert_string_equal(f->sent[2].type, "rpc_provisional_response");
	assert_string_equal(f->sent[3].type, "rpc_error_message");
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(f->sent[3].data,
	    "description")->valuestring, "failed to write output on file");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(extmod_load_sorts_good_from_broken,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(extmod_load_missing_dir, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(extmod_load_empty_dir_and_unset,
		    setup, teardown),
		cmocka_unit_test(extmod_metadata_checked),
		cmocka_unit_test(extmod_check_params),
		cmocka_unit_test(extmod_results_processed),
		cmocka_unit_test_setup_teardown(extmod_load_draft4_module, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(extmod_e2e_blocking, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(extmod_e2e_non_blocking, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
