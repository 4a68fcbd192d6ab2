/* target.h: a peer as its URI names it (wss://host:port/path,
 * https://...); net_target_parse() and net_connect_info() are in
 * lwsctx.h. Kept apart so that a part can hold one without lws. */
#ifndef PXPD_NET_TARGET_H
#define PXPD_NET_TARGET_H

struct net_target {
	char *host;       /* IPv6 without brackets: what the certificate must match */
	char *host_hdr;   /* IPv6 in brackets: the Host header's spelling */
	char *path;       /* the URI's path without its leading '/' */
	int port;
};

void net_target_free(struct net_target *t);

#endif
