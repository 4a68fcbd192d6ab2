/* schema_validate.c: does a value satisfy a schema (schema_validate())?
 * Not whether the schema is well formed (schema_check.c), though any
 * cJSON tree is safe here: a keyword of the wrong kind is a hard error.
 * Pure: no I/O, logging or globals. Invariant: a hard error (bad schema,
 * nesting past SCHEMA_DEPTH_MAX or SCHEMA_EVAL_DEPTH_MAX, the step budget
 * spent, no memory) sets w->abort and fails the whole validation; not,
 * anyOf and oneOf never turn it into a pass. */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <string.h>

#include "extmod/schema_int.h"

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
	return schema__abort(w, "invalid schema");
}

static int
schema_steps(struct schema_walk *w, unsigned long n)
{
	w->steps += n;
	if (w->steps > w->max_steps)
		return schema__abort(w, "validation needs more than %lu steps",
		    w->max_steps);
	return 0;
}

/* ---- patterns ---------------------------------------------------------- */

/* Does s contain a match for the pattern src? 1, 0, or -1 (aborted).
 * Compiled patterns are kept for the rest of the call, keyed by the
 * schema's own string; matching counts against the step budget. */
static int
schema_pattern_test(struct schema_walk *w, const char *src, const char *s)
{
	struct schema_re_cache *c = &w->cache;
	struct schema_regex *re = NULL;
	char why[160];
	int i, rc;

	for (i = 0; i < c->n && !re; i++)
		if (c->src[i] == src)
			re = c->re[i];
	if (!re) {
		if (!(re = schema__regex_new(src, why, sizeof(why))))
			return schema_bad(w);
		if (c->n < SCHEMA_RE_CACHE) {
			c->src[c->n] = src;
			c->re[c->n++] = re;
		}
	}
	if ((rc = schema__regex_match(re, s, &w->steps, w->max_steps)) < 0)
		schema__abort(w, "validation needs more than %lu steps",
		    w->max_steps);
	for (i = 0; i < c->n && c->re[i] != re; i++)
		;
	if (i == c->n)
		schema__regex_free(re);
	return rc;
}

/* ---- by type ----------------------------------------------------------- */

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
	const cJSON *pat = schema_kw(s, "pattern", cJSON_IsString, &bad);
	size_t len;
	int rc;

	if (bad)
		return schema_bad(w);
	if (min || max) {
		len = schema_utf8_len(v->valuestring);
		if (min && (double)len < min->valuedouble)
			return schema__fail(w, "string shorter than %.0f characters",
			    min->valuedouble);
		if (max && (double)len > max->valuedouble)
			return schema__fail(w, "string longer than %.0f characters",
			    max->valuedouble);
	}
	if (pat) {
		if ((rc = schema_pattern_test(w, pat->valuestring,
		    v->valuestring)) < 0)
			return -1;
		if (rc == 0)
			return schema__fail(w, "string does not match pattern "
			    "'%.64s'", pat->valuestring);
	}
	return 0;
}

/* Is d / m an integer? Exact for integers; otherwise within the rounding
 * error of the division (0.3 is a multiple of 0.1). */
static bool
schema_multiple(double d, double m)
{
	double q, r;

	if (!isfinite(d))
		return false;
	if (schema__integral(d) && schema__integral(m) && fabs(d) < 9e15)
		return fmod(d, m) == 0;
	q = d / m;
	if (!isfinite(q))
		return false;
	r = fabs(q - round(q));
	return r <= fmax(1e-9, fabs(q) * 8 * DBL_EPSILON);
}

