/* purge.c: the spool purge timer: when old transactions go (pxp-agent's
 * cadence, every min(60 min, ttl)) and which are busy (the engine's own
 * jobs); what goes is spool/purge.c's. The task cache has its own timer
 * (fetch/fetch_purge.c). */
#include "engine/engine_int.h"
#include "base/log.h"

#define PART "engine"

static bool
engine__busy(void *arg, const char *tid)
{
	return engine__job_find(arg, tid) != NULL;
}

static void
engine__purge(uv_timer_t *t)
{
	struct engine *e = t->data;
	int n;

	if (e->cfg->spool_purge_ttl_s <= 0)
		return;
	n = spool_purge(e->spool, e->cfg->spool_purge_ttl_s, engine__busy, e);
	if (n > 0)
		log_info(PART, "purged %d old results from the spool", n);
}

void
engine__purge_start(struct engine *e)
{
	uint64_t every = 60ULL * 60 * 1000;

	if (e->cfg->spool_purge_ttl_s <= 0)
		return;
	/* pxp-agent: every min(60 min, ttl); short TTLs purge more often. */
	if ((uint64_t)e->cfg->spool_purge_ttl_s * 1000 < every)
		every = (uint64_t)e->cfg->spool_purge_ttl_s * 1000;
	uv_timer_init(e->loop, &e->purge_timer);
	e->purge_timer.data = e;
	e->purge_timer_on = true;
	engine__purge(&e->purge_timer);
	uv_timer_start(&e->purge_timer, engine__purge, every, every);
}
