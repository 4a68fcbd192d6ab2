/* resolve.h: host names to numeric addresses off the event loop, with the
 * system resolver (uv_getaddrinfo: /etc/hosts, search domains, IPv6), for
 * the broker (conn) and the Puppet server (fetch). lws resolves with a
 * blocking getaddrinfo on the loop; handed a numeric address it does not.
 * An IP literal is answered at once, without a lookup. */
#ifndef PXPD_RESOLVE_H
#define PXPD_RESOLVE_H

#include <stdbool.h>
#include <stddef.h>

#include <uv.h>

#define RESOLVE_ADDR_MAX 46   /* INET6_ADDRSTRLEN */
#define RESOLVE_MAX 8         /* addresses kept per name */

struct resolve_result {
	int status;               /* 0, or a UV_EAI_* / UV_E* code */
	size_t n;
	char addr[RESOLVE_MAX][RESOLVE_ADDR_MAX];   /* in resolver order */
};

struct resolve;
/* res is valid only during the call. */
typedef void (*resolve_cb)(void *arg, const struct resolve_result *res);

/* Starts resolving host (a name, or an IPv4/IPv6 literal without
 * brackets). cb runs exactly once from the loop, unless the request is
 * cancelled first; NULL on allocation failure (cb never runs). */
struct resolve *resolve_start(uv_loop_t *loop, const char *host,
    resolve_cb cb, void *arg);
/* cb will not run; the request is freed once libuv lets go of it. */
void resolve_cancel(struct resolve *r);
/* true when s is an IPv4 or IPv6 literal (no brackets). */
bool resolve_is_ip(const char *s);

/* An HTTP proxy setting (broker-ws-proxy, master-proxy):
 * "[http://][user:pass@]host[:port]", host may be "[v6]". */
struct resolve_proxy {
	char *host, *auth;        /* auth NULL when none */
	int port;                 /* 8080 when not given */
};
int resolve_proxy_parse(const char *spec, struct resolve_proxy *p);
void resolve_proxy_free(struct resolve_proxy *p);
/* "auth@addr:port" ([addr] for IPv6) for lws_set_proxy(); malloc'd. */
char *resolve_proxy_lws(const struct resolve_proxy *p, const char *addr);

#endif
