/* flags.c: turns a run request's input into puppet agent's argv. Each flag,
 * stripped, must be made of [a-zA-Z0-9_:,.-] only (so "--x=y" and anything
 * a shell would read are out; values travel as their own items); "--name"
 * and "--no-name" items must name an allowed setting; onetime, daemonize
 * and verbose are accepted only as the defaults pxp-agent forces, which are
 * appended when missing. Not running puppet (run.c). Pure: no I/O; the
 * argv owns copies of every string, and an item is never passed on
 * unchecked. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "flags.h"

#define FLAGS_SHOWN_MAX 200     /* longest flag quoted in an error */

static const char *const flags_defaults[] = {
	"--onetime", "--no-daemonize", "--verbose",
};

static const char *const flags_default_names[] = {
	"onetime", "daemonize", "verbose",
};

/* The settings pxp-agent's module lets a request change. */
static const char *const flags_allowed[] = {
	"color", "configtimeout", "debug", "disable_warnings", "environment",
	"evaltrace", "filetimeout", "graph", "http_connect_timeout",
	"http_debug", "http_keepalive_timeout", "http_read_timeout",
	"log_level", "noop", "ordering", "pluginsync", "show_diff",
	"skip_tags", "splay", "strict_environment_mode", "tags", "trace",
	"use_cached_catalog", "usecacheonfailure", "waitforcert",
};

/* pxpd addition: lets a caller tell "changed" (2) from "failed" (4, 6);
 * run.c then counts exit code 2 as success. Only this exact spelling. */
#define FLAGS_DETAILED "--detailed-exitcodes"

#define FLAGS_NELEM(a) (sizeof(a) / sizeof((a)[0]))

static void
flags_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

int
puppet_argv_push(struct puppet_argv *a, const char *s)
{
	char *copy;

	if (a->n + 2 > a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 16;
		char **grown = realloc(a->v, cap * sizeof(*grown));
		if (grown == NULL)
			return -1;
		a->v = grown;
		a->cap = cap;
	}
	copy = strdup(s);
	if (copy == NULL)
		return -1;
	a->v[a->n++] = copy;
	a->v[a->n] = NULL;
	return 0;
}

void
puppet_argv_free(struct puppet_argv *a)
{
	size_t i;

	if (a == NULL)
		return;
	for (i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	memset(a, 0, sizeof(*a));
}

int
puppet_argv_has(const struct puppet_argv *a, const char *flag)
{
	size_t i;

	for (i = 2; i < a->n; i++)
		if (strcmp(a->v[i], flag) == 0)
			return 1;
	return 0;
}

static int
flags_in(const char *name, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(name, list[i]) == 0)
			return 1;
	return 0;
}

static int
flags_charset_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == ':' ||
		      c == ',' || c == '.' || c == '-'))
			return 0;
	}
	return 1;
}

static int
flags_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' ||
	       c == '\r';
}

/* Ruby's String#strip: ASCII whitespace at either end. */
static void
flags_strip(const char **s, size_t *len)
{
	while (*len > 0 && flags_is_space((*s)[0])) {
		(*s)++;
		(*len)--;
	}
	while (*len > 0 && flags_is_space((*s)[*len - 1]))
		(*len)--;
}

/* How much of s to quote in an error: at most FLAGS_SHOWN_MAX bytes, cut
 * on a UTF-8 character boundary so the result stays valid text. */
static int
flags_shown_len(const char *s)
{
	size_t len = strlen(s);

	if (len <= FLAGS_SHOWN_MAX)
		return (int)len;
	len = FLAGS_SHOWN_MAX;
	while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
		len--;
	return (int)len;
}

/* One flag, already stripped and charset-checked. */
static int
flags_check_one(const char *flag, char *err, size_t errlen)
{
	const char *name;
	size_t i;

	if (strncmp(flag, "--", 2) != 0)
		return 0;
	if (strcmp(flag, FLAGS_DETAILED) == 0)
		return 0;
	name = strncmp(flag, "--no-", 5) == 0 ? flag + 5 : flag + 2;
	if (flags_in(name, flags_default_names, FLAGS_NELEM(flags_default_names))) {
		for (i = 0; i < FLAGS_NELEM(flags_defaults); i++)
			if (strcmp(flag, flags_defaults[i]) == 0)
				return 0;
		flags_err(err, errlen, "The json received on STDIN overrides a "
		          "default setting with: %s", flag);
		return -1;
	}
	if (!flags_in(name, flags_allowed, FLAGS_NELEM(flags_allowed))) {
		flags_err(err, errlen, "The json received on STDIN included a "
		          "non-permitted flag: %s", flag);
		return -1;
	}
	return 0;
}

int
puppet_flags_build(const cJSON *input, const char *bin, struct puppet_argv *out,
                   char *err, size_t errlen)
{
	const cJSON *flags, *job, *item;
	size_t i;
	int idx = 0;

	memset(out, 0, sizeof(*out));
	if (!cJSON_IsObject(input)) {
		flags_err(err, errlen, "The json received on STDIN did not "
		          "contain a valid 'input' object");
		return -1;
	}
	flags = cJSON_GetObjectItemCaseSensitive(input, "flags");
	if (!cJSON_IsArray(flags)) {
		flags_err(err, errlen, "The json received on STDIN did not "
		          "contain a 'flags' array");
		return -1;
	}
	if (cJSON_GetArraySize(flags) > FLAGS_COUNT_MAX) {
		flags_err(err, errlen, "The json received on STDIN has more than "
		          "%d flags", FLAGS_COUNT_MAX);
		return -1;
	}
	job = cJSON_GetObjectItemCaseSensitive(input, "job");
	if (job != NULL && !cJSON_IsString(job)) {
		flags_err(err, errlen, "The json received on STDIN has a 'job' "
		          "that is not a string");
		return -1;
	}
	if (puppet_argv_push(out, bin) < 0 || puppet_argv_push(out, "agent") < 0)
		return -2;
	cJSON_ArrayForEach(item, flags) {
		const char *s;
		size_t len;
		char *flag;

		if (!cJSON_IsString(item)) {
			flags_err(err, errlen, "The json received on STDIN has a "
			          "flag that is not a string (flags[%d])", idx);
			return -1;
		}
		s = item->valuestring;
		len = strlen(s);
		flags_strip(&s, &len);
		if (len > FLAGS_LEN_MAX || !flags_charset_ok(s, len)) {
			flags_err(err, errlen, "The json received on STDIN contained "
			          "characters not present in valid flags: %.*s",
			          flags_shown_len(item->valuestring),
			          item->valuestring);
			return -1;
		}
		flag = puppet_strndup(s, len);
		if (flag == NULL)
			return -2;
		if (flags_check_one(flag, err, errlen) < 0) {
			free(flag);
			return -1;
		}
		if (puppet_argv_push(out, flag) < 0) {
			free(flag);
			return -2;
		}
		free(flag);
		idx++;
	}
	for (i = 0; i < FLAGS_NELEM(flags_defaults); i++)
		if (!puppet_argv_has(out, flags_defaults[i]) &&
		    puppet_argv_push(out, flags_defaults[i]) < 0)
			return -2;
	if (job != NULL && (puppet_argv_push(out, "--job-id") < 0 ||
	                    puppet_argv_push(out, job->valuestring) < 0))
		return -2;
	return 0;
}
