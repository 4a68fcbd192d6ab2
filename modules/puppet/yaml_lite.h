/* yaml_lite.h: the small YAML subset Psych writes for the parts of a Puppet
 * report pxp-module-puppet reads. Pure functions; see yaml_lite.c. */
#ifndef PXP_PUPPET_YAML_LITE_H
#define PXP_PUPPET_YAML_LITE_H

#include <stddef.h>

#include <cjson/cJSON.h>

#define YAML_LITE_DEPTH_MAX 32
#define YAML_LITE_NODES_MAX 100000

enum yaml_lite_kind {
	YAML_LITE_EMPTY,        /* nothing (or only a tag): a block may follow */
	YAML_LITE_NULL,
	YAML_LITE_BOOL,
	YAML_LITE_NUMBER,
	YAML_LITE_STRING,
	YAML_LITE_EMPTY_SEQ,    /* [] */
	YAML_LITE_EMPTY_MAP,    /* {} */
};

struct yaml_lite_scalar {
	enum yaml_lite_kind kind;
	char *text;             /* decoded text, NUL-terminated; caller frees */
	double number;          /* YAML_LITE_NUMBER */
	int boolean;            /* YAML_LITE_BOOL */
};

/* One line of a block: s points at the first non-space byte, indent is the
 * number of spaces before it; len excludes the line end. */
struct yaml_lite_line {
	const char *s;
	size_t len;
	int indent;
	unsigned long lineno;
};

/* Decodes one scalar written on a single line (the text after "key:" or
 * "- "). Returns 0 and fills *out (free out->text), or -1 with err set. */
int yaml_lite_scalar_parse(const char *s, size_t len,
                           struct yaml_lite_scalar *out,
                           char *err, size_t errlen);

/* If s starts with a mapping key ("key:" then space or end), returns the
 * length up to and including the colon and stores the decoded key in
 * *key (caller frees); returns 0 when s is not a key, -1 on a bad key. */
long yaml_lite_key_parse(const char *s, size_t len, char **key,
                         char *err, size_t errlen);

/* Parses block lines (no blank or comment lines) into a new cJSON tree in
 * *out (caller deletes). Rewrites entries of lines for compact "- - x"
 * items. Returns 0, or -1 with err set. */
int yaml_lite_block_parse(struct yaml_lite_line *lines, size_t n,
                          cJSON **out, char *err, size_t errlen);

#endif
