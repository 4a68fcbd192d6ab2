/* schema_check.c: is a schema one pxpd can apply (schema_check())? Every
 * keyword of schema.h is type-checked, every pattern compiled, every $ref
 * resolved and its target checked, and a $ref loop that never descends
 * into the value is refused. Not validation (schema_validate.c). Pure:
 * no I/O, logging or globals; recursion is bounded by SCHEMA_DEPTH_MAX
 * (nesting) and SCHEMA_EVAL_DEPTH_MAX ($ref chains), and the $ref
 * targets are checked from a work list, not by recursion. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "extmod/schema_int.h"

/* How each keyword is checked. Keys in no row are not draft 4 keywords
 * and are ignored, as draft 4 requires. */
enum schema_kw_kind {
	SCHEMA_KW_TYPE,
	SCHEMA_KW_PROPERTIES,
	SCHEMA_KW_PATTERN_PROPERTIES,
	SCHEMA_KW_REQUIRED,
	SCHEMA_KW_BOOL_OR_SCHEMA,   /* additionalProperties, additionalItems */
	SCHEMA_KW_ITEMS,
	SCHEMA_KW_ENUM,
	SCHEMA_KW_COUNT,            /* non-negative integer */
	SCHEMA_KW_NUMBER,
	SCHEMA_KW_POSITIVE,         /* multipleOf */
	SCHEMA_KW_BOOL,
	SCHEMA_KW_SCHEMA,           /* not */
	SCHEMA_KW_SCHEMA_LIST,      /* allOf, anyOf, oneOf */
	SCHEMA_KW_PATTERN,
	SCHEMA_KW_DEPENDENCIES,
	SCHEMA_KW_ANNOTATION,       /* accepted, ignored */
};

static const struct {
	const char *name;
	enum schema_kw_kind kind;
} schema_keywords[] = {
	{ "type", SCHEMA_KW_TYPE },
	{ "properties", SCHEMA_KW_PROPERTIES },
	{ "patternProperties", SCHEMA_KW_PATTERN_PROPERTIES },
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
	{ "multipleOf", SCHEMA_KW_POSITIVE },
	{ "uniqueItems", SCHEMA_KW_BOOL },
	{ "allOf", SCHEMA_KW_SCHEMA_LIST },
	{ "anyOf", SCHEMA_KW_SCHEMA_LIST },
	{ "oneOf", SCHEMA_KW_SCHEMA_LIST },
	{ "not", SCHEMA_KW_SCHEMA },
	{ "pattern", SCHEMA_KW_PATTERN },
	{ "dependencies", SCHEMA_KW_DEPENDENCIES },
	{ "$schema", SCHEMA_KW_ANNOTATION },
	{ "id", SCHEMA_KW_ANNOTATION },
	{ "title", SCHEMA_KW_ANNOTATION },
	{ "description", SCHEMA_KW_ANNOTATION },
	{ "default", SCHEMA_KW_ANNOTATION },
	/* format is not asserted: pxp-agent's validator ignores it too */
	{ "format", SCHEMA_KW_ANNOTATION },
	/* only what a $ref names is checked, when it is named */
	{ "definitions", SCHEMA_KW_ANNOTATION },
};
#define SCHEMA_N_KEYWORDS (sizeof(schema_keywords) / sizeof(schema_keywords[0]))

/* Flags in the checker's set of nodes. */
#define SCHEMA_SEEN_QUEUED 1        /* a $ref target, on the work list */
#define SCHEMA_SEEN_ACTIVE 2        /* on the loop search's path */
#define SCHEMA_SEEN_DONE 4          /* loop search finished here */

struct schema_checker {
	struct schema_walk w;
	struct schema_set seen;
	const char **refs;          /* work list: each target's $ref */
	size_t n_refs, cap_refs;
};

static int schema_check_node(struct schema_checker *k, const cJSON *s,
    int depth);

static bool
schema_count_ok(const cJSON *v)
{
	/* 2^53: every larger double count is beyond any real length anyway. */
	return cJSON_IsNumber(v) && schema__integral(v->valuedouble) &&
	    v->valuedouble >= 0 && v->valuedouble <= 9007199254740992.0;
}

