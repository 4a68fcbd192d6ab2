/* test_schema.c: JSON Schema draft 4 in modules/extmod/schema*.c: which schemas
 * are accepted, which values pass, and the exact error text with paths;
 * every keyword both ways, patterns, $ref and its loops, the bounds on
 * depth and work, and a realistic module's schemas. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "extmod/schema.h"

/* schema_int.h SCHEMA_PATTERN_MAX */
#define SCHEMA_TEST_PATTERN 4096

/* Parses JSON written with ' for " (keeps the tests readable). */
static cJSON *
J(const char *text)
{
	char *s = strdup(text), *p;
	cJSON *j;

	assert_non_null(s);
	for (p = s; *p; p++)
		if (*p == '\'')
			*p = '"';
	j = cJSON_Parse(s);
	if (!j)
		fail_msg("test JSON does not parse: %s", s);
	free(s);
	return j;
}

static void
check_ok(const char *schema)
{
	cJSON *s = J(schema);
	char err[256] = "unset";

	if (schema_check(s, err, sizeof(err)) != 0)
		fail_msg("schema %s refused: %s", schema, err);
	assert_string_equal(err, "");
	cJSON_Delete(s);
}

static void
check_fails(const char *schema, const char *want)
{
	cJSON *s = J(schema);
	char err[256] = "";

	assert_int_equal(schema_check(s, err, sizeof(err)), -1);
	assert_string_equal(err, want);
	cJSON_Delete(s);
}

static void
valid(const char *schema, const char *value)
{
	cJSON *s = J(schema), *v = J(value);
	char err[256] = "unset";

	assert_int_equal(schema_check(s, err, sizeof(err)), 0);
	if (schema_validate(s, v, err, sizeof(err)) != 0)
		fail_msg("%s refused by %s: %s", value, schema, err);
	assert_string_equal(err, "");
	cJSON_Delete(s);
	cJSON_Delete(v);
}

static void
invalid(const char *schema, const char *value, const char *want)
{
	cJSON *s = J(schema), *v = J(value);
	char err[256] = "";

	assert_int_equal(schema_check(s, err, sizeof(err)), 0);
	if (schema_validate(s, v, err, sizeof(err)) != -1)
		fail_msg("%s accepted by %s", value, schema);
	assert_string_equal(err, want);
	cJSON_Delete(s);
	cJSON_Delete(v);
}

static void
schema_type_single(void **state)
{
	valid("{'type':'string'}", "'x'");
	valid("{'type':'object'}", "{}");
	valid("{'type':'array'}", "[1,'a']");
	valid("{'type':'number'}", "1.5");
	valid("{'type':'number'}", "3");
	valid("{'type':'integer'}", "3");
	valid("{'type':'integer'}", "-0");
	valid("{'type':'integer'}", "1e3");
	valid("{'type':'boolean'}", "false");
	valid("{'type':'null'}", "null");
	invalid("{'type':'string'}", "1", "$: expected string, got number");
	invalid("{'type':'integer'}", "1.5", "$: expected integer, got number");
	invalid("{'type':'object'}", "[]", "$: expected object, got array");
	invalid("{'type':'array'}", "{}", "$: expected array, got object");
	invalid("{'type':'boolean'}", "0", "$: expected boolean, got number");
	invalid("{'type':'null'}", "false", "$: expected null, got boolean");
	invalid("{'type':'number'}", "'1'", "$: expected number, got string");
}

static void
schema_type_union(void **state)
{
	valid("{'type':['string','null']}", "null");
	valid("{'type':['string','null']}", "'a'");
	valid("{'type':['integer','boolean']}", "7");
	invalid("{'type':['string','null']}", "2",
	    "$: expected string or null, got number");
	invalid("{'type':['object','array','null']}", "true",
	    "$: expected object, array or null, got boolean");
	invalid("{'type':['integer','string']}", "2.5",
	    "$: expected string or integer, got number");
}

static void
schema_empty_accepts_anything(void **state)
{
	valid("{}", "null");
	valid("{}", "{'a':[1,2,{}]}");
	valid("{'description':'anything','title':'t','default':3,"
	    "'$schema':'http://json-schema.org/draft-04/schema#'}", "'x'");
	/* A NULL value counts as JSON null. */
	{
		cJSON *s = J("{'type':'object'}"), *n = J("{'type':'null'}");
		char err[128];

		assert_int_equal(schema_validate(n, NULL, err, sizeof(err)), 0);
		assert_int_equal(schema_validate(s, NULL, err, sizeof(err)), -1);
		assert_string_equal(err, "$: expected object, got null");
		cJSON_Delete(s);
		cJSON_Delete(n);
	}
}

static void
schema_required_properties(void **state)
{
	const char *s = "{'type':'object','properties':{'flags':{'type':'array',"
	    "'items':{'type':'string'}},'job':{'type':'string'}},"
	    "'required':['flags']}";

	valid(s, "{'flags':[]}");
	valid(s, "{'flags':['--noop','--tags','x'],'job':'42','other':1}");
	invalid(s, "{}", "$: missing required property 'flags'");
	invalid(s, "{'job':'1'}", "$: missing required property 'flags'");
	invalid(s, "{'flags':['a','b',3]}", "$.flags[2]: expected string, got number");
	invalid(s, "{'flags':'--noop'}", "$.flags: expected array, got string");
	invalid(s, "{'flags':[],'job':42}", "$.job: expected string, got number");
	/* properties and required apply to objects only */
	valid("{'properties':{'a':{'type':'string'}},'required':['a']}", "[1]");
	valid("{'properties':{'a':{'type':'string'}},'required':['a']}", "'s'");
	/* an empty required list is accepted */
	valid("{'required':[]}", "{}");
}

static void
schema_additional_properties(void **state)
{
	const char *closed = "{'properties':{'a':{},'b':{}},"
	    "'additionalProperties':false}";
	const char *typed = "{'properties':{'a':{'type':'string'}},"
	    "'additionalProperties':{'type':'integer'}}";

	valid(closed, "{'a':1,'b':null}");
	invalid(closed, "{'a':1,'env':[]}", "$.env: additional property not allowed");
	valid("{'additionalProperties':true}", "{'x':1}");
	valid(typed, "{'a':'s','n':1,'m':2}");
	invalid(typed, "{'a':'s','n':'one'}", "$.n: expected integer, got string");
	invalid(typed, "{'a':2}", "$.a: expected string, got number");
	/* a duplicate key is validated too: both copies are sent on */
	invalid("{'properties':{'a':{'type':'string'}}}", "{'a':'x','a':1}",
	    "$.a: expected string, got number");
}

static void
schema_paths_nested_and_quoted(void **state)
{
	invalid("{'properties':{'a':{'properties':{'b':{'items':"
	    "{'type':'string'}}}}}}", "{'a':{'b':['x','y',false]}}",
	    "$.a.b[2]: expected string, got boolean");
	invalid("{'properties':{'we ird':{'type':'null'}}}", "{'we ird':1}",
	    "$[\"we ird\"]: expected null, got number");
	invalid("{'additionalProperties':false}", "{'q\\\"\\n':1}",
	    "$[\"q\\\"\\u000a\"]: additional property not allowed");
	invalid("{'items':{'items':{'type':'null'}}}", "[[],[null,0]]",
	    "$[1][1]: expected null, got number");
}

static void
schema_items_tuple(void **state)
{
	const char *tuple = "{'items':[{'type':'string'},{'type':'integer'}]}";
	const char *closed = "{'items':[{'type':'string'}],'additionalItems':false}";

	valid(tuple, "[]");
	valid(tuple, "['a',1]");
	valid(tuple, "['a',1,{},null]");
	invalid(tuple, "[1]", "$[0]: expected string, got number");
	invalid(tuple, "['a','b']", "$[1]: expected integer, got string");
	valid(closed, "['a']");
	invalid(closed, "['a','b']", "$[1]: additional item not allowed");
	invalid("{'items':[{}],'additionalItems':{'type':'boolean'}}",
	    "[1,true,2]", "$[2]: expected boolean, got number");
}

