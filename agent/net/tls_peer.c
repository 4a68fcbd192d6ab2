/* tls_peer.c: checks of an lws peer certificate (tls_peer.h), on the
 * chain mbedTLS kept of the handshake (MBEDTLS_SSL_KEEP_PEER_CERTIFICATE,
 * reached through lws_tls_mbedtls_ssl_context, cmake/patches). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libwebsockets.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crl.h>
#include <mbedtls/x509_crt.h>
#include <uv.h>

#include "net/resolve.h"
#include "net/tls_peer.h"
#include "base/util.h"

struct tls_crl {
	/* ssl-ca-cert split: the chain is rebuilt up to a self-signed root,
	 * so that an intermediate of the bundle is checked against its
	 * issuer's CRL instead of being trusted as an anchor. */
	mbedtls_x509_crt roots, inter;
	mbedtls_x509_crl crl;     /* every CRL of ssl-crl */
	long grace_s;             /* a CRL past its nextUpdate still counts */
};

static bool
tls__self_signed(const mbedtls_x509_crt *x)
{
	return x->subject_raw.len == x->issuer_raw.len &&
	    !memcmp(x->subject_raw.p, x->issuer_raw.p, x->issuer_raw.len);
}

/* Sorts the CA file into roots and intermediates; a bundle without a
 * self-signed root keeps all of it as anchors (as the handshake does). */
static int
tls__ca_split(struct tls_crl *c, const char *path)
{
	mbedtls_x509_crt all;
	const mbedtls_x509_crt *x;
	int rc, nroots = 0;

	mbedtls_x509_crt_init(&all);
	if ((rc = mbedtls_x509_crt_parse_file(&all, path)) < 0)
		goto out;
	for (x = &all; x && x->version; x = x->next)
		nroots += tls__self_signed(x);
	for (x = &all; x && x->version && rc >= 0; x = x->next)
		rc = mbedtls_x509_crt_parse_der(!nroots || tls__self_signed(x) ?
		    &c->roots : &c->inter, x->raw.p, x->raw.len);
out:
	mbedtls_x509_crt_free(&all);
	return rc < 0 ? rc : 0;
}

