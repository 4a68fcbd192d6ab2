/* broker_tls.c: client certificate checks of the test broker: signed by
 * the CA, not revoked by the CRL, and its CN. Not the websocket side
 * (broker_session.c decides what to do with the verdict).
 *
 * Why a linker wrap: lws 4.3 with mbedTLS runs the server handshake with
 * verify mode OPTIONAL (a client without a certificate must still get its
 * websocket, then close 4003), hands mbedTLS the CA but never a CRL, and
 * offers no way to reach the peer certificate's DER. So the executable is
 * linked with --wrap=mbedtls_ssl_conf_ca_chain (and its per-handshake
 * twin mbedtls_ssl_set_hs_ca_chain, used after an SNI vhost switch) and
 * the CRL is added to every CA chain lws configures: mbedTLS then marks a revoked certificate
 * as not verified, exactly like one from another CA, and
 * LWS_TLS_CERT_INFO_VERIFIED reports both. The one global below exists
 * only because the wrapped function has no user pointer. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <stdio.h>

#include <mbedtls/sha256.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crl.h>

#include "broker.h"

static mbedtls_x509_crl *broker_crl;

void __real_mbedtls_ssl_conf_ca_chain(mbedtls_ssl_config *conf,
    mbedtls_x509_crt *ca_chain, mbedtls_x509_crl *ca_crl);
void __wrap_mbedtls_ssl_conf_ca_chain(mbedtls_ssl_config *conf,
    mbedtls_x509_crt *ca_chain, mbedtls_x509_crl *ca_crl);

void
__wrap_mbedtls_ssl_conf_ca_chain(mbedtls_ssl_config *conf,
    mbedtls_x509_crt *ca_chain, mbedtls_x509_crl *ca_crl)
{
	__real_mbedtls_ssl_conf_ca_chain(conf, ca_chain,
	    ca_crl != NULL ? ca_crl : broker_crl);
}

void __real_mbedtls_ssl_set_hs_ca_chain(mbedtls_ssl_context *ssl,
    mbedtls_x509_crt *ca_chain, mbedtls_x509_crl *ca_crl);
void __wrap_mbedtls_ssl_set_hs_ca_chain(mbedtls_ssl_context *ssl,
    mbedtls_x509_crt *ca_chain, mbedtls_x509_crl *ca_crl);

void
__wrap_mbedtls_ssl_set_hs_ca_chain(mbedtls_ssl_context *ssl,
    mbedtls_x509_crt *ca_chain, mbedtls_x509_crl *ca_crl)
{
	__real_mbedtls_ssl_set_hs_ca_chain(ssl, ca_chain,
	    ca_crl != NULL ? ca_crl : broker_crl);
}

/* After an SNI callback lws 4.3 sets the handshake's authmode to REQUIRED
 * whatever the vhost asked for; the broker wants OPTIONAL throughout. */
void __real_mbedtls_ssl_set_hs_authmode(mbedtls_ssl_context *ssl,
    int authmode);
void __wrap_mbedtls_ssl_set_hs_authmode(mbedtls_ssl_context *ssl,
    int authmode);

void
__wrap_mbedtls_ssl_set_hs_authmode(mbedtls_ssl_context *ssl, int authmode)
{
	__real_mbedtls_ssl_set_hs_authmode(ssl,
	    authmode == MBEDTLS_SSL_VERIFY_REQUIRED ?
	    MBEDTLS_SSL_VERIFY_OPTIONAL : authmode);
}

int
broker_tls_init(struct broker *b)
{
	int r;

	if (b->cfg.crl == NULL)
		return 0;
	if ((broker_crl = calloc(1, sizeof(*broker_crl))) == NULL)
		return -1;
	mbedtls_x509_crl_init(broker_crl);
	r = mbedtls_x509_crl_parse_file(broker_crl, b->cfg.crl);
	if (r != 0) {
		fprintf(stderr, "pcp-broker: cannot load CRL %s (-0x%04x)\n",
		    b->cfg.crl, (unsigned)-r);
		broker_tls_free();
		return -1;
	}
	return 0;
}

void
broker_tls_free(void)
{
	if (broker_crl == NULL)
		return;
	mbedtls_x509_crl_free(broker_crl);
	free(broker_crl);
	broker_crl = NULL;
}

int
broker_tls_peer_check(struct lws *wsi, char *cn, size_t cnlen)
{
	/* The union's name buffer is small; lws writes up to the length we
	 * pass, so give it room for any CN. */
	union {
		union lws_tls_cert_info_results r;
		char room[sizeof(union lws_tls_cert_info_results) + 256];
	} info;
	const size_t off = offsetof(union lws_tls_cert_info_results, ns.name);
	const char *name = info.room + off;
	size_t n;

	memset(&info, 0, sizeof(info));
	/* -1 here means no peer certificate at all. */
	if (lws_tls_peer_cert_info(wsi, LWS_TLS_CERT_INFO_VERIFIED, &info.r,
	    0) != 0)
		return 0;
	if (!info.r.verified)
		return -1;
	memset(&info, 0, sizeof(info));
	if (lws_tls_peer_cert_info(wsi, LWS_TLS_CERT_INFO_COMMON_NAME, &info.r,
	    sizeof(info.room) - off) != 0)
		return -1;
	n = strnlen(name, sizeof(info.room) - off);
	/* A CN with '/' could not form a valid pcp:// URI. */
	if (n == 0 || n >= cnlen || memchr(name, '/', n) != NULL)
		return -1;
	memcpy(cn, name, n);
	cn[n] = '\0';
	return 1;
}

int
broker_tls_peer_fingerprint(struct lws *wsi, char *hex, size_t len)
{
	union lws_tls_cert_info_results *r = malloc(sizeof(*r) + 16384);
	unsigned char sum[32];
	size_t i;
	int rc = -1;

	if (len < 17 || !r)
		goto out;
	if (lws_tls_peer_cert_info(wsi, LWS_TLS_CERT_INFO_DER_RAW, r,
	    16384) != 0)
		goto out;
	if (mbedtls_sha256((const unsigned char *)r->ns.name,
	    (size_t)r->ns.len, sum, 0) != 0)
		goto out;
	for (i = 0; i < 8; i++)
		snprintf(hex + 2 * i, 3, "%02x", sum[i]);
	rc = 0;
out:
	free(r);
	if (rc != 0 && len)
		snprintf(hex, len, "-");
	return rc;
}
