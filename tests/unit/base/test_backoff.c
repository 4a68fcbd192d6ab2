/* test_backoff.c: full-jitter exponential backoff and the broker
 * connection's reconnect policy (struct reconnect). Every step of each
 * sequence is checked over many independent draws (doubling, the cap, the
 * floor, reset, and that each jitter covers its whole range evenly), not
 * only the first delay. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <inttypes.h>
#include <math.h>

#include "base/backoff.h"

/* Every step of a sequence, over many agents: AGENTS independent
 * sequences (one seed each) draw STEPS delays; draws[n] holds step n of
 * all of them. */
#define AGENTS 2000
#define STEPS 12

static uint64_t draws[STEPS][AGENTS];

static uint64_t
seed_of(int agent)
{
	return (uint64_t)(agent + 1) * 0x9e3779b97f4a7c15ULL;
}

/* The draws of one step are uniform over exactly [lo, hi]: none outside,
 * both ends (nearly) reached, the mean in the middle, and each tenth of
 * the range holds about a tenth of them (200 expected, +-30%; the
 * standard deviation is about 13). lo == hi: every draw is that value. */
static void
assert_uniform(int step, const uint64_t *d, uint64_t lo, uint64_t hi)
{
	uint64_t min = UINT64_MAX, max = 0, w = hi - lo;
	double sum = 0, mid = (lo + hi) / 2.0;
	int bins[10] = { 0 }, i;

	for (i = 0; i < AGENTS; i++) {
		if (d[i] < lo || d[i] > hi)
			fail_msg("step %d: %" PRIu64 " outside [%" PRIu64 ", %"
			    PRIu64 "]", step, d[i], lo, hi);
		min = d[i] < min ? d[i] : min;
		max = d[i] > max ? d[i] : max;
		sum += (double)d[i];
		if (w > 0)
			bins[(d[i] - lo) * 10 / (w + 1)]++;
	}
	if (w == 0)
		return;
	if (min > lo + w / 50 || max < hi - w / 50)
		fail_msg("step %d: draws span only [%" PRIu64 ", %" PRIu64 "] "
		    "of [%" PRIu64 ", %" PRIu64 "]", step, min, max, lo, hi);
	if (fabs(sum / AGENTS - mid) > 0.03 * (double)w)
		fail_msg("step %d: mean %.0f, not near %.0f", step,
		    sum / AGENTS, mid);
	for (i = 0; i < 10; i++)
		if (bins[i] < AGENTS / 10 * 7 / 10 ||
		    bins[i] > AGENTS / 10 * 13 / 10)
			fail_msg("step %d: tenth %d of the range holds %d of %d "
			    "draws", step, i, bins[i], AGENTS);
}

/* base 2 s, cap 60 s, floor 250 ms: the n-th delay is uniform over
 * [floor, min(cap, base * 2^n)], and the ceiling doubles at every step
 * until the cap clips it (64 s -> 60 s), then stays there. */
static void
test_every_step_doubles_to_the_cap(void **state)
{
	static const uint64_t ceil_ms[STEPS] = { 2000, 4000, 8000, 16000,
	    32000, 60000, 60000, 60000, 60000, 60000, 60000, 60000 };
	uint64_t d, max = 0;
	int a, n, i;

	for (a = 0; a < AGENTS; a++) {
		struct backoff b;

		backoff_init(&b, 2000, 60000, 250, seed_of(a));
		for (n = 0; n < STEPS; n++)
			draws[n][a] = backoff_next(&b);
	}
	for (n = 0; n < STEPS; n++)
		assert_uniform(n, draws[n], 250, ceil_ms[n]);
	/* Capped forever after, even after a very long outage (the
	 * attempt counter saturates at 64), and the cap is still drawn. */
	for (a = 0; a < 10; a++) {
		struct backoff b;

		backoff_init(&b, 2000, 60000, 250, seed_of(a));
		for (i = 0; i < 1000; i++) {
			d = backoff_next(&b);
			assert_true(d >= 250 && d <= 60000);
			if (i >= STEPS && d > max)
				max = d;
		}
	}
	assert_true(max >= 59000);
}

/* The floor never lifts a delay above its step's ceiling: with a base
 * below the floor the first steps are their ceilings exactly. */
