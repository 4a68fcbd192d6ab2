/* tls_peer.h: checks on the certificate the other end of an lws
 * connection presented, beyond what lws's mbedTLS glue checks (it has no
 * CRL support, and lets an IP literal match a DNS name): revocation of
 * the whole chain, IP SANs; and what the handshake negotiated. */
#ifndef PXPD_TLS_PEER_H
#define PXPD_TLS_PEER_H

#include <stddef.h>

struct lws;
struct tls_crl;

/* Loads what revocation checks need: the CA file (the peer's chain is
 * rebuilt to it) and every CRL of a PEM/DER file. A CRL past its
 * nextUpdate by more than grace_s seconds refuses peers whose chain it
 * covers. NULL and err filled on failure. */
struct tls_crl *tls_crl_load(const char *ca_path, const char *crl_path,
    long grace_s, char *err, size_t errlen);
void tls_crl_free(struct tls_crl *crl);

/* After the TLS handshake, before anything is sent: 0 when the peer may
 * be talked to, -1 with why filled when a certificate of its chain (leaf
 * or intermediate) is revoked by crl (NULL: no CRL), a CRL covering the
 * chain expired or is not signed by its CA, the certificate cannot be
 * read, or host is an IP address the certificate has no iPAddress SAN
 * for. mbedTLS has checked the chain and the name in the handshake. */
int tls_peer_check(struct lws *wsi, const char *host,
    const struct tls_crl *crl, char *why, size_t len);
/* "TLSv1.3 TLS1-3-AES-128-GCM-SHA256": what the handshake negotiated. */
void tls_peer_session(struct lws *wsi, char *buf, size_t len);


#endif
