/* backoff.c: reconnect delays (backoff.h). Pure arithmetic with its own
 * PRNG state, so it is unit-tested directly. */
#include "base/backoff.h"

void
backoff_init(struct backoff *b, uint64_t base_ms, uint64_t cap_ms,
    uint64_t floor_ms, uint64_t seed)
{
	b->base_ms = base_ms;
	b->cap_ms = cap_ms < base_ms ? base_ms : cap_ms;
	b->floor_ms = floor_ms;
	b->attempt = 0;
	b->seed = seed ? seed : 0x9e3779b97f4a7c15ULL;
}

static uint64_t
backoff__xorshift(struct backoff *b)
{
	uint64_t x = b->seed;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	b->seed = x;
	return x;
}

uint64_t
backoff_rand(struct backoff *b, uint64_t lo, uint64_t hi)
{
	if (hi <= lo)
		return lo;
	return lo + backoff__xorshift(b) % (hi - lo + 1);
}

uint64_t
backoff_next(struct backoff *b)
{
	uint64_t ceil = b->base_ms;
	unsigned i;

	/* Shift in steps so a long outage cannot overflow the ceiling. */
	for (i = 0; i < b->attempt && ceil < b->cap_ms; i++)
		ceil *= 2;
	if (ceil > b->cap_ms)
		ceil = b->cap_ms;
	if (b->attempt < 64)
		b->attempt++;
	return backoff_rand(b, b->floor_ms < ceil ? b->floor_ms : ceil, ceil);
}

void
backoff_reset(struct backoff *b)
{
	b->attempt = 0;
}

/* Never retry sooner than this (no hot loop on instant failures). */
#define RECONNECT_FLOOR_MS 250

void
reconnect_init(struct reconnect *r, uint64_t spread_ms, uint64_t cap_ms,
    uint64_t seed)
{
	if (spread_ms < RECONNECT_FLOOR_MS)
		spread_ms = RECONNECT_FLOOR_MS;
	r->spread_ms = spread_ms;
	r->phased = false;
	backoff_init(&r->bo, spread_ms, cap_ms, RECONNECT_FLOOR_MS, seed);
}

uint64_t
reconnect_delay(struct reconnect *r, enum reconnect_why why)
{
	uint64_t w = r->spread_ms;

	switch (why) {
	case RECONNECT_UNREACHABLE:
		if (r->phased)
			return backoff_rand(&r->bo, w - w / 20, w + w / 20);
		/* the first refusal after a start draws the phase */
		r->phased = true;
		return backoff_rand(&r->bo, RECONNECT_FLOOR_MS, w);
	case RECONNECT_LOST:
		r->phased = true;
		return backoff_rand(&r->bo, RECONNECT_FLOOR_MS, w);
	case RECONNECT_HANDSHAKE:
	default:
		r->phased = true;
		return backoff_next(&r->bo);
	}
}

void
reconnect_success(struct reconnect *r)
{
	backoff_reset(&r->bo);
	r->phased = false;
}
