/* schema.c: what checking and validating share: the walk (its path and
 * message), JSON types, JSON pointers for $ref and a set of node pointers.
 * Not the keywords (schema_check.c, schema_validate.c), value equality
 * (schema_json.c) or patterns (schema_regex*.c). Pure: no I/O, logging
 * or globals; a path too long to show is cut with "...", never overrun. */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extmod/schema_int.h"

/* ---- the walk ---------------------------------------------------------- */

void
schema__walk_init(struct schema_walk *w, const cJSON *root, char *err,
    size_t errlen)
{
	memset(w, 0, sizeof(*w));
	w->path[0] = '$';
	w->path[1] = '\0';
	w->len = 1;
	w->err = err;
	w->errlen = errlen;
	w->root = root;
	w->max_steps = (unsigned long)-1;
	if (err && errlen)
		err[0] = '\0';
}

void
schema__walk_done(struct schema_walk *w)
{
	int i;

	for (i = 0; i < w->cache.n; i++)
		schema__regex_free(w->cache.re[i]);
	w->cache.n = 0;
}

static void
schema_vwrite(struct schema_walk *w, const char *fmt, va_list ap)
{
	int n;

	if (!w->err || w->errlen == 0)
		return;
	n = snprintf(w->err, w->errlen, "%s: ", w->path);
	if (n < 0 || (size_t)n >= w->errlen)
		return;
	vsnprintf(w->err + n, w->errlen - (size_t)n, fmt, ap);
}

int
schema__fail(struct schema_walk *w, const char *fmt, ...)
{
	va_list ap;

	if (w->quiet > 0)
		return -1;
	va_start(ap, fmt);
	schema_vwrite(w, fmt, ap);
	va_end(ap);
	return -1;
}

int
schema__abort(struct schema_walk *w, const char *fmt, ...)
{
	va_list ap;

	/* Only the first hard error is told: the callers unwind after it. */
	if (w->abort)
		return -1;
	w->abort = true;
	va_start(ap, fmt);
	schema_vwrite(w, fmt, ap);
	va_end(ap);
	return -1;
}

static void
schema_path_append(struct schema_walk *w, const char *s, size_t n)
{
	size_t room = sizeof(w->path) - 1 - w->len;

	if (n > room) {
		n = room;
		if (n >= 3) {
			memcpy(w->path + w->len, s, n - 3);
			memcpy(w->path + w->len + n - 3, "...", 3);
			w->len += n;
			w->path[w->len] = '\0';
			return;
		}
	}
	memcpy(w->path + w->len, s, n);
	w->len += n;
	w->path[w->len] = '\0';
}

static bool
schema_name_plain(const char *s)
{
	const char *p;

	if (!*s || !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
	    *s == '_' || *s == '$'))
		return false;
	for (p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' ||
		    *p == '$'))
			return false;
	return p - s <= SCHEMA_KEY_SHOWN;
}

/* Names that are not plain identifiers are shown quoted, escaped and
 * shortened: $["a b"]. */
size_t
schema__path_key(struct schema_walk *w, const char *name)
{
	size_t saved = w->len, i;
	char buf[SCHEMA_KEY_SHOWN * 6 + 16];
	size_t n = 0;

	if (!name)
		name = "";
	if (schema_name_plain(name)) {
		schema_path_append(w, ".", 1);
		schema_path_append(w, name, strlen(name));
		return saved;
	}
	buf[n++] = '[';
	buf[n++] = '"';
	for (i = 0; name[i] && i < SCHEMA_KEY_SHOWN; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c == '"' || c == '\\') {
			buf[n++] = '\\';
			buf[n++] = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "\\u%04x",
			    c);
		} else
			buf[n++] = (char)c;
	}
	if (name[i]) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n++] = '"';
	buf[n++] = ']';
	schema_path_append(w, buf, n);
	return saved;
}

size_t
schema__path_index(struct schema_walk *w, int i)
{
	size_t saved = w->len;
	char buf[24];
	int n = snprintf(buf, sizeof(buf), "[%d]", i);

	schema_path_append(w, buf, (size_t)n);
	return saved;
}

void
schema__path_pop(struct schema_walk *w, size_t saved)
{
	w->len = saved;
	w->path[saved] = '\0';
}

/* ---- types ------------------------------------------------------------- */

