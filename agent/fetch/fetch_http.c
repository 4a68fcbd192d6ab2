/* fetch_http.c: the HTTPS side of fetch: an lws context of its own on the
 * agent's loop, one GET per attempt, master-uris in order with rounds and
 * backoff, the body streamed to a temp file while it is hashed, then
 * verified and renamed into the cache. Waiters, cache checks and delivery
 * are fetch.c's.
 * Invariants: an attempt ends exactly once, in fetch__attempt_end(), which
 * detaches the wsi (no later lws callback reaches the dl) and removes the
 * temp file; the next attempt and every result start from a uv timer, never
 * from inside an lws callback. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#include "fetch/fetch_int.h"
#include "net/lwsctx.h"
#include "base/log.h"
#include "net/tls_peer.h"
#include "base/util.h"
#include "os/attr.h"
#include "os/os.h"

#define PROTOCOL_NAME "pxpd-fetch"
/* curl's connect limit when task-download-connect-timeout is 0. */
#define CONNECT_DEFAULT_S 300
#define RX_CHUNK 16384
#define LWS_TIMEOUT_SLACK_S 5
#define REAP_MS 10
#define REAP_TRIES 1000

enum fetch_end {
	FETCH_END_OK,
	FETCH_END_TRANSIENT,   /* next master-uri, later another round */
	FETCH_END_FATAL,       /* the answer is known: fail now */
};

static void fetch__attempt_end(struct fetch_dl *dl, enum fetch_end how,
    bool kill, const char *fmt, ...) OS_PRINTF(4, 5);

static void
fetch__temp_drop(struct fetch_dl *dl)
{
	int rc;

	if (dl->file) {
		os_file_close(dl->file);
		dl->file = NULL;
		mbedtls_sha256_free(&dl->hash);
	}
	if (dl->tmp) {
		if ((rc = os_unlink(dl->tmp)) != 0 && rc != -ENOENT)
			log_warnx(FETCH_PART, "cannot remove %s: %s", dl->tmp,
			    strerror(-rc));
		free(dl->tmp);
		dl->tmp = NULL;
	}
}

static void
fetch__detach(struct fetch_dl *dl, bool kill)
{
	uv_timer_stop(&dl->connect_to);
	uv_timer_stop(&dl->total_to);
	resolve_cancel(dl->res);
	dl->res = NULL;
	if (dl->wsi) {
		lws_set_opaque_user_data(dl->wsi, NULL);
		/* Inside a callback that returns -1 lws closes it anyway;
		 * kill is only asked from our timers, where closing now is
		 * safe (asynchronously a connecting socket would linger until
		 * lws's next sweep, 30 s later). */
		if (kill)
			lws_set_timeout(dl->wsi, PENDING_TIMEOUT_USER_OK,
			    LWS_TO_KILL_SYNC);
		dl->wsi = NULL;
	}
	fetch__temp_drop(dl);
}

void
fetch__attempt_abort(struct fetch_dl *dl)
{
	fetch__detach(dl, true);
}

static void
fetch__attempt_end(struct fetch_dl *dl, enum fetch_end how, bool kill,
    const char *fmt, ...)
{
	struct fetch *f = dl->f;
	char msg[FETCH_ERR_MAX] = "";
	va_list ap;

	if (dl->state != FETCH_DL_HTTP)
		return;
	fetch__detach(dl, kill);
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
	}
	if (how == FETCH_END_OK) {
		fetch__dl_finish(dl, true, NULL);
		return;
	}
	/* An empty sha256 dir would only wait for the purge. */
	(void)os_rmdir(dl->dir);
	if (how == FETCH_END_FATAL) {
		fetch__dl_finish(dl, false, "%s", msg);
		return;
	}
	log_warnx(FETCH_PART, "%s", msg);
	snprintf(dl->last_err, sizeof(dl->last_err), "%s", msg);
	dl->state = FETCH_DL_WAIT;
	if (++dl->uri_idx < f->cfg->n_master_uris) {
		fetch__dl_arm(dl, 0);
		return;
	}
	dl->uri_idx = 0;
	if (++dl->round >= f->rounds) {
		fetch__dl_finish(dl, false, "Failed to download file with: %s",
		    dl->last_err);
		return;
	}
	fetch__dl_arm(dl, f->backoff_ms << (dl->round - 1 < 16 ?
	    dl->round - 1 : 16));
}

