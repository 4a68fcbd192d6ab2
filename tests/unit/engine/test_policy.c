/* test_policy.c: the local authorization policy and its glob. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "engine/policy.h"

static void
test_glob(void **state)
{
	assert_true(policy_glob("*", ""));
	assert_true(policy_glob("*", "anything"));
	assert_true(policy_glob("pcp://*/orchestrator", "pcp://o1.example/orchestrator"));
	assert_false(policy_glob("pcp://*/orchestrator", "pcp://o1.example/controller"));
	assert_true(policy_glob("mymod::*", "mymod::install"));
	assert_false(policy_glob("mymod::*", "other::install"));
	assert_true(policy_glob("a?c", "abc"));
	assert_false(policy_glob("a?c", "ac"));
	assert_true(policy_glob("*a*b*c*", "xxaxxbxxcxx"));
	assert_false(policy_glob("*a*b*c", "xxaxxbxxcxx"));
	assert_true(policy_glob("", ""));
	assert_false(policy_glob("", "x"));
	/* A long hostile subject stays fast (no exponential backtracking). */
	char s[4096];
	memset(s, 'a', sizeof(s) - 1);
	s[sizeof(s) - 1] = '\0';
	assert_false(policy_glob("*a*a*a*a*a*a*a*a*b", s));
}

static void
test_rules(void **state)
{
	char err[256];
	struct policy *p = policy_parse("{\"rules\":["
	    "{\"sender\":\"pcp://*/orchestrator\",\"module\":\"task\",\"task\":\"safe::*\"},"
	    "{\"module\":\"echo\"},"
	    "{\"sender\":\"pcp://admin.example/*\"}]}", err, sizeof(err));

	assert_non_null(p);
	assert_true(policy_allows(p, "pcp://o/orchestrator", "task", "run", "safe::x"));
	assert_false(policy_allows(p, "pcp://o/orchestrator", "task", "run", "evil::x"));
	assert_false(policy_allows(p, "pcp://o/orchestrator", "task", "run", NULL));
	assert_true(policy_allows(p, "pcp://anyone/x", "echo", "echo", NULL));
	assert_false(policy_allows(p, "pcp://anyone/x", "command", "run", NULL));
	assert_true(policy_allows(p, "pcp://admin.example/controller", "command", "run", NULL));
	policy_free(p);
	assert_true(policy_allows(NULL, "x", "y", "z", NULL));
}

/* issue 10 item 11: a requester cancels its own transactions; another
 * sender only through a status cancel rule with a "requester" glob. */
static void
test_cancel_grants(void **state)
{
	char err[256];
	struct policy *p = policy_parse("{\"rules\":["
	    "{\"module\":\"*\"},"
	    "{\"sender\":\"pcp://admin.example/*\",\"module\":\"status\","
	    "\"action\":\"cancel\",\"requester\":\"pcp://*/orchestrator\"}]}",
	    err, sizeof(err));

	assert_non_null(p);
	/* without a policy: one's own only */
	assert_true(policy_grants_cancel(NULL, "pcp://a/c", "pcp://a/c"));
	assert_false(policy_grants_cancel(NULL, "pcp://b/c", "pcp://a/c"));
	assert_false(policy_grants_cancel(NULL, NULL, "pcp://a/c"));
	/* "module": "*" allows the request, but grants no one else's */
	assert_true(policy_allows(p, "pcp://b/c", "status", "cancel", NULL));
	assert_false(policy_grants_cancel(p, "pcp://b/c", "pcp://a/c"));
	assert_true(policy_grants_cancel(p, "pcp://b/c", "pcp://b/c"));
	/* the grant: its senders, its requesters, nothing more */
	assert_true(policy_grants_cancel(p, "pcp://admin.example/ctl",
	    "pcp://o1/orchestrator"));
	assert_false(policy_grants_cancel(p, "pcp://admin.example/ctl",
	    "pcp://o1/controller"));
	assert_false(policy_grants_cancel(p, "pcp://other/ctl",
	    "pcp://o1/orchestrator"));
	policy_free(p);
}

static void
test_bad_policies(void **state)
{
	char err[256];
	const char *bad[] = { "", "[]", "{}", "{\"rules\":{}}",
	    "{\"rules\":[1]}", "{\"rules\":[{\"module\":5}]}",
	    "{\"rules\":[{\"modul\":\"x\"}]}",
	    /* a requester grant must say it is for status cancel */
	    "{\"rules\":[{\"requester\":\"*\"}]}",
	    "{\"rules\":[{\"module\":\"status\",\"requester\":\"*\"}]}",
	    "{\"rules\":[{\"module\":\"st*\",\"action\":\"cancel\","
	    "\"requester\":\"*\"}]}",
	    "{\"rules\":[{\"module\":\"status\",\"action\":\"cancel\","
	    "\"requester\":1}]}", NULL };
	int i;

	for (i = 0; bad[i]; i++) {
		err[0] = '\0';
		assert_null(policy_parse(bad[i], err, sizeof(err)));
		assert_true(err[0] != '\0');
	}
	assert_null(policy_load("/nonexistent/policy.json", err, sizeof(err)));
	assert_non_null(strstr(err, "policy-file"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_glob),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_cancel_grants),
		cmocka_unit_test(test_bad_policies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
