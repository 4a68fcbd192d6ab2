/* config_tls.c: checks of ssl-ca-cert, ssl-cert, ssl-key and ssl-crl at
 * load time with mbedTLS, and the agent identity (CN of ssl-cert). Not the
 * TLS connection itself (conn.c loads the files again for lws). Invariant:
 * a config that passed has readable, parseable files, a key that matches
 * the certificate and a non-empty common_name; doubts that pxp-agent does
 * not refuse (key readable by others, expired or foreign certificate)
 * become warnings for the caller to log. No key material is ever copied
 * into a message. */
#include "config/config_int.h"
#include "base/util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/error.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crl.h>
#include <mbedtls/x509_crt.h>
#include <uv.h>

#include "os/attr.h"
#include "os/os.h"

static int
config_tls_warn(struct config__ctx *ctx, const char *fmt, ...)
    OS_PRINTF(2, 3);

static int
config_tls_warn(struct config__ctx *ctx, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (config__note_add(ctx->cfg->warnings, &ctx->cfg->n_warnings,
	    buf) < 0)
		return config__err(ctx, PXPD_EXIT_FAILURE, "out of memory");
	return 0;
}

/* mbedTLS 3 wants an RNG for key parsing and the pair check (blinding). */
static int
config_tls_rng(void *unused, unsigned char *buf, size_t len)
{
	(void)unused;
	return uv_random(NULL, NULL, buf, len, 0, NULL) == 0 ? 0 : -1;
}

/* Present, a regular file, and readable by us. */
static int
config_tls_file(struct config__ctx *ctx, const char *key, const char *path,
    bool required)
{
	struct os_fileinfo info;
	struct os_file *f;
	int rc;

	if (*path == '\0') {
		if (!required)
			return 0;
		return config__err(ctx, PXPD_EXIT_CONFIG,
		    "%s: must be defined", key);
	}
	if (os_path_info(path, true, &info) != 0)
		return config__err(ctx, PXPD_EXIT_CONFIG,
		    "%s: file '%s' not found", key, path);
	if (info.type != OS_FTYPE_REG)
		return config__err(ctx, PXPD_EXIT_CONFIG,
		    "%s: '%s' is not a regular file", key, path);
	if ((rc = os_file_open(path, OS_OPEN_READ, 0, &f)) != 0)
		return config__err(ctx, PXPD_EXIT_CONFIG,
		    "%s: file '%s' not readable (%s)", key, path,
		    strerror(-rc));
	os_file_close(f);
	return 0;
}

static void
config_tls_strerror(int ret, char *buf, size_t len)
{
	mbedtls_strerror(ret, buf, len);
	if (*buf == '\0')
		snprintf(buf, len, "mbedTLS error -0x%04x", (unsigned)-ret);
}

/* The CN of the certificate's subject, as text; NULL if absent or not
 * printable (it becomes the agent's PCP URI). */
static char *
config_tls_cn(const mbedtls_x509_crt *crt)
{
	const mbedtls_x509_name *n;
	char *cn;
	size_t i;

	for (n = &crt->subject; n != NULL; n = n->next) {
		if (n->oid.p == NULL || MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN,
		    &n->oid) != 0)
			continue;
		if (n->val.len == 0 || n->val.len > 255)
			return NULL;
		for (i = 0; i < n->val.len; i++)
			if (n->val.p[i] < 0x21 || n->val.p[i] == 0x7f ||
			    n->val.p[i] == '/')
				return NULL;
		if ((cn = malloc(n->val.len + 1)) == NULL)
			return NULL;
		memcpy(cn, n->val.p, n->val.len);
		cn[n->val.len] = '\0';
		return cn;
	}
	return NULL;
}

/* An X.509 time as seconds since the epoch (UTC, no libc time zone). */
static int64_t
config_tls_epoch(const mbedtls_x509_time *t)
{
	char iso[32];

	snprintf(iso, sizeof(iso), "%04d-%02d-%02dT%02d:%02d:%02dZ", t->year,
	    t->mon, t->day, t->hour, t->min, t->sec);
	return util_time_parse(iso);
}

/* The verify flags as one line ("...; ...") for a warning. */
static void
config_tls_verify_text(uint32_t flags, char *buf, size_t len)
{
	char *p;
	size_t n;

	if (mbedtls_x509_crt_verify_info(buf, len, "", flags) < 0)
		snprintf(buf, len, "flags 0x%x", (unsigned)flags);
	for (p = buf; *p != '\0'; p++)
		if (*p == '\n')
			*p = ';';
	n = strlen(buf);
	while (n > 0 && (buf[n - 1] == ';' || buf[n - 1] == ' '))
		buf[--n] = '\0';
}

