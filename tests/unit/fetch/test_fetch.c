/* test_fetch.c: task file downloads (fetch.h) against a real HTTPS file
 * server: nginx on loopback with mutual TLS and the test CA
 * (nginx_helper.c), on a real uv loop. Covers the download into the cache
 * (content, modes, place, the Accept header and query sent), cache hits
 * without a request, a corrupt cached copy, sha256 and size mismatches,
 * 4xx failing at once, failover over closed ports and 5xx, retry rounds,
 * timeouts, revoked and wrongly named servers, one download for concurrent
 * requests, cancel, purge by ttl, hostile names refused with nothing made
 * outside the cache, and fetch_free with a transfer on the wire. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#include <libwebsockets.h>
#include <mbedtls/sha256.h>
#include <uv.h>

#include "config/config.h"
#include "fetch/fetch.h"
#include "base/log.h"
#include "nginx_helper.h"

static struct nginx_srv srv;
static int case_no;

struct result {
	int calls;
	char path[1024];
	char error[1024];
	bool got_path;
};

struct fixture {
	char dir[NGINX_PATH_MAX + 32];
	char cache[NGINX_PATH_MAX + 64];
	char ca[NGINX_PATH_MAX + 32], cert[NGINX_PATH_MAX + 32],
	    key[NGINX_PATH_MAX + 32], crl[NGINX_PATH_MAX + 32];
	char uris[4][64];
	struct pxpd_config cfg;
	uv_loop_t loop;
	struct fetch *f;
};

/* ---- helpers ---------------------------------------------------------- */

static void
sha_hex(const void *data, size_t len, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char d[32];
	int i;

	mbedtls_sha256(data, len, d, 0);
	for (i = 0; i < 32; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[64] = '\0';
}

static void
done_cb(void *arg, const char *path, const char *error)
{
	struct result *r = arg;

	r->calls++;
	r->got_path = path != NULL;
	snprintf(r->path, sizeof(r->path), "%s", path ? path : "");
	snprintf(r->error, sizeof(r->error), "%s", error ? error : "");
}

static void
uris_set(struct fixture *fx, int n, ...)
{
	va_list ap;
	int i;

	va_start(ap, n);
	for (i = 0; i < n; i++) {
		snprintf(fx->uris[i], sizeof(fx->uris[i]), "https://127.0.0.1:%d",
		    va_arg(ap, int));
		fx->cfg.master_uris[i] = fx->uris[i];
	}
	va_end(ap);
	fx->cfg.n_master_uris = n;
}

static void
fetch_make(struct fixture *fx)
{
	char err[256] = "";

	fx->f = fetch_new(&fx->loop, &fx->cfg, err, sizeof(err));
	if (!fx->f)
		fail_msg("fetch_new: %s", err);
	/* fast failures: one round unless a test asks for more */
	fetch_retry_set(fx->f, 1, 10);
}

static void
tick_cb(uv_timer_t *t)
{
	(void)t;
}

static void
tick_closed(uv_handle_t *h)
{
	free(h);
}

/* Runs the loop for up to ms, or until every result has its callback
 * (r non-NULL). A ticking timer makes sure the loop never blocks past
 * the deadline. */
static bool
run_for(struct fixture *fx, struct result *r, int n, uint64_t ms)
{
	uint64_t end = uv_hrtime() + ms * 1000 * 1000;
	uv_timer_t *tick = malloc(sizeof(*tick));
	bool all = false;
	int i, pending;

	assert_non_null(tick);
	uv_timer_init(&fx->loop, tick);
	uv_timer_start(tick, tick_cb, 100, 100);
	while (uv_hrtime() < end) {
		for (pending = 0, i = 0; r && i < n; i++)
			pending += r[i].calls == 0;
		if (r && !pending) {
			all = true;
			break;
		}
		uv_run(&fx->loop, UV_RUN_ONCE);
	}
	uv_close((uv_handle_t *)tick, tick_closed);
	return all;
}

static void
run_until(struct fixture *fx, struct result *r, int n)
{
	if (!run_for(fx, r, n, 20000))
		fail_msg("no callback within 20 s");
}

/* Runs whatever is due for ms, without blocking in the loop. */
static void
run_ms(struct fixture *fx, uint64_t ms)
{
	uint64_t end = uv_hrtime() + ms * 1000 * 1000;
	struct timespec ts = { 0, 5 * 1000 * 1000 };

	while (uv_hrtime() < end) {
		uv_run(&fx->loop, UV_RUN_NOWAIT);
		nanosleep(&ts, NULL);
	}
}

/* nginx writes its access log line as the response ends, which may be
 * just after our client saw it: wait a little for the expected count. */
static int
log_count(const char *needle, int expected)
{
	int i, n = 0;
	struct timespec ts = { 0, 20 * 1000 * 1000 };

	for (i = 0; i < 50; i++) {
		if ((n = nginx_log_count(&srv, needle)) == expected)
			break;
		nanosleep(&ts, NULL);
	}
	return n;
}

static cJSON *
file_obj(const char *filename, const char *sha, const char *path,
    const char *env)
{
	cJSON *o = cJSON_CreateObject(), *uri = cJSON_CreateObject();
	cJSON *params = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "filename", filename);
	cJSON_AddStringToObject(o, "sha256", sha);
	cJSON_AddStringToObject(uri, "path", path);
	if (env)
		cJSON_AddStringToObject(params, "environment", env);
	cJSON_AddItemToObject(uri, "params", params);
	cJSON_AddItemToObject(o, "uri", uri);
	return o;
}

