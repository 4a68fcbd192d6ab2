/* engine_stream.c: opt-in streaming of a running action's output (a pxpd
 * extension). A non-blocking request whose data carries
 * "stream_output": true gets progress messages with the new stdout and
 * stderr bytes, at most one per STREAM_INTERVAL_MS and STREAM_CHUNK_MAX
 * bytes per stream each, before its final response. Off by default, so
 * an orchestrator sees exactly pxp-agent's messages. */
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"
#include "jsonutil.h"
#include "log.h"
#include "util.h"

#define PART "engine"
#define STREAM_INTERVAL_MS 1000
#define STREAM_CHUNK_MAX (64 * 1024)

/* New bytes of one stream, cut at a UTF-8 boundary so a character split
 * across two reads is sent whole next time. Returns malloc'd quoted JSON
 * or NULL when there is nothing new. */
static char *
engine__stream_chunk(struct engine *e, const char *tid, const char *name,
    uint64_t *off)
{
	char *buf = NULL, *q;
	size_t len = 0, keep;

	if (spool_file_read_at(e->spool, tid, name, *off, STREAM_CHUNK_MAX,
	    &buf, &len) != 0 || len == 0) {
		free(buf);
		return NULL;
	}
	keep = len;
	/* Back off over continuation bytes and the lead byte they follow,
	 * unless the chunk was short (the writer is done with that char). */
	if (len == STREAM_CHUNK_MAX) {
		size_t i = len;

		while (i > 0 && ((unsigned char)buf[i - 1] & 0xC0) == 0x80)
			i--;
		if (i > 0 && ((unsigned char)buf[i - 1] & 0xC0) == 0xC0)
			keep = i - 1;
		if (keep == 0)
			keep = len;
	}
	buf[keep] = '\0';
	*off += keep;
	q = json_quote(buf);
	free(buf);
	return q;
}

static void
engine__stream_job(struct engine *e, struct job *j)
{
	char *out = engine__stream_chunk(e, j->transaction_id, "stdout",
	    &j->out_off);
	char *err = engine__stream_chunk(e, j->transaction_id, "stderr",
	    &j->err_off);
	char *tid = json_quote(j->transaction_id), *data;

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
		if (e->ready && j->child)
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
