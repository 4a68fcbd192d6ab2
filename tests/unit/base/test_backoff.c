/* test_backoff.c: full-jitter exponential backoff and the broker
 * connection's reconnect policy (struct reconnect). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "base/backoff.h"

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

/* A fleet of 1,000 agents lost its broker at t=0; it is back at t=down.
 * Each agent draws its phase after the loss and polls while refused. The
 * arrivals once the broker is up: every one within spread + 5%, no
 * second with more than 15% of them (the goal; with 1,000 agents
 * and a 12 s spread the expected top second holds about 8.5%). */
static void
fleet_arrivals(uint64_t down_ms, int *per_s, int nsec, uint64_t *last)
{
	uint64_t seed;

	*last = 0;
	for (seed = 1; seed <= 1000; seed++) {
		struct reconnect r;
		uint64_t t;

		reconnect_init(&r, 12000, 60000, seed * 0x9e3779b97f4a7c15ULL);
		t = reconnect_delay(&r, RECONNECT_LOST);
		while (t < down_ms)
			t += reconnect_delay(&r, RECONNECT_UNREACHABLE);
		t -= down_ms;
		if (t > *last)
			*last = t;
		if (t / 1000 < (uint64_t)nsec)
			per_s[t / 1000]++;
	}
}

static void
test_reconnect_fleet_spread(void **state)
{
	static const uint64_t downs[] = { 1000, 3000, 30000, 300000 };
	size_t k;
	int i;

	for (k = 0; k < sizeof(downs) / sizeof(downs[0]); k++) {
		int per_s[20] = { 0 };
		uint64_t last;

		fleet_arrivals(downs[k], per_s, 20, &last);
		assert_true(last <= 12600);
		for (i = 0; i < 20; i++)
			assert_true(per_s[i] <= 150);
	}
}

static void
test_reconnect_polls_keep_their_phase(void **state)
{
	struct reconnect r;
	uint64_t d;
	int i;

	reconnect_init(&r, 10000, 60000, 99);
	/* First refusal after a start: a random phase within the spread. */
	d = reconnect_delay(&r, RECONNECT_UNREACHABLE);
	assert_true(d >= 250 && d <= 10000);
	/* Then every spread, +-5%. */
	for (i = 0; i < 100; i++) {
		d = reconnect_delay(&r, RECONNECT_UNREACHABLE);
		assert_true(d >= 9500 && d <= 10500);
	}
	/* A session that worked and was lost draws a new phase. */
	reconnect_success(&r);
	d = reconnect_delay(&r, RECONNECT_LOST);
	assert_true(d >= 250 && d <= 10000);
}

static void
test_reconnect_handshake_failures_back_off(void **state)
{
	struct reconnect r;
	uint64_t d, max = 0;
	int i;

	reconnect_init(&r, 10000, 60000, 5);
	/* Full jitter from the spread upwards, capped. */
	for (i = 0; i < 40; i++) {
		d = reconnect_delay(&r, RECONNECT_HANDSHAKE);
		assert_true(d >= 250 && d <= 60000);
		if (d > max)
			max = d;
	}
	assert_true(max > 20000);      /* it did grow past the spread */
	reconnect_success(&r);
	assert_true(reconnect_delay(&r, RECONNECT_HANDSHAKE) <= 10000);
	/* A tiny spread is raised to the floor: never a hot loop. */
	reconnect_init(&r, 0, 1000, 5);
	for (i = 0; i < 100; i++)
		assert_true(reconnect_delay(&r, RECONNECT_UNREACHABLE) >= 237);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ceiling_doubles_to_cap),
		cmocka_unit_test(test_jitter_spreads_a_fleet),
		cmocka_unit_test(test_reset_starts_again),
		cmocka_unit_test(test_rand_bounds),
		cmocka_unit_test(test_reconnect_fleet_spread),
		cmocka_unit_test(test_reconnect_polls_keep_their_phase),
		cmocka_unit_test(test_reconnect_handshake_failures_back_off),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