/* Serves content at /puppet/v3/file_content/<rel> and fills *ff (which
 * borrows from *obj; free it with cJSON_Delete). */
static void
file_serve(const char *rel, const char *name, const void *data, size_t len,
    char sha[65], cJSON **obj, struct fetch_file *ff)
{
	char path[256], err[256];

	snprintf(path, sizeof(path), "puppet/v3/file_content/%s", rel);
	assert_int_equal(nginx_file_put(&srv, path, data, len), 0);
	sha_hex(data, len, sha);
	snprintf(path, sizeof(path), "/puppet/v3/file_content/%s", rel);
	*obj = file_obj(name, sha, path, "production");
	assert_int_equal(fetch_file_parse(*obj, ff, err, sizeof(err)), 0);
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long n;

	if (!fp)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	buf[n] = '\0';
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

/* Entries of a directory other than . and .. */
static int
dir_count(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void
age_set(const char *path, long seconds_ago)
{
	struct timeval tv[2];

	gettimeofday(&tv[0], NULL);
	tv[0].tv_sec -= seconds_ago;
	tv[1] = tv[0];
	assert_int_equal(utimes(path, tv), 0);
}

/* ---- fixtures ------------------------------------------------------------ */

static int
group_setup(void **state)
{
	(void)state;
	lws_set_log_level(LLL_ERR, NULL);
	log_open(NULL, getenv("PXPD_TEST_DEBUG") ? LOG_LVL_DEBUG :
	    LOG_LVL_ERROR, NULL);
	return nginx_start(&srv);
}

static int
group_teardown(void **state)
{
	(void)state;
	nginx_stop(&srv);
	log_close();
	return 0;
}

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	snprintf(fx->dir, sizeof(fx->dir), "%s/case%d", srv.dir, ++case_no);
	assert_int_equal(mkdir(fx->dir, 0700), 0);
	snprintf(fx->cache, sizeof(fx->cache), "%s/cache", fx->dir);
	assert_int_equal(mkdir(fx->cache, 0750), 0);
	snprintf(fx->ca, sizeof(fx->ca), "%s/ca.pem", srv.pki);
	snprintf(fx->cert, sizeof(fx->cert), "%s/agent01.pem", srv.pki);
	snprintf(fx->key, sizeof(fx->key), "%s/agent01_key.pem", srv.pki);
	snprintf(fx->crl, sizeof(fx->crl), "%s/crl_srv.pem", srv.pki);
	fx->cfg.ssl_ca_cert = fx->ca;
	fx->cfg.ssl_cert = fx->cert;
	fx->cfg.ssl_key = fx->key;
	fx->cfg.ssl_crl = fx->crl;
	fx->cfg.master_proxy = "";
	fx->cfg.task_cache_dir = fx->cache;
	fx->cfg.task_download_connect_timeout = 10;
	fx->cfg.task_download_timeout = 30;
	uris_set(fx, 1, srv.port_ok);
	assert_int_equal(uv_loop_init(&fx->loop), 0);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	uint64_t end;
	struct timespec ts = { 0, 1000 * 1000 };

	fetch_free(fx->f);
	/* lws and our handles close as the loop runs on; something left
	 * open fails the test instead of hanging it. */
	end = uv_hrtime() + 10ULL * 1000 * 1000 * 1000;
	while (uv_loop_alive(&fx->loop) && uv_hrtime() < end) {
		uv_run(&fx->loop, UV_RUN_NOWAIT);
		nanosleep(&ts, NULL);
	}
	assert_int_equal(uv_loop_close(&fx->loop), 0);
	free(fx);
	return 0;
}

/* ---- tests --------------------------------------------------------------- */

static void
fetch_download_ok(void **state)
{
	struct fixture *fx = *state;
	static const char body[] = "#!/bin/sh\necho hello from init.sh\n";
	struct result r = { 0 };
	struct fetch_file ff;
	struct stat st;
	char sha[65], want[1200], err[256], *data;
	cJSON *obj;
	size_t len;

	file_serve("tasks/mymod/init.sh", "init.sh", body, strlen(body), sha,
	    &obj, &ff);
	fetch_make(fx);
	assert_int_equal(fetch_get(fx->f, &ff, done_cb, &r, err, sizeof(err)),
	    0);
	/* never from inside fetch_get */
	assert_int_equal(r.calls, 0);
	run_until(fx, &r, 1);
	assert_int_equal(r.calls, 1);
	assert_string_equal(r.error, "");
	snprintf(want, sizeof(want), "%s/%s/init.sh", fx->cache, sha);
	assert_string_equal(r.path, want);
	assert_non_null(data = slurp(r.path, &len));
	assert_int_equal(len, strlen(body));
	assert_memory_equal(data, body, len);
	free(data);
	assert_int_equal(lstat(r.path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0700);
	snprintf(want, sizeof(want), "%s/%s", fx->cache, sha);
	assert_int_equal(lstat(want, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	/* only the file: no temp file left behind */
	assert_int_equal(dir_count(want), 1);
	/* what went on the wire: the query and the Accept header */
	snprintf(want, sizeof(want), "%d 200 \"GET /puppet/v3/file_content/"
	    "tasks/mymod/init.sh?environment=production HTTP/1.1\" "
	    "accept=\"application/octet-stream\"", srv.port_ok);
	assert_int_equal(log_count(want, 1), 1);
	cJSON_Delete(obj);
}

/* Params are escaped; an upper-case sha256 lands in the lower-case dir; a
 * helper file's sub-dirs don't appear in the cache. */
static void
fetch_download_names(void **state)
{
	struct fixture *fx = *state;
	static const char body[] = "common helper\n";
	struct result r = { 0 };
	struct fetch_file ff;
	char sha[65], upper[65], want[1200], err[256];
	cJSON *obj, *params;
	int i;

	file_serve("modules/mymod/common.sh", "mymod/files/common.sh", body,
	    strlen(body), sha, &obj, &ff);
	for (i = 0; i < 64; i++)
		upper[i] = (char)(sha[i] >= 'a' ? sha[i] - 'a' + 'A' : sha[i]);
	upper[64] = '\0';
	cJSON_ReplaceItemInObject(obj, "sha256", cJSON_CreateString(upper));
	params = cJSON_GetObjectItem(cJSON_GetObjectItem(obj, "uri"), "params");
	cJSON_AddStringToObject(params, "code_id", "a b&c=d/é");
	assert_int_equal(fetch_file_parse(obj, &ff, err, sizeof(err)), 0);
	fetch_make(fx);
	assert_int_equal(fetch_get(fx->f, &ff, done_cb, &r, err, sizeof(err)),
	    0);
	run_until(fx, &r, 1);
	assert_string_equal(r.error, "");
	snprintf(want, sizeof(want), "%s/%s/common.sh", fx->cache, sha);
	assert_string_equal(r.path, want);
	assert_int_equal(log_count("\"GET /puppet/v3/file_content/"
	    "modules/mymod/common.sh?environment=production&code_id=a%20b%26c"
	    "%3Dd%2F%C3%A9 HTTP/1.1\"", 1), 1);
	cJSON_Delete(obj);
}

static void
fetch_cache_hit(void **state)
{
	struct fixture *fx = *state;
	static const char body[] = "cached body\n";
	struct result r1 = { 0 }, r2 = { 0 }, r3 = { 0 };
	struct fetch_file ff;
	struct stat st;
	char sha[65], dir[1200], err[256], *data;
	cJSON *obj;
	size_t len;
	FILE *fp;

	file_serve("tasks/mymod/hit.sh", "hit.sh", body, strlen(body), sha,
	    &obj, &ff);
	fetch_make(fx);
	assert_int_equal(fetch_get(fx->f, &ff, done_cb, &r1, err, sizeof(err)),
	    0);
	run_until(fx, &r1, 1);
	assert_true(r1.got_path);
	assert_int_equal(log_count("/tasks/mymod/hit.sh?", 1), 1);

	/* second use: no request, and the purge clock is reset */
	snprintf(dir, sizeof(dir), "%s/%s", fx->cache, sha);
	age_set(dir, 3600);
	assert_int_equal(fetch_get(fx->f, &ff, done_cb, &r2, err, sizeof(err)),
	    0);
	assert_int_equal(r2.calls, 0);
	run_until(fx, &r2, 1);
	assert_string_equal(r2.path, r1.path);
	run_ms(fx, 100);
	assert_int_equal(log_count("/tasks/mymod/hit.sh?", 1), 1);
	assert_int_equal(stat(dir, &st), 0);
	assert_true(st.st_mtime > time(NULL) - 60);

	/* a corrupt cached copy is downloaded again */
	assert_non_null(fp = fopen(r1.path, "w"));
	fputs("tampered\n", fp);
	fclose(fp);
	assert_int_equal(fetch_get(fx->f, &ff, done_cb, &r3, err, sizeof(err)),
	    0);
	run_until(fx, &r3, 1);
	assert_true(r3.got_path);
	assert_int_equal(log_count("/tasks/mymod/hit.sh?", 2), 2);
	assert_non_null(data = slurp(r3.path, &len));
	assert_memory_equal(data, body, strlen(body));
	free(data);
	cJSON_Delete(obj);
}

/* With no master-uris a cached file still works, a missing one fails. */
static void
fetch_no_master_uris(void **state)
{
	struct fixture *fx = *state;
	static const char body[] = "only in the cache\n";
	struct result r1 = { 0 }, r2 = { 0 };
	struct fetch_file ff;
	char sha[65], path[1200], err[256];
	cJSON *obj;
	FILE *fp;

	fx->cfg.n_master_uris = 0;
	sha_hex(body, strlen(body), sha);
	obj = file_obj("x.sh", sha, "/puppet/v3/file_content/tasks/m/x.sh",
	    "production");
	assert_int_equal(fetch_file_parse(obj, &ff, err, sizeof(err)), 0);
	fetch_make(fx);
	assert_int_equal(fetch_get(fx->f, &ff, done_cb, &r1, err, sizeof(err)),
	    0);
	run_until(fx, &r1, 1);
	assert_null(r1.got_path ? "path" : NULL);
	assert_string_equal(r1.error,
	    "Cannot download file. No master-uris were provided");

	snprintf(path, sizeof(path), "%s/%s", fx->cache, sha);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/%s/x.sh", fx->cache, sha);
	assert_non_null(fp = fopen(path, "w"));
	fputs(body, fp);
	fclose(fp);
	assert_int_equal(fetch_get(fx->f, &ff, done_cb, &r2, err, sizeof(err)),
	    0);
	run_until(fx, &r2, 1);
	assert_string_equal(r2.path, path);
	cJSON_Delete(obj);
}

static void
fetch_sha_mismatch(void **state)
{
	struct fixture *fx = *state;
	static const char body[] = "the real content\n";
	struct result r = { 0 };
	struct fetch_file ff;
	char sha[65], err[256];
	cJSON *obj;

	file_serve("tasks/mymod/bad.sh", "bad.sh", body, strlen(body), sha,
	    &obj, &ff);
	/* a valid hash of something else */
	sha_hex("other", 5, sha);
	cJSON_ReplaceItemInObject(obj, "sha256", cJSON_CreateString(sha));
	assert_int_equal(fetch_file_parse(obj, &ff, err, sizeof(err)), 0);
	uris_set(fx, 2, srv.port_ok, srv.port_ok);
	fetch_make(fx);
	fetch_retry_set(fx->f, 3, 10);
	assert_int_equal(fetch_get(fx->f, &ff, done_cb, &r, err, sizeof(err)),
	    0);
	run_until(fx, &r, 1);
	assert_false(r.got_path);
	assert_string_equal(r.error, "The downloaded file bad.sh has a SHA "
	    "that differs from the provided SHA");
	/* no retry, nothing kept */
	run_ms(fx, 100);
	assert_int_equal(log_count("/tasks/mymod/bad.sh?", 1), 1);
	assert_int_equal(dir_count(fx->cache), 0);
	cJSON_Delete(obj);
}

static void
fetch_size_exceeded(void **state)
{
	struct fixture *fx = *state;
	char body[5000];
	struct result r = { 0 };
	struct fetch_file ff;
	char sha[65], err[256];
	cJSON *obj;

	memset(body, 'z', sizeof(body));
	file_serve("tasks/mymod/big.sh", "big.sh", body, sizeof(body), sha,
	    &obj, &ff);
	cJSON_AddNumberToObject(obj, "size_bytes", 100);
	assert_int_equal(fetch_file_parse(obj, &ff, err, sizeof(err)), 0);
	assert_int_equal(ff.size_bytes, 100);
	fetch_make(fx);
	assert_int_equal(fetch_get(fx->f, &ff, done_cb, &r, err, sizeof(err)),
	    0);
	run_until(fx, &r, 1);
	assert_false(r.got_path);
	assert_non_null(strstr(r.error, "big.sh is larger than its size_bytes"));
	assert_int_equal(dir_count(fx->cache), 0);
	cJSON_Delete(obj);
}

/* 404 and 400 fail at once, with the URL and the status, no body. */
static void
fetch_http_4xx(void **state)
{
	struct fixture *fx = *state;
	struct result r1 = { 0 }, r2 = { 0 };
	struct fetch_file ff;
	char want[512], err[256];
	cJSON *obj, *obj2;

	obj = file_obj("nope.sh", "0123456789abcdef0123456789abcdef0123456789"
	    "abcdef0123456789abcdef", "/puppet/v3/file_content/tasks/mymod/"
	    "nope.sh", "production");
	assert_int_equal(fetch_file_parse(obj, &ff, err, sizeof(err)), 0);
	uris_set(fx, 2, srv.port_ok, srv.port_ok);
	fetch_make(fx);
	fetch_retry_set(fx->f, 3, 10);
	assert_int_equal(fetch_get(fx->f, &ff, done_cb, &r1, err, sizeof(err)),
	    0);
	run_until(fx, &r1, 1);
	snprintf(want, sizeof(want), "https://127.0.0.1:%d/puppet/v3/"
	    "file_content/tasks/mymod/nope.sh?environment=production: HTTP 404 "
	    "Not Found", srv.port_ok);
	assert_string_equal(r1.error, want);
	run_ms(fx, 100);
	assert_int_equal(log_count("/tasks/mymod/nope.sh?", 1), 1);

	/* no environment: puppetserver (and our nginx) say 400 */
	obj2 = file_obj("noenv.sh", "0123456789abcdef0123456789abcdef012345678"
	    "9abcdef0123456789abcdef", "/puppet/v3/file_content/tasks/mymod/"
	    "noenv.sh", NULL);
	assert_int_equal(fetch_file_parse(obj2, &ff, err, sizeof(err)), 0);
	assert_int_equal(fetch_get(fx->f, &ff, done_cb, &r2, err, sizeof(err)),
	    0);
	run_until(fx, &r2, 1);
	snprintf(want, sizeof(want), "https://127.0.0.1:%d/puppet/v3/"
	    "file_content/tasks/mymod/noenv.sh: HTTP 400 Bad Request",
	    srv.port_ok);
	assert_string_equal(r2.error, want);
	assert_int_equal(dir_count(fx->cache), 0);
	cJSON_Delete(obj);
	cJSON_Delete(obj2);
}

/* A closed port, then a server answering 500: both move on to the next
 * master-uri, which serves the file. */
static void
fetch_failover(void **state)
{
	struct fixture *fx = *state;
	static const char body[] = "failover\n";
	struct result r = { 0 };
	struct fetch_file ff;
	char sha[65], want[256], err[256];
	cJSON *obj;

	file_serve("tasks/mymod/fo.sh", "fo.sh", body, strlen(body), sha, &obj,
	    &ff);
	uris_set(fx, 3, nginx_port_free(), srv.port_500, srv.port_ok);
	fetch_make(fx);
	assert_int_equal(fetch_get(fx->f, &ff, done_cb, &r, err, sizeof(err)),
	    0);
	run_until(fx, &r, 1);
	assert_string_equal(r.error, "");
	assert_true(r.got_path);
	snprintf(want, sizeof(want), "%d 500 \"GET /puppet/v3/file_content/"
	    "tasks/mymod/fo.sh?", srv.port_500);
	assert_int_equal(log_count(want, 1), 1);
	snprintf(want, sizeof(want), "%d 200 \"GET /puppet/v3/file_content/"
	    "tasks/mymod/fo.sh?", srv.port_ok);
	assert_int_equal(log_count(want, 1), 1);
	cJSON_Delete(obj);
}

/* Every master fails: rounds over the list, then the last error. */
static void
fetch_retry_rounds(void **state)
{
	struct fixture *fx = *state;
	struct result r = { 0 };
	struct fetch_file ff;
	char want[256], err[256];
	cJSON *obj;

	obj = file_obj("r.sh", "0123456789abcdef0123456789abcdef0123456789abcd"
	    "ef0123456789abcdef", "/puppet/v3/file_content/tasks/mymod/r.sh",
	    "production");
	assert_int_equal(fetch_file_parse(obj, &ff, err, sizeof(err)), 0);
	uris_set(fx, 2, nginx_port_free(), srv.port_500);
	fetch_make(fx);
	fetch_retry_set(fx->f, 3, 20);
	assert_int_equal(fetch_get(fx->f, &ff, done_cb, &r, err, sizeof(err)),
	    0);
	run_until(fx, &r, 1);
	snprintf(want, sizeof(want), "Failed to download file with: "
	    "https://127.0.0.1:%d/puppet/v3/file_content/tasks/mymod/r.sh?"
	    "environment=production: HTTP 500 Internal Server Error",
	    srv.port_500);
	assert_string_equal(r.error, want);
	assert_int_equal(log_count("/tasks/mymod/r.sh?", 3), 3);
	assert_int_equal(dir_count(fx->cache), 0);
	cJSON_Delete(obj);
}

/* A server whose certificate the CRL revokes is refused before any
 * request; without the CRL the same server is fine (so the name and chain
 * are right and the CRL is what refuses it). Same for a wrong name. */
static void
fetch_server_cert_checks(void **state)
{
	struct fixture *fx = *state;
	static const char body[] = "revoked?\n";
	struct result r1 = { 0 }, r2 = { 0 }, r3 = { 0 };
	struct fetch_file ff;
	struct fetch *plain;
	char sha[65], want[64], err[256];
	cJSON *obj;

	file_serve("tasks/mymod/rv.sh", "rv.sh", body, strlen(body), sha, &obj,
	    &ff);
	uris_set(fx, 1, srv.port_revoked);
	fetch_make(fx);
	assert_int_equal(fetch_get(fx->f, &ff, done_cb, &r1, err, sizeof(err)),
	    0);
	run_until(fx, &r1, 1);
	assert_false(r1.got_path);
	assert_non_null(strstr(r1.error, "revoked by ssl-crl"));
	snprintf(want, sizeof(want), "%d ", srv.port_revoked);
	assert_int_equal(log_count(want, 0), 0);

	uris_set(fx, 1, srv.port_wrongname);
	assert_int_equal(fetch_get(fx->f, &ff, done_cb, &r3, err, sizeof(err)),
	    0);
	run_until(fx, &r3, 1);
	assert_false(r3.got_path);
	snprintf(want, sizeof(want), "%d ", srv.port_wrongname);
	assert_int_equal(log_count(want, 0), 0);

	fx->cfg.ssl_crl = "";
	uris_set(fx, 1, srv.port_revoked);
	plain = fetch_new(&fx->loop, &fx->cfg, err, sizeof(err));
	assert_non_null(plain);
	assert_int_equal(fetch_get(plain, &ff, done_cb, &r2, err, sizeof(err)),
	    0);
	run_until(fx, &r2, 1);
	assert_string_equal(r2.error, "");
	snprintf(want, sizeof(want), "%d 200 ", srv.port_revoked);
	assert_int_equal(log_count(want, 1), 1);
	fetch_free(plain);
	cJSON_Delete(obj);
}

/* A peer that accepts TCP but never speaks TLS; then a transfer slower
 * than task-download-timeout. */
static void
fetch_timeouts(void **state)
{
	struct fixture *fx = *state;
	struct result r1 = { 0 }, r2 = { 0 };
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	struct fetch_file ff;
	char body[64 * 1024], sha[65], want[256], err[256];
	uint64_t t0;
	cJSON *obj, *obj2;
	int s;

	assert_true((s = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(s, 8), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&a, &alen), 0);

	obj = file_obj("t.sh", "0123456789abcdef0123456789abcdef0123456789abcd"
	    "ef0123456789abcdef", "/puppet/v3/file_content/tasks/mymod/t.sh",
	    "production");
	assert_int_equal(fetch_file_parse(obj, &ff, err, sizeof(err)), 0);
	uris_set(fx, 1, ntohs(a.sin_port));
	fx->cfg.task_download_connect_timeout = 1;
	fx->cfg.task_download_timeout = 1;
	fetch_make(fx);
	t0 = uv_hrtime();
	assert_int_equal(fetch_get(fx->f, &ff, done_cb, &r1, err, sizeof(err)),
	    0);
	run_until(fx, &r1, 1);
	assert_true(uv_hrtime() - t0 < 5ULL * 1000 * 1000 * 1000);
	snprintf(want, sizeof(want), "Failed to download file with: "
	    "https://127.0.0.1:%d/puppet/v3/file_content/tasks/mymod/t.sh?"
	    "environment=production: no connection within 1 s",
	    ntohs(a.sin_port));
	assert_string_equal(r1.error, want);
	close(s);

	memset(body, 's', sizeof(body));
	file_serve("slow/mymod/slow.sh", "slow.sh", body, sizeof(body), sha,
	    &obj2, &ff);
	uris_set(fx, 1, srv.port_ok);
	/* room for a slow handshake (valgrind); 64 KiB at 4 KiB/s needs 16 s */
	fx->cfg.task_download_connect_timeout = 10;
	fx->cfg.task_download_timeout = 2;
	assert_int_equal(fetch_get(fx->f, &ff, done_cb, &r2, err, sizeof(err)),
	    0);
	run_until(fx, &r2, 1);
	assert_non_null(strstr(r2.error, "the download did not finish within "
	    "2 s"));
	/* the temp file went with the attempt */
	assert_int_equal(dir_count(fx->cache), 0);
	cJSON_Delete(obj);
	cJSON_Delete(obj2);
}

/* Three requests for one file at once: one GET, three callbacks; a fourth
 * request cancelled before the end gets none. */
static void
fetch_concurrent(void **state)
{
	struct fixture *fx = *state;
	static char body[300 * 1024];
	struct result r[4];
	struct fetch_file ff;
	char sha[65], err[256];
	cJSON *obj;
	size_t i;

	memset(r, 0, sizeof(r));
	for (i = 0; i < sizeof(body); i++)
		body[i] = (char)(i * 7 + (i >> 9));
	file_serve("tasks/mymod/shared.bin", "shared.bin", body, sizeof(body),
	    sha, &obj, &ff);
	fetch_make(fx);
	for (i = 0; i < 4; i++)
		assert_int_equal(fetch_get(fx->f, &ff, done_cb, &r[i], err,
		    sizeof(err)), 0);
	fetch_cancel(fx->f, &r[3]);
	run_until(fx, r, 3);
	run_ms(fx, 50);
	for (i = 0; i < 3; i++) {
		assert_int_equal(r[i].calls, 1);
		assert_string_equal(r[i].error, "");
		assert_string_equal(r[i].path, r[0].path);
	}
	assert_int_equal(r[3].calls, 0);
	assert_int_equal(log_count("/tasks/mymod/shared.bin?", 1), 1);
	cJSON_Delete(obj);
}

/* Runs the loop until the transfer into dir has begun (its temp file). */
static void
temp_wait(struct fixture *fx, const char *dir)
{
	int i;

	for (i = 0; i < 100 && dir_count(dir) != 1; i++)
		run_ms(fx, 50);
	assert_int_equal(dir_count(dir), 1);
}

/* Cancelling the only waiter stops the transfer and cleans up. */
static void
fetch_cancel_and_free_in_flight(void **state)
{
	struct fixture *fx = *state;
	static char body[64 * 1024];
	struct result r1 = { 0 }, r2 = { 0 };
	struct fetch_file ff;
	char sha[65], dir[1200], err[256];
	cJSON *obj;

	memset(body, 'q', sizeof(body));
	body[0] = 'Q';
	file_serve("slow/mymod/inflight.sh", "inflight.sh", body, sizeof(body),
	    sha, &obj, &ff);
	fetch_make(fx);
	snprintf(dir, sizeof(dir), "%s/%s", fx->cache, sha);
	assert_int_equal(fetch_get(fx->f, &ff, done_cb, &r1, err, sizeof(err)),
	    0);
	temp_wait(fx, dir);
	fetch_cancel(fx->f, &r1);
	run_ms(fx, 100);
	assert_int_equal(r1.calls, 0);
	assert_true(dir_count(dir) <= 0);

	/* fetch_free with a transfer on the wire: no callback, no leak */
	assert_int_equal(fetch_get(fx->f, &ff, done_cb, &r2, err, sizeof(err)),
	    0);
	temp_wait(fx, dir);
	fetch_free(fx->f);
	fx->f = NULL;
	uv_run(&fx->loop, UV_RUN_DEFAULT);
	assert_int_equal(r2.calls, 0);
	assert_true(dir_count(dir) <= 0);
	cJSON_Delete(obj);
}

/* A callback may ask again (the second ask is a cache hit, never a
 * deadlock on the finished download) and may free the whole service. */
struct reentry {
	struct fixture *fx;
	struct fetch_file *ff;
	struct result first, second;
};

static void
reentry_second_cb(void *arg, const char *path, const char *error)
{
	struct reentry *re = arg;

	done_cb(&re->second, path, error);
	fetch_free(re->fx->f);
	re->fx->f = NULL;
}

static void
reentry_first_cb(void *arg, const char *path, const char *error)
{
	struct reentry *re = arg;
	char err[256];

	done_cb(&re->first, path, error);
	assert_int_equal(fetch_get(re->fx->f, re->ff, reentry_second_cb, re,
	    err, sizeof(err)), 0);
}

static void
fetch_reentrant_callbacks(void **state)
{
	struct fixture *fx = *state;
	static const char body[] = "again and again\n";
	struct reentry re;
	struct fetch_file ff;
	char sha[65], err[256];
	cJSON *obj;

	memset(&re, 0, sizeof(re));
	re.fx = fx;
	re.ff = &ff;
	file_serve("tasks/mymod/again.sh", "again.sh", body, strlen(body), sha,
	    &obj, &ff);
	fetch_make(fx);
	assert_int_equal(fetch_get(fx->f, &ff, reentry_first_cb, &re, err,
	    sizeof(err)), 0);
	run_until(fx, &re.second, 1);
	assert_true(re.first.got_path);
	assert_string_equal(re.second.path, re.first.path);
	assert_null(fx->f);
	assert_int_equal(log_count("/tasks/mymod/again.sh?", 1), 1);
	cJSON_Delete(obj);
}

/* Unusable TLS files are reported by fetch_new, nothing leaks. */
static void
fetch_new_refusals(void **state)
{
	struct fixture *fx = *state;
	char err[256] = "";

	fx->cfg.ssl_crl = "/nonexistent/crl.pem";
	assert_null(fetch_new(&fx->loop, &fx->cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "CRL"));
	fx->cfg.ssl_crl = "";
	fx->cfg.ssl_key = "/nonexistent/key.pem";
	err[0] = '\0';
	assert_null(fetch_new(&fx->loop, &fx->cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/key.pem"));
	/* (a key that does not match is config_tls.c's check at start-up:
	 * lws itself does not notice) */
}

static void
fetch_purge(void **state)
{
	struct fixture *fx = *state;
	struct result r = { 0 };
	struct fetch_file ff;
	char path[1200], busy[65], err[256];
	cJSON *obj;
	FILE *fp;

	fetch_make(fx);
	snprintf(path, sizeof(path), "%s/%064d", fx->cache, 1);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/%064d/old.sh", fx->cache, 1);
	assert_non_null(fp = fopen(path, "w"));
	fclose(fp);
	snprintf(path, sizeof(path), "%s/%064d", fx->cache, 1);
	age_set(path, 3 * 86400);
	snprintf(path, sizeof(path), "%s/%064d", fx->cache, 2);
	assert_int_equal(mkdir(path, 0700), 0);
	age_set(path, 3600);

	/* in use (a get under way) though old: kept */
	snprintf(busy, sizeof(busy), "%064d", 3);
	obj = file_obj("busy.sh", busy, "/puppet/v3/file_content/tasks/m/b.sh",
	    "production");
	assert_int_equal(fetch_file_parse(obj, &ff, err, sizeof(err)), 0);
	assert_int_equal(fetch_get(fx->f, &ff, done_cb, &r, err, sizeof(err)),
	    0);
	snprintf(path, sizeof(path), "%s/%s", fx->cache, busy);
	assert_int_equal(mkdir(path, 0700), 0);
	age_set(path, 3 * 86400);

	assert_int_equal(fetch_cache_purge(fx->f, 0), 0);
	assert_int_equal(fetch_cache_purge(fx->f, 86400), 1);
	assert_int_equal(dir_count(fx->cache), 2);
	snprintf(path, sizeof(path), "%s/%064d", fx->cache, 2);
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(fetch_cache_purge(fx->f, 60), 1);
	assert_int_equal(dir_count(fx->cache), 1);
	run_until(fx, &r, 1);
	cJSON_Delete(obj);
}

/* The purge timer: a first purge at once, then every min(60 min, ttl);
 * fetch_free closes it (teardown checks no handle is left). */
static void
fetch_purge_timer(void **state)
{
	struct fixture *fx = *state;
	char path[1200];

	fetch_make(fx);
	snprintf(path, sizeof(path), "%s/%064d", fx->cache, 1);
	assert_int_equal(mkdir(path, 0700), 0);
	age_set(path, 3 * 86400);
	snprintf(path, sizeof(path), "%s/%064d", fx->cache, 2);
	assert_int_equal(mkdir(path, 0700), 0);
	fetch_cache_purge_start(fx->f, 0);          /* off */
	fetch_cache_purge_start(NULL, 60);
	assert_int_equal(dir_count(fx->cache), 2);
	fetch_cache_purge_start(fx->f, 86400);
	assert_int_equal(dir_count(fx->cache), 1);
	fetch_cache_purge_start(fx->f, 60);         /* already on: no-op */
	assert_int_equal(dir_count(fx->cache), 1);
	uv_run(&fx->loop, UV_RUN_NOWAIT);
}

static void
fetch_parse_refusals(void **state)
{
	struct fixture *fx = *state;
	static const char *bad_names[] = {
		"../x.sh", "/etc/passwd", "a/../b", "a//b", "a/", "a\\b", "",
		".", "a/./b", "..", "C:x", "x\ny",
	};
	static const char *bad_shas[] = {
		"../../../../../../../../../../../../../../../../../../tmp/x",
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde",
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0",
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg",
		"",
	};
	static const char *bad_paths[] = {
		"/etc/passwd", "/puppet/v3/file_content/../../../etc/passwd",
		"/puppet/v3/file_content/tasks/a/..", "/puppet/v3/file_content//x",
		"/puppet/v3/file_content/a?b=c", "/puppet/v3/file_content/a#b",
		"/puppet/v3/file_content/a\\b", "/puppet/v3/file_content/a b",
		"/puppet/v3/file_content/a\r\nX-Evil: 1", "puppet/v3/file_content/a",
		"/puppet/v3/file_contentx/a",
	};
	static const char *good_sha = "0123456789abcdef0123456789abcdef0123456789"
	    "abcdef0123456789abcdef";
	static const char *good_path = "/puppet/v3/file_content/tasks/m/x.sh";
	char longname[300], err[256];
	struct fetch_file ff;
	struct result r = { 0 };
	cJSON *o;
	size_t i;

	/* the good one, and its fields */
	o = file_obj("mymod/files/x.sh", good_sha, good_path, "production");
	cJSON_AddNumberToObject(o, "size_bytes", 1316);
	assert_int_equal(fetch_file_parse(o, &ff, err, sizeof(err)), 0);
	assert_string_equal(ff.filename, "mymod/files/x.sh");
	assert_string_equal(ff.sha256, good_sha);
	assert_string_equal(ff.uri_path, good_path);
	assert_int_equal(ff.size_bytes, 1316);
	assert_non_null(ff.uri_params);
	cJSON_Delete(o);

	for (i = 0; i < sizeof(bad_names) / sizeof(*bad_names); i++) {
		o = file_obj(bad_names[i], good_sha, good_path, "production");
		assert_int_equal(fetch_file_parse(o, &ff, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "filename"));
		cJSON_Delete(o);
	}
	memset(longname, 'a', 256);
	longname[256] = '\0';
	o = file_obj(longname, good_sha, good_path, "production");
	assert_int_equal(fetch_file_parse(o, &ff, err, sizeof(err)), -1);
	cJSON_Delete(o);
	for (i = 0; i < sizeof(bad_shas) / sizeof(*bad_shas); i++) {
		o = file_obj("x.sh", bad_shas[i], good_path, "production");
		assert_int_equal(fetch_file_parse(o, &ff, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "sha256"));
		cJSON_Delete(o);
	}
	for (i = 0; i < sizeof(bad_paths) / sizeof(*bad_paths); i++) {
		o = file_obj("x.sh", good_sha, bad_paths[i], "production");
		assert_int_equal(fetch_file_parse(o, &ff, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "uri.path"));
		cJSON_Delete(o);
	}
	/* size_bytes: negative, fractional, over 1 GiB, a string */
	o = file_obj("x.sh", good_sha, good_path, "production");
	cJSON_AddNumberToObject(o, "size_bytes", -1);
	assert_int_equal(fetch_file_parse(o, &ff, err, sizeof(err)), -1);
	cJSON_ReplaceItemInObject(o, "size_bytes", cJSON_CreateNumber(1.5));
	assert_int_equal(fetch_file_parse(o, &ff, err, sizeof(err)), -1);
	cJSON_ReplaceItemInObject(o, "size_bytes",
	    cJSON_CreateNumber(2147483648.0));
	assert_int_equal(fetch_file_parse(o, &ff, err, sizeof(err)), -1);
	cJSON_ReplaceItemInObject(o, "size_bytes", cJSON_CreateString("12"));
	assert_int_equal(fetch_file_parse(o, &ff, err, sizeof(err)), -1);
	cJSON_Delete(o);
	/* params: not an object, a non-string value; missing pieces */
	o = file_obj("x.sh", good_sha, good_path, NULL);
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(o, "uri"), "params",
	    cJSON_CreateString("environment=production"));
	assert_int_equal(fetch_file_parse(o, &ff, err, sizeof(err)), -1);
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(o, "uri"), "params",
	    cJSON_Parse("{\"environment\": 3}"));
	assert_int_equal(fetch_file_parse(o, &ff, err, sizeof(err)), -1);
	cJSON_DeleteItemFromObject(cJSON_GetObjectItem(o, "uri"), "path");
	assert_int_equal(fetch_file_parse(o, &ff, err, sizeof(err)), -1);
	cJSON_DeleteItemFromObject(o, "uri");
	assert_int_equal(fetch_file_parse(o, &ff, err, sizeof(err)), -1);
	cJSON_Delete(o);
	o = cJSON_CreateArray();
	assert_int_equal(fetch_file_parse(o, &ff, err, sizeof(err)), -1);
	cJSON_Delete(o);

	/* fetch_get checks too (callers may build the struct themselves):
	 * nothing may be created outside the cache */
	fetch_make(fx);
	for (i = 0; i < sizeof(bad_names) / sizeof(*bad_names); i++) {
		ff.filename = bad_names[i];
		ff.sha256 = good_sha;
		ff.uri_path = good_path;
		ff.uri_params = NULL;
		ff.size_bytes = -1;
		assert_int_equal(fetch_get(fx->f, &ff, done_cb, &r, err,
		    sizeof(err)), -1);
	}
	for (i = 0; i < sizeof(bad_shas) / sizeof(*bad_shas); i++) {
		ff.filename = "x.sh";
		ff.sha256 = bad_shas[i];
		assert_int_equal(fetch_get(fx->f, &ff, done_cb, &r, err,
		    sizeof(err)), -1);
	}
	for (i = 0; i < sizeof(bad_paths) / sizeof(*bad_paths); i++) {
		ff.sha256 = good_sha;
		ff.uri_path = bad_paths[i];
		assert_int_equal(fetch_get(fx->f, &ff, done_cb, &r, err,
		    sizeof(err)), -1);
	}
	run_ms(fx, 50);
	assert_int_equal(r.calls, 0);
	assert_int_equal(dir_count(fx->dir), 1);      /* just cache/ */
	assert_int_equal(dir_count(fx->cache), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(fetch_download_ok, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(fetch_download_names, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(fetch_cache_hit, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(fetch_no_master_uris, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(fetch_sha_mismatch, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(fetch_size_exceeded, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(fetch_http_4xx, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(fetch_failover, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(fetch_retry_rounds, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(fetch_server_cert_checks, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(fetch_timeouts, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(fetch_concurrent, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(fetch_cancel_and_free_in_flight,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(fetch_reentrant_callbacks, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(fetch_new_refusals, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(fetch_purge, setup, teardown),
		cmocka_unit_test_setup_teardown(fetch_purge_timer, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(fetch_parse_refusals, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