static int
schema_validate_number(struct schema_walk *w, const cJSON *s, const cJSON *v)
{
	bool bad = false;
	const cJSON *min = schema_kw(s, "minimum", cJSON_IsNumber, &bad);
	const cJSON *max = schema_kw(s, "maximum", cJSON_IsNumber, &bad);
	const cJSON *xmin = schema_kw(s, "exclusiveMinimum", cJSON_IsBool, &bad);
	const cJSON *xmax = schema_kw(s, "exclusiveMaximum", cJSON_IsBool, &bad);
	const cJSON *mul = schema_kw(s, "multipleOf", cJSON_IsNumber, &bad);
	double d = v->valuedouble;

	if (bad || (mul && !(mul->valuedouble > 0 && isfinite(mul->valuedouble))))
		return schema_bad(w);
	/* exclusiveMinimum/Maximum without minimum/maximum are ignored, as
	 * pxp-agent's validator does. */
	if (min && (cJSON_IsTrue(xmin) ? d <= min->valuedouble :
	    d < min->valuedouble))
		return schema__fail(w, "%g is below the minimum %g%s", d,
		    min->valuedouble, cJSON_IsTrue(xmin) ? " (exclusive)" : "");
	if (max && (cJSON_IsTrue(xmax) ? d >= max->valuedouble :
	    d > max->valuedouble))
		return schema__fail(w, "%g is above the maximum %g%s", d,
		    max->valuedouble, cJSON_IsTrue(xmax) ? " (exclusive)" : "");
	if (mul && !schema_multiple(d, mul->valuedouble))
		return schema__fail(w, "%g is not a multiple of %g", d,
		    mul->valuedouble);
	return 0;
}

static int
schema_validate_dependencies(struct schema_walk *w, const cJSON *deps,
    const cJSON *v, int depth)
{
	const cJSON *d, *name;

	cJSON_ArrayForEach(d, deps) {
		if (!d->string || !cJSON_GetObjectItemCaseSensitive(v, d->string))
			continue;
		if (cJSON_IsObject(d)) {
			if (schema_validate_node(w, d, v, depth + 1) != 0)
				return -1;
			continue;
		}
		if (!cJSON_IsArray(d))
			return schema_bad(w);
		cJSON_ArrayForEach(name, d) {
			if (!cJSON_IsString(name))
				return schema_bad(w);
			if (!cJSON_GetObjectItemCaseSensitive(v, name->valuestring))
				return schema__fail(w, "property '%.128s' requires "
				    "property '%.128s'", d->string,
				    name->valuestring);
		}
	}
	return 0;
}

/* One member: properties, then every matching patternProperties schema;
 * additionalProperties only when neither named it. */
static int
schema_validate_member(struct schema_walk *w, const cJSON *s, const cJSON *c,
    int depth)
{
	const cJSON *props = cJSON_GetObjectItemCaseSensitive(s, "properties");
	const cJSON *pprops = cJSON_GetObjectItemCaseSensitive(s,
	    "patternProperties");
	const cJSON *addl = cJSON_GetObjectItemCaseSensitive(s,
	    "additionalProperties");
	const char *name = c->string ? c->string : "";
	const cJSON *sub, *p;
	bool matched = false;
	int rc;

	if ((sub = cJSON_GetObjectItemCaseSensitive(props, name))) {
		matched = true;
		if (schema_validate_node(w, sub, c, depth + 1) != 0)
			return -1;
	}
	cJSON_ArrayForEach(p, pprops) {
		if ((rc = schema_pattern_test(w, p->string ? p->string : "",
		    name)) < 0)
			return -1;
		if (rc == 0)
			continue;
		matched = true;
		if (schema_validate_node(w, p, c, depth + 1) != 0)
			return -1;
	}
	if (matched)
		return 0;
	if (cJSON_IsFalse(addl))
		return schema__fail(w, "additional property not allowed");
	if (cJSON_IsObject(addl))
		return schema_validate_node(w, addl, c, depth + 1);
	return 0;
}

