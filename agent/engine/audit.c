/* audit.c: the JSON-lines audit log (audit.h), one line per event
 * through linelog.c, and the host's HMAC key for the parameters' digest
 * (read or made once, at start). Invariant: no line carries the
 * parameters or anything computable from them without the key. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/md.h>
#include <uv.h>

#include "engine/audit.h"
#include "base/linelog.h"
#include "base/util.h"
#include "os/os.h"

struct audit {
	struct linelog *log;
	unsigned char key[AUDIT_KEY_LEN];
};

static int
audit__hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static void
audit__hex(const unsigned char *in, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", in[i]);
}

/* A new key: random bytes from the kernel (no fallback: a guessable key
 * is no key), written whole or not at all (durable rename). */
static int
audit__key_make(const char *path, unsigned char *key, char *err,
    size_t errlen)
{
	char text[2 * AUDIT_KEY_LEN + 2];
	int rc;

	if ((rc = uv_random(NULL, NULL, key, AUDIT_KEY_LEN, 0, NULL)) != 0) {
		snprintf(err, errlen, "audit key: no random bytes: %s",
		    uv_strerror(rc));
		return -1;
	}
	audit__hex(key, AUDIT_KEY_LEN, text);
	text[2 * AUDIT_KEY_LEN] = '\n';
	if ((rc = os_write_atomic(path, text, 2 * AUDIT_KEY_LEN + 1,
	    true)) != 0) {
		snprintf(err, errlen, "audit key: cannot write %s: %s", path,
		    strerror(-rc));
		return -1;
	}
	return 0;
}

static int
audit__key_load(const char *path, unsigned char *key, char *err,
    size_t errlen)
{
	struct os_fileinfo fi;
	char *buf = NULL;
	size_t len, i;
	bool trunc;
	int rc, hi, lo;

	if ((rc = os_path_info(path, false, &fi)) == -ENOENT)
		return audit__key_make(path, key, err, errlen);
	if (rc != 0 || fi.type != OS_FTYPE_REG) {
		snprintf(err, errlen, "audit key: %s: %s", path, rc ?
		    strerror(-rc) : "not a regular file");
		return -1;
	}
	if (fi.perm & 077) {
		snprintf(err, errlen, "audit key: %s may be read by others "
		    "(mode %03o): make it 0600", path, fi.perm & 0777);
		return -1;
	}
	if ((rc = os_read_file(path, false, 2 * AUDIT_KEY_LEN + 2, &buf, &len,
	    &trunc)) != 0) {
		snprintf(err, errlen, "audit key: cannot read %s: %s", path,
		    strerror(-rc));
		return -1;
	}
	rc = -1;
	if (trunc || len < 2 * AUDIT_KEY_LEN || (len > 2 * AUDIT_KEY_LEN &&
	    strcmp(buf + 2 * AUDIT_KEY_LEN, "\n") != 0))
		goto bad;
	for (i = 0; i < AUDIT_KEY_LEN; i++) {
		if ((hi = audit__hex_digit(buf[2 * i])) < 0 ||
		    (lo = audit__hex_digit(buf[2 * i + 1])) < 0)
			goto bad;
		key[i] = (unsigned char)(hi << 4 | lo);
	}
	rc = 0;
bad:
	if (rc != 0)
		snprintf(err, errlen, "audit key: %s does not hold 64 hex "
		    "digits", path);
	free(buf);
	return rc;
}

struct audit *
audit_open(const char *path, const char *key_path, char *err, size_t errlen)
{
	struct audit *a;
	char why[512];

	if (!path || !*path)
		return NULL;
	if (!(a = calloc(1, sizeof(*a)))) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (audit__key_load(key_path, a->key, err, errlen) != 0) {
		free(a);
		return NULL;
	}
	if (!(a->log = linelog_open(path, why, sizeof(why)))) {
		snprintf(err, errlen, "audit-logfile: %s", why);
		free(a);
		return NULL;
	}
	return a;
}

int
audit_reopen(struct audit *a)
{
	return a ? linelog_reopen(a->log) : 0;
}

void
audit_close(struct audit *a)
{
	if (!a)
		return;
	linelog_close(a->log);
	/* Not left in freed memory; volatile so the store is kept. */
	for (volatile unsigned char *k = a->key; k < a->key + AUDIT_KEY_LEN;)
		*k++ = 0;
	free(a);
}

/* HMAC-SHA256(key, the params as compact JSON text), in hex. */
static void
audit__params_hmac(const struct audit *a, const cJSON *params, char out[65])
{
	char *text = cJSON_PrintUnformatted(params);
	unsigned char sum[32];

	out[0] = '\0';
	if (!text)
		return;
	if (mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256),
	    a->key, sizeof(a->key), (const unsigned char *)text, strlen(text),
	    sum) == 0)
		audit__hex(sum, sizeof(sum), out);
	cJSON_free(text);
}

void
audit_log(struct audit *a, const struct audit_event *ev)
{
	cJSON *o;
	char now[UTIL_TIME_LEN], hash[65];
	char *line;
	size_t len;

	if (!a)
		return;
	if (!(o = cJSON_CreateObject()))
		return;
	util_time_iso(now, 0);
	cJSON_AddStringToObject(o, "time", now);
	cJSON_AddStringToObject(o, "event", ev->event);
#define ADD(k, v) do { if (v) cJSON_AddStringToObject(o, k, v); } while (0)
	ADD("sender", ev->sender);
	ADD("transaction_id", ev->transaction_id);
	ADD("module", ev->module);
	ADD("action", ev->action);
	ADD("task", ev->task);
	ADD("status", ev->status);
	ADD("reason", ev->reason);
#undef ADD
	if (ev->params) {
		audit__params_hmac(a, ev->params, hash);
		if (hash[0])
			cJSON_AddStringToObject(o, "params_hmac_sha256", hash);
	}
	if (ev->duration_ms >= 0)
		cJSON_AddNumberToObject(o, "duration_ms", (double)ev->duration_ms);
	if (ev->exitcode != INT_MIN)
		cJSON_AddNumberToObject(o, "exitcode", ev->exitcode);
	line = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (!line)
		return;
	len = strlen(line);
	linelog_write(a->log, line, len);
	cJSON_free(line);
}
