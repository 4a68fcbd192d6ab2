/* tls_peer.c: CRL and CN checks of an lws peer certificate (tls_peer.h).
 * The DER bytes come from LWS_TLS_CERT_INFO_DER_RAW, which pxpd adds to
 * lws 4.1.6's mbedTLS backend (cmake/patches/libwebsockets-der-raw.patch). */
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

/* Whole small file into memory; NULL with err. */
static char *
tls__slurp(const char *path, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f) {
		snprintf(err, errlen, "cannot read %s", path);
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || n > 1 << 20 ||
	    fseek(f, 0, SEEK_SET) != 0 || !(buf = malloc((size_t)n + 1)) ||
	    fread(buf, 1, (size_t)n, f) != (size_t)n) {
		snprintf(err, errlen, "cannot read %s", path);
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

char *
tls_identity_load(const char *cert_path, const char *key_path, size_t *len,
    char *err, size_t errlen)
{
	size_t clen = 0, klen = 0;
	char *cert = tls__slurp(cert_path, &clen, err, errlen);
	char *key = cert ? tls__slurp(key_path, &klen, err, errlen) : NULL;
	char *id = NULL;

	if (cert && key && (id = malloc(clen + klen + 2))) {
		memcpy(id, cert, clen);
		id[clen] = '\n';
		memcpy(id + clen + 1, key, klen);
		id[clen + 1 + klen] = '\0';
		*len = clen + klen + 2;
	} else if (cert && key)
		snprintf(err, errlen, "out of memory");
	if (key)
		tls_identity_free(key, klen);
	free(cert);
	return id;
}

void
tls_identity_free(char *identity, size_t len)
{
	volatile char *p = identity;

	if (!identity)
		return;
	while (len--)
		*p++ = 0;
	free(identity);
}
