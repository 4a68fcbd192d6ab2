/* test_os_fs.c: os.h's files on a real directory: mkdir -p (modes,
 * existing and blocked paths), private creation (modes whatever the
 * umask, never through a planted name), atomic writes (whole, private,
 * no temp left, a symlink replaced and not written through), bounded
 * reads, listings by type and appending files. The tree removal is
 * test_os_rmtree.c's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "os/os.h"
#include "os_fixture.h"

#define PATH_BUF OS_FIXTURE_PATH

static int
setup(void **state)
{
	struct os_fixture *f = malloc(sizeof(*f));

	assert_non_null(f);
	os_fixture_init(f);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	os_fixture_fini(*state);
	free(*state);
	return 0;
}

static void
os_mkdir_p_modes_and_existing(void **state)
{
	struct os_fixture *f = *state;
	char leaf[PATH_BUF];

	snprintf(leaf, sizeof(leaf), "%s/a/b/c", f->root);
	assert_int_equal(os_mkdir_p(leaf, OS_MODE_DIR_PUBLIC,
	    OS_MODE_DIR_PRIVATE), 0);
	assert_int_equal(os_fixture_perm(os_fixture_path(f, "a")), 0755);
	assert_int_equal(os_fixture_perm(os_fixture_path(f, "a/b")), 0755);
	assert_int_equal(os_fixture_perm(leaf), 0700);
	/* Again: existing directories are fine and keep their modes. */
	assert_int_equal(chmod(leaf, 0750), 0);
	assert_int_equal(os_mkdir_p(leaf, 0700, 0700), 0);
	assert_int_equal(os_fixture_perm(leaf), 0750);
	assert_int_equal(os_fixture_perm(os_fixture_path(f, "a")), 0755);
	/* Doubled and trailing slashes. */
	snprintf(leaf, sizeof(leaf), "%s/x//y/", f->root);
	assert_int_equal(os_mkdir_p(leaf, 0750, 0750), 0);
	assert_int_equal(os_fixture_perm(os_fixture_path(f, "x/y")), 0750);
	/* A symlink to a directory counts as one. */
	assert_int_equal(symlink("a", os_fixture_path(f, "to-a")), 0);
	assert_int_equal(os_mkdir_p(os_fixture_path(f, "to-a"), 0700, 0700), 0);
	assert_int_equal(os_mkdir_p(os_fixture_path(f, "to-a/new"), 0700, 0700), 0);
	assert_int_equal(os_fixture_perm(os_fixture_path(f, "a/new")), 0700);
	/* A file in the way, as the last component or a parent. */
	os_fixture_put(os_fixture_path(f, "file"), "x");
	assert_int_equal(os_mkdir_p(os_fixture_path(f, "file"), 0700, 0700),
	    -ENOTDIR);
	assert_int_equal(os_mkdir_p(os_fixture_path(f, "file/sub"), 0700, 0700),
	    -ENOTDIR);
	assert_int_equal(os_mkdir_p("", 0700, 0700), -EINVAL);
	assert_int_equal(os_mkdir_p(NULL, 0700, 0700), -EINVAL);
	assert_int_equal(os_mkdir_p("/", 0700, 0700), 0);
}

static void
os_mkdir_parent_of_a_file(void **state)
{
	struct os_fixture *f = *state;

	assert_int_equal(os_mkdir_parent(os_fixture_path(f, "log/pxpd/pxpd.log"),
	    OS_MODE_DIR_GROUP), 0);
	assert_int_equal(os_fixture_perm(os_fixture_path(f, "log")), 0750);
	assert_int_equal(os_fixture_perm(os_fixture_path(f, "log/pxpd")), 0750);
	assert_int_equal(os_fixture_perm(os_fixture_path(f, "log/pxpd/pxpd.log")), -1);
	/* No directory part: nothing to make. */
	assert_int_equal(os_mkdir_parent("pxpd.log", 0750), 0);
	assert_int_equal(os_mkdir_parent("/pxpd.log", 0750), 0);
}

