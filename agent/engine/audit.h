/* audit.h: the audit log (a pxpd extension): one JSON line per request
 * and one per outcome, in its own 0600 file, reopened with the main log.
 * Never the parameters: only their HMAC-SHA256 under a key of this host
 * (a bare hash of a short secret could be guessed by trying them all). */
#ifndef PXPD_AUDIT_H
#define PXPD_AUDIT_H

#include <cjson/cJSON.h>

struct audit;

/* The key file: 64 hex digits (32 random bytes) and a newline, 0600. */
#define AUDIT_KEY_NAME "audit.key"
#define AUDIT_KEY_LEN 32

/* NULL path or "" = no audit log (returns NULL, no error). key_path is
 * the HMAC key's file: read, or made (random, 0600) when missing; one
 * that others may read, or that holds anything but a key, is refused. */
struct audit *audit_open(const char *path, const char *key_path, char *err,
    size_t errlen);
int audit_reopen(struct audit *a);
void audit_close(struct audit *a);

/* event: "request", "refused", "outcome". Fields NULL/negative are left
 * out. params may be NULL. */
struct audit_event {
	const char *event;
	const char *sender, *transaction_id, *module, *action, *task;
	const cJSON *params;
	long long duration_ms;     /* -1: none */
	const char *status;        /* accepted, refused, success, failure, ... */
	int exitcode;              /* INT_MIN: none */
	const char *reason;
};
void audit_log(struct audit *a, const struct audit_event *ev);

#endif
