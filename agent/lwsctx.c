/* lwsctx.c: lws client contexts (lwsctx.h). Holds the two workarounds
 * of lws 4.1.6 in one place: the client key must come in memory with the
 * certificate (tls_peer.h), and $http_proxy must be hidden while the
 * vhost is made or lws would use it unasked. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwsctx.h"
#include "tls_peer.h"
#include "util.h"

struct lws_context *
lwsctx_client_new(uv_loop_t *loop, const struct pxpd_config *cfg,
    const struct lwsctx_opts *o, char *err, size_t errlen)
{
	struct lws_context_creation_info info;
	void *foreign[1] = { loop };
	struct lws_context *ctx;
	char *env_proxy, *identity;
	size_t identity_len = 0;

	if (!(identity = tls_identity_load(cfg->ssl_cert, cfg->ssl_key,
	    &identity_len, err, errlen)))
		return NULL;
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = o->protocols;
	info.options = LWS_SERVER_OPTION_LIBUV |
	    LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info.foreign_loops = foreign;
	info.client_ssl_ca_filepath = cfg->ssl_ca_cert;
	info.client_ssl_cert_mem = identity;
	info.client_ssl_cert_mem_len = (unsigned int)identity_len;
	info.connect_timeout_secs = o->connect_timeout_s;
	info.timeout_secs = o->timeout_s;
	info.pt_serv_buf_size = (unsigned int)o->serv_buf;
	if (o->proxy && *o->proxy)
		info.http_proxy_address = o->proxy;

	env_proxy = util_strdup(getenv("http_proxy"));
	if (env_proxy)
		unsetenv("http_proxy");
	ctx = lws_create_context(&info);
	tls_identity_free(identity, identity_len);
	if (env_proxy) {
		setenv("http_proxy", env_proxy, 1);
		free(env_proxy);
	}
	if (!ctx)
		snprintf(err, errlen, "cannot set up TLS: check ssl-ca-cert, "
		    "ssl-cert and ssl-key");
	return ctx;
}
