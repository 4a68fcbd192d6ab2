/* test_engine.c: the PXP pipeline with a recording sender in place of the
 * connection: errors at each layer, built-in modules, oversize responses,
 * transaction-id checks, status queries answered from a real spool. */
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
#include "base/jsonutil.h"
#include "base/log.h"
#include "spool/spool.h"
#include "base/util.h"
#include "engine_fixture.h"

#define MAX_SENT 16

struct sent {
	char *type, *target, *in_reply_to;
	cJSON *data;
	char *debug;                /* v1 debug chunks as sent, printed */
};

struct fixture {
	uv_loop_t loop;
	struct pxpd_config cfg;
	struct engine *e;
	char dir[64];
	struct sent sent[MAX_SENT];
	int n_sent;
};

static int
record(void *arg, const struct pcp_out *o)
{
	struct fixture *f = arg;
	struct sent *s;

	assert_true(f->n_sent < MAX_SENT);
	/* Whatever came in, nothing but valid UTF-8 goes out (issue 8). */
	assert_true(!o->target || json_utf8_clean(o->target, strlen(o->target)));
	assert_true(!o->in_reply_to ||
	    json_utf8_clean(o->in_reply_to, strlen(o->in_reply_to)));
	assert_true(!o->data_json || json_utf8_clean(o->data_json,
	    o->data_len));
	assert_true(json_tree_clean(o->debug));
	s = &f->sent[f->n_sent++];
	s->debug = o->debug ? cJSON_PrintUnformatted(o->debug) : NULL;
	s->type = util_strdup(pcp_type_name(o->message_type));
	s->target = util_strdup(o->target);
	s->in_reply_to = util_strdup(o->in_reply_to);
	s->data = o->data_json ? cJSON_ParseWithLength(o->data_json,
	    o->data_len) : NULL;
	return 0;
}