static void
test_floor_below_the_ceiling_only(void **state)
{
	static const uint64_t lo[] = { 100, 200, 250, 250, 250, 250 };
	static const uint64_t hi[] = { 100, 200, 400, 800, 1000, 1000 };
	int a, n;

	for (a = 0; a < AGENTS; a++) {
		struct backoff b;

		backoff_init(&b, 100, 1000, 250, seed_of(a));
		for (n = 0; n < 6; n++)
			draws[n][a] = backoff_next(&b);
	}
	for (n = 0; n < 6; n++)
		assert_uniform(n, draws[n], lo[n], hi[n]);
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

/* After a reset the sequence starts again from its first step. */
static void
test_reset_starts_again(void **state)
{
	int a, n, i;

	for (a = 0; a < AGENTS; a++) {
		struct backoff b;

		backoff_init(&b, 1000, 64000, 100, seed_of(a));
		for (i = 0; i < 10; i++)
			backoff_next(&b);
		backoff_reset(&b);
		for (n = 0; n < 3; n++)
			draws[n][a] = backoff_next(&b);
	}
	assert_uniform(0, draws[0], 100, 1000);
	assert_uniform(1, draws[1], 100, 2000);
	assert_uniform(2, draws[2], 100, 4000);
}

static void
test_rand_bounds(void **state)
{
	struct backoff b;
	uint64_t r;
	int seen[4] = { 0 }, i;

	backoff_init(&b, 1, 1, 0, 0);   /* seed 0 is replaced, never stuck */
	for (i = 0; i < 1000; i++) {
		r = backoff_rand(&b, 5000, 10000);
		assert_true(r >= 5000 && r <= 10000);
	}
	/* Both ends are drawn: every value of a small range comes up. */
	for (i = 0; i < 1000; i++) {
		r = backoff_rand(&b, 5, 8);
		assert_true(r >= 5 && r <= 8);
		seen[r - 5]++;
	}
	for (i = 0; i < 4; i++)
		assert_true(seen[i] > 150);
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

/* The reconnect policy's steps over many agents: handshake failures
 * double from the spread to the cap and start again after a success;
 * polls of a refusing broker keep a phase drawn uniformly in the spread,
 * each poll uniform over spread +-5%; a lost session draws a new phase. */
static void
test_reconnect_every_step(void **state)
{
	static const uint64_t hs_ceil[] = { 10000, 20000, 40000, 60000, 60000 };
	int a, n;

	for (a = 0; a < AGENTS; a++) {
		struct reconnect r;

		reconnect_init(&r, 10000, 60000, seed_of(a));
		for (n = 0; n < 5; n++)
			draws[n][a] = reconnect_delay(&r, RECONNECT_HANDSHAKE);
		reconnect_success(&r);
		draws[5][a] = reconnect_delay(&r, RECONNECT_HANDSHAKE);
	}
	for (n = 0; n < 5; n++)
		assert_uniform(n, draws[n], 250, hs_ceil[n]);
	assert_uniform(5, draws[5], 250, 10000);

	for (a = 0; a < AGENTS; a++) {
		struct reconnect r;

		reconnect_init(&r, 10000, 60000, seed_of(a));
		for (n = 0; n < 4; n++)
			draws[n][a] = reconnect_delay(&r,
			    RECONNECT_UNREACHABLE);
		reconnect_success(&r);
		draws[4][a] = reconnect_delay(&r, RECONNECT_LOST);
		draws[5][a] = reconnect_delay(&r, RECONNECT_UNREACHABLE);
	}
	assert_uniform(0, draws[0], 250, 10000);
	for (n = 1; n < 4; n++)
		assert_uniform(n, draws[n], 9500, 10500);
	assert_uniform(4, draws[4], 250, 10000);
	assert_uniform(5, draws[5], 9500, 10500);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_step_doubles_to_the_cap),
		cmocka_unit_test(test_floor_below_the_ceiling_only),
		cmocka_unit_test(test_jitter_spreads_a_fleet),
		cmocka_unit_test(test_reset_starts_again),
		cmocka_unit_test(test_rand_bounds),
		cmocka_unit_test(test_reconnect_fleet_spread),
		cmocka_unit_test(test_reconnect_polls_keep_their_phase),
		cmocka_unit_test(test_reconnect_handshake_failures_back_off),
		cmocka_unit_test(test_reconnect_every_step),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