static int
schema_validate_object(struct schema_walk *w, const cJSON *s, const cJSON *v,
    int depth)
{
	bool bad = false;
	const cJSON *req = schema_kw(s, "required", cJSON_IsArray, &bad);
	const cJSON *min = schema_kw(s, "minProperties", cJSON_IsNumber, &bad);
	const cJSON *max = schema_kw(s, "maxProperties", cJSON_IsNumber, &bad);
	const cJSON *deps = schema_kw(s, "dependencies", cJSON_IsObject, &bad);
	const cJSON *addl = cJSON_GetObjectItemCaseSensitive(s,
	    "additionalProperties");
	const cJSON *c;
	size_t saved, n = 0;

	schema_kw(s, "properties", cJSON_IsObject, &bad);
	schema_kw(s, "patternProperties", cJSON_IsObject, &bad);
	if (bad || (addl && !cJSON_IsBool(addl) && !cJSON_IsObject(addl)))
		return schema_bad(w);
	cJSON_ArrayForEach(c, req) {
		if (!cJSON_IsString(c))
			return schema_bad(w);
		if (!cJSON_GetObjectItemCaseSensitive(v, c->valuestring))
			return schema__fail(w, "missing required property "
			    "'%.128s'", c->valuestring);
	}
	/* Walk the value's members rather than the schema's properties so
	 * that a duplicate key is validated too: all of them get sent on. */
	cJSON_ArrayForEach(c, v) {
		n++;
		saved = schema__path_key(w, c->string);
		if (schema_validate_member(w, s, c, depth) != 0)
			return -1;
		schema__path_pop(w, saved);
	}
	if (min && (double)n < min->valuedouble)
		return schema__fail(w, "fewer than %.0f properties",
		    min->valuedouble);
	if (max && (double)n > max->valuedouble)
		return schema__fail(w, "more than %.0f properties",
		    max->valuedouble);
	return schema_validate_dependencies(w, deps, v, depth);
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
	const cJSON *uniq = schema_kw(s, "uniqueItems", cJSON_IsBool, &bad);
	const cJSON *c, *tuple = NULL, *sub;
	size_t saved;
	int i = 0;

	if (bad || (items && !cJSON_IsObject(items) && !cJSON_IsArray(items)) ||
	    (addl && !cJSON_IsBool(addl) && !cJSON_IsObject(addl)))
		return schema_bad(w);
	if (cJSON_IsArray(items))
		tuple = items->child;
	cJSON_ArrayForEach(c, v) {
		saved = schema__path_index(w, i);
		if (cJSON_IsObject(items))
			sub = items;
		else if (tuple) {
			sub = tuple;
			tuple = tuple->next;
		} else if (cJSON_IsArray(items)) {
			/* Past the tuple: additionalItems decides. */
			if (cJSON_IsFalse(addl))
				return schema__fail(w, "additional item not allowed");
			sub = cJSON_IsObject(addl) ? addl : NULL;
		} else
			sub = NULL;
		if (sub && schema_validate_node(w, sub, c, depth + 1) != 0)
			return -1;
		schema__path_pop(w, saved);
		i++;
	}
	if (min && (double)i < min->valuedouble)
		return schema__fail(w, "fewer than %.0f items", min->valuedouble);
	if (max && (double)i > max->valuedouble)
		return schema__fail(w, "more than %.0f items", max->valuedouble);
	if (cJSON_IsTrue(uniq))
		return schema__unique_items(w, v);
	return 0;
}

/* ---- combinators ------------------------------------------------------- */

/* v against one branch, quietly: 0 passes, -1 fails; w->abort tells a
 * hard error apart. The path is restored either way. */
static int
schema_branch(struct schema_walk *w, const cJSON *s, const cJSON *v,
    int depth)
{
	size_t saved = w->len;
	int rc;

	w->quiet++;
	rc = schema_validate_node(w, s, v, depth + 1);
	w->quiet--;
	schema__path_pop(w, saved);
	return rc;
}

static int
schema_validate_combinators(struct schema_walk *w, const cJSON *s,
    const cJSON *v, int depth)
{
	bool bad = false;
	const cJSON *all = schema_kw(s, "allOf", cJSON_IsArray, &bad);
	const cJSON *any = schema_kw(s, "anyOf", cJSON_IsArray, &bad);
	const cJSON *one = schema_kw(s, "oneOf", cJSON_IsArray, &bad);
	const cJSON *neg = schema_kw(s, "not", cJSON_IsObject, &bad);
	const cJSON *b;
	int i, first = -1, passed = 0;

	if (bad)
		return schema_bad(w);
	/* allOf: the failing branch's own message says the most. */
	cJSON_ArrayForEach(b, all)
		if (schema_validate_node(w, b, v, depth + 1) != 0)
			return -1;
	if (any) {
		cJSON_ArrayForEach(b, any) {
			if (schema_branch(w, b, v, depth) == 0)
				break;
			if (w->abort)
				return -1;
		}
		if (!b)
			return schema__fail(w, "matches none of the schemas in "
			    "anyOf");
	}
	if (one) {
		i = 0;
		cJSON_ArrayForEach(b, one) {
			if (schema_branch(w, b, v, depth) == 0) {
				if (++passed == 2)
					return schema__fail(w, "matches more than "
					    "one schema in oneOf ([%d] and [%d])",
					    first, i);
				first = i;
			} else if (w->abort)
				return -1;
			i++;
		}
		if (passed == 0)
			return schema__fail(w, "matches none of the schemas in "
			    "oneOf");
	}
	if (neg) {
		if (schema_branch(w, neg, v, depth) == 0)
			return schema__fail(w, "matches the schema in not");
		if (w->abort)
			return -1;
	}
	return 0;
}