static void
schema_enum(void **state)
{
	const char *s = "{'enum':['stdin','environment',1,null,{'a':[1]}]}";

	valid(s, "'stdin'");
	valid(s, "1");
	valid(s, "null");
	valid(s, "{'a':[1]}");
	invalid(s, "'powershell'", "$: value is not one of the allowed values");
	invalid(s, "{'a':[2]}", "$: value is not one of the allowed values");
	invalid(s, "'STDIN'", "$: value is not one of the allowed values");
	invalid("{'properties':{'m':{'type':'string','enum':['a']}}}",
	    "{'m':3}", "$.m: expected string, got number");
}

static void
schema_bounds(void **state)
{
	valid("{'minLength':2,'maxLength':3}", "'ab'");
	valid("{'maxLength':2}", "'\xc3\xa9\xc3\xa9'");  /* code points, not bytes */
	invalid("{'minLength':2}", "'a'", "$: string shorter than 2 characters");
	invalid("{'maxLength':1}", "'ab'", "$: string longer than 1 characters");
	valid("{'minimum':0,'maximum':10}", "10");
	invalid("{'minimum':0}", "-1", "$: -1 is below the minimum 0");
	invalid("{'maximum':10,'exclusiveMaximum':true}", "10",
	    "$: 10 is above the maximum 10 (exclusive)");
	invalid("{'minimum':1.5,'exclusiveMinimum':true}", "1.5",
	    "$: 1.5 is below the minimum 1.5 (exclusive)");
	valid("{'minItems':1,'maxItems':2}", "[0]");
	invalid("{'minItems':1}", "[]", "$: fewer than 1 items");
	invalid("{'maxItems':1}", "[1,2]", "$: more than 1 items");
	valid("{'minProperties':1}", "{'a':1}");
	invalid("{'minProperties':1}", "{}", "$: fewer than 1 properties");
	invalid("{'maxProperties':0}", "{'a':1}", "$: more than 0 properties");
	/* bounds of another type do not apply */
	valid("{'minLength':5,'minimum':100,'minItems':3}", "{}");
}

static void
schema_check_refuses(void **state)
{
	check_fails("[]", "$: a schema must be an object, not array");
	check_fails("true", "$: a schema must be an object, not boolean");
	check_fails("{'type':'strng'}", "$.type: unknown type 'strng'");
	check_fails("{'type':'any'}", "$.type: unknown type 'any'");
	check_fails("{'type':3}",
	    "$.type: must be a type name or an array of type names");
	check_fails("{'type':['string',1]}",
	    "$.type: must be a type name or an array of type names");
	check_fails("{'properties':[]}", "$.properties: must be an object");
	check_fails("{'properties':{'flags':{'type':'strng'}}}",
	    "$.properties.flags.type: unknown type 'strng'");
	check_fails("{'properties':{'flags':'string'}}",
	    "$.properties.flags: a schema must be an object, not string");
	check_fails("{'required':'flags'}", "$.required: must be an array of strings");
	check_fails("{'required':['a',1]}", "$.required[1]: must be a string");
	check_fails("{'additionalProperties':'no'}",
	    "$.additionalProperties: a schema must be an object, not string");
	check_fails("{'items':[{},3]}", "$.items[1]: a schema must be an object, not number");
	check_fails("{'items':{'type':'x'}}", "$.items.type: unknown type 'x'");
	check_fails("{'enum':'a'}", "$.enum: must be an array");
	check_fails("{'minLength':-1}", "$.minLength: must be a non-negative integer");
	check_fails("{'maxItems':1.5}", "$.maxItems: must be a non-negative integer");
	check_fails("{'minimum':'0'}", "$.minimum: must be a number");
	check_fails("{'minimum':0,'exclusiveMinimum':1}",
	    "$.exclusiveMinimum: must be a boolean");
	check_fails("{'type':'string','type':'null'}", "$.type: keyword given twice");
	check_fails("{'uniqueItems':1}", "$.uniqueItems: must be a boolean");
	check_fails("{'multipleOf':0}", "$.multipleOf: must be a number greater than 0");
	check_fails("{'multipleOf':-2}", "$.multipleOf: must be a number greater than 0");
	check_fails("{'multipleOf':'2'}", "$.multipleOf: must be a number greater than 0");
	check_fails("{'allOf':{}}", "$.allOf: must be an array of schemas");
	check_fails("{'anyOf':[{},[]]}", "$.anyOf[1]: a schema must be an object, not array");
	check_fails("{'oneOf':[{'type':'strng'}]}", "$.oneOf[0].type: unknown type 'strng'");
	check_fails("{'not':[]}", "$.not: a schema must be an object, not array");
	check_fails("{'not':{'minLength':'1'}}", "$.not.minLength: must be a non-negative integer");
	check_fails("{'pattern':3}", "$.pattern: must be a string");
	check_fails("{'patternProperties':[]}", "$.patternProperties: must be an object");
	check_fails("{'patternProperties':{'^a':3}}",
	    "$.patternProperties[\"^a\"]: a schema must be an object, not number");
	check_fails("{'dependencies':[]}", "$.dependencies: must be an object");
	check_fails("{'dependencies':{'a':'b'}}",
	    "$.dependencies.a: must be an array of property names or a schema");
	check_fails("{'dependencies':{'a':['b',2]}}", "$.dependencies.a[1]: must be a string");
	check_fails("{'dependencies':{'a':{'type':'x'}}}",
	    "$.dependencies.a.type: unknown type 'x'");
}

static void
schema_check_accepts(void **state)
{
	check_ok("{}");
	check_ok("{'type':['string','null'],'x-vendor':{'type':'nonsense'},"
	    "'examples':[1],'format':'date-time','id':'x','definitions':{'a':1}}");
	check_ok("{'properties':{'type':{'type':'string'},'enum':{}}}");
	check_ok("{'additionalProperties':{'type':'string'},'additionalItems':true,"
	    "'items':[{},{}]}");
	check_ok("{'minimum':0,'exclusiveMinimum':false,'maximum':-1e9}");
	/* What pxp-agent's validator loads although draft 4 frowns on it:
	 * empty lists, and exclusive bounds without their bound (ignored). */
	check_ok("{'type':[]}");
	check_ok("{'enum':[]}");
	check_ok("{'allOf':[],'anyOf':[],'oneOf':[],'required':[]}");
	check_ok("{'exclusiveMaximum':true,'exclusiveMinimum':false}");
	check_ok("{'dependencies':{'a':[],'b':{}}}");
	check_ok("{'multipleOf':0.01,'uniqueItems':false,'not':{}}");
}

/* Degenerate schemas pxp-agent loads: they load here too, and refuse
 * what they must. */
static void
schema_degenerate_lists(void **state)
{
	invalid("{'type':[]}", "1",
	    "$: no type allowed (empty type list), got number");
	invalid("{'enum':[]}", "null", "$: value is not one of the allowed values");
	invalid("{'anyOf':[]}", "1", "$: matches none of the schemas in anyOf");
	invalid("{'oneOf':[]}", "1", "$: matches none of the schemas in oneOf");
	valid("{'allOf':[]}", "1");
	valid("{'exclusiveMaximum':true}", "1e300");
	valid("{'exclusiveMinimum':true}", "-1e300");
}

static void
schema_invalid_schema_fails_closed(void **state)
{
	/* schema_validate() on an unchecked schema: an error, never a pass. */
	const char *bad[] = {
		"{'type':'strng'}", "{'enum':3}", "{'properties':[]}",
		"{'required':[1]}", "{'minLength':'1'}", "{'items':3}",
		"{'additionalProperties':3}", "{'minimum':0,'exclusiveMinimum':1}",
		"3", "{'$ref':'#/nowhere'}", "{'$ref':3}", "{'pattern':'(a'}",
		"{'patternProperties':{'(':{}}}", "{'multipleOf':0}",
		"{'anyOf':{}}", "{'not':3}", "{'uniqueItems':'yes'}",
		"{'dependencies':{'a':'b'}}", "{'allOf':[3]}",
		/* hard errors are not undone by not, anyOf or oneOf */
		"{'not':{'type':'strng'}}", "{'anyOf':[{'$ref':'#/x'},{}]}",
		"{'oneOf':[{'pattern':'\\\\1'},{}]}",
	};
	const char *values[] = {
		"'x'", "'x'", "{}", "{}", "'x'", "[1]", "{'a':1}", "5", "1",
		"1", "1", "'a'", "{'a':1}", "4", "1", "1", "[1,1]", "{'a':1}", "1",
		"1", "1", "'1'",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cJSON *s = J(bad[i]), *v = J(values[i]);
		char err[128] = "";

		if (schema_validate(s, v, err, sizeof(err)) != -1)
			fail_msg("%s passed with %s", bad[i], values[i]);
		/* where it was found: "$" or "$.a" */
		assert_non_null(strstr(err, ": invalid schema"));
		assert_int_equal(err[0], '$');
		cJSON_Delete(s);
		cJSON_Delete(v);
	}
}

