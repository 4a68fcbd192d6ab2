/* pcpt.h: helpers shared by the test broker (tests/broker) and the test
 * controller (tests/controller): websocket message reassembly and send
 * queue, certificate CN, ids. Not used by the agent. */
#ifndef PXPD_PCPT_H
#define PXPD_PCPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libwebsockets.h>

/* ---- receive: one websocket message from its fragments ---- */

struct pcpt_rx {
	uint8_t *buf;      /* NUL-terminated after len (for text parsers) */
	size_t len;
	size_t cap;
	size_t max;        /* bound on len; exceeding it is -EMSGSIZE */
	bool binary;       /* opcode of the first fragment */
};

/* Appends one fragment. Returns 0, -EMSGSIZE when the message would
 * exceed rx->max, -ENOMEM. */
int pcpt_rx_append(struct pcpt_rx *rx, const void *in, size_t len);
/* Forgets the message, keeping the buffer if it is small. */
void pcpt_rx_reset(struct pcpt_rx *rx);
void pcpt_rx_free(struct pcpt_rx *rx);

/* ---- send: a queue of whole messages written in fragments ---- */

/* Size of one websocket fragment: big messages go out one fragment per
 * WRITEABLE callback so no single lws_write holds megabytes. */
#define PCPT_TX_CHUNK (64 * 1024)

struct pcpt_frame;

struct pcpt_txq {
	struct pcpt_frame *head;
	struct pcpt_frame *tail;
	size_t count;
	size_t bytes;
};

/* Queues buf (malloc'd, message at buf + LWS_PRE, len bytes); the queue
 * owns buf from now on, also on failure. Returns 0 or -ENOMEM. */
int pcpt_txq_push(struct pcpt_txq *q, uint8_t *buf, size_t len, bool binary);
bool pcpt_txq_empty(const struct pcpt_txq *q);
/* Writes the next fragment of the head message. Call from WRITEABLE only.
 * Returns 1 when more is queued (ask for WRITEABLE again), 0 when the
 * queue is empty, -1 when lws_write failed (close the connection). */
int pcpt_txq_write(struct pcpt_txq *q, struct lws *wsi);
void pcpt_txq_free(struct pcpt_txq *q);

/* ---- certificates and ids ---- */

/* CN of the first certificate in a PEM file into out. Returns 0, or -1
 * (file unreadable, not a certificate, no CN, CN longer than outlen-1). */
int pcpt_cert_cn(const char *path, char *out, size_t outlen);

#define PCPT_UUID_LEN 37
/* Random version-4 UUID, lowercase. */
void pcpt_uuid(char out[PCPT_UUID_LEN]);

/* Monotonic milliseconds (libuv's hrtime). */
double pcpt_now_ms(void);

/* Parses a decimal in [min, max] into *out; -1 on junk or range. */
int pcpt_num_parse(const char *s, long long min, long long max,
    long long *out);

/* Reads a whole file into a malloc'd NUL-terminated buffer. Returns 0 or
 * -errno. Caller frees *out. */
int pcpt_file_read(const char *path, char **out, size_t *len);

#endif
