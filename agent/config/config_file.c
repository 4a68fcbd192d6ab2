/* config_file.c: reads the config file (strict JSON, one object) and
 * applies its keys over the defaults. Not the command line or defaults
 * (config.c) nor the meaning of values (config_check.c). Invariant: the
 * file is size-capped before parsing, every value goes through a cJSON_Is*
 * check, and a value of the wrong type is a parse failure naming the key
 * ("field '<k>' must be of type <t>", exit 2) as in pxp-agent.
 *
 * pxp-agent parses the file as HOCON. pxpd takes strict JSON only (no
 * comments, includes or unquoted keys), but keeps HOCON's value
 * conversions that real pxp-agent.conf files rely on: "pcp-version": 2 or
 * "2", "connection-timeout": "10", "foreground": "true"/"yes"/"on". */
#include "config/config_int.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "os/os.h"

#define CONFIG_FILE_MAX (1024 * 1024)

/* Integral and small enough to print exactly; no libm needed. */
static bool
config_double_integral(double d)
{
	return d > -1e15 && d < 1e15 && (double)(long long)d == d;
}

static bool
config_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool
config_suffix_ok(const char *path)
{
	size_t n = strlen(path);

	return (n >= 5 && strcmp(path + n - 5, ".conf") == 0) ||
	    (n >= 5 && strcmp(path + n - 5, ".json") == 0);
}

/* HOCON renders numbers and booleans as strings where a string is asked
 * for; the result is written into buf (or points into the item). */
static const char *
config_value_str(const cJSON *item, char *buf, size_t buflen)
{
	double d;

	if (cJSON_IsString(item))
		return item->valuestring;
	if (cJSON_IsBool(item))
		return cJSON_IsTrue(item) ? "true" : "false";
	if (cJSON_IsNumber(item)) {
		d = item->valuedouble;
		if (config_double_integral(d))
			snprintf(buf, buflen, "%lld", (long long)d);
		else
			snprintf(buf, buflen, "%.17g", d);
		return buf;
	}
	return NULL;
}

static int
config_value_int(const cJSON *item, long long *out)
{
	char *end;
	double d;
	long long v;

	if (cJSON_IsNumber(item)) {
		d = item->valuedouble;
		if (!config_double_integral(d) || d < -2147483648.0 ||
		    d > 2147483647.0)
			return -1;
		*out = (long long)d;
		return 0;
	}
	if (cJSON_IsString(item)) {
		const char *s = item->valuestring;
		if (*s == '\0' || (*s != '-' && (*s < '0' || *s > '9')))
			return -1;
		errno = 0;
		v = strtoll(s, &end, 10);
		if (errno != 0 || *end != '\0' || v < -2147483648LL ||
		    v > 2147483647LL)
			return -1;
		*out = v;
		return 0;
	}
	return -1;
}

