/* sendq.c: back pressure from a broker that reads slowly or not at all
 * (max-send-queue). The queue itself is the transport's (conn_frames.c);
 * the engine asks its size through engine_services.send_queued and holds
 * back: once it reaches max-send-queue, new requests get a busy RPC error
 * and streamed output (stream.c) and owed responses (owed.c) wait; at
 * twice the cap even the busy answer is left out, so a flood of requests
 * cannot grow the queue through its answers either. The full period ends
 * when the transport says the queue is down to half (engine_send_drained)
 * or the connection is lost.
 * Invariant: while full, nothing is queued but busy answers (below twice
 * the cap), the replies of requests accepted before, and one owed
 * response or progress message at most past the cap. */
#include <stdio.h>
#include <stdlib.h>

#include "engine/engine_int.h"
#include "base/log.h"
#include "pcp/pxp.h"

#define PART "engine"

enum engine_room
engine__room(struct engine *e)
{
	size_t cap = (size_t)e->cfg->max_send_queue, q;

	if (!e->send_queued)
		return ENGINE_ROOM_OK;
	q = e->send_queued(e->send_arg);
	if (!e->sq.full && q >= cap) {
		e->sq.full = true;
		e->sq.peak = q;
		log_warnx(PART, "send queue full: %zu bytes wait for the broker "
		    "(max-send-queue %zu): requests are answered busy, streamed "
		    "output and owed responses wait", q, cap);
	}
	if (!e->sq.full)
		return ENGINE_ROOM_OK;
	if (q > e->sq.peak)
		e->sq.peak = q;
	return q >= 2 * cap ? ENGINE_ROOM_NONE : ENGINE_ROOM_BUSY;
}

void
engine__sq_refuse(struct engine *e, enum engine_room room, const char *sender,
    const char *tid, const char *request_id)
{
	char desc[256], *data;

	if (room == ENGINE_ROOM_NONE) {
		e->sq.dropped++;
		log_debug(PART, "[%s] dropped: the send queue is full", tid);
		return;
	}
	e->sq.busy++;
	/* Logged once per full period (engine__room, engine_send_drained),
	 * not per request: a flood must not fill the log instead. */
	snprintf(desc, sizeof(desc), "the agent is busy: %zu bytes wait to be "
	    "sent to the broker (max-send-queue %lld); try again later",
	    e->send_queued(e->send_arg), e->cfg->max_send_queue);
	if ((data = pxp_rpc_error_json_max(tid, request_id, desc,
	    engine__data_max(e))))
		engine__send(e, PXP_RPC_ERROR, sender, NULL, data, NULL, NULL);
	free(data);
}

void
engine__sq_sent(struct engine *e)
{
	size_t q;

	if (e->sq.full && e->send_queued &&
	    (q = e->send_queued(e->send_arg)) > e->sq.peak)
		e->sq.peak = q;
}

static void
engine__sq_end(struct engine *e, const char *how)
{
	if (!e->sq.full)
		return;
	log_info(PART, "send queue %s (peak %zu bytes): %lu requests were "
	    "answered busy, %lu dropped", how, e->sq.peak, e->sq.busy,
	    e->sq.dropped);
	e->sq = (struct engine_sendq){ 0 };
}

void
engine__sq_lost(struct engine *e)
{
	engine__sq_end(e, "dropped with the connection");
}

void
engine_send_drained(struct engine *e)
{
	engine__sq_end(e, "drained");
	engine__owed_pump(e);
}
