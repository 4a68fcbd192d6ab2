/* pcpt_util.c: small helpers of the test broker and controller: the CN of
 * a certificate file, UUIDs, clocks, bounded number parsing, file reads.
 * Not the websocket plumbing (pcpt_ws.c). No state. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/oid.h>
#include <mbedtls/x509_crt.h>
#include <uv.h>

#include "pcpt.h"

int
pcpt_cert_cn(const char *path, char *out, size_t outlen)
{
	mbedtls_x509_crt crt;
	const mbedtls_x509_name *n;
	int rc = -1;

	mbedtls_x509_crt_init(&crt);
	/* > 0 means some certificates of a bundle failed: the first one is
	 * what counts, as for the real broker. */
	if (mbedtls_x509_crt_parse_file(&crt, path) < 0 || crt.raw.len == 0)
		goto cleanup;
	for (n = &crt.subject; n != NULL; n = n->next) {
		if (MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &n->oid) != 0)
			continue;
		if (n->val.len == 0 || n->val.len >= outlen)
			goto cleanup;
		memcpy(out, n->val.p, n->val.len);
		out[n->val.len] = '\0';
		rc = 0;
		break;
	}
cleanup:
	mbedtls_x509_crt_free(&crt);
	return rc;
}

void
pcpt_uuid(char out[PCPT_UUID_LEN])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char r[16];
	size_t i, o = 0;

	if (uv_random(NULL, NULL, r, sizeof(r), 0, NULL) != 0) {
		/* Test tool only: fall back to a weak but unique-enough id. */
		uint64_t t = uv_hrtime();

		for (i = 0; i < sizeof(r); i++)
			r[i] = (unsigned char)(t >> (8 * (i % 8))) ^ (unsigned char)rand();
	}
	r[6] = (unsigned char)((r[6] & 0x0f) | 0x40);
	r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
	for (i = 0; i < sizeof(r); i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[r[i] >> 4];
		out[o++] = hex[r[i] & 0x0f];
	}
	out[o] = '\0';
}

double
pcpt_now_ms(void)
{
	return (double)uv_hrtime() / 1e6;
}

int
pcpt_num_parse(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
pcpt_file_read(const char *path, char **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL, *nb;
	size_t cap = 0, n = 0, r;
	int rc = 0;

	*out = NULL;
	*len = 0;
	if (f == NULL)
		return -errno;
	for (;;) {
		if (cap - n < 65536) {
			cap = cap == 0 ? 65536 : cap * 2;
			if ((nb = realloc(buf, cap + 1)) == NULL) {
				rc = -ENOMEM;
				goto cleanup;
			}
			buf = nb;
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (r == 0)
			break;
	}
	if (ferror(f)) {
		rc = -EIO;
		goto cleanup;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	buf = NULL;
cleanup:
	free(buf);
	fclose(f);
	return rc;
}
