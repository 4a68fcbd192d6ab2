/* schema.c: checks and applies the JSON Schema subset of schema.h. Not
 * where schemas come from (extmod.c reads module metadata). Pure: no I/O,
 * no logging, no globals; every recursion is bounded by SCHEMA_DEPTH_MAX
 * and every keyword is type-checked before use, so any cJSON tree, however
 * hostile, yields 0 or -1 with a message. */
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "schema.h"

#define SCHEMA_PATH_MAX 512
#define SCHEMA_KEY_SHOWN 64     /* longest property name quoted in a path */

enum schema_type {
	SCHEMA_T_OBJECT = 1 << 0,
	SCHEMA_T_ARRAY = 1 << 1,
	SCHEMA_T_STRING = 1 << 2,
	SCHEMA_T_NUMBER = 1 << 3,
	SCHEMA_T_INTEGER = 1 << 4,
	SCHEMA_T_BOOLEAN = 1 << 5,
	SCHEMA_T_NULL = 1 << 6,
};

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

/* How schema_check() treats each keyword it knows. Keys found in no row
 * are not draft 4 keywords and are ignored, as draft 4 requires. */
enum schema_kw_kind {
	SCHEMA_KW_TYPE,
	SCHEMA_KW_PROPERTIES,
	SCHEMA_KW_REQUIRED,
	SCHEMA_KW_BOOL_OR_SCHEMA,   /* additionalProperties, additionalItems */
	SCHEMA_KW_ITEMS,
	SCHEMA_KW_ENUM,
	SCHEMA_KW_COUNT,            /* non-negative integer */
	SCHEMA_KW_NUMBER,
	SCHEMA_KW_BOOL,
	SCHEMA_KW_ANNOTATION,       /* accepted, ignored */
	SCHEMA_KW_UNSUPPORTED,
};

static const struct {
	const char *name;
	enum schema_kw_kind kind;
} schema_keywords[] = {
	{ "type", SCHEMA_KW_TYPE },
	{ "properties", SCHEMA_KW_PROPERTIES },
	{ "required", SCHEMA_KW_REQUIRED },
	{ "additionalProperties", SCHEMA_KW_BOOL_OR_SCHEMA },
	{ "items", SCHEMA_KW_ITEMS },
	{ "additionalItems", SCHEMA_KW_BOOL_OR_SCHEMA },
	{ "enum", SCHEMA_KW_ENUM },
	{ "minLength", SCHEMA_KW_COUNT },
	{ "maxLength", SCHEMA_KW_COUNT },
	{ "minItems", SCHEMA_KW_COUNT },
	{ "maxItems", SCHEMA_KW_COUNT },
	{ "minProperties", SCHEMA_KW_COUNT },
	{ "maxProperties", SCHEMA_KW_COUNT },
	{ "minimum", SCHEMA_KW_NUMBER },
	{ "maximum", SCHEMA_KW_NUMBER },
	{ "exclusiveMinimum", SCHEMA_KW_BOOL },
	{ "exclusiveMaximum", SCHEMA_KW_BOOL },
	{ "$schema", SCHEMA_KW_ANNOTATION },
	{ "id", SCHEMA_KW_ANNOTATION },
	{ "title", SCHEMA_KW_ANNOTATION },
	{ "description", SCHEMA_KW_ANNOTATION },
	{ "default", SCHEMA_KW_ANNOTATION },
	{ "format", SCHEMA_KW_ANNOTATION },
	{ "definitions", SCHEMA_KW_ANNOTATION },
	{ "$ref", SCHEMA_KW_UNSUPPORTED },
	{ "allOf", SCHEMA_KW_UNSUPPORTED },
	{ "anyOf", SCHEMA_KW_UNSUPPORTED },
	{ "oneOf", SCHEMA_KW_UNSUPPORTED },
	{ "not", SCHEMA_KW_UNSUPPORTED },
	{ "pattern", SCHEMA_KW_UNSUPPORTED },
	{ "patternProperties", SCHEMA_KW_UNSUPPORTED },
	{ "dependencies", SCHEMA_KW_UNSUPPORTED },
	{ "uniqueItems", SCHEMA_KW_UNSUPPORTED },
	{ "multipleOf", SCHEMA_KW_UNSUPPORTED },
};
#define SCHEMA_N_KEYWORDS (sizeof(schema_keywords) / sizeof(schema_keywords[0]))

