/* schema.h: the JSON Schema (draft 4) subset that external module metadata
 * uses for action input, action results and module configuration
 * (modules.md §1). Pure: no I/O, no logging, no globals.
 *
 * Supported keywords: type (a name or an array of names: object, array,
 * string, number, integer, boolean, null), properties, required,
 * additionalProperties (bool or schema), items (schema, or an array of
 * schemas for tuples), additionalItems, enum, minLength, maxLength,
 * minimum, maximum, exclusiveMinimum, exclusiveMaximum, minItems,
 * maxItems, minProperties, maxProperties.
 * Annotations ($schema, id, title, description, default, format,
 * definitions) are accepted and ignored, as are keywords draft 4 does
 * not define. Draft 4 validation keywords outside the subset ($ref,
 * allOf, anyOf, oneOf, not, pattern, patternProperties, dependencies,
 * uniqueItems, multipleOf) make schema_check() fail, so a module is never
 * validated more loosely than it asked for. */
#ifndef PXPD_SCHEMA_H
#define PXPD_SCHEMA_H

#include <stddef.h>

#include <cjson/cJSON.h>

/* Deepest schema nesting followed; deeper is an error, not a crash. */
#define SCHEMA_DEPTH_MAX 64

/* Is schema a schema of the subset? Returns 0, or -1 with a reason naming
 * the offending place ("$.properties.flags.type: unknown type 'strng'")
 * in err. */
int schema_check(const cJSON *schema, char *err, size_t errlen);

/* Does value satisfy schema? Returns 0, or -1 with the first violation
 * and its JSON path in err ("$.flags[2]: expected string, got number",
 * "$: missing required property 'flags'"). A NULL value is treated as
 * JSON null. A malformed schema fails validation (never crashes), so
 * callers should schema_check() it once beforehand. */
int schema_validate(const cJSON *schema, const cJSON *value, char *err,
    size_t errlen);

#endif
