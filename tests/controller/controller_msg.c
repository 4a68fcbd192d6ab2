/* controller_msg.c: what the test controller says and hears: building
 * the PXP requests from the flags, printing each received message as one
 * JSON line, matching replies to requests (by data.transaction_id, as
 * pxp-agent sets no in_reply_to on PXP replies, else by in_reply_to or a
 * v1 error's data.id), latency figures, and the --reply fake agent.
 * Not the websocket (controller_conn.c).
 * Invariant: a request counts once, on its first final reply. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mbedtls/sha256.h>

#include "controller.h"

static char *
msg_quote(const char *s)
{
	cJSON *str = cJSON_CreateString(s);
	char *txt = str != NULL ? cJSON_PrintUnformatted(str) : NULL;

	cJSON_Delete(str);
	return txt;
}

static char *
msg_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);

	if (d != NULL)
		memcpy(d, s, n);
	return d;
}

void
ctl_msg_expires(char out[32], long offset_s)
{
	struct timespec ts;
	struct tm tm;
	time_t t;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	t = ts.tv_sec + offset_s;
	gmtime_r(&t, &tm);
	n = strftime(out, 24, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 32 - n, ".%03uZ",
	    (unsigned)(ts.tv_nsec / 1000000) % 1000u);
}

static bool
msg_json_valid(const char *text, size_t len, bool object)
{
	cJSON *j = cJSON_ParseWithLength(text, len);
	bool ok = j != NULL && (!object || cJSON_IsObject(j));

	cJSON_Delete(j);
	return ok;
}

static int
msg_json_check(const char *what, const char *text, size_t len, bool object)
{
	bool ok = msg_json_valid(text, len, object);

	if (!ok)
		fprintf(stderr, "pcp-controller: %s is not a JSON %s\n", what,
		    object ? "object" : "value");
	return ok ? 0 : -1;
}

static int
msg_text_load(const char *inline_text, const char *file, const char *what,
    char **out)
{
	size_t len;
	int r;

	*out = NULL;
	if (file != NULL) {
		if ((r = pcpt_file_read(file, out, &len)) != 0) {
			fprintf(stderr, "pcp-controller: %s: %s\n", file, strerror(-r));
			return -1;
		}
	} else if (inline_text != NULL) {
		if ((*out = msg_strdup(inline_text)) == NULL)
			return -1;
	} else {
		return 0;
	}
	return msg_json_check(what, *out, strlen(*out), true);
}

/* --targets-file: the non-empty lines, kept in one buffer. */
static int
msg_targets_load(struct ctl *c)
{
	size_t len, n = 0;
	char *p, *line, *save = NULL;
	int r;

	if ((r = pcpt_file_read(c->cfg.targets_file, &c->targets_text,
	    &len)) != 0) {
		fprintf(stderr, "pcp-controller: %s: %s\n", c->cfg.targets_file,
		    strerror(-r));
		return -1;
	}
	for (p = c->targets_text; *p; p++)
		n += *p == '\n';
	if ((c->targets = calloc(n + 1, sizeof(*c->targets))) == NULL)
		return -1;
	for (line = strtok_r(c->targets_text, "\r\n", &save); line != NULL;
	    line = strtok_r(NULL, "\r\n", &save))
		c->targets[c->ntargets++] = line;
	if (c->ntargets == 0) {
		fprintf(stderr, "pcp-controller: %s names no target\n",
		    c->cfg.targets_file);
		return -1;
	}
	return 0;
}

/* The transaction id a request's data carries, for matching replies. */
static int
msg_txid_make(struct ctl *c, size_t i, char **out)
{
	char buf[512];
	cJSON *d, *t;

	*out = NULL;
	if (c->cfg.no_data || c->cfg.raw_data != NULL)
		return 0;
	if (c->data_template != NULL) {
		bool has;

		d = cJSON_Parse(c->data_template);
		t = cJSON_GetObjectItemCaseSensitive(d, "transaction_id");
		has = cJSON_IsString(t);
		if (has)
			*out = msg_strdup(t->valuestring);
		cJSON_Delete(d);
		return has && *out == NULL ? -1 : 0;
	}
	if (c->cfg.transaction_id == NULL) {
		char id[PCPT_UUID_LEN];

		pcpt_uuid(id);
		*out = msg_strdup(id);
	} else if (c->cfg.count == 1) {
		*out = msg_strdup(c->cfg.transaction_id);
	} else {
		snprintf(buf, sizeof(buf), "%s-%zu", c->cfg.transaction_id, i);
		*out = msg_strdup(buf);
	}
	return *out == NULL ? -1 : 0;
}