/* Builds {"items": {"items": ... {}}} nested n deep. */
static cJSON *
nested_schema(int n)
{
	cJSON *root = cJSON_CreateObject(), *cur = root, *next;
	int i;

	for (i = 0; i < n; i++) {
		next = cJSON_CreateObject();
		cJSON_AddItemToObject(cur, "items", next);
		cur = next;
	}
	return root;
}

static cJSON *
nested_array(int n)
{
	cJSON *root = cJSON_CreateArray(), *cur = root, *next;
	int i;

	for (i = 0; i < n; i++) {
		next = cJSON_CreateArray();
		cJSON_AddItemToArray(cur, next);
		cur = next;
	}
	return root;
}

static void
schema_depth_bounded(void **state)
{
	cJSON *ok = nested_schema(SCHEMA_DEPTH_MAX);
	cJSON *deep = nested_schema(SCHEMA_DEPTH_MAX + 1);
	cJSON *huge = nested_schema(5000);
	cJSON *v = nested_array(SCHEMA_DEPTH_MAX + 5);
	char err[1024];

	assert_int_equal(schema_check(ok, err, sizeof(err)), 0);
	assert_int_equal(schema_validate(ok, v, err, sizeof(err)), 0);
	assert_int_equal(schema_check(deep, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ": schema nested deeper than 64 levels"));
	assert_int_equal(strncmp(err, "$.items.items.items", 19), 0);
	/* validation of an unchecked too-deep schema stops too */
	assert_int_equal(schema_validate(deep, v, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "schema nested deeper than 64 levels"));
	/* no stack overflow, whatever the nesting */
	assert_int_equal(schema_check(huge, err, sizeof(err)), -1);
	assert_int_equal(schema_validate(huge, v, err, sizeof(err)), -1);
	cJSON_Delete(ok);
	cJSON_Delete(deep);
	cJSON_Delete(huge);
	cJSON_Delete(v);
}

static void
schema_long_path_truncated(void **state)
{
	cJSON *s, *v;
	char err[1024];

	/* Ten levels of 60-character names overflow the 512-byte path: it
	 * is cut with "..." and the message still follows. */
	{
		char name[61];
		cJSON *sub;
		int i;

		memset(name, 'n', 60);
		name[60] = '\0';
		s = J("{'type':'null'}");
		v = cJSON_CreateNumber(1);
		for (i = 0; i < 10; i++) {
			sub = cJSON_CreateObject();
			cJSON_AddItemToObject(sub, "additionalProperties", s);
			s = sub;
			sub = cJSON_CreateObject();
			cJSON_AddItemToObject(sub, name, v);
			v = sub;
		}
		assert_int_equal(schema_validate(s, v, err, sizeof(err)), -1);
		assert_int_equal(strncmp(err, "$.nnnn", 6), 0);
		assert_non_null(strstr(err, "nnn...: expected null, got number"));
		assert_int_equal(strlen(err), 511 + strlen(": expected null, got number"));
		cJSON_Delete(s);
		cJSON_Delete(v);
	}
	/* A key longer than the path buffer still yields a terminated path. */
	{
		char key[2000];

		memset(key, 'k', sizeof(key) - 1);
		key[sizeof(key) - 1] = '\0';
		s = J("{'additionalProperties':false}");
		v = cJSON_CreateObject();
		cJSON_AddItemToObject(v, key, cJSON_CreateNull());
		assert_int_equal(schema_validate(s, v, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "...\"]: additional property not allowed"));
		assert_true(strlen(err) < 600);
		cJSON_Delete(s);
		cJSON_Delete(v);
	}
	/* A tiny error buffer is filled and terminated, never overrun. */
	{
		char small[8];

		s = J("{'type':'string'}");
		v = J("1");
		memset(small, 'x', sizeof(small));
		assert_int_equal(schema_validate(s, v, small, sizeof(small)), -1);
		assert_int_equal(strlen(small), sizeof(small) - 1);
		assert_int_equal(schema_validate(s, v, NULL, 0), -1);
		cJSON_Delete(s);
		cJSON_Delete(v);
	}
}

/* ---- $ref ------------------------------------------------------------ */

static const char ref_schema[] =
    "{'type':'object','definitions':{"
    "'name':{'type':'string','minLength':1},"
    "'a/b':{'type':'integer'},'t~x':{'type':'boolean'},"
    "'sp ace':{'type':'null'},'pair':{'items':[{'enum':[1,2]}]},"
    "'hasn':{'required':['n']}},"
    "'properties':{'n':{'$ref':'#/definitions/name'},"
    "'i':{'$ref':'#/definitions/a~1b'},'b':{'$ref':'#/definitions/t~0x'},"
    "'z':{'$ref':'#/definitions/sp%20ace'},"
    "'again':{'$ref':'#/properties/n'},"
    "'first':{'$ref':'#/definitions/pair/items/0'}},"
    "'dependencies':{'z':{'$ref':'#/definitions/hasn'}}}";

static void
schema_ref_pointers(void **state)
{
	const char *siblings = "{'definitions':{'s':{'type':'string'}},"
	    "'properties':{'a':{'$ref':'#/definitions/s','type':'integer',"
	    "'pattern':'('}}}";

	valid(ref_schema, "{}");
	valid(ref_schema, "{'n':'x','i':3,'b':true,'n':'y','again':'y',"
	    "'first':2}");
	invalid(ref_schema, "{'n':''}", "$.n: string shorter than 1 characters");
	invalid(ref_schema, "{'i':1.5}", "$.i: expected integer, got number");
	invalid(ref_schema, "{'b':'t'}", "$.b: expected boolean, got string");
	invalid(ref_schema, "{'n':'x','z':0}", "$.z: expected null, got number");
	invalid(ref_schema, "{'again':3}", "$.again: expected string, got number");
	invalid(ref_schema, "{'first':3}",
	    "$.first: value is not one of the allowed values");
	invalid(ref_schema, "{'z':null}", "$: missing required property 'n'");
	/* beside $ref, draft 4 ignores every keyword, even a broken one */
	valid(siblings, "{'a':'x'}");
	invalid(siblings, "{'a':1}", "$.a: expected string, got number");
}

/* {"name":..,"children":[{...}]} nested n deep */
static cJSON *
tree_value(int n)
{
	cJSON *root = cJSON_CreateObject(), *cur = root, *kids, *next;
	int i;

	cJSON_AddStringToObject(root, "name", "n0");
	for (i = 1; i < n; i++) {
		kids = cJSON_AddArrayToObject(cur, "children");
		next = cJSON_CreateObject();
		cJSON_AddStringToObject(next, "name", "n");
		cJSON_AddItemToArray(kids, next);
		cur = next;
	}
	return root;
}

static void
schema_ref_recursive(void **state)
{
	const char *tree = "{'type':'object','required':['name'],"
	    "'properties':{'name':{'type':'string'},'children':{'type':'array',"
	    "'items':{'$ref':'#'}}},'additionalProperties':false}";
	cJSON *s = J(tree), *v;
	char err[1024];

	valid(tree, "{'name':'root','children':[{'name':'a'},{'name':'b',"
	    "'children':[{'name':'c','children':[]}]}]}");
	invalid(tree, "{'name':'r','children':[{'name':'a','children':"
	    "[{'nam':'x'}]}]}",
	    "$.children[0].children[0]: missing required property 'name'");
	invalid(tree, "{'name':'r','children':[{'name':'a','x':1}]}",
	    "$.children[0].x: additional property not allowed");
	/* three evaluations a level: 60 levels fit in 256, 100 do not */
	v = tree_value(60);
	assert_int_equal(schema_validate(s, v, err, sizeof(err)), 0);
	cJSON_Delete(v);
	v = tree_value(100);
	assert_int_equal(schema_validate(s, v, err, sizeof(err)), -1);
	assert_non_null(strstr(err,
	    ": value and schema nested deeper than 256 levels"));
	assert_int_equal(strncmp(err, "$.children[0].children[0]", 25), 0);
	cJSON_Delete(v);
	cJSON_Delete(s);
	/* an unchecked self-reference stops at the same bound */
	s = J("{'$ref':'#'}");
	v = J("1");
	assert_int_equal(schema_validate(s, v, err, sizeof(err)), -1);
	assert_string_equal(err, "$: value and schema nested deeper than 256 "
	    "levels");
	cJSON_Delete(s);
	s = J("{'not':{'$ref':'#'}}");
	assert_int_equal(schema_validate(s, v, err, sizeof(err)), -1);
	cJSON_Delete(s);
	cJSON_Delete(v);
}

