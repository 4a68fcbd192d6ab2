/* fetch.c: the task cache and the requests waiting on it (fetch.h): one
 * struct fetch_dl per file under way, its waiters, the check of a cached
 * copy, delivery of results, purge. The HTTPS side is fetch_http.c, the
 * checks of names and paths fetch_file.c.
 * Invariants: nothing is created outside task-cache-dir (names and hashes
 * are checked before any path is built); callbacks run from a uv timer,
 * never inside fetch_get nor inside an lws callback; a dl is freed only in
 * its last close_cb, and the struct fetch only once its last dl is. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fetch/fetch_int.h"
#include "base/log.h"
#include "base/util.h"
#include "os/os.h"

#define HASH_CHUNK (64 * 1024)

static void fetch__dl_close(struct fetch_dl *dl);
static void fetch__dl_step(uv_timer_t *t);
static void fetch__dl_release(struct fetch_dl *dl);

void
fetch__maybe_free(struct fetch *f)
{
	if (f->freeing && f->n_dls == 0 && !f->http_open && !f->purge_on)
		free(f);
}

/* ---- results ---------------------------------------------------------- */

static void
fetch__deliver(struct fetch_dl *dl)
{
	struct fetch *f = dl->f;
	struct fetch_waiter *w;

	/* One at a time: a callback may cancel other waiters of this dl, or
	 * start a new fetch_get (which then makes a new dl: this one is
	 * DONE). */
	while ((w = dl->waiters) != NULL && !f->freeing) {
		dl->waiters = w->next;
		w->done(w->arg, dl->ok ? dl->dest : NULL,
		    dl->ok ? NULL : dl->err);
		free(w);
	}
	fetch__dl_close(dl);
}

void
fetch__dl_finish(struct fetch_dl *dl, bool ok, const char *fmt, ...)
{
	va_list ap;

	dl->ok = ok;
	dl->err[0] = '\0';
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(dl->err, sizeof(dl->err), fmt, ap);
		va_end(ap);
	}
	if (ok)
		log_debug(FETCH_PART, "%s is in the cache", dl->dest);
	else
		log_warnx(FETCH_PART, "cannot get %s: %s", dl->name, dl->err);
	dl->state = FETCH_DL_DONE;
	uv_timer_stop(&dl->connect_to);
	uv_timer_stop(&dl->total_to);
	fetch__dl_arm(dl, 0);
}

void
fetch__dl_arm(struct fetch_dl *dl, uint64_t ms)
{
	uv_timer_start(&dl->step, fetch__dl_step, ms, 0);
}

/* ---- the check of a cached copy (threadpool) --------------------------- */

static void
fetch__check_work(uv_work_t *req)
{
	struct fetch_dl *dl = req->data;
	mbedtls_sha256_context h;
	unsigned char *buf, digest[32];
	struct os_fileinfo info;
	struct os_file *file;
	size_t n;
	int rc;

	dl->check_rc = 0;
	if ((rc = os_file_open(dl->dest, OS_OPEN_READ | OS_OPEN_NOFOLLOW, 0,
	    &file)) != 0) {
		dl->check_rc = rc;
		return;
	}
	if (os_file_info(file, &info) != 0 || info.type != OS_FTYPE_REG ||
	    !(buf = malloc(HASH_CHUNK))) {
		dl->check_rc = -EINVAL;
		os_file_close(file);
		return;
	}
	mbedtls_sha256_init(&h);
	mbedtls_sha256_starts(&h, 0);
	while ((rc = os_file_read(file, buf, HASH_CHUNK, &n)) == 0 && n > 0)
		mbedtls_sha256_update(&h, buf, n);
	if (rc != 0)
		dl->check_rc = rc;
	mbedtls_sha256_finish(&h, digest);
	mbedtls_sha256_free(&h);
	fetch__hex(digest, dl->check_hex);
	free(buf);
	os_file_close(file);
}