static int
msg_hex_decode(const char *hex, uint8_t **out, size_t *len)
{
	size_t n = strlen(hex), i;
	unsigned hi, lo;

	if (n % 2 != 0 || (*out = malloc(n / 2 + 1)) == NULL)
		return -1;
	for (i = 0; i < n / 2; i++) {
		if (sscanf(hex + 2 * i, "%1x%1x", &hi, &lo) != 2) {
			free(*out);
			*out = NULL;
			return -1;
		}
		(*out)[i] = (uint8_t)(hi << 4 | lo);
	}
	*len = n / 2;
	return 0;
}

/* --raw-message(-hex) and --debug. */
static int
msg_extras_prepare(struct ctl *c)
{
	cJSON *d;

	if (c->cfg.raw_message_hex != NULL &&
	    msg_hex_decode(c->cfg.raw_message_hex, &c->raw, &c->raw_len) != 0) {
		fprintf(stderr, "pcp-controller: --raw-message-hex: bad hex\n");
		return -1;
	}
	if (c->cfg.raw_message != NULL) {
		c->raw_len = strlen(c->cfg.raw_message);
		if ((c->raw = malloc(c->raw_len + 1)) == NULL)
			return -1;
		memcpy(c->raw, c->cfg.raw_message, c->raw_len);
	}
	if (c->cfg.debug == NULL)
		return 0;
	d = cJSON_Parse(c->cfg.debug);
	if (cJSON_IsObject(d)) {
		c->debug = cJSON_CreateArray();
		if (c->debug == NULL || !cJSON_AddItemToArray(c->debug, d)) {
			cJSON_Delete(d);
			return -1;
		}
	} else if (cJSON_IsArray(d)) {
		c->debug = d;
	} else {
		cJSON_Delete(d);
		fprintf(stderr, "pcp-controller: --debug: want a JSON object "
		    "or array\n");
		return -1;
	}
	return 0;
}

int
ctl_msg_prepare(struct ctl *c)
{
	const char *mt = c->cfg.message_type;
	size_t i;

	if (msg_extras_prepare(c) != 0)
		return -1;
	if (c->raw != NULL)
		c->cfg.listen = true;

	if (msg_text_load(c->cfg.params, c->cfg.params_file, "--params",
	    &c->params_text) != 0 ||
	    msg_text_load(c->cfg.data, c->cfg.data_file, "--data",
	    &c->data_template) != 0)
		return -1;
	if (mt == NULL)
		mt = c->cfg.non_blocking ? "rpc_non_blocking_request" :
		    "rpc_blocking_request";
	snprintf(c->mtype, sizeof(c->mtype), "%s%s",
	    strstr(mt, "://") != NULL ? "" : PCP_NS, mt);
	if (c->cfg.targets_file != NULL && msg_targets_load(c) != 0)
		return -1;
	if (!c->cfg.listen && c->cfg.count > 0 && c->cfg.target == NULL &&
	    c->ntargets == 0 &&
	    strncmp(c->mtype, PCP_NS "rpc_", sizeof(PCP_NS "rpc_") - 1) == 0) {
		fprintf(stderr, "pcp-controller: --target is required for %s\n",
		    c->mtype);
		return -1;
	}
	c->nreqs = c->cfg.listen ? 0 : (size_t)c->cfg.count;
	if (c->nreqs > 0 && (c->reqs = calloc(c->nreqs, sizeof(*c->reqs))) == NULL)
		return -1;
	for (i = 0; i < c->nreqs; i++) {
		pcpt_uuid(c->reqs[i].id);
		if (msg_txid_make(c, i, &c->reqs[i].txid) != 0)
			return -1;
	}
	c->expect = c->cfg.expect >= 0 ? (size_t)c->cfg.expect : c->nreqs;
	return 0;
}