static void
clear_sent(struct fixture *f)
{
	int i;

	for (i = 0; i < f->n_sent; i++) {
		free(f->sent[i].type);
		free(f->sent[i].target);
		free(f->sent[i].in_reply_to);
		cJSON_Delete(f->sent[i].data);
		free(f->sent[i].debug);
	}
	f->n_sent = 0;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[256];

	/* 4096: the config's floor */
	engine_fixture_open(&f->loop, &f->cfg, f->dir, "pxpd-engine", 4096);
	f->e = engine_new(&f->loop, &f->cfg, NULL, record, f, err,
	    sizeof(err));
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

/* Feeds one v2 message whose data is the given JSON text (NULL: no data). */
static void
feed(struct fixture *f, const char *type, const char *data)
{
	char *text = data ? util_asprintf("{\"id\":\"m-1\",\"message_type\":"
	    "\"http://puppetlabs.com/%s\",\"sender\":\"pcp://ctl/controller\","
	    "\"target\":\"pcp://agent01.example/agent\",\"data\":%s}", type, data) :
	    util_asprintf("{\"id\":\"m-1\",\"message_type\":"
	    "\"http://puppetlabs.com/%s\",\"sender\":\"pcp://ctl/controller\"}",
	    type);
	struct pcp_msg m;
	const char *err = NULL;

	assert_int_equal(pcp_v2_decode(text, strlen(text), &m, &err), 0);
	engine_message(f->e, &m);
	pcp_msg_clear(&m);
	free(text);
}

static const char *
str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void
test_echo_blocking(void **state)
{
	struct fixture *f = *state;
	const cJSON *res;

	feed(f, "rpc_blocking_request", "{\"transaction_id\":\"t1\","
	    "\"module\":\"echo\",\"action\":\"echo\",\"params\":{\"argument\":\"hi\"}}");
	assert_int_equal(f->n_sent, 1);
	assert_string_equal(f->sent[0].type, "rpc_blocking_response");
	assert_string_equal(f->sent[0].target, "pcp://ctl/controller");
	assert_null(f->sent[0].in_reply_to);
	assert_string_equal(str(f->sent[0].data, "transaction_id"), "t1");
	res = cJSON_GetObjectItemCaseSensitive(f->sent[0].data, "results");
	assert_string_equal(str(res, "outcome"), "hi");
}

static void
test_pcp_errors(void **state)
{
	struct fixture *f = *state;

	feed(f, "rpc_blocking_request", NULL);
	feed(f, "rpc_blocking_request", "{\"module\":\"echo\"}");
	feed(f, "rpc_non_blocking_request", "{\"transaction_id\":\"t\","
	    "\"module\":\"echo\",\"action\":\"echo\"}");    /* no notify_outcome */
	assert_int_equal(f->n_sent, 3);
	assert_string_equal(f->sent[0].type, "error_message");
	/* v2: data is the description string, in_reply_to the request id */
	assert_true(cJSON_IsString(f->sent[0].data));
	assert_string_equal(f->sent[0].data->valuestring, "no data");
	assert_string_equal(f->sent[0].in_reply_to, "m-1");
	assert_string_equal(f->sent[1].type, "error_message");
	assert_non_null(strstr(f->sent[1].data->valuestring, "invalid data"));
	assert_string_equal(f->sent[2].type, "error_message");
}

static void
test_rpc_errors(void **state)
{
	struct fixture *f = *state;

	feed(f, "rpc_blocking_request", "{\"transaction_id\":\"t2\","
	    "\"module\":\"nope\",\"action\":\"x\"}");
	feed(f, "rpc_blocking_request", "{\"transaction_id\":\"t3\","
	    "\"module\":\"echo\",\"action\":\"x\"}");
	feed(f, "rpc_non_blocking_request", "{\"transaction_id\":\"t4\","
	    "\"notify_outcome\":true,\"module\":\"ping\",\"action\":\"ping\"}");
	feed(f, "rpc_blocking_request", "{\"transaction_id\":\"t5\","
	    "\"module\":\"echo\",\"action\":\"echo\",\"params\":{}}");
	assert_int_equal(f->n_sent, 4);
	assert_string_equal(f->sent[0].type, "rpc_error_message");
	assert_string_equal(str(f->sent[0].data, "description"),
	    "unknown module: nope");
	assert_string_equal(str(f->sent[0].data, "id"), "m-1");
	assert_string_equal(str(f->sent[1].data, "description"),
	    "unknown action 'x' for module 'echo'");
	assert_string_equal(str(f->sent[2].data, "description"),
	    "the module 'ping' supports only blocking PXP requests");
	assert_non_null(strstr(str(f->sent[3].data, "description"),
	    "invalid input for blocking 'echo echo' request (transaction t5)"));
}

static void
test_oversize_response_is_rpc_error(void **state)
{
	struct fixture *f = *state;
	char big[4200], *req;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	req = util_asprintf("{\"transaction_id\":\"t6\",\"module\":\"echo\","
	    "\"action\":\"echo\",\"params\":{\"argument\":\"%s\"}}", big);
	feed(f, "rpc_blocking_request", req);
	free(req);
	assert_int_equal(f->n_sent, 1);
	assert_string_equal(f->sent[0].type, "rpc_error_message");
	assert_non_null(strstr(str(f->sent[0].data, "description"),
	    "exceeded max-message-size 4096"));
}

static void
test_status_unknown_and_traversal(void **state)
{
	struct fixture *f = *state;
	const cJSON *res;

	feed(f, "rpc_blocking_request", "{\"transaction_id\":\"q1\","
	    "\"module\":\"status\",\"action\":\"query\","
	    "\"params\":{\"transaction_id\":\"never-seen\"}}");
	feed(f, "rpc_non_blocking_request", "{\"transaction_id\":\"../../x\","
	    "\"notify_outcome\":true,\"module\":\"command\",\"action\":\"run\","
	    "\"params\":{\"command\":\"true\"}}");
	assert_int_equal(f->n_sent, 2);
	assert_string_equal(f->sent[0].type, "rpc_blocking_response");
	res = cJSON_GetObjectItemCaseSensitive(f->sent[0].data, "results");
	assert_string_equal(str(res, "status"), "unknown");
	assert_string_equal(str(res, "transaction_id"), "never-seen");
	assert_non_null(strstr(str(res, "stdout"), "found no results directory"));
	/* a non-blocking request's own id becomes a directory: refused */
	assert_string_equal(f->sent[1].type, "rpc_error_message");
	assert_non_null(strstr(str(f->sent[1].data, "description"),
	    "transaction_id"));
}

/* Writes a finished, successful transaction's metadata at path. */
static void
plant_metadata(const char *dir)
{
	char *p = util_asprintf("%s/metadata", dir);
	FILE *fp = fopen(p, "w");

	assert_non_null(fp);
	fputs("{\"requester\":\"pcp://ctl/controller\",\"module\":\"echo\","
	    "\"action\":\"echo\",\"request_params\":\"{}\","
	    "\"transaction_id\":\"planted\",\"request_id\":\"r\","
	    "\"notify_outcome\":false,\"start\":\"2026-01-01T00:00:00.000000Z\","
	    "\"status\":\"success\",\"results\":{\"exitcode\":0}}\n", fp);
	fclose(fp);
	free(p);
}

/* Issue 8 item 7: an id pxpd would never create answers "unknown" like any
 * id never seen, and is never made into a path: finished transactions
 * planted where "../secret", "", "/" and "." would lead are not found. */
static void
test_status_never_created_ids_unknown(void **state)
{
	struct fixture *f = *state;
	char *secret = util_asprintf("%s/secret", f->dir);
	char *spool = util_asprintf("%s/spool", f->dir);
	char *huge = malloc(100001), *req;
	static const char *const ids[] = { "../secret", "", "/", ".",
	    "secret/../secret", "caf\xc3\xa9/\xff" };
	const cJSON *res;
	size_t i, len;

	assert_int_equal(mkdir(secret, 0700), 0);
	plant_metadata(secret);
	plant_metadata(spool);
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		req = util_asprintf("{\"transaction_id\":\"q%zu\",\"module\":"
		    "\"status\",\"action\":\"query\",\"params\":"
		    "{\"transaction_id\":\"%s\"}}", i, ids[i]);
		feed(f, "rpc_blocking_request", req);
		free(req);
		assert_int_equal(f->n_sent, 1);
		assert_string_equal(f->sent[0].type, "rpc_blocking_response");
		res = cJSON_GetObjectItemCaseSensitive(f->sent[0].data,
		    "results");
		assert_string_equal(str(res, "status"), "unknown");
		assert_null(cJSON_GetObjectItemCaseSensitive(res, "exitcode"));
		assert_non_null(strstr(str(res, "stdout"),
		    "found no results directory"));
		if (i < 5)
			assert_string_equal(str(res, "transaction_id"), ids[i]);
		else        /* echoed valid: the bad byte is U+FFFD */
			assert_string_equal(str(res, "transaction_id"),
			    "caf\xc3\xa9/\xef\xbf\xbd");
		clear_sent(f);
	}
	/* 100 000 characters: unknown, echoed only as far as the answer
	 * fits max-message-size (4096 here) */
	memset(huge, 'x', 100000);
	huge[100000] = '\0';
	req = util_asprintf("{\"transaction_id\":\"q-huge\",\"module\":"
	    "\"status\",\"action\":\"query\",\"params\":"
	    "{\"transaction_id\":\"%s\"}}", huge);
	feed(f, "rpc_blocking_request", req);
	free(req);
	assert_int_equal(f->n_sent, 1);
	assert_string_equal(f->sent[0].type, "rpc_blocking_response");
	res = cJSON_GetObjectItemCaseSensitive(f->sent[0].data, "results");
	assert_string_equal(str(res, "status"), "unknown");
	len = strlen(str(res, "transaction_id"));
	assert_true(len > 1000 && len < 2048);
	assert_memory_equal(str(res, "transaction_id"), huge, len);
	req = cJSON_PrintUnformatted(f->sent[0].data);
	assert_true(strlen(req) <= 4096 - 1024);
	free(req);
	free(huge);
	free(secret);
	free(spool);
}

