/* conn_frames.c: the frames of the PCP connection: reassembling what
 * arrives (bounded by max-message-size) and handing it to the session,
 * and the send queue written in fragments from CLIENT_WRITEABLE. The
 * session itself (connect, associate, keepalive) is conn.c.
 * Invariant: a queued frame leaves the queue, and its sent_token is
 * reported, only once lws holds none of it back. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conn/conn_int.h"
#include "base/log.h"

#define PART "conn"

void
conn__tx_clear(struct conn *c)
{
	struct conn_tx *t, *n;

	for (t = c->tx_head; t; t = n) {
		n = t->next;
		free(t->buf);
		free(t->token);
		free(t);
	}
	c->tx_head = c->tx_tail = NULL;
	c->tx_bytes = 0;
	/* The session is gone: the engine hears that through ready_cb. */
	c->tx_over = false;
}

/* Ask lws to close the socket from its next writeable callback. */

int
conn__queue(struct conn *c, uint8_t *buf, size_t len, const char *token)
{
	struct conn_tx *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	if (token && !(t->token = util_strdup(token))) {
		free(t);
		return -ENOMEM;
	}
	t->buf = buf;
	t->len = len;
	if (c->tx_tail)
		c->tx_tail->next = t;
	else
		c->tx_head = t;
	c->tx_tail = t;
	c->tx_bytes += len;
	if (c->tx_bytes >= (size_t)c->cfg->max_send_queue)
		c->tx_over = true;
	lws_callback_on_writable(c->wsi);
	return 0;
}

int
conn__encode_send(struct conn *c, const struct pcp_out *in)
{
	struct pcp_out o = *in;
	char id[UTIL_UUID_LEN], expires[UTIL_TIME_LEN];
	uint8_t *buf;
	size_t len;

	if (!o.id) {
		util_uuid4(id);
		o.id = id;
	}
	o.sender = c->uri;
	if (!o.expires) {
		util_time_iso(expires, c->cfg->pcp_message_ttl);
		o.expires = expires;
	}
	if (pcp_encode(c->cfg->pcp_version, &o, LWS_PRE, &buf, &len) != 0)
		return -ENOMEM;
	if (conn__queue(c, buf, len, o.sent_token) != 0) {
		free(buf);
		return -ENOMEM;
	}
	c->stats.messages_out++;
	c->stats.bytes_out += len;
	return 0;
}

/* ---- receive ---------------------------------------------------------- */

void
conn__access_log(struct conn *c, const struct pcp_msg *m)
{
	char now[UTIL_TIME_LEN], *line, from[300], type[300], id[300];

	if (!c->access)
		return;
	util_time_iso(now, 0);
	/* "2016-02-19T10:09:18.283Z" -> "2016-02-19 10:09:18.283" */
	now[10] = ' ';
	now[strlen(now) - 1] = '\0';
	/* The remote values, escaped: a newline or space in them must not
	 * write a line or a field of its own. */
	line = m ? util_asprintf("[%s] AUTHORIZATION_SUCCESS %s %s %s %s", now,
	    c->cfg->broker_ws_uris[c->broker], util_log_escape(m->sender ?
	    m->sender : PCP_SERVER_URI, from, sizeof(from)),
	    util_log_escape(m->message_type, type, sizeof(type)),
	    util_log_escape(m->id, id, sizeof(id))) :
	    util_asprintf("[%s] DESERIALIZATION_ERROR %s unknown unknown "
	    "unknown", now, c->cfg->broker_ws_uris[c->broker]);
	if (line)
		linelog_write(c->access, line, strlen(line));
	free(line);
}

static void
conn__dispatch(struct conn *c)
{
	struct pcp_msg m;
	const char *err = NULL;

	if (pcp_decode(c->cfg->pcp_version, c->rx, c->rx_len, &m, &err) != 0) {
		log_warnx(PART, "dropping undecodable message (%zu bytes): %s",
		    c->rx_len, err);
		conn__access_log(c, NULL);
		if (c->state == CONN_ASSOCIATING) {
			c->next_delay_ms = backoff_rand(&c->rc.bo,
			    ASSOC_RETRY_MIN_MS, ASSOC_RETRY_MAX_MS);
			conn__close(c, LWS_CLOSE_STATUS_NORMAL,
			    "association failed");
		}
		return;
	}
	c->stats.messages_in++;
	c->stats.bytes_in += c->rx_len;
	if (log_enabled(LOG_LVL_TRACE))
		log_trace(PART, "received %s id %s from %s", m.message_type, m.id,
		    m.sender ? m.sender : "(broker)");
	conn__access_log(c, &m);
	if (c->state == CONN_ASSOCIATING)
		conn__assoc_message(c, &m);
	else if (c->state == CONN_READY)
		c->ops.message_cb(c->arg, &m);
	pcp_msg_clear(&m);
}