static void
os_create_private_modes(void **state)
{
	struct os_fixture *f = *state;
	struct os_file *file;
	char target[PATH_BUF];

	/* Private whatever the umask lets through. */
	umask(0);
	assert_int_equal(os_create_private(os_fixture_path(f, "d"), OS_FTYPE_DIR,
	    NULL), 0);
	assert_int_equal(os_fixture_perm(os_fixture_path(f, "d")), OS_MODE_DIR_PRIVATE);
	assert_int_equal(os_create_private(os_fixture_path(f, "d/f"), OS_FTYPE_REG,
	    &file), 0);
	assert_non_null(file);
	assert_int_equal(os_file_write(file, "secret", 6), 0);
	assert_int_equal(os_file_close(file), 0);
	assert_int_equal(os_fixture_perm(os_fixture_path(f, "d/f")), OS_MODE_FILE_PRIVATE);
	assert_string_equal(os_fixture_slurp(os_fixture_path(f, "d/f")), "secret");

	/* New only: whatever is there stays as it was. */
	assert_int_equal(os_create_private(os_fixture_path(f, "d"), OS_FTYPE_DIR,
	    NULL), -EEXIST);
	assert_int_equal(os_create_private(os_fixture_path(f, "d/f"), OS_FTYPE_REG,
	    &file), -EEXIST);
	assert_null(file);
	assert_string_equal(os_fixture_slurp(os_fixture_path(f, "d/f")), "secret");
	/* A planted symlink is never created through, dangling or not. */
	snprintf(target, sizeof(target), "%s/target", f->root);
	assert_int_equal(symlink(target, os_fixture_path(f, "planted")), 0);
	assert_int_equal(os_create_private(os_fixture_path(f, "planted"),
	    OS_FTYPE_REG, &file), -EEXIST);
	assert_int_equal(os_create_private(os_fixture_path(f, "planted"),
	    OS_FTYPE_DIR, NULL), -EEXIST);
	assert_int_equal(os_fixture_perm(target), -1);
	/* Kinds it does not make, or a file nobody would get. */
	assert_int_equal(os_create_private(os_fixture_path(f, "l"), OS_FTYPE_LINK,
	    NULL), -EINVAL);
	assert_int_equal(os_create_private(os_fixture_path(f, "g"), OS_FTYPE_REG,
	    NULL), -EINVAL);
	assert_int_equal(os_fixture_perm(os_fixture_path(f, "g")), -1);
}

static void
os_write_atomic_whole_and_private(void **state)
{
	struct os_fixture *f = *state;
	char path[PATH_BUF], target[PATH_BUF];

	snprintf(path, sizeof(path), "%s/meta", f->root);
	umask(0);
	assert_int_equal(os_write_atomic(path, "one", 3, false), 0);
	assert_string_equal(os_fixture_slurp(path), "one");
	assert_int_equal(os_fixture_perm(path), OS_MODE_FILE_PRIVATE);
	/* Replaced whole, durable or not; no temp file left beside it. */
	assert_int_equal(os_write_atomic(path, "second", 6, true), 0);
	assert_string_equal(os_fixture_slurp(path), "second");
	assert_int_equal(os_write_atomic(path, "", 0, false), 0);
	assert_string_equal(os_fixture_slurp(path), "");
	assert_int_equal(os_fixture_entries(f->root), 1);

	/* A symlink at path is replaced, its target untouched. */
	snprintf(target, sizeof(target), "%s/target", f->root);
	os_fixture_put(target, "keep");
	assert_int_equal(symlink(target, os_fixture_path(f, "link")), 0);
	assert_int_equal(os_write_atomic(os_fixture_path(f, "link"), "new", 3, true),
	    0);
	assert_int_equal(os_fixture_perm(os_fixture_path(f, "link")), OS_MODE_FILE_PRIVATE);
	assert_string_equal(os_fixture_slurp(os_fixture_path(f, "link")), "new");
	assert_string_equal(os_fixture_slurp(target), "keep");
	/* A missing directory: an error and nothing created. */
	assert_int_equal(os_write_atomic(os_fixture_path(f, "no/such"), "x", 1,
	    false), -ENOENT);
	assert_int_equal(os_fixture_entries(f->root), 3);
}

static void
os_read_file_bounded(void **state)
{
	struct os_fixture *f = *state;
	char *buf;
	size_t len;
	bool cut;

	os_fixture_put(os_fixture_path(f, "f"), "0123456789");
	assert_int_equal(os_read_file(os_fixture_path(f, "f"), false, 100, &buf, &len,
	    &cut), 0);
	assert_string_equal(buf, "0123456789");
	assert_int_equal(len, 10);
	assert_false(cut);
	free(buf);
	assert_int_equal(os_read_file(os_fixture_path(f, "f"), false, 4, &buf, &len,
	    &cut), 0);
	assert_string_equal(buf, "0123");
	assert_true(cut);
	free(buf);
	assert_int_equal(os_read_at(os_fixture_path(f, "f"), 8, 100, &buf, &len), 0);
	assert_string_equal(buf, "89");
	free(buf);
	assert_int_equal(os_read_at(os_fixture_path(f, "f"), 80, 100, &buf, &len), 0);
	assert_int_equal(len, 0);
	free(buf);

	/* Through a symlink only when asked; never a FIFO or a directory
	 * (and no wait on the FIFO). */
	assert_int_equal(symlink("f", os_fixture_path(f, "l")), 0);
	assert_int_equal(os_read_file(os_fixture_path(f, "l"), false, 100, &buf, &len,
	    &cut), -EINVAL);
	assert_null(buf);
	assert_int_equal(os_read_at(os_fixture_path(f, "l"), 0, 100, &buf, &len),
	    -EINVAL);
	assert_int_equal(os_read_file(os_fixture_path(f, "l"), true, 100, &buf, &len,
	    &cut), 0);
	assert_string_equal(buf, "0123456789");
	free(buf);
	assert_int_equal(mkfifo(os_fixture_path(f, "fifo"), 0600), 0);
	assert_int_equal(os_read_file(os_fixture_path(f, "fifo"), true, 100, &buf,
	    &len, &cut), -EINVAL);
	assert_int_equal(os_read_file(f->root, true, 100, &buf, &len, &cut),
	    -EINVAL);
	assert_int_equal(os_read_file(os_fixture_path(f, "none"), true, 100, &buf,
	    &len, &cut), -ENOENT);
}

