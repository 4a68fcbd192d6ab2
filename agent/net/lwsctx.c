/* lwsctx.c: lws client contexts (lwsctx.h). lws still takes $http_proxy
 * from the environment when no proxy is configured, so it is hidden while
 * the vhost is made: only broker-ws-proxy / master-proxy apply. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <psa/crypto.h>

#include "net/lwsctx.h"
#include "net/resolve.h"
#include "base/util.h"

/* lws only says that its context failed; name the file that is the cause. */
static int
lwsctx__readable(const char *path, char *err, size_t errlen)
{
	FILE *f = path && *path ? fopen(path, "rb") : NULL;

	if (!f) {
		snprintf(err, errlen, "cannot read %s: %s", path ? path : "",
		    strerror(path && *path ? errno : ENOENT));
		return -1;
	}
	fclose(f);
	return 0;
}

struct lws_context *
lwsctx_client_new(uv_loop_t *loop, const struct pxpd_config *cfg,
    const struct lwsctx_opts *o, char *err, size_t errlen)
{
	struct lws_context_creation_info info;
	void *foreign[1] = { loop };
	struct lws_context *ctx;
	char *env_proxy;

	if (lwsctx__readable(cfg->ssl_ca_cert, err, errlen) != 0 ||
	    lwsctx__readable(cfg->ssl_cert, err, errlen) != 0 ||
	    lwsctx__readable(cfg->ssl_key, err, errlen) != 0)
		return NULL;
	/* mbedTLS's TLS 1.3 runs on PSA crypto; a no-op after the first call. */
	if (psa_crypto_init() != PSA_SUCCESS) {
		snprintf(err, errlen, "cannot initialise mbedTLS (PSA crypto)");
		return NULL;
	}
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = o->protocols;
	info.options = LWS_SERVER_OPTION_LIBUV |
	    LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info.foreign_loops = foreign;
	info.client_ssl_ca_filepath = cfg->ssl_ca_cert;
	info.client_ssl_cert_filepath = cfg->ssl_cert;
	info.client_ssl_private_key_filepath = cfg->ssl_key;
	info.connect_timeout_secs = o->connect_timeout_s;
	info.timeout_secs = o->timeout_s;
	info.pt_serv_buf_size = (unsigned int)o->serv_buf;
	if (o->proxy && *o->proxy)
		info.http_proxy_address = o->proxy;

	/* libuv's setenv: Windows has none. */
	env_proxy = util_strdup(getenv("http_proxy"));
	if (env_proxy)
		uv_os_unsetenv("http_proxy");
	ctx = lws_create_context(&info);
	if (env_proxy) {
		uv_os_setenv("http_proxy", env_proxy);
		free(env_proxy);
	}
	if (!ctx)
		snprintf(err, errlen, "cannot set up TLS: check ssl-ca-cert, "
		    "ssl-cert and ssl-key");
	return ctx;
}

int
net_target_parse(const char *uri, const char *scheme, struct net_target *t)
{
	const char *prot, *addr, *path;
	char *copy = util_strdup(uri);
	int port;

	memset(t, 0, sizeof(*t));
	/* lws_parse_uri cuts copy in place, drops the path's leading '/' and
	 * an IPv6 literal's brackets. */
	if (!copy || lws_parse_uri(copy, &prot, &addr, &port, &path) ||
	    (scheme && strcmp(prot, scheme)) || !*addr) {
		free(copy);
		return -1;
	}
	t->port = port;
	t->host = util_strdup(addr);
	t->host_hdr = strchr(addr, ':') ? util_asprintf("[%s]", addr) :
	    util_strdup(addr);
	t->path = util_strdup(path);
	free(copy);
	if (!t->host || !t->host_hdr || !t->path) {
		net_target_free(t);
		return -1;
	}
	return 0;
}

int
net_connect_info(struct lws_context *ctx, struct lws_vhost *vh,
    const struct net_target *t, const struct resolve_proxy *proxy,
    const char *addr, struct lws_client_connect_info *i)
{
	if (proxy && proxy->host) {
		char *p = resolve_proxy_lws(proxy, addr);
		int rc = p ? lws_set_proxy(vh, p) : -1;

		free(p);
		if (rc != 0)
			return -1;
	}
	memset(i, 0, sizeof(*i));
	i->context = ctx;
	i->vhost = vh;
	/* Through a proxy the name goes in CONNECT; the proxy resolves it. */
	i->address = proxy && proxy->host ? t->host : addr;
	i->port = t->port;
	/* The name the certificate must carry (and SNI, and Host: an IPv6
	 * literal in brackets there, which lws strips for the check). */
	i->host = t->host_hdr;
	i->ssl_connection = LCCSCF_USE_SSL;
	return 0;
}
