/* test_tasklike.c: results of the task-like modules (modules/builtin/tasklike.c): stdout
 * must be valid UTF-8 without NUL, as in pxp-agent; stderr is repaired;
 * the results fit result_cap as sent, after repair and JSON escaping
 * (issue 8). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "builtin/tasklike.h"
#include "base/jsonutil.h"

#define R "\xef\xbf\xbd"        /* U+FFFD */

static const struct module fake = { .name = "command" };

static cJSON *
results(const struct action_output *o, char **error)
{
	char *text = NULL;
	cJSON *j;

	assert_int_equal(tasklike_results(&fake, "run", o, &text, error), 0);
	if (text == NULL)
		return NULL;
	assert_true(json_utf8_clean(text, strlen(text)));
	if (o->result_cap)
		assert_true(strlen(text) <= o->result_cap);
	j = cJSON_Parse(text);
	assert_non_null(j);
	free(text);
	return j;
}

static const char *
str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void
tasklike_stdout_must_be_clean(void **state)
{
	struct action_output o = { .exitcode = 0 };
	char *error = NULL;

	o.out = "ok\xff\xfe" "bad\n";
	o.out_len = 8;
	o.err = "";
	assert_null(results(&o, &error));
	assert_string_equal(error, "The task executed for the 'command run' "
	    "request returned invalid UTF-8 on stdout");
	free(error);
	/* pxp-agent (util/utf8.cc) refuses NUL as well */
	o.out = "a\0b";
	o.out_len = 3;
	assert_null(results(&o, &error));
	assert_non_null(strstr(error, "invalid UTF-8 on stdout"));
	free(error);
	/* With the request's label, pxp-agent's words exactly. */
	o.label = "blocking 'task run' request (transaction 0632)";
	assert_null(results(&o, &error));
	assert_string_equal(error, "The task executed for the blocking 'task "
	    "run' request (transaction 0632) returned invalid UTF-8 on stdout");
	free(error);
}

static void
tasklike_stderr_repaired_not_cut_at_nul(void **state)
{
	struct action_output o = { .exitcode = 3 };
	char *error = NULL;
	cJSON *j;

	o.out = "caf\xc3\xa9\n";
	o.out_len = 6;
	o.err = "warn\xff\0more\xe2\x82";
	o.err_len = 12;
	j = results(&o, &error);
	assert_null(error);
	assert_int_equal(cJSON_GetObjectItem(j, "exitcode")->valueint, 3);
	assert_string_equal(str(j, "stdout"), "caf\xc3\xa9\n");
	assert_string_equal(str(j, "stderr"), "warn" R R "more" R);
	cJSON_Delete(j);
}

/* Output that grows when repaired (1 byte -> 3) and escaped (1 -> 6)
 * still fits the cap, cut with a marker, stdout keeping the larger part. */
static void
tasklike_budget_after_repair_and_escaping(void **state)
{
	struct action_output o = { .exitcode = 0, .result_cap = 8192 };
	size_t n = 20000, i;
	char *out = malloc(n + 1), *err = malloc(n + 1), *error = NULL;
	const char *s;
	cJSON *j;

	for (i = 0; i < n; i++) {
		out[i] = i % 2 ? '\x01' : 'y';          /* escapes to 6 */
		err[i] = i % 3 ? '\xff' : '\n';         /* U+FFFD, \n */
	}
	out[n] = err[n] = '\0';
	o.out = out;
	o.out_len = n;
	o.err = err;
	o.err_len = n;
	j = results(&o, &error);
	assert_null(error);
	s = str(j, "stdout");
	assert_non_null(strstr(s, "[pxpd: output truncated: "));
	assert_memory_equal(s, "y\x01y\x01", 4);
	s = str(j, "stderr");
	assert_non_null(strstr(s, "[pxpd: output truncated: "));
	assert_memory_equal(s, "\n" R R "\n", 8);
	cJSON_Delete(j);
	/* small enough: whole, no marker */
	o.out_len = o.err_len = 100;
	j = results(&o, &error);
	assert_null(strstr(str(j, "stdout"), "[pxpd"));
	assert_int_equal(strlen(str(j, "stderr")), 34 + 66 * 3);
	cJSON_Delete(j);
	free(out);
	free(err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tasklike_stdout_must_be_clean),
		cmocka_unit_test(tasklike_stderr_repaired_not_cut_at_nul),
		cmocka_unit_test(tasklike_budget_after_repair_and_escaping),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