void
ctl_msg_free(struct ctl *c)
{
	size_t i;

	for (i = 0; i < c->nreqs && c->reqs != NULL; i++)
		free(c->reqs[i].txid);
	free(c->reqs);
	c->reqs = NULL;
	free(c->targets);
	free(c->targets_text);
	c->targets = NULL;
	c->targets_text = NULL;
	free(c->params_text);
	free(c->data_template);
	c->params_text = c->data_template = NULL;
	free(c->raw);
	c->raw = NULL;
	cJSON_Delete(c->debug);
	c->debug = NULL;
}

static bool
msg_notify_outcome(const struct ctl *c)
{
	return c->cfg.notify_outcome == NULL ||
	    strcmp(c->cfg.notify_outcome, "true") == 0;
}

/* The PXP request data, built as text so big params are not re-parsed. */
static char *
msg_pxp_data(struct ctl *c, const struct ctl_req *r)
{
	char *tid = msg_quote(r->txid), *mod = msg_quote(c->cfg.module);
	char *act = msg_quote(c->cfg.action), *out = NULL;
	const char *params = c->params_text != NULL ? c->params_text : "{}";
	bool nb = strcmp(c->mtype, PCP_NS "rpc_non_blocking_request") == 0;
	size_t n;

	if (tid == NULL || mod == NULL || act == NULL)
		goto cleanup;
	n = strlen(tid) + strlen(mod) + strlen(act) + strlen(params) + 128;
	if ((out = malloc(n)) == NULL)
		goto cleanup;
	snprintf(out, n, "{\"transaction_id\":%s,%s\"module\":%s,\"action\":%s,"
	    "\"params\":%s}", tid, nb ? (msg_notify_outcome(c) ?
	    "\"notify_outcome\":true," : "\"notify_outcome\":false,") : "",
	    mod, act, params);
cleanup:
	cJSON_free(tid);
	cJSON_free(mod);
	cJSON_free(act);
	return out;
}

static int
msg_request_send(struct ctl *c, struct ctl_req *r)
{
	char expires[32], *data = NULL, *owned = NULL;
	struct pcp_out o;
	int rc;

	memset(&o, 0, sizeof(o));
	if (c->cfg.raw_data != NULL) {
		data = (char *)c->cfg.raw_data;
		/* v2 data must be JSON: raw when it is, else a JSON string. */
		if (c->cfg.version == 2 && !msg_json_valid(data, strlen(data),
		    false))
			data = owned = msg_quote(c->cfg.raw_data);
	} else if (c->data_template != NULL) {
		data = c->data_template;
	} else if (!c->cfg.no_data) {
		data = owned = msg_pxp_data(c, r);
	}
	if (!c->cfg.no_data && data == NULL)
		return -1;
	ctl_msg_expires(expires, 60);
	o.id = r->id;
	o.message_type = c->mtype;
	o.sender = c->cfg.no_sender ? NULL :
	    c->cfg.sender != NULL ? c->cfg.sender : c->uri;
	o.target = c->ntargets > 0 ?
	    c->targets[(size_t)(r - c->reqs) % c->ntargets] : c->cfg.target;
	o.in_reply_to = c->cfg.in_reply_to;
	o.expires = expires;
	o.data_json = data;
	o.data_len = data != NULL ? strlen(data) : 0;
	o.debug = c->debug;
	o.destination_report = c->cfg.destination_report;
	r->sent = true;
	r->sent_ms = pcpt_now_ms();
	if (c->first_send_ms == 0) {
		uv_timeval64_t tv;

		c->first_send_ms = r->sent_ms;
		if (uv_gettimeofday(&tv) == 0)
			c->first_send_unix_ms = (double)tv.tv_sec * 1e3 +
			    (double)tv.tv_usec / 1e3;
	}
	rc = ctl_conn_send(c, &o);
	free(owned);
	return rc;
}

