/* stream.c: opt-in streaming of a running action's output (a pxpd
 * extension). A non-blocking request whose data carries
 * "stream_output": true gets progress messages with the new stdout and
 * stderr bytes, at most one per STREAM_INTERVAL_MS and STREAM_CHUNK_MAX
 * bytes per stream each, before its final response. Off by default, so
 * an orchestrator sees exactly pxp-agent's messages.
 * While the send queue is full (max-send-queue, sendq.c) nothing is
 * streamed: the output stays in the spool and the next tick with room
 * sends it from the offsets reached.
 * Invariant: a progress message is valid UTF-8 and fits max-message-size;
 * the offsets count the bytes of the output files, so repaired bytes are
 * counted as they were written. */
#include <stdlib.h>
#include <string.h>

#include "engine/engine_int.h"
#include "base/jsonutil.h"
#include "base/log.h"
#include "base/util.h"

#define PART "engine"
#define STREAM_INTERVAL_MS 1000
#define STREAM_CHUNK_MAX (64 * 1024)

/* New bytes of one stream as a quoted JSON string, repaired
 * (jsonutil.h) and at most max bytes once escaped; *off moves past what
 * was sent. A character not yet wholly written is left for next time.
 * NULL when there is nothing new. */
static char *
engine__stream_chunk(struct engine *e, const char *tid, const char *name,
    uint64_t *off, size_t max)
{
	char *buf = NULL, *q;
	size_t len = 0, keep;

	if (spool_file_read_at(e->spool, tid, name, *off, STREAM_CHUNK_MAX,
	    &buf, &len) != 0 || len == 0) {
		free(buf);
		return NULL;
	}
	keep = json_utf8_fit(buf, len, max, true, NULL);
	if (keep == 0) {
		free(buf);
		return NULL;
	}
	*off += keep;
	q = json_quote_n(buf, keep);
	free(buf);
	return q;
}

static void
engine__stream_job(struct engine *e, struct job *j)
{
	char *tid = json_quote(j->transaction_id), *data, *out, *err;
	/* Each stream gets half of what the message's data may hold, less
	 * the transaction id and the keys and offsets around them. */
	size_t frame = (tid ? strlen(tid) : 0) + 160;
	size_t max = engine__data_max(e) > frame ?
	    (engine__data_max(e) - frame) / 2 : 0;

	out = engine__stream_chunk(e, j->transaction_id, "stdout", &j->out_off,
	    max);
	err = engine__stream_chunk(e, j->transaction_id, "stderr", &j->err_off,
	    max);
	if ((out || err) && tid) {
		data = util_asprintf("{\"transaction_id\":%s,\"stdout\":%s,"
		    "\"stderr\":%s,\"stdout_offset\":%llu,\"stderr_offset\":%llu}",
		    tid, out ? out : "\"\"", err ? err : "\"\"",
		    (unsigned long long)j->out_off,
		    (unsigned long long)j->err_off);
		if (data)
			engine__send(e, PXPD_PROGRESS_MESSAGE, j->sender, NULL, data,
			    NULL, NULL);
		free(data);
	}
	free(out);
	free(err);
	free(tid);
}

static void
engine__stream_tick(uv_timer_t *t)
{
	struct engine *e = t->data;
	struct job *j;
	int active = 0;

	for (j = e->jobs; j; j = j->next) {
		if (!j->stream || j->finished)
			continue;
		active++;
		if (e->ready && j->child && engine__room(e) == ENGINE_ROOM_OK)
			engine__stream_job(e, j);
	}
	if (!active)
		uv_timer_stop(t);
}

void
engine__stream_begin(struct engine *e, struct job *j)
{
	if (!j->stream || !j->result_dir)
		return;
	if (!uv_is_active((uv_handle_t *)&e->stream_timer))
		uv_timer_start(&e->stream_timer, engine__stream_tick,
		    STREAM_INTERVAL_MS, STREAM_INTERVAL_MS);
	log_debug(PART, "[%s] streaming output", j->transaction_id);
}

void
engine__stream_init(struct engine *e)
{
	uv_timer_init(e->loop, &e->stream_timer);
	e->stream_timer.data = e;
}
