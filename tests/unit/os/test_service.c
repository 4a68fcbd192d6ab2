/* test_service.c: the service entry (os/service.h) on POSIX: the stop,
 * reload and reopen signals reach the callback as events, from the loop;
 * what must not stop pxpd is ignored; notifications and watchdog pings go
 * to a real datagram socket as systemd's $NOTIFY_SOCKET; service_stop
 * leaves no handle behind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <uv.h>

#include "os/service.h"

struct seen {
	struct service *s;
	int n_stop, n_reopen, n_reload;
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
	if (ev == SERVICE_EVENT_RELOAD) {
		x->n_reload++;
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
		assert_int_equal(uv_kill(getpid(), SIGHUP), 0);
		while (x.n_reload == 0)
			uv_run(&loop, UV_RUN_ONCE);
		snprintf(want, sizeof(want), "signal %d", SIGHUP);
		assert_string_equal(x.what, want);
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
		assert_int_equal(x.n_reload, 1);
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

/* A datagram socket standing in for systemd's; abstract when abstract. */
static int
notify_socket(bool abstract, char *name, size_t len)
{
	struct sockaddr_un a;
	socklen_t alen;
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	if (abstract) {
		snprintf(name, len, "@pxpd-test-notify-%ld", (long)getpid());
		memcpy(a.sun_path + 1, name + 1, strlen(name) - 1);
		alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
		    strlen(name));
	} else {
		snprintf(name, len, "/tmp/pxpd-test-notify-%ld", (long)getpid());
		unlink(name);
		memcpy(a.sun_path, name, strlen(name) + 1);
		alen = sizeof(a);
	}
	assert_int_equal(bind(fd, (struct sockaddr *)&a, alen), 0);
	return fd;
}

static void
read_dgram(int fd, char *buf, size_t len)
{
	ssize_t n = recv(fd, buf, len - 1, MSG_DONTWAIT);

	assert_true(n > 0);
	buf[n] = '\0';
}

static void
watchdog_tick(uv_timer_t *t)
{
	uv_stop(t->loop);
}

static void
service_notify_and_watchdog(void **state)
{
	uv_loop_t loop;
	uv_timer_t t;
	struct seen x;
	char name[108], buf[600];
	int abstract, fd;

	(void)state;
	for (abstract = 0; abstract < 2; abstract++) {
		memset(&x, 0, sizeof(x));
		fd = notify_socket(abstract, name, sizeof(name));
		setenv("NOTIFY_SOCKET", name, 1);
		setenv("WATCHDOG_USEC", "20000", 1);     /* ping every 10 ms */
		unsetenv("WATCHDOG_PID");
		assert_int_equal(uv_loop_init(&loop), 0);
		assert_non_null(x.s = service_start(&loop, on_event, &x));
		assert_true(service_watchdog_armed(x.s));
		service_notify(x.s, SERVICE_STATE_READY, "connected to b");
		read_dgram(fd, buf, sizeof(buf));
		assert_string_equal(buf, "READY=1\nSTATUS=connected to b");
		service_notify(x.s, SERVICE_STATE_RUNNING, "2 actions running");
		read_dgram(fd, buf, sizeof(buf));
		assert_string_equal(buf, "STATUS=2 actions running");
		service_notify(x.s, SERVICE_STATE_RELOADING, NULL);
		read_dgram(fd, buf, sizeof(buf));
		assert_string_equal(buf, "RELOADING=1");
		/* The pings come from the loop: run it for 50 ms. */
		uv_timer_init(&loop, &t);
		uv_timer_start(&t, watchdog_tick, 50, 0);
		uv_run(&loop, UV_RUN_DEFAULT);
		read_dgram(fd, buf, sizeof(buf));
		assert_string_equal(buf, "WATCHDOG=1");
		service_notify(x.s, SERVICE_STATE_STOPPING, NULL);
		while (recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT) > 0 &&
		    strncmp(buf, "STOPPING=1", 10) != 0)
			;
		assert_memory_equal(buf, "STOPPING=1", 10);
		uv_close((uv_handle_t *)&t, NULL);
		service_stop(x.s);
		uv_run(&loop, UV_RUN_DEFAULT);
		assert_int_equal(uv_loop_close(&loop), 0);
		close(fd);
		if (!abstract)
			unlink(name);
	}
	/* Another process's watchdog, or no manager: nothing armed. */
	setenv("WATCHDOG_PID", "1", 1);
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_non_null(x.s = service_start(&loop, on_event, &x));
	assert_false(service_watchdog_armed(x.s));
	service_stop(x.s);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(service_events),
		cmocka_unit_test(service_stop_null_and_unused),
		cmocka_unit_test(service_notify_and_watchdog),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
