/* schema_fuzz.c: libFuzzer harness for JSON Schema draft 4
 * (modules/extmod/schema*.c). Input: "<schema JSON>\n---\n<value JSON>", or,
 * without the separator, the first line is the schema and the rest the
 * value. Any pair must check and validate without crashing, with 0 or -1,
 * a terminated message exactly when -1, and the same answer twice. When
 * the value is a string it is also tried as a pattern (the ECMA-262 to
 * POSIX translation): as "pattern" and as a patternProperties key,
 * against itself, "" and the schema's members. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extmod/schema.h"

#define FUZZ_CHECK(c) do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_validate(const cJSON *schema, const cJSON *value)
{
	char err[256], again[256];
	int rc;

	memset(err, 'x', sizeof(err));
	rc = schema_validate(schema, value, err, sizeof(err));
	FUZZ_CHECK(rc == 0 || rc == -1);
	FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL);
	FUZZ_CHECK((rc == 0) == (err[0] == '\0'));
	FUZZ_CHECK(rc == -1 || schema_validate(schema, value, NULL, 0) == 0);
	FUZZ_CHECK(schema_validate(schema, value, again, sizeof(again)) == rc);
	FUZZ_CHECK(strcmp(err, again) == 0);
}

/* The value string as a pattern: checked, then applied to a few
 * subjects; a pattern that checks must never fail validation for any
 * other reason than not matching. */
static void
fuzz_pattern(const char *pattern, const cJSON *schema)
{
	cJSON *s = cJSON_CreateObject(), *pp = cJSON_CreateObject(), *subj;
	const cJSON *c;
	char err[1024];     /* room for the longest path (511) and a reason */
	int rc;

	if (!s || !pp)
		goto out;
	cJSON_AddStringToObject(s, "pattern", pattern);
	cJSON_AddItemToObject(pp, "patternProperties", cJSON_CreateObject());
	cJSON_AddItemToObject(cJSON_GetObjectItem(pp, "patternProperties"),
	    pattern, cJSON_CreateObject());
	cJSON_AddFalseToObject(pp, "additionalProperties");
	rc = schema_check(s, err, sizeof(err));
	FUZZ_CHECK(rc == 0 || rc == -1);
	/* the same pattern checks the same way as a key */
	FUZZ_CHECK(schema_check(pp, err, sizeof(err)) == rc);
	if (rc != 0)
		goto out;
	subj = cJSON_CreateString(pattern);
	fuzz_validate(s, subj);
	cJSON_Delete(subj);
	subj = cJSON_CreateString("");
	fuzz_validate(s, subj);
	cJSON_Delete(subj);
	cJSON_ArrayForEach(c, schema)
		if (cJSON_IsString(c)) {
			fuzz_validate(s, c);
			rc = schema_validate(s, c, err, sizeof(err));
			FUZZ_CHECK(rc == 0 || strstr(err, "does not match"));
		}
	if (cJSON_IsObject(schema)) {
		fuzz_validate(pp, schema);
		rc = schema_validate(pp, schema, err, sizeof(err));
		FUZZ_CHECK(rc == 0 || strstr(err, "additional property"));
	}
out:
	cJSON_Delete(s);
	cJSON_Delete(pp);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data, *sep;
	size_t schema_len, value_off;
	cJSON *schema, *value;
	char err[256];
	int rc;

	sep = memmem(text, size, "\n---\n", 5);
	if (sep) {
		schema_len = (size_t)(sep - text);
		value_off = schema_len + 5;
	} else {
		sep = memchr(text, '\n', size);
		schema_len = sep ? (size_t)(sep - text) : size;
		value_off = sep ? schema_len + 1 : size;
	}
	schema = cJSON_ParseWithLength(text, schema_len);
	value = cJSON_ParseWithLength(text + value_off, size - value_off);

	memset(err, 'x', sizeof(err));
	rc = schema_check(schema, err, sizeof(err));
	FUZZ_CHECK(rc == 0 || rc == -1);
	FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL);
	FUZZ_CHECK((rc == 0) == (err[0] == '\0'));
	/* Checked or not, validation must hold up: it fails closed. */
	fuzz_validate(schema, value);
	if (rc == 0) {
		fuzz_validate(schema, NULL);
		fuzz_validate(schema, schema);
	}
	if (cJSON_IsString(value))
		fuzz_pattern(value->valuestring, schema);
	cJSON_Delete(schema);
	cJSON_Delete(value);
	return 0;
}
