/* fetch_int.h: what fetch.c (cache, waiters, lifecycle), fetch_http.c
 * (one HTTPS attempt after another) and fetch_file.c (checks of names,
 * hashes and paths, URL text) share. Not for other parts. */
#ifndef PXPD_FETCH_INT_H
#define PXPD_FETCH_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <mbedtls/sha256.h>
#include <uv.h>

#include "net/resolve.h"
#include "net/target.h"

#include "fetch/fetch.h"
#include "os/attr.h"

#define FETCH_PART "fetch"
#define FETCH_SHA_HEX 64
/* Nothing bigger is downloaded, whatever size_bytes says. */
#define FETCH_SIZE_CAP ((int64_t)1 << 30)
#define FETCH_NAME_MAX 255
/* Path plus query of one request; lws writes the request line into a
 * 2 KiB slot. */
#define FETCH_REQ_MAX 1800
#define FETCH_ERR_MAX 512
/* Default retries: the master-uris list is tried this many times, with
 * FETCH_BACKOFF_MS, twice that, ... between rounds. */
#define FETCH_ROUNDS 4
#define FETCH_BACKOFF_MS 1000

struct lws;
struct lws_context;
struct os_file;
struct lws_vhost;
struct tls_crl;

struct fetch_waiter {
	struct fetch_waiter *next;
	fetch_done_cb done;
	void *arg;
};

enum fetch_dl_state {
	FETCH_DL_CHECK,     /* hashing an existing cached copy (threadpool) */
	FETCH_DL_WAIT,      /* step timer runs until the next attempt */
	FETCH_DL_HTTP,      /* an attempt is on the wire */
	FETCH_DL_DONE,      /* result known, step timer delivers it */
	FETCH_DL_CLOSING,   /* handles closing; freed in the last close_cb */
};

/* One file on its way into the cache, shared by every fetch_get that
 * wants the same sha256 + basename while it is under way. */
struct fetch_dl {
	struct fetch_dl *next;
	struct fetch *f;
	enum fetch_dl_state state;
	struct fetch_waiter *waiters;

	char sha[FETCH_SHA_HEX + 1];   /* lowercase */
	char *name;                    /* basename of filename */
	char *dir;                     /* task-cache-dir/<sha> */
	char *dest;                    /* dir/name */
	char *req;                     /* uri path + "?query" */
	int64_t size_bytes;            /* -1: unknown */

	/* the check of a cached copy (work_cb runs off the loop and touches
	 * only these) */
	uv_work_t work;
	bool work_busy;
	int check_rc;                  /* 0 hashed, -errno */
	char check_hex[FETCH_SHA_HEX + 1];

	/* attempts */
	int uri_idx, round;
	char *url;                     /* of the current attempt, for errors */
	struct net_target target;      /* the current master-uri */
	char *path;                    /* its path prefix + req */
	struct resolve *res;           /* name lookup in flight */
	struct resolve_result addrs;
	size_t addr_idx;
	bool tcp_up;                   /* this address took the TCP connection */
	struct lws *wsi;
	int status;
	struct os_file *file;          /* temp file, NULL when none */
	char *tmp;
	mbedtls_sha256_context hash;
	uint64_t got;
	char last_err[FETCH_ERR_MAX];

	uv_timer_t step, connect_to, total_to;
	int open_handles;

	bool ok;
	char err[FETCH_ERR_MAX];
};

#define FETCH_LWS_STATIC_MAX 8

struct fetch {
	uv_loop_t *loop;
	const struct pxpd_config *cfg;
	struct lws_context *ctx;
	struct lws_vhost *vh;
	struct tls_crl *crl;
	struct resolve_proxy proxy;   /* master-proxy, parsed; host NULL: none */
	/* lws's own handles on our loop (its idle and timer), and the timer
	 * that finishes the context's teardown once they are closed. */
	uv_handle_t *lws_static[FETCH_LWS_STATIC_MAX];
	int n_lws_static;
	uv_timer_t reap;
	int reap_tries;
	bool reap_busy;
	bool http_open;                /* until reap is closed */
	struct fetch_dl *dls;
	int n_dls;                     /* allocated, closing ones too */
	bool freeing;
	int rounds;
	uint64_t backoff_ms;
	uv_timer_t purge;              /* fetch_cache_purge_start */
	long purge_ttl_s;
	bool purge_on;                 /* until purge is closed */
};

/* fetch_file.c */
bool fetch__sha_valid(const char *s);
int fetch__name_check(const char *name, char *err, size_t errlen);
int fetch__uri_path_check(const char *path, char *err, size_t errlen);
int fetch__params_check(const cJSON *params, char *err, size_t errlen);
/* "path?k=v&..." (escaped), malloc'd; NULL when too long or no memory. */
char *fetch__req_build(const char *path, const cJSON *params);
const char *fetch__status_text(int status);
void fetch__hex(const unsigned char digest[32], char out[FETCH_SHA_HEX + 1]);

/* fetch.c */
/* Frees f once fetch_free ran and nothing of it is open any more. */
void fetch__maybe_free(struct fetch *f);
/* Runs the dl's next step (attempt, delivery) from the loop in ms. */
void fetch__dl_arm(struct fetch_dl *dl, uint64_t ms);
void fetch__dl_finish(struct fetch_dl *dl, bool ok, const char *fmt, ...)
    OS_PRINTF(3, 4);

/* fetch_purge.c */
/* Closes the purge timer, if any (fetch_free). */
void fetch__purge_stop(struct fetch *f);

/* fetch_http.c */
int fetch__http_init(struct fetch *f, char *err, size_t errlen);
/* Starts the lws teardown; it completes as the loop runs on, then calls
 * fetch__maybe_free. */
void fetch__http_free(struct fetch *f);
/* Starts the attempts over master-uris (the cache missed). */
void fetch__download_start(struct fetch_dl *dl);
/* Step timer fired in FETCH_DL_WAIT. */
void fetch__attempt_start(struct fetch_dl *dl);
/* Drops the attempt on the wire, if any, without a result (cancel/free). */
void fetch__attempt_abort(struct fetch_dl *dl);

#endif