static int
config_value_bool(const cJSON *item, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on" };
	static const char *const no[] = { "false", "no", "off" };
	size_t i;

	if (cJSON_IsBool(item)) {
		*out = cJSON_IsTrue(item);
		return 0;
	}
	if (!cJSON_IsString(item))
		return -1;
	for (i = 0; i < 3; i++) {
		if (strcmp(item->valuestring, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcmp(item->valuestring, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

static int
config_type_err(struct config__ctx *ctx, const struct config__row *row,
    const char *type)
{
	return config__err(ctx, PXPD_EXIT_PARSE,
	    "field '%s' must be of type %s", row->name, type);
}

static int
config_list_apply(struct config__ctx *ctx, const struct config__row *row,
    const cJSON *item)
{
	const char *vals[PXPD_MAX_URIS];
	char bufs[PXPD_MAX_URIS][32];
	const cJSON *el;
	int n = 0;

	if (!cJSON_IsArray(item))
		return config_type_err(ctx, row, "array of strings");
	cJSON_ArrayForEach(el, item) {
		if (n == PXPD_MAX_URIS)
			return config__err(ctx, PXPD_EXIT_CONFIG,
			    "%s: more than %d URIs", row->name, PXPD_MAX_URIS);
		vals[n] = config_value_str(el, bufs[n], sizeof(bufs[n]));
		if (vals[n] == NULL)
			return config_type_err(ctx, row, "array of strings");
		n++;
	}
	if (config__list_set(ctx->cfg, row, vals, n) < 0)
		return config__err(ctx, PXPD_EXIT_FAILURE, "out of memory");
	return PXPD_EXIT_OK;
}

static int
config_item_apply(struct config__ctx *ctx, const struct config__row *row,
    const cJSON *item)
{
	char *field;
	const char *s;
	char buf[64];
	long long l;
	bool b;

	if (ctx->on_cli[row - config__rows])
		return PXPD_EXIT_OK;    /* the command line wins */
	ctx->in_file[row - config__rows] = true;
	if (row->off == CONFIG_NO_FIELD) {      /* accepted, unused */
		if (config_value_str(item, buf, sizeof(buf)) == NULL)
			return config_type_err(ctx, row, "string");
		return PXPD_EXIT_OK;
	}
	field = (char *)ctx->cfg + row->off;

	switch (row->type) {
	case CONFIG_T_STR:
	case CONFIG_T_PATH:
		if ((s = config_value_str(item, buf, sizeof(buf))) == NULL)
			return config_type_err(ctx, row, "string");
		if (config__str_set(ctx->cfg, row, s) < 0)
			return config__err(ctx, PXPD_EXIT_FAILURE,
			    "out of memory");
		return PXPD_EXIT_OK;
	case CONFIG_T_INT:
		if (config_value_int(item, &l) < 0)
			return config_type_err(ctx, row, "integer");
		*(long long *)field = l;
		return PXPD_EXIT_OK;
	case CONFIG_T_BOOL:
		if (config_value_bool(item, &b) < 0)
			return config_type_err(ctx, row, "boolean");
		*(bool *)field = b;
		return PXPD_EXIT_OK;
	case CONFIG_T_PCPVER:
		if ((s = config_value_str(item, buf, sizeof(buf))) == NULL)
			return config_type_err(ctx, row, "string");
		/* 0 = invalid, reported by config__finish with the other
		 * semantic errors (exit 3, as pxp-agent). */
		*(int *)field = strcmp(s, "1") == 0 ? 1 :
		    strcmp(s, "2") == 0 ? 2 : 0;
		return PXPD_EXIT_OK;
	case CONFIG_T_STRLIST:
		return config_list_apply(ctx, row, item);
	}
	return PXPD_EXIT_OK;
}

static int
config_line_of(const char *text, const char *at)
{
	int line = 1;

	for (; text < at; text++)
		if (*text == '\n')
			line++;
	return line;
}

int
config__json_apply(struct config__ctx *ctx, const char *text, size_t len,
    const char *name)
{
	const struct config__row *row, *primary, *master;
	const cJSON *item, *master_item = NULL;
	const char *end = NULL, *p;
	cJSON *root = NULL;
	char note[256];
	int rc = PXPD_EXIT_OK;

	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
		text += 3;      /* UTF-8 byte order mark, as editors write */
		len -= 3;
	}
	for (p = text; p < text + len && config_is_space(*p); p++)
		;
	if (p == text + len)
		return PXPD_EXIT_OK;    /* empty file = empty object (HOCON) */

	/* cJSON skips any byte <= 0x20 as white space, NUL included; a NUL
	 * in a text file means it is not the file we think it is. */
	if (memchr(text, '\0', len) != NULL) {
		rc = config__err(ctx, PXPD_EXIT_PARSE, "cannot parse config "
		    "file %s: it contains a NUL byte", name);
		goto cleanup;
	}
	root = cJSON_ParseWithLengthOpts(text, len, &end, false);
	if (end == NULL || end < text || end > text + len)
		end = text;
	for (p = end; root != NULL && p < text + len &&
	    config_is_space(*p); p++)
		;
	if (root == NULL || p < text + len) {
		rc = config__err(ctx, PXPD_EXIT_PARSE,
		    "cannot parse config file %s: invalid JSON at line %d "
		    "(strict JSON only: HOCON comments, includes and unquoted "
		    "keys are not supported)", name,
		    config_line_of(text, root == NULL ? end : p));
		goto cleanup;
	}
	if (!cJSON_IsObject(root)) {
		rc = config__err(ctx, PXPD_EXIT_PARSE,
		    "cannot parse config file %s: the top level must be a "
		    "JSON object", name);
		goto cleanup;
	}

	primary = config__row_find("primary-uris");
	master = config__row_find("master-uris");
	cJSON_ArrayForEach(item, root) {
		const char *key = item->string ? item->string : "";

		row = config__row_find(key);
		if (row == NULL) {
			if (config__note_add(ctx->cfg->unknown_keys,
			    &ctx->cfg->n_unknown_keys, key) < 0) {
				rc = config__err(ctx, PXPD_EXIT_FAILURE,
				    "out of memory");
				goto cleanup;
			}
			continue;
		}
		if (!(row->flags & CONFIG_F_FILE)) {
			snprintf(note, sizeof(note), "%s: only accepted on the "
			    "command line; ignored in the config file",
			    row->name);
			if (config__note_add(ctx->cfg->warnings,
			    &ctx->cfg->n_warnings, note) < 0) {
				rc = config__err(ctx, PXPD_EXIT_FAILURE,
				    "out of memory");
				goto cleanup;
			}
			continue;
		}
		if (row == master) {
			master_item = item;     /* primary-uris wins, see below */
			continue;
		}
		if ((rc = config_item_apply(ctx, row, item)) != 0)
			goto cleanup;
	}
	if (master_item != NULL && !ctx->in_file[primary - config__rows] &&
	    (rc = config_item_apply(ctx, master, master_item)) != 0)
		goto cleanup;

	/* pxp-agent refuses this while parsing the file (exit 2). */
	if (ctx->in_file[config__row_find("broker-ws-uri") - config__rows] &&
	    ctx->in_file[config__row_find("broker-ws-uris") - config__rows]) {
		rc = config__err(ctx, PXPD_EXIT_PARSE, "broker-ws-uri and "
		    "broker-ws-uris cannot both be defined in the config file");
		goto cleanup;
	}
cleanup:
	cJSON_Delete(root);
	return rc;
}

int
config__file_apply(struct config__ctx *ctx, const char *path, bool explicit)
{
	struct os_fileinfo info;
	char *buf = NULL;
	size_t len = 0;
	bool truncated;
	int rc;

	if (os_path_info(path, true, &info) == -ENOENT) {
		/* The default file may be absent: defaults plus flags can be
		 * enough. A file named with --config-file must be there. */
		if (!explicit)
			return PXPD_EXIT_OK;
		return config__err(ctx, PXPD_EXIT_PARSE,
		    "config-file: '%s' does not exist", path);
	}
	if (!config_suffix_ok(path))
		return config__err(ctx, PXPD_EXIT_PARSE,
		    "config-file: '%s' must end with .conf or .json", path);
	/* Read to EOF rather than trusting the size: the file may grow. */
	rc = os_read_file(path, true, CONFIG_FILE_MAX, &buf, &len, &truncated);
	if (rc == -EINVAL)
		return config__err(ctx, PXPD_EXIT_PARSE,
		    "config-file: '%s' is not a regular file", path);
	if (rc == -ENOMEM)
		return config__err(ctx, PXPD_EXIT_FAILURE, "out of memory");
	if (rc != 0)
		return config__err(ctx, PXPD_EXIT_PARSE,
		    "config-file: cannot read '%s': %s", path, strerror(-rc));
	if (truncated) {
		rc = config__err(ctx, PXPD_EXIT_PARSE,
		    "config-file: '%s' is larger than %d bytes", path,
		    CONFIG_FILE_MAX);
		goto cleanup;
	}
	ctx->cfg->config_file_found = true;
	rc = config__json_apply(ctx, buf, len, path);
cleanup:
	free(buf);
	return rc;
}