static bool
has_name(char **names, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return true;
	return false;
}

static void
os_dir_list_and_info_by_type(void **state)
{
	struct os_fixture *f = *state;
	struct os_fileinfo info;
	char **names;
	size_t n;

	assert_int_equal(mkdir(os_fixture_path(f, "d1"), 0700), 0);
	assert_int_equal(mkdir(os_fixture_path(f, "d2"), 0750), 0);
	os_fixture_put(os_fixture_path(f, "file"), "abc");
	assert_int_equal(symlink("d1", os_fixture_path(f, "link")), 0);

	assert_int_equal(os_dir_list(f->root, OS_FTYPE_DIR, &names, &n), 0);
	assert_int_equal(n, 2);
	assert_true(has_name(names, n, "d1") && has_name(names, n, "d2"));
	os_names_free(names, n);
	assert_int_equal(os_dir_list(f->root, OS_FTYPE_LINK, &names, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(names[0], "link");
	os_names_free(names, n);
	assert_int_equal(os_dir_list(os_fixture_path(f, "none"), OS_FTYPE_REG, &names,
	    &n), -ENOENT);
	assert_null(names);

	assert_int_equal(os_path_info(os_fixture_path(f, "file"), false, &info), 0);
	assert_int_equal(info.type, OS_FTYPE_REG);
	assert_int_equal(info.size, 3);
	assert_int_equal(info.perm, 0644);
	assert_int_equal(os_path_info(os_fixture_path(f, "d2"), false, &info), 0);
	assert_int_equal(info.type, OS_FTYPE_DIR);
	assert_int_equal(info.perm, 0750);
	assert_int_equal(os_path_info(os_fixture_path(f, "link"), false, &info), 0);
	assert_int_equal(info.type, OS_FTYPE_LINK);
	assert_int_equal(os_path_info(os_fixture_path(f, "link"), true, &info), 0);
	assert_int_equal(info.type, OS_FTYPE_DIR);
	/* os_touch moves the mtime to now. */
	assert_int_equal(os_touch(os_fixture_path(f, "file")), 0);
	assert_int_equal(os_path_info(os_fixture_path(f, "file"), false, &info), 0);
	assert_true(info.mtime >= (int64_t)time(NULL) - 5);
}

static void
os_file_append_and_writev(void **state)
{
	struct os_fixture *f = *state;
	const struct os_buf line[2] = { { "line", 4 }, { "\n", 1 } };
	struct os_file *a, *b;
	struct os_fileinfo info;
	char buf[64];
	size_t got;

	assert_int_equal(os_file_open(os_fixture_path(f, "log"), OS_OPEN_APPEND,
	    OS_MODE_FILE_GROUP, &a), 0);
	assert_int_equal(os_fixture_perm(os_fixture_path(f, "log")), 0640);
	assert_int_equal(os_file_open(os_fixture_path(f, "log"), OS_OPEN_APPEND,
	    OS_MODE_FILE_GROUP, &b), 0);
	/* Two writers append; neither overwrites the other. */
	assert_int_equal(os_file_writev(a, line, 2), 0);
	assert_int_equal(os_file_write(b, "two\n", 4), 0);
	assert_int_equal(os_file_writev(a, line, 2), 0);
	assert_int_equal(os_file_close(a), 0);
	assert_int_equal(os_file_close(b), 0);
	assert_string_equal(os_fixture_slurp(os_fixture_path(f, "log")), "line\ntwo\nline\n");

	assert_int_equal(os_file_open(os_fixture_path(f, "log"), OS_OPEN_READ, 0, &a),
	    0);
	assert_int_equal(os_file_info(a, &info), 0);
	assert_int_equal(info.size, 14);
	assert_int_equal(os_file_read(a, buf, sizeof(buf), &got), 0);
	assert_int_equal(got, 14);
	assert_int_equal(os_file_read(a, buf, sizeof(buf), &got), 0);
	assert_int_equal(got, 0);
	assert_int_equal(os_file_chmod(a, OS_MODE_EXEC_PRIVATE), 0);
	assert_int_equal(os_file_close(a), 0);
	assert_int_equal(os_fixture_perm(os_fixture_path(f, "log")), 0700);

	assert_int_equal(symlink("log", os_fixture_path(f, "link")), 0);
	assert_int_equal(os_file_open(os_fixture_path(f, "link"), OS_OPEN_READ |
	    OS_OPEN_NOFOLLOW, 0, &a), -ELOOP);
	assert_null(a);
	assert_int_equal(os_file_close(NULL), 0);
	assert_int_equal(os_file_close(os_file_stderr()), 0);
	assert_int_equal(os_file_write(os_file_stderr(), "", 0), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(os_mkdir_p_modes_and_existing,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(os_mkdir_parent_of_a_file,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(os_create_private_modes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    os_write_atomic_whole_and_private, setup, teardown),
		cmocka_unit_test_setup_teardown(os_read_file_bounded, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(os_dir_list_and_info_by_type,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(os_file_append_and_writev,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
