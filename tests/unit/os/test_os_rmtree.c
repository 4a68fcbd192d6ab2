/* test_os_rmtree.c: os_rmtree_at never follows a symlink: one inside the
 * tree (to a directory or a file, dangling or not) is removed and its
 * target untouched, a symlink root is only unlinked, and a directory
 * swapped for a symlink in the middle of the walk is not followed either.
 * For that last race the test defines openat() itself: the walk's
 * openat() of the victim first swaps it (rename away, symlink in its
 * place), then does the real open, so the swap lands exactly between
 * readdir and open, where nftw would follow it. */
#undef _FORTIFY_SOURCE          /* its inline openat() would clash */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "os/os.h"
#include "os_fixture.h"

#define PATH_BUF OS_FIXTURE_PATH

struct fx {
	struct os_fixture base;
	char outside[96];       /* root/outside: must survive every test */
	char tree[96];          /* root/tree: what is removed */
};

/* The swap of the next openat() of `swap_name`: the entry is renamed to
 * swap_name + "-moved" and a symlink to swap_to put in its place. */
static struct {
	const char *name;
	const char *to;
	int fired;
} swap;

typedef int (*openat_fn)(int, const char *, int, ...);

static int
openat_real(int dfd, const char *path, int flags, mode_t mode)
{
	static openat_fn real;

	if (!real)
		real = (openat_fn)dlsym(RTLD_NEXT, "openat");
	/* A static test binary (release and cross builds) has no next
	 * openat to find: the system call itself. */
	if (!real)
		return (int)syscall(SYS_openat, dfd, path, flags, mode);
	return real(dfd, path, flags, mode);
}

int
openat(int dfd, const char *path, int flags, ...)
{
	char moved[PATH_BUF];
	mode_t mode = 0;
	va_list ap;

	if (flags & O_CREAT) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	if (swap.name && !strcmp(path, swap.name)) {
		snprintf(moved, sizeof(moved), "%s-moved", path);
		swap.name = NULL;
		swap.fired++;
		if (renameat(dfd, path, dfd, moved) != 0 ||
		    symlinkat(swap.to, dfd, path) != 0)
			abort();
	}
	return openat_real(dfd, path, flags, mode);
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char path[PATH_BUF];

	assert_non_null(f);
	os_fixture_init(&f->base);
	snprintf(f->outside, sizeof(f->outside), "%s/outside", f->base.root);
	snprintf(f->tree, sizeof(f->tree), "%s/tree", f->base.root);
	assert_int_equal(mkdir(f->outside, 0700), 0);
	snprintf(path, sizeof(path), "%s/precious", f->outside);
	os_fixture_put(path, "keep me");
	snprintf(path, sizeof(path), "%s/sub", f->outside);
	assert_int_equal(mkdir(path, 0700), 0);
	memset(&swap, 0, sizeof(swap));
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	os_fixture_fini(&f->base);
	free(f);
	return 0;
}

/* outside/ still holds exactly what setup put there. */
static void
outside_intact(struct fx *f)
{
	char path[PATH_BUF];

	snprintf(path, sizeof(path), "%s/precious", f->outside);
	assert_string_equal(os_fixture_slurp(path), "keep me");
	snprintf(path, sizeof(path), "%s/sub", f->outside);
	assert_true(os_fixture_exists(path));
	assert_int_equal(os_fixture_entries(f->outside), 2);
}

/* tree/rel as a directory (parents made). */
static void
tree_dir(struct fx *f, const char *rel)
{
	char path[PATH_BUF];

	snprintf(path, sizeof(path), "%s/%s", f->tree, rel);
	assert_int_equal(os_mkdir_p(path, 0700, 0700), 0);
}

static void
tree_link(struct fx *f, const char *to, const char *rel)
{
	char path[PATH_BUF];

	snprintf(path, sizeof(path), "%s/%s", f->tree, rel);
	assert_int_equal(symlink(to, path), 0);
}

static void
os_rmtree_at_dir_symlink_removed_target_kept(void **state)
{
	struct fx *f = *state;
	char path[PATH_BUF];

	tree_dir(f, "d1/d2");
	tree_dir(f, "d1/ro");
	tree_link(f, f->outside, "d1/to-outside");
	snprintf(path, sizeof(path), "%s/precious", f->outside);
	tree_link(f, path, "d1/d2/to-file");
	tree_link(f, "/nonexistent/x", "dangling");
	snprintf(path, sizeof(path), "%s/d1/ro", f->tree);
	assert_int_equal(chmod(path, 0500), 0);   /* no write bit: goes too */

	assert_int_equal(os_rmtree_at(f->tree), 0);
	assert_false(os_fixture_exists(f->tree));
	outside_intact(f);

	/* A root that is itself a symlink to a directory: only the link. */
	assert_int_equal(symlink(f->outside, f->tree), 0);
	assert_int_equal(os_rmtree_at(f->tree), 0);
	assert_false(os_fixture_exists(f->tree));
	outside_intact(f);
}

/* Removes the tree while the walk's open of `name` finds it swapped for
 * a symlink to outside/: the tree must go, outside/ must not. */
static void
remove_with_swap(struct fx *f, const char *name)
{
	swap.name = name;
	swap.to = f->outside;
	assert_int_equal(os_rmtree_at(f->tree), 0);
	assert_int_equal(swap.fired, 1);
	assert_false(os_fixture_exists(f->tree));
	outside_intact(f);
}

static void
os_rmtree_at_swapped_dir_not_followed(void **state)
{
	struct fx *f = *state;

	tree_dir(f, "a/victim/inner");
	tree_dir(f, "b");
	/* The symlink goes; the directory moved aside in the middle of the
	 * walk is found again by the rescan and goes too. */
	remove_with_swap(f, "victim");
}

static void
os_rmtree_at_swapped_root_not_followed(void **state)
{
	struct fx *f = *state;
	char moved[PATH_BUF];

	tree_dir(f, "x/y");
	/* The root itself, between its lstat and its open. */
	remove_with_swap(f, "tree");
	/* What was moved away is no longer at the path: left alone. */
	snprintf(moved, sizeof(moved), "%s-moved/x/y", f->tree);
	assert_true(os_fixture_exists(moved));
}

static void
os_rmtree_at_bad_and_missing_roots(void **state)
{
	struct fx *f = *state;
	char path[PATH_BUF];

	assert_int_equal(os_rmtree_at(NULL), -EINVAL);
	assert_int_equal(os_rmtree_at(""), -EINVAL);
	assert_int_equal(os_rmtree_at("/"), -EINVAL);
	assert_int_equal(os_rmtree_at("."), -EINVAL);
	snprintf(path, sizeof(path), "%s/..", f->base.root);
	assert_int_equal(os_rmtree_at(path), -EINVAL);
	snprintf(path, sizeof(path), "%s/.", f->base.root);
	assert_int_equal(os_rmtree_at(path), -EINVAL);
	assert_int_equal(os_rmtree_at(f->tree), -ENOENT);
	/* Trailing slashes name the same tree; a plain file goes too. */
	tree_dir(f, "t");
	snprintf(path, sizeof(path), "%s//", f->tree);
	assert_int_equal(os_rmtree_at(path), 0);
	assert_false(os_fixture_exists(f->tree));
	snprintf(path, sizeof(path), "%s/precious", f->outside);
	assert_int_equal(os_rmtree_at(path), 0);
	assert_false(os_fixture_exists(path));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    os_rmtree_at_dir_symlink_removed_target_kept, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    os_rmtree_at_swapped_dir_not_followed, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    os_rmtree_at_swapped_root_not_followed, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    os_rmtree_at_bad_and_missing_roots, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
