/* pcpt_ws.c: websocket message reassembly (pcpt_rx) and the per-connection
 * send queue (pcpt_txq) of the test broker and controller. Not the PCP
 * format (agent/codec*.c) nor any routing.
 * Invariants: rx->len never exceeds rx->max and buf[len] is always NUL;
 * a queued frame is written strictly in order, one lws_write per call,
 * and freed as soon as its last fragment is handed to lws. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pcpt.h"

struct pcpt_frame {
	struct pcpt_frame *next;
	uint8_t *buf;       /* LWS_PRE headroom, then the message */
	size_t len;
	size_t off;         /* bytes of the message already written */
	bool binary;
};

/* Buffers up to this size are kept between messages. */
#define RX_KEEP (256 * 1024)

int
pcpt_rx_append(struct pcpt_rx *rx, const void *in, size_t len)
{
	size_t need, cap;
	uint8_t *nb;

	if (len > rx->max || rx->len > rx->max - len)
		return -EMSGSIZE;
	need = rx->len + len + 1;
	if (need > rx->cap) {
		cap = rx->cap != 0 ? rx->cap : 4096;
		while (cap < need)
			cap = cap > SIZE_MAX / 2 ? need : cap * 2;
		if (cap > rx->max + 1)
			cap = rx->max + 1;
		if ((nb = realloc(rx->buf, cap)) == NULL)
			return -ENOMEM;
		rx->buf = nb;
		rx->cap = cap;
	}
	if (len > 0)
		memcpy(rx->buf + rx->len, in, len);
	rx->len += len;
	rx->buf[rx->len] = '\0';
	return 0;
}

void
pcpt_rx_reset(struct pcpt_rx *rx)
{
	if (rx->cap > RX_KEEP) {
		free(rx->buf);
		rx->buf = NULL;
		rx->cap = 0;
	}
	rx->len = 0;
	rx->binary = false;
}

void
pcpt_rx_free(struct pcpt_rx *rx)
{
	free(rx->buf);
	rx->buf = NULL;
	rx->cap = rx->len = 0;
}

int
pcpt_txq_push(struct pcpt_txq *q, uint8_t *buf, size_t len, bool binary)
{
	struct pcpt_frame *f = calloc(1, sizeof(*f));

	if (f == NULL) {
		free(buf);
		return -ENOMEM;
	}
	f->buf = buf;
	f->len = len;
	f->binary = binary;
	if (q->tail != NULL)
		q->tail->next = f;
	else
		q->head = f;
	q->tail = f;
	q->count++;
	q->bytes += len;
	return 0;
}

bool
pcpt_txq_empty(const struct pcpt_txq *q)
{
	return q->head == NULL;
}

static void
txq_pop(struct pcpt_txq *q)
{
	struct pcpt_frame *f = q->head;

	q->head = f->next;
	if (q->head == NULL)
		q->tail = NULL;
	q->count--;
	q->bytes -= f->len;
	free(f->buf);
	free(f);
}

int
pcpt_txq_write(struct pcpt_txq *q, struct lws *wsi)
{
	struct pcpt_frame *f = q->head;
	size_t n;
	int flags;

	if (f == NULL)
		return 0;
	n = f->len - f->off;
	if (n > PCPT_TX_CHUNK)
		n = PCPT_TX_CHUNK;
	flags = lws_write_ws_flags(f->binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT,
	    f->off == 0, f->off + n == f->len);
	/* The LWS_PRE bytes before a later fragment belong to the previous
	 * one, already handed to lws (it copies what it cannot send), so lws
	 * may write the frame header over them. */
	if (lws_write(wsi, f->buf + LWS_PRE + f->off, n,
	    (enum lws_write_protocol)flags) < (int)n)
		return -1;
	f->off += n;
	if (f->off == f->len)
		txq_pop(q);
	return q->head != NULL ? 1 : 0;
}

void
pcpt_txq_free(struct pcpt_txq *q)
{
	while (q->head != NULL)
		txq_pop(q);
}
