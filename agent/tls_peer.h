/* tls_peer.h: checks on the certificate the other end of an lws
 * connection presented, beyond what lws's mbedTLS glue checks (it has no
 * CRL support): revocation and the peer's common name. */
#ifndef PXPD_TLS_PEER_H
#define PXPD_TLS_PEER_H

#include <stddef.h>

struct lws;
struct tls_crl;

/* Loads a PEM/DER CRL file; NULL and err filled on failure. */
struct tls_crl *tls_crl_load(const char *path, char *err, size_t errlen);
void tls_crl_free(struct tls_crl *crl);

/* 1 when the peer's certificate is listed in crl, 0 when not,
 * -1 when the peer presented no certificate or it could not be read. */
int tls_peer_revoked(struct lws *wsi, const struct tls_crl *crl);

/* Copies the peer certificate's CN into cn; 0 or -1 (no certificate). */
int tls_peer_cn(struct lws *wsi, char *cn, size_t len);

#endif
