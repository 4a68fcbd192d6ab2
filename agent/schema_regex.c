/* schema_regex.c: ECMA-262 patterns ("pattern", "patternProperties")
 * rewritten as POSIX extended regular expressions over UTF-8 bytes in the
 * C locale. Not compiling or matching (schema_regex_posix.c). Pure.
 *
 * What an ECMA pattern matches is kept: a character ('.', a class, a
 * non-ASCII literal) is one whole UTF-8 sequence, \d \w \s become
 * classes, (?:...) a group, lazy quantifiers greedy ones (the same
 * strings match), and "{" that starts no quantifier is a literal.
 * pxp-agent's Perl-style \A, \z and \Z anchors are taken too. What POSIX
 * cannot do is refused with a reason: back-references, lookaround, \b
 * and \B, and non-ASCII characters in a negated class.
 * Known differences: \s is ASCII white space only, and '.' also matches
 * U+2028 and U+2029.
 * Invariant: the output is bounded: a pattern of at most
 * SCHEMA_PATTERN_MAX bytes, at most SCHEMA_RE_GROUPS deep, whose
 * expansion by counted repetition stays under SCHEMA_RE_COST_MAX atoms,
 * so regcomp() neither recurses deeply nor builds a huge automaton. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema_int.h"

#define SCHEMA_RE_GROUPS 32
#define SCHEMA_RE_REPEAT_MAX 1000   /* largest {m,n} bound */
#define SCHEMA_RE_COST_MAX 20000UL  /* atoms once {m,n} is expanded */
#define SCHEMA_RE_OUT_MAX (512 * 1024)
#define SCHEMA_RE_EXTRA_MAX 256     /* non-ASCII members of one class */

/* Any non-ASCII UTF-8 sequence, lead byte first, so that a match never
 * starts inside a character. */
static const char schema_re_utf8_mb[] =
    "[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf][\x80-\xbf]|"
    "[\xf0-\xf4][\x80-\xbf][\x80-\xbf][\x80-\xbf]";

/* A character class: ASCII members as bits, non-ASCII ones as a flag
 * (all of them) or a list. */
struct schema_re_class {
	uint8_t ascii[16];
	bool nonascii;
	int n_extra;
	uint32_t extra[SCHEMA_RE_EXTRA_MAX];
};

struct schema_re {
	const char *p;              /* next pattern byte */
	char *out;
	size_t len, cap;
	char *err;
	size_t errlen;
	bool failed;
	unsigned long cost;         /* atoms so far, repetition expanded */
	unsigned long atom_cost;    /* of the last atom, for a quantifier */
	unsigned long group_start[SCHEMA_RE_GROUPS];
	int depth;
	bool can_repeat;            /* an atom was just emitted */
};