/* A finished transaction as pxpd leaves it: metadata with the module's
 * results, and the exitcode file (NULL: none). */
static void
spool_finished(struct fixture *f, const char *tid, const char *results,
    const char *exitcode)
{
	struct spool *s = engine_spool(f->e);
	char *text = util_asprintf("{\"requester\":\"pcp://ctl/controller\","
	    "\"module\":\"echo\",\"action\":\"echo\",\"request_params\":\"{}\","
	    "\"transaction_id\":\"%s\",\"request_id\":\"r\","
	    "\"notify_outcome\":false,\"start\":\"2026-01-01T00:00:00.000000Z\","
	    "\"status\":\"success\",\"results\":%s}", tid, results);
	cJSON *meta = cJSON_Parse(text);

	assert_non_null(meta);
	assert_int_equal(spool_create(s, tid, meta), 0);
	cJSON_Delete(meta);
	free(text);
	if (exitcode)
		assert_int_equal(spool_file_write(s, tid, "exitcode", exitcode,
		    strlen(exitcode)), 0);
}

static const cJSON *
status_of(struct fixture *f, const char *tid)
{
	char *req = util_asprintf("{\"transaction_id\":\"q-%s\",\"module\":"
	    "\"status\",\"action\":\"query\",\"params\":"
	    "{\"transaction_id\":\"%s\"}}", tid, tid);

	clear_sent(f);
	feed(f, "rpc_blocking_request", req);
	free(req);
	assert_int_equal(f->n_sent, 1);
	assert_string_equal(f->sent[0].type, "rpc_blocking_response");
	return cJSON_GetObjectItemCaseSensitive(f->sent[0].data, "results");
}

