/* test_audit.c: the audit log's parameter digest (issue 10 item 13): an
 * HMAC-SHA256 under a per-host key made on first open (0600) and read
 * again on the next, never the bare sha256 of the parameters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <mbedtls/md.h>
#include <mbedtls/sha256.h>

#include "engine/audit.h"

struct fx {
	char dir[64], log[128], key[128];
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/pxpd-audit-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->log, sizeof(f->log), "%s/audit.log", f->dir);
	snprintf(f->key, sizeof(f->key), "%s/%s", f->dir, AUDIT_KEY_NAME);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static size_t
slurp(const char *path, char *buf, size_t max)
{
	FILE *fp = fopen(path, "rb");
	size_t n;

	assert_non_null(fp);
	n = fread(buf, 1, max - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return n;
}

static void
hex(const unsigned char *in, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", in[i]);
}

/* One request line for params; returns its params_hmac_sha256. */
static void
log_one(struct fx *f, const cJSON *params, char out[65])
{
	char err[256], line[4096], *p;
	struct audit *a;

	unlink(f->log);
	err[0] = '\0';
	a = audit_open(f->log, f->key, err, sizeof(err));
	assert_non_null(a);
	audit_log(a, &(struct audit_event){ .event = "request",
	    .sender = "pcp://c/controller", .params = params,
	    .duration_ms = -1, .exitcode = -2147483647 - 1 });
	audit_close(a);
	slurp(f->log, line, sizeof(line));
	assert_null(strstr(line, "s3cret"));
	assert_null(strstr(line, "params_sha256"));
	p = strstr(line, "\"params_hmac_sha256\":\"");
	assert_non_null(p);
	memcpy(out, p + 22, 64);
	out[64] = '\0';
}

static void
audit_key_made_private_then_reused(void **state)
{
	struct fx *f = *state;
	cJSON *params = cJSON_Parse("{\"password\":\"s3cret\"}");
	unsigned char key[AUDIT_KEY_LEN], mac[32], sum[32];
	char text[256], first[65], again[65], want[65], bare[65];
	const char *json = "{\"password\":\"s3cret\"}";
	struct stat st;
	size_t i;

	log_one(f, params, first);
	assert_int_equal(stat(f->key, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(slurp(f->key, text, sizeof(text)), 65);
	assert_int_equal(text[64], '\n');
	for (i = 0; i < AUDIT_KEY_LEN; i++) {
		unsigned v;

		assert_int_equal(sscanf(text + 2 * i, "%2x", &v), 1);
		key[i] = (unsigned char)v;
	}
	assert_int_equal(mbedtls_md_hmac(mbedtls_md_info_from_type(
	    MBEDTLS_MD_SHA256), key, sizeof(key), (const unsigned char *)json,
	    strlen(json), mac), 0);
	hex(mac, sizeof(mac), want);
	assert_string_equal(first, want);
	mbedtls_sha256((const unsigned char *)json, strlen(json), sum, 0);
	hex(sum, sizeof(sum), bare);
	assert_string_not_equal(first, bare);

	/* The next start reads the same key: the same digest. */
	log_one(f, params, again);
	assert_string_equal(again, first);
	assert_int_equal(slurp(f->key, text + 100, 100), 65);
	assert_memory_equal(text, text + 100, 65);
	cJSON_Delete(params);
}

static void
audit_key_refused_when_readable_or_bad(void **state)
{
	struct fx *f = *state;
	char err[256];
	FILE *fp;

	/* a key others may read is no secret */
	fp = fopen(f->key, "w");
	assert_non_null(fp);
	fprintf(fp, "%064d\n", 0);
	fclose(fp);
	chmod(f->key, 0644);
	err[0] = '\0';
	assert_null(audit_open(f->log, f->key, err, sizeof(err)));
	assert_non_null(strstr(err, "make it 0600"));
	/* private but not a key */
	chmod(f->key, 0600);
	fp = fopen(f->key, "w");
	fprintf(fp, "short\n");
	fclose(fp);
	assert_null(audit_open(f->log, f->key, err, sizeof(err)));
	assert_non_null(strstr(err, "64 hex digits"));
	/* a symlink is not followed */
	unlink(f->key);
	assert_int_equal(symlink("/etc/hostname", f->key), 0);
	assert_null(audit_open(f->log, f->key, err, sizeof(err)));
	/* nothing was logged by the refused opens */
	assert_int_equal(access(f->log, F_OK), -1);
	/* no audit log: no key either */
	unlink(f->key);
	assert_null(audit_open("", f->key, err, sizeof(err)));
	assert_int_equal(access(f->key, F_OK), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    audit_key_made_private_then_reused, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    audit_key_refused_when_readable_or_bad, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