/* definitions d0..d{n-1}, each a $ref to the next, d{n} empty */
static cJSON *
ref_chain(int n)
{
	cJSON *root = cJSON_CreateObject(), *defs, *d;
	char name[32], ref[64];
	int i;

	defs = cJSON_AddObjectToObject(root, "definitions");
	for (i = 0; i <= n; i++) {
		snprintf(name, sizeof(name), "d%d", i);
		d = cJSON_AddObjectToObject(defs, name);
		if (i < n) {
			snprintf(ref, sizeof(ref), "#/definitions/d%d", i + 1);
			cJSON_AddStringToObject(d, "$ref", ref);
		}
	}
	cJSON_AddStringToObject(root, "$ref", "#/definitions/d0");
	return root;
}

static void
schema_ref_check(void **state)
{
	cJSON *s;
	char err[256];

	check_fails("{'$ref':'other.json#/a'}", "$.$ref: only references within "
	    "this schema ('#' or '#/...') are supported, not 'other.json#/a'");
	check_fails("{'items':{'$ref':'http://json-schema.org/draft-04/schema#'}}",
	    "$.items.$ref: only references within this schema ('#' or '#/...') "
	    "are supported, not 'http://json-schema.org/draft-04/schema#'");
	check_fails("{'$ref':'#foo'}", "$.$ref: only references within this "
	    "schema ('#' or '#/...') are supported, not '#foo'");
	check_fails("{'$ref':3}", "$.$ref: must be a string");
	check_fails("{'properties':{'a':{'$ref':'#/definitions/x'}}}",
	    "$.properties.a.$ref: '#/definitions/x' names nothing in this schema");
	check_fails("{'definitions':{'x':3},'items':{'$ref':'#/definitions/x'}}",
	    "$.items.$ref: '#/definitions/x' names number, not a schema");
	check_fails("{'definitions':{'x~2':{}},'$ref':'#/definitions/x~2'}",
	    "$.$ref: '#/definitions/x~2' names nothing in this schema");
	check_fails("{'items':[{}],'not':{'$ref':'#/items/01'}}",
	    "$.not.$ref: '#/items/01' names nothing in this schema");
	check_fails("{'$ref':'#/a%2'}", "$.$ref: '#/a%2' names nothing in this "
	    "schema");
	check_fails("{'$ref':'#','$ref':'#'}", "$.$ref: keyword given twice");
	/* a referenced definition is checked, and named where it is */
	check_fails("{'definitions':{'a':{'type':'strng'}},"
	    "'$ref':'#/definitions/a'}",
	    "$.definitions.a.type: unknown type 'strng'");
	check_fails("{'definitions':{'a b':{'items':{'pattern':'('}}},"
	    "'items':{'$ref':'#/definitions/a%20b'}}",
	    "$.definitions[\"a b\"].items.pattern: unusable pattern: unmatched (");
	check_fails("{'definitions':{'a':{'$ref':'#/definitions/b'},"
	    "'b':{'minItems':-1}},'$ref':'#/definitions/a'}",
	    "$.definitions.b.minItems: must be a non-negative integer");
	/* an unreferenced one is not looked at, as pxp-agent does not */
	check_ok("{'definitions':{'unused':{'type':'strng'}}}");
	/* loops that never descend into the value would never end */
	check_fails("{'$ref':'#'}", "$: applies itself to the same value "
	    "through $ref without descending into it (a loop)");
	check_fails("{'oneOf':[{},{'$ref':'#'}]}", "$: applies itself to the "
	    "same value through $ref without descending into it (a loop)");
	check_fails("{'definitions':{'a':{'$ref':'#/definitions/b'},'b':{'allOf':"
	    "[{'$ref':'#/definitions/a'}]}},'properties':{'x':{'$ref':"
	    "'#/definitions/a'}}}", "$.definitions.a: applies itself to the "
	    "same value through $ref without descending into it (a loop)");
	check_fails("{'definitions':{'a':{'not':{'anyOf':[{},{'$ref':"
	    "'#/definitions/a'}]}}},'items':{'$ref':'#/definitions/a'}}",
	    "$.definitions.a: applies itself to the same value through $ref "
	    "without descending into it (a loop)");
	check_fails("{'definitions':{'a':{'dependencies':{'k':{'$ref':"
	    "'#/definitions/a'}}}},'$ref':'#/definitions/a'}",
	    "$.definitions.a: applies itself to the same value through $ref "
	    "without descending into it (a loop)");
	/* recursion through the value is what $ref is for */
	check_ok("{'properties':{'next':{'$ref':'#'}}}");
	check_ok("{'items':{'$ref':'#'},'additionalItems':{'$ref':'#'},"
	    "'additionalProperties':{'$ref':'#'},"
	    "'patternProperties':{'x':{'$ref':'#'}}}");
	check_ok("{'definitions':{'a':{'anyOf':[{'$ref':'#/definitions/b'},"
	    "{'$ref':'#/definitions/b'}]},'b':{'type':'string'}},"
	    "'allOf':[{'$ref':'#/definitions/a'},{'$ref':'#/definitions/b'}]}");
	/* long chains: 200 hops are fine, 300 are not */
	s = ref_chain(200);
	assert_int_equal(schema_check(s, err, sizeof(err)), 0);
	cJSON_Delete(s);
	s = ref_chain(300);
	assert_int_equal(schema_check(s, err, sizeof(err)), -1);
	assert_string_equal(err, "$.definitions.d0: $ref, allOf, anyOf, oneOf "
	    "and not chained deeper than 256 levels");
	cJSON_Delete(s);
}

/* ---- combinators ----------------------------------------------------- */

static void
schema_combinators(void **state)
{
	const char *all = "{'allOf':[{'type':'string'},{'minLength':2},"
	    "{'maxLength':3}]}";
	const char *any = "{'anyOf':[{'type':'string','maxLength':2},"
	    "{'type':'integer','minimum':10}]}";
	const char *one = "{'oneOf':[{'type':'integer'},{'minimum':2}]}";
	const char *neg = "{'not':{'enum':['root','admin']}}";
	const char *nested = "{'properties':{'a':{'anyOf':[{'type':'object',"
	    "'properties':{'b':{'type':'string'}}},{'type':'array'}]},"
	    "'c':{'type':'integer'}}}";

	valid(all, "'ab'");
	invalid(all, "1", "$: expected string, got number");
	invalid(all, "'a'", "$: string shorter than 2 characters");
	invalid(all, "'abcd'", "$: string longer than 3 characters");
	valid(any, "'ab'");
	valid(any, "12");
	invalid(any, "'abc'", "$: matches none of the schemas in anyOf");
	invalid(any, "5", "$: matches none of the schemas in anyOf");
	invalid(any, "null", "$: matches none of the schemas in anyOf");
	valid(one, "1");
	valid(one, "2.5");
	invalid(one, "3", "$: matches more than one schema in oneOf ([0] and [1])");
	invalid(one, "1.5", "$: matches none of the schemas in oneOf");
	valid(neg, "'bob'");
	valid(neg, "7");
	invalid(neg, "'root'", "$: matches the schema in not");
	/* a failed branch leaves the path as it was */
	valid(nested, "{'a':[],'c':1}");
	invalid(nested, "{'a':{'b':1}}", "$.a: matches none of the schemas in anyOf");
	invalid(nested, "{'a':[],'c':'y'}", "$.c: expected integer, got string");
	invalid(nested, "{'a':{'b':'x'},'c':'y'}",
	    "$.c: expected integer, got string");
	/* beside other keywords, everything must hold */
	valid("{'type':'string','not':{'pattern':'^x'}}", "'abc'");
	invalid("{'type':'string','not':{'pattern':'^x'}}", "'xyz'",
	    "$: matches the schema in not");
	invalid("{'type':'string','not':{'pattern':'^x'}}", "1",
	    "$: expected string, got number");
	invalid("{'properties':{'p':{'allOf':[{},{'items':{'type':'null'}}]}}}",
	    "{'p':[null,0]}", "$.p[1]: expected null, got number");
}