int
config__tls_check(struct config__ctx *ctx)
{
	struct pxpd_config *cfg = ctx->cfg;
	mbedtls_x509_crt ca, crt;
	mbedtls_x509_crl crl;
	mbedtls_pk_context key;
	char msg[256];
	struct os_fileinfo info;
	uint32_t flags = 0;
	int ret, rc;

	mbedtls_x509_crt_init(&ca);
	mbedtls_x509_crt_init(&crt);
	mbedtls_x509_crl_init(&crl);
	mbedtls_pk_init(&key);

	if ((rc = config_tls_file(ctx, "ssl-ca-cert", cfg->ssl_ca_cert,
	    true)) != 0 ||
	    (rc = config_tls_file(ctx, "ssl-cert", cfg->ssl_cert, true)) != 0 ||
	    (rc = config_tls_file(ctx, "ssl-key", cfg->ssl_key, true)) != 0 ||
	    (rc = config_tls_file(ctx, "ssl-crl", cfg->ssl_crl, false)) != 0)
		goto cleanup;

	/* A positive return means some certificates of a bundle were
	 * skipped; the others still work, so that is only a warning. */
	if ((ret = mbedtls_x509_crt_parse_file(&ca, cfg->ssl_ca_cert)) < 0) {
		config_tls_strerror(ret, msg, sizeof(msg));
		rc = config__err(ctx, PXPD_EXIT_CONFIG, "ssl-ca-cert: cannot "
		    "parse '%s' (%s)", cfg->ssl_ca_cert, msg);
		goto cleanup;
	}
	if (ret > 0 && (rc = config_tls_warn(ctx, "ssl-ca-cert: %d "
	    "certificate(s) in '%s' could not be parsed and are ignored", ret,
	    cfg->ssl_ca_cert)) != 0)
		goto cleanup;

	if ((ret = mbedtls_x509_crt_parse_file(&crt, cfg->ssl_cert)) != 0) {
		if (ret > 0)
			snprintf(msg, sizeof(msg), "%d certificate(s) invalid",
			    ret);
		else
			config_tls_strerror(ret, msg, sizeof(msg));
		rc = config__err(ctx, PXPD_EXIT_CONFIG, "ssl-cert: cannot "
		    "parse '%s' (%s)", cfg->ssl_cert, msg);
		goto cleanup;
	}
	cfg->cert_not_after = config_tls_epoch(&crt.valid_to);
	if ((cfg->common_name = config_tls_cn(&crt)) == NULL) {
		rc = config__err(ctx, PXPD_EXIT_CONFIG, "ssl-cert: '%s' has no "
		    "usable subject CN (the agent's identity)", cfg->ssl_cert);
		goto cleanup;
	}

	ret = mbedtls_pk_parse_keyfile(&key, cfg->ssl_key, NULL,
	    config_tls_rng, NULL);
	if (ret == MBEDTLS_ERR_PK_PASSWORD_REQUIRED) {
		rc = config__err(ctx, PXPD_EXIT_CONFIG, "ssl-key: '%s' is "
		    "encrypted; pxpd needs an unencrypted key", cfg->ssl_key);
		goto cleanup;
	}
	if (ret != 0) {
		config_tls_strerror(ret, msg, sizeof(msg));
		rc = config__err(ctx, PXPD_EXIT_CONFIG, "ssl-key: cannot parse "
		    "'%s' (%s)", cfg->ssl_key, msg);
		goto cleanup;
	}
	if (mbedtls_pk_check_pair(&crt.pk, &key, config_tls_rng,
	    NULL) != 0) {
		rc = config__err(ctx, PXPD_EXIT_CONFIG, "ssl-key: does not "
		    "match the certificate in ssl-cert (%s)", cfg->ssl_cert);
		goto cleanup;
	}
	/* Puppet keeps private keys 0640 with a private group, so only
	 * access by others (or group write) deserves a word. */
	if (os_path_info(cfg->ssl_key, true, &info) == 0 &&
	    (info.perm & 027) != 0 &&       /* others: any; group: write */
	    (rc = config_tls_warn(ctx, "ssl-key: '%s' is accessible by other "
	    "users (mode %04o); chmod 0600 or 0640 it", cfg->ssl_key,
	    info.perm)) != 0)
		goto cleanup;

	if (*cfg->ssl_crl != '\0' &&
	    (ret = mbedtls_x509_crl_parse_file(&crl, cfg->ssl_crl)) != 0) {
		config_tls_strerror(ret, msg, sizeof(msg));
		rc = config__err(ctx, PXPD_EXIT_CONFIG, "ssl-crl: cannot parse "
		    "'%s' (%s)", cfg->ssl_crl, msg);
		goto cleanup;
	}

	/* pxp-agent starts anyway and fails at the handshake; saying why
	 * up front saves a debugging session. */
	if (mbedtls_x509_crt_verify(&crt, &ca, *cfg->ssl_crl ? &crl : NULL,
	    NULL, &flags, NULL, NULL) != 0) {
		config_tls_verify_text(flags, msg, sizeof(msg));
		if ((rc = config_tls_warn(ctx, "ssl-cert: '%s' does not verify "
		    "against ssl-ca-cert: %s", cfg->ssl_cert, msg)) != 0)
			goto cleanup;
	}
	rc = PXPD_EXIT_OK;
cleanup:
	mbedtls_pk_free(&key);
	mbedtls_x509_crl_free(&crl);
	mbedtls_x509_crt_free(&crt);
	mbedtls_x509_crt_free(&ca);
	return rc;
}
