/* yaml_lite.c: the YAML subset Psych (Ruby's YAML) writes for the small
 * parts of a Puppet report we read: one-line scalars (plain, 'single',
 * "double" with escapes; tags and anchors skipped) and block mappings and
 * sequences, including the compact "- - x" form, into a cJSON tree. Not
 * which parts of a report matter or where lines come from (report.c).
 * Pure and bounded: recursion <= YAML_LITE_DEPTH_MAX, nodes <=
 * YAML_LITE_NODES_MAX. Anything outside the subset (flow collections other
 * than [] and {}, block scalars, aliases, multi-line scalars) is an error,
 * never a guess, so a report we misread cannot become a wrong result. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yaml_lite.h"

struct yl_ctx {
	struct yaml_lite_line *lines;
	size_t n;
	size_t i;               /* next line to consume */
	unsigned long nodes;
	char *err;
	size_t errlen;
};

static void
yl_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static size_t
yl_trim_right(const char *s, size_t len)
{
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' ||
	                   s[len - 1] == '\r'))
		len--;
	return len;
}

/* What may follow a closing quote: spaces, then nothing or a comment. */
static int
yl_rest_is_blank(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i == len)
		return 1;
	return i > 0 && s[i] == '#';
}

static size_t
yl_utf8_put(char *dst, uint32_t cp)
{
	if (cp < 0x80) {
		dst[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		dst[0] = (char)(0xC0 | (cp >> 6));
		dst[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		dst[0] = (char)(0xE0 | (cp >> 12));
		dst[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		dst[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	dst[0] = (char)(0xF0 | (cp >> 18));
	dst[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	dst[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	dst[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

static int
yl_hex(const char *s, size_t n, uint32_t *out)
{
	uint32_t v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		char c = s[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* s[0] == '"'. Decodes into a new string; *used = bytes consumed. No
 * escape grows more than by half: \L and \P (2 bytes) become
 * U+2028/U+2029 (3 bytes), every other one shrinks or stays; so len +
 * len / 2 + 1 bytes do (len + 1 did not: the fuzzer's overflow). */
static int
yl_double_quoted(const char *s, size_t len, char **out, size_t *used,
                 char *err, size_t errlen)
{
	char *dst = malloc(len + len / 2 + 1);
	size_t i = 1, o = 0;

	if (dst == NULL) {
		yl_err(err, errlen, "out of memory");
		return -1;
	}
	while (i < len && s[i] != '"') {
		uint32_t cp;
		size_t hex = 0;

		if (s[i] != '\\') {
			dst[o++] = s[i++];
			continue;
		}
		if (++i >= len)
			break;
		switch (s[i]) {
		case 'a': cp = 0x07; break;
		case 'b': cp = 0x08; break;
		case 't': case '\t': cp = 0x09; break;
		case 'n': cp = 0x0A; break;
		case 'v': cp = 0x0B; break;
		case 'f': cp = 0x0C; break;
		case 'r': cp = 0x0D; break;
		case 'e': cp = 0x1B; break;
		case ' ': cp = 0x20; break;
		case '"': cp = 0x22; break;
		case '/': cp = 0x2F; break;
		case '\\': cp = 0x5C; break;
		case 'N': cp = 0x85; break;
		case '_': cp = 0xA0; break;
		case 'L': cp = 0x2028; break;
		case 'P': cp = 0x2029; break;
		case 'x': hex = 2; cp = 0; break;
		case 'u': hex = 4; cp = 0; break;
		case 'U': hex = 8; cp = 0; break;
		default:
			yl_err(err, errlen, "unsupported escape '\\%c'", s[i]);
			goto fail;
		}
		i++;
		if (hex > 0) {
			if (len - i < hex || yl_hex(s + i, hex, &cp) < 0) {
				yl_err(err, errlen, "bad hex escape");
				goto fail;
			}
			i += hex;
		}
		/* NUL would end the C string early; surrogates are not
		 * characters; both mean the report is not what we expect. */
		if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
			yl_err(err, errlen, "escape of an invalid character");
			goto fail;
		}
		o += yl_utf8_put(dst + o, cp);
	}
	if (i >= len) {
		yl_err(err, errlen, "unterminated double-quoted scalar");
		goto fail;
	}
	dst[o] = '\0';
	*out = dst;
	*used = i + 1;
	return 0;
fail:
	free(dst);
	return -1;
}

/* s[0] == '\''; "''" stands for one quote. */
static int
yl_single_quoted(const char *s, size_t len, char **out, size_t *used,
                 char *err, size_t errlen)
{
	char *dst = malloc(len + 1);
	size_t i = 1, o = 0;

	if (dst == NULL) {
		yl_err(err, errlen, "out of memory");
		return -1;
	}
	for (;;) {
		if (i >= len) {
			free(dst);
			yl_err(err, errlen, "unterminated single-quoted scalar");
			return -1;
		}
		if (s[i] == '\'') {
			if (i + 1 < len && s[i + 1] == '\'') {
				dst[o++] = '\'';
				i += 2;
				continue;
			}
			break;
		}
		dst[o++] = s[i++];
	}
	dst[o] = '\0';
	*out = dst;
	*used = i + 1;
	return 0;
}

/* A plain scalar that YAML (and Psych) reads as a number. Integers with a
 * leading zero are octal in YAML 1.1; we leave those as text rather than
 * guess. */
static int
yl_plain_number(const char *s, double *out)
{
	const char *p = s;
	size_t digits = 0;
	char *end;

	if (*p == '+' || *p == '-')
		p++;
	if (p[0] == '0' && p[1] >= '0' && p[1] <= '9')
		return 0;
	while (*p >= '0' && *p <= '9') {
		p++;
		digits++;
	}
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9') {
			p++;
			digits++;
		}
	}
	if (digits == 0)
		return 0;
	if (*p == 'e' || *p == 'E') {
		size_t exp_digits = 0;
		p++;
		if (*p == '+' || *p == '-')
			p++;
		while (*p >= '0' && *p <= '9') {
			p++;
			exp_digits++;
		}
		if (exp_digits == 0)
			return 0;
	}
	if (*p != '\0')
		return 0;
	errno = 0;
	*out = strtod(s, &end);
	if (*end != '\0' || errno == ERANGE)
		return 0;
	return 1;
}

static int
yl_plain_is(const char *s, const char *const *words)
{
	for (; *words != NULL; words++)
		if (strcmp(s, *words) == 0)
			return 1;
	return 0;
}

int
yaml_lite_scalar_parse(const char *s, size_t len, struct yaml_lite_scalar *out,
                       char *err, size_t errlen)
{
	static const char *const nulls[] = { "~", "null", "Null", "NULL", NULL };
	static const char *const trues[] = { "true", "True", "TRUE", "yes",
		"Yes", "YES", "on", "On", "ON", NULL };
	static const char *const falses[] = { "false", "False", "FALSE", "no",
		"No", "NO", "off", "Off", "OFF", NULL };
	int force_string = 0;
	size_t used = 0, i;

	memset(out, 0, sizeof(*out));
	while (len > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	len = yl_trim_right(s, len);

	/* Tags (!ruby/object:..., !!str) and anchors (&a) only decorate the
	 * node; a tag alone means the value is the block that follows. */
	while (len > 0 && (*s == '!' || *s == '&')) {
		size_t t = 0;
		while (t < len && s[t] != ' ' && s[t] != '\t')
			t++;
		if (*s == '!' && (t == 5 && memcmp(s, "!!str", 5) == 0))
			force_string = 1;
		s += t;
		len -= t;
		while (len > 0 && (*s == ' ' || *s == '\t')) {
			s++;
			len--;
		}
	}
	if (len == 0 || *s == '#') {
		out->kind = YAML_LITE_EMPTY;
		return 0;
	}
	if (*s == '*') {
		yl_err(err, errlen, "aliases are not supported");
		return -1;
	}
	if (*s == '"' || *s == '\'') {
		int rc = *s == '"'
		    ? yl_double_quoted(s, len, &out->text, &used, err, errlen)
		    : yl_single_quoted(s, len, &out->text, &used, err, errlen);
		if (rc < 0)
			return -1;
		if (!yl_rest_is_blank(s + used, len - used)) {
			free(out->text);
			out->text = NULL;
			yl_err(err, errlen, "text after a quoted scalar");
			return -1;
		}
		out->kind = YAML_LITE_STRING;
		return 0;
	}
	if (len == 2 && memcmp(s, "[]", 2) == 0) {
		out->kind = YAML_LITE_EMPTY_SEQ;
		return 0;
	}
	if (len == 2 && memcmp(s, "{}", 2) == 0) {
		out->kind = YAML_LITE_EMPTY_MAP;
		return 0;
	}
	if (strchr("[]{},|>%@`", *s) != NULL) {
		yl_err(err, errlen, "unsupported YAML construct '%c'", *s);
		return -1;
	}
	if ((*s == '-' || *s == '?' || *s == ':') &&
	    (len == 1 || s[1] == ' ')) {
		yl_err(err, errlen, "unexpected '%c' indicator", *s);
		return -1;
	}
	/* A plain scalar ends at " #"; ": " inside one is not valid YAML. */
	for (i = 0; i < len; i++) {
		if (s[i] == '#' && i > 0 && (s[i - 1] == ' ' || s[i - 1] == '\t')) {
			len = yl_trim_right(s, i);
			break;
		}
		if (s[i] == ':' && (i + 1 == len || s[i + 1] == ' ')) {
			yl_err(err, errlen, "unexpected ': ' in a plain scalar");
			return -1;
		}
	}
	out->text = malloc(len + 1);
	if (out->text == NULL) {
		yl_err(err, errlen, "out of memory");
		return -1;
	}
	memcpy(out->text, s, len);
	out->text[len] = '\0';
	if (memchr(s, '\0', len) != NULL) {
		free(out->text);
		out->text = NULL;
		yl_err(err, errlen, "NUL byte in a scalar");
		return -1;
	}
	out->kind = YAML_LITE_STRING;
	if (force_string)
		return 0;
	if (yl_plain_is(out->text, nulls))
		out->kind = YAML_LITE_NULL;
	else if (yl_plain_is(out->text, trues)) {
		out->kind = YAML_LITE_BOOL;
		out->boolean = 1;
	} else if (yl_plain_is(out->text, falses))
		out->kind = YAML_LITE_BOOL;
	else if (yl_plain_number(out->text, &out->number))
		out->kind = YAML_LITE_NUMBER;
	return 0;
}

long
yaml_lite_key_parse(const char *s, size_t len, char **key, char *err,
                    size_t errlen)
{
	size_t end = 0, i;

	*key = NULL;
	if (len == 0 || (s[0] == '-' && (len == 1 || s[1] == ' ')) ||
	    s[0] == '#')
		return 0;
	if (s[0] == '"' || s[0] == '\'') {
		size_t used;
		int rc = s[0] == '"'
		    ? yl_double_quoted(s, len, key, &used, err, errlen)
		    : yl_single_quoted(s, len, key, &used, err, errlen);
		if (rc < 0)
			return -1;
		if (used < len && s[used] == ':' &&
		    (used + 1 == len || s[used + 1] == ' '))
			return (long)used + 1;
		free(*key);
		*key = NULL;
		return 0;
	}
	for (i = 0; i < len; i++) {
		if (s[i] == ':' && (i + 1 == len || s[i + 1] == ' ')) {
			end = i;
			break;
		}
		/* A comment starts before any key colon: not a key line. */
		if (s[i] == '#' && i > 0 && s[i - 1] == ' ')
			return 0;
	}
	if (i == len || end == 0)
		return 0;
	if (strchr("[]{},|>!&*%@`\"'", s[0]) != NULL) {
		yl_err(err, errlen, "unsupported mapping key");
		return -1;
	}
	end = yl_trim_right(s, end);
	*key = malloc(end + 1);
	if (*key == NULL) {
		yl_err(err, errlen, "out of memory");
		return -1;
	}
	memcpy(*key, s, end);
	(*key)[end] = '\0';
	return (long)i + 1;
}

static int yl_node(struct yl_ctx *c, int depth, cJSON **out);
static int yl_seq(struct yl_ctx *c, int indent, int depth, cJSON **out);

static int
yl_is_seq_item(const struct yaml_lite_line *l)
{
	return l->len > 0 && l->s[0] == '-' && (l->len == 1 || l->s[1] == ' ');
}

static int
yl_count(struct yl_ctx *c)
{
	if (++c->nodes > YAML_LITE_NODES_MAX) {
		yl_err(c->err, c->errlen, "too many YAML nodes");
		return -1;
	}
	return 0;
}

static cJSON *
yl_scalar_node(const struct yaml_lite_scalar *sc)
{
	switch (sc->kind) {
	case YAML_LITE_NULL: return cJSON_CreateNull();
	case YAML_LITE_BOOL: return cJSON_CreateBool(sc->boolean);
	case YAML_LITE_NUMBER: return cJSON_CreateNumber(sc->number);
	case YAML_LITE_STRING: return cJSON_CreateString(sc->text);
	case YAML_LITE_EMPTY_SEQ: return cJSON_CreateArray();
	case YAML_LITE_EMPTY_MAP: return cJSON_CreateObject();
	case YAML_LITE_EMPTY: break;
	}
	return cJSON_CreateNull();
}

/* The value of a key or "-" whose own line held nothing: the deeper block
 * that follows, a sequence at the key's own indent (Psych writes those for
 * mapping values), or null. */
static int
yl_block_value(struct yl_ctx *c, int indent, int is_key, int depth, cJSON **out)
{
	if (c->i < c->n && c->lines[c->i].indent > indent)
		return yl_node(c, depth + 1, out);
	if (is_key && c->i < c->n && c->lines[c->i].indent == indent &&
	    yl_is_seq_item(&c->lines[c->i]))
		return yl_seq(c, indent, depth + 1, out);
	*out = cJSON_CreateNull();
	return 0;
}

static int
yl_seq(struct yl_ctx *c, int indent, int depth, cJSON **out)
{
	cJSON *arr = cJSON_CreateArray();

	if (arr == NULL || yl_count(c) < 0)
		goto fail;
	while (c->i < c->n && c->lines[c->i].indent == indent &&
	       yl_is_seq_item(&c->lines[c->i])) {
		struct yaml_lite_line *l = &c->lines[c->i];
		struct yaml_lite_scalar sc;
		cJSON *child = NULL;
		size_t skip = 1;
		char *key = NULL;
		long klen;

		while (skip < l->len && l->s[skip] == ' ')
			skip++;
		klen = yaml_lite_key_parse(l->s + skip, l->len - skip, &key,
		                           c->err, c->errlen);
		free(key);
		if (klen < 0)
			goto fail;
		if (skip < l->len && (klen > 0 || (l->s[skip] == '-' &&
		    (skip + 1 == l->len || l->s[skip + 1] == ' ')))) {
			/* Compact form "- - x" / "- k: v": the rest of this
			 * line opens a node at its own column. */
			l->s += skip;
			l->len -= skip;
			l->indent += (int)skip;
			if (yl_node(c, depth + 1, &child) < 0)
				goto fail;
		} else {
			if (yaml_lite_scalar_parse(l->s + skip, l->len - skip, &sc,
			                           c->err, c->errlen) < 0)
				goto fail;
			c->i++;
			if (sc.kind == YAML_LITE_EMPTY) {
				if (yl_block_value(c, indent, 0, depth, &child) < 0)
					goto fail;
			} else {
				child = yl_scalar_node(&sc);
				if (yl_count(c) < 0) {
					free(sc.text);
					cJSON_Delete(child);
					goto fail;
				}
			}
			free(sc.text);
		}
		if (child == NULL) {
			yl_err(c->err, c->errlen, "out of memory");
			goto fail;
		}
		cJSON_AddItemToArray(arr, child);
	}
	*out = arr;
	return 0;
fail:
	cJSON_Delete(arr);
	return -1;
}

static int
yl_map(struct yl_ctx *c, int indent, int depth, cJSON **out)
{
	cJSON *obj = cJSON_CreateObject();

	if (obj == NULL || yl_count(c) < 0)
		goto fail;
	while (c->i < c->n && c->lines[c->i].indent == indent &&
	       !yl_is_seq_item(&c->lines[c->i])) {
		struct yaml_lite_line *l = &c->lines[c->i];
		struct yaml_lite_scalar sc;
		cJSON *child = NULL;
		char *key = NULL;
		long klen;

		klen = yaml_lite_key_parse(l->s, l->len, &key, c->err, c->errlen);
		if (klen <= 0) {
			if (klen == 0)
				yl_err(c->err, c->errlen,
				       "line %lu: expected 'key:'", l->lineno);
			goto fail;
		}
		if (cJSON_GetObjectItemCaseSensitive(obj, key) != NULL) {
			yl_err(c->err, c->errlen, "line %lu: duplicate key",
			       l->lineno);
			free(key);
			goto fail;
		}
		if (yaml_lite_scalar_parse(l->s + klen, l->len - (size_t)klen, &sc,
		                           c->err, c->errlen) < 0) {
			free(key);
			goto fail;
		}
		c->i++;
		if (sc.kind == YAML_LITE_EMPTY) {
			if (yl_block_value(c, indent, 1, depth, &child) < 0) {
				free(key);
				goto fail;
			}
		} else {
			child = yl_scalar_node(&sc);
		}
		free(sc.text);
		if (child == NULL || yl_count(c) < 0) {
			yl_err(c->err, c->errlen, "out of memory");
			cJSON_Delete(child);
			free(key);
			goto fail;
		}
		cJSON_AddItemToObject(obj, key, child);
		free(key);
	}
	*out = obj;
	return 0;
fail:
	cJSON_Delete(obj);
	return -1;
}

static int
yl_node(struct yl_ctx *c, int depth, cJSON **out)
{
	const struct yaml_lite_line *l = &c->lines[c->i];
	char *key = NULL;
	long klen;
	int rc;

	*out = NULL;
	if (depth > YAML_LITE_DEPTH_MAX) {
		yl_err(c->err, c->errlen, "YAML nested too deeply");
		return -1;
	}
	if (yl_is_seq_item(l))
		rc = yl_seq(c, l->indent, depth, out);
	else {
		klen = yaml_lite_key_parse(l->s, l->len, &key, c->err, c->errlen);
		free(key);
		if (klen < 0)
			return -1;
		if (klen == 0) {
			yl_err(c->err, c->errlen,
			       "line %lu: multi-line or unexpected scalar",
			       l->lineno);
			return -1;
		}
		rc = yl_map(c, l->indent, depth, out);
	}
	if (rc < 0)
		return -1;
	/* A deeper line left over belongs to nothing: bad indentation. */
	if (c->i < c->n && c->lines[c->i].indent > l->indent) {
		yl_err(c->err, c->errlen, "line %lu: bad indentation",
		       c->lines[c->i].lineno);
		cJSON_Delete(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

int
yaml_lite_block_parse(struct yaml_lite_line *lines, size_t n, cJSON **out,
                      char *err, size_t errlen)
{
	struct yl_ctx c = { lines, n, 0, 0, err, errlen };
	size_t k;

	*out = NULL;
	for (k = 0; k < n; k++) {
		if (lines[k].len > 0 && lines[k].s[0] == '\t') {
			yl_err(err, errlen, "line %lu: tab in indentation",
			       lines[k].lineno);
			return -1;
		}
	}
	if (n == 0) {
		*out = cJSON_CreateNull();
		return *out != NULL ? 0 : -1;
	}
	if (yl_node(&c, 0, out) < 0)
		return -1;
	if (c.i < n) {
		yl_err(err, errlen, "line %lu: bad indentation",
		       lines[c.i].lineno);
		cJSON_Delete(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}
