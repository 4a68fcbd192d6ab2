/* test_backoff.c: full-jitter exponential reconnect delays. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "backoff.h"

static void
test_ceiling_doubles_to_cap(void **state)
{
	struct backoff b;
	uint64_t d;
	int i, n;

	backoff_init(&b, 2000, 60000, 250, 42);
	/* The n-th delay never exceeds min(cap, base * 2^n) nor goes below
	 * the floor. */
	for (n = 0; n < 12; n++) {
		uint64_t ceil = 2000ULL << n;

		if (ceil > 60000)
			ceil = 60000;
		d = backoff_next(&b);
		assert_true(d >= 250);
		assert_true(d <= ceil);
	}
	/* Capped forever after, even after a very long outage. */
	for (i = 0; i < 1000; i++)
		assert_true(backoff_next(&b) <= 60000);
}

static void
test_jitter_spreads_a_fleet(void **state)
{
	/* 1,000 agents with different seeds that lost the broker together:
	 * their first retries must not land in the same second. */
	int buckets[3] = { 0, 0, 0 };
	uint64_t seed;

	for (seed = 1; seed <= 1000; seed++) {
		struct backoff b;

		backoff_init(&b, 2000, 60000, 250, seed * 0x9e3779b97f4a7c15ULL);
		uint64_t d = backoff_next(&b);

		buckets[d < 1000 ? 0 : d <= 2000 ? 1 : 2]++;
	}
	assert_true(buckets[0] > 200);
	assert_true(buckets[1] > 200);
	assert_int_equal(buckets[2], 0);    /* never past the first ceiling */
}

static void
test_reset_starts_again(void **state)
{
	struct backoff b;
	int i;

	backoff_init(&b, 1000, 64000, 100, 7);
	for (i = 0; i < 10; i++)
		backoff_next(&b);
	backoff_reset(&b);
	assert_true(backoff_next(&b) <= 1000);
}

static void
test_rand_bounds(void **state)
{
	struct backoff b;
	int i;

	backoff_init(&b, 1, 1, 0, 0);   /* seed 0 is replaced, never stuck */
	for (i = 0; i < 1000; i++) {
		uint64_t r = backoff_rand(&b, 5000, 10000);

		assert_true(r >= 5000 && r <= 10000);
	}
	assert_int_equal(backoff_rand(&b, 7, 7), 7);
	assert_int_equal(backoff_rand(&b, 9, 3), 9);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ceiling_doubles_to_cap),
		cmocka_unit_test(test_jitter_spreads_a_fleet),
		cmocka_unit_test(test_reset_starts_again),
		cmocka_unit_test(test_rand_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
