/* schema_regex.c: ECMA-262 patterns ("pattern", "patternProperties")
 * parsed into a tree for the matcher of schema_regex_vm.c. Not compiling
 * or matching. Pure: no I/O, logging or globals.
 *
 * What an ECMA pattern means is kept: a character ('.', a class, a
 * literal) is a whole UTF-8 sequence, \d \w \s are ASCII classes, (?:...)
 * and (?<name>...) are groups, lazy quantifiers match what greedy ones
 * match, and a "{" that starts no quantifier is a literal (Annex B).
 * pxp-agent's Perl-style \A, \z and \Z anchors are read as anchors.
 * Refused with a reason, since the matcher has no way to run them in
 * bounded time or they are rare enough not to matter: back-references,
 * lookaround, \b and \B, \p, and non-ASCII characters in a negated class.
 * Known differences: \s is ASCII white space only, and '.' also matches
 * U+2028 and U+2029.
 * Invariant: the tree is bounded: a pattern of at most SCHEMA_PATTERN_MAX
 * bytes, groups at most SCHEMA_RE_GROUPS deep (the parser's recursion),
 * {m,n} bounds at most SCHEMA_RE_REPEAT_MAX. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extmod/schema_int.h"

#define SCHEMA_RE_GROUPS 32
#define SCHEMA_RE_REPEAT_MAX 1000   /* largest {m,n} bound */
#define SCHEMA_RE_NODES_MAX (4 * SCHEMA_PATTERN_MAX + 64)
#define SCHEMA_RE_EXTRA_MAX 256     /* non-ASCII members of one class */

/* A class while it is parsed; stored with only its extras' length. */
struct schema_re_class_work {
	uint8_t ascii[16];
	bool nonascii;
	int n_extra;
	uint32_t extra[SCHEMA_RE_EXTRA_MAX];
};

struct schema_re {
	const char *p;              /* next pattern byte */
	struct schema_re_tree *tree;
	char *err;
	size_t errlen;
	bool failed;
	int depth;                  /* groups open */
};

static void schema_re_fail(struct schema_re *t, const char *fmt, ...)
    OS_PRINTF(2, 3);