static void schema_re_fail(struct schema_re *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

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

static void
schema_re_put(struct schema_re *t, const char *s, size_t n)
{
	size_t cap;
	char *bigger;

	if (t->failed)
		return;
	if (t->len + n + 1 > t->cap) {
		cap = t->cap ? t->cap : 256;
		while (cap < t->len + n + 1)
			cap *= 2;
		if (cap > SCHEMA_RE_OUT_MAX) {
			schema_re_fail(t, "pattern too large once translated");
			return;
		}
		if (!(bigger = realloc(t->out, cap))) {
			schema_re_fail(t, "out of memory");
			return;
		}
		t->out = bigger;
		t->cap = cap;
	}
	memcpy(t->out + t->len, s, n);
	t->len += n;
	t->out[t->len] = '\0';
}

static void
schema_re_putc(struct schema_re *t, char c)
{
	schema_re_put(t, &c, 1);
}

static void
schema_re_atom(struct schema_re *t, unsigned long cost)
{
	t->atom_cost = cost;
	t->cost += cost;
	t->can_repeat = true;
	if (t->cost > SCHEMA_RE_COST_MAX)
		schema_re_fail(t, "pattern too large once repetitions are "
		    "expanded");
}

/* ---- UTF-8 ------------------------------------------------------------- */

static int
schema_re_utf8_encode(uint32_t cp, char u[4])
{
	if (cp < 0x80) {
		u[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	u[0] = (char)(0xf0 | (cp >> 18));
	u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	u[3] = (char)(0x80 | (cp & 0x3f));
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
schema_re_class_set(struct schema_re_class *c, int lo, int hi)
{
	int i;

	for (i = lo; i <= hi; i++)
		c->ascii[i >> 3] |= (uint8_t)(1u << (i & 7));
}

static bool
schema_re_class_has(const struct schema_re_class *c, int i)
{
	return c->ascii[i >> 3] & (1u << (i & 7));
}

/* Members 1..127 flipped; NUL is never matched (C strings). */
static void
schema_re_class_flip(struct schema_re_class *c)
{
	int i;

	for (i = 0; i < 16; i++)
		c->ascii[i] = (uint8_t)~c->ascii[i];
	c->ascii[0] &= (uint8_t)~1u;
	c->nonascii = !c->nonascii;
}

/* \d \D \w \W \s \S, and '.' as '.'. */
static void
schema_re_class_named(struct schema_re_class *c, char name)
{
	struct schema_re_class k;

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
	for (int i = 0; i < 16; i++)
		c->ascii[i] |= k.ascii[i];
	c->nonascii |= k.nonascii;
}

static void
schema_re_class_range(struct schema_re *t, struct schema_re_class *c,
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

static bool
schema_re_special_in_bracket(int i)
{
	return i == ']' || i == '^' || i == '-' || i == '[';
}

/* The ASCII members as one POSIX bracket expression: ']' first, '-'
 * last, '^' never first, '[' never before '.', ':' or '='. */
static void
schema_re_emit_ascii(struct schema_re *t, const struct schema_re_class *c)
{
	bool any = false;
	int i, j, n = 0;

	for (i = 1; i < 128; i++)
		n += schema_re_class_has(c, i);
	if (n == 1 && schema_re_class_has(c, '^')) {
		schema_re_put(t, "\\^", 2);
		return;
	}
	schema_re_putc(t, '[');
	if (schema_re_class_has(c, ']')) {
		schema_re_putc(t, ']');
		any = true;
	}
	for (i = 1; i < 128; i = j + 1) {
		j = i;
		if (!schema_re_class_has(c, i) || schema_re_special_in_bracket(i))
			continue;
		while (j + 1 < 128 && schema_re_class_has(c, j + 1) &&
		    !schema_re_special_in_bracket(j + 1))
			j++;
		schema_re_putc(t, (char)i);
		if (j - i >= 2)
			schema_re_putc(t, '-');
		if (j > i)
			schema_re_putc(t, (char)j);
		any = true;
	}
	if (schema_re_class_has(c, '[')) {
		schema_re_putc(t, '[');
		any = true;
	}
	if (schema_re_class_has(c, '^')) {
		if (!any) {
			/* only '^' and '-': "[-^]" */
			schema_re_putc(t, '-');
			schema_re_putc(t, '^');
			schema_re_putc(t, ']');
			return;
		}
		schema_re_putc(t, '^');
	}
	if (schema_re_class_has(c, '-'))
		schema_re_putc(t, '-');
	schema_re_putc(t, ']');
}

static void
schema_re_emit_class(struct schema_re *t, const struct schema_re_class *c)
{
	bool ascii = false, first = true;
	unsigned long cost = 1;
	char u[4];
	int i, n;

	for (i = 0; i < 16; i++)
		ascii |= c->ascii[i] != 0;
	if (!c->nonascii && c->n_extra == 0) {
		/* [] matches nothing: NUL only, which no C string holds. */
		if (ascii)
			schema_re_emit_ascii(t, c);
		else
			schema_re_put(t, "[^\x01-\xff]", 7);
		schema_re_atom(t, 1);
		return;
	}
	schema_re_putc(t, '(');
	if (ascii) {
		schema_re_emit_ascii(t, c);
		first = false;
	}
	if (c->nonascii) {
		if (!first)
			schema_re_putc(t, '|');
		schema_re_put(t, schema_re_utf8_mb, strlen(schema_re_utf8_mb));
		cost += 9;
	} else {
		for (i = 0; i < c->n_extra; i++) {
			if (!first || i > 0)
				schema_re_putc(t, '|');
			n = schema_re_utf8_encode(c->extra[i], u);
			schema_re_put(t, u, (size_t)n);
			cost += (unsigned long)n;
		}
	}
	schema_re_putc(t, ')');
	schema_re_atom(t, cost);
}

/* One member of [...]: a code point, or -1 when it was a class escape
 * (added to c already), or -2 on failure. */
static long
schema_re_class_atom(struct schema_re *t, struct schema_re_class *c)
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

static void
schema_re_class(struct schema_re *t)
{
	struct schema_re_class c;
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
			return;
		}
		if ((lo = schema_re_class_atom(t, &c)) == -2)
			return;
		if (lo >= 0 && t->p[0] == '-' && t->p[1] && t->p[1] != ']') {
			t->p++;
			if ((hi = schema_re_class_atom(t, &c)) == -2)
				return;
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
		return;
	t->p++;
	if (neg) {
		if (c.n_extra && !c.nonascii) {
			schema_re_fail(t, "non-ASCII characters in a negated class "
			    "[^...] are not supported");
			return;
		}
		c.n_extra = 0;
		schema_re_class_flip(&c);
	}
	schema_re_emit_class(t, &c);
}

/* ---- atoms, groups, quantifiers ---------------------------------------- */

static void
schema_re_literal(struct schema_re *t, long cp)
{
	char u[4];
	int n = schema_re_utf8_encode((uint32_t)cp, u);

	if (n == 1) {
		if (strchr("^.[$()|*+?{\\", u[0]))
			schema_re_putc(t, '\\');
		schema_re_putc(t, u[0]);
		schema_re_atom(t, 1);
		return;
	}
	/* a group, so that a quantifier repeats the whole character */
	schema_re_putc(t, '(');
	schema_re_put(t, u, (size_t)n);
	schema_re_putc(t, ')');
	schema_re_atom(t, (unsigned long)n);
}

static void
schema_re_anchor(struct schema_re *t, const char *ere)
{
	schema_re_put(t, ere, strlen(ere));
	t->can_repeat = false;
}

static void
schema_re_repeat(struct schema_re *t, const char *q, size_t qlen,
    unsigned long factor)
{
	if (!t->can_repeat) {
		schema_re_fail(t, "nothing to repeat before '%.*s'", (int)qlen, q);
		return;
	}
	schema_re_put(t, q, qlen);
	/* lazy or greedy, the same strings match */
	if (*t->p == '?')
		t->p++;
	t->cost += t->atom_cost * (factor - 1);
	t->can_repeat = false;
	if (t->cost > SCHEMA_RE_COST_MAX)
		schema_re_fail(t, "pattern too large once repetitions are "
		    "expanded");
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

/* "{m}", "{m,}" or "{m,n}" at t->p becomes a quantifier (true); any other
 * "{" is a literal (false), as ECMA Annex B reads it. */
static bool
schema_re_bounds(struct schema_re *t)
{
	const char *q = t->p + 1;
	long m, n = -1;
	bool comma = false;
	char buf[32];
	int len;
	unsigned long factor;

	if (*q < '0' || *q > '9')
		return false;
	m = schema_re_number(&q);
	if (*q == ',') {
		comma = true;
		q++;
		if (*q >= '0' && *q <= '9')
			n = schema_re_number(&q);
	}
	if (*q != '}')
		return false;
	t->p = q + 1;
	if (m > SCHEMA_RE_REPEAT_MAX || n > SCHEMA_RE_REPEAT_MAX) {
		schema_re_fail(t, "repetition bound above %d",
		    SCHEMA_RE_REPEAT_MAX);
		return true;
	}
	if (n >= 0 && m > n) {
		schema_re_fail(t, "numbers out of order in {%ld,%ld}", m, n);
		return true;
	}
	if (!comma) {
		len = snprintf(buf, sizeof(buf), "{%ld}", m);
		factor = m > 1 ? (unsigned long)m : 1;
	} else if (n < 0) {
		len = snprintf(buf, sizeof(buf), "{%ld,}", m);
		factor = (unsigned long)m + 1;
	} else {
		len = snprintf(buf, sizeof(buf), "{%ld,%ld}", m, n);
		factor = n > 1 ? (unsigned long)n : 1;
	}
	schema_re_repeat(t, buf, (size_t)len, factor);
	return true;
}

static void
schema_re_group_open(struct schema_re *t)
{
	const char *q = t->p + 1;

	if (t->depth == SCHEMA_RE_GROUPS) {
		schema_re_fail(t, "groups nested deeper than %d", SCHEMA_RE_GROUPS);
		return;
	}
	if (q[0] == '?') {
		if (q[1] == ':')
			q += 2;
		else if (q[1] == '=' || q[1] == '!' || (q[1] == '<' &&
		    (q[2] == '=' || q[2] == '!'))) {
			schema_re_fail(t, "lookahead and lookbehind are not "
			    "supported");
			return;
		} else if (q[1] == '<') {
			/* (?<name>...): without back-references, a plain group */
			for (q += 2; (*q >= 'a' && *q <= 'z') || (*q >= 'A' &&
			    *q <= 'Z') || (*q >= '0' && *q <= '9') || *q == '_' ||
			    *q == '$'; q++)
				;
			if (*q != '>' || q[-1] == '<') {
				schema_re_fail(t, "invalid group name");
				return;
			}
			q++;
		} else {
			schema_re_fail(t, "invalid group '(?'");
			return;
		}
	}
	t->p = q;
	t->group_start[t->depth++] = t->cost;
	schema_re_putc(t, '(');
	t->can_repeat = false;
}

static void
schema_re_group_close(struct schema_re *t)
{
	unsigned long cost;

	if (t->depth == 0) {
		schema_re_fail(t, "unmatched )");
		return;
	}
	t->p++;
	schema_re_putc(t, ')');
	cost = t->cost - t->group_start[--t->depth];
	/* The group's atoms are counted already; a quantifier multiplies. */
	t->atom_cost = cost ? cost : 1;
	t->can_repeat = true;
}

static void
schema_re_escape(struct schema_re *t)
{
	struct schema_re_class c;
	char e = t->p[1];
	long cp;

	if (!e) {
		schema_re_fail(t, "pattern ends with \\");
		return;
	}
	t->p += 2;
	switch (e) {
	case 'd': case 'D': case 'w': case 'W': case 's': case 'S':
		memset(&c, 0, sizeof(c));
		schema_re_class_named(&c, e);
		schema_re_emit_class(t, &c);
		return;
	case 'b': case 'B':
		schema_re_fail(t, "word boundaries (\\b, \\B) are not supported");
		return;
	/* Perl anchors, which pxp-agent's regex engine (boost, Perl syntax)
	 * reads so; ECMA would read plain letters. */
	case 'A':
		schema_re_anchor(t, "^");
		return;
	case 'z':
		schema_re_anchor(t, "$");
		return;
	case 'Z':
		schema_re_anchor(t, "\n?$");
		return;
	case 'k':
		schema_re_fail(t, "back-references are not supported");
		return;
	case 'p': case 'P':
		schema_re_fail(t, "Unicode property escapes (\\p, \\P) are not "
		    "supported");
		return;
	}
	if ((cp = schema_re_char_escape(t, e)) >= 0) {
		schema_re_literal(t, cp);
		return;
	}
	if (cp == -2)
		return;
	if (e == '0') {
		schema_re_fail(t, "NUL characters are not supported");
		return;
	}
	if (e >= '1' && e <= '9') {
		schema_re_fail(t, "back-references are not supported");
		return;
	}
	if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z')) {
		schema_re_fail(t, "unknown escape \\%c", e);
		return;
	}
	t->p--;
	if ((cp = schema_re_utf8_next(t)) >= 0)
		schema_re_literal(t, cp);
}

static void
schema_re_step(struct schema_re *t)
{
	struct schema_re_class c;
	long cp;

	switch (*t->p) {
	case '^':
		t->p++;
		schema_re_anchor(t, "^");
		return;
	case '$':
		t->p++;
		schema_re_anchor(t, "$");
		return;
	case '|':
		t->p++;
		schema_re_anchor(t, "|");
		return;
	case '(':
		schema_re_group_open(t);
		return;
	case ')':
		schema_re_group_close(t);
		return;
	case '*':
		t->p++;
		schema_re_repeat(t, "*", 1, 1);
		return;
	case '+':
		t->p++;
		schema_re_repeat(t, "+", 1, 2);
		return;
	case '?':
		t->p++;
		schema_re_repeat(t, "?", 1, 1);
		return;
	case '{':
		if (!schema_re_bounds(t)) {
			t->p++;
			schema_re_literal(t, '{');
		}
		return;
	case '.':
		t->p++;
		memset(&c, 0, sizeof(c));
		schema_re_class_named(&c, '.');
		schema_re_emit_class(t, &c);
		return;
	case '[':
		schema_re_class(t);
		return;
	case '\\':
		schema_re_escape(t);
		return;
	}
	if ((cp = schema_re_utf8_next(t)) >= 0)
		schema_re_literal(t, cp);
}

char *
schema__regex_translate(const char *ecma, char *err, size_t errlen)
{
	struct schema_re t;

	memset(&t, 0, sizeof(t));
	t.p = ecma;
	t.err = err;
	t.errlen = errlen;
	if (err && errlen)
		err[0] = '\0';
	if (strlen(ecma) > SCHEMA_PATTERN_MAX)
		schema_re_fail(&t, "pattern longer than %d bytes",
		    SCHEMA_PATTERN_MAX);
	/* An empty ERE is undefined in POSIX; "^" matches every string. */
	if (!*ecma)
		schema_re_put(&t, "^", 1);
	while (*t.p && !t.failed)
		schema_re_step(&t);
	if (!t.failed && t.depth)
		schema_re_fail(&t, "unmatched (");
	if (t.failed) {
		free(t.out);
		return NULL;
	}
	return t.out;
}