struct tls_crl *
tls_crl_load(const char *ca_path, const char *crl_path, long grace_s,
    char *err, size_t errlen)
{
	struct tls_crl *c = calloc(1, sizeof(*c));
	int rc;

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	mbedtls_x509_crt_init(&c->roots);
	mbedtls_x509_crt_init(&c->inter);
	mbedtls_x509_crl_init(&c->crl);
	c->grace_s = grace_s;
	if ((rc = tls__ca_split(c, ca_path)) < 0) {
		snprintf(err, errlen, "cannot load CA %s (mbedTLS -0x%04x)",
		    ca_path, (unsigned)-rc);
		tls_crl_free(c);
		return NULL;
	}
	if ((rc = mbedtls_x509_crl_parse_file(&c->crl, crl_path)) != 0) {
		snprintf(err, errlen, "cannot load CRL %s (mbedTLS -0x%04x)",
		    crl_path, (unsigned)-rc);
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
	mbedtls_x509_crt_free(&crl->roots);
	mbedtls_x509_crt_free(&crl->inter);
	mbedtls_x509_crl_free(&crl->crl);
	free(crl);
}

static int64_t
tls__epoch(const mbedtls_x509_time *t)
{
	return util_time_utc(t->year, t->mon, t->day, t->hour, t->min, t->sec);
}

/* What the chain's verification says about revocation. */
struct tls__verdict {
	char revoked[160];        /* subject of a revoked certificate */
	int revoked_depth;
	bool crl_expired, crl_untrusted;
};

static int
tls__vrfy(void *arg, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
	struct tls__verdict *v = arg;

	if ((*flags & MBEDTLS_X509_BADCERT_REVOKED) && !v->revoked[0]) {
		if (mbedtls_x509_dn_gets(v->revoked, sizeof(v->revoked),
		    &crt->subject) < 0)
			snprintf(v->revoked, sizeof(v->revoked), "?");
		v->revoked_depth = depth;
	}
	v->crl_expired |= (*flags & MBEDTLS_X509_BADCRL_EXPIRED) != 0;
	v->crl_untrusted |= (*flags & MBEDTLS_X509_BADCRL_NOT_TRUSTED) != 0;
	return 0;
}

/* The CRL that is furthest past its nextUpdate among those issued by a
 * CA of the chain (a stale CRL of an unrelated CA does not matter). */
static const mbedtls_x509_crl *
tls__most_overdue(const struct tls_crl *c, const mbedtls_x509_crt *chain,
    int64_t *overdue)
{
	const mbedtls_x509_crl *l, *worst = NULL;
	const mbedtls_x509_crt *x;
	int64_t now = (int64_t)time(NULL), o;

	*overdue = 0;
	for (l = &c->crl; l && l->version; l = l->next)
		for (x = chain; x && x->version; x = x->next)
			if (x->issuer_raw.len == l->issuer_raw.len &&
			    !memcmp(x->issuer_raw.p, l->issuer_raw.p,
			    l->issuer_raw.len) &&
			    (o = now - tls__epoch(&l->next_update)) > *overdue) {
				*overdue = o;
				worst = l;
			}
	return worst;
}

static int
tls__revocation(const struct tls_crl *c, const mbedtls_x509_crt *peer,
    char *why, size_t len)
{
	struct tls__verdict v;
	const mbedtls_x509_crl *l = NULL;
	const mbedtls_x509_crt *x;
	mbedtls_x509_crt chain;
	uint32_t flags = 0;
	int64_t overdue = 0;
	char issuer[160];
	int rc = 0;

	memset(&v, 0, sizeof(v));
	/* What the peer sent, then the bundle's intermediates: mbedTLS builds
	 * the path from the leaf to a root with them and checks each
	 * certificate on it against the CRL of its issuer. The name was
	 * checked in the handshake. */
	mbedtls_x509_crt_init(&chain);
	for (x = peer; x && x->version && rc == 0; x = x->next)
		rc = mbedtls_x509_crt_parse_der(&chain, x->raw.p, x->raw.len);
	for (x = &c->inter; x && x->version && rc == 0; x = x->next)
		rc = mbedtls_x509_crt_parse_der(&chain, x->raw.p, x->raw.len);
	if (rc != 0) {
		mbedtls_x509_crt_free(&chain);
		snprintf(why, len, "cannot read its certificate chain");
		return -1;
	}
	(void)mbedtls_x509_crt_verify(&chain, (mbedtls_x509_crt *)&c->roots,
	    (mbedtls_x509_crl *)&c->crl, NULL, &flags, tls__vrfy, &v);
	if (v.crl_expired)
		l = tls__most_overdue(c, &chain, &overdue);
	mbedtls_x509_crt_free(&chain);
	if (v.revoked[0]) {
		snprintf(why, len, "certificate %s (chain depth %d) is revoked "
		    "by ssl-crl", v.revoked, v.revoked_depth);
		return -1;
	}
	if (v.crl_untrusted) {
		snprintf(why, len, "ssl-crl holds a CRL that is not signed by "
		    "the CA it names");
		return -1;
	}
	if (v.crl_expired && l && overdue > c->grace_s) {
		if (mbedtls_x509_dn_gets(issuer, sizeof(issuer), &l->issuer) < 0)
			snprintf(issuer, sizeof(issuer), "?");
		snprintf(why, len, "the CRL of %s in ssl-crl expired on "
		    "%04d-%02d-%02d %02d:%02d:%02d UTC (nextUpdate; "
		    "crl-expiry-grace %ld s): fetch a new CRL", issuer,
		    l->next_update.year, l->next_update.mon, l->next_update.day,
		    l->next_update.hour, l->next_update.min, l->next_update.sec,
		    c->grace_s);
		return -1;
	}
	return 0;
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
	mbedtls_ssl_context *ssl = lws_tls_mbedtls_ssl_context(wsi);
	const mbedtls_x509_crt *peer = ssl ? mbedtls_ssl_get_peer_cert(ssl) :
	    NULL;

	if (!crl && !(host && resolve_is_ip(host)))
		return 0;
	if (!peer) {
		snprintf(why, len, "cannot read the certificate it presented");
		return -1;
	}
	if (crl && tls__revocation(crl, peer, why, len) != 0)
		return -1;
	if (host && resolve_is_ip(host) && !tls__ip_san(peer, host)) {
		snprintf(why, len, "its certificate has no IP address SAN %s "
		    "(an address never matches a DNS name or the CN)", host);
		return -1;
	}
	return 0;
}

void
tls_peer_session(struct lws *wsi, char *buf, size_t len)
{
	mbedtls_ssl_context *ssl = lws_tls_mbedtls_ssl_context(wsi);

	snprintf(buf, len, "%s %s", ssl ? mbedtls_ssl_get_version(ssl) : "?",
	    ssl ? mbedtls_ssl_get_ciphersuite(ssl) : "?");
}
