/* schema.h: JSON Schema draft 4, as external module metadata uses it for
 * action input, action results and module configuration (modules.md §1).
 * Pure: no I/O, no logging, no globals.
 *
 * Keywords: type (a name or an array of names: object, array, string,
 * number, integer, boolean, null), properties, patternProperties,
 * additionalProperties (bool or schema), required, minProperties,
 * maxProperties, dependencies (property lists or schemas), items (a
 * schema, or an array of schemas for tuples), additionalItems, minItems,
 * maxItems, uniqueItems, enum, minLength, maxLength (in code points),
 * pattern, minimum, maximum, exclusiveMinimum, exclusiveMaximum,
 * multipleOf, allOf, anyOf, oneOf, not, and $ref to "#" or "#/json/pointer"
 * within the same schema (each input, results or configuration schema is
 * its own document; remote references are refused).
 * Annotations ($schema, id, title, description, default, definitions)
 * and format are accepted and not asserted, as pxp-agent's validator
 * does; keywords draft 4 does not define are ignored.
 * Patterns are ECMA-262, run by pxpd's own matcher in time linear in the
 * string (schema_regex.c says what it refuses: back-references,
 * lookaround, \b). "integer" is any integral number (cJSON does not keep
 * "1.0" apart from "1"). */
#ifndef PXPD_SCHEMA_H
#define PXPD_SCHEMA_H

#include <stddef.h>

#include <cjson/cJSON.h>

/* Deepest schema nesting followed; deeper is an error, not a crash. A
 * value is followed as deep as the schema goes, at most 256 levels of
 * schemas and $ref hops together (schema_int.h). */
#define SCHEMA_DEPTH_MAX 64

/* Can schema be applied: every keyword well formed, every pattern
 * compiled, every $ref resolved and no $ref loop that never descends into
 * the value? Returns 0, or -1 with a reason naming the offending place
 * ("$.properties.flags.type: unknown type 'strng'") in err. */
int schema_check(const cJSON *schema, char *err, size_t errlen);

/* Does value satisfy schema? Returns 0, or -1 with the first violation
 * and its JSON path in err ("$.flags[2]: expected string, got number",
 * "$: missing required property 'flags'"). A NULL value is treated as
 * JSON null. A malformed schema fails validation (never crashes), so
 * callers should schema_check() it once beforehand. The work is bounded
 * (SCHEMA_STEPS_* in schema_int.h): a value that would take more fails. */
int schema_validate(const cJSON *schema, const cJSON *value, char *err,
    size_t errlen);

#endif