/* ---- one schema -------------------------------------------------------- */

static int
schema_validate_body(struct schema_walk *w, const cJSON *s, const cJSON *v,
    int depth)
{
	const cJSON *type, *en, *c, *ref, *target;
	char want[96];
	int mask, tokens, rc;

	if (depth > SCHEMA_DEPTH_MAX)
		return schema__abort(w, "schema nested deeper than %d levels",
		    SCHEMA_DEPTH_MAX);
	if (!cJSON_IsObject(s))
		return schema_bad(w);
	/* With $ref, draft 4 ignores the object's other keywords. */
	if ((ref = cJSON_GetObjectItemCaseSensitive(s, "$ref"))) {
		if (!cJSON_IsString(ref) || !(target = schema__pointer(w->root,
		    ref->valuestring, NULL, &tokens)))
			return schema_bad(w);
		return schema_validate_node(w, target, v, 0);
	}
	if ((type = cJSON_GetObjectItemCaseSensitive(s, "type"))) {
		if ((mask = schema__type_mask(type)) < 0)
			return schema_bad(w);
		if (mask == 0)
			return schema__fail(w, "no type allowed (empty type list), "
			    "got %s", schema__value_type(v));
		if (!schema__type_matches(mask, v)) {
			schema__type_list(mask, want, sizeof(want));
			return schema__fail(w, "expected %s, got %s", want,
			    schema__value_type(v));
		}
	}
	if ((en = cJSON_GetObjectItemCaseSensitive(s, "enum"))) {
		if (!cJSON_IsArray(en))
			return schema_bad(w);
		cJSON_ArrayForEach(c, en) {
			if ((rc = schema__json_equal(w, v, c)) < 0)
				return -1;
			if (rc == 1)
				break;
		}
		if (!c)
			return schema__fail(w, "value is not one of the allowed "
			    "values");
	}
	if (cJSON_IsString(v))
		rc = schema_validate_string(w, s, v);
	else if (cJSON_IsNumber(v))
		rc = schema_validate_number(w, s, v);
	else if (cJSON_IsObject(v))
		rc = schema_validate_object(w, s, v, depth);
	else if (cJSON_IsArray(v))
		rc = schema_validate_array(w, s, v, depth);
	else
		rc = 0;
	if (rc != 0)
		return rc;
	return schema_validate_combinators(w, s, v, depth);
}

static int
schema_validate_node(struct schema_walk *w, const cJSON *s, const cJSON *v,
    int depth)
{
	int rc;

	if (w->level >= SCHEMA_EVAL_DEPTH_MAX)
		return schema__abort(w, "value and schema nested deeper than %d "
		    "levels", SCHEMA_EVAL_DEPTH_MAX);
	if (schema_steps(w, 1) != 0)
		return -1;
	w->level++;
	rc = schema_validate_body(w, s, v, depth);
	w->level--;
	return rc;
}

int
schema_validate(const cJSON *schema, const cJSON *value, char *err,
    size_t errlen)
{
	struct schema_walk w;
	cJSON null_value;
	unsigned long nodes, bytes;
	int rc;

	if (!value) {
		memset(&null_value, 0, sizeof(null_value));
		null_value.type = cJSON_NULL;
		value = &null_value;
	}
	schema__walk_init(&w, schema, err, errlen);
	schema__json_size(value, &nodes, &bytes);
	/* saturating: a value too big to count has no limit but its size */
	w.max_steps = SCHEMA_STEPS_BASE;
	if (nodes > ULONG_MAX / 4 / SCHEMA_STEPS_PER_NODE ||
	    bytes > ULONG_MAX / 4 / SCHEMA_STEPS_PER_BYTE)
		w.max_steps = ULONG_MAX;
	else
		w.max_steps += nodes * SCHEMA_STEPS_PER_NODE +
		    bytes * SCHEMA_STEPS_PER_BYTE;
	rc = schema_validate_node(&w, schema, value, 0);
	schema__walk_done(&w);
	return rc;
}
