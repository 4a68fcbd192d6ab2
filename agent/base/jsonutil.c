/* jsonutil.c: JSON string escaping for replies built by concatenation
 * (pxp.c), and the UTF-8 repair rule of jsonutil.h for every string pxpd
 * sends. Not parsing (cJSON does that). Pure: no I/O, no logging.
 * Invariants: json_escape_n() writes exactly the count it returns for dst
 * NULL, so a buffer sized by the counting pass is never overrun; and its
 * output is valid, NUL-free UTF-8 whatever the input. */
#include <stdlib.h>
#include <string.h>

#include "base/jsonutil.h"

#define REPL     JSON_UTF8_REPLACEMENT
#define REPL_LEN (sizeof(REPL) - 1)

/* ---- UTF-8 ------------------------------------------------------------ */

size_t
json_utf8_len(const unsigned char *s, size_t avail, size_t *bad)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xBF;
	size_t n, i;

	if (bad != NULL)
		*bad = 1;
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		n = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		n = 3;
	else if (c >= 0xF0 && c <= 0xF4)
		n = 4;
	else
		return 0;       /* 80-C1 (continuation, overlong 2-byte), F5-FF */
	if (c == 0xE0)
		lo = 0xA0;      /* overlong 3-byte */
	else if (c == 0xED)
		hi = 0x9F;      /* surrogates */
	else if (c == 0xF0)
		lo = 0x90;      /* overlong 4-byte */
	else if (c == 0xF4)
		hi = 0x8F;      /* above U+10FFFF */
	/* The maximal subpart ends before the first byte that cannot
	 * continue the sequence (or at the end of the input). */
	for (i = 1; i < n; i++) {
		if (i >= avail || s[i] < lo || s[i] > hi) {
			if (bad != NULL)
				*bad = i;
			return 0;
		}
		lo = 0x80;
		hi = 0xBF;
	}
	return n;
}

bool
json_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t k;

	while (len > 0) {
		if ((k = json_utf8_len(p, len, NULL)) == 0)
			return false;
		p += k;
		len -= k;
	}
	return true;
}

bool
json_utf8_clean(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t k;

	while (len > 0) {
		if (*p == '\0' || (k = json_utf8_len(p, len, NULL)) == 0)
			return false;
		p += k;
		len -= k;
	}
	return true;
}

/* One unit at p (len >= 1): a character (*ok true) or something the repair
 * rule replaces by U+FFFD (*ok false). Returns its length. */
static size_t
json__unit(const unsigned char *p, size_t len, bool *ok)
{
	size_t k, bad;

	if (*p == '\0') {
		*ok = false;
		return 1;
	}
	k = json_utf8_len(p, len, &bad);
	*ok = k != 0;
	return k != 0 ? k : bad;
}

char *
json_utf8_repair(const char *s, size_t len, size_t *outlen)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t at, n = 0, k;
	char *out;
	bool ok;

	for (at = 0; at < len; at += k) {
		k = json__unit(p + at, len - at, &ok);
		n += ok ? k : REPL_LEN;
	}
	if ((out = malloc(n + 1)) == NULL)
		return NULL;
	n = 0;
	for (at = 0; at < len; at += k) {
		k = json__unit(p + at, len - at, &ok);
		memcpy(out + n, ok ? s + at : REPL, ok ? k : REPL_LEN);
		n += ok ? k : REPL_LEN;
	}
	out[n] = '\0';
	if (outlen != NULL)
		*outlen = n;
	return out;
}

/* ---- escaping --------------------------------------------------------- */

/* The escaped form of the ASCII byte c (not NUL) into buf; its length. */
static size_t
json__ascii(unsigned char c, char buf[6])
{
	static const char hex[] = "0123456789abcdef";

	switch (c) {
	case '"':  memcpy(buf, "\\\"", 2); return 2;
	case '\\': memcpy(buf, "\\\\", 2); return 2;
	case '\b': memcpy(buf, "\\b", 2); return 2;
	case '\f': memcpy(buf, "\\f", 2); return 2;
	case '\n': memcpy(buf, "\\n", 2); return 2;
	case '\r': memcpy(buf, "\\r", 2); return 2;
	case '\t': memcpy(buf, "\\t", 2); return 2;
	default:
		break;
	}
	if (c < 0x20) {
		memcpy(buf, "\\u00", 4);
		buf[4] = hex[c >> 4];
		buf[5] = hex[c & 0xF];
		return 6;
	}
	buf[0] = (char)c;
	return 1;
}

/* The escaped form of the unit at p into buf (NULL: count only); sets
 * *k to the source bytes it stands for. */
