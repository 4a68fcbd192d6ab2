/* test_schema.c: the JSON Schema subset of agent/schema.c: which schemas
 * are accepted, which values pass, and the exact error text with paths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "schema.h"

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
	check_fails("{'type':3}",
	    "$.type: must be a type name or a non-empty array of type names");
	check_fails("{'type':[]}",
	    "$.type: must be a type name or a non-empty array of type names");
	check_fails("{'type':['string',1]}",
	    "$.type: must be a type name or a non-empty array of type names");
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
	check_fails("{'enum':[]}", "$.enum: must be a non-empty array");
	check_fails("{'enum':'a'}", "$.enum: must be a non-empty array");
	check_fails("{'minLength':-1}", "$.minLength: must be a non-negative integer");
	check_fails("{'maxItems':1.5}", "$.maxItems: must be a non-negative integer");
	check_fails("{'minimum':'0'}", "$.minimum: must be a number");
	check_fails("{'minimum':0,'exclusiveMinimum':1}",
	    "$.exclusiveMinimum: must be a boolean");
	check_fails("{'exclusiveMaximum':true}", "$: exclusiveMaximum without maximum");
	check_fails("{'type':'string','type':'null'}", "$.type: keyword given twice");
	check_fails("{'$ref':'#/definitions/a'}", "$.$ref: keyword not supported by pxpd");
	check_fails("{'properties':{'a':{'anyOf':[{}]}}}",
	    "$.properties.a.anyOf: keyword not supported by pxpd");
	check_fails("{'pattern':'^a'}", "$.pattern: keyword not supported by pxpd");
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
}

static void
schema_invalid_schema_fails_closed(void **state)
{
	/* schema_validate() on an unchecked schema: an error, never a pass. */
	const char *bad[] = {
		"{'type':'strng'}", "{'enum':3}", "{'properties':[]}",
		"{'required':[1]}", "{'minLength':'1'}", "{'items':3}",
		"{'additionalProperties':3}", "{'minimum':0,'exclusiveMinimum':1}",
		"3",
	};
	const char *values[] = {
		"'x'", "'x'", "{}", "{}", "'x'", "[1]", "{'a':1}", "5", "1",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cJSON *s = J(bad[i]), *v = J(values[i]);
		char err[128] = "";

		assert_int_equal(schema_validate(s, v, err, sizeof(err)), -1);
		assert_string_equal(err, "$: invalid schema");
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
