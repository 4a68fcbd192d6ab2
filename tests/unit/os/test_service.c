/* test_service.c: the service entry (os/service.h) on POSIX: the stop
 * and reopen signals reach the callback as events, from the loop; what
 * must not stop pxpd is ignored; service_stop leaves no handle behind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "os/service.h"

struct seen {
	struct service *s;
	int n_stop, n_reopen;
	char what[32];
};

static void
on_event(void *arg, enum service_event ev, const char *what)
{
	struct seen *x = arg;

	snprintf(x->what, sizeof(x->what), "%s", what);
	if (ev == SERVICE_EVENT_REOPEN) {
		x->n_reopen++;
		return;
	}
	x->n_stop++;
	/* As main.c does: stop listening from inside the callback. */
	service_stop(x->s);
}

static void
service_events(void **state)
{
	static const int stops[] = { SIGTERM, SIGINT, SIGQUIT };
	uv_loop_t loop;
	struct seen x;
	char want[32];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(stops) / sizeof(stops[0]); i++) {
		memset(&x, 0, sizeof(x));
		assert_int_equal(uv_loop_init(&loop), 0);
		assert_non_null(x.s = service_start(&loop, on_event, &x));
		/* Ignored, so the test lives on. */
		assert_int_equal(raise(SIGPIPE), 0);
		assert_int_equal(raise(SIGHUP), 0);
		assert_int_equal(uv_kill(getpid(), SIGUSR2), 0);
		while (x.n_reopen == 0)
			uv_run(&loop, UV_RUN_ONCE);
		snprintf(want, sizeof(want), "signal %d", SIGUSR2);
		assert_string_equal(x.what, want);
		assert_int_equal(x.n_stop, 0);
		assert_int_equal(uv_kill(getpid(), stops[i]), 0);
		/* Runs until the handles closed: stop freed everything. */
		uv_run(&loop, UV_RUN_DEFAULT);
		assert_int_equal(x.n_stop, 1);
		assert_int_equal(x.n_reopen, 1);
		snprintf(want, sizeof(want), "signal %d", stops[i]);
		assert_string_equal(x.what, want);
		assert_int_equal(uv_loop_close(&loop), 0);
	}
}

static void
service_stop_null_and_unused(void **state)
{
	uv_loop_t loop;
	struct seen x;

	(void)state;
	memset(&x, 0, sizeof(x));
	service_stop(NULL);
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_non_null(x.s = service_start(&loop, on_event, &x));
	service_stop(x.s);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	assert_int_equal(x.n_stop + x.n_reopen, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(service_events),
		cmocka_unit_test(service_stop_null_and_unused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
