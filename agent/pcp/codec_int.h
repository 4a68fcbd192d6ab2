/* codec_int.h: helpers shared by codec.c, codec_v1.c and codec_v2.c only.
 * Nothing outside the codec part includes this header. */
#ifndef PXPD_CODEC_INT_H
#define PXPD_CODEC_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

/* Parses exactly one JSON value spanning text[0..len): whitespace may
 * surround it, anything else after it is an error (cJSON alone would
 * accept trailing garbage). text need not be NUL-terminated. NULL on any
 * error. */
cJSON *codec__json_parse(const char *text, size_t len);

/* Copies the string member `key` of obj into *out.
 * Returns 0 (also when absent and !required: *out stays NULL), -1 when
 * missing-but-required or not a string, -2 on allocation failure. */
int codec__str_get(const cJSON *obj, const char *key, bool required,
    char **out);

/* One string member of a message and where it goes in struct pcp_msg. */
struct codec__str_field {
	const char *key;
	size_t off;                 /* offsetof(struct pcp_msg, ...) */
	bool required;
	const char *err;            /* *err when missing or ill-typed */
};

/* Copies every field of fields[0..n) from obj into m. 0, or -1 with
 * *err set ("out of memory" or the field's own error). */
int codec__str_fields(const cJSON *obj, const struct codec__str_field *fields,
    size_t n, void *m, const char **err);

#endif
