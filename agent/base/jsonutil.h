/* jsonutil.h: building JSON text by hand, for replies whose payload is
 * already serialized (so it is spliced in, not parsed again), and keeping
 * every string pxpd sends valid UTF-8.
 *
 * Repair rule (issue 8, README "UTF-8"): each ill-formed UTF-8 sequence
 * becomes one U+FFFD per maximal subpart (Unicode §3.9 "U+FFFD
 * Substitution of Maximal Subparts", the WHATWG decoder's practice), and
 * each NUL byte becomes U+FFFD too: cJSON strings end at NUL, and JSON
 * consumers such as PostgreSQL refuse \u0000. */
#ifndef PXPD_JSONUTIL_H
#define PXPD_JSONUTIL_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

/* U+FFFD REPLACEMENT CHARACTER in UTF-8. */
#define JSON_UTF8_REPLACEMENT "\xef\xbf\xbd"

/* ---- UTF-8 ------------------------------------------------------------ */

/* Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), or 0 when it is not one;
 * then, with bad non-NULL, *bad is the length of the maximal subpart to
 * replace by one U+FFFD (1..3). At most avail (>= 1) bytes are read, and
 * none past a byte that fails its range test, so a NUL-terminated string
 * may pass avail 4. NUL counts as a well-formed 1-byte sequence here. */
size_t json_utf8_len(const unsigned char *s, size_t avail, size_t *bad);

/* True when s[0..len) is well-formed UTF-8. NUL bytes count as valid. */
bool json_utf8_valid(const char *s, size_t len);

/* True when s[0..len) may be sent as it is: well-formed and NUL-free. */
bool json_utf8_clean(const char *s, size_t len);

/* s[0..len) with the repair rule applied, malloc'd and NUL-terminated;
 * *outlen (may be NULL) gets its length. Caller frees. NULL on allocation
 * failure. */
char *json_utf8_repair(const char *s, size_t len, size_t *outlen);

/* How many bytes of s[0..len) fit when their repaired, JSON-escaped form
 * (json_escape_n) may take at most max bytes; the cut falls between
 * characters. With hold_tail, a sequence cut short by the end of s is left
 * out (more bytes may complete it: output still being written). *esc (may
 * be NULL) gets the escaped size of what fits. */
size_t json_utf8_fit(const char *s, size_t len, size_t max, bool hold_tail,
    size_t *esc);

/* One budget of escaped bytes for two texts (stdout and stderr of one
 * answer): both whole when they fit; else b gives way first but keeps up
 * to half, and whatever one leaves unused goes to the other. Source
 * byte counts go to *akeep and *bkeep. */
void json_utf8_fit2(const char *a, size_t alen, const char *b, size_t blen,
    size_t budget, size_t *akeep, size_t *bkeep);

/* ---- escaping --------------------------------------------------------- */

/* Writes s[0..len) repaired as the inside of a JSON string literal (no
 * quotes) to dst and returns the byte count; with dst NULL only counts, so
 * callers size the buffer first. Escapes '"', '\\' and every control
 * character below 0x20 as cJSON does (so the count equals cJSON's printing
 * of the repaired text); valid UTF-8 passes through unchanged. No NUL is
 * written. */
size_t json_escape_n(char *dst, const char *s, size_t len);

/* json_escape_n() of the NUL-terminated s. */
size_t json_escape(char *dst, const char *s);

/* Returns s (NUL-terminated; json_quote_n: s[0..len)) as a malloc'd,
 * NUL-terminated JSON string literal with its quotes ("\"a\\\"b\"").
 * Caller frees. NULL when s is NULL or on allocation failure. */
char *json_quote(const char *s);
char *json_quote_n(const char *s, size_t len);

/* ---- cJSON trees ------------------------------------------------------ */

/* o's member key when it is a string (borrowed from o), else NULL. */
const char *json_string_get(const cJSON *o, const char *key);

/* True when every key and string value (and raw JSON text) in the tree is
 * clean UTF-8. */
bool json_tree_clean(const cJSON *item);

/* Applies the repair rule in place to every key and string value of the
 * tree (through references too: their strings are replaced by owned
 * copies). Returns how many strings were repaired, or -1 on allocation
 * failure (the tree stays whole; some strings may be left unrepaired). */
int json_tree_repair(cJSON *item);

#endif
