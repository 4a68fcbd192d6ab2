/* test_sendq.c: back pressure from a broker that does not read
 * (max-send-queue, issue 10 item 7). The sender records and counts what
 * it is given as a queue the test drains by hand: requests are answered
 * busy at the cap and dropped at twice it, owed responses go out in order
 * only while there is room and resume when the queue has drained. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "pcp/codec.h"
#include "config/config.h"
#include "engine/engine.h"
#include "base/util.h"
#include "engine_fixture.h"
#include "spool/spool.h"

#define CAP 10000
#define MAX_SENT 64

struct fixture {
	uv_loop_t loop;
	struct pxpd_config cfg;
	struct engine *e;
	char dir[64];
	size_t queued;              /* the fake transport's queue */
	int n_sent;
	char *type[MAX_SENT];
	cJSON *data[MAX_SENT];
	char *token[MAX_SENT];
};

static int
record(void *arg, const struct pcp_out *o)
{
	struct fixture *f = arg;

	assert_true(f->n_sent < MAX_SENT);
	f->type[f->n_sent] = util_strdup(pcp_type_name(o->message_type));
	f->data[f->n_sent] = cJSON_ParseWithLength(o->data_json, o->data_len);
	f->token[f->n_sent] = o->sent_token ? util_strdup(o->sent_token) :
	    NULL;
	f->n_sent++;
	f->queued += o->data_len + 200;
	return 0;
}

static size_t
queued(void *arg)
{
	return ((struct fixture *)arg)->queued;
}

static void
clear_sent(struct fixture *f)
{
	int i;

	for (i = 0; i < f->n_sent; i++) {
		free(f->type[i]);
		cJSON_Delete(f->data[i]);
		free(f->token[i]);
	}
	f->n_sent = 0;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[256];

	engine_fixture_open(&f->loop, &f->cfg, f->dir, "pxpd-sendq", 65536);
	f->cfg.max_send_queue = CAP;
	f->e = engine_new(&f->loop, &f->cfg, &(struct engine_services){
	    .send_queued = queued }, record, f, err, sizeof(err));
	assert_non_null(f->e);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	clear_sent(f);
	engine_fixture_close(&f->loop, &f->cfg, f->e, f->dir);
	free(f);
	return 0;
}

static void
echo(struct fixture *f, const char *tid)
{
	char *text = util_asprintf("{\"id\":\"m-%s\",\"message_type\":"
	    "\"http://puppetlabs.com/rpc_blocking_request\",\"sender\":"
	    "\"pcp://ctl/controller\",\"target\":\"pcp://a/agent\",\"data\":"
	    "{\"transaction_id\":\"%s\",\"module\":\"echo\",\"action\":"
	    "\"echo\",\"params\":{\"argument\":\"hi\"}}}", tid, tid);
	struct pcp_msg m;
	const char *err = NULL;

	assert_int_equal(pcp_v2_decode(text, strlen(text), &m, &err), 0);
	engine_message(f->e, &m);
	pcp_msg_clear(&m);
	free(text);
}

static const char *
desc(const struct fixture *f, int i)
{
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(f->data[i],
	    "description");

	return cJSON_IsString(d) ? d->valuestring : "";
}

static void
sendq_busy_at_cap_dropped_at_twice(void **state)
{
	struct fixture *f = *state;

	engine_connection(f->e, true);
	echo(f, "t1");
	assert_int_equal(f->n_sent, 1);
	assert_string_equal(f->type[0], "rpc_blocking_response");

	/* full: the busy error, for every kind of request */
	f->queued = CAP;
	echo(f, "t2");
	assert_int_equal(f->n_sent, 2);
	assert_string_equal(f->type[1], "rpc_error_message");
	assert_non_null(strstr(desc(f, 1), "the agent is busy"));
	assert_non_null(strstr(desc(f, 1), "max-send-queue 10000"));
	/* it stays full below the cap until the transport says drained */
	f->queued = CAP - 1;
	echo(f, "t3");
	assert_string_equal(f->type[2], "rpc_error_message");
	/* at twice the cap not even that: nothing is queued */
	f->queued = 2 * CAP;
	echo(f, "t4");
	echo(f, "t5");
	assert_int_equal(f->n_sent, 3);

	f->queued = CAP / 2;
	engine_send_drained(f->e);
	echo(f, "t6");
	assert_int_equal(f->n_sent, 4);
	assert_string_equal(f->type[3], "rpc_blocking_response");

	/* a lost connection ends a full period too */
	f->queued = CAP;
	echo(f, "t7");
	assert_string_equal(f->type[4], "rpc_error_message");
	engine_connection(f->e, false);
	f->queued = 0;
	engine_connection(f->e, true);
	echo(f, "t8");
	assert_string_equal(f->type[5], "rpc_blocking_response");
}

static void
sendq_owed_replay_waits_for_room(void **state)
{
	struct fixture *f = *state;
	char tid[16], *blob = calloc(1, 3001), *data;
	int i;

	/* six owed responses of ~3 kB: the cap holds four at a time */
	memset(blob, 'x', 3000);
	for (i = 0; i < 6; i++) {
		snprintf(tid, sizeof(tid), "owe-%d", i);
		data = util_asprintf("{\"transaction_id\":\"%s\",\"results\":"
		    "{\"blob\":\"%s\"}}", tid, blob);
		assert_int_equal(spool_owed_write(engine_spool(f->e), tid,
		    "http://puppetlabs.com/rpc_non_blocking_response",
		    "pcp://ctl/controller", data), 0);
		free(data);
	}
	free(blob);
	engine_connection(f->e, true);
	assert_int_equal(f->n_sent, 4);
	for (i = 0; i < 4; i++) {
		snprintf(tid, sizeof(tid), "owe-%d", i);
		assert_string_equal(f->token[i], tid);
		engine_sent(f->e, tid);
	}
	/* nothing more until the queue has drained */
	engine_sent(f->e, "owe-3");
	assert_int_equal(f->n_sent, 4);
	echo(f, "busy");
	assert_string_equal(f->type[4], "rpc_error_message");
	f->queued = 0;
	engine_send_drained(f->e);
	assert_int_equal(f->n_sent, 7);
	assert_string_equal(f->token[5], "owe-4");
	assert_string_equal(f->token[6], "owe-5");

	/* owe-5 was queued but the connection went before it was written:
	 * the next connection sends it (and only it) again */
	engine_sent(f->e, "owe-4");
	engine_connection(f->e, false);
	f->queued = 0;
	engine_connection(f->e, true);
	assert_int_equal(f->n_sent, 8);
	assert_string_equal(f->token[7], "owe-5");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    sendq_busy_at_cap_dropped_at_twice, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    sendq_owed_replay_waits_for_room, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
