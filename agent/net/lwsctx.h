/* lwsctx.h: an lws client context on pxpd's libuv loop, made the one way
 * both of its users need (conn: the broker; fetch: the Puppet server):
 * mutual TLS with ssl-ca-cert and the cert + key of the agent, an
 * optional HTTP CONNECT proxy, and never $http_proxy. */
#ifndef PXPD_LWSCTX_H
#define PXPD_LWSCTX_H

#include <stddef.h>

#include <libwebsockets.h>
#include <uv.h>

#include "config/config.h"
#include "net/target.h"

struct lwsctx_opts {
	const struct lws_protocols *protocols;
	const char *proxy;            /* NULL or "": none */
	unsigned connect_timeout_s;   /* lws's own TCP connect limit */
	unsigned timeout_s;           /* lws's own network activity limit */
	size_t serv_buf;              /* per-thread service buffer */
};

/* NULL with err naming the TLS files when lws refuses them. */
struct lws_context *lwsctx_client_new(uv_loop_t *loop,
    const struct pxpd_config *cfg, const struct lwsctx_opts *o, char *err,
    size_t errlen);

/* 0, or -1 when uri does not parse (or out of memory) or its scheme is
 * not scheme (NULL: any). */
int net_target_parse(const char *uri, const char *scheme,
    struct net_target *t);

struct resolve_proxy;
/* What conn and fetch connect with alike, for the numeric address addr
 * of t; through a proxy (proxy->host set, addr then the proxy's address)
 * lws is pointed at it and t's name goes in the CONNECT. The rest of i
 * (path, protocol, flags, user data) is the caller's. 0, or -1 when lws
 * refuses the proxy. */
int net_connect_info(struct lws_context *ctx, struct lws_vhost *vh,
    const struct net_target *t, const struct resolve_proxy *proxy,
    const char *addr, struct lws_client_connect_info *i);

#endif