static int
schema_check_pattern(struct schema_walk *w, const char *pattern)
{
	struct schema_regex *re;
	char why[160];

	if (!(re = schema__regex_new(pattern, why, sizeof(why))))
		return schema__fail(w, "unusable pattern: %s", why);
	schema__regex_free(re);
	return 0;
}

/* A $ref must name a schema in this document; its target joins the work
 * list once. */
static int
schema_check_ref(struct schema_checker *k, const cJSON *kw)
{
	const cJSON *target;
	const char **bigger;
	size_t cap;
	int tokens;

	if (!cJSON_IsString(kw))
		return schema__fail(&k->w, "must be a string");
	if (!schema__pointer_local(kw->valuestring))
		return schema__fail(&k->w, "only references within this schema "
		    "('#' or '#/...') are supported, not '%.64s'",
		    kw->valuestring);
	target = schema__pointer(k->w.root, kw->valuestring, NULL, &tokens);
	if (!target)
		return schema__fail(&k->w, "'%.64s' names nothing in this schema",
		    kw->valuestring);
	if (!cJSON_IsObject(target))
		return schema__fail(&k->w, "'%.64s' names %s, not a schema",
		    kw->valuestring, schema__value_type(target));
	if (schema__set_get(&k->seen, target) & SCHEMA_SEEN_QUEUED)
		return 0;
	if (k->n_refs == k->cap_refs) {
		cap = k->cap_refs ? k->cap_refs * 2 : 16;
		if (!(bigger = realloc(k->refs, cap * sizeof(*bigger))))
			return schema__abort(&k->w, "out of memory");
		k->refs = bigger;
		k->cap_refs = cap;
	}
	if (schema__set_add(&k->seen, target, SCHEMA_SEEN_QUEUED) != 0)
		return schema__abort(&k->w, "out of memory");
	k->refs[k->n_refs++] = kw->valuestring;
	return 0;
}

static int
schema_check_schemas(struct schema_checker *k, const cJSON *kw, int depth)
{
	const cJSON *c;
	size_t saved;
	int i = 0;

	if (!cJSON_IsArray(kw))
		return schema__fail(&k->w, "must be an array of schemas");
	cJSON_ArrayForEach(c, kw) {
		saved = schema__path_index(&k->w, i++);
		if (schema_check_node(k, c, depth + 1) != 0)
			return -1;
		schema__path_pop(&k->w, saved);
	}
	return 0;
}

static int
schema_check_dependencies(struct schema_checker *k, const cJSON *kw,
    int depth)
{
	const cJSON *c, *name;
	size_t saved;
	int i;

	if (!cJSON_IsObject(kw))
		return schema__fail(&k->w, "must be an object");
	cJSON_ArrayForEach(c, kw) {
		saved = schema__path_key(&k->w, c->string);
		if (cJSON_IsObject(c)) {
			if (schema_check_node(k, c, depth + 1) != 0)
				return -1;
		} else if (cJSON_IsArray(c)) {
			i = 0;
			cJSON_ArrayForEach(name, c) {
				if (!cJSON_IsString(name)) {
					schema__path_index(&k->w, i);
					return schema__fail(&k->w, "must be a string");
				}
				i++;
			}
		} else
			return schema__fail(&k->w, "must be an array of property "
			    "names or a schema");
		schema__path_pop(&k->w, saved);
	}
	return 0;
}

static int
schema_check_keyword(struct schema_checker *k, const cJSON *kw,
    enum schema_kw_kind kind, int depth)
{
	struct schema_walk *w = &k->w;
	const cJSON *c;
	size_t saved;
	int i;

