/* backoff.h: reconnect delays. Full-jitter exponential backoff: the n-th
 * retry waits a uniform random time in [floor, min(cap, base * 2^n)], so a
 * fleet that lost its broker at the same instant spreads its reconnects. */
#ifndef PXPD_BACKOFF_H
#define PXPD_BACKOFF_H

#include <stdint.h>

struct backoff {
	uint64_t base_ms;   /* ceiling of the first retry */
	uint64_t cap_ms;    /* ceiling never grows past this */
	uint64_t floor_ms;  /* never retry sooner (no hot loop on instant failures) */
	unsigned attempt;   /* failures since the last success */
	uint64_t seed;      /* xorshift state; never 0 */
};

void backoff_init(struct backoff *b, uint64_t base_ms, uint64_t cap_ms,
    uint64_t floor_ms, uint64_t seed);
/* Delay before the next attempt; counts one more failure. */
uint64_t backoff_next(struct backoff *b);
/* The connection succeeded: start again from base. */
void backoff_reset(struct backoff *b);
/* Uniform random number in [lo, hi] from the backoff's generator. */
uint64_t backoff_rand(struct backoff *b, uint64_t lo, uint64_t hi);

#endif