static size_t
json__unit_escape(char *buf, const unsigned char *p, size_t len, size_t *k)
{
	char tmp[6];
	size_t n;
	bool ok;

	if (*p != '\0' && *p < 0x80) {
		*k = 1;
		n = json__ascii(*p, tmp);
		if (buf != NULL)
			memcpy(buf, tmp, n);
		return n;
	}
	*k = json__unit(p, len, &ok);
	n = ok ? *k : REPL_LEN;
	if (buf != NULL)
		memcpy(buf, ok ? (const char *)p : REPL, n);
	return n;
}

size_t
json_escape_n(char *dst, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t at = 0, n = 0, k;

	while (at < len) {
		n += json__unit_escape(dst != NULL ? dst + n : NULL, p + at,
		    len - at, &k);
		at += k;
	}
	return n;
}

size_t
json_escape(char *dst, const char *s)
{
	return json_escape_n(dst, s, strlen(s));
}

size_t
json_utf8_fit(const char *s, size_t len, size_t max, bool hold_tail,
    size_t *esc)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t at = 0, n = 0, k, e, bad;

	while (at < len) {
		e = json__unit_escape(NULL, p + at, len - at, &k);
		if (hold_tail && at + k == len && p[at] >= 0xC2 &&
		    p[at] <= 0xF4 && json_utf8_len(p + at, len - at,
		    &bad) == 0)
			break;      /* a character still being written */
		if (e > max - n)
			break;
		n += e;
		at += k;
	}
	if (esc != NULL)
		*esc = n;
	return at;
}

void
json_utf8_fit2(const char *a, size_t alen, const char *b, size_t blen,
    size_t budget, size_t *akeep, size_t *bkeep)
{
	size_t ea = json_escape_n(NULL, a, alen);
	size_t eb = json_escape_n(NULL, b, blen);
	size_t amax, bmax;

	*akeep = alen;
	*bkeep = blen;
	if (ea <= budget && eb <= budget - ea)
		return;
	bmax = eb < budget / 2 ? eb : budget / 2;
	amax = ea < budget - bmax ? ea : budget - bmax;
	bmax = eb < budget - amax ? eb : budget - amax;
	*akeep = json_utf8_fit(a, alen, amax, false, NULL);
	*bkeep = json_utf8_fit(b, blen, bmax, false, NULL);
}

char *
json_quote_n(const char *s, size_t len)
{
	size_t n;
	char *q;

	if (s == NULL)
		return NULL;
	n = json_escape_n(NULL, s, len);
	if ((q = malloc(n + 3)) == NULL)
		return NULL;
	q[0] = '"';
	json_escape_n(q + 1, s, len);
	q[n + 1] = '"';
	q[n + 2] = '\0';
	return q;
}

char *
json_quote(const char *s)
{
	return s != NULL ? json_quote_n(s, strlen(s)) : NULL;
}

/* ---- cJSON trees ------------------------------------------------------ */

static bool
json__str_clean(const char *s)
{
	return s == NULL || json_utf8_clean(s, strlen(s));
}

bool
json_tree_clean(const cJSON *item)
{
	for (; item != NULL; item = item->next) {
		if (!json__str_clean(item->string))
			return false;
		if ((cJSON_IsString(item) || cJSON_IsRaw(item)) &&
		    !json__str_clean(item->valuestring))
			return false;
		if (!json_tree_clean(item->child))
			return false;
	}
	return true;
}

/* A repaired copy of s allocated the way cJSON frees its strings. */
static char *
json__str_repair(const char *s)
{
	size_t n;
	char *r = json_utf8_repair(s, strlen(s), &n), *c;

	if (r == NULL || (c = cJSON_malloc(n + 1)) == NULL) {
		free(r);
		return NULL;
	}
	memcpy(c, r, n + 1);
	free(r);
	return c;
}

int
json_tree_repair(cJSON *item)
{
	int count = 0, sub;
	char *r;

	for (; item != NULL; item = item->next) {
		if (!json__str_clean(item->string)) {
			if ((r = json__str_repair(item->string)) == NULL)
				return -1;
			/* A constant key belongs to the program, not the tree. */
			if (!(item->type & cJSON_StringIsConst))
				cJSON_free(item->string);
			item->string = r;
			item->type &= ~cJSON_StringIsConst;
			count++;
		}
		/* Raw JSON text too: its bytes >= 0x80 are inside strings. */
		if ((cJSON_IsString(item) || cJSON_IsRaw(item)) &&
		    !json__str_clean(item->valuestring)) {
			if ((r = json__str_repair(item->valuestring)) == NULL)
				return -1;
			/* A string reference borrowed its text: keep the
			 * owner's, own the copy. */
			if (!(item->type & cJSON_IsReference))
				cJSON_free(item->valuestring);
			item->valuestring = r;
			item->type &= ~cJSON_IsReference;
			count++;
		}
		if ((sub = json_tree_repair(item->child)) < 0)
			return -1;
		count += sub;
	}
	return count;
}

const char *
json_string_get(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}
