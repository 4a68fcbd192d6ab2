/* test_exec_place.c: what file download's placing step needs from exec
 * (issue 10 item 10), through the real wrapper (PXPD_BIN): input files
 * fed to the action's stdin after its input, each framed with its length
 * (a missing one marked so), and the built-in placer (os/posix/place.c)
 * run where an executable would be: files, directories and symlinks in
 * order, pxp-agent's modes and messages, the first failure ending it.
 * Running it as another user is integration_tasks'. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "exec/exec.h"
#include "exec_fixture.h"

static void
put(const char *dir, const char *name, const char *text)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(fp = fopen(path, "w"));
	fputs(text, fp);
	fclose(fp);
}

static void
be64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (56 - 8 * i));
}

static void
exec_input_files_framed(void **state)
{
	struct exec_fixture *f = *state;
	char a[128], missing[128], empty[128];
	const char *files[] = { a, missing, empty, NULL };
	struct exec_spec spec = { .executable = "cat", .input = "hdr\n",
	    .input_len = 4, .input_files = files };
	unsigned char want[4 + 8 + 3 + 8 + 8];

	snprintf(a, sizeof(a), "%s/a", f->dir);
	snprintf(missing, sizeof(missing), "%s/missing", f->dir);
	snprintf(empty, sizeof(empty), "%s/empty", f->dir);
	put(f->dir, "a", "abc");
	put(f->dir, "empty", "");
	memcpy(want, "hdr\n", 4);
	be64(want + 4, 3);
	memcpy(want + 12, "abc", 3);
	be64(want + 15, EXEC_INPUT_FILE_MISSING);
	be64(want + 23, 0);
	exec_fixture_run(f, &spec);
	assert_int_equal(f->r.exitcode, 0);
	assert_int_equal(f->r.out_len, sizeof(want));
	assert_memory_equal(f->out, want, sizeof(want));
}

/* A file bigger than the pipe and the wrapper's buffer arrives whole. */
static void
exec_input_file_large(void **state)
{
	struct exec_fixture *f = *state;
	char path[128];
	const char *files[] = { path, NULL };
	const char *args[] = { "-c", NULL };
	struct exec_spec spec = { .executable = "wc", .args = args,
	    .input_files = files, .timeout_s = 30 };
	FILE *fp;
	int i;

	snprintf(path, sizeof(path), "%s/big", f->dir);
	assert_non_null(fp = fopen(path, "w"));
	for (i = 0; i < 3 * 1024 * 1024 / 64; i++)
		fputs("0123456789012345678901234567890123456789012345678901234"
		    "56789012\n", fp);
	fclose(fp);
	exec_fixture_run(f, &spec);
	assert_int_equal(f->r.exitcode, 0);
	assert_int_equal(strtol(f->out, NULL, 10), 8 + 3 * 1024 * 1024);
}

static void
place(struct exec_fixture *f, const char *items, const char *const *files)
{
	char *input = util_asprintf("{\"items\":[%s]}\n", items);
	struct exec_spec spec = { .executable = "pxpd: place files",
	    .builtin = EXEC_BUILTIN_PLACE, .input_files = files,
	    .timeout_s = 30 };

	assert_non_null(input);
	spec.input = input;
	spec.input_len = strlen(input);
	exec_fixture_run(f, &spec);
	free(input);
}