/* The walk's position, for messages: "$.a.b[3]". */
struct schema_walk {
	char path[SCHEMA_PATH_MAX];
	size_t len;
	char *err;
	size_t errlen;
};

static void schema_fail(struct schema_walk *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
schema_fail(struct schema_walk *w, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!w->err || w->errlen == 0)
		return;
	n = snprintf(w->err, w->errlen, "%s: ", w->path);
	if (n < 0 || (size_t)n >= w->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(w->err + n, w->errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

static void
schema_path_append(struct schema_walk *w, const char *s, size_t n)
{
	size_t room = sizeof(w->path) - 1 - w->len;

	/* A path too long to show ends in "..." rather than failing. */
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

/* Enters property name; returns the length to restore with
 * schema_path_pop(). Names that are not plain identifiers are shown
 * quoted, escaped and shortened: $["a b"]. */
static size_t
schema_path_key(struct schema_walk *w, const char *name)
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

static size_t
schema_path_index(struct schema_walk *w, int i)
{
	size_t saved = w->len;
	char buf[24];
	int n = snprintf(buf, sizeof(buf), "[%d]", i);

	schema_path_append(w, buf, (size_t)n);
	return saved;
}

static void
schema_path_pop(struct schema_walk *w, size_t saved)
{
	w->len = saved;
	w->path[saved] = '\0';
}

static void
schema_walk_init(struct schema_walk *w, char *err, size_t errlen)
{
	w->path[0] = '$';
	w->path[1] = '\0';
	w->len = 1;
	w->err = err;
	w->errlen = errlen;
	if (err && errlen)
		err[0] = '\0';
}

/* ---- types ------------------------------------------------------------ */

static int
schema_type_bit(const char *name)
{
	size_t i;

	for (i = 0; i < SCHEMA_N_TYPES; i++)
		if (!strcmp(schema_types[i].name, name))
			return (int)schema_types[i].bit;
	return 0;
}

/* The accepted types as a mask; 0 when "type" is malformed. */
static int
schema_type_mask(const cJSON *type)
{
	const cJSON *t;
	int mask = 0, bit;

	if (cJSON_IsString(type))
		return schema_type_bit(type->valuestring);
	if (!cJSON_IsArray(type) || !type->child)
		return 0;
	cJSON_ArrayForEach(t, type) {
		if (!cJSON_IsString(t) || !(bit = schema_type_bit(t->valuestring)))
			return 0;
		mask |= bit;
	}
	return mask;
}

static bool
schema_integral(double d)
{
	return isfinite(d) && floor(d) == d;
}

static const char *
schema_value_type(const cJSON *v)
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

static bool
schema_type_matches(int mask, const cJSON *v)
{
	if (cJSON_IsObject(v))
		return mask & SCHEMA_T_OBJECT;
	if (cJSON_IsArray(v))
		return mask & SCHEMA_T_ARRAY;
	if (cJSON_IsString(v))
		return mask & SCHEMA_T_STRING;
	if (cJSON_IsNumber(v))
		return (mask & SCHEMA_T_NUMBER) || ((mask & SCHEMA_T_INTEGER) &&
		    schema_integral(v->valuedouble));
	if (cJSON_IsBool(v))
		return mask & SCHEMA_T_BOOLEAN;
	if (cJSON_IsNull(v))
		return mask & SCHEMA_T_NULL;
	return false;
}

/* "string", "string or null", "object, array or null" */
static void
schema_type_list(int mask, char *buf, size_t len)
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

/* ---- schema_check ----------------------------------------------------- */

static int schema_check_node(struct schema_walk *w, const cJSON *s, int depth);

static bool
schema_count_ok(const cJSON *v)
{
	/* 2^53: every larger double count is beyond any real length anyway. */
	return cJSON_IsNumber(v) && schema_integral(v->valuedouble) &&
	    v->valuedouble >= 0 && v->valuedouble <= 9007199254740992.0;
}

static int
schema_check_keyword(struct schema_walk *w, const cJSON *kw,
    enum schema_kw_kind kind, int depth)
{
	const cJSON *c;
	size_t saved;
	int i;

	switch (kind) {
	case SCHEMA_KW_TYPE:
		if (schema_type_mask(kw) != 0)
			return 0;
		if (cJSON_IsString(kw))
			schema_fail(w, "unknown type '%.64s'", kw->valuestring);
		else
			schema_fail(w, "must be a type name or a non-empty array "
			    "of type names");
		return -1;
	case SCHEMA_KW_PROPERTIES:
		if (!cJSON_IsObject(kw)) {
			schema_fail(w, "must be an object");
			return -1;
		}
		cJSON_ArrayForEach(c, kw) {
			saved = schema_path_key(w, c->string);
			if (schema_check_node(w, c, depth + 1) != 0)
				return -1;
			schema_path_pop(w, saved);
		}
		return 0;
	case SCHEMA_KW_REQUIRED:
		if (!cJSON_IsArray(kw)) {
			schema_fail(w, "must be an array of strings");
			return -1;
		}
		i = 0;
		cJSON_ArrayForEach(c, kw) {
			if (!cJSON_IsString(c)) {
				schema_path_index(w, i);
				schema_fail(w, "must be a string");
				return -1;
			}
			i++;
		}
		return 0;
	case SCHEMA_KW_BOOL_OR_SCHEMA:
		if (cJSON_IsBool(kw))
			return 0;
		return schema_check_node(w, kw, depth + 1);
	case SCHEMA_KW_ITEMS:
		if (!cJSON_IsArray(kw))
			return schema_check_node(w, kw, depth + 1);
		i = 0;
		cJSON_ArrayForEach(c, kw) {
			saved = schema_path_index(w, i++);
			if (schema_check_node(w, c, depth + 1) != 0)
				return -1;
			schema_path_pop(w, saved);
		}
		return 0;
	case SCHEMA_KW_ENUM:
		if (!cJSON_IsArray(kw) || !kw->child) {
			schema_fail(w, "must be a non-empty array");
			return -1;
		}
		return 0;
	case SCHEMA_KW_COUNT:
		if (schema_count_ok(kw))
			return 0;
		schema_fail(w, "must be a non-negative integer");
		return -1;
	case SCHEMA_KW_NUMBER:
		if (cJSON_IsNumber(kw))
			return 0;
		schema_fail(w, "must be a number");
		return -1;
	case SCHEMA_KW_BOOL:
		if (cJSON_IsBool(kw))
			return 0;
		schema_fail(w, "must be a boolean");
		return -1;
	case SCHEMA_KW_ANNOTATION:
		return 0;
	case SCHEMA_KW_UNSUPPORTED:
		schema_fail(w, "keyword not supported by pxpd");
		return -1;
	}
	return -1;
}

static int
schema_check_node(struct schema_walk *w, const cJSON *s, int depth)
{
	const cJSON *kw;
	unsigned long long seen = 0;
	size_t i, saved;

	if (depth > SCHEMA_DEPTH_MAX) {
		schema_fail(w, "schema nested deeper than %d levels",
		    SCHEMA_DEPTH_MAX);
		return -1;
	}
	if (!cJSON_IsObject(s)) {
		schema_fail(w, "a schema must be an object, not %s",
		    schema_value_type(s));
		return -1;
	}
	cJSON_ArrayForEach(kw, s) {
		if (!kw->string)
			continue;
		for (i = 0; i < SCHEMA_N_KEYWORDS; i++)
			if (!strcmp(kw->string, schema_keywords[i].name))
				break;
		if (i == SCHEMA_N_KEYWORDS)
			continue;
		saved = schema_path_key(w, kw->string);
		/* cJSON keeps duplicate keys; validation would see only the
		 * first, so an ambiguous schema is refused. */
		if (seen & (1ULL << i)) {
			schema_fail(w, "keyword given twice");
			return -1;
		}
		seen |= 1ULL << i;
		if (schema_check_keyword(w, kw, schema_keywords[i].kind,
		    depth) != 0)
			return -1;
		schema_path_pop(w, saved);
	}
	if (cJSON_GetObjectItemCaseSensitive(s, "exclusiveMinimum") &&
	    !cJSON_GetObjectItemCaseSensitive(s, "minimum")) {
		schema_fail(w, "exclusiveMinimum without minimum");
		return -1;
	}
	if (cJSON_GetObjectItemCaseSensitive(s, "exclusiveMaximum") &&
	    !cJSON_GetObjectItemCaseSensitive(s, "maximum")) {
		schema_fail(w, "exclusiveMaximum without maximum");
		return -1;
	}
	return 0;
}

int
schema_check(const cJSON *schema, char *err, size_t errlen)
{
	struct schema_walk w;

	schema_walk_init(&w, err, errlen);
	return schema_check_node(&w, schema, 0);
}

/* ---- schema_validate -------------------------------------------------- */

static int schema_validate_node(struct schema_walk *w, const cJSON *s,
    const cJSON *v, int depth);

/* A keyword that must be of a kind; NULL when absent, sets *bad when
 * present but ill-typed (the schema was not checked). */
static const cJSON *
schema_kw(const cJSON *s, const char *name, cJSON_bool (*is)(const cJSON *),
    bool *bad)
{
	const cJSON *kw = cJSON_GetObjectItemCaseSensitive(s, name);

	if (kw && !is(kw)) {
		*bad = true;
		return NULL;
	}
	return kw;
}

static int
schema_bad(struct schema_walk *w)
{
	schema_fail(w, "invalid schema");
	return -1;
}

static size_t
schema_utf8_len(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

static int
schema_validate_string(struct schema_walk *w, const cJSON *s, const cJSON *v)
{
	bool bad = false;
	const cJSON *min = schema_kw(s, "minLength", cJSON_IsNumber, &bad);
	const cJSON *max = schema_kw(s, "maxLength", cJSON_IsNumber, &bad);
	size_t len;

	if (bad)
		return schema_bad(w);
	if (!min && !max)
		return 0;
	len = schema_utf8_len(v->valuestring);
	if (min && (double)len < min->valuedouble) {
		schema_fail(w, "string shorter than %.0f characters",
		    min->valuedouble);
		return -1;
	}
	if (max && (double)len > max->valuedouble) {
		schema_fail(w, "string longer than %.0f characters",
		    max->valuedouble);
		return -1;
	}
	return 0;
}

static int
schema_validate_number(struct schema_walk *w, const cJSON *s, const cJSON *v)
{
	bool bad = false;
	const cJSON *min = schema_kw(s, "minimum", cJSON_IsNumber, &bad);
	const cJSON *max = schema_kw(s, "maximum", cJSON_IsNumber, &bad);
	const cJSON *xmin = schema_kw(s, "exclusiveMinimum", cJSON_IsBool, &bad);
	const cJSON *xmax = schema_kw(s, "exclusiveMaximum", cJSON_IsBool, &bad);
	double d = v->valuedouble;

	if (bad)
		return schema_bad(w);
	if (min && (cJSON_IsTrue(xmin) ? d <= min->valuedouble :
	    d < min->valuedouble)) {
		schema_fail(w, "%g is below the minimum %g%s", d,
		    min->valuedouble, cJSON_IsTrue(xmin) ? " (exclusive)" : "");
		return -1;
	}
	if (max && (cJSON_IsTrue(xmax) ? d >= max->valuedouble :
	    d > max->valuedouble)) {
		schema_fail(w, "%g is above the maximum %g%s", d,
		    max->valuedouble, cJSON_IsTrue(xmax) ? " (exclusive)" : "");
		return -1;
	}
	return 0;
}

static int
schema_validate_object(struct schema_walk *w, const cJSON *s, const cJSON *v,
    int depth)
{
	bool bad = false;
	const cJSON *props = schema_kw(s, "properties", cJSON_IsObject, &bad);
	const cJSON *req = schema_kw(s, "required", cJSON_IsArray, &bad);
	const cJSON *min = schema_kw(s, "minProperties", cJSON_IsNumber, &bad);
	const cJSON *max = schema_kw(s, "maxProperties", cJSON_IsNumber, &bad);
	const cJSON *addl = cJSON_GetObjectItemCaseSensitive(s,
	    "additionalProperties");
	const cJSON *c, *sub;
	size_t saved, n = 0;

	if (bad || (addl && !cJSON_IsBool(addl) && !cJSON_IsObject(addl)))
		return schema_bad(w);
	cJSON_ArrayForEach(c, req) {
		if (!cJSON_IsString(c))
			return schema_bad(w);
		if (!cJSON_GetObjectItemCaseSensitive(v, c->valuestring)) {
			schema_fail(w, "missing required property '%.128s'",
			    c->valuestring);
			return -1;
		}
	}
	/* Walk the value's members rather than the schema's properties so
	 * that a duplicate key is validated too: all of them get sent on. */
	cJSON_ArrayForEach(c, v) {
		n++;
		sub = c->string ? cJSON_GetObjectItemCaseSensitive(props,
		    c->string) : NULL;
		if (!sub && cJSON_IsObject(addl))
			sub = addl;
		saved = schema_path_key(w, c->string);
		if (!sub && cJSON_IsFalse(addl)) {
			schema_fail(w, "additional property not allowed");
			return -1;
		}
		if (sub && schema_validate_node(w, sub, c, depth + 1) != 0)
			return -1;
		schema_path_pop(w, saved);
	}
	if (min && (double)n < min->valuedouble) {
		schema_fail(w, "fewer than %.0f properties", min->valuedouble);
		return -1;
	}
	if (max && (double)n > max->valuedouble) {
		schema_fail(w, "more than %.0f properties", max->valuedouble);
		return -1;
	}
	return 0;
}

static int
schema_validate_array(struct schema_walk *w, const cJSON *s, const cJSON *v,
    int depth)
{
	bool bad = false;
	const cJSON *items = cJSON_GetObjectItemCaseSensitive(s, "items");
	const cJSON *addl = cJSON_GetObjectItemCaseSensitive(s,
	    "additionalItems");
	const cJSON *min = schema_kw(s, "minItems", cJSON_IsNumber, &bad);
	const cJSON *max = schema_kw(s, "maxItems", cJSON_IsNumber, &bad);
	const cJSON *c, *tuple = NULL, *sub;
	size_t saved;
	int i = 0;

	if (bad || (items && !cJSON_IsObject(items) && !cJSON_IsArray(items)) ||
	    (addl && !cJSON_IsBool(addl) && !cJSON_IsObject(addl)))
		return schema_bad(w);
	if (cJSON_IsArray(items))
		tuple = items->child;
	cJSON_ArrayForEach(c, v) {
		saved = schema_path_index(w, i);
		if (cJSON_IsObject(items))
			sub = items;
		else if (tuple) {
			sub = tuple;
			tuple = tuple->next;
		} else if (cJSON_IsArray(items)) {
			/* Past the tuple: additionalItems decides. */
			if (cJSON_IsFalse(addl)) {
				schema_fail(w, "additional item not allowed");
				return -1;
			}
			sub = cJSON_IsObject(addl) ? addl : NULL;
		} else
			sub = NULL;
		if (sub && schema_validate_node(w, sub, c, depth + 1) != 0)
			return -1;
		schema_path_pop(w, saved);
		i++;
	}
	if (min && (double)i < min->valuedouble) {
		schema_fail(w, "fewer than %.0f items", min->valuedouble);
		return -1;
	}
	if (max && (double)i > max->valuedouble) {
		schema_fail(w, "more than %.0f items", max->valuedouble);
		return -1;
	}
	return 0;
}

static int
schema_validate_node(struct schema_walk *w, const cJSON *s, const cJSON *v,
    int depth)
{
	const cJSON *type, *en, *c;
	char want[96];
	int mask;

	if (depth > SCHEMA_DEPTH_MAX) {
		schema_fail(w, "schema nested deeper than %d levels",
		    SCHEMA_DEPTH_MAX);
		return -1;
	}
	if (!cJSON_IsObject(s))
		return schema_bad(w);
	if ((type = cJSON_GetObjectItemCaseSensitive(s, "type"))) {
		if (!(mask = schema_type_mask(type)))
			return schema_bad(w);
		if (!schema_type_matches(mask, v)) {
			schema_type_list(mask, want, sizeof(want));
			schema_fail(w, "expected %s, got %s", want,
			    schema_value_type(v));
			return -1;
		}
	}
	if ((en = cJSON_GetObjectItemCaseSensitive(s, "enum"))) {
		if (!cJSON_IsArray(en))
			return schema_bad(w);
		cJSON_ArrayForEach(c, en)
			if (cJSON_Compare(v, c, true))
				break;
		if (!c) {
			schema_fail(w, "value is not one of the allowed values");
			return -1;
		}
	}
	if (cJSON_IsString(v))
		return schema_validate_string(w, s, v);
	if (cJSON_IsNumber(v))
		return schema_validate_number(w, s, v);
	if (cJSON_IsObject(v))
		return schema_validate_object(w, s, v, depth);
	if (cJSON_IsArray(v))
		return schema_validate_array(w, s, v, depth);
	return 0;
}

int
schema_validate(const cJSON *schema, const cJSON *value, char *err,
    size_t errlen)
{
	struct schema_walk w;
	cJSON null_value;

	schema_walk_init(&w, err, errlen);
	if (!value) {
		memset(&null_value, 0, sizeof(null_value));
		null_value.type = cJSON_NULL;
		value = &null_value;
	}
	return schema_validate_node(&w, schema, value, 0);
}
