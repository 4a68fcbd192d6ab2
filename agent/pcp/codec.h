/* codec.h: PCP v1 (binary chunks) and v2 (JSON text) messages.
 * Pure functions over bytes and cJSON: no I/O, no logging, no globals.
 * Shared by the agent, the test broker, the controller and the fuzzers. */
#ifndef PXPD_CODEC_H
#define PXPD_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#define PCP_NS "http://puppetlabs.com/"
#define PCP_SERVER_URI "pcp:///server"
/* Expiry the real broker stamps on every v1 message it sends. */
#define PCP_EPOCH_EXPIRES "1970-01-01T00:00:00.000Z"

enum pcp_version {
	PCP_V1 = 1,
	PCP_V2 = 2,
};

/* v1 chunk descriptors (low 4 bits; the high 4 are reserved). */
enum pcp_chunk {
	PCP_CHUNK_ENVELOPE = 1,
	PCP_CHUNK_DATA = 2,
	PCP_CHUNK_DEBUG = 3,
};

/* A decoded message. Every pointer is owned by the struct and released by
 * pcp_msg_clear(). Optional strings are NULL when absent. */
struct pcp_msg {
	char *id;
	char *message_type;
	char *sender;       /* v1 required; v2 optional */
	char *target;       /* v2 `target`; v1 first of `targets` */
	cJSON *targets;     /* v1 `targets` array as received; NULL for v2 */
	char *in_reply_to;  /* v2 `in_reply_to`, v1 `in-reply-to` */
	char *expires;      /* v1 only; kept for logs, NEVER enforced */
	bool destination_report;

	bool has_data;      /* a data chunk (v1) / `data` key (v2) was present */
	char *data_raw;     /* v1: the data chunk bytes, NUL-terminated;
	                     * v2: `data` printed unformatted */
	size_t data_len;
	cJSON *data;        /* parsed data; NULL when absent or not JSON */

	cJSON *debug;       /* v1: array of the VALID debug chunk objects;
	                     * NULL when there were none */
	int bad_debug;      /* v1: debug chunks that failed validation, plus
	                     * valid ones beyond PCP_DEBUG_MAX */
	size_t trailing;    /* v1: bytes after the last chunk, too short for
	                     * a chunk header (<= 5), ignored: log a warning */
};

/* v1: at most this many debug chunks are kept in pcp_msg.debug. */
#define PCP_DEBUG_MAX 64

/* Releases every member and zeroes the struct. Safe on a zeroed struct. */
void pcp_msg_clear(struct pcp_msg *m);

/* Decoders. On success return 0 and fill *out (caller clears it).
 * On failure return -1, leave *out cleared and point *err at a static
 * description ("message too short", "unknown chunk descriptor 7", ...).
 * Envelope validation: required keys with the right types (v1: id,
 * message_type, expires, targets (array of strings), sender; v2: id,
 * message_type); unknown keys tolerated. `expires` is never compared to
 * the clock: the real broker sends 1970 on every v1 message. */
int pcp_v1_decode(const void *buf, size_t len, struct pcp_msg *out,
    const char **err);
int pcp_v2_decode(const void *buf, size_t len, struct pcp_msg *out,
    const char **err);

/* What to send. `data_json` is the data already serialized (callers
 * check its size against max-message-size before encoding); NULL means no
 * data chunk / no `data` key. `debug` (v1 only) is an array of objects
 * copied as debug chunks; ignored by v2. */
struct pcp_out {
	const char *id;
	const char *message_type;  /* full URI */
	const char *sender;
	const char *target;        /* v1: targets = [target]; NULL = broker */
	const char *in_reply_to;
	const char *expires;       /* v1 only, ISO 8601 UTC */
	bool destination_report;   /* v1 only */
	const char *data_json;
	size_t data_len;           /* 0 = strlen(data_json) */
	const cJSON *debug;
	/* Not on the wire: handed back through conn's sent_cb once the whole
	 * frame was written to the socket (owed responses, engine.c). */
	const char *sent_token;
};

/* Encoders. Allocate a buffer with `headroom` spare bytes before the
 * message (libwebsockets wants LWS_PRE there); *buf is the allocation,
 * the message is at *buf + headroom, *len bytes long. Caller frees *buf.
 * Return 0, or -1 on allocation failure or a missing required field. */
int pcp_v1_encode(const struct pcp_out *o, size_t headroom, uint8_t **buf,
    size_t *len);
int pcp_v2_encode(const struct pcp_out *o, size_t headroom, uint8_t **buf,
    size_t *len);

/* Dispatch on version. */
int pcp_decode(enum pcp_version v, const void *buf, size_t len,
    struct pcp_msg *out, const char **err);
int pcp_encode(enum pcp_version v, const struct pcp_out *o, size_t headroom,
    uint8_t **buf, size_t *len);

/* "http://puppetlabs.com/rpc_blocking_request" -> "rpc_blocking_request";
 * NULL when the type is outside the puppetlabs namespace. */
const char *pcp_type_name(const char *message_type);

/* True for a string matching ^pcp://[^/]*\/[^/]+$ */
bool pcp_uri_valid(const char *uri);

#endif
