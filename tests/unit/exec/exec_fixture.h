/* exec_fixture.h: the set-up and tear-down that test_exec.c and
 * test_sandbox.c share: a libuv loop, a temp dir, the real wrapper (the
 * pxpd binary named by PXPD_BIN), one action's outcome, and the polls for
 * processes that must be gone. Built into unit_helpers_exec, which every
 * test of tests/unit/exec links. */
#ifndef PXPD_TEST_EXEC_FIXTURE_H
#define PXPD_TEST_EXEC_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include <uv.h>

#include "exec/exec.h"

struct exec_fixture {
	uv_loop_t loop;
	char dir[64];           /* a fresh 0700 temp dir, removed afterwards */
	int calls;              /* done callbacks since the last start */
	struct exec_result r;   /* the last outcome; r.out and r.err point to
	                           out and err (NULL where the exec gave none) */
	char *out, *err;        /* owned copies, NUL-terminated */
	struct exec_wrapper *wrapper;   /* PXPD_BIN, by path */
};

/* cmocka group-less setup/teardown: *state becomes a struct
 * exec_fixture. Teardown runs the loop dry and fails the test if a handle
 * is left, then removes dir. */
int exec_fixture_setup(void **state);
int exec_fixture_teardown(void **state);

/* The done callback of exec_start/exec_adopt, with the fixture as arg:
 * counts the call and copies the outcome. */
void exec_fixture_on_done(void *arg, const struct exec_result *r);

/* Forgets the last outcome and starts spec (the test fails if exec_start
 * does), with the fixture's wrapper unless spec names one. The child
 * belongs to the exec layer. */
struct exec_child *exec_fixture_start(struct exec_fixture *f,
    const struct exec_spec *spec);
/* Runs the loop until it is idle; exactly one outcome must have come. */
void exec_fixture_wait(struct exec_fixture *f);
/* exec_fixture_start, then exec_fixture_wait. */
void exec_fixture_run(struct exec_fixture *f, const struct exec_spec *spec);

/* dir/name whole as a string (at most 1 MiB); NULL when missing. *len
 * (if not NULL) gets its length. Caller frees. */
char *exec_fixture_slurp(const char *dir, const char *name, size_t *len);

/* stat of dir/name; the test fails if it is missing. */
void exec_fixture_stat(const char *dir, const char *name, struct stat *st);

/* Polls for up to 3 s (the processes are reaped by init or the wrapper,
 * not by the test): true once no process of group pgid, or pid, is left. */
bool exec_fixture_group_gone(long pgid);
bool exec_fixture_pid_gone(long pid);

#endif