static void
schema_re_fail(struct schema_re *t, const char *fmt, ...)
{
	va_list ap;

	if (t->failed)
		return;
	t->failed = true;
	if (!t->err || !t->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(t->err, t->errlen, fmt, ap);
	va_end(ap);
}

/* ---- the tree ---------------------------------------------------------- */

static int
schema_re_node(struct schema_re *t, int kind)
{
	struct schema_re_tree *tr = t->tree;
	struct schema_re_node *bigger, *n;
	int cap;

	if (t->failed)
		return -1;
	if (tr->n_nodes == tr->cap_nodes) {
		cap = tr->cap_nodes ? tr->cap_nodes * 2 : 64;
		if (tr->n_nodes >= SCHEMA_RE_NODES_MAX) {
			schema_re_fail(t, "pattern too large");
			return -1;
		}
		if (!(bigger = realloc(tr->nodes, (size_t)cap * sizeof(*bigger)))) {
			schema_re_fail(t, "out of memory");
			return -1;
		}
		tr->nodes = bigger;
		tr->cap_nodes = cap;
	}
	n = &tr->nodes[tr->n_nodes];
	memset(n, 0, sizeof(*n));
	n->kind = (unsigned char)kind;
	n->child = n->next = -1;
	return tr->n_nodes++;
}

/* Appends child to parent's children; *last is the previous one. */
static void
schema_re_link(struct schema_re *t, int parent, int child, int *last)
{
	if (*last < 0)
		t->tree->nodes[parent].child = child;
	else
		t->tree->nodes[*last].next = child;
	*last = child;
}

void
schema__re_tree_free(struct schema_re_tree *tr)
{
	int i;

	for (i = 0; i < tr->n_classes; i++)
		free(tr->classes[i].extra);
	free(tr->classes);
	free(tr->nodes);
	memset(tr, 0, sizeof(*tr));
}

/* ---- UTF-8 ------------------------------------------------------------- */

int
schema__utf8_encode(unsigned cp, unsigned char u[4])
{
	if (cp < 0x80) {
		u[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		u[0] = (unsigned char)(0xc0 | (cp >> 6));
		u[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		u[0] = (unsigned char)(0xe0 | (cp >> 12));
		u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	u[0] = (unsigned char)(0xf0 | (cp >> 18));
	u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
	u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
	u[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

/* The code point at t->p, stepping over it; -1 (failed) when the pattern
 * is not UTF-8 there. */
static long
schema_re_utf8_next(struct schema_re *t)
{
	const unsigned char *s = (const unsigned char *)t->p;
	uint32_t cp;
	int n, i;

	if (s[0] < 0x80) {
		t->p++;
		return s[0];
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 1;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 2;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 3;
		cp = s[0] & 0x07;
	} else
		goto bad;
	for (i = 1; i <= n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			goto bad;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		goto bad;
	t->p += n + 1;
	return (long)cp;
bad:
	schema_re_fail(t, "pattern is not valid UTF-8");
	return -1;
}

/* ---- escapes that name one character ----------------------------------- */

static int
schema_re_hex(const char *s, int n)
{
	int v = 0, i, d;

	for (i = 0; i < n; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			d = s[i] - '0';
		else if (s[i] >= 'a' && s[i] <= 'f')
			d = s[i] - 'a' + 10;
		else if (s[i] >= 'A' && s[i] <= 'F')
			d = s[i] - 'A' + 10;
		else
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/* After "\" and the letter c (t->p is past both): the code point of a
 * \n \t \r \f \v \cX \xHH \uHHHH escape, -1 when c starts none of them,
 * -2 (failed) when it starts one badly. */
static long
schema_re_char_escape(struct schema_re *t, char c)
{
	int v, lo;

	switch (c) {
	case 'n': return '\n';
	case 't': return '\t';
	case 'r': return '\r';
	case 'f': return '\f';
	case 'v': return '\v';
	case 'c':
		if ((*t->p >= 'a' && *t->p <= 'z') ||
		    (*t->p >= 'A' && *t->p <= 'Z'))
			return *t->p++ & 0x1f;
		schema_re_fail(t, "\\c must be followed by a letter");
		return -2;
	case 'x':
		if ((v = schema_re_hex(t->p, 2)) < 0) {
			schema_re_fail(t, "\\x needs two hex digits");
			return -2;
		}
		t->p += 2;
		break;
	case 'u':
		if ((v = schema_re_hex(t->p, 4)) < 0) {
			schema_re_fail(t, "\\u needs four hex digits");
			return -2;
		}
		t->p += 4;
		if (v >= 0xd800 && v <= 0xdbff && t->p[0] == '\\' &&
		    t->p[1] == 'u' && (lo = schema_re_hex(t->p + 2, 4)) >= 0xdc00 &&
		    lo <= 0xdfff) {
			t->p += 6;
			v = 0x10000 + ((v - 0xd800) << 10) + (lo - 0xdc00);
		} else if (v >= 0xd800 && v <= 0xdfff) {
			schema_re_fail(t, "lone surrogate \\u%04x", v);
			return -2;
		}
		break;
	default:
		return -1;
	}
	if (v == 0) {
		schema_re_fail(t, "NUL characters are not supported");
		return -2;
	}
	return v;
}

/* ---- classes ----------------------------------------------------------- */

static void
schema_re_class_set(struct schema_re_class_work *c, int lo, int hi)
{
	int i;

	for (i = lo; i <= hi; i++)
		c->ascii[i >> 3] |= (uint8_t)(1u << (i & 7));
}

/* Members 1..127 flipped; NUL is never matched (C strings). */
static void
schema_re_class_flip(struct schema_re_class_work *c)
{
	int i;

	for (i = 0; i < 16; i++)
		c->ascii[i] = (uint8_t)~c->ascii[i];
	c->ascii[0] &= (uint8_t)~1u;
	c->nonascii = !c->nonascii;
}

/* \d \D \w \W \s \S, and '.' as '.'. */
static void
schema_re_class_named(struct schema_re_class_work *c, char name)
{
	struct schema_re_class_work k;
	int i;

	memset(&k, 0, sizeof(k));
	switch (name) {
	case 'd': case 'D':
		schema_re_class_set(&k, '0', '9');
		break;
	case 'w': case 'W':
		schema_re_class_set(&k, '0', '9');
		schema_re_class_set(&k, 'A', 'Z');
		schema_re_class_set(&k, 'a', 'z');
		schema_re_class_set(&k, '_', '_');
		break;
	case 's': case 'S':
		schema_re_class_set(&k, '\t', '\r');
		schema_re_class_set(&k, ' ', ' ');
		break;
	case '.':
		schema_re_class_set(&k, '\n', '\n');
		schema_re_class_set(&k, '\r', '\r');
		break;
	}
	if (name == 'D' || name == 'W' || name == 'S' || name == '.')
		schema_re_class_flip(&k);
	for (i = 0; i < 16; i++)
		c->ascii[i] |= k.ascii[i];
	c->nonascii |= k.nonascii;
}

static void
schema_re_class_range(struct schema_re *t, struct schema_re_class_work *c,
    long lo, long hi)
{
	long cp;
	int i;

	if (lo > hi) {
		schema_re_fail(t, "range out of order in [...]");
		return;
	}
	if (lo < 0x80)
		schema_re_class_set(c, (int)lo, hi < 0x80 ? (int)hi : 0x7f);
	for (cp = lo < 0x80 ? 0x80 : lo; cp <= hi; cp++) {
		for (i = 0; i < c->n_extra && c->extra[i] != (uint32_t)cp; i++)
			;
		if (i < c->n_extra)
			continue;
		if (c->n_extra == SCHEMA_RE_EXTRA_MAX) {
			schema_re_fail(t, "more than %d non-ASCII characters in "
			    "[...]", SCHEMA_RE_EXTRA_MAX);
			return;
		}
		c->extra[c->n_extra++] = (uint32_t)cp;
	}
}

/* One member of [...]: a code point, or -1 when it was a class escape
 * (added to c already), or -2 on failure. */
static long
schema_re_class_atom(struct schema_re *t, struct schema_re_class_work *c)
{
	long cp;
	char e;

	if (*t->p != '\\')
		return (cp = schema_re_utf8_next(t)) < 0 ? -2 : cp;
	if (!(e = t->p[1])) {
		schema_re_fail(t, "pattern ends with \\");
		return -2;
	}
	t->p += 2;
	switch (e) {
	case 'd': case 'D': case 'w': case 'W': case 's': case 'S':
		schema_re_class_named(c, e);
		return -1;
	case 'b':
		return '\b';
	}
	if ((cp = schema_re_char_escape(t, e)) != -1)
		return cp;
	if (e >= '0' && e <= '9') {
		schema_re_fail(t, "back-references and octal escapes are not "
		    "supported");
		return -2;
	}
	if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z')) {
		schema_re_fail(t, "unknown escape \\%c", e);
		return -2;
	}
	/* punctuation or a non-ASCII character stands for itself */
	t->p--;
	return (cp = schema_re_utf8_next(t)) < 0 ? -2 : cp;
}

/* ---- atoms ------------------------------------------------------------- */

static int
schema_re_char(struct schema_re *t, long cp)
{
	int n = schema_re_node(t, SCHEMA_RE_CHAR);

	if (n >= 0)
		t->tree->nodes[n].len = (unsigned char)schema__utf8_encode(
		    (unsigned)cp, t->tree->nodes[n].bytes);
	return n;
}

static int
schema_re_class_node(struct schema_re *t, const struct schema_re_class_work *w)
{
	struct schema_re_tree *tr = t->tree;
	struct schema_re_class *bigger, *c;
	int n, cap;

	if (t->failed || (n = schema_re_node(t, SCHEMA_RE_CLASS)) < 0)
		return -1;
	if (tr->n_classes == tr->cap_classes) {
		cap = tr->cap_classes ? tr->cap_classes * 2 : 16;
		if (!(bigger = realloc(tr->classes, (size_t)cap * sizeof(*bigger)))) {
			schema_re_fail(t, "out of memory");
			return -1;
		}
		tr->classes = bigger;
		tr->cap_classes = cap;
	}
	c = &tr->classes[tr->n_classes];
	memset(c, 0, sizeof(*c));
	memcpy(c->ascii, w->ascii, sizeof(c->ascii));
	c->nonascii = w->nonascii;
	if (!w->nonascii && w->n_extra) {
		if (!(c->extra = malloc((size_t)w->n_extra * sizeof(*c->extra)))) {
			schema_re_fail(t, "out of memory");
			return -1;
		}
		memcpy(c->extra, w->extra, (size_t)w->n_extra * sizeof(*c->extra));
		c->n_extra = w->n_extra;
	}
	tr->nodes[n].cls = tr->n_classes++;
	return n;
}

static int
schema_re_named(struct schema_re *t, char name)
{
	struct schema_re_class_work c;

	memset(&c, 0, sizeof(c));
	schema_re_class_named(&c, name);
	return schema_re_class_node(t, &c);
}

static int
schema_re_class(struct schema_re *t)
{
	struct schema_re_class_work c;
	bool neg = false;
	long lo, hi;

	memset(&c, 0, sizeof(c));
	t->p++;
	if (*t->p == '^') {
		neg = true;
		t->p++;
	}
	/* ECMA: "]" right after "[" closes it ("[]" matches nothing). */
	while (!t->failed && *t->p != ']') {
		if (!*t->p) {
			schema_re_fail(t, "unterminated [...]");
			return -1;
		}
		if ((lo = schema_re_class_atom(t, &c)) == -2)
			return -1;
		if (lo >= 0 && t->p[0] == '-' && t->p[1] && t->p[1] != ']') {
			t->p++;
			if ((hi = schema_re_class_atom(t, &c)) == -2)
				return -1;
			if (hi == -1) {
				/* [a-\d] is a, '-' and \d (ECMA Annex B) */
				schema_re_class_range(t, &c, lo, lo);
				schema_re_class_range(t, &c, '-', '-');
			} else
				schema_re_class_range(t, &c, lo, hi);
		} else if (lo >= 0)
			schema_re_class_range(t, &c, lo, lo);
	}
	if (t->failed)
		return -1;
	t->p++;
	if (neg) {
		if (c.n_extra && !c.nonascii) {
			schema_re_fail(t, "non-ASCII characters in a negated class "
			    "[^...] are not supported");
			return -1;
		}
		c.n_extra = 0;
		schema_re_class_flip(&c);
	}
	return schema_re_class_node(t, &c);
}

/* \Z: end of the string, or before a final line feed. */
static int
schema_re_end_or_newline(struct schema_re *t)
{
	int cat = schema_re_node(t, SCHEMA_RE_CAT), rep, nl, eol, last = -1;

	rep = schema_re_node(t, SCHEMA_RE_REPEAT);
	nl = schema_re_char(t, '\n');
	eol = schema_re_node(t, SCHEMA_RE_EOL);
	if (t->failed)
		return -1;
	t->tree->nodes[rep].min = 0;
	t->tree->nodes[rep].max = 1;
	t->tree->nodes[rep].child = nl;
	schema_re_link(t, cat, rep, &last);
	schema_re_link(t, cat, eol, &last);
	return cat;
}

static int
schema_re_escape(struct schema_re *t, bool *repeatable)
{
	char e = t->p[1];
	long cp;

	if (!e) {
		schema_re_fail(t, "pattern ends with \\");
		return -1;
	}
	t->p += 2;
	switch (e) {
	case 'd': case 'D': case 'w': case 'W': case 's': case 'S':
		return schema_re_named(t, e);
	case 'b': case 'B':
		schema_re_fail(t, "word boundaries (\\b, \\B) are not supported");
		return -1;
	/* Perl anchors, which pxp-agent's regex engine (boost, Perl syntax)
	 * reads so; ECMA would read plain letters. */
	case 'A':
		*repeatable = false;
		return schema_re_node(t, SCHEMA_RE_BOL);
	case 'z':
		*repeatable = false;
		return schema_re_node(t, SCHEMA_RE_EOL);
	case 'Z':
		*repeatable = false;
		return schema_re_end_or_newline(t);
	case 'k':
		schema_re_fail(t, "back-references are not supported");
		return -1;
	case 'p': case 'P':
		schema_re_fail(t, "Unicode property escapes (\\p, \\P) are not "
		    "supported");
		return -1;
	}
	if ((cp = schema_re_char_escape(t, e)) >= 0)
		return schema_re_char(t, cp);
	if (cp == -2)
		return -1;
	if (e == '0') {
		schema_re_fail(t, "NUL characters are not supported");
		return -1;
	}
	if (e >= '1' && e <= '9') {
		schema_re_fail(t, "back-references are not supported");
		return -1;
	}
	if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z')) {
		schema_re_fail(t, "unknown escape \\%c", e);
		return -1;
	}
	t->p--;
	return (cp = schema_re_utf8_next(t)) < 0 ? -1 : schema_re_char(t, cp);
}

static long
schema_re_number(const char **q)
{
	long v = 0;

	for (; **q >= '0' && **q <= '9'; (*q)++)
		if (v <= SCHEMA_RE_REPEAT_MAX)
			v = v * 10 + (**q - '0');
	return v;
}

/* A quantifier at t->p: 1 (stepped over it, bounds and its text set), 0
 * when there is none, -1 when it is malformed. A "{" that does not make
 * "{m}", "{m,}" or "{m,n}" is no quantifier (ECMA Annex B). */
static int
schema_re_quantifier(struct schema_re *t, int *min, int *max, char text[32])
{
	const char *q = t->p + 1;
	long m, n = -1;
	bool comma = false;

	switch (*t->p) {
	case '*': *min = 0; *max = -1; break;
	case '+': *min = 1; *max = -1; break;
	case '?': *min = 0; *max = 1; break;
	case '{':
		if (*q < '0' || *q > '9')
			return 0;
		m = schema_re_number(&q);
		if (*q == ',') {
			comma = true;
			q++;
			if (*q >= '0' && *q <= '9')
				n = schema_re_number(&q);
		}
		if (*q != '}')
			return 0;
		if (!comma)
			n = m;
		/* schema_re_number stops growing past the cap: these fit */
		if (!comma)
			snprintf(text, 32, "{%d}", (int)m);
		else if (n < 0)
			snprintf(text, 32, "{%d,}", (int)m);
		else
			snprintf(text, 32, "{%d,%d}", (int)m, (int)n);
		t->p = q + 1;
		if (m > SCHEMA_RE_REPEAT_MAX || n > SCHEMA_RE_REPEAT_MAX) {
			schema_re_fail(t, "repetition bound above %d",
			    SCHEMA_RE_REPEAT_MAX);
			return -1;
		}
		if (n >= 0 && m > n) {
			schema_re_fail(t, "numbers out of order in {%ld,%ld}", m, n);
			return -1;
		}
		*min = (int)m;
		*max = (int)n;
		return 1;
	default:
		return 0;
	}
	text[0] = *t->p++;
	text[1] = '\0';
	return 1;
}

static int schema_re_alt(struct schema_re *t);

static int
schema_re_group(struct schema_re *t)
{
	const char *q = t->p + 1;
	int node;

	if (t->depth == SCHEMA_RE_GROUPS) {
		schema_re_fail(t, "groups nested deeper than %d", SCHEMA_RE_GROUPS);
		return -1;
	}
	if (q[0] == '?') {
		if (q[1] == ':')
			q += 2;
		else if (q[1] == '=' || q[1] == '!' || (q[1] == '<' &&
		    (q[2] == '=' || q[2] == '!'))) {
			schema_re_fail(t, "lookahead and lookbehind are not "
			    "supported");
			return -1;
		} else if (q[1] == '<') {
			/* (?<name>...): without back-references, a plain group */
			for (q += 2; (*q >= 'a' && *q <= 'z') || (*q >= 'A' &&
			    *q <= 'Z') || (*q >= '0' && *q <= '9') || *q == '_' ||
			    *q == '$'; q++)
				;
			if (*q != '>' || q[-1] == '<') {
				schema_re_fail(t, "invalid group name");
				return -1;
			}
			q++;
		} else {
			schema_re_fail(t, "invalid group '(?'");
			return -1;
		}
	}
	t->p = q;
	t->depth++;
	node = schema_re_alt(t);
	t->depth--;
	if (node < 0)
		return -1;
	if (*t->p != ')') {
		schema_re_fail(t, "unmatched (");
		return -1;
	}
	t->p++;
	return node;
}

/* One atom; *repeatable says whether a quantifier may follow it. */
static int
schema_re_atom(struct schema_re *t, bool *repeatable)
{
	char text[32];
	int min, max, q;
	long cp;

	*repeatable = true;
	switch (*t->p) {
	case '(':
		return schema_re_group(t);
	case '^':
		t->p++;
		*repeatable = false;
		return schema_re_node(t, SCHEMA_RE_BOL);
	case '$':
		t->p++;
		*repeatable = false;
		return schema_re_node(t, SCHEMA_RE_EOL);
	case '*': case '+': case '?': case '{':
		if ((q = schema_re_quantifier(t, &min, &max, text)) > 0)
			schema_re_fail(t, "nothing to repeat before '%s'", text);
		if (q != 0)
			return -1;
		t->p++;
		return schema_re_char(t, '{');
	case '.':
		t->p++;
		return schema_re_named(t, '.');
	case '[':
		return schema_re_class(t);
	case '\\':
		return schema_re_escape(t, repeatable);
	}
	return (cp = schema_re_utf8_next(t)) < 0 ? -1 : schema_re_char(t, cp);
}

static int
schema_re_quantified(struct schema_re *t)
{
	bool repeatable;
	char text[32];
	int atom, rep, min, max, q;

	if ((atom = schema_re_atom(t, &repeatable)) < 0)
		return -1;
	if ((q = schema_re_quantifier(t, &min, &max, text)) <= 0)
		return q < 0 ? -1 : atom;
	if (!repeatable) {
		schema_re_fail(t, "nothing to repeat before '%s'", text);
		return -1;
	}
	/* lazy or greedy, the same strings match */
	if (*t->p == '?')
		t->p++;
	if ((rep = schema_re_node(t, SCHEMA_RE_REPEAT)) < 0)
		return -1;
	t->tree->nodes[rep].min = min;
	t->tree->nodes[rep].max = max;
	t->tree->nodes[rep].child = atom;
	/* ECMA: a quantifier cannot follow a quantifier ("a**") */
	if ((q = schema_re_quantifier(t, &min, &max, text)) > 0)
		schema_re_fail(t, "nothing to repeat before '%s'", text);
	return q == 0 ? rep : -1;
}

static int
schema_re_cat(struct schema_re *t)
{
	int cat = schema_re_node(t, SCHEMA_RE_CAT), last = -1, item;

	while (cat >= 0 && *t->p && *t->p != '|' && *t->p != ')') {
		if ((item = schema_re_quantified(t)) < 0)
			return -1;
		schema_re_link(t, cat, item, &last);
	}
	return t->failed ? -1 : cat;
}

static int
schema_re_alt(struct schema_re *t)
{
	int alt = schema_re_node(t, SCHEMA_RE_ALT), last = -1, cat;

	if (alt < 0)
		return -1;
	for (;;) {
		if ((cat = schema_re_cat(t)) < 0)
			return -1;
		schema_re_link(t, alt, cat, &last);
		if (*t->p != '|')
			return alt;
		t->p++;
	}
}

int
schema__re_parse(const char *ecma, struct schema_re_tree *tree, char *err,
    size_t errlen)
{
	struct schema_re t;

	memset(tree, 0, sizeof(*tree));
	memset(&t, 0, sizeof(t));
	t.p = ecma;
	t.tree = tree;
	t.err = err;
	t.errlen = errlen;
	if (err && errlen)
		err[0] = '\0';
	if (strlen(ecma) > SCHEMA_PATTERN_MAX) {
		schema_re_fail(&t, "pattern longer than %d bytes",
		    SCHEMA_PATTERN_MAX);
		return -1;
	}
	tree->root = schema_re_alt(&t);
	if (!t.failed && *t.p == ')')
		schema_re_fail(&t, "unmatched )");
	return t.failed ? -1 : 0;
}