static void
fetch__dir_touch(const char *dir)
{
	int rc;

	/* The sha256 dir's mtime is the purge clock. */
	if ((rc = os_touch(dir)) != 0 && rc != -ENOENT)
		log_warnx(FETCH_PART, "cannot refresh the time of %s: %s", dir,
		    strerror(-rc));
}

static void
fetch__check_done(uv_work_t *req, int status)
{
	struct fetch_dl *dl = req->data;
	struct fetch *f = dl->f;
	int rc;

	dl->work_busy = false;
	if (dl->state == FETCH_DL_CLOSING) {
		fetch__dl_release(dl);
		return;
	}
	if (status == 0 && dl->check_rc == 0 &&
	    !strcmp(dl->check_hex, dl->sha)) {
		log_debug(FETCH_PART, "cache hit: %s", dl->dest);
		fetch__dir_touch(dl->dir);
		fetch__dl_finish(dl, true, NULL);
		return;
	}
	if (status == 0 && dl->check_rc == 0) {
		log_warnx(FETCH_PART, "cached %s has sha256 %s instead of %s: "
		    "downloading it again", dl->dest, dl->check_hex, dl->sha);
		if ((rc = os_unlink(dl->dest)) != 0 && rc != -ENOENT) {
			fetch__dl_finish(dl, false, "cannot remove the corrupt "
			    "cached file %s: %s", dl->dest, strerror(-rc));
			return;
		}
	} else if (status == 0 && dl->check_rc != -ENOENT) {
		fetch__dl_finish(dl, false, "cannot read the cached file %s: %s",
		    dl->dest, strerror(-dl->check_rc));
		return;
	}
	if (f->cfg->n_master_uris <= 0) {
		fetch__dl_finish(dl, false, "Cannot download file. No "
		    "master-uris were provided");
		return;
	}
	fetch__download_start(dl);
}

/* ---- dl lifecycle ------------------------------------------------------ */

static void
fetch__dl_step(uv_timer_t *t)
{
	struct fetch_dl *dl = t->data;

	switch (dl->state) {
	case FETCH_DL_CHECK:
		dl->work.data = dl;
		if (uv_queue_work(dl->f->loop, &dl->work, fetch__check_work,
		    fetch__check_done) != 0) {
			fetch__dl_finish(dl, false, "cannot check the cache");
			return;
		}
		dl->work_busy = true;
		break;
	case FETCH_DL_WAIT:
		fetch__attempt_start(dl);
		break;
	case FETCH_DL_DONE:
		fetch__deliver(dl);
		break;
	default:
		break;
	}
}

/* Frees a closing dl once its handles are closed and no cache check
 * runs in the threadpool. */
static void
fetch__dl_release(struct fetch_dl *dl)
{
	struct fetch *f = dl->f;
	struct fetch_waiter *w;

	if (dl->open_handles > 0 || dl->work_busy)
		return;
	while ((w = dl->waiters) != NULL) {
		dl->waiters = w->next;
		free(w);
	}
	free(dl->name);
	free(dl->dir);
	free(dl->dest);
	free(dl->req);
	free(dl->url);
	net_target_free(&dl->target);
	free(dl->path);
	free(dl->tmp);
	free(dl);
	f->n_dls--;
	fetch__maybe_free(f);
}

static void
fetch__dl_handle_closed(uv_handle_t *h)
{
	struct fetch_dl *dl = h->data;

	dl->open_handles--;
	fetch__dl_release(dl);
}

/* Unlinks the dl and closes its handles; it is freed once they (and a
 * running cache check) are done. */