void
fetch__download_start(struct fetch_dl *dl)
{
	dl->uri_idx = 0;
	dl->round = 0;
	dl->state = FETCH_DL_WAIT;
	fetch__attempt_start(dl);
}

/* ---- timeouts ---------------------------------------------------------- */

static void
fetch__connect_timeout(uv_timer_t *t)
{
	struct fetch_dl *dl = t->data;

	fetch__attempt_end(dl, FETCH_END_TRANSIENT, true, "%s: no connection "
	    "within %lld s", dl->url, dl->f->cfg->task_download_connect_timeout);
}

static void
fetch__total_timeout(uv_timer_t *t)
{
	struct fetch_dl *dl = t->data;

	fetch__attempt_end(dl, FETCH_END_TRANSIENT, true, "%s: the download "
	    "did not finish within %lld s", dl->url,
	    dl->f->cfg->task_download_timeout);
}

/* ---- one attempt -------------------------------------------------------- */

/* task-cache-dir is re-created if someone removed it while we run,
 * with its parents; the sha256 dir is private. */
static int
fetch__dirs_make(struct fetch_dl *dl)
{
	struct os_fileinfo info;
	int rc;

	if ((rc = os_mkdir_p(dl->f->cfg->task_cache_dir, OS_MODE_DIR_GROUP,
	    OS_MODE_DIR_GROUP)) != 0)
		return rc;
	if ((rc = os_create_private(dl->dir, OS_FTYPE_DIR, NULL)) != 0 &&
	    rc != -EEXIST)
		return rc;
	if ((rc = os_path_info(dl->dir, false, &info)) != 0)
		return rc;
	return info.type == OS_FTYPE_DIR ? 0 : -ENOTDIR;
}

static int
fetch__temp_open(struct fetch_dl *dl)
{
	uint64_t r = util_random64();
	int rc;

	if ((rc = fetch__dirs_make(dl)) != 0)
		return rc;
	dl->tmp = util_asprintf("%s/temp_file_%04x-%04x-%04x-%04x", dl->dir,
	    (unsigned)(r >> 48) & 0xffff, (unsigned)(r >> 32) & 0xffff,
	    (unsigned)(r >> 16) & 0xffff, (unsigned)r & 0xffff);
	if (!dl->tmp)
		return -ENOMEM;
	if ((rc = os_create_private(dl->tmp, OS_FTYPE_REG, &dl->file)) != 0) {
		free(dl->tmp);
		dl->tmp = NULL;
		return rc;
	}
	mbedtls_sha256_init(&dl->hash);
	mbedtls_sha256_starts(&dl->hash, 0);
	dl->got = 0;
	return 0;
}

static bool fetch__next_addr(struct fetch_dl *dl);

/* Connects to dl->addrs[dl->addr_idx] (through master-proxy if set). */
static void
fetch__attempt_addr(struct fetch_dl *dl)
{
	struct fetch *f = dl->f;
	struct lws_client_connect_info i;
	const char *addr = dl->addrs.addr[dl->addr_idx];

	if (net_connect_info(f->ctx, f->vh, &dl->target, &f->proxy, addr,
	    &i) != 0) {
		fetch__attempt_end(dl, FETCH_END_TRANSIENT, false,
		    "%s: cannot use master-proxy", dl->url);
		return;
	}
	i.path = dl->path;
	i.method = "GET";
	/* A redirect is an answer we don't take: puppetserver sends none. */
	i.ssl_connection |= LCCSCF_HTTP_NO_FOLLOW_REDIRECT;
	i.protocol = PROTOCOL_NAME;
	i.local_protocol_name = PROTOCOL_NAME;
	i.opaque_user_data = dl;
	i.pwsi = &dl->wsi;
	dl->tcp_up = false;
	/* A refused connect may end inside the call (lws then returns NULL
	 * and reports no error): the next address, or the attempt's end. */
	if (!lws_client_connect_via_info(&i) && dl->state == FETCH_DL_HTTP &&
	    !fetch__next_addr(dl))
		fetch__attempt_end(dl, FETCH_END_TRANSIENT, false, "%s: cannot "
		    "connect to %s", dl->url, addr);
}