static void
msg_send_next(struct ctl *c)
{
	while (c->next_send < c->nreqs) {
		if (msg_request_send(c, &c->reqs[c->next_send++]) != 0) {
			ctl_finish(c, CTL_EXIT_CONN);
			return;
		}
		if ((!c->cfg.pipeline || c->cfg.interval_ms > 0) &&
		    c->expect > 0)
			return;
	}
	/* --expect 0: done once everything is queued (the close frame
	 * follows the queue, so it all reaches the broker). */
	if (c->expect == 0)
		ctl_finish(c, CTL_EXIT_OK);
}

/* --interval-ms: the clock sends, not the replies, so a peer that
 * stalls delays every request sent meanwhile (no coordinated
 * omission). */
static void
msg_pace_cb(uv_timer_t *t)
{
	struct ctl *c = t->data;

	if (c->state != CTL_RUNNING || c->next_send >= c->nreqs) {
		uv_timer_stop(t);
		return;
	}
	msg_send_next(c);
}

void
ctl_msg_start(struct ctl *c)
{
	if (c->raw != NULL) {
		if (ctl_conn_send_raw(c, c->raw, c->raw_len) != 0)
			ctl_finish(c, CTL_EXIT_CONN);
		return;
	}
	if (c->nreqs == 0 && c->cfg.listen)
		return;
	msg_send_next(c);
	if (c->cfg.interval_ms > 0 && c->next_send < c->nreqs)
		uv_timer_start(&c->pace, msg_pace_cb,
		    (uint64_t)c->cfg.interval_ms, (uint64_t)c->cfg.interval_ms);
}

static void
msg_sha256_hex(const char *data, size_t len, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char sum[32];
	size_t i;

	mbedtls_sha256((const unsigned char *)data, len, sum, 0);
	for (i = 0; i < sizeof(sum); i++) {
		out[2 * i] = hex[sum[i] >> 4];
		out[2 * i + 1] = hex[sum[i] & 0x0f];
	}
	out[64] = '\0';
}

static void
msg_print(struct ctl *c, const struct pcp_msg *m, const char *type)
{
	cJSON *line = cJSON_CreateObject();
	char sum[65], *txt;

	if (line == NULL)
		return;
	cJSON_AddStringToObject(line, "message_type", type);
	cJSON_AddStringToObject(line, "id", m->id);
	if (m->sender != NULL)
		cJSON_AddStringToObject(line, "sender", m->sender);
	if (m->target != NULL)
		cJSON_AddStringToObject(line, "target", m->target);
	if (m->in_reply_to != NULL)
		cJSON_AddStringToObject(line, "in_reply_to", m->in_reply_to);
	if (m->expires != NULL)
		cJSON_AddStringToObject(line, "expires", m->expires);
	if (m->destination_report)
		cJSON_AddTrueToObject(line, "destination_report");
	if (m->debug != NULL)
		cJSON_AddItemReferenceToObject(line, "debug", m->debug);
	if (m->has_data && c->cfg.data_digest) {
		msg_sha256_hex(m->data_raw, m->data_len, sum);
		cJSON_AddNumberToObject(line, "data_len", (double)m->data_len);
		cJSON_AddStringToObject(line, "data_sha256", sum);
	} else if (m->has_data && m->data != NULL) {
		/* A reference: a 60 MB payload is printed, not copied. */
		cJSON_AddItemReferenceToObject(line, "data", m->data);
	} else if (m->has_data) {
		cJSON_AddStringToObject(line, "data", m->data_raw);
	}
	if ((txt = cJSON_PrintUnformatted(line)) != NULL) {
		fputs(txt, stdout);
		fputc('\n', stdout);
		fflush(stdout);
	}
	cJSON_free(txt);
	cJSON_Delete(line);
}

static bool
msg_is_final(const struct ctl *c, const char *type)
{
	static const char *const finals[] = {
		"rpc_blocking_response", "rpc_non_blocking_response",
		"rpc_error_message", "error_message", "inventory_response",
		"associate_response",
	};
	size_t i;

	for (i = 0; i < sizeof(finals) / sizeof(finals[0]); i++) {
		if (strcmp(type, finals[i]) == 0)
			return true;
	}
	return strcmp(type, "rpc_provisional_response") == 0 &&
	    strcmp(c->mtype, PCP_NS "rpc_non_blocking_request") == 0 &&
	    !msg_notify_outcome(c);
}