static const struct {
	const char *name;
	enum schema_type bit;
} schema_types[] = {
	{ "object", SCHEMA_T_OBJECT },
	{ "array", SCHEMA_T_ARRAY },
	{ "string", SCHEMA_T_STRING },
	{ "number", SCHEMA_T_NUMBER },
	{ "integer", SCHEMA_T_INTEGER },
	{ "boolean", SCHEMA_T_BOOLEAN },
	{ "null", SCHEMA_T_NULL },
};
#define SCHEMA_N_TYPES (sizeof(schema_types) / sizeof(schema_types[0]))

static int
schema_type_bit(const char *name)
{
	size_t i;

	for (i = 0; i < SCHEMA_N_TYPES; i++)
		if (!strcmp(schema_types[i].name, name))
			return (int)schema_types[i].bit;
	return 0;
}

int
schema__type_mask(const cJSON *type)
{
	const cJSON *t;
	int mask = 0, bit;

	if (cJSON_IsString(type))
		return (bit = schema_type_bit(type->valuestring)) ? bit : -1;
	/* An empty list allows nothing; pxp-agent's valijson loads it. */
	if (!cJSON_IsArray(type))
		return -1;
	cJSON_ArrayForEach(t, type) {
		if (!cJSON_IsString(t) || !(bit = schema_type_bit(t->valuestring)))
			return -1;
		mask |= bit;
	}
	return mask;
}

bool
schema__integral(double d)
{
	return isfinite(d) && floor(d) == d;
}

const char *
schema__value_type(const cJSON *v)
{
	if (cJSON_IsObject(v))
		return "object";
	if (cJSON_IsArray(v))
		return "array";
	if (cJSON_IsString(v))
		return "string";
	if (cJSON_IsNumber(v))
		return "number";
	if (cJSON_IsBool(v))
		return "boolean";
	if (cJSON_IsNull(v))
		return "null";
	return "invalid value";
}

/* cJSON keeps no trace of how a number was written, so "integer" means an
 * integral value (1.0 and 1e3 included). */
bool
schema__type_matches(int mask, const cJSON *v)
{
	if (cJSON_IsObject(v))
		return mask & SCHEMA_T_OBJECT;
	if (cJSON_IsArray(v))
		return mask & SCHEMA_T_ARRAY;
	if (cJSON_IsString(v))
		return mask & SCHEMA_T_STRING;
	if (cJSON_IsNumber(v))
		return (mask & SCHEMA_T_NUMBER) || ((mask & SCHEMA_T_INTEGER) &&
		    schema__integral(v->valuedouble));
	if (cJSON_IsBool(v))
		return mask & SCHEMA_T_BOOLEAN;
	if (cJSON_IsNull(v))
		return mask & SCHEMA_T_NULL;
	return false;
}

/* "string", "string or null", "object, array or null" */
void
schema__type_list(int mask, char *buf, size_t len)
{
	size_t i, n = 0, total = 0, done = 0;

	for (i = 0; i < SCHEMA_N_TYPES; i++)
		if (mask & (int)schema_types[i].bit)
			total++;
	buf[0] = '\0';
	for (i = 0; i < SCHEMA_N_TYPES; i++) {
		const char *sep;

		if (!(mask & (int)schema_types[i].bit))
			continue;
		sep = done == 0 ? "" : done + 1 == total ? " or " : ", ";
		done++;
		if (n < len)
			n += (size_t)snprintf(buf + n, len - n, "%s%s", sep,
			    schema_types[i].name);
	}
}

/* ---- JSON pointers ----------------------------------------------------- */

bool
schema__pointer_local(const char *ref)
{
	return ref[0] == '#' && (ref[1] == '\0' || ref[1] == '/');
}

static int
schema_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Undoes ~1 and ~0 in place (RFC 6901 §4); false on any other '~'. */
static bool
schema_token_unescape(char *t)
{
	char *in = t, *out = t;

	while (*in) {
		if (*in != '~') {
			*out++ = *in++;
			continue;
		}
		if (in[1] == '0')
			*out++ = '~';
		else if (in[1] == '1')
			*out++ = '/';
		else
			return false;
		in += 2;
	}
	*out = '\0';
	return true;
}

