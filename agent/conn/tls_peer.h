/* tls_peer.h: checks on the certificate the other end of an lws
 * connection presented, beyond what lws's mbedTLS glue checks (it has no
 * CRL support, and lets an IP literal match a DNS name): revocation, IP
 * SANs, the peer's common name; and what the handshake negotiated. */
#ifndef PXPD_TLS_PEER_H
#define PXPD_TLS_PEER_H

#include <stddef.h>

struct lws;
struct tls_crl;

/* Loads a PEM/DER CRL file; NULL and err filled on failure. */
struct tls_crl *tls_crl_load(const char *path, char *err, size_t errlen);
void tls_crl_free(struct tls_crl *crl);

/* After the TLS handshake, before anything is sent: 0 when the peer may
 * be talked to, -1 with why filled when its certificate is revoked by crl
 * (NULL: no CRL), unreadable, or host is an IP address the certificate
 * has no iPAddress SAN for. mbedTLS has checked the chain and the name. */
int tls_peer_check(struct lws *wsi, const char *host,
    const struct tls_crl *crl, char *why, size_t len);
/* "TLSv1.3 TLS1-3-AES-128-GCM-SHA256": what the handshake negotiated. */
void tls_peer_session(struct lws *wsi, char *buf, size_t len);

/* Copies the peer certificate's CN into cn; 0 or -1 (no certificate). */
int tls_peer_cn(struct lws *wsi, char *cn, size_t len);

#endif