static void
fetch__dl_close(struct fetch_dl *dl)
{
	struct fetch_dl **pp;

	if (dl->state == FETCH_DL_CLOSING)
		return;
	for (pp = &dl->f->dls; *pp; pp = &(*pp)->next)
		if (*pp == dl) {
			*pp = dl->next;
			break;
		}
	fetch__attempt_abort(dl);
	dl->state = FETCH_DL_CLOSING;
	uv_close((uv_handle_t *)&dl->step, fetch__dl_handle_closed);
	uv_close((uv_handle_t *)&dl->connect_to, fetch__dl_handle_closed);
	uv_close((uv_handle_t *)&dl->total_to, fetch__dl_handle_closed);
	if (dl->work_busy)
		uv_cancel((uv_req_t *)&dl->work);
}

static struct fetch_dl *
fetch__dl_new(struct fetch *f, const struct fetch_file *file)
{
	struct fetch_dl *dl = calloc(1, sizeof(*dl));
	const char *base = strrchr(file->filename, '/');
	int i;

	if (!dl)
		return NULL;
	dl->f = f;
	dl->size_bytes = file->size_bytes;
	for (i = 0; i < FETCH_SHA_HEX; i++)
		dl->sha[i] = (char)((file->sha256[i] >= 'A' &&
		    file->sha256[i] <= 'F') ? file->sha256[i] - 'A' + 'a' :
		    file->sha256[i]);
	dl->name = util_strdup(base ? base + 1 : file->filename);
	dl->dir = util_asprintf("%s/%s", f->cfg->task_cache_dir, dl->sha);
	dl->dest = dl->dir ? util_asprintf("%s/%s", dl->dir, dl->name) : NULL;
	dl->req = fetch__req_build(file->uri_path, file->uri_params);
	if (!dl->name || !dl->dir || !dl->dest || !dl->req) {
		free(dl->name);
		free(dl->dir);
		free(dl->dest);
		free(dl->req);
		free(dl);
		return NULL;
	}
	uv_timer_init(f->loop, &dl->step);
	uv_timer_init(f->loop, &dl->connect_to);
	uv_timer_init(f->loop, &dl->total_to);
	dl->step.data = dl->connect_to.data = dl->total_to.data = dl;
	dl->open_handles = 3;
	dl->state = FETCH_DL_CHECK;
	dl->next = f->dls;
	f->dls = dl;
	f->n_dls++;
	return dl;
}

/* ---- public ------------------------------------------------------------ */

struct fetch *
fetch_new(uv_loop_t *loop, const struct pxpd_config *cfg, char *err,
    size_t errlen)
{
	struct fetch *f = calloc(1, sizeof(*f));

	if (!f) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	f->loop = loop;
	f->cfg = cfg;
	f->rounds = FETCH_ROUNDS;
	f->backoff_ms = FETCH_BACKOFF_MS;
	if (fetch__http_init(f, err, errlen) != 0) {
		free(f);
		return NULL;
	}
	return f;
}

void
fetch_retry_set(struct fetch *f, int rounds, uint64_t first_wait_ms)
{
	f->rounds = rounds > 0 ? rounds : 1;
	f->backoff_ms = first_wait_ms;
}

