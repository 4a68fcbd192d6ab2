/* tls_peer.c: checks of an lws peer certificate (tls_peer.h).
 * The DER bytes come from lws's LWS_TLS_CERT_INFO_DER_RAW. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crl.h>
#include <mbedtls/x509_crt.h>
#include <uv.h>

#include "base/resolve.h"
#include "conn/tls_peer.h"

struct tls_crl {
	mbedtls_x509_crl crl;
};

struct tls_crl *
tls_crl_load(const char *path, char *err, size_t errlen)
{
	struct tls_crl *c = calloc(1, sizeof(*c));
	int rc;

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	mbedtls_x509_crl_init(&c->crl);
	if ((rc = mbedtls_x509_crl_parse_file(&c->crl, path)) != 0) {
		snprintf(err, errlen, "cannot load CRL %s (mbedTLS -0x%04x)",
		    path, (unsigned)-rc);
		tls_crl_free(c);
		return NULL;
	}
	return c;
}

void
tls_crl_free(struct tls_crl *crl)
{
	if (!crl)
		return;
	mbedtls_x509_crl_free(&crl->crl);
	free(crl);
}

/* Certificates are a few KiB; 16 KiB leaves room for large RSA keys. */
#define PEER_DER_MAX 16384

/* The peer's leaf certificate, parsed into crt; 0 or -1. */
static int
tls__peer_crt(struct lws *wsi, mbedtls_x509_crt *crt)
{
	union lws_tls_cert_info_results *r;
	int rc = -1;

	if (!(r = malloc(sizeof(*r) + PEER_DER_MAX)))
		return -1;
	if (lws_tls_peer_cert_info(wsi, LWS_TLS_CERT_INFO_DER_RAW, r,
	    PEER_DER_MAX) == 0 && mbedtls_x509_crt_parse_der(crt,
	    (const unsigned char *)r->ns.name, (size_t)r->ns.len) == 0)
		rc = 0;
	free(r);
	return rc;
}

static bool
tls__revoked(const mbedtls_x509_crt *crt, const struct tls_crl *crl)
{
	/* A CRL file may hold several CRLs; each speaks for its own issuer. */
	for (const mbedtls_x509_crl *l = &crl->crl; l && l->version; l = l->next)
		if (crt->issuer_raw.len == l->issuer_raw.len &&
		    memcmp(crt->issuer_raw.p, l->issuer_raw.p,
		    crt->issuer_raw.len) == 0 &&
		    mbedtls_x509_crt_is_revoked(crt, l))
			return true;
	return false;
}

/* mbedTLS lets an IP literal match a DNS SAN spelled like it, or the CN
 * when there are no SANs; an address must match an iPAddress SAN, byte
 * for byte (RFC 6125 §6.2.1, as OpenSSL's X509_check_ip). */
static bool
tls__ip_san(const mbedtls_x509_crt *crt, const char *ip)
{
	unsigned char want[16];
	size_t wlen;
	const mbedtls_x509_sequence *s;

	if (uv_inet_pton(AF_INET, ip, want) == 0)
		wlen = 4;
	else if (uv_inet_pton(AF_INET6, ip, want) == 0)
		wlen = 16;
	else
		return false;
	for (s = &crt->subject_alt_names; s && s->buf.p; s = s->next)
		if ((s->buf.tag & MBEDTLS_ASN1_TAG_VALUE_MASK) ==
		    MBEDTLS_X509_SAN_IP_ADDRESS &&
		    (s->buf.tag & MBEDTLS_ASN1_CONTEXT_SPECIFIC) &&
		    s->buf.len == wlen && memcmp(s->buf.p, want, wlen) == 0)
			return true;
	return false;
}

int
tls_peer_check(struct lws *wsi, const char *host, const struct tls_crl *crl,
    char *why, size_t len)
{
	mbedtls_x509_crt crt;
	int rc = -1;

	if (!crl && !(host && resolve_is_ip(host)))
		return 0;
	mbedtls_x509_crt_init(&crt);
	if (tls__peer_crt(wsi, &crt) != 0)
		snprintf(why, len, "cannot read the certificate it presented");
	else if (crl && tls__revoked(&crt, crl))
		snprintf(why, len, "its certificate is revoked by ssl-crl");
	else if (host && resolve_is_ip(host) && !tls__ip_san(&crt, host))
		snprintf(why, len, "its certificate has no IP address SAN %s "
		    "(an address never matches a DNS name or the CN)", host);
	else
		rc = 0;
	mbedtls_x509_crt_free(&crt);
	return rc;
}

void
tls_peer_session(struct lws *wsi, char *buf, size_t len)
{
	mbedtls_ssl_context *ssl = lws_tls_mbedtls_ssl_context(wsi);

	snprintf(buf, len, "%s %s", ssl ? mbedtls_ssl_get_version(ssl) : "?",
	    ssl ? mbedtls_ssl_get_ciphersuite(ssl) : "?");
}

int
tls_peer_cn(struct lws *wsi, char *cn, size_t len)
{
	union lws_tls_cert_info_results *r;
	int rc = -1;

	if (!len || !(r = malloc(sizeof(*r) + len)))
		return -1;
	if (lws_tls_peer_cert_info(wsi, LWS_TLS_CERT_INFO_COMMON_NAME, r,
	    len) == 0) {
		size_t n = (size_t)r->ns.len < len - 1 ? (size_t)r->ns.len : len - 1;

		memcpy(cn, r->ns.name, n);
		cn[n] = '\0';
		rc = 0;
	}
	free(r);
	return rc;
}