	switch (kind) {
	case SCHEMA_KW_TYPE:
		if (schema__type_mask(kw) >= 0)
			return 0;
		if (cJSON_IsString(kw))
			return schema__fail(w, "unknown type '%.64s'",
			    kw->valuestring);
		return schema__fail(w, "must be a type name or an array of type "
		    "names");
	case SCHEMA_KW_PROPERTIES:
	case SCHEMA_KW_PATTERN_PROPERTIES:
		if (!cJSON_IsObject(kw))
			return schema__fail(w, "must be an object");
		cJSON_ArrayForEach(c, kw) {
			saved = schema__path_key(w, c->string);
			if (kind == SCHEMA_KW_PATTERN_PROPERTIES &&
			    schema_check_pattern(w, c->string ? c->string : "") != 0)
				return -1;
			if (schema_check_node(k, c, depth + 1) != 0)
				return -1;
			schema__path_pop(w, saved);
		}
		return 0;
	case SCHEMA_KW_REQUIRED:
		if (!cJSON_IsArray(kw))
			return schema__fail(w, "must be an array of strings");
		i = 0;
		cJSON_ArrayForEach(c, kw) {
			if (!cJSON_IsString(c)) {
				schema__path_index(w, i);
				return schema__fail(w, "must be a string");
			}
			i++;
		}
		return 0;
	case SCHEMA_KW_BOOL_OR_SCHEMA:
		if (cJSON_IsBool(kw))
			return 0;
		return schema_check_node(k, kw, depth + 1);
	case SCHEMA_KW_ITEMS:
		if (!cJSON_IsArray(kw))
			return schema_check_node(k, kw, depth + 1);
		return schema_check_schemas(k, kw, depth);
	case SCHEMA_KW_ENUM:
		/* An empty enum allows nothing; pxp-agent loads it. */
		if (!cJSON_IsArray(kw))
			return schema__fail(w, "must be an array");
		return 0;
	case SCHEMA_KW_COUNT:
		if (schema_count_ok(kw))
			return 0;
		return schema__fail(w, "must be a non-negative integer");
	case SCHEMA_KW_NUMBER:
		if (cJSON_IsNumber(kw))
			return 0;
		return schema__fail(w, "must be a number");
	case SCHEMA_KW_POSITIVE:
		if (cJSON_IsNumber(kw) && isfinite(kw->valuedouble) &&
		    kw->valuedouble > 0)
			return 0;
		return schema__fail(w, "must be a number greater than 0");
	case SCHEMA_KW_BOOL:
		if (cJSON_IsBool(kw))
			return 0;
		return schema__fail(w, "must be a boolean");
	case SCHEMA_KW_SCHEMA:
		return schema_check_node(k, kw, depth + 1);
	case SCHEMA_KW_SCHEMA_LIST:
		return schema_check_schemas(k, kw, depth);
	case SCHEMA_KW_PATTERN:
		if (!cJSON_IsString(kw))
			return schema__fail(w, "must be a string");
		return schema_check_pattern(w, kw->valuestring);
	case SCHEMA_KW_DEPENDENCIES:
		return schema_check_dependencies(k, kw, depth);
	case SCHEMA_KW_ANNOTATION:
		return 0;
	}
	return -1;
}

/* With $ref, draft 4 ignores every other keyword of the object. */
static int
schema_check_with_ref(struct schema_checker *k, const cJSON *s)
{
	const cJSON *kw, *ref = NULL;
	size_t saved;

	cJSON_ArrayForEach(kw, s) {
		if (!kw->string || strcmp(kw->string, "$ref"))
			continue;
		if (ref) {
			schema__path_key(&k->w, "$ref");
			return schema__fail(&k->w, "keyword given twice");
		}
		ref = kw;
	}
	saved = schema__path_key(&k->w, "$ref");
	if (schema_check_ref(k, ref) != 0)
		return -1;
	schema__path_pop(&k->w, saved);
	return 0;
}

static int
schema_check_node(struct schema_checker *k, const cJSON *s, int depth)
{
	const cJSON *kw;
	unsigned long long seen = 0;
	size_t i, saved;

	if (depth > SCHEMA_DEPTH_MAX)
		return schema__fail(&k->w, "schema nested deeper than %d levels",
		    SCHEMA_DEPTH_MAX);
	if (!cJSON_IsObject(s))
		return schema__fail(&k->w, "a schema must be an object, not %s",
		    schema__value_type(s));
	if (cJSON_GetObjectItemCaseSensitive(s, "$ref"))
		return schema_check_with_ref(k, s);
	cJSON_ArrayForEach(kw, s) {
		if (!kw->string)
			continue;
		for (i = 0; i < SCHEMA_N_KEYWORDS; i++)
			if (!strcmp(kw->string, schema_keywords[i].name))
				break;
		if (i == SCHEMA_N_KEYWORDS)
			continue;
		saved = schema__path_key(&k->w, kw->string);
		/* cJSON keeps duplicate keys; validation would see only the
		 * first, so an ambiguous schema is refused. */
		if (seen & (1ULL << i))
			return schema__fail(&k->w, "keyword given twice");
		seen |= 1ULL << i;
		if (schema_check_keyword(k, kw, schema_keywords[i].kind,
		    depth) != 0)
			return -1;
		schema__path_pop(&k->w, saved);
	}
	return 0;
}

