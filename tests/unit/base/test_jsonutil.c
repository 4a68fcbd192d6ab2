/* test_jsonutil.c: the UTF-8 repair rule (one U+FFFD per maximal subpart,
 * NUL too), escaping that counts what it writes, fitting text into a
 * budget of escaped bytes, repairing cJSON trees, and RPC error texts cut
 * to fit (issue 8). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/jsonutil.h"
#include "pcp/pxp.h"

#define R "\xef\xbf\xbd"        /* U+FFFD */

struct repair_case {
	const char *in;
	size_t len;
	const char *out;
};

#define C(in, out) { in, sizeof(in) - 1, out }

static void
utf8_repair_ill_formed(void **state)
{
	static const struct repair_case cases[] = {
		C("plain", "plain"),
		C("", ""),
		/* well-formed, up to the edges of each range */
		C("\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80"
		  "\xef\xbf\xbf\xf0\x90\x80\x80\xf4\x8f\xbf\xbf",
		  "\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80"
		  "\xef\xbf\xbf\xf0\x90\x80\x80\xf4\x8f\xbf\xbf"),
		/* overlong forms: C0/C1 never lead; E0 and F0 refuse their
		 * low second bytes */
		C("\xc0\x80", R R),
		C("\xc1\xbf", R R),
		C("\xe0\x80\xaf", R R R),
		C("\xe0\x9f\xbf", R R R),
		C("\xf0\x80\x80\xaf", R R R R),
		C("\xf0\x8f\xbf\xbf", R R R R),
		/* surrogates (ED A0..BF) */
		C("\xed\xa0\x80", R R R),
		C("\xed\xbf\xbf", R R R),
		/* above U+10FFFF: F4 90.., F5..F7 */
		C("\xf4\x90\x80\x80", R R R R),
		C("\xf5\x80\x80\x80", R R R R),
		C("\xf7\xbf\xbf\xbf", R R R R),
		/* the old 5- and 6-byte forms */
		C("\xf8\x88\x80\x80\x80", R R R R R),
		C("\xfc\x84\x80\x80\x80\x80", R R R R R R),
		C("\xfe\xff", R R),
		/* a lone continuation byte */
		C("a\x80" "b", "a" R "b"),
		/* truncated: one U+FFFD for the whole maximal subpart */
		C("\xe2\x82" "A", R "A"),
		C("\xf0\x9f\x98" "A", R "A"),
		C("\xf0\x9f" "\xc3\xa9", R "\xc3\xa9"),
		/* truncated at the very end */
		C("a\xc3", "a" R),
		C("a\xe2\x82", "a" R),
		C("a\xf0\x9f\x98", "a" R),
		/* NUL is replaced too */
		C("a\0b", "a" R "b"),
		C("\0", R),
		/* Unicode 15 §3.9 Table 3-8 (and the WHATWG decoder) */
		C("\x61\xf1\x80\x80\xe1\x80\xc2\x62\x80\x63\x80\xbf\x64",
		  "a" R R R "b" R "c" R R "d"),
	};
	size_t i, n;
	char *r;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r = json_utf8_repair(cases[i].in, cases[i].len, &n);
		assert_non_null(r);
		assert_string_equal(r, cases[i].out);
		assert_int_equal(n, strlen(cases[i].out));
		assert_true(json_utf8_clean(r, n));
		free(r);
	}
}

static void
utf8_clean_refuses_nul(void **state)
{
	assert_true(json_utf8_valid("a\0b", 3));
	assert_false(json_utf8_clean("a\0b", 3));
	assert_true(json_utf8_clean("caf\xc3\xa9", 5));
	assert_false(json_utf8_clean("caf\xc3", 4));
	assert_true(json_utf8_clean("", 0));
}

