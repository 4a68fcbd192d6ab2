/* tls_peer.c: CRL and CN checks of an lws peer certificate (tls_peer.h).
 * The DER bytes come from lws's LWS_TLS_CERT_INFO_DER_RAW. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>
#include <mbedtls/x509_crl.h>
#include <mbedtls/x509_crt.h>

#include "tls_peer.h"

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

int
tls_peer_revoked(struct lws *wsi, const struct tls_crl *crl)
{
	union lws_tls_cert_info_results *r;
	mbedtls_x509_crt crt;
	int rc = -1;

	if (!(r = malloc(sizeof(*r) + PEER_DER_MAX)))
		return -1;
	mbedtls_x509_crt_init(&crt);
	if (lws_tls_peer_cert_info(wsi, LWS_TLS_CERT_INFO_DER_RAW, r,
	    PEER_DER_MAX) != 0)
		goto out;
	if (mbedtls_x509_crt_parse_der(&crt, (const unsigned char *)r->ns.name,
	    (size_t)r->ns.len) != 0)
		goto out;
	/* A CRL file may hold several CRLs; each speaks for its own issuer. */
	rc = 0;
	for (const mbedtls_x509_crl *l = &crl->crl; l && l->version; l = l->next)
		if (crt.issuer_raw.len == l->issuer_raw.len &&
		    memcmp(crt.issuer_raw.p, l->issuer_raw.p,
		    crt.issuer_raw.len) == 0 &&
		    mbedtls_x509_crt_is_revoked(&crt, l))
			rc = 1;
out:
	mbedtls_x509_crt_free(&crt);
	free(r);
	return rc;
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