/* ---- $ref loops -------------------------------------------------------- */

/* Depth-first over the edges that apply a schema to the same value
 * ($ref, allOf, anyOf, oneOf, not, schema dependencies): a cycle among
 * them would recurse for ever. 1 on a cycle, 2 when too deep, -1 out of
 * memory. Descending edges (properties, items, ...) end the search: each
 * of them consumes a level of the value. */
static int
schema_loop_search(struct schema_checker *k, const cJSON *s, int level)
{
	static const char *const lists[] = { "allOf", "anyOf", "oneOf" };
	const cJSON *ref, *c, *deps, *target;
	unsigned flags = schema__set_get(&k->seen, s);
	size_t i;
	int rc = 0, tokens;

	if (flags & SCHEMA_SEEN_DONE)
		return 0;
	if (flags & SCHEMA_SEEN_ACTIVE)
		return 1;
	if (level > SCHEMA_EVAL_DEPTH_MAX)
		return 2;
	if (schema__set_add(&k->seen, s, SCHEMA_SEEN_ACTIVE) != 0)
		return -1;
	if ((ref = cJSON_GetObjectItemCaseSensitive(s, "$ref"))) {
		target = cJSON_IsString(ref) ? schema__pointer(k->w.root,
		    ref->valuestring, NULL, &tokens) : NULL;
		if (cJSON_IsObject(target))
			rc = schema_loop_search(k, target, level + 1);
	} else {
		for (i = 0; i < 3 && rc == 0; i++)
			cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(s,
			    lists[i]))
				if (cJSON_IsObject(c) && (rc =
				    schema_loop_search(k, c, level + 1)) != 0)
					break;
		c = cJSON_GetObjectItemCaseSensitive(s, "not");
		if (rc == 0 && cJSON_IsObject(c))
			rc = schema_loop_search(k, c, level + 1);
		deps = cJSON_GetObjectItemCaseSensitive(s, "dependencies");
		if (rc == 0 && cJSON_IsObject(deps))
			cJSON_ArrayForEach(c, deps)
				if (cJSON_IsObject(c) && (rc =
				    schema_loop_search(k, c, level + 1)) != 0)
					break;
	}
	if (rc == 0 && schema__set_add(&k->seen, s, SCHEMA_SEEN_DONE) != 0)
		return -1;
	return rc;
}

/* Every loop passes through a $ref target, so searching from each target
 * finds them all; what was searched once is not searched again. */
static int
schema_check_targets(struct schema_checker *k)
{
	const cJSON *target;
	size_t i;
	int tokens, rc;

	/* The list grows while its targets are checked. */
	for (i = 0; i < k->n_refs; i++) {
		schema__path_pop(&k->w, 1);
		target = schema__pointer(k->w.root, k->refs[i], &k->w, &tokens);
		if (schema_check_node(k, target, tokens) != 0)
			return -1;
	}
	for (i = 0; i < k->n_refs; i++) {
		target = schema__pointer(k->w.root, k->refs[i], NULL, &tokens);
		if ((rc = schema_loop_search(k, target, 0)) == 0)
			continue;
		if (rc < 0)
			return schema__abort(&k->w, "out of memory");
		schema__path_pop(&k->w, 1);
		schema__pointer(k->w.root, k->refs[i], &k->w, &tokens);
		if (rc == 1)
			return schema__fail(&k->w, "applies itself to the same value "
			    "through $ref without descending into it (a loop)");
		return schema__fail(&k->w, "$ref, allOf, anyOf, oneOf and not "
		    "chained deeper than %d levels", SCHEMA_EVAL_DEPTH_MAX);
	}
	return 0;
}

int
schema_check(const cJSON *schema, char *err, size_t errlen)
{
	struct schema_checker k;
	int rc;

	memset(&k, 0, sizeof(k));
	schema__walk_init(&k.w, schema, err, errlen);
	rc = schema_check_node(&k, schema, 0);
	if (rc == 0)
		rc = schema_check_targets(&k);
	schema__set_free(&k.seen);
	free(k.refs);
	schema__walk_done(&k.w);
	return rc;
}
