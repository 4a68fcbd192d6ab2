/* conn_rx_fuzz.c: whole messages through the connection's receive path
 * (agent/conn/conn_frames.c: conn__rx_feed, the reassembly of websocket
 * fragments, the max-message-size cut, pcp_decode of v1 or v2, the access
 * log, dispatch) and on into what the engine does first with a message
 * (pxp_request_parse of its data). Input: one byte of settings (bit 0:
 * PCP v2; bits 1-3: max-message-size 64 << n), then fragments, each
 * "<2-byte length, big-endian><final flag byte><bytes>". No crash, leak
 * or read out of bounds; every dispatched message has an id and a
 * message type, and data_len matches its text. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "config/config.h"
#include "conn/conn_int.h"
#include "pcp/codec.h"
#include "pcp/pxp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t dispatched;

static void
on_message(void *arg, struct pcp_msg *m)
{
	struct pxp_request req;
	const char *err = NULL;

	(void)arg;
	if (m->id == NULL || m->message_type == NULL)
		abort();
	if (m->data_raw != NULL && strlen(m->data_raw) > m->data_len)
		abort();
	if (pxp_request_parse(m->data, m->message_type != NULL &&
	    strstr(m->message_type, "non_blocking") != NULL, &req, &err) != 0 &&
	    err == NULL)
		abort();
	dispatched++;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pxpd_config cfg;
	struct conn c;
	size_t off = 1;

	if (size < 1 || size > 256 * 1024)
		return 0;
	log_set_level(LOG_LVL_NONE);
	memset(&cfg, 0, sizeof(cfg));
	cfg.pcp_version = (data[0] & 1) ? 2 : 1;
	cfg.max_message_size = 64LL << ((data[0] >> 1) & 7);
	memset(&c, 0, sizeof(c));
	c.cfg = &cfg;
	c.state = CONN_READY;
	c.ops.message_cb = on_message;
	while (off + 3 <= size) {
		size_t len = ((size_t)data[off] << 8 | data[off + 1]);
		bool final = data[off + 2] & 1;

		off += 3;
		if (len > size - off)
			len = size - off;
		conn__rx_feed(&c, data + off, len, final);
		off += len;
	}
	/* A message whose last fragment never came is dropped with c. */
	if (c.rx_len > (size_t)cfg.max_message_size)
		abort();
	free(c.rx);
	return 0;
}
