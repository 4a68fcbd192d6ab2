/* jsonutil.c: JSON string escaping for replies built by concatenation
 * (pxp.c). Not parsing (cJSON does that).
 * Invariant: json_escape() writes exactly the count it returns for dst
 * NULL, so a buffer sized by the counting pass is never overrun. */
#include <stdlib.h>
#include <string.h>

#include "jsonutil.h"

/* Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlongs,
 * no surrogates, nothing above U+10FFFF), or 0 when it is not one. At most
 * avail bytes are read. */
static size_t
json_utf8_len(const unsigned char *s, size_t avail)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xBF;
	size_t n, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		n = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		n = 3;
	else if (c >= 0xF0 && c <= 0xF4)
		n = 4;
	else
		return 0;
	if (c == 0xE0)
		lo = 0xA0;
	else if (c == 0xED)
		hi = 0x9F;
	else if (c == 0xF0)
		lo = 0x90;
	else if (c == 0xF4)
		hi = 0x8F;
	if (avail < n)
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return n;
}

bool
json_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t k;

	while (len > 0) {
		if ((k = json_utf8_len(p, len)) == 0)
			return false;
		p += k;
		len -= k;
	}
	return true;
}

static size_t
json_put(char *dst, size_t at, const char *text, size_t n)
{
	if (dst != NULL)
		memcpy(dst + at, text, n);
	return n;
}

size_t
json_escape(char *dst, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	char u[6] = { '\\', 'u', '0', '0', 0, 0 };
	size_t n = 0, k;

	while (*p != '\0') {
		switch (*p) {
		case '"':  n += json_put(dst, n, "\\\"", 2); p++; continue;
		case '\\': n += json_put(dst, n, "\\\\", 2); p++; continue;
		case '\b': n += json_put(dst, n, "\\b", 2); p++; continue;
		case '\f': n += json_put(dst, n, "\\f", 2); p++; continue;
		case '\n': n += json_put(dst, n, "\\n", 2); p++; continue;
		case '\r': n += json_put(dst, n, "\\r", 2); p++; continue;
		case '\t': n += json_put(dst, n, "\\t", 2); p++; continue;
		default:
			break;
		}
		if (*p < 0x20) {
			u[4] = hex[*p >> 4];
			u[5] = hex[*p & 0xF];
			n += json_put(dst, n, u, 6);
			p++;
			continue;
		}
		/* 4 is enough: a NUL inside a sequence fails its range test
		 * before anything past the terminator is read. */
		k = json_utf8_len(p, 4);
		if (k == 0) {
			n += json_put(dst, n, "\\ufffd", 6);
			p++;
			continue;
		}
		n += json_put(dst, n, (const char *)p, k);
		p += k;
	}
	return n;
}

char *
json_quote(const char *s)
{
	size_t n;
	char *q;

	if (s == NULL)
		return NULL;
	n = json_escape(NULL, s);
	if ((q = malloc(n + 3)) == NULL)
		return NULL;
	q[0] = '"';
	json_escape(q + 1, s);
	q[n + 1] = '"';
	q[n + 2] = '\0';
	return q;
}