static void
utf8_len_maximal_subpart(void **state)
{
	size_t bad = 0;

	assert_int_equal(json_utf8_len((const unsigned char *)"\xe2\x82\xac",
	    3, &bad), 3);
	assert_int_equal(json_utf8_len((const unsigned char *)"\xe2\x82" "A",
	    3, &bad), 0);
	assert_int_equal(bad, 2);
	assert_int_equal(json_utf8_len((const unsigned char *)"\xf0\x9f\x98",
	    3, &bad), 0);
	assert_int_equal(bad, 3);
	assert_int_equal(json_utf8_len((const unsigned char *)"\xed\xa0\x80",
	    3, &bad), 0);
	assert_int_equal(bad, 1);
	assert_int_equal(json_utf8_len((const unsigned char *)"\xff", 1, &bad),
	    0);
	assert_int_equal(bad, 1);
	/* a NUL-terminated string may be read with avail 4 */
	assert_int_equal(json_utf8_len((const unsigned char *)"\xe2", 4, &bad),
	    0);
	assert_int_equal(bad, 1);
}

/* The escaped count is what cJSON prints for the repaired text, so a
 * budget computed here holds for a reply cJSON prints. */
static void
escape_n_matches_cjson(void **state)
{
	static const struct repair_case samples[] = {
		C("x\"\\\n\x01\x1f\x7f\b\f\r\t", NULL),
		C("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", NULL),
		C("bad \xff\xfe \xe2\x82 \xed\xa0\x80 \0 nul", NULL),
		C("", NULL),
	};
	char buf[256], *r, *p;
	size_t i, n, rlen;
	cJSON *j;

	for (i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		memset(buf, '#', sizeof(buf));
		n = json_escape_n(NULL, samples[i].in, samples[i].len);
		assert_int_equal(json_escape_n(buf, samples[i].in,
		    samples[i].len), n);
		assert_int_equal(buf[n], '#');
		assert_true(json_utf8_clean(buf, n));
		r = json_utf8_repair(samples[i].in, samples[i].len, &rlen);
		j = cJSON_CreateString(r);
		p = cJSON_PrintUnformatted(j);
		assert_int_equal(strlen(p), n + 2);
		assert_memory_equal(p + 1, buf, n);
		free(p);
		cJSON_Delete(j);
		free(r);
	}
	p = json_quote_n("a\0b", 3);
	assert_string_equal(p, "\"a" R "b\"");
	free(p);
}

static void
utf8_fit_boundaries(void **state)
{
	/* a (1) é (2) € (3) 😀 (4) \n (escaped 2) */
	static const char s[] = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\n";
	size_t esc;

	assert_int_equal(json_utf8_fit(s, sizeof(s) - 1, 0, false, &esc), 0);
	assert_int_equal(esc, 0);
	assert_int_equal(json_utf8_fit(s, sizeof(s) - 1, 2, false, &esc), 1);
	assert_int_equal(json_utf8_fit(s, sizeof(s) - 1, 3, false, &esc), 3);
	assert_int_equal(json_utf8_fit(s, sizeof(s) - 1, 9, false, &esc), 6);
	assert_int_equal(esc, 6);
	assert_int_equal(json_utf8_fit(s, sizeof(s) - 1, 11, false, &esc), 10);
	assert_int_equal(json_utf8_fit(s, sizeof(s) - 1, 12, false, &esc), 11);
	assert_int_equal(esc, 12);
	/* replacements count as the 3 bytes of U+FFFD */
	assert_int_equal(json_utf8_fit("\xff\xff", 2, 5, false, &esc), 1);
	assert_int_equal(esc, 3);
	/* a character still being written is held back, a broken one not */
	assert_int_equal(json_utf8_fit("ab\xe2\x82", 4, 100, true, &esc), 2);
	assert_int_equal(json_utf8_fit("ab\xe2\x82", 4, 100, false, &esc), 4);
	assert_int_equal(esc, 5);
	assert_int_equal(json_utf8_fit("ab\xe2\x82" "c", 5, 100, true, &esc),
	    5);
	assert_int_equal(json_utf8_fit("ab\xff", 3, 100, true, &esc), 3);
}

