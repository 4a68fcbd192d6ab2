/* schema_json.c: JSON values compared as draft 4 compares them, for enum
 * and uniqueItems. Not cJSON_Compare(), which takes numbers as equal
 * within an epsilon and recurses without bound. Not keywords
 * (schema_validate.c). Invariant: every comparison and hash is bounded by
 * SCHEMA_JSON_DEPTH_MAX and counted against the walk's step budget, and
 * uniqueItems sorts by hash, so a long array costs n log n, not n^2. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extmod/schema_int.h"

#define SCHEMA_UNIQUE_PAIRWISE 16   /* below this, compare every pair */

static int
schema_kind(const cJSON *v)
{
	return v->type & 0xff;
}

static int
schema_json_steps(struct schema_walk *w, unsigned long n)
{
	w->steps += n;
	if (w->steps > w->max_steps)
		return schema__abort(w, "validation needs more than %lu steps",
		    w->max_steps);
	return 0;
}

static int
schema_equal(struct schema_walk *w, const cJSON *a, const cJSON *b, int depth)
{
	const cJSON *x, *y;
	int rc, n = 0, m = 0;

	if (depth > SCHEMA_JSON_DEPTH_MAX)
		return schema__abort(w, "value nested deeper than %d levels",
		    SCHEMA_JSON_DEPTH_MAX);
	if (schema_json_steps(w, 1) != 0)
		return -1;
	if (schema_kind(a) != schema_kind(b))
		return 0;
	switch (schema_kind(a)) {
	case cJSON_Number:
		/* exact: -0 equals 0, 1 equals 1.0 */
		return a->valuedouble == b->valuedouble;
	case cJSON_String:
		if (!a->valuestring || !b->valuestring)
			return a->valuestring == b->valuestring;
		return strcmp(a->valuestring, b->valuestring) == 0;
	case cJSON_Array:
		for (x = a->child, y = b->child; x && y; x = x->next, y = y->next)
			if ((rc = schema_equal(w, x, y, depth + 1)) != 1)
				return rc;
		return !x && !y;
	case cJSON_Object:
		cJSON_ArrayForEach(x, a)
			n++;
		cJSON_ArrayForEach(y, b)
			m++;
		if (n != m)
			return 0;
		cJSON_ArrayForEach(x, a) {
			/* the first member of that name, as lookups elsewhere */
			for (y = b->child; y; y = y->next)
				if (x->string && y->string &&
				    !strcmp(x->string, y->string))
					break;
			if (schema_json_steps(w, (unsigned long)m) != 0)
				return -1;
			if (!y)
				return 0;
			if ((rc = schema_equal(w, x, y, depth + 1)) != 1)
				return rc;
		}
		return 1;
	}
	return 1;
}

int
schema__json_equal(struct schema_walk *w, const cJSON *a, const cJSON *b)
{
	return schema_equal(w, a, b, 0);
}

/* ---- hashing, for uniqueItems ------------------------------------------ */

static uint64_t
schema_mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static uint64_t
schema_hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; s && *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

/* Equal values hash equal: numbers by value, objects whatever the member
 * order. *nodes counts the work. */
static uint64_t
schema_hash(const cJSON *v, int depth, unsigned long *nodes)
{
	const cJSON *c;
	uint64_t h = (uint64_t)schema_kind(v), bits;
	double d;

	(*nodes)++;
	if (depth > SCHEMA_JSON_DEPTH_MAX)
		return h;
	switch (schema_kind(v)) {
	case cJSON_Number:
		d = v->valuedouble == 0 ? 0 : v->valuedouble;
		memcpy(&bits, &d, sizeof(bits));
		return schema_mix(bits ^ h);
	case cJSON_String:
		return schema_mix(schema_hash_str(v->valuestring) ^ h);
	case cJSON_Array:
		cJSON_ArrayForEach(c, v)
			h = schema_mix(h * 31 + schema_hash(c, depth + 1, nodes));
		return h;
	case cJSON_Object:
		cJSON_ArrayForEach(c, v)
			h += schema_mix(schema_hash_str(c->string) ^
			    schema_hash(c, depth + 1, nodes));
		return schema_mix(h);
	}
	return h;
}

struct schema_item {
	uint64_t hash;
	int index;
	const cJSON *v;
};

static int
schema_item_cmp(const void *pa, const void *pb)
{
	const struct schema_item *a = pa, *b = pb;

	if (a->hash != b->hash)
		return a->hash < b->hash ? -1 : 1;
	return a->index < b->index ? -1 : a->index > b->index;
}

static int
schema_unique_pairwise(struct schema_walk *w, const cJSON *v)
{
	const cJSON *a, *b;
	int i = 0, j, rc;

	for (a = v->child; a; a = a->next, i++)
		for (b = a->next, j = i + 1; b; b = b->next, j++) {
			if ((rc = schema__json_equal(w, a, b)) < 0)
				return -1;
			if (rc == 1)
				return schema__fail(w, "items [%d] and [%d] are "
				    "equal", i, j);
		}
	return 0;
}

int
schema__unique_items(struct schema_walk *w, const cJSON *v)
{
	struct schema_item *items;
	const cJSON *c;
	unsigned long nodes = 0;
	size_t n = 0, i, j, k;
	int rc = 0, eq;

	cJSON_ArrayForEach(c, v)
		n++;
	if (n <= SCHEMA_UNIQUE_PAIRWISE)
		return schema_unique_pairwise(w, v);
	if (!(items = malloc(n * sizeof(*items))))
		return schema__abort(w, "out of memory");
	i = 0;
	cJSON_ArrayForEach(c, v) {
		items[i].hash = schema_hash(c, 0, &nodes);
		items[i].index = (int)i;
		items[i].v = c;
		i++;
	}
	if (schema_json_steps(w, nodes) != 0) {
		rc = -1;
		goto out;
	}
	qsort(items, n, sizeof(*items), schema_item_cmp);
	/* Only items of one hash can be equal; within a run, by index. */
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && items[j].hash == items[i].hash; j++)
			;
		for (k = i; k + 1 < j; k++) {
			size_t l;

			for (l = k + 1; l < j; l++) {
				if ((eq = schema__json_equal(w, items[k].v,
				    items[l].v)) < 0) {
					rc = -1;
					goto out;
				}
				if (eq == 1) {
					rc = schema__fail(w, "items [%d] and [%d] "
					    "are equal", items[k].index,
					    items[l].index);
					goto out;
				}
			}
		}
	}
out:
	free(items);
	return rc;
}

static void
schema_size(const cJSON *v, int depth, unsigned long *nodes,
    unsigned long *bytes)
{
	const cJSON *c;

	(*nodes)++;
	if (v->string)
		*bytes += strlen(v->string);
	if (cJSON_IsString(v) && v->valuestring)
		*bytes += strlen(v->valuestring);
	if (depth < SCHEMA_JSON_DEPTH_MAX && (cJSON_IsArray(v) ||
	    cJSON_IsObject(v)))
		cJSON_ArrayForEach(c, v)
			schema_size(c, depth + 1, nodes, bytes);
}

void
schema__json_size(const cJSON *v, unsigned long *nodes, unsigned long *bytes)
{
	*nodes = *bytes = 0;
	if (v)
		schema_size(v, 0, nodes, bytes);
}
