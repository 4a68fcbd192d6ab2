/* purge.c: the two purge timers: old transactions of the spool (the
 * removal is spool/purge.c's) and unused files of the task cache (fetch).
 * pxp-agent's cadence: every min(60 min, ttl). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_int.h"
#include "base/jsonutil.h"
#include "base/log.h"
#include "pcp/pxp.h"
#include "base/util.h"

#define PART "engine"

/* ---- purge -------------------------------------------------------------- */

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

/* ---- task-cache purge --------------------------------------------------- */

static void
engine__cache_purge(uv_timer_t *t)
{
	struct engine *e = t->data;
	int n;

	n = fetch_cache_purge(e->fetch, e->cfg->task_cache_purge_ttl_s);
	if (n > 0)
		log_info(PART, "purged %d unused files from the task cache", n);
}

void
engine__cache_purge_start(struct engine *e)
{
	uint64_t every = 60ULL * 60 * 1000;

	if (!e->fetch || e->cfg->task_cache_purge_ttl_s <= 0)
		return;
	/* Same cadence as the spool purge: min(60 min, ttl). */
	if ((uint64_t)e->cfg->task_cache_purge_ttl_s * 1000 < every)
		every = (uint64_t)e->cfg->task_cache_purge_ttl_s * 1000;
	uv_timer_init(e->loop, &e->cache_timer);
	e->cache_timer.data = e;
	e->cache_timer_on = true;
	engine__cache_purge(&e->cache_timer);
	uv_timer_start(&e->cache_timer, engine__cache_purge, every, every);
}