static struct ctl_req *
msg_match(struct ctl *c, const struct pcp_msg *m)
{
	const cJSON *tid = cJSON_GetObjectItemCaseSensitive(m->data,
	    "transaction_id");
	const cJSON *eid = cJSON_GetObjectItemCaseSensitive(m->data, "id");
	struct ctl_req *r;
	size_t i;

	for (i = c->scan_from; i < c->next_send; i++) {
		r = &c->reqs[i];
		if (r->done)
			continue;
		if ((cJSON_IsString(tid) && r->txid != NULL &&
		    strcmp(tid->valuestring, r->txid) == 0) ||
		    (m->in_reply_to != NULL && strcmp(m->in_reply_to, r->id) == 0) ||
		    (!cJSON_IsString(tid) && cJSON_IsString(eid) &&
		    strcmp(eid->valuestring, r->id) == 0))
			return r;
	}
	return NULL;
}

static void
msg_final_count(struct ctl *c, struct ctl_req *r, const char *type)
{
	double now = pcpt_now_ms();

	c->finals++;
	c->last_final_ms = now;
	if (r != NULL) {
		r->done = true;
		r->latency_ms = now - r->sent_ms;
		while (c->scan_from < c->next_send && c->reqs[c->scan_from].done)
			c->scan_from++;
		if (c->cfg.latency)
			printf("{\"latency_ms\":%.3f,\"sent_at_ms\":%.3f,"
			    "\"sent_unix_ms\":%.3f,"
			    "\"transaction_id\":\"%s\",\"message_type\":\"%s\"}\n",
			    r->latency_ms, r->sent_ms - c->first_send_ms,
			    c->first_send_unix_ms + (r->sent_ms - c->first_send_ms),
			    r->txid != NULL ? r->txid : "", type);
	}
	if (c->finals >= c->expect && c->expect > 0) {
		ctl_finish(c, CTL_EXIT_OK);
		return;
	}
	if (r != NULL && !c->cfg.pipeline && c->cfg.interval_ms == 0)
		msg_send_next(c);
}

/* --reply: answers as the echo module of pxp-agent would, without
 * in_reply_to, to the request's sender. */
static void
msg_fake_agent(struct ctl *c, const struct pcp_msg *m, const char *type)
{
	const cJSON *tid = cJSON_GetObjectItemCaseSensitive(m->data,
	    "transaction_id");
	const cJSON *params = cJSON_GetObjectItemCaseSensitive(m->data, "params");
	const cJSON *arg = cJSON_GetObjectItemCaseSensitive(params, "argument");
	const cJSON *notify = cJSON_GetObjectItemCaseSensitive(m->data,
	    "notify_outcome");
	bool nb = strcmp(type, "rpc_non_blocking_request") == 0;
	char id[PCPT_UUID_LEN], expires[32], mt[128], *txt;
	cJSON *data, *results;
	struct pcp_out o;

	if (!cJSON_IsString(tid) || m->sender == NULL)
		return;
	ctl_msg_expires(expires, 5);
	memset(&o, 0, sizeof(o));
	o.id = id;
	o.message_type = mt;
	o.sender = c->uri;
	o.target = m->sender;
	o.expires = expires;
	data = cJSON_CreateObject();
	cJSON_AddStringToObject(data, "transaction_id", tid->valuestring);
	if (nb) {
		pcpt_uuid(id);
		snprintf(mt, sizeof(mt), PCP_NS "rpc_provisional_response");
		if ((txt = cJSON_PrintUnformatted(data)) != NULL) {
			o.data_json = txt;
			ctl_conn_send(c, &o);
		}
		cJSON_free(txt);
		if (cJSON_IsFalse(notify)) {
			cJSON_Delete(data);
			return;
		}
	}
	results = cJSON_IsString(arg) ? cJSON_CreateObject() :
	    cJSON_Duplicate(params != NULL ? params : NULL, 1);
	if (cJSON_IsString(arg))
		cJSON_AddStringToObject(results, "outcome", arg->valuestring);
	if (results == NULL)
		results = cJSON_CreateObject();
	cJSON_AddItemToObject(data, "results", results);
	pcpt_uuid(id);
	snprintf(mt, sizeof(mt), PCP_NS "%s", nb ? "rpc_non_blocking_response" :
	    "rpc_blocking_response");
	if ((txt = cJSON_PrintUnformatted(data)) != NULL) {
		o.data_json = txt;
		ctl_conn_send(c, &o);
	}
	cJSON_free(txt);
	cJSON_Delete(data);
}