static void
fetch__resolved(void *arg, const struct resolve_result *res)
{
	struct fetch_dl *dl = arg;

	dl->res = NULL;
	if (dl->state != FETCH_DL_HTTP)
		return;
	if (res->status != 0) {
		fetch__attempt_end(dl, FETCH_END_TRANSIENT, false, "%s: cannot "
		    "resolve %s: %s", dl->url, dl->f->proxy.host ?
		    dl->f->proxy.host : dl->target.host, uv_strerror(res->status));
		return;
	}
	dl->addrs = *res;
	dl->addr_idx = 0;
	if (dl->f->proxy.host)
		dl->addrs.n = 1;     /* the proxy tries the server's addresses */
	fetch__attempt_addr(dl);
}

static void
fetch__addr_step(uv_timer_t *t)
{
	struct fetch_dl *dl = t->data;

	if (dl->state == FETCH_DL_HTTP)
		fetch__attempt_addr(dl);
}

/* No TCP connection to this address: the server's next one, from the
 * loop; false if there is none (or TCP did connect). */
static bool
fetch__next_addr(struct fetch_dl *dl)
{
	if (dl->tcp_up || dl->addr_idx + 1 >= dl->addrs.n)
		return false;
	dl->addr_idx++;
	log_info(FETCH_PART, "%s: trying %s", dl->url,
	    dl->addrs.addr[dl->addr_idx]);
	if (dl->wsi)
		lws_set_opaque_user_data(dl->wsi, NULL);
	dl->wsi = NULL;
	uv_timer_start(&dl->step, fetch__addr_step, 0, 0);
	return true;
}

void
fetch__attempt_start(struct fetch_dl *dl)
{
	struct fetch *f = dl->f;
	const struct pxpd_config *cfg = f->cfg;
	const char *path;
	char *base;
	size_t blen;

	if (f->freeing || dl->state != FETCH_DL_WAIT)
		return;
	base = cfg->master_uris[dl->uri_idx];
	blen = strlen(base);
	while (blen && base[blen - 1] == '/')
		blen--;
	free(dl->url);
	free(dl->path);
	dl->path = NULL;
	net_target_free(&dl->target);
	dl->addrs.n = 0;
	dl->url = util_asprintf("%.*s%s", (int)blen, base, dl->req);
	dl->state = FETCH_DL_HTTP;
	dl->status = 0;
	if (!dl->url || net_target_parse(base, "https", &dl->target) != 0) {
		fetch__attempt_end(dl, FETCH_END_TRANSIENT, false, "cannot use "
		    "master-uri %s", base);
		return;
	}
	/* The master-uri's own path prefix, then the request. */
	path = dl->target.path;
	blen = strlen(path);
	while (blen && path[blen - 1] == '/')
		blen--;
	if (!(dl->path = util_asprintf("%s%.*s%s", blen ? "/" : "", (int)blen,
	    path, dl->req))) {
		fetch__attempt_end(dl, FETCH_END_FATAL, false, "out of memory");
		return;
	}

	log_info(FETCH_PART, "downloading %s (attempt %d of %d)", dl->url,
	    dl->round * cfg->n_master_uris + dl->uri_idx + 1,
	    f->rounds * cfg->n_master_uris);
	if (cfg->task_download_connect_timeout > 0)
		uv_timer_start(&dl->connect_to, fetch__connect_timeout,
		    (uint64_t)cfg->task_download_connect_timeout * 1000, 0);
	if (cfg->task_download_timeout > 0)
		uv_timer_start(&dl->total_to, fetch__total_timeout,
		    (uint64_t)cfg->task_download_timeout * 1000, 0);
	/* Resolved off the loop; a literal answers from the loop too. */
	if (!(dl->res = resolve_start(f->loop, f->proxy.host ? f->proxy.host :
	    dl->target.host, fetch__resolved, dl)))
		fetch__attempt_end(dl, FETCH_END_TRANSIENT, false, "%s: out of "
		    "memory", dl->url);
}

/* ---- lws callbacks -------------------------------------------------------- */