static void
utf8_fit2_shares_budget(void **state)
{
	char a[1000], b[1000];
	size_t ak, bk;

	memset(a, 'y', sizeof(a));
	memset(b, '\x01', sizeof(b));   /* 6 bytes each once escaped */
	json_utf8_fit2(a, 10, b, 10, 1000, &ak, &bk);
	assert_int_equal(ak, 10);
	assert_int_equal(bk, 10);
	/* both long: stderr (b) keeps at most half */
	json_utf8_fit2(a, sizeof(a), b, sizeof(b), 1000, &ak, &bk);
	assert_int_equal(bk, 83);
	assert_int_equal(ak, 500);
	assert_true(json_escape_n(NULL, a, ak) + json_escape_n(NULL, b, bk) <=
	    1000);
	/* what stdout leaves goes to stderr */
	json_utf8_fit2(a, 10, b, sizeof(b), 1000, &ak, &bk);
	assert_int_equal(ak, 10);
	assert_int_equal(bk, 165);
	/* and the other way round */
	json_utf8_fit2(a, sizeof(a), b, 2, 600, &ak, &bk);
	assert_int_equal(bk, 2);
	assert_int_equal(ak, 588);
}

/* Random bytes, biased to the interesting ones: whatever comes in, the
 * escaped output is clean, its count exact, it parses back to the
 * repaired text, and a fit never overshoots its budget. */
/* A fixed-seed generator of our own: rand_r is POSIX, not C (mingw). */
static unsigned int
test_rand(unsigned int *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return (*seed >> 16) & 0x7fff;
}

static void
utf8_random_inputs(void **state)
{
	static const unsigned char pick[] = { 0x00, 0x01, 0x0a, '"', '\\',
	    'a', 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2,
	    0xdf, 0xe0, 0xe1, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf4, 0xf5, 0xf8,
	    0xfc, 0xfe, 0xff };
	unsigned char s[48];
	char out[48 * 6 + 3], *r;
	unsigned int seed = 8;
	size_t i, k, len, n, rlen, max, keep, esc;
	cJSON *j;

	for (i = 0; i < 20000; i++) {
		len = (size_t)test_rand(&seed) % sizeof(s);
		for (k = 0; k < len; k++)
			s[k] = pick[(size_t)test_rand(&seed) % sizeof(pick)];
		n = json_escape_n(out + 1, (const char *)s, len);
		assert_int_equal(n, json_escape_n(NULL, (const char *)s, len));
		assert_true(json_utf8_clean(out + 1, n));
		out[0] = '"';
		out[n + 1] = '"';
		out[n + 2] = '\0';
		r = json_utf8_repair((const char *)s, len, &rlen);
		assert_true(json_utf8_clean(r, rlen));
		assert_int_equal(json_utf8_clean((const char *)s, len),
		    rlen == len && memcmp(r, s, len) == 0);
		j = cJSON_Parse(out);
		assert_true(cJSON_IsString(j));
		assert_string_equal(j->valuestring, r);
		cJSON_Delete(j);
		free(r);
		max = (size_t)test_rand(&seed) % (n + 2);
		keep = json_utf8_fit((const char *)s, len, max, false, &esc);
		assert_true(esc <= max);
		assert_int_equal(json_escape_n(NULL, (const char *)s, keep),
		    esc);
		/* it stopped because the next unit would not fit */
		if (keep < len)
			assert_true(json_utf8_fit((const char *)s + keep,
			    len - keep, max - esc, false, NULL) == 0);
	}
}