static void
msg_association_result(struct ctl *c, const struct pcp_msg *m)
{
	const cJSON *ok = cJSON_GetObjectItemCaseSensitive(m->data, "success");
	const cJSON *why = cJSON_GetObjectItemCaseSensitive(m->data, "reason");

	if (cJSON_IsTrue(ok)) {
		c->state = CTL_RUNNING;
		ctl_msg_start(c);
		return;
	}
	/* The broker closes (4002) next; conn_closed reports it and exits 3. */
	fprintf(stderr, "pcp-controller: association refused: %s\n",
	    cJSON_IsString(why) ? why->valuestring : "no reason given");
	c->assoc_refused = true;
}

void
ctl_msg_received(struct ctl *c, const struct pcp_msg *m)
{
	const char *type = pcp_type_name(m->message_type);
	const cJSON *aid = cJSON_GetObjectItemCaseSensitive(m->data, "id");
	struct ctl_req *r;

	if (type == NULL)
		type = m->message_type;
	if (!c->cfg.quiet && !c->cfg.latency)
		msg_print(c, m, type);
	if (c->state == CTL_ASSOCIATING) {
		if (strcmp(type, "associate_response") == 0 &&
		    cJSON_IsString(aid) && strcmp(aid->valuestring, c->assoc_id) == 0)
			msg_association_result(c, m);
		return;
	}
	if (c->state != CTL_RUNNING)
		return;
	if (c->cfg.reply && (strcmp(type, "rpc_blocking_request") == 0 ||
	    strcmp(type, "rpc_non_blocking_request") == 0))
		msg_fake_agent(c, m, type);
	if (c->cfg.listen) {
		msg_final_count(c, NULL, type);
		return;
	}
	if ((r = msg_match(c, m)) != NULL && msg_is_final(c, type))
		msg_final_count(c, r, type);
	else if (c->expect > c->nreqs)
		/* Asked for more than our requests can answer: the rest are
		 * other messages (inventory updates, forwarded requests). */
		msg_final_count(c, NULL, type);
}

static int
msg_double_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

void
ctl_msg_summary(struct ctl *c)
{
	double *lat, elapsed, rps;
	size_t i, n = 0;

	lat = calloc(c->nreqs > 0 ? c->nreqs : 1, sizeof(*lat));
	if (lat == NULL)
		return;
	for (i = 0; i < c->nreqs; i++) {
		if (c->reqs[i].done)
			lat[n++] = c->reqs[i].latency_ms;
		else if (c->reqs[i].sent && c->cfg.latency)
			/* Never answered: a benchmark counts it as lost. */
			printf("{\"unanswered\":true,\"sent_at_ms\":%.3f,"
			    "\"sent_unix_ms\":%.3f}\n",
			    c->reqs[i].sent_ms - c->first_send_ms,
			    c->first_send_unix_ms + (c->reqs[i].sent_ms -
			    c->first_send_ms));
	}
	qsort(lat, n, sizeof(*lat), msg_double_cmp);
	elapsed = c->last_final_ms - c->first_send_ms;
	rps = elapsed > 0 ? (double)n * 1000.0 / elapsed : 0;
	printf("{\"count\":%zu,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,"
	    "\"rps\":%.1f,\"elapsed_ms\":%.3f}\n", n,
	    n > 0 ? lat[(size_t)ceil(0.50 * (double)n) - 1] : 0.0,
	    n > 0 ? lat[(size_t)ceil(0.99 * (double)n) - 1] : 0.0,
	    n > 0 ? lat[n - 1] : 0.0, rps, elapsed > 0 ? elapsed : 0.0);
	free(lat);
}
