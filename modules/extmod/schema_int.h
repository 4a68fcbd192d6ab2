/* schema_int.h: what the schema_*.c files share and nobody else calls:
 * the walk (position, message, budgets), type masks, JSON pointers, a
 * pointer set, JSON equality, and patterns (parsed tree, matcher). */
#ifndef PXPD_SCHEMA_INT_H
#define PXPD_SCHEMA_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "extmod/schema.h"
#include "os/attr.h"

/* ---- limits ------------------------------------------------------------ */

#define SCHEMA_PATH_MAX 512
#define SCHEMA_KEY_SHOWN 64        /* longest property name quoted in a path */
/* Nested evaluations, $ref hops included: bounds the C stack whatever the
 * value or the references look like. */
#define SCHEMA_EVAL_DEPTH_MAX 256
/* Validation work: this many steps plus SCHEMA_STEPS_PER_NODE for each
 * node of the value and SCHEMA_STEPS_PER_BYTE for each byte of its
 * strings, so that anyOf/oneOf over references cannot go exponential, nor
 * a pattern run long on a long string, while any linear pass over a big
 * value still fits. A step is one schema applied to one value, or one
 * pattern thread moved over one byte. */
#define SCHEMA_STEPS_BASE 200000UL
#define SCHEMA_STEPS_PER_NODE 64UL
#define SCHEMA_STEPS_PER_BYTE 16UL
#define SCHEMA_JSON_DEPTH_MAX 1024 /* equality and hashing of values */
#define SCHEMA_RE_CACHE 16         /* compiled patterns kept per call */

/* ---- the walk ---------------------------------------------------------- */

struct schema_set;
struct schema_regex;

struct schema_re_cache {
	const char *src[SCHEMA_RE_CACHE];
	struct schema_regex *re[SCHEMA_RE_CACHE];
	int n;
};

/* One schema_check() or schema_validate() call. path is the place the
 * message names: the schema's for check, the value's for validate. */
struct schema_walk {
	char path[SCHEMA_PATH_MAX];
	size_t len;
	char *err;
	size_t errlen;
	const cJSON *root;          /* the document "#" names */
	int quiet;                  /* > 0: inside anyOf/oneOf/not */
	bool abort;                 /* a hard error: no combinator undoes it */
	int level;                  /* nested evaluations now */
	unsigned long steps, max_steps;
	struct schema_re_cache cache;
};

void schema__walk_init(struct schema_walk *w, const cJSON *root, char *err,
    size_t errlen);
void schema__walk_done(struct schema_walk *w);
/* A violation: written unless quiet, returns -1. */
int schema__fail(struct schema_walk *w, const char *fmt, ...)
    OS_PRINTF(2, 3);
/* A hard error (bad schema, limits, memory): written even when quiet, and
 * sets w->abort so that not/anyOf/oneOf pass it on. Returns -1. */
int schema__abort(struct schema_walk *w, const char *fmt, ...)
    OS_PRINTF(2, 3);
/* Path segments; each returns the length to give back to path_pop. */
size_t schema__path_key(struct schema_walk *w, const char *name);
size_t schema__path_index(struct schema_walk *w, int i);
void schema__path_pop(struct schema_walk *w, size_t saved);

/* ---- types ------------------------------------------------------------- */

enum schema_type {
	SCHEMA_T_OBJECT = 1 << 0,
	SCHEMA_T_ARRAY = 1 << 1,
	SCHEMA_T_STRING = 1 << 2,
	SCHEMA_T_NUMBER = 1 << 3,
	SCHEMA_T_INTEGER = 1 << 4,
	SCHEMA_T_BOOLEAN = 1 << 5,
	SCHEMA_T_NULL = 1 << 6,
};

/* The types "type" allows as a mask (0 for an empty list), or -1 when it
 * is malformed. */
int schema__type_mask(const cJSON *type);
bool schema__type_matches(int mask, const cJSON *v);
const char *schema__value_type(const cJSON *v);
void schema__type_list(int mask, char *buf, size_t len);
bool schema__integral(double d);

/* ---- JSON pointers ($ref) ---------------------------------------------- */