static int
fetch__on_established(struct fetch_dl *dl, struct lws *wsi)
{
	int64_t limit = dl->size_bytes >= 0 ? dl->size_bytes : FETCH_SIZE_CAP;
	const char *text;
	char cl[32];
	int rc;

	dl->status = (int)lws_http_client_http_response(wsi);
	if (dl->status != 200) {
		text = fetch__status_text(dl->status);
		/* The body (puppetserver's JSON, a proxy's HTML page) is not
		 * read: the status says enough. */
		/* 5xx (and no readable status) may be one master's trouble:
		 * try the next; any other answer would be the same there. */
		fetch__attempt_end(dl, dl->status >= 500 || dl->status < 100 ?
		    FETCH_END_TRANSIENT : FETCH_END_FATAL, false,
		    "%s: HTTP %d%s%s", dl->url, dl->status, *text ? " " : "",
		    text);
		return -1;
	}
	if (lws_hdr_copy(wsi, cl, sizeof(cl),
	    WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0 && strtoll(cl, NULL, 10) > limit) {
		fetch__attempt_end(dl, FETCH_END_FATAL, false, "The downloaded "
		    "file %s is larger than %s (%lld bytes announced)", dl->name,
		    dl->size_bytes >= 0 ? "its size_bytes" : "1 GiB",
		    strtoll(cl, NULL, 10));
		return -1;
	}
	if ((rc = fetch__temp_open(dl)) != 0) {
		fetch__attempt_end(dl, FETCH_END_FATAL, false, "cannot create a "
		    "temporary file in %s: %s", dl->dir, strerror(-rc));
		return -1;
	}
	return 0;
}

static int
fetch__on_data(struct fetch_dl *dl, const void *in, size_t len)
{
	int64_t limit = dl->size_bytes >= 0 ? dl->size_bytes : FETCH_SIZE_CAP;
	int rc;

	if (!dl->file)
		return -1;
	if (dl->got + len > (uint64_t)limit) {
		fetch__attempt_end(dl, FETCH_END_FATAL, false, "The downloaded "
		    "file %s is larger than %s", dl->name, dl->size_bytes >= 0 ?
		    "its size_bytes" : "1 GiB");
		return -1;
	}
	mbedtls_sha256_update(&dl->hash, in, len);
	dl->got += len;
	/* Small writes to a local file: the page cache takes them without
	 * blocking the loop in practice (no fsync here). */
	if ((rc = os_file_write(dl->file, in, len)) != 0) {
		fetch__attempt_end(dl, FETCH_END_FATAL, false, "cannot write "
		    "%s: %s", dl->tmp, strerror(-rc));
		return -1;
	}
	return 0;
}

static int
fetch__on_completed(struct fetch_dl *dl)
{
	unsigned char digest[32];
	char hex[FETCH_SHA_HEX + 1];
	struct os_file *file = dl->file;
	int rc;

	if (!file)
		return -1;
	mbedtls_sha256_finish(&dl->hash, digest);
	fetch__hex(digest, hex);
	if (strcmp(hex, dl->sha) != 0) {
		log_debug(FETCH_PART, "%s: got sha256 %s, expected %s", dl->url,
		    hex, dl->sha);
		fetch__attempt_end(dl, FETCH_END_FATAL, false, "The downloaded "
		    "file %s has a SHA that differs from the provided SHA",
		    dl->name);
		return -1;
	}
	/* Owner only, and executable: a task file may be run in place. */
	if ((rc = os_file_chmod(file, OS_MODE_EXEC_PRIVATE)) != 0)
		(void)os_file_close(file);
	else
		rc = os_file_close(file);
	dl->file = NULL;
	mbedtls_sha256_free(&dl->hash);
	if (rc != 0) {
		fetch__attempt_end(dl, FETCH_END_FATAL, false, "cannot finish "
		    "%s: %s", dl->tmp, strerror(-rc));
		return -1;
	}
	if ((rc = os_rename(dl->tmp, dl->dest)) != 0) {
		fetch__attempt_end(dl, FETCH_END_FATAL, false, "cannot move %s "
		    "into place: %s", dl->dest, strerror(-rc));
		return -1;
	}
	free(dl->tmp);
	dl->tmp = NULL;
	if ((rc = os_touch(dl->dir)) != 0)
		log_warnx(FETCH_PART, "cannot refresh the time of %s: %s",
		    dl->dir, strerror(-rc));
	log_info(FETCH_PART, "downloaded %s (%llu bytes, sha256 ok)", dl->url,
	    (unsigned long long)dl->got);
	fetch__attempt_end(dl, FETCH_END_OK, false, NULL);
	/* Don't keep the connection: the next file may want another master. */
	return -1;
}

static int
fetch__callback(struct lws *wsi, enum lws_callback_reasons reason,
    void *user, void *in, size_t len)
{
	struct fetch_dl *dl = lws_get_opaque_user_data(wsi);
	unsigned char **p, *end;
	char buf[LWS_PRE + RX_CHUNK], *px, why[200];
	int n;

	if (!dl || dl->state != FETCH_DL_HTTP || dl->wsi != wsi)
		return lws_callback_http_dummy(wsi, reason, user, in, len);

	switch (reason) {
	case LWS_CALLBACK_WSI_CREATE:
		/* lws makes this call once the TCP connection is up. */
		dl->tcp_up = true;
		break;

	case LWS_CALLBACK_WSI_DESTROY:
		/* Closed without an error or close callback reaching us: the
		 * attempt ends, and no later kill may touch the freed wsi. */
		dl->wsi = NULL;
		lws_set_opaque_user_data(wsi, NULL);
		fetch__attempt_end(dl, FETCH_END_TRANSIENT, false, "%s: the "
		    "connection was closed", dl->url);
		break;

	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		if (fetch__next_addr(dl))
			return 0;
		/* lws's reason, bounded and without its trailing newline */
		n = in ? (int)strnlen(in, 200) : 0;
		while (n > 0 && ((const char *)in)[n - 1] <= ' ')
			n--;
		fetch__attempt_end(dl, FETCH_END_TRANSIENT, false, "%s: %.*s",
		    dl->url, n ? n : 17, n ? (const char *)in :
		    "connection failed");
		return 0;

	case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
		/* TCP and TLS are up: the connect limit is met. lws's mbedTLS
		 * glue has no CRL support, so the revocation check is ours,
		 * before the request leaves. */
		uv_timer_stop(&dl->connect_to);
		if (tls_peer_check(wsi, dl->target.host, dl->f->crl, why,
		    sizeof(why)) != 0) {
			fetch__attempt_end(dl, FETCH_END_TRANSIENT, false, "%s: "
			    "%s: refused", dl->url, why);
			return -1;
		}
		if (log_enabled(LOG_LVL_DEBUG)) {
			tls_peer_session(wsi, why, sizeof(why));
			log_debug(FETCH_PART, "TLS to %s: %s", dl->url, why);
		}
		p = (unsigned char **)in;
		end = *p + len;
		/* puppetserver answers 400 to a request without Accept. */
		if (lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_ACCEPT,
		    (const unsigned char *)"application/octet-stream", 24, p,
		    end)) {
			fetch__attempt_end(dl, FETCH_END_TRANSIENT, false,
			    "%s: request headers too long", dl->url);
			return -1;
		}
		return 0;

	case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
		return fetch__on_established(dl, wsi);

	case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
		return fetch__on_data(dl, in, len);

	case LWS_CALLBACK_RECEIVE_CLIENT_HTTP:
		px = buf + LWS_PRE;
		n = RX_CHUNK;
		if (lws_http_client_read(wsi, &px, &n) < 0)
			return -1;
		/* the data callback may have ended the attempt */
		return dl->state == FETCH_DL_HTTP ? 0 : -1;

	case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
		return fetch__on_completed(dl);

	case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
		if (fetch__next_addr(dl))
			return 0;
		fetch__attempt_end(dl, FETCH_END_TRANSIENT, false, "%s: the "
		    "connection closed before the download completed", dl->url);
		return 0;

	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols fetch_protocols[] = {
	{ PROTOCOL_NAME, fetch__callback, 0, RX_CHUNK, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 },
};

/* Handles of the loop, for telling lws's own ones apart. */
struct fetch_walk {
	uv_handle_t **h;
	size_t n, cap;
};

static void
fetch__walk_cb(uv_handle_t *h, void *arg)
{
	struct fetch_walk *w = arg;
	uv_handle_t **p;

	if (w->n == w->cap) {
		w->cap = w->cap ? 2 * w->cap : 64;
		if (!(p = realloc(w->h, w->cap * sizeof(*p)))) {
			w->cap = w->n;
			return;
		}
		w->h = p;
	}
	w->h[w->n++] = h;
}

static bool
fetch__walk_has(const struct fetch_walk *w, const uv_handle_t *h)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		if (w->h[i] == h)
			return true;
	return false;
}

int
fetch__http_init(struct fetch *f, char *err, size_t errlen)
{
	const struct pxpd_config *cfg = f->cfg;
	struct fetch_walk before = { NULL, 0, 0 }, after = { NULL, 0, 0 };
	size_t i;
	uv_handle_type t;

	if (cfg->ssl_crl && *cfg->ssl_crl &&
	    !(f->crl = tls_crl_load(cfg->ssl_ca_cert, cfg->ssl_crl,
	    cfg->crl_expiry_grace, err, errlen)))
		return -1;
	if (cfg->master_proxy && *cfg->master_proxy &&
	    resolve_proxy_parse(cfg->master_proxy, &f->proxy) != 0) {
		snprintf(err, errlen, "cannot parse master-proxy %s",
		    cfg->master_proxy);
		tls_crl_free(f->crl);
		f->crl = NULL;
		return -1;
	}

	uv_walk(f->loop, fetch__walk_cb, &before);
	/* Our uv timers enforce the configured limits; lws's own ones are a
	 * backstop set a little later so that ours always speak first. */
	f->ctx = lwsctx_client_new(f->loop, cfg, &(struct lwsctx_opts){
	    .protocols = fetch_protocols, .proxy = cfg->master_proxy,
	    .connect_timeout_s = (cfg->task_download_connect_timeout > 0 ?
	    (unsigned)cfg->task_download_connect_timeout : CONNECT_DEFAULT_S) +
	    LWS_TIMEOUT_SLACK_S,
	    .timeout_s = (cfg->task_download_timeout > 0 &&
	    cfg->task_download_timeout < 86400 ?
	    (unsigned)cfg->task_download_timeout : 86400) + LWS_TIMEOUT_SLACK_S,
	    .serv_buf = 16 * 1024 }, err, errlen);
	if (!f->ctx) {
		tls_crl_free(f->crl);
		f->crl = NULL;
		free(before.h);
		return -1;
	}
	/* The handles lws embeds in its context (idle, timer) live until the
	 * context is freed; per-connection ones come and go and are not
	 * kept. */
	uv_walk(f->loop, fetch__walk_cb, &after);
	for (i = 0; i < after.n; i++) {
		t = uv_handle_get_type(after.h[i]);
		if ((t == UV_IDLE || t == UV_TIMER || t == UV_PREPARE ||
		    t == UV_CHECK || t == UV_SIGNAL) &&
		    !fetch__walk_has(&before, after.h[i]) &&
		    f->n_lws_static < FETCH_LWS_STATIC_MAX)
			f->lws_static[f->n_lws_static++] = after.h[i];
	}
	free(before.h);
	free(after.h);
	f->vh = lws_get_vhost_by_name(f->ctx, "default");
	uv_timer_init(f->loop, &f->reap);
	f->reap.data = f;
	f->http_open = true;
	return 0;
}

static void
fetch__reap_closed(uv_handle_t *h)
{
	struct fetch *f = h->data;

	f->http_open = false;
	fetch__maybe_free(f);
}

static void
fetch__reap_one(uv_handle_t *h, void *arg)
{
	struct fetch *f = arg;
	int i;

	for (i = 0; i < f->n_lws_static; i++)
		if (f->lws_static[i] == h)
			f->reap_busy = true;
}

/* lws 4.1 with a foreign loop frees its context only when
 * lws_context_destroy() is called again after its own handles closed
 * (which needs the loop to run): until they have left the loop, look
 * again every REAP_MS. Should they never go, leak rather than hang. */
static void
fetch__reap(uv_timer_t *t)
{
	struct fetch *f = t->data;

	f->reap_busy = false;
	uv_walk(f->loop, fetch__reap_one, f);
	if (f->reap_busy && ++f->reap_tries < REAP_TRIES)
		return;
	if (f->reap_busy)
		log_warnx(FETCH_PART, "libwebsockets did not close its handles "
		    "within %d ms; not freeing its context", REAP_MS * REAP_TRIES);
	else
		lws_context_destroy(f->ctx);
	f->ctx = NULL;
	uv_timer_stop(&f->reap);
	uv_close((uv_handle_t *)&f->reap, fetch__reap_closed);
}

void
fetch__http_free(struct fetch *f)
{
	if (!f->ctx)
		return;
	/* This only starts the teardown: lws closes its handles as the loop
	 * runs on; fetch__reap finishes it. */
	lws_context_destroy(f->ctx);
	f->vh = NULL;
	tls_crl_free(f->crl);
	f->crl = NULL;
	resolve_proxy_free(&f->proxy);
	uv_timer_start(&f->reap, fetch__reap, 0, REAP_MS);
}
