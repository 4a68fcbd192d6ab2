/* backoff.h: reconnect delays, pure arithmetic (unit-tested directly).
 * backoff: full-jitter exponential, the n-th retry waits a uniform random
 * time in [floor, min(cap, base * 2^n)].
 * reconnect: the broker connection's policy on top of it (below). */
#ifndef PXPD_BACKOFF_H
#define PXPD_BACKOFF_H

#include <stdbool.h>
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

/* Why the broker connection needs a next attempt. */
enum reconnect_why {
	RECONNECT_LOST,         /* a working session ended */
	RECONNECT_UNREACHABLE,  /* no TCP connection: refused, unreachable, DNS */
	RECONNECT_HANDSHAKE,    /* TCP worked; TLS or websocket failed or timed out */
};

/* A fleet must come back both fast and spread out after its broker
 * restarts (issue: all within 15 s, no second with more than 15%). So:
 * - a lost session waits a uniform random phase in [0, spread]: agents
 *   dropped together, by a broker that is still up, do not storm it;
 * - while the broker refuses TCP it is down, not overloaded: poll it every
 *   spread (+-5%) keeping that random phase, so once it is up again the
 *   fleet arrives evenly over one spread;
 * - a broker that accepts TCP but fails the handshake may be overloaded:
 *   back off exponentially (full jitter from spread up to cap). */
struct reconnect {
	struct backoff bo;      /* handshake failures */
	uint64_t spread_ms;
	bool phased;            /* a random phase was drawn since the last success */
};

void reconnect_init(struct reconnect *r, uint64_t spread_ms, uint64_t cap_ms,
    uint64_t seed);
/* Delay before the next attempt. */
uint64_t reconnect_delay(struct reconnect *r, enum reconnect_why why);
/* The session reached ready: forget past failures. */
void reconnect_success(struct reconnect *r);

#endif