int
conn__rx_feed(struct conn *c, const void *in, size_t len, bool final)
{
	size_t max = (size_t)c->cfg->max_message_size;

	if (!c->rx_skip && c->rx_len + len > max) {
		log_error(PART, "incoming message over max-message-size (%zu "
		    "bytes): dropped", max);
		c->rx_skip = true;
	}
	if (!c->rx_skip) {
		if (c->rx_len + len + 1 > c->rx_cap) {
			size_t cap = c->rx_cap ? c->rx_cap : 4096;
			uint8_t *p;

			while (cap < c->rx_len + len + 1)
				cap *= 2;
			if (cap > max + 1)
				cap = max + 1;
			if (!(p = realloc(c->rx, cap))) {
				log_error(PART, "out of memory for a %zu byte "
				    "message: dropped", c->rx_len + len);
				c->rx_skip = true;
				goto done;
			}
			c->rx = p;
			c->rx_cap = cap;
		}
		memcpy(c->rx + c->rx_len, in, len);
		c->rx_len += len;
	}
done:
	if (final) {
		if (!c->rx_skip)
			conn__dispatch(c);
		c->rx_len = 0;
		c->rx_skip = false;
		/* Don't keep a huge buffer for the next small message. */
		if (c->rx_cap > 1 << 20) {
			free(c->rx);
			c->rx = NULL;
			c->rx_cap = 0;
		}
	}
	return 0;
}

int
conn__receive(struct conn *c, struct lws *wsi, const void *in, size_t len)
{
	return conn__rx_feed(c, in, len, lws_is_final_fragment(wsi) &&
	    !lws_remaining_packet_payload(wsi));
}

/* ---- send ------------------------------------------------------------- */

/* The head frame is written out. It is "sent" (its owed response may be
 * forgotten) only once lws holds none of it back in its own buffer. */
static void
conn__tx_done(struct conn *c, struct lws *wsi)
{
	struct conn_tx *t = c->tx_head;

	if (!t || t->off != t->len || lws_partial_buffered(wsi))
		return;
	c->tx_head = t->next;
	if (!c->tx_head)
		c->tx_tail = NULL;
	if (t->token)
		c->ops.sent_cb(c->arg, t->token);
	free(t->buf);
	free(t->token);
	free(t);
}

int
conn__writeable(struct conn *c, struct lws *wsi)
{
	struct conn_tx *t = c->tx_head;
	enum lws_write_protocol wp;
	size_t n;
	uint8_t ping[LWS_PRE];

	if (c->close_code) {
		lws_close_reason(wsi, (enum lws_close_status)c->close_code,
		    (unsigned char *)c->close_reason, strlen(c->close_reason));
		return -1;
	}
	if (c->ping_due) {
		c->ping_due = false;
		if (lws_write(wsi, ping + LWS_PRE, 0, LWS_WRITE_PING) < 0)
			return -1;
		if (!c->pong_wait) {
			c->pong_wait = true;
			uv_timer_start(&c->pong_timer, conn__pong_timeout,
			    PONG_TIMEOUT_MS, 0);
		}
		if (t)
			lws_callback_on_writable(wsi);
		return 0;
	}
	if (t && t->off == t->len) {
		/* Written earlier but held in lws's buffer until now. */
		conn__tx_done(c, wsi);
		if (c->tx_head)
			lws_callback_on_writable(wsi);
		return 0;
	}
	if (!t)
		return 0;

	n = t->len - t->off;
	if (n > TX_FRAGMENT)
		n = TX_FRAGMENT;
	wp = t->off ? LWS_WRITE_CONTINUATION :
	    (c->cfg->pcp_version == 1 ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
	if (t->off + n < t->len)
		wp |= LWS_WRITE_NO_FIN;
	/* Bytes before this fragment were sent: lws may use them as header
	 * room. */
	if (lws_write(wsi, t->buf + LWS_PRE + t->off, n, wp) < (int)n) {
		log_warnx(PART, "websocket write failed");
		return -1;
	}
	t->off += n;
	c->tx_bytes -= n;
	if (t->off == t->len)
		conn__tx_done(c, wsi);
	/* Half, not the cap itself: what waited does not refill it at once.
	 * And always once it is empty: the engine's cap may be another
	 * config's (a reload makes a new conn), so it never waits in vain. */
	if ((c->tx_over && c->tx_bytes <= (size_t)c->cfg->max_send_queue / 2) ||
	    c->tx_bytes == 0) {
		c->tx_over = false;
		if (c->ops.drained_cb)
			c->ops.drained_cb(c->arg);
	}
	if (c->tx_head || c->ping_due)
		lws_callback_on_writable(wsi);
	return 0;
}