/* Issue 8 item 6: the exit code and status come from the exitcode file
 * (what the process returned), as in pxp-agent, not from the module's
 * results: pxp-module-puppet reports Puppet's 2 (--detailed-exitcodes,
 * changes) and exits 0. */
static void
test_status_exitcode_from_file(void **state)
{
	struct fixture *f = *state;
	const cJSON *res;

	spool_finished(f, "puppet-1", "{\"status\":\"changed\",\"exitcode\":2}",
	    "0");
	res = status_of(f, "puppet-1");
	assert_string_equal(str(res, "status"), "success");
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(res,
	    "exitcode")->valueint, 0);
	spool_finished(f, "exit-3", "{\"exitcode\":0}", "3\n");
	res = status_of(f, "exit-3");
	assert_string_equal(str(res, "status"), "failure");
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(res,
	    "exitcode")->valueint, 3);
}

static void
test_status_finished_from_spool(void **state)
{
	struct fixture *f = *state;
	struct spool *s = engine_spool(f->e);
	cJSON *meta = cJSON_Parse("{\"requester\":\"pcp://ctl/controller\","
	    "\"module\":\"echo\",\"action\":\"echo\",\"request_params\":\"{}\","
	    "\"transaction_id\":\"done-1\",\"request_id\":\"r\","
	    "\"notify_outcome\":false,\"start\":\"2026-01-01T00:00:00.000000Z\","
	    "\"status\":\"success\",\"results\":{\"exitcode\":3}}");
	const cJSON *res;

	assert_int_equal(spool_create(s, "done-1", meta), 0);
	cJSON_Delete(meta);
	assert_int_equal(spool_file_write(s, "done-1", "stdout", "out\n", 4), 0);
	feed(f, "rpc_blocking_request", "{\"transaction_id\":\"q3\","
	    "\"module\":\"status\",\"action\":\"query\","
	    "\"params\":{\"transaction_id\":\"done-1\"}}");
	assert_int_equal(f->n_sent, 1);
	res = cJSON_GetObjectItemCaseSensitive(f->sent[0].data, "results");
	/* stored success but a non-zero exit code is reported as failure */
	assert_string_equal(str(res, "status"), "failure");
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(res, "exitcode")->valueint, 3);
	assert_string_equal(str(res, "stdout"), "out\n");
	assert_null(cJSON_GetObjectItemCaseSensitive(res, "stderr"));
}

