/* jsonutil.h: building JSON text by hand, for replies whose payload is
 * already serialized (so it is spliced in, not parsed again). */
#ifndef PXPD_JSONUTIL_H
#define PXPD_JSONUTIL_H

#include <stdbool.h>
#include <stddef.h>

/* Writes s as the inside of a JSON string literal (no quotes) to dst and
 * returns the byte count; with dst NULL only counts, so callers size the
 * buffer first. Escapes '"', '\\' and every control character below 0x20;
 * valid UTF-8 passes through unchanged; each byte of an invalid UTF-8
 * sequence becomes \ufffd so the output is always valid JSON text.
 * No NUL is written. */
size_t json_escape(char *dst, const char *s);

/* True when s[0..len) is well-formed UTF-8 (RFC 3629: no overlong forms,
 * no surrogates, nothing above U+10FFFF). NUL bytes count as valid. */
bool json_utf8_valid(const char *s, size_t len);

/* Returns s as a malloc'd, NUL-terminated JSON string literal with its
 * quotes ("\"a\\\"b\""). Caller frees. NULL when s is NULL or on
 * allocation failure. */
char *json_quote(const char *s);

#endif