static void
tree_repair_keys_and_values(void **state)
{
	static char borrowed[] = "ref\xff";
	cJSON *root = cJSON_CreateObject(), *arr, *inner;
	char *text;

	assert_non_null(root);
	cJSON_AddStringToObject(root, "ok", "caf\xc3\xa9");
	cJSON_AddStringToObject(root, "bad\xc0", "v\xed\xa0\x80");
	/* a constant key belongs to the program: replaced, not freed */
	cJSON_AddItemToObjectCS(root, "const\xfe", cJSON_CreateString("x"));
	arr = cJSON_AddArrayToObject(root, "list");
	cJSON_AddItemToArray(arr, cJSON_CreateString("a\xe2\x82"));
	cJSON_AddItemToArray(arr, cJSON_CreateNumber(7));
	inner = cJSON_CreateObject();
	cJSON_AddStringToObject(inner, "deep", "\xf8\x88\x80\x80\x80");
	cJSON_AddItemToArray(arr, inner);
	/* a string reference borrows its text: the owner keeps it */
	cJSON_AddItemToObject(root, "ref", cJSON_CreateStringReference(borrowed));
	cJSON_AddRawToObject(root, "raw", "[\"r\xff\"]");
	assert_false(json_tree_clean(root));
	assert_int_equal(json_tree_repair(root), 7);
	assert_true(json_tree_clean(root));
	assert_int_equal(json_tree_repair(root), 0);
	assert_string_equal(borrowed, "ref\xff");
	text = cJSON_PrintUnformatted(root);
	assert_string_equal(text, "{\"ok\":\"caf\xc3\xa9\",\"bad" R "\":\"v"
	    R R R "\",\"const" R "\":\"x\",\"list\":[\"a" R "\",7,"
	    "{\"deep\":\"" R R R R R "\"}],\"ref\":\"ref" R "\","
	    "\"raw\":[\"r" R "\"]}");
	free(text);
	cJSON_Delete(root);
	assert_true(json_tree_clean(NULL));
	assert_int_equal(json_tree_repair(NULL), 0);
}

/* An RPC error quoting a whole stderr is cut to fit, between
 * characters, after repair and escaping. */
static void
rpc_error_cut_to_fit(void **state)
{
	char desc[10001], *s;
	size_t i;
	cJSON *j;
	const char *d;

	for (i = 0; i < sizeof(desc) - 1; i++)
		desc[i] = "ab\xff\n\x01\xe2\x82\xac"[i % 8];
	desc[sizeof(desc) - 1] = '\0';
	s = pxp_rpc_error_json_max("t-1", "r-1", desc, 2000);
	assert_true(strlen(s) <= 2000);
	assert_true(strlen(s) > 1980);
	assert_true(json_utf8_clean(s, strlen(s)));
	j = cJSON_Parse(s);
	d = cJSON_GetObjectItem(j, "description")->valuestring;
	assert_string_equal(d + strlen(d) - strlen(PXP_CUT_MARK), PXP_CUT_MARK);
	assert_memory_equal(d, "ab" R "\n\x01\xe2\x82\xac" "ab", 12);
	cJSON_Delete(j);
	free(s);
	/* short enough: untouched */
	s = pxp_rpc_error_json_max("t-1", "r-1", "short", 2000);
	assert_string_equal(s, "{\"transaction_id\":\"t-1\",\"id\":\"r-1\","
	    "\"description\":\"short\"}");
	free(s);
}

static void
string_get_only_strings(void **state)
{
	cJSON *o = cJSON_Parse("{\"s\":\"x\",\"n\":1,\"z\":null}");

	(void)state;
	assert_non_null(o);
	assert_string_equal(json_string_get(o, "s"), "x");
	assert_null(json_string_get(o, "n"));
	assert_null(json_string_get(o, "z"));
	assert_null(json_string_get(o, "missing"));
	assert_null(json_string_get(NULL, "s"));
	cJSON_Delete(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(utf8_repair_ill_formed),
		cmocka_unit_test(utf8_clean_refuses_nul),
		cmocka_unit_test(utf8_len_maximal_subpart),
		cmocka_unit_test(escape_n_matches_cjson),
		cmocka_unit_test(utf8_fit_boundaries),
		cmocka_unit_test(utf8_fit2_shares_budget),
		cmocka_unit_test(utf8_random_inputs),
		cmocka_unit_test(tree_repair_keys_and_values),
		cmocka_unit_test(rpc_error_cut_to_fit),
		cmocka_unit_test(string_get_only_strings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