/* The last safety net (engine.c engine__send): strings that reach a reply
 * without passing a source that repairs them (the envelope's target and
 * in_reply_to, v1 debug chunks echoed back) are repaired there. */
static void
test_send_repairs_envelope_and_debug(void **state)
{
	struct fixture *f = *state;
	static const char v2[] = "{\"id\":\"m-\xff\",\"message_type\":"
	    "\"http://puppetlabs.com/rpc_blocking_request\","
	    "\"sender\":\"pcp://ctl\xe2\x82/controller\"}";
	struct pcp_out o;
	struct pcp_msg m;
	const char *err = NULL;
	uint8_t *buf;
	size_t len;
	cJSON *debug;

	/* no data: a PCP error to the sender, in reply to the id */
	assert_int_equal(pcp_v2_decode(v2, strlen(v2), &m, &err), 0);
	engine_message(f->e, &m);
	pcp_msg_clear(&m);
	assert_int_equal(f->n_sent, 1);
	assert_string_equal(f->sent[0].type, "error_message");
	assert_string_equal(f->sent[0].target, "pcp://ctl\xef\xbf\xbd/controller");
	assert_string_equal(f->sent[0].in_reply_to, "m-\xef\xbf\xbd");
	clear_sent(f);

	/* v1: an echo whose debug chunk carries bad bytes comes back with
	 * the chunk repaired */
	debug = cJSON_Parse("[{\"hops\":[{\"server\":\"pcp://b/server\","
	    "\"time\":\"2026-01-01T00:00:00.000Z\"}]}]");
	cJSON_AddStringToObject(cJSON_GetArrayItem(cJSON_GetObjectItem(
	    cJSON_GetArrayItem(debug, 0), "hops"), 0), "stage", "x\xc0\xaf");
	memset(&o, 0, sizeof(o));
	o.id = "m-2";
	o.message_type = "http://puppetlabs.com/rpc_blocking_request";
	o.sender = "pcp://ctl/controller";
	o.target = "pcp://agent01.example/agent";
	o.expires = PCP_EPOCH_EXPIRES;
	o.data_json = "{\"transaction_id\":\"t-d\",\"module\":\"echo\","
	    "\"action\":\"echo\",\"params\":{\"argument\":\"hi\"}}";
	o.debug = debug;
	assert_int_equal(pcp_v1_encode(&o, 0, &buf, &len), 0);
	cJSON_Delete(debug);
	assert_int_equal(pcp_v1_decode(buf, len, &m, &err), 0);
	free(buf);
	assert_non_null(m.debug);
	engine_message(f->e, &m);
	pcp_msg_clear(&m);
	assert_int_equal(f->n_sent, 1);
	assert_string_equal(f->sent[0].type, "rpc_blocking_response");
	assert_non_null(strstr(f->sent[0].debug,
	    "\"stage\":\"x\xef\xbf\xbd\xef\xbf\xbd\""));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_echo_blocking, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pcp_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rpc_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oversize_response_is_rpc_error,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_unknown_and_traversal,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_finished_from_spool,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_status_never_created_ids_unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_exitcode_from_file,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_send_repairs_envelope_and_debug, setup, teardown),
	};

	log_open(NULL, LOG_LVL_FATAL, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