static void
exec_place_items_in_order(void **state)
{
	struct exec_fixture *f = *state;
	char src[128], items[1024], path[256], link[64];
	const char *files[] = { src, NULL };
	struct stat st;
	ssize_t n;

	snprintf(src, sizeof(src), "%s/cached", f->dir);
	put(f->dir, "cached", "the content\n");
	put(f->dir, "present", "left alone\n");
	chmod(src, 0600);
	snprintf(items, sizeof(items),
	    "{\"kind\":\"directory\",\"destination\":\"%s/d/sub\"},"
	    "{\"kind\":\"file\",\"destination\":\"%s/d/sub/f\"},"
	    "{\"kind\":\"file\",\"destination\":\"%s/present\",\"skip\":true},"
	    "{\"kind\":\"symlink\",\"destination\":\"%s/d/l\","
	    "\"link_source\":\"sub/f\"},"
	    "{\"kind\":\"directory\",\"destination\":\"%s/d\"}",
	    f->dir, f->dir, f->dir, f->dir, f->dir);
	place(f, items, files);
	assert_int_equal(f->r.exitcode, 0);
	assert_string_equal(f->out, "downloaded");
	assert_true(f->err == NULL || f->err[0] == '\0');
	snprintf(path, sizeof(path), "%s/d/sub/f", f->dir);
	free(f->out);
	f->out = exec_fixture_slurp(f->dir, "d/sub/f", NULL);
	assert_string_equal(f->out, "the content\n");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0750);
	snprintf(path, sizeof(path), "%s/d/sub", f->dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0750);
	snprintf(path, sizeof(path), "%s/d/l", f->dir);
	assert_true((n = readlink(path, link, sizeof(link) - 1)) > 0);
	link[n] = '\0';
	assert_string_equal(link, "sub/f");
	free(f->out);
	f->out = exec_fixture_slurp(f->dir, "present", NULL);
	assert_string_equal(f->out, "left alone\n");
}

static void
exec_place_failures(void **state)
{
	struct exec_fixture *f = *state;
	char gone[128], items[1024], want[512];
	const char *files[] = { gone, NULL };

	put(f->dir, "afile", "x");
	snprintf(items, sizeof(items), "{\"kind\":\"directory\","
	    "\"destination\":\"%s/afile\"}", f->dir);
	place(f, items, NULL);
	assert_int_equal(f->r.exitcode, 1);
	snprintf(want, sizeof(want), "Destination %s/afile already exists "
	    "and is not a directory!", f->dir);
	assert_string_equal(f->err, want);
	assert_true(f->out == NULL || f->out[0] == '\0');

	snprintf(items, sizeof(items), "{\"kind\":\"symlink\","
	    "\"destination\":\"%s/afile\",\"link_source\":\"x\"}", f->dir);
	place(f, items, NULL);
	snprintf(want, sizeof(want), "Destination %s/afile already exists "
	    "and is not a symlink!", f->dir);
	assert_string_equal(f->err, want);

	/* the first failure ends it: the directory after it is not made */
	snprintf(gone, sizeof(gone), "%s/no-such-cache-file", f->dir);
	snprintf(items, sizeof(items), "{\"kind\":\"file\",\"destination\":"
	    "\"%s/new\"},{\"kind\":\"directory\",\"destination\":\"%s/after\"}",
	    f->dir, f->dir);
	place(f, items, files);
	assert_int_equal(f->r.exitcode, 1);
	assert_non_null(strstr(f->err, "gone from the task cache"));
	snprintf(want, sizeof(want), "%s/after", f->dir);
	assert_int_equal(access(want, F_OK), -1);
	snprintf(want, sizeof(want), "%s/new", f->dir);
	assert_int_equal(access(want, F_OK), -1);

	/* no directory to write into: nothing half-written is left */
	snprintf(gone, sizeof(gone), "%s/afile", f->dir);
	snprintf(items, sizeof(items), "{\"kind\":\"file\",\"destination\":"
	    "\"%s/missing/dir/f\"}", f->dir);
	place(f, items, files);
	assert_int_equal(f->r.exitcode, 1);
	snprintf(want, sizeof(want), "Failed to download %s/missing/dir/f; "
	    "cannot write %s/missing/dir/f: No such file or directory", f->dir,
	    f->dir);
	assert_string_equal(f->err, want);

	/* items it cannot read */
	place(f, "{\"kind\":\"socket\",\"destination\":\"/x\"}", NULL);
	assert_string_equal(f->err, "Not a valid file type! socket");
	place(f, "5", NULL);
	assert_non_null(strstr(f->err, "without kind or destination"));
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, exec_fixture_setup, \
    exec_fixture_teardown)
	const struct CMUnitTest tests[] = {
		T(exec_input_files_framed),
		T(exec_input_file_large),
		T(exec_place_items_in_order),
		T(exec_place_failures),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