int
fetch_get(struct fetch *f, const struct fetch_file *file,
    fetch_done_cb done, void *arg, char *err, size_t errlen)
{
	struct fetch_waiter *w, **pp;
	struct fetch_dl *dl;
	const char *base;
	char why[FETCH_ERR_MAX];

	if (!f || f->freeing || !file || !done) {
		snprintf(err, errlen, "the download service is not running");
		return -1;
	}
	if (!file->filename || fetch__name_check(file->filename, why,
	    sizeof(why)) != 0 || !fetch__sha_valid(file->sha256) ||
	    fetch__uri_path_check(file->uri_path, why, sizeof(why)) != 0 ||
	    fetch__params_check(file->uri_params, why, sizeof(why)) != 0 ||
	    file->size_bytes > FETCH_SIZE_CAP) {
		snprintf(err, errlen, "invalid file %s",
		    file->filename ? file->filename : "(no name)");
		return -1;
	}
	if (!(w = calloc(1, sizeof(*w)))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	w->done = done;
	w->arg = arg;
	base = strrchr(file->filename, '/');
	base = base ? base + 1 : file->filename;
	for (dl = f->dls; dl; dl = dl->next)
		if (dl->state != FETCH_DL_DONE &&
		    !strncasecmp(dl->sha, file->sha256, FETCH_SHA_HEX) &&
		    !strcmp(dl->name, base))
			break;
	if (dl) {
		log_debug(FETCH_PART, "%s: joining the download under way",
		    base);
	} else if ((dl = fetch__dl_new(f, file)) != NULL) {
		/* The cache check starts from the loop: done never runs
		 * inside fetch_get. */
		fetch__dl_arm(dl, 0);
	} else {
		free(w);
		snprintf(err, errlen, "cannot request %s: out of memory or "
		    "request too long", file->filename);
		return -1;
	}
	/* callbacks come in the order of the requests */
	for (pp = &dl->waiters; *pp; pp = &(*pp)->next)
		;
	*pp = w;
	return 0;
}

void
fetch_cancel(struct fetch *f, void *arg)
{
	struct fetch_dl *dl, *next;
	struct fetch_waiter **pp, *w;

	if (!f)
		return;
	for (dl = f->dls; dl; dl = next) {
		next = dl->next;
		for (pp = &dl->waiters; (w = *pp) != NULL; )
			if (w->arg == arg) {
				*pp = w->next;
				free(w);
			} else
				pp = &w->next;
		/* Nobody wants it any more: stop the transfer (a DONE dl
		 * closes itself after delivering to nobody). */
		if (!dl->waiters && dl->state != FETCH_DL_DONE) {
			log_info(FETCH_PART, "download of %s cancelled",
			    dl->name);
			fetch__dl_close(dl);
		}
	}
}

int
fetch_cache_purge(struct fetch *f, long ttl_s)
{
	const char *root = f ? f->cfg->task_cache_dir : NULL;
	struct os_fileinfo info;
	struct fetch_dl *dl;
	time_t cutoff = time(NULL) - ttl_s;
	char **names, *path;
	size_t n_names, i;
	int n = 0, rc;

	if (!root || ttl_s <= 0)
		return 0;
	if ((rc = os_dir_list(root, OS_FTYPE_DIR, &names, &n_names)) != 0) {
		if (rc != -ENOENT)
			log_warnx(FETCH_PART, "cannot read %s: %s", root,
			    strerror(-rc));
		return 0;
	}
	for (i = 0; i < n_names; i++) {
		for (dl = f->dls; dl; dl = dl->next)
			if (!strcmp(dl->sha, names[i]))
				break;
		if (dl)
			continue;   /* in use right now */
		if (!(path = util_asprintf("%s/%s", root, names[i])))
			break;
		if (os_path_info(path, false, &info) == 0 &&
		    info.type == OS_FTYPE_DIR && info.mtime < cutoff) {
			/* A symlink inside is removed, not followed. */
			if ((rc = os_rmtree_at(path)) == 0) {
				log_info(FETCH_PART, "purged %s", path);
				n++;
			} else
				log_warnx(FETCH_PART, "cannot purge %s: %s",
				    path, strerror(-rc));
		}
		free(path);
	}
	os_names_free(names, n_names);
	return n;
}

void
fetch_free(struct fetch *f)
{
	struct fetch_dl *dl;

	if (!f)
		return;
	f->freeing = true;
	fetch__purge_stop(f);
	/* The wsis go with the lws context; no callback reaches a dl after
	 * this. */
	for (dl = f->dls; dl; dl = dl->next)
		fetch__attempt_abort(dl);
	fetch__http_free(f);
	while ((dl = f->dls) != NULL)
		fetch__dl_close(dl);
	fetch__maybe_free(f);
}

bool
fetch_busy(const struct fetch *f)
{
	return f && (f->dls || f->n_dls > 0);
}