static bool
schema_token_index(const char *t, const cJSON *array, const cJSON **item,
    int *index)
{
	long i = 0;
	const char *p;

	/* RFC 6901: digits, no leading zero. */
	if (!*t || (t[0] == '0' && t[1]) || strlen(t) > 9)
		return false;
	for (p = t; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		i = i * 10 + (*p - '0');
	}
	*index = (int)i;
	*item = cJSON_GetArrayItem(array, (int)i);
	return *item != NULL;
}

const cJSON *
schema__pointer(const cJSON *root, const char *ref, struct schema_walk *w,
    int *tokens)
{
	const cJSON *cur = root, *next;
	char *buf, *p, *tok, *end;
	size_t n = 0;
	int h, l, index;

	*tokens = 0;
	if (!schema__pointer_local(ref) || !(buf = malloc(strlen(ref))))
		return NULL;
	/* A URI fragment: percent-decode first, then split (RFC 6901 §6). */
	for (p = (char *)ref + 1; *p; p++) {
		if (*p != '%') {
			buf[n++] = *p;
			continue;
		}
		if ((h = schema_hex(p[1])) < 0 || (l = schema_hex(p[2])) < 0 ||
		    (h | l) == 0)
			goto bad;
		buf[n++] = (char)(h * 16 + l);
		p += 2;
	}
	buf[n] = '\0';
	/* buf is empty (the root) or "/tok/tok..." */
	for (p = n ? buf : NULL; p; p = end) {
		tok = p + 1;
		if ((end = strchr(tok, '/')))
			*end = '\0';
		if (!schema_token_unescape(tok))
			goto bad;
		if (cJSON_IsArray(cur)) {
			if (!schema_token_index(tok, cur, &next, &index))
				goto bad;
			if (w)
				schema__path_index(w, index);
		} else if (cJSON_IsObject(cur)) {
			if (!(next = cJSON_GetObjectItemCaseSensitive(cur, tok)))
				goto bad;
			if (w)
				schema__path_key(w, tok);
		} else
			goto bad;
		cur = next;
		(*tokens)++;
	}
	free(buf);
	return cur;
bad:
	free(buf);
	return NULL;
}

/* ---- a set of node pointers -------------------------------------------- */

static size_t
schema_set_slot(const struct schema_set *s, const void *key)
{
	uint64_t h = (uint64_t)(uintptr_t)key * 0x9e3779b97f4a7c15ULL;
	size_t i = (size_t)(h >> 32) & (s->cap - 1);

	while (s->keys[i] && s->keys[i] != key)
		i = (i + 1) & (s->cap - 1);
	return i;
}

unsigned
schema__set_get(const struct schema_set *s, const void *key)
{
	size_t i;

	if (s->cap == 0)
		return 0;
	i = schema_set_slot(s, key);
	return s->keys[i] ? s->flags[i] : 0;
}

static int
schema_set_grow(struct schema_set *s)
{
	struct schema_set bigger;
	size_t i, j;

	bigger.cap = s->cap ? s->cap * 2 : 64;
	bigger.n = s->n;
	bigger.keys = calloc(bigger.cap, sizeof(*bigger.keys));
	bigger.flags = calloc(bigger.cap, sizeof(*bigger.flags));
	if (!bigger.keys || !bigger.flags) {
		free(bigger.keys);
		free(bigger.flags);
		return -1;
	}
	for (i = 0; i < s->cap; i++) {
		if (!s->keys[i])
			continue;
		j = schema_set_slot(&bigger, s->keys[i]);
		bigger.keys[j] = s->keys[i];
		bigger.flags[j] = s->flags[i];
	}
	free(s->keys);
	free(s->flags);
	*s = bigger;
	return 0;
}

int
schema__set_add(struct schema_set *s, const void *key, unsigned flags)
{
	size_t i;

	/* Kept at most half full so that probes stay short. */
	if ((s->n + 1) * 2 > s->cap && schema_set_grow(s) != 0)
		return -1;
	i = schema_set_slot(s, key);
	if (!s->keys[i]) {
		s->keys[i] = key;
		s->flags[i] = 0;
		s->n++;
	}
	s->flags[i] |= (unsigned char)flags;
	return 0;
}

void
schema__set_free(struct schema_set *s)
{
	free(s->keys);
	free(s->flags);
	memset(s, 0, sizeof(*s));
}