/* The node that ref ("#" or "#/a/b~1c/0", percent-escapes allowed) names
 * in root, or NULL when ref is not such a pointer or names nothing.
 * *tokens gets the pointer's length in tokens. With w, the tokens are
 * appended to w's path as they are followed. */
const cJSON *schema__pointer(const cJSON *root, const char *ref,
    struct schema_walk *w, int *tokens);
/* Is ref a pointer into this document ("#..."), as opposed to another
 * document or a plain-name fragment? */
bool schema__pointer_local(const char *ref);

/* ---- a set of node pointers, each with a few flag bits ----------------- */

struct schema_set {
	const void **keys;
	unsigned char *flags;
	size_t cap, n;
};

/* Flags of key (0 when absent). */
unsigned schema__set_get(const struct schema_set *s, const void *key);
/* ORs flags into key's; 0, or -1 when out of memory. */
int schema__set_add(struct schema_set *s, const void *key, unsigned flags);
void schema__set_free(struct schema_set *s);

/* ---- JSON values (schema_json.c) --------------------------------------- */

/* Draft 4 equality: same type, numbers by value, objects regardless of
 * member order. 1 equal, 0 not, -1 too deep or over w's budget (w aborted). */
int schema__json_equal(struct schema_walk *w, const cJSON *a, const cJSON *b);
/* uniqueItems on array v: 0, or -1 with the first pair named. */
int schema__unique_items(struct schema_walk *w, const cJSON *v);
/* The size of v for the step budget: nodes, and bytes of strings and
 * member names; counting stops at SCHEMA_JSON_DEPTH_MAX. */
void schema__json_size(const cJSON *v, unsigned long *nodes,
    unsigned long *bytes);

/* ---- patterns (schema_regex.c parses, schema_regex_vm.c runs) ---------- */

#define SCHEMA_PATTERN_MAX 4096    /* bytes of one ECMA-262 pattern */

/* A pattern parsed: a tree of nodes in one array, children linked by
 * index. A character class keeps its ASCII members as bits and its
 * non-ASCII ones as "all of them" or a list of code points. */
enum schema_re_kind {
	SCHEMA_RE_CHAR,             /* one UTF-8 character: bytes[0..len) */
	SCHEMA_RE_CLASS,            /* cls */
	SCHEMA_RE_CAT,              /* children in sequence */
	SCHEMA_RE_ALT,              /* one of the children */
	SCHEMA_RE_REPEAT,           /* child min..max times (max -1: no limit) */
	SCHEMA_RE_BOL,              /* start of the string */
	SCHEMA_RE_EOL,              /* end of the string */
};

struct schema_re_node {
	unsigned char kind;
	unsigned char len;
	unsigned char bytes[4];
	int cls;
	int min, max;
	int child, next;            /* first child, next sibling; -1: none */
};

struct schema_re_class {
	unsigned char ascii[16];    /* bit i: byte i (1..127) */
	bool nonascii;              /* every non-ASCII code point */
	int n_extra;
	unsigned *extra;            /* else these non-ASCII code points */
};

struct schema_re_tree {
	struct schema_re_node *nodes;
	int n_nodes, cap_nodes;
	struct schema_re_class *classes;
	int n_classes, cap_classes;
	int root;
};

/* Parses an ECMA-262 pattern; 0, or -1 with the reason in err ("back-
 * references are not supported"). The tree is freed with
 * schema__re_tree_free() either way. Pure. */
int schema__re_parse(const char *ecma, struct schema_re_tree *t, char *err,
    size_t errlen);
void schema__re_tree_free(struct schema_re_tree *t);
/* cp as UTF-8 into u; the length (1..4). */
int schema__utf8_encode(unsigned cp, unsigned char u[4]);

/* Compiles pattern into a matcher; NULL with the reason in err. */
struct schema_regex *schema__regex_new(const char *ecma, char *err,
    size_t errlen);
/* Does s contain a match? 1 or 0; -1 when *work would pass max_work (the
 * work done, threads times bytes, is added to *work either way). */
int schema__regex_match(struct schema_regex *re, const char *s,
    unsigned long *work, unsigned long max_work);
void schema__regex_free(struct schema_regex *re);

#endif
