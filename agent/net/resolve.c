/* resolve.c: uv_getaddrinfo on libuv's thread pool (resolve.h). */
#include <stdlib.h>
#include <string.h>

#include "net/resolve.h"
#include "base/util.h"

struct resolve {
	uv_getaddrinfo_t req;
	uv_idle_t idle;           /* delivers literal answers from the loop */
	resolve_cb cb;
	void *arg;
	bool cancelled, literal;
	struct resolve_result res;
};

bool
resolve_is_ip(const char *s)
{
	unsigned char buf[16];

	return uv_inet_pton(AF_INET, s, buf) == 0 ||
	    uv_inet_pton(AF_INET6, s, buf) == 0;
}

static void
resolve__deliver(struct resolve *r)
{
	if (!r->cancelled)
		r->cb(r->arg, &r->res);
}

static void
resolve__idle_closed(uv_handle_t *h)
{
	free(h->data);
}

static void
resolve__literal(uv_idle_t *h)
{
	struct resolve *r = h->data;

	uv_idle_stop(h);
	resolve__deliver(r);
	uv_close((uv_handle_t *)&r->idle, resolve__idle_closed);
}

static void
resolve__done(uv_getaddrinfo_t *req, int status, struct addrinfo *ai)
{
	struct resolve *r = req->data;
	const struct addrinfo *a;
	size_t i;
	bool dup;

	r->res.status = status;
	for (a = ai; status == 0 && a && r->res.n < RESOLVE_MAX; a = a->ai_next) {
		char *out = r->res.addr[r->res.n];

		if (a->ai_family == AF_INET)
			uv_ip4_name((const struct sockaddr_in *)a->ai_addr, out,
			    RESOLVE_ADDR_MAX);
		else if (a->ai_family == AF_INET6)
			uv_ip6_name((const struct sockaddr_in6 *)a->ai_addr,
			    out, RESOLVE_ADDR_MAX);
		else
			continue;
		for (dup = false, i = 0; i < r->res.n; i++)
			dup = dup || !strcmp(r->res.addr[i], out);
		if (!dup)
			r->res.n++;
	}
	if (status == 0 && r->res.n == 0)
		r->res.status = UV_EAI_NODATA;
	uv_freeaddrinfo(ai);
	resolve__deliver(r);
	free(r);
}

struct resolve *
resolve_start(uv_loop_t *loop, const char *host, resolve_cb cb, void *arg)
{
	struct resolve *r = calloc(1, sizeof(*r));
	struct addrinfo hints;
	int rc;

	if (!r)
		return NULL;
	r->cb = cb;
	r->arg = arg;
	if (resolve_is_ip(host) || strlen(host) >= RESOLVE_ADDR_MAX * 6) {
		/* No lookup for a literal; an absurd name fails the same way,
		 * from the loop, so callers have one path. */
		r->literal = true;
		if (resolve_is_ip(host)) {
			strcpy(r->res.addr[0], host);
			r->res.n = 1;
		} else
			r->res.status = UV_EAI_NONAME;
		uv_idle_init(loop, &r->idle);
		r->idle.data = r;
		uv_idle_start(&r->idle, resolve__literal);
		return r;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	r->req.data = r;
	if ((rc = uv_getaddrinfo(loop, &r->req, resolve__done, host, NULL,
	    &hints)) != 0) {
		r->literal = true;
		r->res.status = rc;
		uv_idle_init(loop, &r->idle);
		r->idle.data = r;
		uv_idle_start(&r->idle, resolve__literal);
	}
	return r;
}

void
resolve_cancel(struct resolve *r)
{
	if (!r)
		return;
	r->cancelled = true;
	/* A queued lookup ends at once with UV_ECANCELED, a running one when
	 * it is done; resolve__done frees r either way. */
	if (!r->literal)
		(void)uv_cancel((uv_req_t *)&r->req);
}

int
resolve_proxy_parse(const char *spec, struct resolve_proxy *p)
{
	const char *at, *h, *end, *colon;

	memset(p, 0, sizeof(*p));
	if (!strncmp(spec, "http://", 7))
		spec += 7;
	at = strrchr(spec, '@');
	h = at ? at + 1 : spec;
	end = h + strcspn(h, "/");
	if (*h == '[') {
		const char *rb = memchr(h, ']', (size_t)(end - h));

		if (!rb)
			return -1;
		p->host = util_asprintf("%.*s", (int)(rb - h - 1), h + 1);
		colon = rb + 1 < end && rb[1] == ':' ? rb + 1 : NULL;
	} else {
		colon = memchr(h, ':', (size_t)(end - h));
		p->host = util_asprintf("%.*s", (int)((colon ? colon : end) - h),
		    h);
	}
	p->port = colon ? atoi(colon + 1) : 8080;
	p->auth = at ? util_asprintf("%.*s", (int)(at - spec), spec) : NULL;
	if (!p->host || !*p->host || p->port <= 0 || p->port > 65535 ||
	    (at && !p->auth)) {
		resolve_proxy_free(p);
		return -1;
	}
	return 0;
}

void
resolve_proxy_free(struct resolve_proxy *p)
{
	free(p->host);
	free(p->auth);
	p->host = p->auth = NULL;
}

char *
resolve_proxy_lws(const struct resolve_proxy *p, const char *addr)
{
	bool v6 = strchr(addr, ':') != NULL;

	return util_asprintf("%s%s%s%s%s:%d", p->auth ? p->auth : "",
	    p->auth ? "@" : "", v6 ? "[" : "", addr, v6 ? "]" : "", p->port);
}