/* ---- patterns -------------------------------------------------------- */

/* Does pattern (JSON text, not escaped) match subject? The schema must
 * check. */
static bool
pmatch(const char *pattern, const char *subject)
{
	cJSON *s = cJSON_CreateObject(), *v = cJSON_CreateString(subject);
	char err[256];
	int rc;

	cJSON_AddStringToObject(s, "pattern", pattern);
	if (schema_check(s, err, sizeof(err)) != 0)
		fail_msg("pattern %s refused: %s", pattern, err);
	rc = schema_validate(s, v, err, sizeof(err));
	assert_true(rc == 0 || rc == -1);
	if (rc == -1 && !strstr(err, "string does not match pattern"))
		fail_msg("pattern %s on %s: %s", pattern, subject, err);
	cJSON_Delete(s);
	cJSON_Delete(v);
	return rc == 0;
}

static void
pattern_refused(const char *pattern, const char *reason)
{
	cJSON *s = cJSON_CreateObject();
	char err[256], want[256];

	cJSON_AddStringToObject(s, "pattern", pattern);
	assert_int_equal(schema_check(s, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "$.pattern: unusable pattern: %s", reason);
	assert_string_equal(err, want);
	cJSON_Delete(s);
}

static void
schema_pattern(void **state)
{
	valid("{'pattern':'^[a-z][a-z0-9_]*$'}", "'pkg_1'");
	invalid("{'pattern':'^[a-z][a-z0-9_]*$'}", "'1pkg'",
	    "$: string does not match pattern '^[a-z][a-z0-9_]*$'");
	valid("{'pattern':'^x$'}", "1");   /* strings only */
	assert_true(pmatch("b+", "abbc"));  /* a match anywhere counts */
	assert_false(pmatch("b+", "ac"));
	assert_true(pmatch("", "x"));
	/* ECMA: ^ and $ are the ends of the string, '.' no line break */
	assert_false(pmatch("a$", "a\n"));
	assert_false(pmatch("^a", "b\na"));
	assert_false(pmatch("^a.c$", "a\nc"));
	assert_false(pmatch("^a.c$", "a\rc"));
	/* classes */
	assert_true(pmatch("^\\d{3}-\\d{4}$", "555-1234"));
	assert_false(pmatch("^\\d{3}-\\d{4}$", "555-12345"));
	assert_true(pmatch("^\\D+$", "ab\xc3\xa9"));
	assert_false(pmatch("^\\D+$", "a1"));
	assert_true(pmatch("^\\w+$", "a_Z9"));
	assert_false(pmatch("^\\w+$", "a-b"));
	assert_false(pmatch("^\\w$", "\xc3\xa9"));   /* \w is ASCII */
	assert_true(pmatch("^\\W$", "\xc3\xa9"));
	assert_true(pmatch("^\\s\\s\\s$", " \t\n"));
	assert_true(pmatch("^\\S+$", "ab"));
	assert_false(pmatch("^\\S+$", "a b"));
	assert_true(pmatch("^[a-c\\d_]+$", "ab1_"));
	assert_false(pmatch("^[a-c\\d_]+$", "d"));
	assert_true(pmatch("^[\\]\\-^[]+$", "]-^["));
	assert_false(pmatch("^[\\]\\-^[]+$", "a"));
	assert_true(pmatch("^[-^]$", "^"));
	assert_true(pmatch("^[\\^]$", "^"));
	assert_true(pmatch("^[.]$", "."));
	assert_false(pmatch("^[.]$", "x"));
	assert_true(pmatch("^[\\d-z]+$", "1-z"));   /* no range with \d */
	assert_false(pmatch("^[\\d-z]+$", "y"));
	assert_true(pmatch("^[\\b]$", "\b"));
	assert_false(pmatch("a[]", "a"));             /* [] matches nothing */
	assert_true(pmatch("^[^]$", "\n"));           /* [^] matches anything */
	/* a character is a code point, not a byte */
	assert_true(pmatch("^a.c$", "a\xc3\xa9" "c"));
	assert_true(pmatch("^a.c$", "a\xe2\x82\xac" "c"));
	assert_true(pmatch("^a.c$", "a\xf0\x9f\x98\x80" "c"));
	assert_true(pmatch("^.{2}$", "\xc3\xa9\xc3\xa9"));
	assert_false(pmatch("^.{2}$", "\xc3\xa9"));
	assert_true(pmatch("^[^a]$", "\xc3\xa9"));
	assert_false(pmatch("^[^a]$", "a"));
	assert_true(pmatch("^[\xc3\xa9-\xc3\xab]+$", "\xc3\xa9\xc3\xaa\xc3\xab"));
	assert_false(pmatch("^[\xc3\xa9-\xc3\xab]+$", "\xc3\xa8"));
	assert_true(pmatch("^\xc3\xa9+$", "\xc3\xa9\xc3\xa9"));
	assert_true(pmatch("^\\u00e9+$", "\xc3\xa9\xc3\xa9"));
	assert_true(pmatch("^\\ud83d\\ude00$", "\xf0\x9f\x98\x80"));
	assert_true(pmatch("^[x\\u00e9]$", "\xc3\xa9"));
	/* escapes */
	assert_true(pmatch("^\\x41\\x42$", "AB"));
	assert_true(pmatch("^\\t\\n\\r\\f\\v$", "\t\n\r\f\v"));
	assert_true(pmatch("^\\cJ$", "\n"));
	assert_true(pmatch("^\\$\\.\\*\\+\\?\\(\\)\\[\\]\\{\\}\\|\\/\\\\$",
	    "$.*+?()[]{}|/\\"));
	/* groups and quantifiers */
	assert_true(pmatch("^(?:ab)+$", "abab"));
	assert_false(pmatch("^(?:ab)+$", "aba"));
	assert_true(pmatch("^(?<year>\\d{4})-\\d{2}$", "2024-05"));
	assert_true(pmatch("^a{2,3}?$", "aa"));
	assert_false(pmatch("^a{2,3}?$", "aaaa"));
	assert_true(pmatch("^a*?b+?c??$", "aabb"));
	assert_true(pmatch("^a{2,}$", "aaaaa"));
	assert_false(pmatch("^a{2,}$", "a"));
	assert_true(pmatch("^(a|)$", ""));
	assert_true(pmatch("^(\\d{1,3}\\.){3}\\d{1,3}$", "10.0.0.1"));
	assert_false(pmatch("^(\\d{1,3}\\.){3}\\d{1,3}$", "10.0.0"));
	/* a brace that starts no quantifier is a literal (Annex B) */
	assert_true(pmatch("^a{,3}$", "a{,3}"));
	assert_false(pmatch("^a{,3}$", "aaa"));
	assert_true(pmatch("^{}$", "{}"));
	assert_true(pmatch("^x{y$", "x{y"));
	/* pxp-agent's (Perl) \A, \z and \Z */
	assert_true(pmatch("\\Aabc\\z", "abc"));
	assert_false(pmatch("\\Aabc\\z", "xabc"));
	assert_false(pmatch("\\Aabc\\z", "abc\n"));
	assert_true(pmatch("\\Aabc\\Z", "abc\n"));
}

static void
schema_pattern_refused(void **state)
{
	char deep[80], shallow[80], big[SCHEMA_TEST_PATTERN + 2];
	int i;

	pattern_refused("(", "unmatched (");
	pattern_refused("a)", "unmatched )");
	pattern_refused("a**", "nothing to repeat before '*'");
	pattern_refused("*a", "nothing to repeat before '*'");
	pattern_refused("(+)", "nothing to repeat before '+'");
	pattern_refused("a{2}{3}", "nothing to repeat before '{3}'");
	pattern_refused("^?", "nothing to repeat before '?'");
	pattern_refused("(a)\\1", "back-references are not supported");
	pattern_refused("(?<n>a)\\k<n>", "back-references are not supported");
	pattern_refused("(?=a)", "lookahead and lookbehind are not supported");
	pattern_refused("(?<!a)b", "lookahead and lookbehind are not supported");
	pattern_refused("(?i)a", "invalid group '(?'");
	pattern_refused("(?<>a)", "invalid group name");
	pattern_refused("\\bword\\b", "word boundaries (\\b, \\B) are not supported");
	pattern_refused("\\p{L}", "Unicode property escapes (\\p, \\P) are not "
	    "supported");
	pattern_refused("\\q", "unknown escape \\q");
	pattern_refused("[\\q]", "unknown escape \\q");
	pattern_refused("[\\1]", "back-references and octal escapes are not "
	    "supported");
	pattern_refused("a\\", "pattern ends with \\");
	pattern_refused("[a\\", "pattern ends with \\");
	pattern_refused("[abc", "unterminated [...]");
	pattern_refused("[z-a]", "range out of order in [...]");
	pattern_refused("a{3,2}", "numbers out of order in {3,2}");
	pattern_refused("a{1001}", "repetition bound above 1000");
	pattern_refused("a{1,99999999999999999999}", "repetition bound above 1000");
	pattern_refused("(a{1000}){1000}", "pattern too large once repetitions "
	    "are expanded");
	pattern_refused("((.{100}){100}){100}", "pattern too large once "
	    "repetitions are expanded");
	pattern_refused("\\x4", "\\x needs two hex digits");
	pattern_refused("\\u12", "\\u needs four hex digits");
	pattern_refused("\\ud800", "lone surrogate \\ud800");
	pattern_refused("\\0", "NUL characters are not supported");
	pattern_refused("\\x00", "NUL characters are not supported");
	pattern_refused("\\c1", "\\c must be followed by a letter");
	pattern_refused("[^\xc3\xa9]", "non-ASCII characters in a negated class "
	    "[^...] are not supported");
	pattern_refused("[\\u0100-\\u0300]", "more than 256 non-ASCII "
	    "characters in [...]");
	pattern_refused("a\xff", "pattern is not valid UTF-8");
	pattern_refused("\xc3", "pattern is not valid UTF-8");
	/* 32 nested groups are fine, 33 are not */
	for (i = 0; i < 33; i++) {
		deep[i] = '(';
		deep[33 + i] = ')';
	}
	deep[66] = '\0';
	memcpy(shallow, deep + 1, 64);
	shallow[64] = '\0';
	assert_true(pmatch(shallow, "x"));
	pattern_refused(deep, "groups nested deeper than 32");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	pattern_refused(big, "pattern longer than 4096 bytes");
	big[sizeof(big) - 2] = '\0';
	assert_false(pmatch(big, "aaa"));
	/* a key of patternProperties is a pattern too */
	check_fails("{'patternProperties':{'(':{}}}",
	    "$.patternProperties[\"(\"]: unusable pattern: unmatched (");
}

/* Patterns run as an NFA in lock step: no backtracking blow-up, and the
 * work, (threads) x (bytes), is counted against the step budget. */
static void
schema_pattern_bounded(void **state)
{
	cJSON *s, *v;
	char err[256], *text;
	size_t n = 1000000;

	/* catastrophic for a backtracking engine, linear here */
	text = malloc(n + 1);
	assert_non_null(text);
	memset(text, 'x', 5000);
	text[5000] = '\0';
	assert_false(pmatch("(x+x+)+y", text));
	assert_false(pmatch("^(a|aa)*$", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab"));
	/* a pattern that keeps too many threads alive over a long string is
	 * refused once the budget (200000 + 64 a node + 16 a byte) is spent */
	memset(text, 'w', 20000);
	text[20000] = '\0';
	s = J("{'pattern':'(\\\\w{1,9}\\\\s?){1,200}$'}");
	v = cJSON_CreateString(text);
	assert_int_equal(schema_check(s, err, sizeof(err)), 0);
	assert_int_equal(schema_validate(s, v, err, sizeof(err)), -1);
	assert_string_equal(err, "$: validation needs more than 520064 steps");
	cJSON_Delete(v);
	cJSON_Delete(s);
	/* ... while a simple one runs over a megabyte, and finds a match
	 * anywhere in it */
	memset(text, 'a', n);
	text[n] = '\0';
	assert_true(pmatch("^[a-z]+$", text));
	text[n / 2] = 'B';
	assert_false(pmatch("^[a-z]+$", text));
	assert_true(pmatch("aBa", text));
	assert_true(pmatch("B", text));
	free(text);
}

static void
schema_pattern_properties(void **state)
{
	const char *s = "{'properties':{'name':{'type':'string'},"
	    "'x-id':{'minLength':3}},"
	    "'patternProperties':{'^x-':{'type':'string'},'^x-n':{'type':"
	    "'integer'},'\\\\d$':{'minimum':0}},'additionalProperties':false}";
	const char *typed = "{'patternProperties':{'^s_':{'type':'string'}},"
	    "'additionalProperties':{'type':'integer'}}";

	valid(s, "{}");
	valid(s, "{'name':'n','x-a':'s','a1':5,'x-id':'abc'}");
	/* every matching pattern applies, and properties too */
	invalid(s, "{'x-n1':1}", "$.x-n1: expected string, got number");
	invalid(s, "{'x-id':5}", "$.x-id: expected string, got number");
	invalid(s, "{'x-id':'ab'}", "$.x-id: string shorter than 3 characters");
	invalid(s, "{'a1':-1}", "$.a1: -1 is below the minimum 0");
	invalid(s, "{'other':1}", "$.other: additional property not allowed");
	valid(typed, "{'s_a':'x','n':1}");
	invalid(typed, "{'s_a':1}", "$.s_a: expected string, got number");
	invalid(typed, "{'n':'x'}", "$.n: expected integer, got string");
	invalid("{'patternProperties':{'^\xc3\xa9':{'type':'null'}}}",
	    "{'\xc3\xa9t\xc3\xa9':1}", "$[\"\xc3\xa9t\xc3\xa9\"]: expected null, "
	    "got number");
	valid("{'patternProperties':{'^a':{'type':'null'}}}", "[1]");
}

/* ---- other keywords -------------------------------------------------- */

static void
schema_dependencies(void **state)
{
	const char *s = "{'dependencies':{'card':['billing','name'],"
	    "'ship':{'required':['address'],'properties':{'address':"
	    "{'type':'string'}}}}}";

	valid(s, "{}");
	valid(s, "{'name':'x'}");
	valid(s, "{'card':1,'billing':'a','name':'n'}");
	invalid(s, "{'card':1,'name':'n'}",
	    "$: property 'card' requires property 'billing'");
	invalid(s, "{'card':1,'billing':'a'}",
	    "$: property 'card' requires property 'name'");
	valid(s, "{'ship':true,'address':'here'}");
	invalid(s, "{'ship':true}", "$: missing required property 'address'");
	invalid(s, "{'ship':true,'address':3}",
	    "$.address: expected string, got number");
	valid(s, "[1]");
	valid("{'dependencies':{'a':[]}}", "{'a':1}");
}

static cJSON *
numbered_objects(int n)
{
	cJSON *a = cJSON_CreateArray(), *o;
	int i;

	for (i = 0; i < n; i++) {
		o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "i", i);
		cJSON_AddStringToObject(o, "s", "x");
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

static void
schema_unique_items(void **state)
{
	const char *s = "{'uniqueItems':true}";
	cJSON *sch = J(s), *v, *dup;
	char err[256];
	int i;

	valid(s, "[]");
	valid(s, "[1,'1',true,null,[1],{'a':1},false,0]");
	valid(s, "[{'a':1},{'a':1,'b':2}]");
	valid(s, "[[1,2],[2,1]]");
	valid(s, "['a','A']");
	valid(s, "{'a':1,'b':1}");
	invalid(s, "[1,2,1]", "$: items [0] and [2] are equal");
	invalid(s, "[1,1.0]", "$: items [0] and [1] are equal");
	invalid(s, "[0,-0]", "$: items [0] and [1] are equal");
	invalid(s, "[{'a':1,'b':[1,{}]},{'b':[1,{}],'a':1}]",
	    "$: items [0] and [1] are equal");
	invalid("{'items':{'uniqueItems':true}}", "[[],[null,null]]",
	    "$[1]: items [0] and [1] are equal");
	valid("{'uniqueItems':false}", "[1,1]");
	/* long arrays are hashed and sorted: the same answers */
	v = numbered_objects(1000);
	assert_int_equal(schema_validate(sch, v, err, sizeof(err)), 0);
	dup = cJSON_CreateObject();
	cJSON_AddStringToObject(dup, "s", "x");
	cJSON_AddNumberToObject(dup, "i", 500);
	cJSON_AddItemToArray(v, dup);
	assert_int_equal(schema_validate(sch, v, err, sizeof(err)), -1);
	assert_string_equal(err, "$: items [500] and [1000] are equal");
	cJSON_Delete(v);
	v = cJSON_CreateArray();
	for (i = 0; i < 100000; i++)
		cJSON_AddItemToArray(v, cJSON_CreateNumber(i * 0.5));
	assert_int_equal(schema_validate(sch, v, err, sizeof(err)), 0);
	cJSON_Delete(v);
	cJSON_Delete(sch);
}

static void
schema_multiple_of(void **state)
{
	valid("{'multipleOf':3}", "9");
	valid("{'multipleOf':3}", "0");
	valid("{'multipleOf':3}", "-6");
	invalid("{'multipleOf':3}", "10", "$: 10 is not a multiple of 3");
	valid("{'multipleOf':0.1}", "0.3");
	valid("{'multipleOf':0.1}", "300.3");
	valid("{'multipleOf':0.01}", "19.99");
	invalid("{'multipleOf':0.1}", "0.35", "$: 0.35 is not a multiple of 0.1");
	valid("{'multipleOf':0.5}", "2.5");
	invalid("{'multipleOf':2}", "2.5", "$: 2.5 is not a multiple of 2");
	valid("{'multipleOf':1e-8}", "3e-8");
	valid("{'multipleOf':3}", "'x'");
	invalid("{'type':'integer','multipleOf':60}", "90",
	    "$: 90 is not a multiple of 60");
}

static void
schema_enum_exact(void **state)
{
	valid("{'enum':[0.1]}", "0.1");
	invalid("{'enum':[1]}", "1.0000000000000002",
	    "$: value is not one of the allowed values");
	valid("{'enum':[1]}", "1.0");
	invalid("{'enum':[1]}", "true", "$: value is not one of the allowed values");
	invalid("{'enum':[null]}", "false", "$: value is not one of the allowed values");
	valid("{'enum':[{'a':1,'b':[2,3]}]}", "{'b':[2,3],'a':1}");
	invalid("{'enum':[{'a':1,'b':[2,3]}]}", "{'b':[3,2],'a':1}",
	    "$: value is not one of the allowed values");
	invalid("{'enum':[{'a':1}]}", "{'a':1,'c':1}",
	    "$: value is not one of the allowed values");
}

/* format is an annotation here, as in pxp-agent's validator. */
static void
schema_format_ignored(void **state)
{
	valid("{'format':'email'}", "'not an email'");
	valid("{'type':'string','format':'date-time'}", "'yesterday'");
	valid("{'format':'ipv4'}", "'999.1'");
	valid("{'format':'no-such-format'}", "3");
	valid("{'title':'t','description':'d','default':[1],'id':'#x',"
	    "'$schema':'http://json-schema.org/draft-04/schema#'}", "{}");
}

/* definitions a0..a{n-1}: anyOf twice the next; a{n} a string */
static cJSON *
exponential_schema(int n)
{
	cJSON *root = cJSON_CreateObject(), *defs, *d, *any, *r;
	char name[32], ref[64];
	int i, k;

	defs = cJSON_AddObjectToObject(root, "definitions");
	for (i = 0; i <= n; i++) {
		snprintf(name, sizeof(name), "a%d", i);
		d = cJSON_AddObjectToObject(defs, name);
		if (i == n) {
			cJSON_AddStringToObject(d, "type", "string");
			continue;
		}
		any = cJSON_AddArrayToObject(d, "anyOf");
		snprintf(ref, sizeof(ref), "#/definitions/a%d", i + 1);
		for (k = 0; k < 2; k++) {
			r = cJSON_CreateObject();
			cJSON_AddStringToObject(r, "$ref", ref);
			cJSON_AddItemToArray(any, r);
		}
	}
	cJSON_AddStringToObject(root, "$ref", "#/definitions/a0");
	return root;
}

static void
schema_work_bounded(void **state)
{
	cJSON *s = exponential_schema(40), *v = J("1"), *big, *neg, *item;
	char err[256];
	int i;

	/* 2^40 evaluations would be needed: the budget stops it */
	assert_int_equal(schema_check(s, err, sizeof(err)), 0);
	assert_int_equal(schema_validate(s, v, err, sizeof(err)), -1);
	assert_string_equal(err, "$: validation needs more than 200064 steps");
	/* and not does not turn that into a pass */
	neg = cJSON_CreateObject();
	cJSON_AddItemToObject(neg, "not", cJSON_Duplicate(s, true));
	cJSON_AddItemToObject(neg, "definitions", cJSON_DetachItemFromObject(
	    cJSON_GetObjectItem(neg, "not"), "definitions"));
	assert_int_equal(schema_check(neg, err, sizeof(err)), 0);
	assert_int_equal(schema_validate(neg, v, err, sizeof(err)), -1);
	assert_string_equal(err, "$: validation needs more than 200064 steps");
	/* a string passes the first branch at every level at once */
	cJSON_Delete(v);
	v = J("'x'");
	assert_int_equal(schema_validate(s, v, err, sizeof(err)), 0);
	cJSON_Delete(v);
	cJSON_Delete(s);
	cJSON_Delete(neg);
	/* the budget grows with the value: big linear work still passes */
	s = J("{'type':'array','items':{'type':'object','required':['n'],"
	    "'properties':{'n':{'type':'string','pattern':'^p[0-9]+$'}},"
	    "'patternProperties':{'^v':{'type':'integer'}},"
	    "'anyOf':[{'required':['v']},{'required':['n']}]}}");
	big = cJSON_CreateArray();
	for (i = 0; i < 100000; i++) {
		item = cJSON_CreateObject();
		cJSON_AddStringToObject(item, "n", "p1");
		cJSON_AddNumberToObject(item, "v", i);
		cJSON_AddItemToArray(big, item);
	}
	assert_int_equal(schema_check(s, err, sizeof(err)), 0);
	assert_int_equal(schema_validate(s, big, err, sizeof(err)), 0);
	cJSON_Delete(big);
	cJSON_Delete(s);
}

/* ---- a realistic module (tests/data/modules/pkg.metadata.json) ------- */

static cJSON *
pkg_metadata(void)
{
	const char *data = getenv("PXPD_TEST_DATA");
	char path[512], *text;
	FILE *f;
	long n;
	cJSON *md;

	assert_non_null(data);
	snprintf(path, sizeof(path), "%s/modules/pkg.metadata.json", data);
	assert_non_null(f = fopen(path, "rb"));
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	assert_non_null(text = calloc(1, (size_t)n + 1));
	assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	assert_non_null(md = cJSON_Parse(text));
	free(text);
	return md;
}

static void
pkg_valid(const cJSON *s, const char *value)
{
	cJSON *v = J(value);
	char err[256];

	if (schema_validate(s, v, err, sizeof(err)) != 0)
		fail_msg("%s refused: %s", value, err);
	cJSON_Delete(v);
}

static void
pkg_invalid(const cJSON *s, const char *value, const char *want)
{
	cJSON *v = J(value);
	char err[256];

	if (schema_validate(s, v, err, sizeof(err)) != -1)
		fail_msg("%s accepted", value);
	assert_string_equal(err, want);
	cJSON_Delete(v);
}

static void
schema_realistic_module(void **state)
{
	cJSON *md = pkg_metadata();
	const cJSON *conf = cJSON_GetObjectItem(md, "configuration");
	const cJSON *actions = cJSON_GetObjectItem(md, "actions"), *a;
	const cJSON *in, *out;
	char err[256];

	assert_int_equal(schema_check(conf, err, sizeof(err)), 0);
	cJSON_ArrayForEach(a, actions) {
		if (schema_check(cJSON_GetObjectItem(a, "input"), err,
		    sizeof(err)) != 0 || schema_check(cJSON_GetObjectItem(a,
		    "results"), err, sizeof(err)) != 0)
			fail_msg("%s: %s", cJSON_GetObjectItem(a, "name")->valuestring,
			    err);
	}
	pkg_valid(conf, "{'timeout':30,'provider':'apt','proxy':'not checked'}");
	pkg_invalid(conf, "{'timeout':0}", "$.timeout: 0 is below the minimum 1");
	pkg_invalid(conf, "{'timeout':1.5}", "$.timeout: expected integer, got number");
	pkg_invalid(conf, "{'provider':'pip'}",
	    "$.provider: value is not one of the allowed values");

	in = cJSON_GetObjectItem(actions->child, "input");
	out = cJSON_GetObjectItem(actions->child, "results");
	pkg_valid(in, "{'packages':['openssl',{'name':'curl','version':'7.88.1-10+deb12u5'},"
	    "{'name':'vim','version':'latest','hold':true}],"
	    "'options':{'--no-install-recommends':true,'--target-release':'stable'},"
	    "'env':{'DEBIAN_FRONTEND':'noninteractive'},'reboot':true,"
	    "'reboot_delay':120}");
	pkg_invalid(in, "{}", "$: missing required property 'packages'");
	pkg_invalid(in, "{'packages':[]}", "$.packages: fewer than 1 items");
	pkg_invalid(in, "{'packages':['Open SSL']}",
	    "$.packages[0]: matches none of the schemas in oneOf");
	pkg_invalid(in, "{'packages':[{'name':'curl','version':'newest'}]}",
	    "$.packages[0]: matches none of the schemas in oneOf");
	pkg_invalid(in, "{'packages':['curl','curl']}",
	    "$.packages: items [0] and [1] are equal");
	pkg_invalid(in, "{'packages':['a'],'options':{'-y':true}}",
	    "$.options[\"-y\"]: additional property not allowed");
	pkg_invalid(in, "{'packages':['a'],'options':{'--yes':1}}",
	    "$.options[\"--yes\"]: expected string or boolean, got number");
	pkg_invalid(in, "{'packages':['a'],'env':{'path':'/bin'}}",
	    "$.env.path: additional property not allowed");
	pkg_invalid(in, "{'packages':['a'],'reboot_delay':60}",
	    "$: property 'reboot_delay' requires property 'reboot'");
	pkg_invalid(in, "{'packages':['a'],'reboot':true,'reboot_delay':90}",
	    "$.reboot_delay: 90 is not a multiple of 60");
	pkg_invalid(in, "{'packages':['a'],'force':true}",
	    "$.force: additional property not allowed");

	pkg_valid(out, "{'packages':[{'name':'curl','status':'upgraded',"
	    "'version':'7.88.1'},{'name':'x','status':'failed','version':null,"
	    "'error':'not found'}],'reboot_required':false}");
	pkg_invalid(out, "{'packages':[{'name':'x','status':'failed'}]}",
	    "$.packages[0]: matches none of the schemas in anyOf");
	pkg_invalid(out, "{'packages':[{'name':'x','status':'installed',"
	    "'error':'?'}]}", "$.packages[0]: matches none of the schemas in anyOf");
	pkg_invalid(out, "{'packages':[{'name':'x','status':'gone'}]}",
	    "$.packages[0].status: value is not one of the allowed values");
	cJSON_Delete(md);
}

/* modules.md §9: the pxp-module-puppet metadata schemas. */
static const char puppet_input[] =
    "{'type':'object','properties':{"
    "'flags':{'type':'array','items':{'type':'string'}},"
    "'job':{'type':'string'},'env':{'type':'array'}},"
    "'required':['flags']}";
static const char puppet_results[] =
    "{'type':'object','properties':{"
    "'kind':{'type':'string'},'time':{'type':'string'},"
    "'transaction_uuid':{'type':'string'},'environment':{'type':'string'},"
    "'status':{'type':'string'},'metrics':{'type':'object'},"
    "'error_type':{'type':'string'},'error':{'type':'string'},"
    "'exitcode':{'type':'number'},'version':{'type':'number'}},"
    "'required':['time','transaction_uuid','environment','status',"
    "'exitcode','version']}";
static const char puppet_config[] =
    "{'type':'object','properties':{'puppet_bin':{'type':'string'}}}";

static void
schema_puppet_module(void **state)
{
	check_ok(puppet_input);
	check_ok(puppet_results);
	check_ok(puppet_config);

	valid(puppet_input, "{'flags':['--noop','--environment','production']}");
	valid(puppet_input, "{'flags':[],'job':'17','env':['A=b']}");
	invalid(puppet_input, "{'job':'17'}", "$: missing required property 'flags'");
	invalid(puppet_input, "{'flags':['--noop',true]}",
	    "$.flags[1]: expected string, got boolean");
	invalid(puppet_input, "{'flags':[],'env':'A=b'}",
	    "$.env: expected array, got string");
	invalid(puppet_input, "null", "$: expected object, got null");

	valid(puppet_results, "{'time':'2024-05-01T10:00:00.123Z',"
	    "'transaction_uuid':'6f1c','environment':'production',"
	    "'status':'changed','metrics':{'total':12,'changed':1,'failed':0},"
	    "'exitcode':2,'version':1}");
	valid(puppet_results, "{'time':'unknown','transaction_uuid':'unknown',"
	    "'environment':'unknown','status':'unknown','metrics':{},"
	    "'exitcode':-1,'version':1,'error_type':'no_puppet_bin',"
	    "'error':'Puppet executable does not exist'}");
	invalid(puppet_results, "{'time':'t','transaction_uuid':'u',"
	    "'environment':'e','status':'s','exitcode':'0','version':1}",
	    "$.exitcode: expected number, got string");
	invalid(puppet_results, "{'time':'t','transaction_uuid':'u',"
	    "'environment':'e','status':'s','exitcode':0}",
	    "$: missing required property 'version'");
	invalid(puppet_results, "null", "$: expected object, got null");

	valid(puppet_config, "{'puppet_bin':'/opt/puppetlabs/bin/puppet'}");
	valid(puppet_config, "{}");
	invalid(puppet_config, "{'puppet_bin':7}",
	    "$.puppet_bin: expected string, got number");
	invalid(puppet_config, "null", "$: expected object, got null");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(schema_type_single),
		cmocka_unit_test(schema_type_union),
		cmocka_unit_test(schema_empty_accepts_anything),
		cmocka_unit_test(schema_required_properties),
		cmocka_unit_test(schema_additional_properties),
		cmocka_unit_test(schema_paths_nested_and_quoted),
		cmocka_unit_test(schema_items_tuple),
		cmocka_unit_test(schema_enum),
		cmocka_unit_test(schema_bounds),
		cmocka_unit_test(schema_check_refuses),
		cmocka_unit_test(schema_check_accepts),
		cmocka_unit_test(schema_invalid_schema_fails_closed),
		cmocka_unit_test(schema_depth_bounded),
		cmocka_unit_test(schema_long_path_truncated),
		cmocka_unit_test(schema_puppet_module),
		cmocka_unit_test(schema_degenerate_lists),
		cmocka_unit_test(schema_ref_pointers),
		cmocka_unit_test(schema_ref_recursive),
		cmocka_unit_test(schema_ref_check),
		cmocka_unit_test(schema_combinators),
		cmocka_unit_test(schema_pattern),
		cmocka_unit_test(schema_pattern_refused),
		cmocka_unit_test(schema_pattern_bounded),
		cmocka_unit_test(schema_pattern_properties),
		cmocka_unit_test(schema_dependencies),
		cmocka_unit_test(schema_unique_items),
		cmocka_unit_test(schema_multiple_of),
		cmocka_unit_test(schema_enum_exact),
		cmocka_unit_test(schema_format_ignored),
		cmocka_unit_test(schema_work_bounded),
		cmocka_unit_test(schema_realistic_module),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
